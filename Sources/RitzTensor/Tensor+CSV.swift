import Foundation

/// Delimited numbers, compatible with `numpy.savetxt(path, x, delimiter=",")` and
/// `numpy.loadtxt(path, delimiter=",")`, read by the rules of RFC 4180.
extension Tensor {
    /// The delimiters `loadCSV` recognises when none is given, in order of preference.
    public static let csvDelimiters: [Character] = [",", ";", "\t"]

    /// Reads a delimited file of numbers.
    ///
    /// Records follow RFC 4180: fields are separated by the delimiter, records end at LF, CRLF
    /// or CR, and a field in double quotes may hold the delimiter, line breaks and doubled
    /// quotes (`""` for `"`). Blank lines and comment lines (starting with `#` or `%`, as edge
    /// lists and `numpy.savetxt` headers write them) are skipped, a UTF-8 byte-order mark is ignored, and
    /// spaces around a number are allowed (as `numpy.loadtxt`).
    ///
    /// Without `delimiter`, it is whichever of `,` `;` and tab occurs most often outside quotes
    /// on the first non-blank line (ties in that order); with none of them, each line is one
    /// value. Without `header`, the first record is a header when none of its fields is a
    /// number. Every other field must be a number: decimal digits with an optional sign,
    /// point and exponent, or `nan`, `inf`, `infinity` (any case, signed) — never hexadecimal.
    /// As `numpy.loadtxt`, a single row or a single column gives a 1-d tensor, otherwise a 2-d
    /// one; an empty file gives shape (0,).
    ///
    /// - Parameters:
    ///   - path: The file to read (through `SafeFile.read`).
    ///   - delimiter: The field separator, or nil to detect it.
    ///   - header: Whether the first record is a header, or nil to detect it.
    /// - Returns: The values.
    /// - Throws: `PathError` for a path with control characters; `FileFormatError.io` when the
    ///   file cannot be read or is larger than the memory limit, `.malformed` for text that is
    ///   not UTF-8 or naming the row
    ///   and column of a field that is not a number, a record of another length or a quote out
    ///   of place; `TensorError.invalidArgument` for a delimiter that cannot separate fields;
    ///   memory-limit errors.
    public static func loadCSV(path: String, delimiter: Character? = nil, header: Bool? = nil) throws -> Tensor {
        guard let text = String(validating: try SafeFile.read(path, maxBytes: AllocationLimit.bytes), as: UTF8.self) else {
            throw FileFormatError.malformed(path: path, reason: "the file is not UTF-8 text")
        }
        return try parseCSV(text, path: path, delimiter: delimiter, header: header)
    }

    /// Writes a 0-d, 1-d (one value a line) or 2-d tensor as CSV, each value as `%.17g`
    /// (enough digits to read back the same double).
    ///
    /// - Parameter path: the destination (written by `SafeFile.write`: temporary file and rename).
    /// - Throws: `ShapeError.wrongRank` above two dimensions, `TensorError.unsupportedDType`
    ///   for complex tensors, `PathError` for a path with control characters,
    ///   `FileFormatError.io` when the file cannot be written.
    public func saveCSV(path: String) throws {
        try SafeFile.write(delimitedText(separator: ",", op: "saveCSV"), to: path)
    }

    /// The rows of a 0-d, 1-d (one value a line) or 2-d tensor as lines of `%.17g` values.
    ///
    /// - Parameters:
    ///   - separator: Put between the values of a row.
    ///   - op: The operation named in errors.
    /// - Returns: The text, each line ending in a newline.
    /// - Throws: `ShapeError.wrongRank` above two dimensions, `TensorError.unsupportedDType`
    ///   for complex tensors.
    func delimitedText(separator: String, op: String) throws -> String {
        guard !isComplex else { throw TensorError.unsupportedDType(op: op, dtype: .complex128) }
        guard ndim <= 2 else { throw ShapeError.wrongRank(op: op, expected: "at most two dimensions", got: shape) }
        let cols = ndim == 2 ? shape[1] : 1
        var out = ""
        if cols > 0 {
            for start in stride(from: 0, to: storage.count, by: cols) {
                out += storage[start..<(start + cols)].map { String(format: "%.17g", $0) }.joined(separator: separator)
                out += "\n"
            }
        }
        return out
    }

    /// A table of `rows` rows of `columns` values as `numpy.loadtxt` shapes it: a single row or
    /// a single column is 1-d, anything else 2-d, and no rows is shape (0,).
    static func table(_ values: [Double], rows: Int, columns: Int?) throws -> Tensor {
        guard let cols = columns else { return Tensor(unchecked: [0], []) }
        if rows == 1 || cols == 1 { return try Tensor(shape: [values.count], storage: values) }
        return try Tensor(shape: [rows, cols], storage: values)
    }

