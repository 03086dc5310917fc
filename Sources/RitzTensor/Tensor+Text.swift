import Foundation

/// Plain text tables of numbers, as `numpy.loadtxt` and `numpy.savetxt` read and write them and
/// as edge lists come (SNAP's `.txt` files, `#` or `%` comments, tab or space separated).
extension Tensor {
    /// Reads a text table of numbers.
    ///
    /// Each line is a row. A `#` or `%` starts a comment that runs to the end of the line;
    /// lines with nothing else are skipped. Values are separated by runs of spaces and tabs, or,
    /// on a line that holds a comma, by commas (with spaces around them allowed). A value is a
    /// number as `loadCSV` reads it (decimal, or `nan`/`inf`). Rows must have equal lengths; as
    /// `numpy.loadtxt`, a single row or column gives a 1-d tensor, otherwise 2-d, and no rows
    /// shape (0,).
    ///
    /// - Parameter path: The file (read through `SafeFile.read`, within the allocation limit).
    /// - Returns: The values.
    /// - Throws: `PathError` for a bad path; `FileFormatError.io` when the file cannot be read,
    ///   `.malformed` for text that is not UTF-8, a value that is not a number or a row of
    ///   another length (naming its line); memory-limit errors.
    public static func loadText(path: String) throws -> Tensor {
        try parseText(try SafeFile.read(path, maxBytes: AllocationLimit.bytes), path: path)
    }

    /// Writes a 0-d, 1-d (one value a line) or 2-d tensor as a text table: values separated by
    /// a space, each as `%.17g` (enough digits to read back the same double).
    ///
    /// - Parameter path: The destination (written by `SafeFile.write`).
    /// - Throws: `ShapeError.wrongRank` above two dimensions, `TensorError.unsupportedDType`
    ///   for complex tensors, `PathError`, `FileFormatError.io` when the file cannot be written.
    public func saveText(path: String) throws {
        try SafeFile.write(delimitedText(separator: " ", op: "saveText"), to: path)
    }

    /// Parses the bytes of a text table by the rules of `loadText`; `path` names it in errors.
    static func parseText(_ bytes: [UInt8], path: String) throws -> Tensor {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw FileFormatError.malformed(path: path, reason: "the file is not UTF-8 text")
        }
        let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r"), comma = UInt8(ascii: ",")
        let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
        var values = [Double]()
        var columns: Int?
        var rows = 0, line = 0, pos = 0
        var fields = [ArraySlice<UInt8>]()
        while pos < bytes.count {
            line += 1
            var end = pos
            while end < bytes.count, bytes[end] != lf, bytes[end] != cr { end += 1 }
            var body = end
            if let c = bytes[pos..<end].firstIndex(where: { $0 == UInt8(ascii: "#") || $0 == UInt8(ascii: "%") }) { body = c }
            let text = bytes[pos..<body]
            // The next line starts after LF, CRLF or CR.
            pos = end + 1
            if end < bytes.count, bytes[end] == cr, pos < bytes.count, bytes[pos] == lf { pos += 1 }
            fields.removeAll(keepingCapacity: true)
            if text.contains(comma) {
                for field in text.split(separator: comma, omittingEmptySubsequences: false) { fields.append(field) }
            } else {
                for field in text.split(whereSeparator: { $0 == space || $0 == tab }) { fields.append(field) }
            }
            if fields.isEmpty { continue }
            if let c = columns, c != fields.count {
                throw FileFormatError.malformed(path: path, reason: "line \(line) has \(fields.count) values, earlier rows have \(c)")
            }
            columns = fields.count
            try AllocationLimit.check(elements: values.count + fields.count)
            for (k, field) in fields.enumerated() {
                guard let v = parseCSVNumber(field) else {
                    let shown = FileFormatError.excerpt(String(decoding: field, as: UTF8.self).trimmingCharacters(in: .whitespaces))
                    throw FileFormatError.malformed(path: path, reason: "line \(line), column \(k + 1): \(shown.isEmpty ? "empty value" : "'\(shown)' is not a number")")
                }
                values.append(v)
            }
            rows += 1
        }
        return try table(values, rows: rows, columns: columns)
    }
}
