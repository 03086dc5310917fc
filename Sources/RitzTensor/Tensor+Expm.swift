import CBLAS
import CLAPACK
import Foundation

/// Padé coefficients b_0 … b_m of the [m/m] approximant to eˣ (Higham 2005, eq. 2.1 and Alg. 2.3).
private let padeCoefficients: [Int: [Double]] = [
    3: [120, 60, 12, 1],
    5: [30240, 15120, 3360, 420, 30, 1],
    7: [17297280, 8648640, 1995840, 277200, 25200, 1512, 56, 1],
    9: [17643225600, 8821612800, 2075673600, 302702400, 30270240, 2162160, 110880, 3960, 90, 1],
    13: [64764752532480000, 32382376266240000, 7771770303897600, 1187353796428800, 129060195264000,
         10559470521600, 670442572800, 33522128640, 1323241920, 40840800, 960960, 16380, 182, 1],
]

/// θ_m: the largest ‖A^k‖^{1/k} bound for which the [m/m] approximant has backward error ≤ 2⁻⁵³
/// (Al-Mohy & Higham 2009, "A New Scaling and Squaring Algorithm for the Matrix Exponential",
/// Table 3.1; θ₁₃ = 4.25 there, smaller than 2005's 5.37 because the bound now uses η, not ‖A‖).
private let padeTheta: [(m: Int, theta: Double)] = [
    (3, 1.495585217958292e-2), (5, 2.539398330063230e-1), (7, 9.504178996162932e-1),
    (9, 2.097847961257068e0),
]
private let theta13 = 4.25

/// 1/|c_{2m+1}| = (2m)!(2m+1)!/(m!)²: the leading coefficient of the [m/m] approximant's
/// backward-error series (Al-Mohy & Higham 2009, eq. (5.1)).
private let backwardErrorLeading: [Int: Double] = [
    3: 100800, 5: 10059033600, 7: 4487938430976000, 9: 5.91438478187741184e21,
    13: 1.132507756060211134832836608e35,
]

/// e^A of a finite n×n row-major matrix (n ≥ 1) by scaling and squaring (Al-Mohy & Higham 2009,
/// Algorithm 5.1), after balancing when balancing lowers ‖A‖₁.
///
/// The Padé degree m and the scaling s follow from η = max(‖A^{2k}‖^{1/2k}, ‖A^{2k+2}‖^{1/(2k+2)})
/// rather than ‖A‖₁, which avoids the overscaling of the 2005 algorithm on non-normal matrices
/// (a large ‖A‖ with small powers, as [1, 1e8; 0, −1]); the norms of the powers are exact 1-norms
/// of the products the approximant needs anyway, plus A⁸ and A¹⁰ when m ≥ 7 is considered.
/// ℓ_m(A) adds squarings only where the backward-error series says rounding would need them.
/// Balancing (LAPACK dgebal, scaling only: A = D B D⁻¹, e^A = D e^B D⁻¹) removes bad scaling such
/// as a graded D M D⁻¹ exactly.
func padeExpm(_ a0: [Double], _ n: Int) throws -> [Double] {
    let norm0 = oneNorm(a0, n)
    guard norm0.isFinite else { throw TensorError.invalidArgument("expm: the 1-norm of the matrix overflows") }
    var a = a0
    var scaling: [Double]?
    if n > 1, let (balanced, d) = balanceScaling(a0, n), oneNorm(balanced, n) < norm0 {
        a = balanced
        scaling = d
    }
    let (approximant, squarings) = try scaledPade(a, n)
    var x = approximant
    let upperTriangular = (0..<n).allSatisfy { i in (0..<i).allSatisfy { a[i * n + $0] == 0 } }
    for j in 0...squarings {
        if j > 0 { x = try matmulSquare(x, x, n) }
        if upperTriangular { exactTriangularBand(&x, a, n, scale: scalbn(1.0, j - squarings)) }
    }
    if let d = scaling {
        for i in 0..<n { for j in 0..<n { x[i * n + j] *= d[i] / d[j] } }
    }
    return x
}

