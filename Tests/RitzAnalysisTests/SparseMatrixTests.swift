import Foundation
import Testing
@testable import RitzAnalysis
import RitzTensor

/// Sparse matrix algebra against dense products, Matrix Market files against SciPy's
/// (Fixtures/make_sparse_fixtures.py), and eigs with sigma= against dense LAPACK eigh.
@Suite struct SparseMatrixTests {
    /// A random sparse m×n matrix with about `density`·m·n entries, duplicates included.
    static func random(_ m: Int, _ n: Int, density: Double, seed: UInt64, symmetric: Bool = false) throws -> CSRMatrix {
        var rng = RandomGenerator(seed: seed)
        var t = [(Int, Int, Double)]()
        for _ in 0..<Int(density * Double(m * n)) {
            let i = Int(rng.uniform() * Double(m)) % m, j = Int(rng.uniform() * Double(n)) % n, v = rng.normal()
            t.append((i, j, v))
            if symmetric { t.append((j, i, v)) }
        }
        return try CSRMatrix(rows: m, cols: n, triplets: t)
    }

    @Test func algebraMatchesDense() throws {
        let a = try Self.random(9, 7, density: 0.3, seed: 1), b = try Self.random(9, 7, density: 0.3, seed: 2)
        let ad = try a.dense(), bd = try b.dense()
        // Each entry of a sum or product of ≤ 7 terms is exact to a few roundings: compare to 1e-14·max.
        func close(_ x: Tensor, _ y: Tensor) -> Bool {
            x.shape == y.shape && zip(x.storage, y.storage).allSatisfy { abs($0 - $1) <= 1e-14 * max(1, abs($1)) }
        }
        #expect(close(try a.transposed().dense(), ad.T))
        #expect(close(try a.adding(b, scaledBy: -2).dense(), try ad - Tensor(2) * bd))
        #expect(close(try a.scaled(by: 3).dense(), try Tensor(3) * ad))
        var rng = RandomGenerator(seed: 5)
        let x = try Tensor.randn([7, 3], using: &rng), v = try Tensor.randn([7], using: &rng)
        #expect(close(try a.multiply(x), try ad.matmul(x)))
        #expect(close(try a.multiply(v), try ad.matmul(v)))
        #expect(throws: ShapeError.self) { try a.multiply(try Tensor.randn([9], using: &rng)) }
        #expect(throws: ShapeError.self) { try a.adding(try Self.random(7, 9, density: 0.2, seed: 3)) }
        // Duplicates are summed on construction.
        let dup = try CSRMatrix(rows: 2, cols: 2, triplets: [(0, 1, 1), (0, 1, 2.5), (1, 0, -1)])
        #expect(dup.nnz == 2 && dup.values == [3.5, -1])
    }

    @Test(arguments: ["weighted_sym", "rect_general", "pattern_sym", "dense_array"])
    func readsWhatSciPyWrites(name: String) throws {
        let expected = KoopmanFixtures.sub(try KoopmanFixtures.load("sparse/expected.json"), name)
        let shape = KoopmanFixtures.doubles(expected["shape"] ?? []).map { Int($0) }
        // Stored as float.hex() strings, so the reference is exact.
        let ref = ((expected["dense"] as? [String]) ?? []).compactMap { Double($0) }
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/sparse/\(name).mtx").path
        let dense: Tensor
        switch try MatrixMarket.read(path: path) {
        case let .sparse(m): #expect(name != "dense_array"); dense = try m.dense()
        case let .dense(t): #expect(name == "dense_array"); dense = t
        }
        #expect(dense.shape == shape)
        // %.17g on both sides: the same doubles.
        #expect(dense.storage == ref)
    }

    @Test func roundTripIsExact() throws {
        let a = try Self.random(40, 30, density: 0.1, seed: 7).scaled(by: 1 / 3)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ritz-mm-\(UUID().uuidString).mtx").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try MatrixMarket.write(a, path: path)
        guard case let .sparse(b) = try MatrixMarket.read(path: path) else { Issue.record("not sparse"); return }
        #expect(a == b)
    }

