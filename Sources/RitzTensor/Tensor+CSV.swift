import Foundation

/// Comma-separated numbers, compatible with `numpy.savetxt(path, x, delimiter=",")` and
/// `numpy.loadtxt(path, delimiter=",")`.
extension Tensor {
    /// Reads a CSV file of numbers.
    ///
    /// Blank lines are skipped; the first row is taken as a header and skipped when any of its
    /// fields is not a number. As `numpy.loadtxt`, a single row or a single column gives a 1-d
    /// tensor, otherwise a 2-d one; an empty file gives shape (0,). `nan`, `inf` and `-inf` are
    /// numbers.
    /// - Parameter path: the file to read (through `SafeFile.read`).
    /// - Returns: The values.
    /// - Throws: `PathError` for a path with control characters; `FileFormatError.io` when the
    ///   file cannot be read or is larger than the allocation limit, `.malformed` for text that
    ///   is not UTF-8, a non-numeric field after the header or rows of different lengths
    ///   (naming the line).
    public static func loadCSV(path: String) throws -> Tensor {
        guard let text = String(validating: try SafeFile.read(path, maxBytes: AllocationLimit.bytes), as: UTF8.self) else {
            throw FileFormatError.malformed(path: path, reason: "the file is not UTF-8 text")
        }
        return try parseCSV(text, path: path)
    }

    /// Writes a 0-d, 1-d (one value a line) or 2-d tensor as CSV, each value as `%.17g`
    /// (enough digits to read back the same double).
    ///
    /// - Parameter path: the destination (written by `SafeFile.write`: temporary file and rename).
    /// - Throws: `ShapeError.wrongRank` above two dimensions, `TensorError.unsupportedDType`
    ///   for complex tensors, `PathError` for a path with control characters,
    ///   `FileFormatError.io` when the file cannot be written.
    public func saveCSV(path: String) throws {
        guard !isComplex else { throw TensorError.unsupportedDType(op: "saveCSV", dtype: .complex128) }
        guard ndim <= 2 else { throw ShapeError.wrongRank(op: "saveCSV", expected: "at most two dimensions", got: shape) }
        let cols = ndim == 2 ? shape[1] : 1
        var out = ""
        if cols > 0 {
            for start in stride(from: 0, to: storage.count, by: cols) {
                out += storage[start..<(start + cols)].map { String(format: "%.17g", $0) }.joined(separator: ",")
                out += "\n"
            }
        }
        try SafeFile.write(out, to: path)
    }

    /// Parses CSV text; `path` names the file in errors.
    static func parseCSV(_ text: String, path: String) throws -> Tensor {
        var rows = [[Double]]()
        var lineNumber = 0
        var sawFirstRow = false
        // "\r\n" is one Character in Swift, so split on every newline kind.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            lineNumber += 1
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let values = fields.map { Double($0.trimmingCharacters(in: .whitespaces)) }
            if !sawFirstRow {
                sawFirstRow = true
                if values.contains(where: { $0 == nil }) { continue }   // header row
            }
            var row = [Double]()
            row.reserveCapacity(values.count)
            for (k, v) in values.enumerated() {
                guard let v else {
                    throw FileFormatError.malformed(path: path, reason: "line \(lineNumber), field \(k + 1): '\(FileFormatError.excerpt(fields[k]))' is not a number")
                }
                row.append(v)
            }
            if let first = rows.first, first.count != row.count {
                throw FileFormatError.malformed(path: path, reason: "line \(lineNumber) has \(row.count) fields, earlier rows have \(first.count)")
            }
            rows.append(row)
            try AllocationLimit.check(elements: rows.count * row.count)
        }
        guard let first = rows.first else { return Tensor(unchecked: [0], []) }
        let flat = rows.flatMap { $0 }
        if rows.count == 1 || first.count == 1 { return Tensor(unchecked: [flat.count], flat) }
        return Tensor(unchecked: [rows.count, first.count], flat)
    }
}
