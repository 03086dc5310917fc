import Foundation
import RitzTensor

/// Laplacian eigenvector positional encodings with their conventions and diagnostics.
///
/// Conventions:
/// * Spectrum: the eigenpairs of L (`LaplacianNorm`) in ascending order. Each connected component
///   contributes one eigenvalue 0 whose eigenvector is the component's canonical null vector
///   (sym: D^1/2·1 on the component, normalised; none and rw: the normalised indicator); these come
///   first, ordered by each component's smallest node. The very first (the component of node 0)
///   is the trivial one and is dropped; the PE is the next k eigenvectors, so with several
///   components the other null vectors (component memberships) lead the PE.
/// * Nonzero eigenpairs are computed per component (L is block diagonal), each vector supported on
///   its component; ties between components keep component order.
/// * Sign (`canonical`): the first entry (lowest node index) whose magnitude is within a relative
///   1e-8 of the vector's largest magnitude is made positive. `random` instead flips each vector by
///   a seeded coin, as PyTorch Geometric does for augmentation.
/// * Eigenvalues differing by at most 1e-6·‖L‖ (‖L‖ ≤ the Gershgorin bound) form one group; the
///   vectors of a group with more than one member are only defined up to a rotation, which the
///   `groups` report shows. A warning is given when the cut after column k splits a group.
/// * k ≥ (available eigenvectors): the missing columns are zero.
/// * `rw`: eigenvalues of I − D⁻¹A equal those of `sym`; eigenvectors are D^-1/2 u for the sym
///   eigenvectors u, normalised to unit length.
/// * Solver, per component of s nodes (`Method`, reported in `method`):
///   1. s ≤ `denseLimit` (800): dense `eigh` (LAPACK dsyevd).
///   2. Otherwise CHOLMOD's symbolic analysis of L gives the size of the Cholesky factor before
///      any numeric work; when the factor and the Lanczos basis fit in the memory the session has
///      left (or `factorBudget`), L + sI is factored with s = 1e-8·‖L‖∞ (retried ×100 if not
///      definite to working precision) and `ShiftInvertLanczos` finds the eigenvalues nearest
///      the target −s, i.e. the smallest: shift-invert Lanczos, with a block of 4 vectors and,
///      only when its pairs hold 4 equal eigenvalues (there may be more copies than the block can
///      find), again with a block of every wanted pair (`LanczosBlocks`).
///   3. When the factor would not fit: `GraphEigensolver`, the Chebyshev-filtered subspace
///      iteration, which needs only products with L.
///   Sparse solvers stop at residuals ‖Lv − λv‖ ≤ 1e-8 computed with L itself, so each eigenvalue
///   is within 1e-8 of the true one.
public struct LaplacianPE: Sendable {
    /// A run of (numerically) equal eigenvalues among the PE columns.
    public struct Group: Sendable, Equatable {
        /// First PE column of the group.
        public let start: Int
        /// Number of columns.
        public let count: Int
        /// Mean eigenvalue of the group.
        public let value: Double
        /// True when the group's eigenvalue continues past column k, so the columns hold only part
        /// of its eigenspace (an arbitrary part: no sign or rotation convention can fix it).
        public let truncated: Bool
    }

    /// n×k encodings, column j the eigenvector of `eigenvalues[j]`.
    public let pe: Tensor
    /// The eigenvalues of the PE columns that exist (≤ k of them).
    public let eigenvalues: [Double]
    /// The next eigenvalue after the last column, when there is one.
    public let nextEigenvalue: Double?
    /// Groups of equal eigenvalues among the columns.
    public let groups: [Group]
    /// Residual ‖Lv − λv‖ of each column.
    public let residuals: [Double]
    /// Number of connected components.
    public let components: Int
    /// The solvers used, largest component's first: "dense eigh", "shift-invert Lanczos
    /// (CHOLMOD)" or "Chebyshev-filtered subspace iteration", joined by " + " when components differ.
    public let method: String
    /// Sparse matrix–vector products spent by the filtered iteration (0 for the other solvers).
    public let matvecs: Int
    /// Right-hand sides solved with the Cholesky factor by shift-invert Lanczos.
    public let solves: Int
    /// Bytes of the largest Cholesky factor made (0 when none).
    public let factorBytes: Int
    /// Notes: a split group, zero padding, an unconverged solve.
    public let warnings: [String]

    /// Components up to this size are solved densely.
    public static let denseLimit = 800

    /// How a component's eigenpairs are computed.
    public enum Method: String, Sendable {
        case dense = "dense eigh"
        case shiftInvert = "shift-invert Lanczos (CHOLMOD)"
        case filtered = "Chebyshev-filtered subspace iteration"
    }

    /// Eigenvalues within this multiple of ‖L‖∞ of their neighbour form one group.
    static let groupTolerance = 1e-6

    /// Relative shift s/‖L‖∞ of the factored L + sI (the target −s lies just below the spectrum).
    static let relativeShift = 1e-8

