import Foundation

/// NumPy's `.npy` format (numpy/lib/format.py, "NEP 1"): the magic `\x93NUMPY`, a version
/// byte pair, a little-endian header length (2 bytes in 1.0, 4 bytes in 2.0 and 3.0), an
/// ASCII (UTF-8 in 3.0) Python dict literal `{'descr': …, 'fortran_order': …, 'shape': (…), }`
/// padded with spaces and a newline, then the raw data.
extension Tensor {
    /// Reads a `.npy` file.
    ///
    /// Accepts format versions 1.0–3.0, C or Fortran order, and the dtypes `f8 f4 i8 i4 i2 i1
    /// u8 u4 u2 u1 b1 c16 c8` in either byte order. Integers become int64 tensors (float64, rounded,
    /// when a value lies beyond ±2⁵³), float32 becomes float64, `b1` a bool tensor, `c16`/`c8`
    /// complex128.
    /// - Parameter path: the file to read (through `SafeFile.read`).
    /// - Returns: The array.
    /// - Throws: `PathError` for a path with control characters; `FileFormatError.io` when the
    ///   file cannot be read or is larger than the allocation limit, `.malformed` for a bad magic,
    ///   header or truncated data, `.unsupported` for object, string or structured dtypes;
    ///   `TensorError.tooLarge` above the allocation limit.
    public static func loadNPY(path: String) throws -> Tensor {
        try decodeNPY(SafeFile.read(path, maxBytes: AllocationLimit.bytes), path: path)
    }

    /// Writes this tensor as a `.npy` file, format 1.0 (2.0 only if the header would not fit),
    /// C order: `<f8` for float64, `<c16` for complex128, `|b1` for bool and `<i8` for int64.
    ///
    /// The file is written by `SafeFile.write`: through a temporary file and a rename, so an
    /// existing file is never left half-written.
    /// - Parameter path: the destination.
    /// - Throws: `PathError` for a path with control characters, `FileFormatError.io` when the
    ///   file cannot be written.
    public func saveNPY(path: String) throws {
        try SafeFile.write(encodeNPY(), to: path)
    }

    /// The bytes of this tensor's `.npy` encoding.
    func encodeNPY() -> [UInt8] {
        let descr: String
        switch dtype {
        case .float64: descr = "<f8"
        case .complex128: descr = "<c16"
        case .bool: descr = "|b1"
        case .int64: descr = "<i8"
        }
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Pad with spaces so magic + version + length + header + "\n" is a multiple of 64.
        var preamble = 10
        var total = preamble + header.utf8.count + 1
        if total - preamble > 65535 {
            preamble = 12
            total = preamble + header.utf8.count + 1
        }
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8)
        let headerBytes = Array(header.utf8)
        if preamble == 10 {
            out += [1, 0, UInt8(headerBytes.count & 0xFF), UInt8(headerBytes.count >> 8)]
        } else {
            let n = UInt32(headerBytes.count)
            out += [2, 0, UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8(n >> 24)]
        }
        out += headerBytes
        if dtype == .bool {
            out += storage.map { $0 != 0 ? 1 : 0 }
        } else if dtype == .int64 {
            out.reserveCapacity(out.count + storage.count * 8)
            for x in storage {
                // Exact: int64 tensors hold integers within ±2⁵³.
                let bits = Int64(x).littleEndian
                withUnsafeBytes(of: bits) { out += $0 }
            }
        } else {
            out.reserveCapacity(out.count + storage.count * 8)
            for x in storage {
                let bits = x.bitPattern.littleEndian
                withUnsafeBytes(of: bits) { out += $0 }
            }
        }
        return out
    }

    /// Decodes the bytes of a `.npy` file; `path` names it in errors.
    static func decodeNPY(_ bytes: [UInt8], path: String) throws -> Tensor {
        func malformed(_ reason: String) -> FileFormatError { .malformed(path: path, reason: reason) }
        let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
        guard bytes.count >= 10 else { throw malformed("file of \(bytes.count) bytes is too short for a .npy header") }
        guard Array(bytes[0..<6]) == magic else { throw malformed("bad magic string (not a .npy file)") }
        let major = bytes[6], minor = bytes[7]
        let headerLength: Int, headerStart: Int
        switch (major, minor) {
        case (1, 0):
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case (2, 0), (3, 0):
            guard bytes.count >= 12 else { throw malformed("file too short for a version \(major).0 header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw FileFormatError.unsupported(path: path, reason: "format version \(major).\(minor) (ritz reads 1.0, 2.0 and 3.0)")
        }
        guard headerLength <= bytes.count - headerStart else {
            throw malformed("truncated header: \(headerLength) bytes announced, \(bytes.count - headerStart) present")
        }
        let headerBytes = bytes[headerStart..<(headerStart + headerLength)]
        guard let text = String(bytes: headerBytes, encoding: major == 3 ? .utf8 : .ascii) else {
            throw malformed("header is not \(major == 3 ? "UTF-8" : "ASCII") text")
        }
        let header = try NPYHeader.parse(text, path: path)
        let spec = try NPYDescr(header.descr, path: path)
        let dataStart = headerStart + headerLength
        let count = try Tensor.elementCount(header.shape, complex: spec.isComplex)
        let (expected, overflow) = count.multipliedReportingOverflow(by: spec.itemSize)
        guard !overflow else { throw TensorError.tooLarge(bytes: Int.max, limit: AllocationLimit.bytes) }
        let available = bytes.count - dataStart
        guard available >= expected else {
            throw malformed("truncated data: shape \(formatShape(header.shape)) of \(header.descr) needs \(expected) bytes, found \(available)")
        }
        guard available == expected else {
            throw malformed("\(available - expected) unexpected bytes after the data")
        }
        let values = try bytes.withUnsafeBufferPointer { buffer in
            try spec.decode(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[dataStart...]), count: count)
        }
        let dtype: DType
        if spec.isComplex {
            dtype = .complex128
        } else if spec.kind == "b" {
            dtype = .bool
        } else if spec.kind == "i" || spec.kind == "u" {
            dtype = values.allSatisfy({ Swift.abs($0) <= DType.exactIntegerLimit }) ? .int64 : .float64
        } else {
            dtype = .float64
        }
        if header.fortranOrder && header.shape.count > 1 {
            // Column-major data read as the reversed shape is the transpose; transpose back.
            let reversed = Tensor(unchecked: Array(header.shape.reversed()), values, dtype: dtype)
            return try reversed.transposed()
        }
        return Tensor(unchecked: header.shape, values, dtype: dtype)
    }
}

