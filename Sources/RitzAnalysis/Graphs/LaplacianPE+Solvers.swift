import Foundation
import RitzTensor

/// The per-component eigensolvers of `LaplacianPE` and the rule that picks one.
extension LaplacianPE {
    /// The nontrivial eigenpairs of one component.
    struct ComponentSolution {
        var values: [Double]
        var vectors: [[Double]]
        var residuals: [Double]
        var method: Method
        var matvecs = 0
        var solves = 0
        var factorBytes = 0
        var warnings: [String] = []
    }

    /// The `m` smallest eigenpairs of a connected component's Laplacian after its null vector.
    ///
    /// Decision rule (documented in the `laplacian_pe` help): dense `eigh` up to `denseLimit`
    /// nodes; else shift-invert Lanczos on a CHOLMOD factor of L + sI when the factor
    /// (from the symbolic analysis) plus the Lanczos basis fit `factorBudget` (default: the
    /// memory the session has left); else the Chebyshev-filtered subspace iteration. A component
    /// too small for the Lanczos basis is solved densely.
    ///
    /// - Parameters:
    ///   - sub: The component's Laplacian (sym or none normalisation), s×s.
    ///   - m: Pairs wanted (≤ s − 1).
    ///   - null: The component's unit null vector.
    ///   - denseLimit: The dense size limit.
    ///   - factorBudget: Bytes for the factor and basis, or nil.
    /// - Returns: Values ascending, vectors, residuals ‖Lv − λv‖ and the method used.
    /// - Throws: `LinalgError`, `SparseSolverError`, `CurvatureError.interrupted`.
    static func solveComponent(_ sub: CSRMatrix, m: Int, null: [Double], denseLimit: Int,
                               factorBudget: Int?) throws -> ComponentSolution {
        let s = sub.rows
        let blocks = LanczosBlocks(m: m)
        let basisColumns = blocks.columns
        if s <= denseLimit || s - 1 < basisColumns {
            return try dense(sub, m: m)
        }
        let analysis = try SparseCholesky(sub)
        let basisBytes = s &* basisColumns &* 8
        let budget = factorBudget ?? Swift.max(0, AllocationLimit.bytes - AllocationLimit.liveBytes)
        if analysis.factorBytes <= budget - basisBytes {
            let norm = Swift.max(sub.maxAbsRowSum, .leastNormalMagnitude)
            var shift = relativeShift * norm
            for attempt in 0..<4 {
                try Interruption.check()
                ProgressReporting.report("laplacian_pe: factorising L + sI (\(s) nodes, \(analysis.factorEntries) entries in L)",
                                         step: attempt, total: 0, fields: [("factor MiB", Double(analysis.factorBytes) / 1_048_576)])
                do {
                    try analysis.factorize(shift: shift)
                } catch LinalgError.notPositiveDefinite {
                    shift *= 100
                    continue
                }
                try Interruption.check()
                var r = try ShiftInvertLanczos.smallest(sub, k: m, deflate: [null], factor: analysis, shift: shift,
                                                        blockSize: blocks.first, maxBasis: blocks.firstBasis)
                var solves = r.solves
                if let robust = blocks.robust,
                   !r.converged || LanczosBlocks.longestRun(r.values, tolerance: groupTolerance * norm) >= blocks.first {
                    // As many equal eigenvalues as the block has vectors: there may be more copies
                    // than the block could find. Solved again with a block of every wanted pair.
                    r = try ShiftInvertLanczos.smallest(sub, k: m, deflate: [null], factor: analysis, shift: shift,
                                                        blockSize: robust)
                    solves += r.solves
                }
                var solution = ComponentSolution(values: r.values, vectors: (0..<r.values.count).map { Array(r.vectors[($0 * s)..<(($0 + 1) * s)]) },
                                                 residuals: r.residuals, method: .shiftInvert, solves: solves,
                                                 factorBytes: analysis.factorBytes)
                if !r.converged {
                    solution.warnings.append(String(format: "laplacian_pe: shift-invert Lanczos stopped after %d restarts with residual %.2e",
                                                     r.restarts, r.residuals.max() ?? 0))
                }
                return solution
            }
        }
        var solution = try filtered(sub, m: m, null: null)
        if analysis.factorBytes <= budget - basisBytes {
            solution.warnings.append("laplacian_pe: L + sI was not positive definite to working precision at s up to \(relativeShift * 1e6)·‖L‖; used the filtered iteration")
        }
        return solution
    }