    /// Computes the encoding.
    ///
    /// - Parameters:
    ///   - graph: The graph.
    ///   - k: Number of columns, k ≥ 1.
    ///   - norm: The Laplacian (default `.sym`).
    ///   - randomSign: false for the canonical sign, true for seeded random signs.
    ///   - seed: Seed of the random signs.
    ///   - denseLimit: Components up to this size are solved densely.
    ///   - factorBudget: Bytes a Cholesky factor and its Lanczos basis may take; nil for what the
    ///     session's memory limit leaves. 0 forces the filtered iteration for large components.
    /// - Returns: The encoding and its diagnostics.
    /// - Throws: `TensorError.invalidArgument` for k < 1; `LinalgError` from the solvers.
    public static func compute(_ graph: Graph, k: Int, norm: LaplacianNorm = .sym,
                               randomSign: Bool = false, seed: UInt64 = 0, denseLimit: Int = LaplacianPE.denseLimit,
                               factorBudget: Int? = nil) throws -> LaplacianPE {
        guard k >= 1, k <= 100_000 else { throw TensorError.invalidArgument("laplacian_pe: k must be in 1...100000, got \(k)") }
        let n = graph.n
        let total = try Tensor.elementCount([n, k])
        let comps = graph.components()
        let symL = graph.laplacianCSR(norm == .rw ? .sym : norm)
        let deg = graph.degrees
        var warnings = [String]()
        var methods = [(size: Int, method: Method)]()
        var matvecs = 0, solves = 0, factorBytes = 0

        struct Pair { var value: Double; var comp: Int; var order: Int; var nodes: [Int]; var vec: [Double]; var residual: Double }
        var zeros = [Pair](), others = [Pair]()
        let want = k + 1                                        // one more to report the next eigenvalue
        for (ci, nodes) in comps.enumerated() {
            let s = nodes.count
            var null = [Double](repeating: 0, count: s)
            if norm != .none && nodes.contains(where: { deg[$0] > 0 }) {
                let tot = nodes.reduce(0.0) { $0 + deg[$1] }
                for (t, v) in nodes.enumerated() { null[t] = (deg[v] / tot).squareRoot() }
            } else {
                for t in 0..<s { null[t] = 1 / Double(s).squareRoot() }
            }
            var nullOut = null
            if norm == .rw { nullOut = [Double](repeating: 1 / Double(s).squareRoot(), count: s) }
            zeros.append(Pair(value: 0, comp: ci, order: 0, nodes: nodes, vec: nullOut, residual: 0))
            guard s > 1 else { continue }
            let sub = symL.submatrix(nodes)
            let m = Swift.min(want, s - 1)
            try Interruption.check()
            ProgressReporting.report("laplacian_pe: component \(ci + 1) of \(comps.count)", step: ci, total: comps.count,
                                     fields: [("nodes", Double(s))])
            let solved = try solveComponent(sub, m: m, null: null, denseLimit: denseLimit, factorBudget: factorBudget)
            methods.append((s, solved.method))
            matvecs += solved.matvecs; solves += solved.solves; factorBytes = Swift.max(factorBytes, solved.factorBytes)
            warnings += solved.warnings
            let vals = solved.values, vecs = solved.vectors, res = solved.residuals
            for j in 0..<vals.count {
                var v = vecs[j]
                if norm == .rw {
                    for (t, node) in nodes.enumerated() { v[t] *= deg[node] > 0 ? 1 / deg[node].squareRoot() : 0 }
                    let nv = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    if nv > 0 { v = v.map { $0 / nv } }
                }
                others.append(Pair(value: vals[j], comp: ci, order: j + 1, nodes: nodes, vec: v, residual: res[j]))
            }
        }
        others.sort { ($0.value, $0.comp, $0.order) < ($1.value, $1.comp, $1.order) }
        let all = Array((zeros + others).dropFirst())
        let used = Array(all.prefix(k))
        var pe = [Double](repeating: 0, count: total)
        var rng = RandomGenerator(seed: seed)
        for (j, pair) in used.enumerated() {
            var v = [Double](repeating: 0, count: n)
            for (t, node) in pair.nodes.enumerated() { v[node] = pair.vec[t] }
            let flip: Bool
            if randomSign {
                flip = rng.rademacher() < 0
            } else {
                let mx = v.reduce(0) { Swift.max($0, Swift.abs($1)) }
                let first = v.firstIndex { Swift.abs($0) >= (1 - 1e-8) * mx } ?? 0
                flip = v[first] < 0
            }
            for i in 0..<n { pe[i * k + j] = flip ? -v[i] : v[i] }
        }
        if used.count < k {
            warnings.append("laplacian_pe: only \(used.count) nontrivial eigenvector\(used.count == 1 ? "" : "s") exist; columns \(used.count)..<\(k) are zero")
        }
        let values = used.map { $0.value }
        let scale = Swift.max(symL.maxAbsRowSum, 1e-300)
        let next = all.count > k ? all[k].value : nil
        var groups = [Group]()
        var start = 0
        while start < values.count {
            var end = start + 1
            while end < values.count && values[end] - values[end - 1] <= groupTolerance * scale { end += 1 }
            let mean = values[start..<end].reduce(0, +) / Double(end - start)
            let cut = end == values.count && next.map { $0 - values[end - 1] <= groupTolerance * scale } == true
            groups.append(Group(start: start, count: end - start, value: mean, truncated: cut))
            start = end
        }
        if let next, let last = values.last, next - last <= groupTolerance * scale {
            warnings.append(String(format: "laplacian_pe: eigenvalue %.6g continues past column %d; the last group of columns is cut and not rotation-invariant", last, k))
        }
        return LaplacianPE(pe: try Tensor(shape: [n, k], storage: pe), eigenvalues: values, nextEigenvalue: next,
                           groups: groups, residuals: used.map { $0.residual }, components: comps.count,
                           method: methodSummary(methods), matvecs: matvecs, solves: solves, factorBytes: factorBytes,
                           warnings: warnings)
    }
}
