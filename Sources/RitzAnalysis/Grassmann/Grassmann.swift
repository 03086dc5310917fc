import Foundation
import RitzTensor

/// Errors of the Grassmann tools.
public enum GrassmannError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The two subspaces have a principal angle of π/2 (to within `tolerance`), so the logarithm
    /// (and hence geodesics and means) is not unique: V lies on the cut locus of U.
    case cutLocus(largestAngle: Double)
    /// Bases of different sizes where equal dimensions are required.
    case dimensionMismatch(op: String, lhs: [Int], rhs: [Int])

    public var description: String {
        switch self {
        case .cutLocus(let a):
            return String(format: "the subspaces are on each other's cut locus (largest principal angle %.12f ≈ π/2): the Grassmann logarithm is not unique", a)
        case let .dimensionMismatch(op, lhs, rhs):
            return "`\(op)` needs bases of the same shape, got \(formatShape(lhs)) and \(formatShape(rhs))"
        }
    }
}

/// The three distances between subspaces of equal dimension.
public enum GrassmannMetric: String, CaseIterable, Sendable {
    /// ‖θ‖₂, the arc length of the geodesic.
    case geodesic
    /// ‖sin θ‖₂ = ‖UUᵀ − VVᵀ‖_F / √2.
    case chordal
    /// sin θ_max = ‖UUᵀ − VVᵀ‖₂.
    case projection
}

/// An orthonormal basis with the rank decision that produced it.
public struct OrthBasis: Sendable {
    /// n×r with orthonormal columns spanning the range of A.
    public let basis: Tensor
    /// The numerical rank r.
    public let rank: Int
    /// The threshold on singular values that decided the rank.
    public let tolerance: Double
    /// All singular values of A, descending.
    public let singularValues: Tensor
    /// Warnings (a rank drop), empty when A has full column rank.
    public let warnings: [String]
}

/// A Karcher (Riemannian) mean on the Grassmannian with its convergence trace.
public struct KarcherMean: Sendable {
    /// n×p orthonormal basis of the mean subspace.
    public let mean: Tensor
    /// ‖mean tangent‖_F at each iteration (the Riemannian gradient norm of half the variance).
    public let trace: [Double]
    /// True when the last gradient norm fell below the tolerance.
    public let converged: Bool
    /// Warnings (no convergence, an input near the cut locus of the mean).
    public let warnings: [String]
}

/// Geometry of the Grassmann manifold Gr(n, p): subspaces represented by n×p orthonormal bases.
///
/// Formulas: principal angles by the sine–cosine method of Knyazev and Argentati (SIAM J. Sci.
/// Comput. 23, 2002); logarithm, exponential and geodesics as in Bendokat, Zimmermann and Absil,
/// "A Grassmann manifold handbook" (2024), Algorithms 5.3 and eq. (3.10); the Karcher mean by
/// Riemannian gradient descent with unit step (Karcher 1977; Absil et al. 2004).
public enum Grassmann {
    /// Orthonormal basis of the range of A by the SVD, with rank decided as SciPy's `orth`.
    ///
    /// Rank r = #{σ_i > tol}, tol = rcond·σ_max with rcond = ε·max(n, p) by default (ε the double
    /// precision unit roundoff 2.2e-16). The basis is U[:, :r] of A = UΣVᵀ.
    /// - Parameters:
    ///   - a: An n×p real matrix (a vector is one column).
    ///   - rcond: Relative threshold; nil for ε·max(n, p).
    /// - Returns: The basis, its rank and a warning when r < p.
    /// - Throws: `ShapeError.wrongRank`, `LinalgError`.
    public static func orth(_ a: Tensor, rcond: Double? = nil) throws -> OrthBasis {
        let m = try SubspaceMath.matrix(a, "orth")
        let n = m.shape[0], p = m.shape[1]
        let (u, s, _) = try m.svd()
        let rc = rcond ?? Double.ulpOfOne * Double(Swift.max(n, p))
        let smax = s.storage.first ?? 0
        let tol = rc * smax
        let r = s.storage.filter { $0 > tol }.count
        var warnings = [String]()
        if r < p {
            warnings.append("orth: the \(p) columns span only \(r) dimension\(r == 1 ? "" : "s") (singular values ≤ \(String(format: "%.3g", tol)) dropped)")
        }
        return OrthBasis(basis: try SubspaceMath.columns(u, 0, r), rank: r, tolerance: tol, singularValues: s, warnings: warnings)
    }

