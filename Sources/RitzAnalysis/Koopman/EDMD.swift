import Foundation
import RitzTensor

/// Extended DMD (Williams, Kevrekidis and Rowley, J. Nonlinear Sci. 25, 2015) with the residuals of
/// residual DMD (Colbrook and Townsend, Comm. Pure Appl. Math. 77, 2024).
///
/// With Ψ_X, Ψ_Y (M×N) the dictionary on the snapshots and their successors, one QR (TSQR, Householder
/// on cache-sized row blocks) of the stacked matrix √W[Ψ_X Ψ_Y Xᵀ] = Q̃ R̃ (W = I/M, which cancels from every ratio below) gives
/// √WΨ_X = Q R₁₁ and √WΨ_Y = Q R₁₂ + Q₂ R₂₂ with [Q Q₂] orthonormal. In these coordinates
/// * C = √WΨ_Y R₁₁⁻¹ = Q K̃ + Q₂ E with K̃ = R₁₂R₁₁⁻¹ = QᵀC and E = R₂₂R₁₁⁻¹;
/// * the EDMD matrix K = Ψ_X⁺Ψ_Y = R₁₁⁻¹R₁₂ is similar to K̃ (K = R₁₁⁻¹K̃R₁₁), so eigenpairs are
///   taken from K̃ v = λv, and the eigenfunction coefficients are g = R₁₁⁻¹v (φ = Ψ g);
/// * the residual of (λ, v) is res(λ, v)² = ‖(C − λQ)v‖²/‖v‖² = (‖(K̃ − λI)v‖² + ‖E v‖²)/‖v‖²,
///   a sum of squares of small matrices: no Gram matrix is formed, so nothing cancels (the Gram
///   form g*(L − λA* − λ̄A + |λ|²G)g / g*Gg of the paper equals it in exact arithmetic);
/// * the Koopman modes of the full state satisfy Ψ_X R₁₁⁻¹R₁₃ ≈ Xᵀ, so modesᵀ = V⁻¹R₁₃ (V the
///   matrix of eigenvectors v), and x ≈ Σ_j φ_j(x) ξ_j.
/// res(λ, v) is the relative error ‖ψ∘F − λψ‖/‖ψ‖ of the candidate eigenfunction on the data, an
/// upper bound (as M grows) on its distance to the true spectrum: a large residual flags a
/// spurious eigenvalue. With M ≤ N snapshots Ψ_X has a right inverse and every residual is 0,
/// which says nothing; a warning says so.
public struct EDMD: Sendable {
    /// Where residuals are computed.
    public enum ResidualData: Sendable {
        /// On the fitting snapshots.
        case training
        /// On the last `fraction` of the snapshot pairs, which are then left out of the fit.
        case holdout(fraction: Double)
        /// On separate snapshot pairs (d×M′ each).
        case separate(x: Tensor, y: Tensor)
    }

    /// The dictionary.
    public let dictionary: KoopmanDictionary
    /// Eigenvalues λ (N, complex), by decreasing modulus.
    public let eigenvalues: [Complex]
    /// Eigenfunction coefficients g: N×N complex128, φ_j(x) = Σ_i ψ_i(x) g_ij.
    public let eigenfunctions: Tensor
    /// Koopman modes ξ_j of the full state, d×N complex128.
    public let modes: Tensor
    /// res(λ_j, v_j), one per eigenvalue; nil when not requested.
    public let residuals: [Double]?
    /// ω = log(λ)/dt.
    public let omega: [Complex]
    /// Re ω.
    public let growth: [Double]
    /// Im ω / 2π.
    public let frequency: [Double]
    /// The time step of the rates.
    public let dt: Double
    /// Snapshot pairs used in the fit.
    public let snapshots: Int
    /// K̃ = R₁₂R₁₁⁻¹ (N×N), the EDMD matrix in orthonormal coordinates (for pseudospectra).
    public let kTilde: Tensor
    /// E = R₂₂R₁₁⁻¹ (N×N), the part of C outside span(Q) (for pseudospectra).
    public let eTilde: Tensor
    /// Warnings (M ≤ N, an ill-conditioned dictionary).
    public let warnings: [String]