    /// The block sizes of shift-invert Lanczos for m wanted pairs.
    ///
    /// In exact arithmetic a block Krylov space of b vectors holds at most b independent vectors
    /// of one eigenspace, so b ≥ m finds every wanted pair whatever the multiplicities, at the
    /// price of b solves a step. The first attempt uses b = 4, which finds multiplicities up to 3
    /// (a square grid's 2, a cubic lattice's 3) in half the solves of b = m for k = 8 (the
    /// 100×100 grid: 72 against 144), with a basis of 8 blocks (or 2m + 2b vectors). Only when
    /// the pairs it returns hold a run of b or more equal eigenvalues (within the groups'
    /// tolerance), or it did not converge, is the component solved again with b = m and a basis
    /// of 4 blocks: a shorter run means the block held every copy of that eigenvalue.
    struct LanczosBlocks {
        /// b of the first attempt.
        let first: Int
        /// The first attempt's basis size.
        let firstBasis: Int
        /// b of the second attempt (m), nil when the first block is already as wide.
        let robust: Int?

        init(m: Int) {
            first = 4
            firstBasis = Swift.max(8 * first, 2 * m + 2 * first)
            robust = m > first ? m : nil
        }

        /// Basis vectors either attempt holds at once (basis plus the pending block).
        var columns: Int { Swift.max(firstBasis + first, robust.map { 5 * $0 } ?? 0) }

        /// Length of the longest run of ascending `values` whose neighbours differ by at most
        /// `tolerance`.
        static func longestRun(_ values: [Double], tolerance: Double) -> Int {
            guard !values.isEmpty else { return 0 }
            var longest = 1, run = 1
            for j in 1..<values.count {
                run = values[j] - values[j - 1] <= tolerance ? run + 1 : 1
                longest = Swift.max(longest, run)
            }
            return longest
        }
    }

    /// Dense `eigh` of the component, dropping the first (null) eigenvector.
    private static func dense(_ sub: CSRMatrix, m: Int) throws -> ComponentSolution {
        let s = sub.rows
        let (ev, evec) = try sub.dense().eigh()
        var vals = [Double](), vecs = [[Double]](), res = [Double]()
        for j in 1...m {
            vals.append(ev.storage[j])
            vecs.append((0..<s).map { evec.storage[$0 * s + j] })
        }
        for (j, v) in vecs.enumerated() { res.append(Blas.residual(sub.multiply(v), vals[j], v)) }
        return ComponentSolution(values: vals, vectors: vecs, residuals: res, method: .dense)
    }

    /// The Chebyshev-filtered subspace iteration, deflating the null vector.
    private static func filtered(_ sub: CSRMatrix, m: Int, null: [Double]) throws -> ComponentSolution {
        let s = sub.rows
        let r = try GraphEigensolver.smallest(sub, k: m, deflate: [null])
        var solution = ComponentSolution(values: r.values, vectors: (0..<m).map { j in (0..<s).map { r.vectors[$0 * m + j] } },
                                         residuals: r.residuals, method: .filtered, matvecs: r.matvecs)
        if !r.converged {
            solution.warnings.append(String(format: "laplacian_pe: the sparse solver stopped after %d iterations with residual %.2e", r.iterations, r.residuals.max() ?? 0))
        }
        return solution
    }

    /// The methods used, the largest component's first, distinct, joined by " + ".
    static func methodSummary(_ used: [(size: Int, method: Method)]) -> String {
        var names = [String]()
        for u in used.enumerated().sorted(by: { ($1.element.size, $0.offset) < ($0.element.size, $1.offset) }) where !names.contains(u.element.method.rawValue) {
            names.append(u.element.method.rawValue)
        }
        return names.isEmpty ? Method.dense.rawValue : names.joined(separator: " + ")
    }
}