    /// Principal angles between the column spans of A and B, ascending.
    ///
    /// Both are orthonormalised by `orth`; with Q_A (n×p), Q_B (n×q), p ≥ q (else swapped), the
    /// cosines are the singular values of Q_AᵀQ_B and the sines those of Q_B − Q_A(Q_AᵀQ_B).
    /// An angle whose cosine² ≥ 1/2 is taken from its sine (arcsin), the others from the cosine
    /// (arccos), so each angle has an absolute error of a few ulps (Knyazev & Argentati 2002):
    /// angles of 1e-9 come out to about 1e-16 absolute, where a bare arccos gives 0 or 2e-8.
    /// - Returns: min(rank A, rank B) angles in [0, π/2], ascending, and orth's warnings.
    /// - Throws: `ShapeError.mismatch` when the row counts differ.
    public static func principalAngles(_ a: Tensor, _ b: Tensor) throws -> (angles: Tensor, warnings: [String]) {
        let ma = try SubspaceMath.matrix(a, "principal_angles"), mb = try SubspaceMath.matrix(b, "principal_angles")
        guard ma.shape[0] == mb.shape[0] else {
            throw ShapeError.mismatch(op: "principal_angles", lhs: ma.shape, rhs: mb.shape)
        }
        let oa = try orth(ma), ob = try orth(mb)
        return (try anglesOrthonormal(oa.basis, ob.basis), oa.warnings + ob.warnings)
    }

    /// Principal angles of two bases already known to be orthonormal (no re-orthonormalisation).
    static func anglesOrthonormal(_ qa0: Tensor, _ qb0: Tensor) throws -> Tensor {
        let (qa, qb) = qa0.shape[1] >= qb0.shape[1] ? (qa0, qb0) : (qb0, qa0)
        let q = qb.shape[1]
        if q == 0 { return Tensor([]) }
        let m = try qa.T.matmul(qb)                           // p×q
        let cosines = try m.singularValues().storage          // descending
        let rest = try qb - qa.matmul(m)                     // n×q, (I − Q_A Q_Aᵀ) Q_B
        let sines = try rest.singularValues().storage         // descending
        var angles = [Double](repeating: 0, count: q)
        for i in 0..<q {
            let c = Swift.min(Swift.max(cosines[i], 0), 1)
            if c * c >= 0.5 {
                let sIdx = sines.count - 1 - i
                let s = sIdx >= 0 ? Swift.min(Swift.max(sines[sIdx], 0), 1) : 0
                angles[i] = asin(s)
            } else {
                angles[i] = acos(c)
            }
        }
        angles.sort()
        return Tensor(angles)
    }

    /// The distance between the spans of A and B (equal dimensions).
    ///
    /// geodesic = ‖θ‖₂, chordal = ‖sin θ‖₂, projection = sin θ_max (θ the principal angles).
    /// - Parameters:
    ///   - metric: Which distance.
    /// - Returns: The value and the angles it came from.
    /// - Throws: `GrassmannError.dimensionMismatch` when the subspace dimensions differ.
    public static func distance(_ a: Tensor, _ b: Tensor, metric: GrassmannMetric = .geodesic) throws -> (value: Double, angles: Tensor, warnings: [String]) {
        let (angles, warnings) = try principalAngles(a, b)
        let oa = try orth(a), ob = try orth(b)
        guard oa.rank == ob.rank else {
            throw GrassmannError.dimensionMismatch(op: "grassmann_dist", lhs: [oa.rank], rhs: [ob.rank])
        }
        let th = angles.storage
        let value: Double
        switch metric {
        case .geodesic: value = th.reduce(0) { $0 + $1 * $1 }.squareRoot()
        case .chordal: value = th.reduce(0) { $0 + sin($1) * sin($1) }.squareRoot()
        case .projection: value = sin(th.last ?? 0)
        }
        return (value, angles, warnings)
    }

    /// Checks a basis for orthonormality and returns it, or an orthonormalised copy.
    static func orthonormal(_ u: Tensor, _ op: String) throws -> Tensor {
        let m = try SubspaceMath.matrix(u, op)
        if try SubspaceMath.orthonormalityError(m) <= 1e-10 { return m }
        let o = try orth(m)
        guard o.rank == m.shape[1] else {
            throw TensorError.invalidArgument("\(op): the basis has rank \(o.rank) < \(m.shape[1]) columns")
        }
        return o.basis
    }

