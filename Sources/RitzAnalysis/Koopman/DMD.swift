import Foundation
import RitzTensor

/// Exact dynamic mode decomposition (Tu, Rowley, Luchtenburg, Brunton and Kutz, J. Comput. Dyn. 1,
/// 2014) with exact modes.
///
/// For snapshot pairs Y ≈ A·X (d×m each, one column a time step): X = U Σ Vᵀ truncated to rank r;
/// Ã = U_rᵀ Y V_r Σ_r⁻¹ (r×r); Ã W = W Λ; exact modes Φ = Y V_r Σ_r⁻¹ W (as PyDMD's `exact=True`,
/// without the 1/λ factor of the paper, so modes of λ = 0 stay finite); amplitudes b solve
/// min ‖Φ b − x₀‖₂ (x₀ the first column of X). Eigenvalues are ordered by decreasing modulus.
public struct DMD: Sendable {
    /// Discrete-time eigenvalues λ (r, complex).
    public let eigenvalues: [Complex]
    /// Exact modes, d×r complex128, column j belongs to eigenvalue j.
    public let modes: Tensor
    /// Amplitudes b (r, complex).
    public let amplitudes: [Complex]
    /// ω = log(λ)/dt.
    public let omega: [Complex]
    /// Re ω.
    public let growth: [Double]
    /// Im ω / 2π.
    public let frequency: [Double]
    /// The truncation rank used.
    public let rank: Int
    /// Why that rank: given, capped, numerical or the hard threshold (`DMDRankChoice`).
    public let rankReason: String
    /// Singular values of X, descending.
    public let singularValues: [Double]
    /// The time step of the rates.
    public let dt: Double
    /// Warnings (rank fallback, rank capped).
    public let warnings: [String]

    /// The most columns a matrix may have for the time-major warning (a trajectory of a few states).
    public static let timeMajorColumns = 20

    /// Fits exact DMD.
    ///
    /// - Parameters:
    ///   - x: d×m snapshots; with `y` nil, the pairs are its consecutive columns.
    ///   - y: d×m successors of X's columns, or nil.
    ///   - rank: r > 0 keeps r singular values (capped at the numerical rank); 0 chooses r by
    ///     `DMDRankChoice` (the numerical rank for few singular values or data without a noise
    ///     floor, else the Gavish–Donoho hard threshold); −1 keeps all nonzero ones. A matrix with
    ///     at least ten times as many rows as columns and at most `timeMajorColumns` columns gets
    ///     a warning that it may be time-major (rows as time steps) and needs transposing.
    ///   - dt: Time between snapshots, for the rates (default 1).
    /// - Returns: The decomposition.
    /// - Throws: `ShapeError`, `TensorError.invalidArgument` for a bad rank or dt, `LinalgError`.
    public static func fit(x: Tensor, y: Tensor? = nil, rank: Int = 0, dt: Double = 1) throws -> DMD {
        guard dt.isFinite, dt > 0 else { throw TensorError.invalidArgument("dmd: dt must be positive and finite, got \(dt)") }
        guard rank >= -1 else { throw TensorError.invalidArgument("dmd: rank must be ≥ 0 (or −1 for all), got \(rank)") }
        let (X, Y) = try KoopmanSpectrum.pairs(x, y, "dmd")
        let d = X.shape[0], m = X.shape[1]
        let (u, s, vt) = try X.svd()
        let sv = s.storage
        var warnings = [String]()
        let given = x.shape
        if given.count == 2, given[1] <= timeMajorColumns, given[0] >= 10 * given[1] {
            warnings.append("dmd: X is \(given[0])×\(given[1]), so \(given[1]) snapshots of \(given[0]) states; if its rows are time steps, pass its transpose (X.T)")
        }
        let numerical = DMDRankChoice.numericalRank(sv, rows: d, cols: m)
        guard numerical > 0 else { throw TensorError.invalidArgument("dmd: the snapshot matrix X is zero") }
        var r: Int, reason: String
        switch rank {
        case 0:
            let choice = DMDRankChoice.choose(singularValues: sv, rows: d, cols: m)
            (r, reason) = (choice.rank, choice.reason)
            warnings += choice.warnings
        case -1: (r, reason) = (numerical, "rank=-1: every numerically nonzero singular value")
        default: (r, reason) = (rank, "given: rank=\(rank)")
        }
        if r > numerical {
            warnings.append("dmd: rank \(r) exceeds the numerical rank \(numerical) of X; using \(numerical)")
            reason += "; capped at the numerical rank \(numerical)"
            r = numerical
        }
        let ur = try SubspaceMath.columns(u, 0, r)
        let vr = try SubspaceMath.rows(vt, 0, r).T                                   // m×r
        let inv = (0..<r).map { 1 / sv[$0] }
        let yvs = try SubspaceMath.scaleColumns(Y.matmul(vr), inv)                    // d×r, Y V Σ⁻¹
        let atilde = try ur.T.matmul(yvs)                                             // r×r
        let (vals, vecs) = try atilde.eig()
        let lambdasRaw = (0..<r).map { Complex(vals.storage[2 * $0], vals.storage[2 * $0 + 1]) }
        let order = KoopmanSpectrum.order(lambdasRaw)
        let w = ComplexLinear.Parts(vecs)
        var wSorted = ComplexLinear.Parts(rows: r, cols: r)
        for (newJ, oldJ) in order.enumerated() { for i in 0..<r { wSorted[i, newJ] = w[i, oldJ] } }
        let lambdas = order.map { lambdasRaw[$0] }
        let modes = try yvs.matmul(wSorted.tensor())                                  // d×r complex
        let x0 = ComplexLinear.Parts(try SubspaceMath.columns(X, 0, 1))
        let b = try ComplexLinear.lstsq(ComplexLinear.Parts(modes), x0)
        let rates = KoopmanSpectrum.rates(lambdas, dt: dt)
        return DMD(eigenvalues: lambdas, modes: modes, amplitudes: b.column(0), omega: rates.omega,
                   growth: rates.growth, frequency: rates.frequency, rank: r, rankReason: reason, singularValues: sv, dt: dt,
                   warnings: warnings)
    }

    /// Reconstructs or forecasts the state: x_t = Re(Φ diag(λ^t) b), t = 0…steps.
    ///
    /// - Parameters:
    ///   - x0: Initial state (d); nil uses the fitted amplitudes (the first snapshot).
    ///   - steps: Number of steps; the result has steps + 1 columns.
    /// - Returns: d×(steps+1), laid out as `simulate`'s output.
    /// - Throws: `ShapeError.mismatch` for a wrong x0 length, `TensorError.invalidArgument` for steps < 0.
    public func predict(x0: Tensor?, steps: Int) throws -> Tensor {
        guard steps >= 0 else { throw TensorError.invalidArgument("predict: steps must be ≥ 0") }
        let d = modes.shape[0]
        let phi = ComplexLinear.Parts(modes)
        var b = amplitudes
        if let x0 {
            guard x0.count == d, !x0.isComplex else { throw ShapeError.mismatch(op: "predict", lhs: x0.shape, rhs: [d]) }
            b = try ComplexLinear.lstsq(phi, ComplexLinear.Parts(x0.reshaped([d, 1]))).column(0)
        }
        return try ComplexLinear.evolve(modes: phi, coefficients: b, eigenvalues: eigenvalues, steps: steps)
    }
}