/// The parsed header dict of a `.npy` file.
struct NPYHeader {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]

    /// Parses the Python literal `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
    static func parse(_ text: String, path: String) throws -> NPYHeader {
        var p = Parser(chars: Array(text.unicodeScalars), path: path)
        var descr: String?, fortran: Bool?, shape: [Int]?
        try p.expect("{")
        while true {
            p.skipSpace()
            if p.peek == "}" { p.advance(); break }
            let key = try p.string()
            try p.expect(":")
            switch key {
            case "descr":
                p.skipSpace()
                guard p.peek == "'" || p.peek == "\"" else {
                    throw FileFormatError.unsupported(path: path, reason: "structured dtype (a list descr); ritz reads plain numeric arrays")
                }
                descr = try p.string()
            case "fortran_order": fortran = try p.bool()
            case "shape": shape = try p.tuple()
            default: throw p.error("unexpected key '\(FileFormatError.excerpt(key))' in header")
            }
            p.skipSpace()
            if p.peek == "," { p.advance(); continue }
            try p.expect("}")
            break
        }
        p.skipSpace()
        guard p.atEnd else { throw p.error("unexpected text after the header dict") }
        guard let descr else { throw p.error("header has no 'descr'") }
        guard let fortran else { throw p.error("header has no 'fortran_order'") }
        guard let shape else { throw p.error("header has no 'shape'") }
        return NPYHeader(descr: descr, fortranOrder: fortran, shape: shape)
    }

    /// A small recursive-descent reader for the subset of Python literals the header uses.
    private struct Parser {
        let chars: [Unicode.Scalar]
        let path: String
        var i = 0

        var atEnd: Bool { i >= chars.count }
        var peek: Unicode.Scalar? { i < chars.count ? chars[i] : nil }
        mutating func advance() { i += 1 }

        func error(_ reason: String) -> FileFormatError { .malformed(path: path, reason: "bad header: \(reason)") }

        mutating func skipSpace() {
            while let c = peek, c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1 }
        }

        mutating func expect(_ c: Unicode.Scalar) throws {
            skipSpace()
            guard peek == c else { throw error("expected '\(c)' at offset \(i)") }
            i += 1
        }

        mutating func string() throws -> String {
            skipSpace()
            guard let q = peek, q == "'" || q == "\"" else { throw error("expected a quoted string at offset \(i)") }
            i += 1
            var s = String.UnicodeScalarView()
            while let c = peek, c != q {
                s.append(c); i += 1
            }
            guard peek == q else { throw error("unterminated string") }
            i += 1
            return String(s)
        }

        mutating func bool() throws -> Bool {
            skipSpace()
            if matchWord("True") { return true }
            if matchWord("False") { return false }
            throw error("expected True or False at offset \(i)")
        }

        mutating func matchWord(_ w: String) -> Bool {
            let scalars = Array(w.unicodeScalars)
            guard i + scalars.count <= chars.count, Array(chars[i..<(i + scalars.count)]) == scalars else { return false }
            i += scalars.count
            return true
        }

        mutating func tuple() throws -> [Int] {
            try expect("(")
            var dims = [Int]()
            while true {
                skipSpace()
                if peek == ")" { i += 1; break }
                var digits = ""
                while let c = peek, ("0"..."9").contains(c) { digits.unicodeScalars.append(c); i += 1 }
                // Python 2 headers may write long integers as `3L`.
                if peek == "L" { i += 1 }
                guard !digits.isEmpty else { throw error("expected a non-negative integer in shape at offset \(i)") }
                guard let d = Int(digits) else { throw error("dimension \(FileFormatError.excerpt(digits)) is too large") }
                dims.append(d)
                skipSpace()
                if peek == "," { i += 1; continue }
                try expect(")")
                break
            }
            return dims
        }
    }
}

