import Foundation
import Testing
@testable import RitzTensor

/// `.npz` members of every dtype ritz reads, written by NumPy (`Fixtures/make_npz_dtypes.py`,
/// stored and deflated), and an archive ritz wrote that the same script has loaded with NumPy.
@Suite struct NPZDTypeTests {
    nonisolated(unsafe) static let reference = Fixture.load("npz/dtypes.json")

    /// A member's expected tensor from `dtypes.json`: integers as int64, `b1` as bool, complex
    /// as complex128, floats (f4 widened exactly) as float64.
    static func expected(_ name: String) throws -> Tensor {
        guard let entry = reference[name] as? [String: Any], let shape = entry["shape"] as? [Any],
              let dtype = entry["dtype"] as? String, let values = entry["values"] as? [Any] else {
            throw FixtureError.missing("npz/dtypes.json \(name)")
        }
        let dims = shape.compactMap { ($0 as? NSNumber)?.intValue ?? ($0 as? Double).map(Int.init) }
        func number(_ v: Any) -> Double {
            if let s = v as? String { return Double(s) ?? .nan }
            return (v as? NSNumber)?.doubleValue ?? (v as? Double) ?? .nan
        }
        if dtype.contains("c") {
            let parts = values.flatMap { (($0 as? [Any]) ?? []).map(number) }
            return try Tensor(shape: dims, storage: parts, dtype: .complex128)
        }
        let storage = values.map(number)
        let kind: DType = dtype.contains("b") ? .bool : (dtype.contains("i") || dtype.contains("u") ? .int64 : .float64)
        return try Tensor(shape: dims, storage: storage, dtype: kind)
    }

    @Test(arguments: ["dtypes.npz", "dtypes_deflated.npz"])
    func readsEveryDTypeNumPyWrites(file: String) throws {
        let members = try Tensor.loadNPZ(path: Fixture.path("npz/" + file))
        #expect(members.count == Self.reference.count)
        #expect(members.map(\.name).contains("c8") && members.map(\.name).contains("f8_fortran"))
        // Exact: each value is copied (or widened from f4/c8/small integers, which is exact).
        for (name, tensor) in members { expectSame(tensor, try Self.expected(name), name) }
    }

    @Test func writesTheBytesNumPyHasRead() throws {
        // `make_npz_dtypes.py` asserts that numpy.load reads this file as these arrays and
        // dtypes; ritz must keep writing exactly these bytes (fixed timestamps, deflate level).
        let members: [(name: String, tensor: Tensor)] = [
            ("w", try Tensor(shape: [2, 2], storage: [1.5, -2, 0.25, 1e300])),
            ("i", Tensor(integers: [1, 2, 0])),
            ("mask", try Tensor(shape: [3], storage: [1, 0, 1], dtype: .bool)),
            ("z", try Tensor(shape: [2], storage: [1, 2, -0.0, -0.5], dtype: .complex128)),   // -0.5im: real part −0
        ]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ritz-npz-written-\(getpid()).npz").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Tensor.saveNPZ(members, path: path, compressed: true)
        #expect(try SafeFile.read(path) == SafeFile.read(Fixture.path("npz/written_by_ritz.npz")))
        let back = try Tensor.loadNPZ(path: path)
        for (a, b) in zip(back, members) { expectSame(a.tensor, b.tensor, a.name) }
    }
}
