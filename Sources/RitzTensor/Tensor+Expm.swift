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

/// θ_m: the largest ‖A‖₁ for which the [m/m] approximant has backward error ≤ 2⁻⁵³ (Higham 2005, Table 2.3).
private let padeTheta: [(m: Int, theta: Double)] = [
    (3, 1.495585217958292e-2), (5, 2.539398330063230e-1), (7, 9.504178996162932e-1),
    (9, 2.097847961257068e0),
]
private let theta13 = 5.371920351148152e0

/// e^A of a finite n×n row-major matrix (n ≥ 1) by Higham's scaling and squaring (Alg. 2.3).
func padeExpm(_ a: [Double], _ n: Int) throws -> [Double] {
    let norm1 = oneNorm(a, n)
    guard norm1.isFinite else { throw TensorError.invalidArgument("expm: the 1-norm of the matrix overflows") }
    for (m, theta) in padeTheta where norm1 <= theta {
        return try padeSolve(a, n, degree: m)
    }
    // s = ⌈log2(‖A‖₁/θ₁₃)⌉, at least 0; scale, approximate, square s times.
    let s = norm1 > theta13 ? Swift.max(0, Int(log2(norm1 / theta13).rounded(.up))) : 0
    let scale = scalbn(1.0, -s)
    var x = try padeSolve(a.map { $0 * scale }, n, degree: 13)
    for _ in 0..<s { x = try matmulSquare(x, x, n) }
    return x
}

/// r_m(A) = (V − U)⁻¹(V + U), with U the odd and V the even part of the Padé numerator.
private func padeSolve(_ a: [Double], _ n: Int, degree m: Int) throws -> [Double] {
    guard let b = padeCoefficients[m] else { return a }
    let nn = n * n
    var identity = [Double](repeating: 0, count: nn)
    for i in 0..<n { identity[i * n + i] = 1 }
    let a2 = try matmulSquare(a, a, n)
    var u: [Double], v: [Double]
    if m == 13 {
        let a4 = try matmulSquare(a2, a2, n), a6 = try matmulSquare(a4, a2, n)
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
        var powers = [identity, a2]
        while powers.count < (m + 1) / 2 {
            if let last = powers.last { powers.append(try matmulSquare(last, a2, n)) }
        }
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
