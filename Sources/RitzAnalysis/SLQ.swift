import Foundation
import RitzTensor

/// A spectral density estimated by stochastic Lanczos quadrature.
public struct SLQResult: Sendable {
    /// The grid of eigenvalue positions (`bins` points, evenly spaced).
    public let x: [Double]
    /// The Gaussian-broadened density on `x`; its trapezoid integral over the grid is 1.
    public let density: [Double]
    /// Gauss quadrature nodes per probe (the Ritz values of each probe's tridiagonal).
    public let nodes: [[Double]]
    /// Quadrature weights per probe (squared first components of T's eigenvectors; each row sums to 1).
    public let weights: [[Double]]
    /// Standard deviation of the Gaussian kernel used.
    public let sigma: Double
    /// Matrix-vector products.
    public let matvecs: Int

    /// The quadrature estimate of the normalised moment tr(Hᵖ)/n for one probe: Σ_j w_j θ_jᵖ.
    ///
    /// - Parameters:
    ///   - p: The power.
    ///   - probe: Which probe.
    /// - Returns: The probe's estimate.
    public func moment(_ p: Int, probe: Int) -> Double {
        zip(nodes[probe], weights[probe]).reduce(0) { $0 + $1.1 * Foundation.pow($1.0, Double(p)) }
    }
}

/// Spectral density of a symmetric operator by stochastic Lanczos quadrature.
///
/// For each probe, a Rademacher vector z (independent ±1 entries, not Gaussian) scaled to unit
/// length v = z/√n starts `steps` steps of Lanczos with full reorthogonalisation; the
/// eigen-decomposition T = Y diag(θ) Yᵀ of its tridiagonal gives an m-point Gauss quadrature of
/// the spectral measure of v: vᵀ f(H) v ≈ Σ_j Y_{0j}² f(θ_j) (Golub & Meurant 1994; Ubaru, Chen
/// & Saad, SIAM J. Matrix Anal. Appl. 38, 2017). The weights w_j = Y_{0j}² are normalised: they
/// sum to ‖v‖² = 1 for every probe, so they estimate (1/n) tr f(H), not tr f(H). Averaging over probes estimates (1/n) tr f(H) = ∫ f dμ; the density is
/// the average of Gaussians of standard deviation σ at the nodes, weighted by the weights
/// (Ghorbani, Krishnan & Xiao, ICML 2019). Exact identities: Σ_j w_j θ_j = vᵀHv and
/// Σ_j w_j θ_j² = ‖Hv‖² (for m ≥ 2), so the moments are Hutchinson estimates of tr(H)/n and
/// tr(H²)/n.
///
/// Grid and σ as PyHessian's `density_generate`: `bins` = 10000 points and a kernel variance of
/// 1e-5·max(1, λ_max − λ_min), where λ_max/min are the extreme nodes widened by 0.01; ritz widens
/// the grid further to max(0.01, 5σ) beyond the extreme nodes so no kernel is cut off, and
/// normalises by the trapezoid rule.
///
/// - Parameters:
///   - H: A symmetric operator.
///   - steps: Lanczos steps per probe (clamped to n); default 80.
///   - probes: Number of probe vectors; default 10.
///   - sigma: Kernel standard deviation; nil for the default above.
///   - bins: Number of grid points (at least 2).
///   - seed: Seed of the probes.
/// - Returns: Grid, density, nodes, weights, σ and matvecs.
/// - Throws: `TensorError.invalidArgument` for bad arguments; errors of the operator.
public func slq(_ H: LinearOperator, steps: Int = 80, probes: Int = 10, sigma: Double? = nil, bins: Int = 10000,
                seed: UInt64 = 0) throws -> SLQResult {
    guard H.isSymmetric else { throw TensorError.invalidArgument("slq needs a symmetric operator") }
    guard steps >= 1 else { throw TensorError.invalidArgument("slq needs steps >= 1, got \(steps)") }
    guard probes >= 1 else { throw TensorError.invalidArgument("slq needs probes >= 1, got \(probes)") }
    guard bins >= 2 else { throw TensorError.invalidArgument("slq needs at least 2 grid points, got \(bins)") }
    if let sigma { guard sigma > 0, sigma.isFinite else { throw TensorError.invalidArgument("slq needs sigma > 0") } }
    try AllocationLimit.check(elements: bins)
    let n = H.n
    let before = H.matvecs
    var rng = RandomGenerator(seed: seed)
    var nodes = [[Double]](), weights = [[Double]]()
    let scale = 1 / Double(n).squareRoot()
    for _ in 0..<probes {
        let v = (0..<n).map { _ in rng.rademacher() * scale }
        let run = try lanczosRecurrence(H, start: v, steps: min(steps, n), rng: &rng)
        let (theta, y) = try SmallEigen.tridiagonal(run.alpha, run.beta)
        let m = theta.count
        nodes.append(theta)
        weights.append((0..<m).map { y[$0] * y[$0] })  // row 0 of Y: first components
    }
    let lo = nodes.compactMap { $0.min() }.min() ?? 0
    let hi = nodes.compactMap { $0.max() }.max() ?? 0
    let width = (hi + 0.01) - (lo - 0.01)
    let s = sigma ?? (1e-5 * max(1, width)).squareRoot()
    let pad = max(0.01, 5 * s)
    let a = lo - pad, b = hi + pad
    let dx = (b - a) / Double(bins - 1)
    guard dx > 0, dx.isFinite else {
        throw TensorError.invalidArgument("slq: the grid from \(a) to \(b) is not finite; choose a smaller sigma")
    }
    let x = (0..<bins).map { $0 == bins - 1 ? b : a + Double($0) * dx }
    var density = [Double](repeating: 0, count: bins)
    let norm = 1 / (Double(probes) * s * (2 * Double.pi).squareRoot())
    for (theta, w) in zip(nodes, weights) {
        for (t, wt) in zip(theta, w) where wt > 0 {
            // Only grid points within 10σ of the node contribute more than e^{-50}.
            // Clamped in floating point before conversion, so huge σ cannot overflow an Int.
            let top = Double(bins - 1)
            let lower = ((t - 10 * s - a) / dx).rounded(.down), upper = ((t + 10 * s - a) / dx).rounded(.up)
            let first = Int(Swift.min(Swift.max(lower, 0), top)), last = Int(Swift.min(Swift.max(upper, 0), top))
            if first > last { continue }
            for i in first...last {
                let z = (x[i] - t) / s
                density[i] += wt * norm * Foundation.exp(-0.5 * z * z)
            }
        }
    }
    // Normalise by the trapezoid rule so the density integrates to exactly 1 on the grid.
    var integral = 0.0
    for i in 1..<bins { integral += 0.5 * (density[i] + density[i - 1]) * dx }
    if integral > 0 { density = density.map { $0 / integral } }
    return SLQResult(x: x, density: density, nodes: nodes, weights: weights, sigma: s, matvecs: H.matvecs - before)
}