    /// Parses delimited text by the rules of `loadCSV`; `path` names the file in errors.
    static func parseCSV(_ text: String, path: String, delimiter: Character? = nil, header: Bool? = nil) throws -> Tensor {
        if let d = delimiter, d == "\"" || d.isNewline || d.unicodeScalars.count != 1 || !d.isASCII {
            throw TensorError.invalidArgument("load: the delimiter must be one ASCII character other than a quote or a line break, got \(String(reflecting: String(d)))")
        }
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        let sep = delimiter.flatMap { $0.asciiValue } ?? detectDelimiter(bytes)
        var reader = CSVRecordReader(bytes: bytes, delimiter: sep, path: path)
        var values = [Double]()
        var columns: Int?
        var rows = 0
        var first = true
        while let record = try reader.next() {
            defer { first = false }
            if first {
                let isHeader = header ?? !record.fields.contains { parseCSVNumber($0) != nil }
                if isHeader { continue }
            }
            if let c = columns, c != record.fields.count {
                throw FileFormatError.malformed(path: path, reason: "\(record.place) has \(record.fields.count) fields, earlier rows have \(c)")
            }
            columns = record.fields.count
            try AllocationLimit.check(elements: values.count + record.fields.count)
            for (k, field) in record.fields.enumerated() {
                guard let v = parseCSVNumber(field) else {
                    let shown = FileFormatError.excerpt(String(decoding: field, as: UTF8.self))
                    throw FileFormatError.malformed(path: path, reason: "\(record.place), column \(k + 1): \(field.isEmpty ? "empty field" : "'\(shown)' is not a number")")
                }
                values.append(v)
            }
            rows += 1
        }
        return try table(values, rows: rows, columns: columns)
    }

    /// The most frequent of `csvDelimiters` outside quotes on the first line that is neither
    /// blank nor a comment (ties in their order); a comma when none occurs (each line is then one field).
    static func detectDelimiter(_ bytes: [UInt8]) -> UInt8 {
        let candidates = csvDelimiters.compactMap(\.asciiValue)
        var counts = [Int](repeating: 0, count: candidates.count)
        var inQuotes = false, sawContent = false, inComment = false
        for b in bytes {
            if inComment {
                if b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") { inComment = false }
                continue
            }
            if !sawContent, b == UInt8(ascii: "#") || b == UInt8(ascii: "%") { inComment = true; continue }
            if b == UInt8(ascii: "\"") { inQuotes.toggle() }
            if !inQuotes && (b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r")) {
                if sawContent { break } else { continue }
            }
            if b != UInt8(ascii: " ") { sawContent = true }
            if !inQuotes, let k = candidates.firstIndex(of: b) { counts[k] += 1 }
        }
        guard let best = counts.indices.max(by: { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) }),
              counts[best] > 0 else { return UInt8(ascii: ",") }
        return candidates[best]
    }
}