/// Algorithm 5.1 of Al-Mohy & Higham 2009 on an (already balanced) matrix, up to the squarings.
///
/// - Returns: r_m(A/2ˢ) and s; e^A is that matrix squared s times.
private func scaledPade(_ a: [Double], _ n: Int) throws -> (approximant: [Double], squarings: Int) {
    let a2 = try matmulSquare(a, a, n)
    let a4 = try matmulSquare(a2, a2, n)
    let a6 = try matmulSquare(a4, a2, n)
    let d4 = pow(oneNorm(a4, n), 1.0 / 4), d6 = pow(oneNorm(a6, n), 1.0 / 6)
    let powers = [a2, a4, a6]
    if max(d4, d6) <= padeTheta[0].theta, ell(a, n, degree: 3) == 0 {
        return (try padeSolve(a, powers, n, degree: 3), 0)
    }
    if max(d4, d6) <= padeTheta[1].theta, ell(a, n, degree: 5) == 0 {
        return (try padeSolve(a, powers, n, degree: 5), 0)
    }
    let d8 = pow(oneNorm(try matmulSquare(a4, a4, n), n), 1.0 / 8)
    let eta3 = max(d6, d8)
    for (m, theta) in padeTheta.dropFirst(2) where eta3 <= theta && ell(a, n, degree: m) == 0 {
        return (try padeSolve(a, powers, n, degree: m), 0)
    }
    let d10 = pow(oneNorm(try matmulSquare(a4, a6, n), n), 1.0 / 10)
    let eta5 = min(eta3, max(d8, d10))
    var s = eta5 > 0 ? max(0, Int(log2(eta5 / theta13).rounded(.up))) : 0
    s += ell(a.map { scalbn($0, -s) }, n, degree: 13)
    // A / 2ˢ and its even powers scaled alike; the approximant, then s squarings.
    let scaled = [a2, a4, a6].enumerated().map { k, p in p.map { scalbn($0, -2 * (k + 1) * s) } }
    return (try padeSolve(a.map { scalbn($0, -s) }, scaled, n, degree: 13), s)
}

/// For upper triangular T, replaces the diagonal and first superdiagonal of X ≈ e^{cT} by their
/// exact values: e^{c t_ii}, and for each 2×2 block [λ₁, t; 0, λ₂] of cT,
/// t·e^{(λ₁+λ₂)/2}·sinh(δ)/δ with δ = (λ₁ − λ₂)/2 (Al-Mohy & Higham 2009, Code Fragment 2.1;
/// Higham, "Functions of Matrices", eq. (10.42)). Done after every squaring, this keeps
/// the squarings from amplifying the rounding of the entries that dominate.
private func exactTriangularBand(_ x: inout [Double], _ t: [Double], _ n: Int, scale c: Double) {
    for i in 0..<n { x[i * n + i] = exp(c * t[i * n + i]) }
    for i in 0..<(n - 1) {
        let l1 = c * t[i * n + i], l2 = c * t[(i + 1) * n + i + 1]
        let delta = (l1 - l2) / 2
        let sinch = delta == 0 ? 1 : sinh(delta) / delta
        let value = c * t[i * n + i + 1] * exp((l1 + l2) / 2) * sinch
        if value.isFinite { x[i * n + i + 1] = value }
    }
}

/// ℓ_m(A) = max(⌈log₂(α/u)/(2m)⌉, 0) with α = |c_{2m+1}|·‖|A|^{2m+1}‖₁/‖A‖₁ and u = 2⁻⁵³: the
/// extra squarings that keep the approximant's backward error at u (Al-Mohy & Higham 2009, §5).
/// ‖|A|^p‖₁ is exact: for a nonnegative matrix it is the largest entry of 1ᵀ|A|^p, p products of
/// a row vector with |A|.
private func ell(_ a: [Double], _ n: Int, degree m: Int) -> Int {
    let norm = oneNorm(a, n)
    guard norm > 0, let leading = backwardErrorLeading[m] else { return 0 }
    var v = [Double](repeating: 1, count: n)
    for _ in 0..<(2 * m + 1) {
        var next = [Double](repeating: 0, count: n)
        for i in 0..<n where v[i] != 0 {
            let vi = v[i]
            for j in 0..<n { next[j] += vi * Swift.abs(a[i * n + j]) }
        }
        v = next
    }
    let alpha = (v.max() ?? 0) / (norm * leading)
    guard alpha > 0, alpha.isFinite else { return 0 }
    return max(0, Int((log2(alpha / 0x1p-53) / Double(2 * m)).rounded(.up)))
}

/// D⁻¹AD and D from LAPACK's dgebal (job "S": diagonal scaling by powers of 2, no permutation),
/// or nil when LAPACK refuses.
private func balanceScaling(_ a: [Double], _ n: Int) -> ([Double], [Double])? {
    var b = a
    var scale = [Double](repeating: 1, count: n)
    var ilo: Int32 = 0, ihi: Int32 = 0
    let info = LAPACKE_dgebal(LAPACK_ROW_MAJOR, lapackChar("S"), lapackInt(n), &b, lapackInt(n), &ilo, &ihi, &scale)
    guard info == 0, scale.allSatisfy({ $0.isFinite && $0 > 0 }) else { return nil }
    return (b, scale)
}