    /// The Grassmann logarithm: the tangent T at span(U) with Exp_U(T) = span(V), ‖T‖_F = ‖θ‖₂.
    ///
    /// Bendokat–Zimmermann–Absil, Algorithm 5.3: VᵀU = Q S Rᵀ; Y = V Q Rᵀ (Procrustes alignment);
    /// (I − UUᵀ)Y = Q̂ Ŝ R̂ᵀ; T = Q̂ arcsin(Ŝ) R̂ᵀ. No inverse of UᵀV is formed, so it is accurate
    /// for small angles.
    /// - Parameters:
    ///   - u: n×p basis of the base point (orthonormalised if it is not).
    ///   - v: n×p basis of the target.
    /// - Returns: T (n×p, UᵀT = 0) and a warning when the largest angle is within 1e-6 of π/2.
    /// - Throws: `GrassmannError.cutLocus` when an angle is π/2 to within 1e-10 (the logarithm is
    ///   not unique); `GrassmannError.dimensionMismatch` for different shapes.
    public static func log(_ u: Tensor, _ v: Tensor) throws -> (tangent: Tensor, warnings: [String]) {
        let U = try orthonormal(u, "grassmann_log"), V = try orthonormal(v, "grassmann_log")
        guard U.shape == V.shape else { throw GrassmannError.dimensionMismatch(op: "grassmann_log", lhs: U.shape, rhs: V.shape) }
        let (q, s, rt) = try V.T.matmul(U).svd()
        let largest = try anglesOrthonormal(U, V).storage.last ?? 0
        if largest > Double.pi / 2 - 1e-10 || (s.storage.last ?? 1) < 1e-10 {
            throw GrassmannError.cutLocus(largestAngle: largest)
        }
        var warnings = [String]()
        if largest > Double.pi / 2 - 1e-6 {
            warnings.append(String(format: "grassmann_log: largest principal angle %.9f is near π/2 (the cut locus); the logarithm is ill-conditioned", largest))
        }
        let y = try V.matmul(q.matmul(rt))
        let h = try y - U.matmul(U.T.matmul(y))
        let (qh, sh, rht) = try h.svd()
        let theta = sh.storage.map { asin(Swift.min(Swift.max($0, 0), 1)) }
        let t = try SubspaceMath.scaleColumns(qh, theta).matmul(rht)
        return (t, warnings)
    }

    /// The Grassmann exponential: the point reached from span(U) along the tangent T in unit time.
    ///
    /// T = Q Σ Rᵀ (thin SVD); Exp_U(T) = U R cos Σ Rᵀ + Q sin Σ Rᵀ (handbook eq. 3.10). T is first
    /// projected onto the horizontal space (T ← T − U UᵀT). The result is re-orthonormalised by
    /// QR when its columns lose orthonormality beyond 1e-12.
    /// - Returns: An n×p orthonormal basis.
    /// - Throws: `GrassmannError.dimensionMismatch` when U and T differ in shape.
    public static func exp(_ u: Tensor, _ t: Tensor) throws -> Tensor {
        let U = try orthonormal(u, "grassmann_exp")
        let T0 = try SubspaceMath.matrix(t, "grassmann_exp")
        guard U.shape == T0.shape else { throw GrassmannError.dimensionMismatch(op: "grassmann_exp", lhs: U.shape, rhs: T0.shape) }
        let T = try T0 - U.matmul(U.T.matmul(T0))
        let (q, s, rt) = try T.svd()
        let cosS = s.storage.map { Foundation.cos($0) }, sinS = s.storage.map { Foundation.sin($0) }
        let r = rt.T
        let y = try U.matmul(SubspaceMath.scaleColumns(r, cosS)).matmul(rt) + SubspaceMath.scaleColumns(q, sinS).matmul(rt)
        if try SubspaceMath.orthonormalityError(y) > 1e-12 { return try y.qr().q }
        return y
    }

    /// The point at time t on the geodesic from span(U) (t = 0) to span(V) (t = 1).
    ///
    /// - Returns: Exp_U(t·Log_U(V)), an n×p orthonormal basis.
    /// - Throws: as `log`.
    public static func geodesic(_ u: Tensor, _ v: Tensor, t: Double) throws -> (point: Tensor, warnings: [String]) {
        guard t.isFinite else { throw TensorError.invalidArgument("geodesic: t must be finite") }
        let (tan, warnings) = try log(u, v)
        return (try exp(u, tan.binary(.mul, Tensor(t))), warnings)
    }

