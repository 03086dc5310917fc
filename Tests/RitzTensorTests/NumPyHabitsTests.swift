import Foundation
import Testing
@testable import RitzTensor

/// The references of `Fixtures/make_numpy_habits.py` (NumPy 2.4): `numpy_habits.json`, where
/// NaN and infinities are the strings "nan", "inf", "-inf" and each tensor names its dtype.
enum Habits {
    nonisolated(unsafe) static let root: [String: Any] = {
        guard let data = try? Data(contentsOf: Fixture.directory.appendingPathComponent("numpy_habits.json")),
              let text = String(data: data, encoding: .utf8) else { return [:] }
        var parser = MiniJSON(Array(text.utf8))
        return (try? parser.value()) as? [String: Any] ?? [:]
    }()

    static func any(_ keys: [String]) throws -> Any {
        var current: Any = root
        for k in keys {
            guard let d = current as? [String: Any], let next = d[k] else { throw FixtureError.missing(keys.joined(separator: ".")) }
            current = next
        }
        return current
    }

    static func number(_ v: Any) -> Double? {
        if let x = v as? Double { return x }
        switch v as? String {
        case "nan": return .nan
        case "inf": return .infinity
        case "-inf": return -.infinity
        default: return nil
        }
    }

    /// The tensor at a path of keys, in its NumPy dtype (int64, bool or float64).
    static func tensor(_ keys: String...) throws -> Tensor {
        guard let d = try any(keys) as? [String: Any], let shape = d["shape"] as? [Any], let data = d["data"] as? [Any] else {
            throw FixtureError.notTensor
        }
        let t = try Tensor(shape: shape.compactMap { ($0 as? Double).map { Int($0) } }, storage: data.compactMap(number))
        switch d["dtype"] as? String {
        case "int64": return try t.asInt64()
        case "bool": return t.asBool()
        default: return t
        }
    }

    static func scalar(_ keys: String...) throws -> Double {
        guard let x = number(try any(keys)) else { throw FixtureError.missing(keys.joined(separator: ".")) }
        return x
    }
}

/// Equal shape, dtype and values, NaN equal to NaN (Tensor's ==).
func expectSame(_ a: Tensor, _ b: Tensor, _ note: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a == b, "\(note): \(a.dtype) \(a.shape) \(a.storage) vs \(b.dtype) \(b.shape) \(b.storage)", sourceLocation: sourceLocation)
}

/// Equal shape and dtype, NaN where the reference has NaN, else |a − b| ≤ tol·max(1, |b|).
func expectNear(_ a: Tensor, _ b: Tensor, tol: Double, _ note: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.shape == b.shape && a.dtype == b.dtype, "\(note): \(a.dtype) \(a.shape) vs \(b.dtype) \(b.shape)", sourceLocation: sourceLocation)
    guard a.storage.count == b.storage.count else { return }
    for (x, y) in zip(a.storage, b.storage) {
        let ok = y.isNaN ? x.isNaN : (x == y || Swift.abs(x - y) <= tol * Swift.max(1, Swift.abs(y)))
        #expect(ok, "\(note): \(x) vs \(y)", sourceLocation: sourceLocation)
    }
}

struct NumPyHabitsTests {
    @Test(arguments: ["ties", "with_nan", "empty"])
    func sortArgsortAndUniqueMatchNumPy(input: String) throws {
        let x = try Habits.tensor("inputs", input)
        // Orders are exact: the same comparisons, NaN last, ties by position (kind="stable").
        expectSame(try x.sorted(), try Habits.tensor("sort", input, "sort"), "sort")
        expectSame(try x.argsorted(), try Habits.tensor("sort", input, "argsort"), "argsort")
        let u = try x.unique()
        expectSame(u.values, try Habits.tensor("sort", input, "unique"), "unique")
        expectSame(u.index, try Habits.tensor("sort", input, "unique_index"), "unique index")
        expectSame(u.counts, try Habits.tensor("sort", input, "unique_counts"), "unique counts")
    }

    @Test func sortAndArgsortAlongEachAxis() throws {
        let m = try Habits.tensor("inputs", "M")
        expectSame(try m.sorted(axis: 0), try Habits.tensor("sort", "M", "sort_axis0"), "axis 0")
        expectSame(try m.sorted(axis: 1), try Habits.tensor("sort", "M", "sort_axis1"), "axis 1")
        expectSame(try m.sorted(axis: nil), try Habits.tensor("sort", "M", "sort_flat"), "flattened")
        expectSame(try m.argsorted(axis: 0), try Habits.tensor("sort", "M", "argsort_axis0"), "argsort axis 0 with a tie")
        expectSame(try m.argsorted(axis: -1), try Habits.tensor("sort", "M", "argsort_axis1"), "argsort axis 1")
        #expect(throws: ShapeError.self) { try m.sorted(axis: 2) }
    }