/// r_m(A) = (V − U)⁻¹(V + U), with U the odd and V the even part of the Padé numerator.
///
/// - Parameters:
///   - a: A.
///   - evenPowers: A², A⁴, A⁶.
///   - n: The order.
///   - m: The degree, 3, 5, 7, 9 or 13.
private func padeSolve(_ a: [Double], _ evenPowers: [[Double]], _ n: Int, degree m: Int) throws -> [Double] {
    guard let b = padeCoefficients[m], evenPowers.count == 3 else { return a }
    let nn = n * n
    var identity = [Double](repeating: 0, count: nn)
    for i in 0..<n { identity[i * n + i] = 1 }
    let (a2, a4, a6) = (evenPowers[0], evenPowers[1], evenPowers[2])
    var u: [Double], v: [Double]
    if m == 13 {
        // U = A·[A6(b13 A6 + b11 A4 + b9 A2) + b7 A6 + b5 A4 + b3 A2 + b1 I]
        let inner1 = combine([(b[13], a6), (b[11], a4), (b[9], a2)], nn)
        var t = try matmulSquare(a6, inner1, n)
        t = add(t, combine([(b[7], a6), (b[5], a4), (b[3], a2), (b[1], identity)], nn))
        u = try matmulSquare(a, t, n)
        // V = A6(b12 A6 + b10 A4 + b8 A2) + b6 A6 + b4 A4 + b2 A2 + b0 I
        let inner2 = combine([(b[12], a6), (b[10], a4), (b[8], a2)], nn)
        v = add(try matmulSquare(a6, inner2, n), combine([(b[6], a6), (b[4], a4), (b[2], a2), (b[0], identity)], nn))
    } else {
        // Powers A^0, A^2, …, A^(m−1); U = A·Σ b_{2k+1} A^{2k}, V = Σ b_{2k} A^{2k}.
        var powers = [identity, a2, a4, a6]
        if m == 9 { powers.append(try matmulSquare(a4, a4, n)) }
        powers = Array(powers.prefix((m + 1) / 2))
        var uInner = [Double](repeating: 0, count: nn)
        v = [Double](repeating: 0, count: nn)
        for k in 0..<powers.count {
            let p = powers[k]
            for i in 0..<nn { uInner[i] += b[2 * k + 1] * p[i]; v[i] += b[2 * k] * p[i] }
        }
        u = try matmulSquare(a, uInner, n)
    }
    // Solve (V − U)·X = (V + U) by LU (dgesv) on column-major copies.
    var p = [Double](repeating: 0, count: nn), q = [Double](repeating: 0, count: nn)
    for i in 0..<n {
        for j in 0..<n {
            p[j * n + i] = v[i * n + j] - u[i * n + j]   // column-major (V − U)
            q[j * n + i] = v[i * n + j] + u[i * n + j]   // column-major (V + U)
        }
    }
    var ipiv = [Int32](repeating: 0, count: n)
    let info = LAPACKE_dgesv(LAPACK_COL_MAJOR, lapackInt(n), lapackInt(n), &p, lapackInt(n), &ipiv, &q, lapackInt(n))
    try checkInfo(info, routine: "dgesv") { LinalgError.singular(info: Int($0)) }
    return transposeBuffer(q, rows: n, cols: n)
}

/// ‖A‖₁: the largest absolute column sum.
private func oneNorm(_ a: [Double], _ n: Int) -> Double {
    var sums = [Double](repeating: 0, count: n)
    for i in 0..<n { for j in 0..<n { sums[j] += Swift.abs(a[i * n + j]) } }
    return sums.max() ?? 0
}

private func matmulSquare(_ a: [Double], _ b: [Double], _ n: Int) throws -> [Double] {
    try a.withUnsafeBufferPointer { pa in
        try b.withUnsafeBufferPointer { pb in
            try makeStorage(n * n) { c in
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasInt(n), blasInt(n), blasInt(n),
                            1, pa.baseAddress, blasInt(n), pb.baseAddress, blasInt(n), 0, c, blasInt(n))
            }
        }
    }
}

private func combine(_ terms: [(Double, [Double])], _ count: Int) -> [Double] {
    var out = [Double](repeating: 0, count: count)
    for (c, m) in terms { for i in 0..<count { out[i] += c * m[i] } }
    return out
}

private func add(_ a: [Double], _ b: [Double]) -> [Double] {
    var out = a
    for i in 0..<out.count { out[i] += b[i] }
    return out
}
