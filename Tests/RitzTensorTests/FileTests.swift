import Foundation
import Testing
@testable import RitzTensor

/// `.npy` and CSV files: fixtures written by NumPy (`Fixtures/npy/*.npy`, `Fixtures/table.csv`,
/// made by make_fixtures.py) must load exactly; saved files must load back bit for bit;
/// malformed files must be refused with an error naming the file.
@Suite struct FileTests {
    static let npyNames = ["f8_c", "f8_fortran", "f8_big", "f8_3d_fortran", "f4_c", "f4_big_fortran", "i8_c", "i8_fortran",
                           "i4_c", "i4_big", "b1_c", "b1_fortran", "c16_c", "c16_fortran", "c16_big", "scalar",
                           "vector", "empty", "f8_v2", "f8_v3"]

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ritz-\(UUID().uuidString)-\(name)").path
    }

    /// Exact: every dtype here converts to float64 (integers to int64) without rounding.
    @Test(arguments: npyNames)
    func loadsNumPyFile(name: String) throws {
        let t = try Tensor.loadNPY(path: Fixture.path("npy/\(name).npy"))
        let c = try Fixture.dict("npy", name)
        let expected = try Fixture.tensor(from: c)
        #expect(t.dtype.description == (c["dtype"] as? String), "dtype")
        #expect(t.shape == expected.shape)
        #expect(t.storage == (expected.dtype == .complex128 || t.isComplex ? expected.asComplex().storage : expected.storage))
    }

    @Test(arguments: ["float64", "complex128", "bool", "scalar", "empty"])
    func saveRoundTripsExactly(kind: String) throws {
        var rng = RandomGenerator(seed: 7)
        let t: Tensor
        switch kind {
        case "float64": t = try Tensor.randn([3, 4, 2], using: &rng)
        case "complex128": t = try Tensor.complex(re: Tensor.randn([5], using: &rng), im: Tensor.randn([5], using: &rng))
        case "bool": t = try Tensor.randn([4, 3], using: &rng).binary(.gt, Tensor(0))
        case "scalar": t = Tensor(-0.0)
        default: t = try Tensor.zeros([0, 3])
        }
        let path = Self.temporaryPath("\(kind).npy")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try t.saveNPY(path: path)
        let back = try Tensor.loadNPY(path: path)
        #expect(back.shape == t.shape && back.dtype == t.dtype)
        #expect(back.storage.map(\.bitPattern) == t.storage.map(\.bitPattern))
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes[6] == 1 && bytes[7] == 0, "version 1.0")
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect((10 + headerLength) % 64 == 0, "header padded to 64 bytes")
        #expect(bytes[10 + headerLength - 1] == 0x0A)
    }

    @Test(arguments: ["object", "strings", "structured"])
    func unsupportedDTypesAreRefused(name: String) throws {
        let path = Fixture.path("npy/\(name).npy")
        do {
            _ = try Tensor.loadNPY(path: path)
            Issue.record("\(name) loaded")
        } catch let FileFormatError.unsupported(p, reason) {
            #expect(p == path)
            #expect(!reason.isEmpty)
            if name == "object" { #expect(reason.contains("object")) }
        }
    }

    static let malformedCases: [(String, @Sendable ([UInt8]) -> [UInt8], String)] = [
        ("truncated data", { Array($0.dropLast(5)) }, "truncated"),
        ("truncated header", { Array($0.prefix(30)) }, "truncated"),
        ("too short", { Array($0.prefix(4)) }, "short"),
        ("bad magic", { var b = $0; b[1] = UInt8(ascii: "X"); return b }, "magic"),
        ("bad header", { replace($0, "'shape'", "'shapf'") }, "header"),
        ("bad shape", { replace($0, "(2, 3)", "(2, x)") }, "header"),
        ("bad bool", { replace($0, "False", "Nope ") }, "header"),
        ("unclosed dict", { replace($0, "}", " ") }, "header"),
        ("bad descr", { replace($0, "'<f8'", "'?f8'") }, "dtype"),
        ("trailing bytes", { $0 + [1, 2, 3] }, "unexpected bytes"),
    ]

    /// `bytes` with the first occurrence of `a` replaced by `b` (byte-wise; the magic is not UTF-8).
    static func replace(_ bytes: [UInt8], _ a: String, _ b: String) -> [UInt8] {
        let pattern = Array(a.utf8)
        guard let start = (0...(bytes.count - pattern.count)).first(where: { Array(bytes[$0..<($0 + pattern.count)]) == pattern }) else {
            return bytes
        }
        return Array(bytes[..<start]) + Array(b.utf8) + Array(bytes[(start + pattern.count)...])
    }

    @Test(arguments: malformedCases.map(\.0))
    func malformedFilesAreRefused(name: String) throws {
        guard let (_, corrupt, word) = Self.malformedCases.first(where: { $0.0 == name }) else { return }
        let good = try Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6]).encodeNPY()
        let path = Self.temporaryPath("bad.npy")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(corrupt(good)).write(to: URL(fileURLWithPath: path))
        do {
            _ = try Tensor.loadNPY(path: path)
            Issue.record("\(name) loaded")
        } catch let FileFormatError.malformed(p, reason) {
            #expect(p == path)
            #expect(reason.contains(word), "\(reason)")
        }
    }

    @Test func missingFileAndHugeShape() throws {
        #expect(throws: FileFormatError.self) { try Tensor.loadNPY(path: "/nonexistent/x.npy") }
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }\n"
        bytes += [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8)
        #expect(throws: TensorError.self) { try Tensor.decodeNPY(bytes, path: "huge.npy") }
        let unsupportedVersion: [UInt8] = [0x93] + Array("NUMPY".utf8) + [9, 0, 0, 0]
        #expect(throws: FileFormatError.unsupported(path: "v.npy", reason: "format version 9.0 (ritz reads 1.0, 2.0 and 3.0)")) {
            try Tensor.decodeNPY(unsupportedVersion, path: "v.npy")
        }
    }

    // MARK: CSV

    @Test func loadsNumPyCSVWithHeader() throws {
        let t = try Tensor.loadCSV(path: Fixture.path("table.csv"))
        #expect(t == (try Fixture.tensor("csv", "table")))
    }

    @Test(arguments: [[3, 4], [5], [1, 3]])
    func csvRoundTripsExactly(shape: [Int]) throws {
        var rng = RandomGenerator(seed: 11)
        let t = try Tensor.randn(shape, using: &rng).binary(.mul, Tensor(1e5))
        let path = Self.temporaryPath("t.csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try t.saveCSV(path: path)
        let back = try Tensor.loadCSV(path: path)
        // As numpy.loadtxt, a single row or column reads back as a vector.
        #expect(back.storage == t.storage)
        #expect(back.shape == (shape.count == 2 && shape[0] > 1 ? shape : [t.count]))
    }

    @Test func csvParsing() throws {
        #expect(try Tensor.parseCSV("1, 2\r\n3,4\n\n", path: "a.csv") == (try Tensor(rows: [[1, 2], [3, 4]])))
        let special = try Tensor.parseCSV("x\nnan\ninf\n-inf\n", path: "b.csv")
        #expect(special.shape == [3] && special.storage[0].isNaN && special.storage[1] == .infinity)
        #expect(try Tensor.parseCSV("", path: "e.csv").shape == [0])
        #expect(throws: FileFormatError.malformed(path: "c.csv", reason: "row 2 (line 2) has 3 fields, earlier rows have 2")) {
            try Tensor.parseCSV("1,2\n1,2,3\n", path: "c.csv")
        }
        #expect(throws: FileFormatError.malformed(path: "d.csv", reason: "row 3 (line 3), column 2: 'oops' is not a number")) {
            try Tensor.parseCSV("a,b\n1,2\n3,oops\n", path: "d.csv")
        }
        #expect(throws: FileFormatError.self) { try Tensor.loadCSV(path: "/nonexistent/x.csv") }
        #expect(throws: ShapeError.self) { try Tensor.zeros([2, 2, 2]).saveCSV(path: Self.temporaryPath("x.csv")) }
        #expect(throws: TensorError.self) { try Tensor(re: 1, im: 2).saveCSV(path: Self.temporaryPath("x.csv")) }
    }
}
