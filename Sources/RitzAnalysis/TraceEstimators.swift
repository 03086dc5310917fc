import RitzTensor

/// A trace estimate from low-rank deflation and probes, with its error estimate.
public struct TraceEstimate: Sendable {
    /// The estimate of tr(H).
    public let trace: Double
    /// The error estimate (see each estimator).
    public let error: Double
    /// The rank of the deflating basis.
    public let rank: Int
    /// Matrix-vector products.
    public let matvecs: Int
}

/// A Frobenius-norm estimate with its standard error.
public struct FrobeniusEstimate: Sendable {
    /// The estimate of ‖H‖_F, √(mean of ‖H z‖²).
    public let norm: Double
    /// Its standard error by the delta method, se(‖H‖_F²)/(2‖H‖_F).
    public let stderr: Double
    /// The estimate of ‖H‖_F², the mean of ‖H z‖².
    public let squared: Double
    /// The standard error of `squared`, s/√p.
    public let squaredStderr: Double
    /// Matrix-vector products.
    public let matvecs: Int
}

/// Hutch++ (Meyer, Musco, Musco & Woodruff, SOSA 2021, algorithm 1) with Rademacher vectors:
/// of m products, k = ⌊m/3⌋ build Q = orth(H S), k more give tr(Qᵀ H Q) exactly, and the other
/// m − 2k are Hutchinson probes g of the deflated part, (I − QQᵀ) H (I − QQᵀ):
/// tr ≈ tr(QᵀHQ) + (1/p) Σ gᵀ(I − QQᵀ)H(I − QQᵀ)g.
///
/// The estimate is unbiased (given Q, the probes are independent of it). The error estimate is the
/// probes' standard error s/√p given Q: the deflated part's Hutchinson error, which is the whole
/// error since tr(QᵀHQ) is exact.
///
/// - Parameters:
///   - H: A square operator.
///   - matvecs: m ≥ 4 products, so that k ≥ 1 and p ≥ 2 (the error needs two probes).
///   - seed: Seed of S and the probes.
/// - Returns: Trace, error, the basis rank and products used.
/// - Throws: `TensorError.invalidArgument` for m < 4; errors of the operator.
public func hutchpp(_ H: LinearOperator, matvecs m: Int, seed: UInt64 = 0) throws -> TraceEstimate {
    try H.requireSquare("hutchpp")
    guard m >= 4 else {
        throw TensorError.invalidArgument("hutchpp needs matvecs >= 4 (a third builds the basis, a third reads its block, the rest are ≥ 2 probes), got \(m)")
    }
    let n = H.n, before = H.matvecs
    var rng = RandomGenerator(seed: seed)
    let k = m / 3
    let sketch = try (0..<k).map { _ -> [Double] in
        try Interruption.check()
        return try H.apply(vector: (0..<n).map { _ in rng.rademacher() })
    }
    let q = TraceAlgebra.orthonormalColumns(sketch)
    var low = 0.0
    for column in q {
        try Interruption.check()
        low += Blas.dot(column, try H.apply(vector: column))
    }
    var samples: [Double] = []
    for _ in 0..<(m - 2 * k) {
        try Interruption.check()
        let g = TraceAlgebra.projectOut(q, from: (0..<n).map { _ in rng.rademacher() })
        samples.append(Blas.dot(g, TraceAlgebra.projectOut(q, from: try H.apply(vector: g))))
    }
    let (mean, se) = meanAndStandardError(samples)
    return TraceEstimate(trace: low + mean, error: se, rank: q.count, matvecs: H.matvecs - before)
}