    @Test(arguments: [
        ("", "line 1: expected `%%MatrixMarket"),
        ("%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n", "not supported"),
        ("%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n", "the file has 1"),
        ("%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n", "line 3: row 3 is outside 1…2"),
        ("%%MatrixMarket matrix coordinate real general\n% c\n2 2 1\n1 x 1\n", "line 4: column `x`"),
        ("%%MatrixMarket matrix coordinate real symmetric\n2 2 1\n1 2 5\n", "line 3: entry (1, 2) lies above"),
        ("%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 1 1.5\n", "line 3: value `1.5`"),
        ("%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n", "the file ends early"),
        ("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1\n2 2 2\n", "line 4: more entries"),
    ])
    func malformedFilesNameTheLine(text: String, message: String) throws {
        do {
            _ = try MatrixMarket.parse(text, path: "t.mtx")
            Issue.record("accepted: \(text)")
        } catch let e as FileFormatError {
            #expect("\(e)".contains(message), "\(e)")
        }
    }

    @Test func hugeDimensionsAreRefusedNotAllocated() {
        #expect(throws: TensorError.self) {
            _ = try MatrixMarket.parse("%%MatrixMarket matrix coordinate real general\n1000000000000000 1 0\n", path: "t.mtx")
        }
        #expect(throws: TensorError.self) { _ = try CSRMatrix(rows: 1, cols: Int.max, triplets: []) }
    }

    @Test func graphFromSparseAdjacency() throws {
        let g = try Graph.grid(4, 5)
        let back = try Graph(adjacency: g.adjacencyCSR)
        #expect(back.edges == g.edges)
        let asym = try CSRMatrix(rows: 2, cols: 2, triplets: [(0, 1, 1)])
        #expect(throws: TensorError.self) { try Graph(adjacency: asym) }
    }

    /// eigs(A, k, sigma=) against dense eigh: σ below the spectrum (CHOLMOD), inside it
    /// (UMFPACK), and a dense matrix (LAPACK LU).
    @Test(arguments: [("sparse below", -0.5), ("sparse inside", 1.3), ("dense inside", 1.3)])
    func eigsNearSigmaMatchesEigh(label: String, sigma: Double) throws {
        let lap = try Graph.grid(15, 17).laplacianCSR(.sym)
        var rng = RandomGenerator(seed: 11)
        // Break the grid's symmetry so eigenvalues near σ are simple.
        let n = lap.rows
        let diag = try CSRMatrix(rows: n, cols: n, triplets: (0..<n).map { ($0, $0, 0.05 * rng.uniform()) })
        let a = try lap.adding(diag)
        let k = 5
        let matrix: ExplicitMatrix = label.hasPrefix("dense") ? .dense(try a.dense()) : .sparse(a)
        let r = try eigsShiftInvert(matrix, k: k, sigma: sigma, tol: 1e-10, seed: 1)
        #expect(r.method == (label == "sparse below" ? "sparse Cholesky (CHOLMOD)" : label == "sparse inside" ? "sparse LU (UMFPACK)" : "dense LU (LAPACK)"))
        let ref = try a.dense().eigvalsh().storage.sorted { (abs($0 - sigma), $0) < (abs($1 - sigma), $1) }
        // Residual r ≤ tol·|λ| puts an eigenvalue within r (Weyl), the Rayleigh quotient within r²/gap;
        // the dense reference is within 30·n·ε·‖A‖ (‖A‖ ≤ 2.05): 1e-10 covers both.
        for j in 0..<k { #expect(abs(r.values[j] - ref[j]) <= 1e-10, "\(label) λ\(j): \(r.values[j]) vs \(ref[j])") }
        #expect(r.converged)
        #expect(r.residuals.allSatisfy { $0 <= 1e-9 })
    }
}