    /// Fits EDMD, and with `residuals` non-nil adds each eigenpair's ResDMD residual.
    ///
    /// - Parameters:
    ///   - x: d×M snapshots; with `y` nil, the pairs are consecutive columns.
    ///   - y: d×M successors, or nil.
    ///   - dictionary: The observables.
    ///   - residuals: nil for plain EDMD, or where to compute residuals.
    ///   - dt: Time between snapshots, for the rates.
    /// - Returns: The decomposition.
    /// - Throws: `TensorError.invalidArgument` when the dictionary matrix Ψ_X is numerically rank
    ///   deficient (σ_min/σ_max < 1e-13; use fewer functions or more varied data), `ShapeError`,
    ///   `LinalgError`.
    public static func fit(x: Tensor, y: Tensor? = nil, dictionary: KoopmanDictionary,
                           residuals: ResidualData? = nil, dt: Double = 1) throws -> EDMD {
        guard dt.isFinite, dt > 0 else { throw TensorError.invalidArgument("edmd: dt must be positive and finite, got \(dt)") }
        var (X, Y) = try KoopmanSpectrum.pairs(x, y, "edmd")
        var test: (Tensor, Tensor)?
        switch residuals {
        case .holdout(let f)?:
            guard f > 0, f < 1 else { throw TensorError.invalidArgument("resdmd: holdout fraction must be in (0, 1), got \(f)") }
            let m = X.shape[1], mt = Int((Double(m) * f).rounded())
            guard mt >= 1, mt < m else { throw TensorError.invalidArgument("resdmd: holdout \(f) of \(m) pairs leaves an empty part") }
            test = (try SubspaceMath.columns(X, m - mt, m), try SubspaceMath.columns(Y, m - mt, m))
            X = try SubspaceMath.columns(X, 0, m - mt); Y = try SubspaceMath.columns(Y, 0, m - mt)
        case .separate(let tx, let ty)?:
            test = try KoopmanSpectrum.pairs(tx, ty, "resdmd")
            guard test?.0.shape[0] == X.shape[0] else { throw ShapeError.mismatch(op: "resdmd", lhs: X.shape, rhs: tx.shape) }
        default: break
        }
        let d = X.shape[0], m = X.shape[1]
        let n = try dictionary.size(dimension: d)
        guard m >= n else {
            throw TensorError.invalidArgument("edmd: \(m) snapshot pairs are fewer than the \(n) functions of \(dictionary.name): the fit is underdetermined (and residuals would all be 0); use more snapshots or a smaller dictionary")
        }
        var warnings = [String]()
        let psiX = try dictionary.evaluate(X), psiY = try dictionary.evaluate(Y)
        let blocks = try stackedR(psiX, psiY, extra: X.T, n: n)
        // Conditioning of Ψ_X: the singular values of R₁₁ are those of Ψ_X.
        let sv = try blocks.r11.singularValues().storage
        let smax = sv.first ?? 0, smin = sv.last ?? 0
        guard smax > 0, smin > 1e-13 * smax else {
            throw TensorError.invalidArgument("edmd: the dictionary \(dictionary.name) is numerically rank deficient on these snapshots (σ_min/σ_max = \(String(format: "%.1e", smax > 0 ? smin / smax : 0))); use fewer functions or more varied data")
        }
        if smin < 1e-8 * smax {
            warnings.append(String(format: "edmd: the dictionary matrix is ill-conditioned (σ_min/σ_max = %.1e); eigenvalues may be inaccurate", smin / smax))
        }
        // K̃ = R₁₂R₁₁⁻¹ and E = R₂₂R₁₁⁻¹, from R₁₁ᵀ Zᵀ = Bᵀ.
        let r11t = blocks.r11.T
        let kt = try Tensor.solve(r11t, blocks.r12.T).T
        let et = try Tensor.solve(r11t, blocks.r22.T).T
        let (vals, vecs) = try kt.eig()
        let raw = (0..<n).map { Complex(vals.storage[2 * $0], vals.storage[2 * $0 + 1]) }
        let order = KoopmanSpectrum.order(raw)
        let lambdas = order.map { raw[$0] }
        let vAll = ComplexLinear.Parts(vecs)
        var v = ComplexLinear.Parts(rows: n, cols: n)
        for (newJ, oldJ) in order.enumerated() { for i in 0..<n { v[i, newJ] = vAll[i, oldJ] } }
        // g = R₁₁⁻¹ v (real and imaginary parts separately).
        let gRe = try Tensor.solve(blocks.r11, Tensor(shape: [n, n], storage: v.re))
        let gIm = try Tensor.solve(blocks.r11, Tensor(shape: [n, n], storage: v.im))
        var g = ComplexLinear.Parts(rows: n, cols: n)
        g.re = gRe.storage; g.im = gIm.storage
        // Modes: V Ξ = R₁₃, modes = Ξᵀ.
        let xi = try ComplexLinear.solve(v, ComplexLinear.Parts(blocks.r13))
        var modes = ComplexLinear.Parts(rows: d, cols: n)
        for j in 0..<n { for i in 0..<d { modes[i, j] = xi[j, i] } }

        var res: [Double]?
        if let residuals {
            if case .training = residuals {
                if m <= n { warnings.append(lowDataWarning(m: m, n: n)) }
                res = (0..<n).map { j in
                    inSampleResidual(kt: kt, et: et, lambda: lambdas[j], v: v.column(j))
                }
            } else if let (tx, ty) = test {
                let mt = tx.shape[1]
                if mt <= n { warnings.append(lowDataWarning(m: mt, n: n)) }
                let tb = try stackedR(dictionary.evaluate(tx), dictionary.evaluate(ty), extra: nil, n: n)
                res = (0..<n).map { j in
                    heldOutResidual(tb, lambda: lambdas[j], g: g.column(j))
                }
            }
        }
        let rates = KoopmanSpectrum.rates(lambdas, dt: dt)
        return EDMD(dictionary: dictionary, eigenvalues: lambdas, eigenfunctions: try g.tensor(),
                    modes: try modes.tensor(), residuals: res, omega: rates.omega, growth: rates.growth,
                    frequency: rates.frequency, dt: dt, snapshots: m, kTilde: kt, eTilde: et, warnings: warnings)
    }