/// XTrace (Epperly, Tropp & Webber, SIAM J. Matrix Anal. Appl. 45, 2024, the exchangeable
/// estimator of §2): with k = ⌊m/2⌋ Rademacher vectors ω_i, Y = HΩ = QR and Z = HQ (m products in
/// all), each i gives the Hutch++ estimate whose basis Q₍ᵢ₎ spans the columns of Y except y_i and
/// whose probe is ω_i:
/// t_i = tr(Q₍ᵢ₎ᵀHQ₍ᵢ₎) + ω_iᵀ(I − Q₍ᵢ₎Q₍ᵢ₎ᵀ)H(I − Q₍ᵢ₎Q₍ᵢ₎ᵀ)ω_i,
/// and XTrace is their mean. In Q's coordinates Q₍ᵢ₎Q₍ᵢ₎ᵀ = Q(I − s_i s_iᵀ)Qᵀ with s_i the unit
/// column i of R⁻ᵀ (orthogonal to every column of R but the i-th), so every t_i comes from the
/// k×k matrices QᵀHQ, W = QᵀΩ, R and T = ZᵀΩ without further products.
/// Each t_i is unbiased (Q₍ᵢ₎ does not depend on ω_i); the error estimate is the paper's
/// std(t_i)/√k. When Y is numerically rank deficient (rank r < k, e.g. H of rank below k),
/// Q spans H's range already and the estimate falls back to tr(QᵀHQ) plus the deflated probes
/// ω_iᵀ(I − QQᵀ)H(I − QQᵀ)ω_i, with their standard error, at the cost of k more products.
///
/// - Parameters:
///   - H: A square operator.
///   - matvecs: m ≥ 4 products (k ≥ 2 vectors, for an error estimate).
///   - seed: Seed of Ω.
/// - Returns: Trace, error, the basis rank and products used.
/// - Throws: `TensorError.invalidArgument` for m < 4; errors of the operator.
public func xtrace(_ H: LinearOperator, matvecs m: Int, seed: UInt64 = 0) throws -> TraceEstimate {
    try H.requireSquare("xtrace")
    guard m >= 4 else { throw TensorError.invalidArgument("xtrace needs matvecs >= 4 (k = matvecs/2 ≥ 2 vectors), got \(m)") }
    let n = H.n, before = H.matvecs
    var rng = RandomGenerator(seed: seed)
    let omega = (0..<(m / 2)).map { _ in (0..<n).map { _ in rng.rademacher() } }
    let (samples, rank) = try xtraceSamples(H, omega: omega)
    let (mean, se) = meanAndStandardError(samples)
    return TraceEstimate(trace: mean, error: se, rank: rank, matvecs: H.matvecs - before)
}

/// XTrace's leave-one-out estimates t_i for the test vectors `omega` (see ``xtrace(_:matvecs:seed:)``).
///
/// - Returns: The k estimates and the rank of the basis.
func xtraceSamples(_ H: LinearOperator, omega: [[Double]]) throws -> (samples: [Double], rank: Int) {
    let k = omega.count
    let y = try omega.map { w -> [Double] in try Interruption.check(); return try H.apply(vector: w) }
    let q = TraceAlgebra.orthonormalColumns(y)
    let z = try q.map { c -> [Double] in try Interruption.check(); return try H.apply(vector: c) }
    let r = q.count
    // h = QᵀHQ (r×r), w = QᵀΩ (r×k), t = ZᵀΩ = QᵀHᵀΩ (r×k), R = QᵀY (r×k).
    let h = (0..<r).map { a in (0..<r).map { b in Blas.dot(q[a], z[b]) } }
    let w = (0..<r).map { a in (0..<k).map { i in Blas.dot(q[a], omega[i]) } }
    let t = (0..<r).map { a in (0..<k).map { i in Blas.dot(z[a], omega[i]) } }
    let rr = (0..<r).map { a in (0..<k).map { i in Blas.dot(q[a], y[i]) } }
    let trH = (0..<r).reduce(0.0) { $0 + h[$1][$1] }
    var samples: [Double] = []
    if r == k, let sCols = TraceAlgebra.inverseTransposeColumns(rr) {
        for i in 0..<k {
            let s = sCols[i]
            let wi = (0..<r).map { w[$0][i] }, ti = (0..<r).map { t[$0][i] }, ri = (0..<r).map { rr[$0][i] }
            // Π = I − s sᵀ in Q's coordinates.
            let project: ([Double]) -> [Double] = { u in
                let c = Blas.dot(s, u)
                return zip(u, s).map { $0 - c * $1 }
            }
            let pw = project(wi)
            let hs = TraceAlgebra.times(h, s), hpw = TraceAlgebra.times(h, pw)
            let traceBlock = trH - Blas.dot(s, hs)
            let probe = Blas.dot(omega[i], y[i]) - Blas.dot(pw, ri) - Blas.dot(ti, pw) + Blas.dot(pw, hpw)
            samples.append(traceBlock + probe)
        }
    } else {
        for i in 0..<k {
            let g = TraceAlgebra.projectOut(q, from: omega[i])
            let hg = try H.apply(vector: g)
            samples.append(trH + Blas.dot(g, TraceAlgebra.projectOut(q, from: hg)))
        }
    }
    return (samples, r)
}

