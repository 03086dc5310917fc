import Foundation
import RitzTensor

/// Matrix Market files (`.mtx`, NIST; Boisvert, Pozo and Remington, "The Matrix Market Exchange
/// Formats", 1996), as `scipy.io.mmread`/`mmwrite` read and write them.
///
/// Read: `coordinate` with `real`, `integer` or `pattern` values (pattern entries are 1) and
/// `general` or `symmetric` symmetry (a symmetric file stores one triangle; the other is
/// mirrored), summing duplicate entries; `array` (dense, column-major, `general` or `symmetric`)
/// as a dense matrix. Complex, Hermitian and skew-symmetric files are refused. Every problem is an
/// error naming the line.
/// Write: `coordinate real general`, one entry a line, values as `%.17g` (read back exactly).
public enum MatrixMarket {
    /// What a file holds.
    public enum Content {
        case sparse(CSRMatrix)
        case dense(Tensor)
    }

    /// Reads a Matrix Market file.
    ///
    /// - Parameter path: The file.
    /// - Returns: A sparse matrix for the coordinate format, a dense one for the array format.
    /// - Throws: `FileFormatError` (`.malformed` with the line number, `.unsupported` for complex,
    ///   Hermitian or skew-symmetric files), `ShapeError`, memory-limit errors.
    public static func read(path: String) throws -> Content {
        guard let text = String(validating: try SafeFile.read(path, maxBytes: AllocationLimit.bytes), as: UTF8.self) else {
            throw FileFormatError.malformed(path: path, reason: "the file is not UTF-8 text")
        }
        return try parse(text, path: path)
    }