    static func lowDataWarning(m: Int, n: Int) -> String {
        "resdmd: \(m) snapshot pairs ≤ \(n) dictionary functions: Ψ_X has a right inverse, every residual is 0 and flags nothing; use more snapshots (or fewer functions)"
    }

    /// The blocks of R̃ from √W[Ψ_X Ψ_Y extra] = Q̃R̃, padded with zero rows when M < 2N + extra.
    struct RBlocks {
        var r11: Tensor, r12: Tensor, r22: Tensor, r13: Tensor
    }

    static func stackedR(_ psiX: Tensor, _ psiY: Tensor, extra: Tensor?, n: Int) throws -> RBlocks {
        let m = psiX.shape[0]
        let e = extra?.shape[1] ?? 0
        let w = 2 * n + e
        var s = [Double](repeating: 0, count: try Tensor.elementCount([m, w]))
        let scale = 1 / Double(m).squareRoot()                     // √W with W = I/M
        let px = psiX.storage, py = psiY.storage, ex = extra?.storage ?? []
        for i in 0..<m {
            for j in 0..<n { s[i * w + j] = scale * px[i * n + j]; s[i * w + n + j] = scale * py[i * n + j] }
            for j in 0..<e { s[i * w + 2 * n + j] = scale * ex[i * e + j] }
        }
        let r = try Tensor(shape: [w, w], storage: SubspaceMath.tallSkinnyR(s, rows: m, cols: w))
        let rows = w
        func block(_ r0: Int, _ r1: Int, _ c0: Int, _ c1: Int) throws -> Tensor {
            var out = [Double](repeating: 0, count: (r1 - r0) * (c1 - c0))
            for i in r0..<Swift.min(r1, rows) { for j in c0..<c1 { out[(i - r0) * (c1 - c0) + j - c0] = r.storage[i * w + j] } }
            return try Tensor(shape: [r1 - r0, c1 - c0], storage: out)
        }
        return RBlocks(r11: try block(0, n, 0, n), r12: try block(0, n, n, 2 * n),
                       r22: try block(n, 2 * n, n, 2 * n), r13: try block(0, n, 2 * n, w))
    }

    /// res(λ, v) = √((‖(K̃ − λI)v‖² + ‖Ev‖²)/‖v‖²).
    static func inSampleResidual(kt: Tensor, et: Tensor, lambda: Complex, v: [Complex]) -> Double {
        let n = v.count
        var num = 0.0, den = 0.0
        for i in 0..<n {
            var a = Complex(0), b = Complex(0)
            for j in 0..<n {
                a = a + kt.storage[i * n + j] * v[j]
                b = b + et.storage[i * n + j] * v[j]
            }
            a = a - lambda * v[i]
            num += a.re * a.re + a.im * a.im + b.re * b.re + b.im * b.im
            den += v[i].re * v[i].re + v[i].im * v[i].im
        }
        return den > 0 ? (num / den).squareRoot() : .nan
    }

    /// res(λ, g) on other data with blocks R′: ‖[(R′₁₂ − λR′₁₁)g; R′₂₂g]‖ / ‖R′₁₁g‖.
    static func heldOutResidual(_ b: RBlocks, lambda: Complex, g: [Complex]) -> Double {
        let n = g.count
        var num = 0.0, den = 0.0
        for i in 0..<n {
            var r11g = Complex(0), r12g = Complex(0), r22g = Complex(0)
            for j in 0..<n {
                r11g = r11g + b.r11.storage[i * n + j] * g[j]
                r12g = r12g + b.r12.storage[i * n + j] * g[j]
                r22g = r22g + b.r22.storage[i * n + j] * g[j]
            }
            let a = r12g - lambda * r11g
            num += a.re * a.re + a.im * a.im + r22g.re * r22g.re + r22g.im * r22g.im
            den += r11g.re * r11g.re + r11g.im * r11g.im
        }
        return den > 0 ? (num / den).squareRoot() : .nan
    }
}