    @Test func searchsortedBothSides() throws {
        let a = try Habits.tensor("searchsorted", "a"), v = try Habits.tensor("searchsorted", "v")
        expectSame(try a.searchSorted(v), try Habits.tensor("searchsorted", "left"), "left")
        expectSame(try a.searchSorted(v, right: true), try Habits.tensor("searchsorted", "right"), "right")
        #expect(throws: ShapeError.self) { try Tensor.eye(2).searchSorted(v) }
    }

    @Test func medianAndQuantilesMatchNumPy() throws {
        let ties = try Habits.tensor("inputs", "ties"), nan = try Habits.tensor("inputs", "with_nan")
        let empty = try Habits.tensor("inputs", "empty"), m = try Habits.tensor("inputs", "M")
        let q = try Habits.tensor("order_statistics", "q")
        // Medians are a middle element or one mean of two: exact.
        #expect(try ties.median().scalarValue == Habits.scalar("order_statistics", "median_ties"))
        #expect(try nan.median().scalarValue?.isNaN == true)
        #expect(try empty.median().scalarValue?.isNaN == true)
        expectSame(try m.median(axis: 0), try Habits.tensor("order_statistics", "median_M_axis0"), "median axis 0")
        expectSame(try m.median(axis: 1), try Habits.tensor("order_statistics", "median_M_axis1"), "median axis 1")
        // One interpolation a + t(b − a) of values ≤ 10 in size: a few ulps, 4ε relative.
        let tol = 4 * Double.ulpOfOne
        expectNear(try ties.quantile(q), try Habits.tensor("order_statistics", "quantile_ties"), tol: tol, "quantile")
        expectNear(try m.quantile(q, axis: 0), try Habits.tensor("order_statistics", "quantile_M_axis0"), tol: tol, "quantile axis 0")
        expectNear(try m.quantile(Tensor(0.3), axis: 1), try Habits.tensor("order_statistics", "quantile_M_axis1_scalar"), tol: tol, "scalar q")
        expectNear(try nan.quantile(q), try Habits.tensor("order_statistics", "quantile_nan"), tol: tol, "NaN")
        // percentile divides q by 100 first, which rounds: one more ulp.
        let p = try Tensor([5, 50, 95]).binary(.div, Tensor(100))
        expectNear(try m.quantile(p), try Habits.tensor("order_statistics", "percentile_M"), tol: 8 * Double.ulpOfOne, "percentile")
        #expect(throws: TensorError.self) { try ties.quantile(Tensor(1.5)) }
        #expect(throws: TensorError.self) { try empty.quantile(Tensor(0.5)) }
    }

    @Test func histogramMatchesNumPy() throws {
        let data = try Habits.tensor("histogram", "data")
        let h = try data.histogram(bins: 7)
        expectSame(h.counts, try Habits.tensor("histogram", "counts"), "counts")
        // Edges are linspace's: start + i·step, at most one rounding apart from NumPy's.
        expectNear(h.edges, try Habits.tensor("histogram", "edges"), tol: 2 * Double.ulpOfOne, "edges")
        let c = try Tensor.full([5], 2).histogram(bins: 4)
        expectSame(c.counts, try Habits.tensor("histogram", "const_counts"), "constant data")
        expectNear(c.edges, try Habits.tensor("histogram", "const_edges"), tol: 2 * Double.ulpOfOne, "constant edges")
        let r = try data.histogram(bins: 5, range: (-1, 1))
        expectSame(r.counts, try Habits.tensor("histogram", "range_counts"), "range")
        let e = try Habits.tensor("histogram", "edge_data").histogram(bins: 10)
        expectSame(e.counts, try Habits.tensor("histogram", "edge_counts"), "values on edges")
        #expect(throws: TensorError.self) { try Tensor([1, .nan]).histogram(bins: 3) }
        #expect(throws: TensorError.self) { try data.histogram(bins: 0) }
    }