    /// Parses the text of a Matrix Market file (see `read`).
    static func parse(_ text: String, path: String) throws -> Content {
        func bad(_ line: Int, _ why: String) -> FileFormatError { .malformed(path: path, reason: "line \(line): \(why)") }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).lazy.enumerated().makeIterator()
        guard let (_, first) = lines.next() else { throw bad(1, "empty file, expected a %%MatrixMarket header") }
        let header = first.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map { $0.lowercased() }
        guard header.count == 5, header[0] == "%%matrixmarket", header[1] == "matrix" else {
            throw bad(1, "expected `%%MatrixMarket matrix <format> <field> <symmetry>`, got `\(first.prefix(80))`")
        }
        let format = header[2], field = header[3], symmetry = header[4]
        guard format == "coordinate" || format == "array" else { throw bad(1, "unknown format `\(format)` (coordinate or array)") }
        guard ["real", "integer", "pattern", "double"].contains(field) else {
            throw FileFormatError.unsupported(path: path, reason: "line 1: `\(field)` matrices are not supported (real, integer or pattern)")
        }
        guard symmetry == "general" || symmetry == "symmetric" else {
            throw FileFormatError.unsupported(path: path, reason: "line 1: `\(symmetry)` matrices are not supported (general or symmetric)")
        }
        guard !(format == "array" && field == "pattern") else { throw bad(1, "an array file cannot be `pattern`") }
        // Data lines: skip comments and blank lines.
        func nextData() -> (Int, [Substring])? {
            while let (i, line) = lines.next() {
                let t = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
                if t.isEmpty || t[0].hasPrefix("%") { continue }
                return (i + 1, t)
            }
            return nil
        }
        func integer(_ s: Substring, _ line: Int, _ what: String) throws -> Int {
            guard let v = Int(s) else { throw bad(line, "\(what) `\(s.prefix(40))` is not a whole number") }
            return v
        }
        func number(_ s: Substring, _ line: Int) throws -> Double {
            guard let v = Double(s), v.isFinite else { throw bad(line, "value `\(s.prefix(40))` is not a finite number") }
            if field == "integer" && v != v.rounded() { throw bad(line, "value `\(s)` of an integer matrix is not a whole number") }
            return v
        }
        guard let (sizeLine, size) = nextData() else { throw bad(2, "missing the size line") }
        let symmetric = symmetry == "symmetric"
        if format == "array" {
            guard size.count == 2 else { throw bad(sizeLine, "the size line of an array file is `rows cols`") }
            let r = try integer(size[0], sizeLine, "rows"), c = try integer(size[1], sizeLine, "cols")
            guard r >= 0, c >= 0 else { throw bad(sizeLine, "negative size \(r)×\(c)") }
            guard !symmetric || r == c else { throw bad(sizeLine, "a symmetric matrix must be square, got \(r)×\(c)") }
            let total = try Tensor.elementCount([r, c])
            var out = [Double](repeating: 0, count: total)
            // Column-major; a symmetric file lists the lower triangle column by column.
            for j in 0..<c {
                for i in (symmetric ? j : 0)..<r {
                    guard let (line, t) = nextData() else { throw bad(sizeLine, "expected \(symmetric ? r * (r + 1) / 2 : total) values, the file ends early") }
                    guard t.count == 1 else { throw bad(line, "expected one value, got \(t.count) fields") }
                    let v = try number(t[0], line)
                    out[i * c + j] = v
                    if symmetric { out[j * c + i] = v }
                }
            }
            if let (line, _) = nextData() { throw bad(line, "more values than the \(r)×\(c) size line announces") }
            return .dense(try Tensor(shape: [r, c], storage: out))
        }
        guard size.count == 3 else { throw bad(sizeLine, "the size line of a coordinate file is `rows cols entries`") }
        let r = try integer(size[0], sizeLine, "rows"), c = try integer(size[1], sizeLine, "cols")
        let count = try integer(size[2], sizeLine, "entries")
        guard r >= 0, c >= 0, count >= 0 else { throw bad(sizeLine, "negative size") }
        guard !symmetric || r == c else { throw bad(sizeLine, "a symmetric matrix must be square, got \(r)×\(c)") }
        let (slots, overflow) = count.multipliedReportingOverflow(by: symmetric ? 2 : 1)
        guard !overflow else { throw TensorError.tooLarge(bytes: Int.max, limit: AllocationLimit.bytes) }
        try AllocationLimit.check(bytes: slots &* 24)
        var triplets = [(Int, Int, Double)]()
        triplets.reserveCapacity(slots)
        let fields = field == "pattern" ? 2 : 3
        for e in 0..<count {
            guard let (line, t) = nextData() else { throw bad(sizeLine, "the size line announces \(count) entries, the file has \(e)") }
            guard t.count == fields else { throw bad(line, "expected \(fields) fields (row col\(fields == 3 ? " value" : "")), got \(t.count)") }
            let i = try integer(t[0], line, "row"), j = try integer(t[1], line, "column")
            guard i >= 1, i <= r else { throw bad(line, "row \(i) is outside 1…\(r)") }
            guard j >= 1, j <= c else { throw bad(line, "column \(j) is outside 1…\(c)") }
            let v = fields == 3 ? try number(t[2], line) : 1
            if symmetric && j > i { throw bad(line, "entry (\(i), \(j)) lies above the diagonal of a symmetric file") }
            triplets.append((i - 1, j - 1, v))
            if symmetric && i != j { triplets.append((j - 1, i - 1, v)) }
        }
        if let (line, _) = nextData() { throw bad(line, "more entries than the \(count) the size line announces") }
        return .sparse(try CSRMatrix(rows: r, cols: c, triplets: triplets))
    }

    /// Writes a sparse matrix as `coordinate real general`.
    ///
    /// - Parameters:
    ///   - a: The matrix.
    ///   - path: The destination (`SafeFile.write`: a temporary file and a rename).
    /// - Throws: `PathError`, `FileFormatError.io`.
    public static func write(_ a: CSRMatrix, path: String) throws {
        var text = "%%MatrixMarket matrix coordinate real general\n% written by ritz\n\(a.rows) \(a.cols) \(a.nnz)\n"
        text.reserveCapacity(text.count + a.nnz * 32)
        for i in 0..<a.rows {
            for k in a.rowPtr[i]..<a.rowPtr[i + 1] {
                text += "\(i + 1) \(a.colIdx[k] + 1) " + String(format: "%.17g", a.values[k]) + "\n"
            }
        }
        try SafeFile.write(text, to: path)
    }
}