/// ‖H‖_F² = E‖Hz‖² for z with independent ±1 entries (E zzᵀ = I, so E‖Hz‖² = tr(HᵀH)); the norm
/// is the square root of the mean over the probes, its error by the delta method.
///
/// - Parameters:
///   - H: An operator (rectangular allowed).
///   - probes: At least 2.
///   - seed: Seed of the probes.
/// - Returns: The norm, its square, their standard errors and the products used.
/// - Throws: `TensorError.invalidArgument` for probes < 2; errors of the operator.
public func frobenius(_ H: LinearOperator, probes: Int, seed: UInt64 = 0) throws -> FrobeniusEstimate {
    try requireSpread("frobenius", probes: probes)
    let before = H.matvecs
    var rng = RandomGenerator(seed: seed)
    var samples: [Double] = []
    for _ in 0..<probes {
        try Interruption.check()
        let hz = try H.apply(vector: (0..<H.n).map { _ in rng.rademacher() })
        samples.append(Blas.dot(hz, hz))
    }
    let (mean, se) = meanAndStandardError(samples)
    let norm = mean.squareRoot()
    return FrobeniusEstimate(norm: norm, stderr: norm > 0 ? se / (2 * norm) : 0, squared: mean, squaredStderr: se,
                             matvecs: H.matvecs - before)
}

/// Small dense steps of the randomized trace estimators, on matrices kept as lists of columns.
enum TraceAlgebra {
    /// An orthonormal basis of the columns' span by classical Gram–Schmidt applied twice ("twice
    /// is enough", Giraud et al. 2005); a column whose remaining norm is ≤ 1e-12 of its original
    /// norm (or zero) adds nothing, so the basis may be shorter than the input.
    static func orthonormalColumns(_ columns: [[Double]]) -> [[Double]] {
        var q: [[Double]] = []
        for c in columns {
            let original = Blas.norm(c)
            guard original > 0 else { continue }
            let u = projectOut(q, from: projectOut(q, from: c))
            let remaining = Blas.norm(u)
            if remaining > 1e-12 * original { q.append(u.map { $0 / remaining }) }
        }
        return q
    }

    /// (I − QQᵀ) u for orthonormal columns Q.
    static func projectOut(_ q: [[Double]], from u: [Double]) -> [Double] {
        var out = u
        for c in q {
            let d = Blas.dot(c, out)
            for i in out.indices { out[i] -= d * c[i] }
        }
        return out
    }

    /// M x for a row-major square matrix given as rows.
    static func times(_ m: [[Double]], _ x: [Double]) -> [Double] { m.map { Blas.dot($0, x) } }

    /// The columns of R⁻ᵀ normalised to unit length (XTrace's s_i), for an upper-triangular-like
    /// k×k matrix R given as rows; nil when R is numerically singular (LAPACK's inverse fails or
    /// returns non-finite values).
    static func inverseTransposeColumns(_ r: [[Double]]) -> [[Double]]? {
        let k = r.count
        guard let inverse = try? Tensor(shape: [k, k], storage: r.flatMap { $0 }).inv() else { return nil }
        let a = inverse.storage
        guard a.allSatisfy({ $0.isFinite }) else { return nil }
        // Column i of R⁻ᵀ is row i of R⁻¹.
        var columns: [[Double]] = []
        for i in 0..<k {
            let row = Array(a[(i * k)..<((i + 1) * k)])
            let norm = Blas.norm(row)
            guard norm > 0 else { return nil }
            columns.append(row.map { $0 / norm })
        }
        return columns
    }
}
