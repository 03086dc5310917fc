import Foundation
import RitzTensor

/// How far Laplacian positional encodings move when the graph's edge weights are perturbed.
///
/// For each trial every edge weight is multiplied by 1 + perturb·u, u uniform on [−1, 1] (one
/// seeded xoshiro256** stream for all trials); the k-dimensional eigenspace of the PE (eigenvalues
/// λ₂…λ_{k+1} of L, the trivial λ₁ = 0 excluded) is compared with the perturbed one by principal
/// angles (Knyazev–Argentati). Beside each trial stands the Davis–Kahan sin Θ bound in the form
/// ‖ΔL‖₂/δ, with δ = min(λ₂ − λ₁, λ_{k+2} − λ_{k+1}) the gap separating the PE eigenvalues from the
/// rest of the original spectrum. That form is the usual heuristic; the rigorous statement
/// (Davis & Kahan 1970 with Weyl's inequality) is sin θ_max ≤ ‖ΔL‖₂/(δ − ‖ΔL‖₂) when ‖ΔL‖₂ < δ,
/// reported as `rigorousBound` (infinite otherwise). Angles that exceed even the heuristic bound
/// point to a cut through a group of equal eigenvalues, where the PE is not defined at all.
///
/// A gap of at most 1e-6·‖L‖ (‖L‖ ≤ the Gershgorin bound; the tolerance `laplacian_pe` groups
/// equal eigenvalues with) is a zero gap: λ_{k+1} is repeated past column k, or the graph is
/// disconnected (λ₂ = 0). The eigenspace is then not determined by L, any perturbation may rotate
/// it by up to π/2, and no Davis–Kahan bound exists: `gap` is 0, both bounds are +∞, `degenerate`
/// is true and a warning names the nearest k that ends at a real gap.
public struct PEStability: Sendable {
    /// trials×k principal angles, each row ascending.
    public let angles: Tensor
    /// sin θ_max per trial.
    public let sinMax: [Double]
    /// ‖ΔL‖₂/δ per trial.
    public let bound: [Double]
    /// ‖ΔL‖₂/(δ − ‖ΔL‖₂) per trial, or +∞ when ‖ΔL‖₂ ≥ δ.
    public let rigorousBound: [Double]
    /// ‖ΔL‖₂ per trial.
    public let deltaNorm: [Double]
    /// The spectral gap δ of the original Laplacian (0 when it is zero within 1e-6·‖L‖).
    public let gap: Double
    /// True when the gap is zero: the bounds are then +∞ and say nothing.
    public let degenerate: Bool
    /// λ₂…λ_{k+1} of the original Laplacian.
    public let eigenvalues: [Double]
    /// Warnings from the PE computation.
    public let warnings: [String]

    /// Runs the trials.
    ///
    /// - Parameters:
    ///   - graph: The graph.
    ///   - k: Dimension of the eigenspace (the PE size).
    ///   - perturb: Relative weight noise in [0, 1) (default 0.05).
    ///   - trials: Number of perturbed graphs, ≥ 1.
    ///   - seed: Seed of the perturbations.
    ///   - norm: The Laplacian (default `.sym`).
    /// - Returns: Angles and bounds per trial.
    /// - Throws: `TensorError.invalidArgument` for bad arguments or a graph without edges.
    public static func compute(_ graph: Graph, k: Int, perturb: Double = 0.05, trials: Int = 10,
                               seed: UInt64 = 0, norm: LaplacianNorm = .sym) throws -> PEStability {
        guard perturb >= 0, perturb < 1 else { throw TensorError.invalidArgument("pe_stability: perturb must be in [0, 1), got \(perturb)") }
        guard trials >= 1, trials <= 10_000 else { throw TensorError.invalidArgument("pe_stability: trials must be in 1...10000, got \(trials)") }
        guard !graph.edges.isEmpty else { throw TensorError.invalidArgument("pe_stability: the graph has no edges") }
        guard k >= 1, k + 1 < graph.n else { throw TensorError.invalidArgument("pe_stability: need 1 ≤ k < n − 1, got k = \(k), n = \(graph.n)") }
        let base = try LaplacianPE.compute(graph, k: k, norm: norm)
        let lam = base.eigenvalues
        let lower = lam.first ?? 0                           // λ₂ − λ₁ with λ₁ = 0
        let upper = (base.nextEigenvalue ?? .infinity) - (lam.last ?? 0)
        let l0 = graph.laplacianCSR(norm)
        let tol = 1e-6 * Swift.max(l0.maxAbsRowSum, 1e-300)
        let degenerate = Swift.min(lower, upper) <= tol
        let gap = degenerate ? 0 : Swift.min(lower, upper)
        var warnings = base.warnings
        if degenerate {
            warnings.removeAll { $0.contains("continues past column") }
            if lower <= tol {
                warnings.append("pe_stability: λ₂ = 0 is repeated (the graph is disconnected): the eigenspace is not determined, and the Davis–Kahan bound does not exist (gap 0)")
            } else {
                let cut = base.groups.last { $0.truncated }?.start ?? (k - 1)
                let hint = cut >= 1 ? "; k = \(cut) ends at a gap" : ""
                warnings.append(String(format: "pe_stability: eigenvalue %.6g is repeated across column %d, so the %d-dim eigenspace is not determined: perturbations may turn it arbitrarily, and the Davis–Kahan bound does not exist (gap 0 within 1e-6·‖L‖)", lam.last ?? 0, k, k) + hint)
            }
        }
        var rng = RandomGenerator(seed: seed)
        var angles = [Double](), sinMax = [Double](), bound = [Double](), rigorous = [Double](), dnorm = [Double]()
        for _ in 0..<trials {
            try Interruption.check()
            let w = graph.edges.map { $0.weight * (1 + perturb * (2 * rng.uniform() - 1)) }
            let g2 = try Graph(n: graph.n, sortedEdges: zip(graph.edges, w).map { Graph.Edge(i: $0.i, j: $0.j, weight: $1) })
            let pe2 = try LaplacianPE.compute(g2, k: k, norm: norm)
            let th = try Grassmann.anglesOrthonormal(base.pe, pe2.pe).storage
            angles += th
            sinMax.append(sin(th.last ?? 0))
            let l1 = g2.laplacianCSR(norm)
            let diff = CSRMatrix(rows: l0.rows, cols: l0.cols, rowPtr: l0.rowPtr, colIdx: l0.colIdx,
                                 values: zip(l1.values, l0.values).map { $0 - $1 })
            let dn: Double
            if graph.n <= Graph.denseLimit {
                let ev = try diff.dense().eigvalsh().storage
                dn = Swift.max(Swift.abs(ev.first ?? 0), Swift.abs(ev.last ?? 0))
            } else {
                dn = try GraphLanczos.spectralNorm(diff)
            }
            dnorm.append(dn)
            bound.append(degenerate ? .infinity : dn / gap)
            rigorous.append(!degenerate && dn < gap ? dn / (gap - dn) : .infinity)
        }
        return PEStability(angles: try Tensor(shape: [trials, k], storage: angles), sinMax: sinMax, bound: bound,
                           rigorousBound: rigorous, deltaNorm: dnorm, gap: gap, degenerate: degenerate, eigenvalues: lam,
                           warnings: warnings)
    }
}
