import Foundation
import Testing
@testable import RitzAnalysis
import RitzTensor

/// The CHOLMOD factorisation and shift-invert Lanczos path of `laplacian_pe`, against dense
/// LAPACK `eigh` and against the Chebyshev-filtered iteration on the same graphs.
@Suite struct SparseEigenTests {
    /// A 30×40 grid with three chords (1200 nodes, no exactly repeated eigenvalues), the 35×35
    /// grid (1225 nodes, many double eigenvalues), the 7×7×7 lattice (343 nodes, triple ones) and
    /// a spider of 6 legs of 30 nodes (181 nodes) whose first nonzero eigenvalue has multiplicity
    /// 5, more than the first Lanczos block can find.
    static func graphs() throws -> [(String, Graph)] {
        var pairs = [(Int, Int)]()
        for e in try Graph.grid(30, 40).edges { pairs.append((e.i, e.j)) }
        pairs += [(0, 615), (17, 1100), (400, 899)]
        var lattice = [(Int, Int)]()
        let side = 7
        for i in 0..<side { for j in 0..<side { for l in 0..<side {
            let v = (i * side + j) * side + l
            if i + 1 < side { lattice.append((v, v + side * side)) }
            if j + 1 < side { lattice.append((v, v + side)) }
            if l + 1 < side { lattice.append((v, v + 1)) }
        } } }
        var spider = [(Int, Int)]()
        for leg in 0..<6 {
            for t in 0..<30 { spider.append((t == 0 ? 0 : 1 + leg * 30 + t - 1, 1 + leg * 30 + t)) }
        }
        return [("grid+chords", try Graph(n: 1200, edges: pairs)), ("square grid", try Graph.grid(35, 35)),
                ("lattice", try Graph(n: side * side * side, edges: lattice)), ("spider", try Graph(n: 181, edges: spider))]
    }

    /// The smallest k ≥ `from` at which the dense spectrum (null eigenvalue first) has a gap
    /// after column k of the PE, so the k-dimensional PE space is well defined; and the gap.
    static func cut(_ ref: [Double], from: Int) -> (k: Int, gap: Double) {
        var k = from
        while ref[k + 1] - ref[k] <= 1e-6 { k += 1 }
        return (k, ref[k + 1] - ref[k])
    }

    /// sin of the largest principal angle between the column spans of two n×k matrices.
    static func sinMaxAngle(_ a: Tensor, _ b: Tensor) throws -> Double {
        let angles = try Grassmann.principalAngles(a, b).angles.storage
        return sin(angles.max() ?? 0)
    }

    @Test(arguments: [LaplacianNorm.sym, .none])
    func shiftInvertMatchesDenseEigh(norm: LaplacianNorm) throws {
        for (name, g) in try Self.graphs() {
            let lap = try g.laplacian(norm)
            let (vals, vecs) = try lap.eigh()
            let ref = vals.storage, n = g.n
            let (k, gap) = Self.cut(ref, from: 6)
            // denseLimit 100 sends the component to the sparse solvers; the budget is the default.
            let pe = try LaplacianPE.compute(g, k: k, norm: norm, denseLimit: 100)
            #expect(pe.method == LaplacianPE.Method.shiftInvert.rawValue, "\(name)")
            #expect(pe.solves > 0 && pe.factorBytes > 0)
            #expect(pe.residuals.allSatisfy { $0 <= 1e-8 }, "\(name) \(pe.residuals)")
            // Eigenvalues: each is a Rayleigh quotient with residual r ≤ 1e-8, so within r²/gap of
            // the true one (Kato–Temple); the dense reference is within 30·n·ε·‖L‖ ≈ 4e-11·‖L‖.
            let norm1 = lap.storage.map(abs).reduce(0, +) / Double(n) * 4
            for j in 0..<k {
                #expect(abs(pe.eigenvalues[j] - ref[j + 1]) <= 1e-10, "\(name) \(norm) λ\(j + 1)")
            }
            // Eigenspaces: sin θ ≤ (r + backward error of eigh)/gap (Davis–Kahan), summed over the
            // k columns for the whole space.
            var dense = [Double](repeating: 0, count: n * k)
            for i in 0..<n { for j in 0..<k { dense[i * k + j] = vecs.storage[i * n + j + 1] } }
            let sinMax = try Self.sinMaxAngle(pe.pe, try Tensor(shape: [n, k], storage: dense))
            let bound = Double(k) * ((pe.residuals.max() ?? 0) + backwardTol(n: n, norm: max(norm1, 1))) / gap
            #expect(sinMax <= bound, "\(name) \(norm): sin θ \(sinMax) > \(bound)")
            // The groups are those of the dense spectrum.
            for group in pe.groups {
                let block = ref[(group.start + 1)..<(group.start + 1 + group.count)]
                #expect((block.max() ?? 0) - (block.min() ?? 0) <= 1e-8, "\(name) group \(group)")
            }
        }
    }

