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
    /// How R̃ was computed.
    public let method: Method
    /// Warnings (M ≤ N, an ill-conditioned dictionary).
    public let warnings: [String]

    /// How the snapshots are reduced to R̃; both make one pass over them a chunk at a time, so
    /// the memory beyond the data is O(chunk·w + w²), w = 2N + d, for any number of snapshots.
    public enum Method: String, Sendable {
        /// Streamed Householder QR of √W[Ψ_X Ψ_Y Xᵀ]: R̃ backward stable, eigenvalues and
        /// residuals accurate to about N·ε·κ(Ψ_X); about 2·M·w² flops.
        case qr
        /// The Gram matrix of [Ψ_X Ψ_Y Xᵀ] accumulated by one `dsyrk` per chunk (Ψ_XᵀΨ_X, Ψ_XᵀΨ_Y,
        /// Ψ_YᵀΨ_Y and Ψ_XᵀXᵀ in one product), then Cholesky: M·w² flops at BLAS-3 speed, about 3×
        /// faster than QR, but accurate to N·ε·κ_s(Ψ_X)² (κ_s: the condition number of Ψ_X with
        /// unit columns, which bounds Cholesky's error; van der Sluis, Demmel 1989).
        case gram

        /// The switch rule: QR when the stacked matrix has at most 2²² entries (M·w ≤ 4 194 304,
        /// ≲ 0.1 s of QR; 95 325 Hénon pairs under poly(5)), where its accuracy costs nothing
        /// noticeable; otherwise Gram, kept when ε·κ_s(Ψ_X)² ≤ 1e-7 (κ_s ≤ 2.1e4, eigenvalues
        /// within about 1e-7 relative of QR's; Hénon under poly(5) has κ_s ≈ 6e3), else redone by QR.
        static let qrEntries = 1 << 22

        /// Whether the Gram form's R₁₁ is accurate enough: ε·κ_s² ≤ 1e-7, κ_s from R₁₁ with
        /// unit columns (the column norms of Ψ_X/√M).
        static func gramIsAccurate(_ r11: Tensor) -> Bool {
            let n = r11.shape[0]
            var unit = r11.storage
            for j in 0..<n {
                var norm = 0.0
                for i in 0...j { norm += unit[i * n + j] * unit[i * n + j] }
                let s = norm > 0 ? 1 / norm.squareRoot() : 0
                for i in 0...j { unit[i * n + j] *= s }
            }
            guard let sv = try? Tensor(shape: [n, n], storage: unit).singularValues().storage,
                  let hi = sv.first, let lo = sv.last, lo > 0 else { return false }
            let kappa = hi / lo
            return Double.ulpOfOne * kappa * kappa <= 1e-7
        }
    }

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
                           residuals: ResidualData? = nil, dt: Double = 1, method: Method? = nil) throws -> EDMD {
        try fit(x: x, y: y, dictionary: dictionary, residuals: residuals, dt: dt, method: method, chunk: nil)
    }

    /// `fit` with the chunk size of the reduction fixed (nil: `SnapshotReduction.chunkRows`), for tests.
    static func fit(x: Tensor, y: Tensor?, dictionary: KoopmanDictionary, residuals: ResidualData?, dt: Double,
                    method: Method?, chunk: Int?) throws -> EDMD {
        guard dt.isFinite, dt > 0 else { throw TensorError.invalidArgument("edmd: dt must be positive and finite, got \(dt)") }
        var pairs = try SnapshotPairs.of(x, y, "edmd")
        var test: SnapshotPairs?
        switch residuals {
        case .holdout(let f)?:
            guard f > 0, f < 1 else { throw TensorError.invalidArgument("resdmd: holdout fraction must be in (0, 1), got \(f)") }
            let m = pairs.count, mt = Int((Double(m) * f).rounded())
            guard mt >= 1, mt < m else { throw TensorError.invalidArgument("resdmd: holdout \(f) of \(m) pairs leaves an empty part") }
            test = pairs.range(m - mt, m)
            pairs = pairs.range(0, m - mt)
        case .separate(let tx, let ty)?:
            let t = try SnapshotPairs.of(tx, ty, "resdmd")
            guard t.dimension == pairs.dimension else { throw ShapeError.mismatch(op: "resdmd", lhs: pairs.x.shape, rhs: tx.shape) }
            test = t
        default: break
        }
        let d = pairs.dimension, m = pairs.count
        let evaluator = try KoopmanDictionary.Evaluator(dictionary, dimension: d)
        let n = evaluator.count
        guard m >= n else {
            throw TensorError.invalidArgument("edmd: \(m) snapshot pairs are fewer than the \(n) functions of \(dictionary.name): the fit is underdetermined (and residuals would all be 0); use more snapshots or a smaller dictionary")
        }
        var warnings = [String]()
        let rankDeficient = { (ratio: Double) in
            TensorError.invalidArgument("edmd: the dictionary \(dictionary.name) is numerically rank deficient on these snapshots (σ_min/σ_max = \(String(format: "%.1e", ratio))); use fewer functions or more varied data")
        }
        // The switch rule: QR for small data; the Gram form for large, unless its conditioning
        // check sends it back to QR (see `Method`).
        var chosen = method ?? (m * (2 * n + d) <= Method.qrEntries ? .qr : .gram)
        var blocks: RBlocks
        if chosen == .gram {
            let g = try SnapshotReduction.reduce(pairs, evaluator: evaluator, extra: true, kind: .gram, chunk: chunk)
            let fromGram = try blocksFromGram(g, n: n, width: 2 * n + d, count: m)
            if let b = fromGram, method == .gram || Method.gramIsAccurate(b.r11) {
                blocks = b
            } else if fromGram == nil && method == .gram {
                throw rankDeficient(0)
            } else {
                chosen = .qr
                blocks = try qrBlocks(pairs, evaluator: evaluator, extra: true, chunk: chunk)
            }
        } else {
            blocks = try qrBlocks(pairs, evaluator: evaluator, extra: true, chunk: chunk)
        }
        // Conditioning of Ψ_X: the singular values of R₁₁ are those of Ψ_X.
        let sv = try blocks.r11.singularValues().storage
        let smax = sv.first ?? 0, smin = sv.last ?? 0
        guard smax > 0, smin > 1e-13 * smax else { throw rankDeficient(smax > 0 ? smin / smax : 0) }
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
            } else if let test {
                let mt = test.count
                if mt <= n { warnings.append(lowDataWarning(m: mt, n: n)) }
                // The held-out pairs by the fit's method; a Gram matrix the Cholesky cannot factor
                // (held-out data too few or too ill-conditioned) goes through QR.
                let gramBlocks = chosen == .gram
                    ? try blocksFromGram(SnapshotReduction.reduce(test, evaluator: evaluator, extra: false, kind: .gram, chunk: chunk),
                                         n: n, width: 2 * n, count: mt) : nil
                let tb = try gramBlocks ?? qrBlocks(test, evaluator: evaluator, extra: false, chunk: chunk)
                res = (0..<n).map { j in
                    heldOutResidual(tb, lambda: lambdas[j], g: g.column(j))
                }
            }
        }
        let rates = KoopmanSpectrum.rates(lambdas, dt: dt)
        return EDMD(dictionary: dictionary, eigenvalues: lambdas, eigenfunctions: try g.tensor(),
                    modes: try modes.tensor(), residuals: res, omega: rates.omega, growth: rates.growth,
                    frequency: rates.frequency, dt: dt, snapshots: m, kTilde: kt, eTilde: et, method: chosen, warnings: warnings)
    }

    static func lowDataWarning(m: Int, n: Int) -> String {
        "resdmd: \(m) snapshot pairs ≤ \(n) dictionary functions: Ψ_X has a right inverse, every residual is 0 and flags nothing; use more snapshots (or fewer functions)"
    }

    /// The blocks of R̃ from √W[Ψ_X Ψ_Y Xᵀ] = Q̃R̃ (W = I/M; R̃ may be only defined up to an
    /// orthogonal factor on the left of R₂₂, which no result depends on).
    struct RBlocks {
        var r11: Tensor, r12: Tensor, r22: Tensor, r13: Tensor
    }

    /// The blocks of R̃ = R(√W S) by streamed Householder QR of S = [Ψ_X Ψ_Y (Xᵀ)].
    static func qrBlocks(_ pairs: SnapshotPairs, evaluator: KoopmanDictionary.Evaluator, extra: Bool,
                         chunk: Int?) throws -> RBlocks {
        let n = evaluator.count, w = 2 * n + (extra ? pairs.dimension : 0)
        var r = try SnapshotReduction.reduce(pairs, evaluator: evaluator, extra: extra, kind: .triangular, chunk: chunk)
        let scale = 1 / Double(pairs.count).squareRoot()
        for i in r.indices { r[i] *= scale }
        return try RBlocks(r11: block(r, w, 0..<n, 0..<n), r12: block(r, w, 0..<n, n..<(2 * n)),
                           r22: block(r, w, n..<(2 * n), n..<(2 * n)), r13: block(r, w, 0..<n, (2 * n)..<w))
    }

    /// The blocks of R̃ from the Gram matrix SᵀS (w×w) of S = [Ψ_X Ψ_Y (Xᵀ)], nil when
    /// G = Ψ_XᵀΨ_X is not numerically positive definite.
    ///
    /// With W = I/M: R₁₁ = chol(G/M) (upper, RᵀR = G/M, LAPACK `dpotrf`), R₁₂ = R₁₁⁻ᵀ(A/M) with
    /// A = Ψ_XᵀΨ_Y, R₁₃ = R₁₁⁻ᵀ(Ψ_XᵀXᵀ/M), and R₂₂ any factor of the Schur complement
    /// S₂₂ = L/M − R₁₂ᵀR₁₂ (L = Ψ_YᵀΨ_Y): R₂₂ = Λ₊^½Uᵀ from S₂₂ = UΛUᵀ, with Λ₊ = max(Λ, 0).
    /// S₂₂ is positive semidefinite in exact arithmetic (a Schur complement of a Gram matrix);
    /// rounding in forming it, about w·ε·‖L/M‖, can make its smallest eigenvalues slightly
    /// negative, which are clamped to 0 so residuals stay real. This is where the Gram form's
    /// cancellation sits: residuals below about √(w·ε)·‖Ψ_Y‖/‖Ψ_X g‖ (≈ 1e-7 for a well-scaled
    /// dictionary) are not resolved, where QR resolves them down to w·ε·κ(Ψ_X).
    ///
    /// With g = R₁₁⁻¹v these blocks give the paper's Gram-form residual exactly:
    /// gᴴLg − λgᴴAᴴg − λ̄gᴴAg + |λ|²gᴴGg = M(‖(K̃ − λI)v‖² + ‖Ev‖²) and gᴴGg = M‖v‖², so the
    /// residuals are computed as on the QR path, the λ-dependent part without cancellation.
    /// - Parameters:
    ///   - g: SᵀS, w×w row-major.
    ///   - n: N, the dictionary size.
    ///   - w: The width of S (2N, or 2N + d with Xᵀ).
    ///   - m: M, the number of rows of S.
    /// - Returns: The blocks (r13 empty when w = 2N), or nil.
    /// - Throws: `LinalgError` from the small factorisations.
    static func blocksFromGram(_ g: [Double], n: Int, width w: Int, count m: Int) throws -> RBlocks? {
        let scaled = g.map { $0 / Double(m) }
        let lower: Tensor
        do { lower = try block(scaled, w, 0..<n, 0..<n).cholesky() } catch LinalgError.notPositiveDefinite { return nil }
        guard lower.storage.allSatisfy(\.isFinite) else { return nil }
        let r12 = try Tensor.solve(lower, block(scaled, w, 0..<n, n..<(2 * n)))
        let r13 = try Tensor.solve(lower, block(scaled, w, 0..<n, (2 * n)..<w))
        let l = try block(scaled, w, n..<(2 * n), n..<(2 * n)).storage
        let r12tr12 = try Tensor.gemm(r12, transA: true, r12, transB: false).storage
        var schur = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n {
            schur[i * n + j] = 0.5 * ((l[i * n + j] - r12tr12[i * n + j]) + (l[j * n + i] - r12tr12[j * n + i]))
        } }
        let (values, vectors) = try Tensor(shape: [n, n], storage: schur).eigh()
        var r22 = [Double](repeating: 0, count: n * n)
        for k in 0..<n {
            let root = Swift.max(values.storage[k], 0).squareRoot()
            for j in 0..<n { r22[k * n + j] = root * vectors.storage[j * n + k] }
        }
        return RBlocks(r11: lower.T, r12: r12, r22: try Tensor(shape: [n, n], storage: r22), r13: r13)
    }

    /// Rows `rows` and columns `cols` of a row-major matrix with `w` columns.
    static func block(_ a: [Double], _ w: Int, _ rows: Range<Int>, _ cols: Range<Int>) throws -> Tensor {
        var out = [Double]()
        out.reserveCapacity(rows.count * cols.count)
        for i in rows { out += a[(i * w + cols.lowerBound)..<(i * w + cols.upperBound)] }
        return try Tensor(shape: [rows.count, cols.count], storage: out)
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