    @Test func covarianceAndCorrelationMatchNumPy() throws {
        let x = try Habits.tensor("cov", "X")
        // Sums of 12 products of O(1) values, one division: 1e-14 relative covers 12·ε·‖x‖² growth.
        expectNear(try x.covariance(), try Habits.tensor("cov", "cov"), tol: 1e-14, "cov")
        expectNear(try x.covariance(ddof: 0), try Habits.tensor("cov", "cov_ddof0"), tol: 1e-14, "ddof 0")
        expectNear(try x.correlation(), try Habits.tensor("cov", "corrcoef"), tol: 1e-14, "corrcoef")
        let first = try Tensor(shape: [12], storage: Array(x.storage[0..<12]))
        let variance = try first.covariance()
        #expect(variance.ndim == 0)
        #expect(abs((variance.scalarValue ?? .nan) - (try Habits.scalar("cov", "cov_vector"))) < 1e-14)
    }

    @Test func iscloseMatchesNumPy() throws {
        let a = try Habits.tensor("isclose", "a"), b = try Habits.tensor("isclose", "b")
        expectSame(try Tensor.isClose(a, b), try Habits.tensor("isclose", "default"), "defaults")
        expectSame(try Tensor.isClose(a, b, equalNaN: true), try Habits.tensor("isclose", "equal_nan"), "equal_nan")
        expectSame(try Tensor.isClose(a, b, rtol: 1e-7, atol: 0), try Habits.tensor("isclose", "tight"), "tight")
    }

    @Test func rearrangementsMatchNumPy() throws {
        let m = try Habits.tensor("arrange", "M"), t = try Habits.tensor("arrange", "T")
        func ref(_ k: String) throws -> Tensor { try Habits.tensor("arrange", k) }
        expectSame(try m.triangle(k: 0, lower: true), try ref("tril"), "tril")
        expectSame(try m.triangle(k: 1, lower: true), try ref("tril_k1"), "tril k=1")
        expectSame(try m.triangle(k: -2, lower: true), try ref("tril_km2"), "tril k=-2")
        expectSame(try m.triangle(k: 0, lower: false), try ref("triu"), "triu")
        expectSame(try m.triangle(k: 2, lower: false), try ref("triu_k2"), "triu k=2")
        expectSame(try t.triangle(k: -1, lower: false), try ref("triu_T"), "triu of a stack")
        expectSame(try m.rolled(7, axis: nil), try ref("roll_flat"), "roll flat")
        expectSame(try m.rolled(-1, axis: 0), try ref("roll_axis0"), "roll axis 0")
        expectSame(try m.rolled(12, axis: 1), try ref("roll_axis1"), "roll axis 1")
        expectSame(try t.flipped(axis: nil), try ref("flip_all"), "flip")
        expectSame(try t.flipped(axis: 1), try ref("flip_axis1"), "flip axis 1")
        expectSame(try m.repeated(2, axis: nil), try ref("repeat_flat"), "repeat")
        expectSame(try t.repeated(3, axis: 1), try ref("repeat_axis1"), "repeat axis 1")
        expectSame(try m.tiled([2]), try ref("tile_2"), "tile 2")
        expectSame(try t.tiled([2, 1, 3]), try ref("tile_2_1_3"), "tile per axis")
        expectSame(try Tensor([1, 2]).tiled([3, 2]), try ref("tile_3_2"), "tile to more axes")
        let g = try Tensor.meshgrid(Tensor([1, 2, 3]), Tensor([10, 20]))
        expectSame(g.x, try ref("meshgrid_x"), "meshgrid x")
        expectSame(g.y, try ref("meshgrid_y"), "meshgrid y")
        #expect(throws: ShapeError.self) { try Tensor([1, 2]).triangle(k: 0, lower: true) }
        #expect(throws: TensorError.self) { try m.repeated(-1, axis: nil) }
    }

    @Test func matrixNormsMatchNumPy() throws {
        let m = try Habits.tensor("norms", "M")
        // Sums of |a_ij| are exact to a few ulps; singular values from dgesdd agree with NumPy's
        // (also LAPACK) to n·ε·σ₁, 1e-14 relative here.
        let cases: [(MatrixNormOrder, String)] = [(.frobenius, "fro"), (.nuclear, "nuc"), (.p(2), "two"), (.p(-2), "minus_two"),
                                                   (.p(1), "one"), (.p(-1), "minus_one"), (.p(.infinity), "inf"), (.p(-.infinity), "minus_inf")]
        for (ord, key) in cases {
            let want = try Habits.scalar("norms", key)
            #expect(abs(try m.matrixNorm(ord) - want) <= 1e-14 * want, "\(key)")
        }
        #expect(throws: TensorError.self) { try m.matrixNorm(.p(3)) }
    }