/// A numeric dtype string such as `<f8`, `>i4`, `|b1`.
struct NPYDescr {
    let bigEndian: Bool
    let kind: Character
    let size: Int

    var isComplex: Bool { kind == "c" }
    var itemSize: Int { size }

    init(_ descr: String, path: String) throws {
        guard let order = descr.first, "<>|=".contains(order), descr.count >= 3 else {
            if descr.contains("O") {
                throw FileFormatError.unsupported(path: path, reason: "object arrays (dtype '\(FileFormatError.excerpt(descr))') cannot be loaded")
            }
            throw FileFormatError.malformed(path: path, reason: "bad dtype descriptor '\(FileFormatError.excerpt(descr))'")
        }
        let kind = descr[descr.index(after: descr.startIndex)]
        let size = Int(descr.dropFirst(2)) ?? -1
        let supported: [Character: Set<Int>] = ["f": [4, 8], "i": [1, 2, 4, 8], "u": [1, 2, 4, 8], "b": [1], "c": [8, 16]]
        guard let sizes = supported[kind], sizes.contains(size) else {
            if kind == "O" {
                throw FileFormatError.unsupported(path: path, reason: "object arrays (dtype '\(FileFormatError.excerpt(descr))') cannot be loaded")
            }
            throw FileFormatError.unsupported(path: path, reason: "dtype '\(FileFormatError.excerpt(descr))' (ritz reads f8 f4 i8 i4 i2 i1 u8 u4 u2 u1 b1 c16 c8)")
        }
        self.bigEndian = order == ">"
        self.kind = kind
        self.size = size
    }

    /// Decodes `count` items (complex items give two doubles each).
    func decode(_ raw: UnsafeRawBufferPointer, count: Int) throws -> [Double] {
        let width = isComplex ? 2 : 1
        let partSize = isComplex ? size / 2 : size
        return try makeStorage(count * width) { out in
            for k in 0..<(count * width) {
                out[k] = value(raw, offset: k * partSize, size: partSize)
            }
        }
    }

    private func value(_ raw: UnsafeRawBufferPointer, offset: Int, size: Int) -> Double {
        var bits: UInt64 = 0
        for b in 0..<size {
            let byte = UInt64(raw[offset + (bigEndian ? size - 1 - b : b)])
            bits |= byte << (8 * UInt64(b))
        }
        switch (kind, size) {
        case ("f", 8), ("c", 8): return Double(bitPattern: bits)
        case ("f", 4), ("c", 4): return Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case ("i", 8): return Double(Int64(bitPattern: bits))
        case ("i", 4): return Double(Int32(truncatingIfNeeded: bits))
        case ("i", 2): return Double(Int16(truncatingIfNeeded: bits))
        case ("i", 1): return Double(Int8(truncatingIfNeeded: bits))
        case ("b", _): return bits != 0 ? 1 : 0
        default: return Double(bits)   // unsigned
        }
    }
}