/// A number field: optional spaces, an optional sign, then decimal digits with an optional
/// point and exponent, or `nan` / `inf` / `infinity` in any case. Nil for anything else
/// (hexadecimal, `1_000`, empty, …), which Swift's `Double(_:)` alone would partly accept.
func parseCSVNumber(_ field: ArraySlice<UInt8>) -> Double? {
    var f = field
    let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
    while let c = f.first, blank(c) { f = f.dropFirst() }
    while let c = f.last, blank(c) { f = f.dropLast() }
    guard !f.isEmpty else { return nil }
    var body = f
    if let c = body.first, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { body = body.dropFirst() }
    let word = String(decoding: body, as: UTF8.self).lowercased()
    if word == "nan" || word == "inf" || word == "infinity" {
        let negative = f.first == UInt8(ascii: "-")
        return word == "nan" ? .nan : (negative ? -.infinity : .infinity)
    }
    var i = body.startIndex, digits = 0
    let isDigit: (UInt8) -> Bool = { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    while i < body.endIndex, isDigit(body[i]) { i += 1; digits += 1 }
    if i < body.endIndex, body[i] == UInt8(ascii: ".") {
        i += 1
        while i < body.endIndex, isDigit(body[i]) { i += 1; digits += 1 }
    }
    guard digits > 0 else { return nil }
    if i < body.endIndex, body[i] == UInt8(ascii: "e") || body[i] == UInt8(ascii: "E") {
        i += 1
        if i < body.endIndex, body[i] == UInt8(ascii: "+") || body[i] == UInt8(ascii: "-") { i += 1 }
        var expDigits = 0
        while i < body.endIndex, isDigit(body[i]) { i += 1; expDigits += 1 }
        guard expDigits > 0 else { return nil }
    }
    guard i == body.endIndex else { return nil }
    return Double(String(decoding: f, as: UTF8.self))
}

/// Reads RFC 4180 records from bytes, one at a time, skipping blank lines and comment lines
/// (whose first character other than a space is `#` or `%`).
struct CSVRecordReader {
    /// One record: its fields (quotes removed) and where it starts, for messages.
    struct Record {
        var fields: [ArraySlice<UInt8>]
        var row: Int
        var line: Int
        var place: String { "row \(row) (line \(line))" }
    }

    let bytes: [UInt8]
    let delimiter: UInt8
    let path: String
    private var pos = 0
    private var line = 1
    private var row = 0

    init(bytes: [UInt8], delimiter: UInt8, path: String) {
        self.bytes = bytes
        self.delimiter = delimiter
        self.path = path
    }

    private static let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

    /// Skips a line ending at `pos` (LF, CRLF or CR); returns whether there was one.
    private mutating func skipLineEnd() -> Bool {
        guard pos < bytes.count else { return false }
        if bytes[pos] == Self.lf { pos += 1; line += 1; return true }
        if bytes[pos] == Self.cr {
            pos += 1
            if pos < bytes.count, bytes[pos] == Self.lf { pos += 1 }
            line += 1
            return true
        }
        return false
    }

    /// The next non-blank record, or nil at the end.
    ///
    /// - Throws: `FileFormatError.malformed` for a quote that is not closed or is followed by
    ///   something other than a delimiter or line end.
    mutating func next() throws -> Record? {
        // Skip blank lines (nothing but spaces and tabs) and comment lines (`#` or `%` first).
        while pos < bytes.count {
            var p = pos
            while p < bytes.count, bytes[p] == UInt8(ascii: " ") || (bytes[p] == UInt8(ascii: "\t") && delimiter != UInt8(ascii: "\t")) { p += 1 }
            if p == bytes.count { pos = p; return nil }
            if bytes[p] == UInt8(ascii: "#") || bytes[p] == UInt8(ascii: "%") {
                while p < bytes.count, bytes[p] != Self.lf, bytes[p] != Self.cr { p += 1 }
            }
            if p == bytes.count { pos = p; return nil }
            guard bytes[p] == Self.lf || bytes[p] == Self.cr else { break }
            pos = p
            _ = skipLineEnd()
        }
        guard pos < bytes.count else { return nil }
        row += 1
        let startLine = line
        var fields = [ArraySlice<UInt8>]()
        while true {
            // One field.
            var p = pos
            while p < bytes.count, bytes[p] == UInt8(ascii: " ") { p += 1 }
            if p < bytes.count, bytes[p] == Self.quote {
                var text = [UInt8]()
                p += 1
                while true {
                    guard p < bytes.count else {
                        throw FileFormatError.malformed(path: path, reason: "row \(row) (line \(startLine)): a quoted field is not closed")
                    }
                    let b = bytes[p]
                    if b == Self.quote {
                        if p + 1 < bytes.count, bytes[p + 1] == Self.quote { text.append(Self.quote); p += 2; continue }
                        p += 1
                        break
                    }
                    if b == Self.lf || (b == Self.cr && !(p + 1 < bytes.count && bytes[p + 1] == Self.lf)) { line += 1 }
                    text.append(b)
                    p += 1
                }
                while p < bytes.count, bytes[p] == UInt8(ascii: " ") { p += 1 }
                guard p == bytes.count || bytes[p] == delimiter || bytes[p] == Self.lf || bytes[p] == Self.cr else {
                    throw FileFormatError.malformed(path: path, reason: "row \(row) (line \(line)), column \(fields.count + 1): text after a closing quote")
                }
                fields.append(text[...])
                pos = p
            } else {
                p = pos
                while p < bytes.count, bytes[p] != delimiter, bytes[p] != Self.lf, bytes[p] != Self.cr {
                    if bytes[p] == Self.quote {
                        throw FileFormatError.malformed(path: path, reason: "row \(row) (line \(line)), column \(fields.count + 1): a quote inside an unquoted field")
                    }
                    p += 1
                }
                fields.append(bytes[pos..<p])
                pos = p
            }
            if pos < bytes.count, bytes[pos] == delimiter { pos += 1; continue }
            _ = skipLineEnd()
            return Record(fields: fields, row: row, line: startLine)
        }
    }
}