    /// The Karcher mean of subspaces: the minimiser of Σ d_geo(μ, U_i)².
    ///
    /// Riemannian gradient descent with unit step: μ ← Exp_μ((1/N) Σ Log_μ(U_i)), starting from
    /// the first basis, until ‖(1/N) Σ Log_μ(U_i)‖_F ≤ tol. Converges when the points lie in a
    /// geodesic ball of radius below π/4 (Afsari 2011); otherwise a warning says it did not.
    /// - Parameters:
    ///   - bases: n×p bases, at least one.
    ///   - maxIterations: Iteration cap (default 100).
    ///   - tol: Tolerance on the gradient norm (default 1e-10).
    /// - Returns: The mean and the gradient norm at each iteration.
    /// - Throws: `GrassmannError.cutLocus` when a point is on the cut locus of an iterate.
    public static func karcherMean(_ bases: [Tensor], maxIterations: Int = 100, tol: Double = 1e-10) throws -> KarcherMean {
        guard let first = bases.first else { throw TensorError.invalidArgument("karcher_mean: the list is empty") }
        var mu = try orthonormal(first, "karcher_mean")
        let points = try bases.map { try orthonormal($0, "karcher_mean") }
        for p in points where p.shape != mu.shape {
            throw GrassmannError.dimensionMismatch(op: "karcher_mean", lhs: mu.shape, rhs: p.shape)
        }
        var trace = [Double](), warnings = [String]()
        var converged = false
        for _ in 0..<Swift.max(maxIterations, 1) {
            try Interruption.check()
            var g = try Tensor.zeros(mu.shape)
            for p in points {
                let (t, w) = try log(mu, p)
                g = try g + t
                for x in w where !warnings.contains(x) { warnings.append(x) }
            }
            g = try g.binary(.div, Tensor(Double(points.count)))
            let norm = SubspaceMath.frobenius(g)
            trace.append(norm)
            if norm <= tol { converged = true; break }
            mu = try exp(mu, g)
        }
        if !converged {
            warnings.append(String(format: "karcher_mean: not converged after %d iterations (gradient norm %.3e > %.1e)", trace.count, trace.last ?? 0, tol))
        }
        return KarcherMean(mean: mu, trace: trace, converged: converged, warnings: warnings)
    }

    /// Orthogonal projection onto span(U).
    ///
    /// - Parameters:
    ///   - x: A vector of length n, or an m×n matrix whose rows are vectors.
    ///   - u: n×p basis (orthonormalised if it is not).
    /// - Returns: U Uᵀ x (same shape as x; row-wise for a matrix).
    /// - Throws: `ShapeError.mismatch` when the lengths differ.
    public static func project(_ x: Tensor, onto u: Tensor) throws -> Tensor {
        let U = try orthonormal(u, "project")
        let n = U.shape[0]
        guard !x.isComplex, (x.ndim == 1 && x.count == n) || (x.ndim == 2 && x.shape[1] == n) else {
            throw ShapeError.mismatch(op: "project", lhs: x.shape, rhs: U.shape)
        }
        if x.ndim == 1 { return try U.matmul(U.T.matmul(x)) }
        return try x.matmul(U).matmul(U.T)
    }

    /// The projection norm ‖Uᵀx‖₂, the logit of Grassmann class representation (one subspace per
    /// class; a sample's score for the class is the length of its projection).
    ///
    /// - Parameters:
    ///   - x: A vector of length n, or an m×n matrix whose rows are vectors.
    ///   - u: n×p basis (orthonormalised if it is not).
    /// - Returns: A scalar (0-d) for a vector, an m-vector for a matrix.
    /// - Throws: `ShapeError.mismatch` when the lengths differ.
    public static func projNorm(_ x: Tensor, onto u: Tensor) throws -> Tensor {
        let U = try orthonormal(u, "proj_norm")
        let n = U.shape[0], p = U.shape[1]
        guard !x.isComplex, (x.ndim == 1 && x.count == n) || (x.ndim == 2 && x.shape[1] == n) else {
            throw ShapeError.mismatch(op: "proj_norm", lhs: x.shape, rhs: U.shape)
        }
        let c = try (x.ndim == 1 ? x.reshaped([1, n]) : x.asFloat()).matmul(U)   // m×p coefficients
        let m = c.shape[0]
        let norms = (0..<m).map { i in (0..<p).reduce(0.0) { $0 + c.storage[i * p + $1] * c.storage[i * p + $1] }.squareRoot() }
        return x.ndim == 1 ? Tensor(norms[0]) : Tensor(norms)
    }
}