    @Test func shiftInvertAgreesWithTheFilteredIteration() throws {
        let g = try Graph.grid(35, 35)
        let ref = try g.laplacian(.sym).eigvalsh().storage
        let (k, gap) = Self.cut(ref, from: 8)
        let fast = try LaplacianPE.compute(g, k: k, denseLimit: 100)
        let filtered = try LaplacianPE.compute(g, k: k, denseLimit: 100, factorBudget: 0)
        #expect(fast.method == LaplacianPE.Method.shiftInvert.rawValue)
        #expect(filtered.method == LaplacianPE.Method.filtered.rawValue)
        #expect(fast.groups.map(\.count) == filtered.groups.map(\.count))
        // Both are within their residual (≤ 1e-8) of the true eigenvalues (Weyl).
        for j in 0..<k { #expect(abs(fast.eigenvalues[j] - filtered.eigenvalues[j]) <= 2e-8) }
        let sinMax = try Self.sinMaxAngle(fast.pe, filtered.pe)
        #expect(sinMax <= Double(k) * 2e-8 / gap, "sin θ \(sinMax)")
    }

    @Test func shiftInvertIsDeterministicWithCanonicalSigns() throws {
        let g = try Graph.grid(33, 36)
        let a = try LaplacianPE.compute(g, k: 5, denseLimit: 100)
        let b = try LaplacianPE.compute(g, k: 5, denseLimit: 100)
        #expect(a.pe == b.pe && a.eigenvalues == b.eigenvalues)
        // Canonical sign: the first entry within 1e-8 of the largest magnitude is positive.
        let n = g.n
        for j in 0..<5 {
            let col = (0..<n).map { a.pe.storage[$0 * 5 + j] }
            let mx = col.map(abs).max() ?? 0
            let first = col.firstIndex { abs($0) >= (1 - 1e-8) * mx } ?? 0
            #expect(col[first] > 0)
        }
    }

    @Test func componentsMixDenseAndShiftInvert() throws {
        // A 30×30 grid (900 nodes) beside a 10-node path: one component each way.
        var pairs = [(Int, Int)]()
        for e in try Graph.grid(30, 30).edges { pairs.append((e.i, e.j)) }
        for i in 900..<909 { pairs.append((i, i + 1)) }
        let g = try Graph(n: 910, edges: pairs)
        let pe = try LaplacianPE.compute(g, k: 4, denseLimit: 100)
        #expect(pe.method == "shift-invert Lanczos (CHOLMOD) + dense eigh")
        let ref = try g.laplacian(.sym).eigvalsh().storage
        // Two null vectors: the PE starts with the path's membership vector (λ = 0).
        for j in 0..<4 { #expect(abs(pe.eigenvalues[j] - ref[j + 1]) <= 1e-10) }
    }

    /// In exact arithmetic a block Krylov space of b vectors holds only b copies of a repeated
    /// eigenvalue (rounding usually brings the others in, but nothing guarantees it). So when
    /// the first block of 4 returns a run of 4 or more equal eigenvalues, the component is solved
    /// again with a block of every wanted pair; a shorter run (the lattice's triples) is kept.
    @Test func aRunAsLongAsTheBlockIsSolvedAgainWithAWiderOne() throws {
        #expect(LaplacianPE.LanczosBlocks.longestRun([0.5, 1, 1 + 1e-9, 1, 2, 2], tolerance: 1e-6) == 3)
        #expect(LaplacianPE.LanczosBlocks.longestRun([], tolerance: 1e-6) == 0)
        let small = LaplacianPE.LanczosBlocks(m: 3)
        #expect(small.first == 4 && small.robust == nil)
        let blocks = LaplacianPE.LanczosBlocks(m: 7)
        #expect(blocks.first == 4 && blocks.robust == 7 && blocks.firstBasis == 32)

        // diag(0, 1 six times, 2, 3, …): the seven wanted are 1 (×6) and 2.
        let n = 1000
        var diagonal = [Double](repeating: 1, count: n)
        diagonal[0] = 0
        for i in 7..<n { diagonal[i] = Double(i - 5) }
        let l = try CSRMatrix(rows: n, cols: n, triplets: (0..<n).map { ($0, $0, diagonal[$0]) })
        var null = [Double](repeating: 0, count: n)
        null[0] = 1
        let first = try ShiftInvertLanczos.smallest(l, k: 7, deflate: [null], factor: try Self.factor(l), shift: 1e-8,
                                                    blockSize: blocks.first, maxBasis: blocks.firstBasis)
        #expect(LaplacianPE.LanczosBlocks.longestRun(first.values, tolerance: 1e-6) >= 4)
        let solved = try LaplacianPE.solveComponent(l, m: 7, null: null, denseLimit: 0, factorBudget: nil)
        #expect(solved.method == .shiftInvert)
        #expect(solved.solves > first.solves)
        for (j, value) in solved.values.enumerated() {
            #expect(abs(value - (j < 6 ? 1 : 2)) <= 1e-10, "λ\(j + 1) = \(value)")
        }

        // The 7×7×7 lattice: triple eigenvalues, one attempt.
        let (_, lattice) = try #require(try Self.graphs().first { $0.0 == "lattice" })
        let lap = lattice.laplacianCSR(.sym)
        let unit = lattice.degrees.map { $0.squareRoot() }
        let scale = 1 / unit.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let latticeNull = unit.map { $0 * scale }
        let once = try ShiftInvertLanczos.smallest(lap, k: 7, deflate: [latticeNull], factor: try Self.factor(lap),
                                                   shift: 1e-8, blockSize: blocks.first, maxBasis: blocks.firstBasis)
        #expect(LaplacianPE.LanczosBlocks.longestRun(once.values, tolerance: 1e-6) == 3)
        let latticeSolved = try LaplacianPE.solveComponent(lap, m: 7, null: latticeNull, denseLimit: 0, factorBudget: nil)
        #expect(latticeSolved.solves == once.solves)
    }

    /// A CHOLMOD factor of l + 1e-8 I.
    static func factor(_ l: CSRMatrix) throws -> SparseCholesky {
        let f = try SparseCholesky(l)
        try f.factorize(shift: 1e-8)
        return f
    }

    @Test func choleskySolvesAgainstDense() throws {
        // L + sI of a small grid: CHOLMOD's solve against LAPACK's dense solve.
        let g = try Graph.grid(12, 13)
        let l = g.laplacianCSR(.none)
        let f = try SparseCholesky(l)
        #expect(f.factorEntries >= l.nnz / 2)
        try f.factorize(shift: 0.1)
        var rng = RandomGenerator(seed: 3)
        let n = l.rows
        let b = (0..<(2 * n)).map { _ in rng.normal() }
        let x = try f.solve(b, width: 2)
        var shifted = try l.dense().storage
        for i in 0..<n { shifted[i * n + i] += 0.1 }
        let a = try Tensor(shape: [n, n], storage: shifted)
        for c in 0..<2 {
            let ref = try Tensor.solveEstimatingCondition(a, Tensor(Array(b[(c * n)..<((c + 1) * n)]))).0.storage
            // κ(L + 0.1 I) ≤ (8 + 0.1)/0.1 = 81: forward error ≤ 30·n·ε·κ·‖x‖.
            let xn = ref.map(abs).max() ?? 1
            for i in 0..<n { #expect(abs(x[c * n + i] - ref[i]) <= backwardTol(n: n, norm: 81 * xn)) }
        }
        // Not positive definite: L − 0.1 I.
        #expect(throws: LinalgError.self) { try f.factorize(shift: -0.1) }
    }

    @Test func progressIsReportedAndInterruptsStopIt() throws {
        let g = try Graph.grid(40, 40)
        var stages = [String]()
        let pe = try ProgressReporting.withReporter({ stages.append($0.stage) }) {
            try LaplacianPE.compute(g, k: 4, denseLimit: 100)
        }
        #expect(pe.method == LaplacianPE.Method.shiftInvert.rawValue)
        #expect(stages.contains { $0.hasPrefix("laplacian_pe: factorising") })
        #expect(stages.contains("shift-invert Lanczos"))
        #expect(throws: CurvatureError.interrupted) {
            try Interruption.withCheck({ true }) { try LaplacianPE.compute(g, k: 4, denseLimit: 100) }
        }
    }
}
