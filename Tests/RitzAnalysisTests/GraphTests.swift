import Foundation
import Testing
@testable import RitzAnalysis
import RitzTensor

/// Graph builders, Laplacians and positional encodings against networkx/numpy values of
/// Fixtures/make_fixtures.py, and the sparse solver against dense LAPACK.
@Suite struct GraphTests {
    static func fixtureGraph(_ name: String) throws -> (Graph, [String: Any]) {
        let cases = KoopmanFixtures.sub(try KoopmanFixtures.load("graphs/laplacians.json"), "cases")
        let c = KoopmanFixtures.sub(cases, name)
        let edges = ((c["edges"] as? [Any]) ?? []).map { KoopmanFixtures.doubles($0) }
        let g = try Graph(n: (c["n"] as? NSNumber)?.intValue, edges: edges.map { (Int($0[0]), Int($0[1])) }, weights: edges.map { $0[2] })
        return (g, c)
    }

    @Test(arguments: ["weighted", "path6", "cycle7", "grid3x4", "complete5", "lollipop"])
    func laplaciansMatchNetworkX(name: String) throws {
        let (g, c) = try Self.fixtureGraph(name)
        for norm in LaplacianNorm.allCases {
            let ref = try KoopmanFixtures.matrix(c[norm.rawValue])
            let ours = try g.laplacian(norm)
            #expect(ours.shape == ref.shape)
            // Entries w/√(d_i d_j) or w/d_i of size ≤ 2: a few roundings each, below 1e-14.
            for (a, b) in zip(ours.storage, ref.storage) { #expect(abs(a - b) < 1e-14, "\(name) \(norm)") }
        }
        let rw = try KoopmanFixtures.matrix(c["rwpe4"])
        // Diagonals of P, …, P⁴ with P stochastic (entries ≤ 1): four n-term products, 4·n·ε.
        let rwTol = backwardTol(n: 4 * g.n, norm: 1)
        for (a, b) in zip(try g.rwpe(4).storage, rw.storage) { #expect(abs(a - b) <= rwTol, "\(name) rwpe") }
    }

    @Test(arguments: ["path6", "cycle7", "grid3x4", "complete5"])
    func buildersNumberNodesAsNetworkX(name: String) throws {
        let make: () throws -> Graph = {
            switch name {
            case "path6": return try Graph.path(6)
            case "cycle7": return try Graph.cycle(7)
            case "grid3x4": return try Graph.grid(3, 4)
            default: return try Graph.complete(5)
            }
        }
        let (ref, _) = try Self.fixtureGraph(name)
        let g = try make()
        #expect(g.n == ref.n)
        #expect(g.edges == ref.edges)
    }

    @Test func isolatedNodesHaveZeroRowsAndColumns() throws {
        let g = try Graph(n: 4, edges: [(0, 1), (1, 2)])
        for norm in LaplacianNorm.allCases {
            let l = try g.laplacian(norm)
            for j in 0..<4 { #expect(l.storage[3 * 4 + j] == 0 && l.storage[j * 4 + 3] == 0) }
        }
    }

    @Test func storageIsChosenBySize() throws {
        #expect(!(try Graph.path(Graph.denseLimit)).isSparse)
        #expect(try Graph.path(Graph.denseLimit + 1).isSparse)
    }

    @Test func badInputThrows() throws {
        #expect(throws: TensorError.self) { try Graph(n: 3, edges: [(0, 5)]) }
        #expect(throws: TensorError.self) { try Graph(n: 3, edges: [(0, 1)], weights: [-1]) }
        #expect(throws: TensorError.self) { try Graph.cycle(2) }
        #expect(throws: TensorError.self) { try Graph.erdosRenyi(10, 1.5, seed: 1) }
        #expect(throws: TensorError.self) { try LaplacianNorm(name: "lap") }
    }

    @Test func erdosRenyiIsSeeded() throws {
        let a = try Graph.erdosRenyi(50, 0.1, seed: 3), b = try Graph.erdosRenyi(50, 0.1, seed: 3)
        #expect(a.edges == b.edges)
        #expect(a.edges != (try Graph.erdosRenyi(50, 0.1, seed: 4)).edges)
    }

    @Test func knnGraphIsTheSymmetrisedNeighbourRelation() throws {
        let x = try Tensor(rows: [[0, 0], [1, 0], [0, 1], [5, 5], [5, 6]])
        let g = try Graph.knn(x, k: 1)
        #expect(g.edges.map { [$0.i, $0.j] } == [[0, 1], [0, 2], [3, 4]])
    }

    @Test(arguments: ["path6", "lollipop", "grid3x4", "cycle7", "complete5"])
    func laplacianPEMatchesNumpyWithCanonicalSigns(name: String) throws {
        let (g, c) = try Self.fixtureGraph(name)
        let eigs = KoopmanFixtures.doubles(c["sym_eigs"])
        let vecs = try KoopmanFixtures.matrix(c["sym_vectors_canonical"])
        let n = g.n, k = 3
        let pe = try LaplacianPE.compute(g, k: k)
        // ‖L_sym‖ ≤ 2: eigenvalues within n·ε·2 of numpy's; a vector (or a group's projector) within
        // n·ε·2/gap, the gap to the nearest eigenvalue outside its group.
        for j in 0..<k { #expect(abs(pe.eigenvalues[j] - eigs[j + 1]) <= backwardTol(n: n, norm: 2)) }
        func gap(_ group: LaplacianPE.Group) -> Double {
            let inside = (group.start + 1)..<(group.start + 1 + group.count)
            let lambda = eigs[group.start + 1]
            return eigs.indices.filter { !inside.contains($0) }.map { abs(eigs[$0] - lambda) }.min() ?? 1
        }
        for group in pe.groups where !group.truncated {
            let vectorTol = angleTol(n: n, norm: 2, gap: gap(group))
            if group.count == 1 {
                let j = group.start
                for i in 0..<n { #expect(abs(pe.pe.storage[i * k + j] - vecs.storage[i * n + j + 1]) <= vectorTol, "\(name) col \(j)") }
            } else {
                // Degenerate eigenspace: compare projectors, which do not depend on the basis.
                for a in 0..<n { for b in 0..<n {
                    var p = 0.0, q = 0.0
                    for j in group.start..<(group.start + group.count) {
                        p += pe.pe.storage[a * k + j] * pe.pe.storage[b * k + j]
                        q += vecs.storage[a * n + j + 1] * vecs.storage[b * n + j + 1]
                    }
                    #expect(abs(p - q) <= 2 * vectorTol, "\(name) group at \(group.start)")
                } }
            }
        }
        let sizes = pe.groups.map(\.count)
        if name == "cycle7" { #expect(sizes == [2, 1] && pe.groups[1].truncated && pe.warnings.count == 1) }
        if name == "complete5" { #expect(sizes == [3]) }
    }

    @Test func componentsPaddingAndRandomSigns() throws {
        // Two components {0,1,2} and {3,4} and an isolated node 5.
        let g = try Graph(n: 6, edges: [(0, 1), (1, 2), (3, 4)])
        let pe = try LaplacianPE.compute(g, k: 8)
        #expect(pe.components == 3)
        // Two further null vectors lead (components of node 3 and node 5), then 2 + 1 nonzero pairs.
        #expect(pe.eigenvalues.count == 5)
        #expect(pe.eigenvalues[0] == 0 && pe.eigenvalues[1] == 0)
        #expect(abs(pe.pe.storage[5 * 8 + 1] - 1) <= Double.ulpOfOne)   // isolated node's indicator, to one rounding
        for j in 5..<8 { for i in 0..<6 { #expect(pe.pe.storage[i * 8 + j] == 0) } }
        #expect(pe.warnings.contains { $0.contains("are zero") })
        let r1 = try LaplacianPE.compute(g, k: 4, randomSign: true, seed: 9)
        let r2 = try LaplacianPE.compute(g, k: 4, randomSign: true, seed: 9)
        #expect(r1.pe == r2.pe)
    }

    @Test(arguments: [LaplacianNorm.sym, .none, .rw])
    func sparseSolverAgreesWithDenseEigh(norm: LaplacianNorm) throws {
        // A 30×40 grid with a few chords: 1200 nodes, above the dense limit of the PE.
        var pairs = [(Int, Int)]()
        for e in try Graph.grid(30, 40).edges { pairs.append((e.i, e.j)) }
        pairs += [(0, 615), (17, 1100), (400, 899)]
        let g = try Graph(n: 1200, edges: pairs)
        let k = 6
        // A zero factor budget keeps the component on the filtered iteration (no Cholesky factor).
        let pe = try LaplacianPE.compute(g, k: k, norm: norm, factorBudget: 0)
        #expect(pe.method.contains("Chebyshev"))
        let sym = try g.laplacian(norm == .rw ? .sym : norm)
        let ref = try sym.eigvalsh().storage
        // The solver's tolerance: residuals ≤ 1e-8 bound each eigenvalue's error by the same (Weyl).
        // Below, rw vectors are D^{-1/2}u renormalised, which scales a residual by at most
        // √(d_max/d_min) ≤ √(5/2) (degrees 2…5 here): 1e-7 is 1e-8 times that with a 6× margin.
        for j in 0..<k { #expect(abs(pe.eigenvalues[j] - ref[j + 1]) < 1e-8, "\(norm) λ\(j + 1)") }
        #expect(pe.residuals.allSatisfy { $0 <= 1e-8 })
        // Eigenvector check: ‖L v − λ v‖ for the returned (possibly rw-transformed) vectors.
        let lfull = try g.laplacian(norm)
        let lv = try lfull.matmul(pe.pe)
        for j in 0..<k {
            var r = 0.0
            for i in 0..<1200 { let t = lv.storage[i * k + j] - pe.eigenvalues[j] * pe.pe.storage[i * k + j]; r += t * t }
            #expect(r.squareRoot() < 1e-7)
        }
    }

    @Test func lanczosSpectralNormMatchesDense() throws {
        let g = try Graph.erdosRenyi(300, 0.05, seed: 2)
        let l = g.laplacianCSR(.none)
        let dense = try l.dense().eigvalsh().storage
        let est = try GraphLanczos.spectralNorm(l, steps: 80)
        // 80 Lanczos steps converge the top Ritz value of this 300-node graph far below 1e-8 (it
        // converges geometrically in the gap ratio); rounding, n·ε·‖L‖, is smaller still.
        #expect(abs(est - max(abs(dense[0]), abs(dense[dense.count - 1]))) < 1e-8)
    }

    @Test func peStabilityAnglesRespectDavisKahan() throws {
        let g = try Graph.grid(6, 7)
        let s = try PEStability.compute(g, k: 3, perturb: 0.02, trials: 4, seed: 1)
        #expect(s.angles.shape == [4, 3])
        for t in 0..<4 where s.rigorousBound[t].isFinite {
            // The bound is a theorem; only the rounding of sin θ (42 nodes, ‖L‖ ≤ 2) can exceed it.
            #expect(s.sinMax[t] <= s.rigorousBound[t] + backwardTol(n: 42, norm: 2))
        }
        let again = try PEStability.compute(g, k: 3, perturb: 0.02, trials: 4, seed: 1)
        #expect(again.angles == s.angles)
    }

    /// A k that cuts a repeated eigenvalue (λ₅ = λ₆ of the 6×6 grid, sym Laplacian) has no gap:
    /// reported as degenerate with infinite bounds, while k = 3 keeps the gap min(λ₂, λ₅ − λ₄)
    /// of a dense LAPACK reference.
    @Test func peStabilityZeroGapIsDegenerate() throws {
        let g = try Graph.grid(6, 6)
        let ref = try g.laplacian(.sym).eigvalsh().storage
        let ok = try PEStability.compute(g, k: 3, trials: 2, seed: 1)
        #expect(!ok.degenerate)
        // Eigenvalues of two dense solvers on ‖L_sym‖ ≤ 2 agree to n·ε·2; the gap is a difference of two.
        #expect(Swift.abs(ok.gap - Swift.min(ref[1], ref[4] - ref[3])) <= 2 * backwardTol(n: 36, norm: 2))
        #expect(ok.bound.allSatisfy { $0.isFinite })
        #expect(Swift.abs(ref[5] - ref[4]) <= backwardTol(n: 36, norm: 2))
        let cut = try PEStability.compute(g, k: 4, trials: 2, seed: 1)
        #expect(cut.degenerate && cut.gap == 0)
        #expect(cut.bound.allSatisfy { $0 == .infinity } && cut.rigorousBound.allSatisfy { $0 == .infinity })
        #expect(cut.warnings.contains { $0.contains("k = 3 ends at a gap") })
    }
}