    @Test func int64ArithmeticFollowsNumPyPromotion() throws {
        let i = try Tensor([3, 0, 2]).asInt64()
        #expect(try i.binary(.add, i).dtype == .int64)
        #expect(try i.binary(.add, Tensor(1)).dtype == .int64)        // an integral number is a weak int scalar
        #expect(try i.binary(.add, Tensor(0.5)).dtype == .float64)
        #expect(try i.binary(.div, i).dtype == .float64)              // true division is float, as NumPy's /
        #expect(try i.binary(.mod, Tensor(2)).dtype == .int64)
        #expect(try i.binary(.add, Tensor([1, 1, 1])).dtype == .float64)
        #expect(try i.unary(.neg).dtype == .int64 && i.unary(.exp).dtype == .float64)
        #expect(try i.reduce(.sum).dtype == .int64 && i.reduce(.mean).dtype == .float64)
        #expect(try Tensor([1, 5, 2]).reduce(.argmax).dtype == .int64)
        #expect(throws: TensorError.self) { try Tensor([0.5]).asInt64() }
        let big = try Tensor([DType.exactIntegerLimit]).asInt64()
        #expect(try big.binary(.add, big).dtype == .float64)          // past 2⁵³ doubles are no longer exact
    }
}

struct NPZTests {
    @Test(arguments: ["stored.npz", "deflated.npz"])
    func readsNumPyArchives(file: String) throws {
        let members = try Tensor.loadNPZ(path: Fixture.path("npz/" + file))
        #expect(members.map(\.name) == ["M", "idx", "mask", "scalar"])
        // Bytes copied out of the archive: exact, with NumPy's dtypes (<f8, <i8, |b1, 0-d <f8).
        for (name, tensor) in members { expectSame(tensor, try Habits.tensor("npz", name), name) }
    }

    @Test func writesWhatItReadsStoredAndDeflated() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ritz-npz-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let members: [(name: String, tensor: Tensor)] = [("w", try Tensor.eye(3)), ("i", Tensor(integers: [4, 0, 7])),
                                                         ("z", Tensor(re: 1, im: -2)), ("e", Tensor([Double]()))]
        for compressed in [false, true] {
            let path = dir.appendingPathComponent("a\(compressed).npz").path
            try Tensor.saveNPZ(members, path: path, compressed: compressed)
            let back = try Tensor.loadNPZ(path: path)
            #expect(back.map(\.name) == members.map(\.name))
            for (a, b) in zip(back, members) { expectSame(a.tensor, b.tensor, a.name) }
            // The same arrays give the same bytes (fixed timestamps).
            let again = dir.appendingPathComponent("b\(compressed).npz").path
            try Tensor.saveNPZ(members, path: again, compressed: compressed)
            #expect(try SafeFile.read(path) == SafeFile.read(again))
        }
        #expect(throws: TensorError.self) { try Tensor.saveNPZ([("a", Tensor(1)), ("a", Tensor(2))], path: dir.appendingPathComponent("c.npz").path) }
        #expect(throws: TensorError.self) { try Tensor.saveNPZ([("a/b", Tensor(1))], path: dir.appendingPathComponent("d.npz").path) }
    }

    @Test func brokenArchivesAreErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ritz-npz-bad-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var bytes = try SafeFile.read(Fixture.path("npz/stored.npz"))
        // Not a ZIP at all.
        let npy = dir.appendingPathComponent("plain.npz").path
        try SafeFile.write(Tensor.eye(2).encodeNPY(), to: npy)
        #expect(throws: FileFormatError.self) { try Tensor.loadNPZ(path: npy) }
        // Truncated: the central directory is gone.
        let cut = dir.appendingPathComponent("cut.npz").path
        try SafeFile.write(Array(bytes.prefix(bytes.count / 2)), to: cut)
        #expect(throws: FileFormatError.self) { try Tensor.loadNPZ(path: cut) }
        // A flipped data byte of a stored member fails its CRC-32.
        let marker = Array("NUMPY".utf8)
        if let at = (0..<(bytes.count - marker.count)).first(where: { Array(bytes[$0..<($0 + marker.count)]) == marker }) {
            bytes[at + 200] ^= 0xFF
            let flipped = dir.appendingPathComponent("flipped.npz").path
            try SafeFile.write(bytes, to: flipped)
            #expect(throws: FileFormatError.self) { try Tensor.loadNPZ(path: flipped) }
        } else {
            Issue.record("no .npy member found in stored.npz")
        }
    }
}
