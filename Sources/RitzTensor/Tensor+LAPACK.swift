import CLAPACK
import Foundation

/// Dense linear algebra through LAPACKE (OpenBLAS's LAPACK), on 2-d float64 tensors.
///
/// Every routine runs in LAPACK's native column-major layout. A row-major buffer read as
/// column-major is the transpose, which several routines exploit to avoid copies (see each).
/// Inputs are checked before LAPACK sees them: the rank (`ShapeError.wrongRank`), squareness
/// (`LinalgError.notSquare`), dtype (`TensorError.unsupportedDType` for complex) and finiteness
/// (`LinalgError.nonFinite`, because LAPACK loops or returns garbage on NaN).
/// Accuracy is LAPACK's: backward stable, so results agree with NumPy/SciPy (the same routines)
/// to a few ulps times the condition number.
extension Tensor {
    /// Eigenvalues and eigenvectors of a real symmetric matrix (dsyevd, divide and conquer).
    ///
    /// Only the lower triangle is read, as NumPy's default `UPLO='L'`.
    /// - Returns: `values` ascending (n), `vectors` n×n with the eigenvectors as columns.
    /// - Throws: `ShapeError.wrongRank`, `LinalgError.notSquare`, `LinalgError.nonFinite`,
    ///   `LinalgError.notConverged` when dsyevd fails to converge.
    public func eigh() throws -> (values: Tensor, vectors: Tensor) {
        let n = try squareMatrix("eigh")
        if n == 0 { return (Tensor(unchecked: [0], []), Tensor(unchecked: [0, 0], [])) }
        var a = lowerSymmetrized(n)
        var w = [Double](repeating: 0, count: n)
        let info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, lapackChar("V"), lapackChar("L"), lapackInt(n), &a, lapackInt(n), &w)
        try checkInfo(info, routine: "dsyevd") { LinalgError.notConverged(iterations: Int($0)) }
        // Column-major Z (columns are eigenvectors) to row-major.
        return (Tensor(unchecked: [n], w), Tensor(unchecked: [n, n], transposeBuffer(a, rows: n, cols: n)))
    }

    /// Eigenvalues of a real symmetric matrix, ascending (dsyevd without vectors).
    ///
    /// - Returns: A 1-d tensor of the n eigenvalues.
    /// - Throws: as `eigh`.
    public func eigvalsh() throws -> Tensor {
        let n = try squareMatrix("eigvalsh")
        if n == 0 { return Tensor(unchecked: [0], []) }
        var a = lowerSymmetrized(n)
        var w = [Double](repeating: 0, count: n)
        let info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, lapackChar("N"), lapackChar("L"), lapackInt(n), &a, lapackInt(n), &w)
        try checkInfo(info, routine: "dsyevd") { LinalgError.notConverged(iterations: Int($0)) }
        return Tensor(unchecked: [n], w)
    }

    /// Eigenvalues and right eigenvectors of a general real matrix (dgeev).
    ///
    /// LAPACK returns a complex conjugate pair λ, λ̄ as consecutive real columns (x, y) with
    /// eigenvectors x ± iy; they are assembled here into complex columns. Each eigenvector has
    /// unit Euclidean norm and its largest component real, as LAPACK (and NumPy) leave them.
    /// - Returns: `values` (n, complex128) in LAPACK's order, `vectors` n×n complex128 with the
    ///   eigenvectors as columns.
    /// - Throws: `ShapeError.wrongRank`, `LinalgError.notSquare`, `LinalgError.nonFinite`,
    ///   `LinalgError.notConverged` when the QR algorithm fails.
    public func eig() throws -> (values: Tensor, vectors: Tensor) {
        let n = try squareMatrix("eig")
        if n == 0 {
            return (Tensor(unchecked: [0], [], dtype: .complex128), Tensor(unchecked: [0, 0], [], dtype: .complex128))
        }
        var a = transposeBuffer(storageAsFloat, rows: n, cols: n)
        var wr = [Double](repeating: 0, count: n), wi = [Double](repeating: 0, count: n)
        var vl = [Double](repeating: 0, count: 1)
        var vr = [Double](repeating: 0, count: n * n)
        let info = LAPACKE_dgeev(LAPACK_COL_MAJOR, lapackChar("N"), lapackChar("V"), lapackInt(n), &a, lapackInt(n),
                                 &wr, &wi, &vl, 1, &vr, lapackInt(n))
        try checkInfo(info, routine: "dgeev") { LinalgError.notConverged(iterations: Int($0)) }
        var values = [Double](repeating: 0, count: 2 * n)
        var vectors = [Double](repeating: 0, count: 2 * n * n)
        var j = 0
        while j < n {
            values[2 * j] = wr[j]; values[2 * j + 1] = wi[j]
            if wi[j] != 0 && j + 1 < n {
                // Pair (j, j+1): v_j = x + iy, v_{j+1} = x − iy with x = VR[:, j], y = VR[:, j+1].
                values[2 * (j + 1)] = wr[j + 1]; values[2 * (j + 1) + 1] = wi[j + 1]
                for i in 0..<n {
                    let x = vr[j * n + i], y = vr[(j + 1) * n + i]
                    vectors[2 * (i * n + j)] = x; vectors[2 * (i * n + j) + 1] = y
                    vectors[2 * (i * n + j + 1)] = x; vectors[2 * (i * n + j + 1) + 1] = -y
                }
                j += 2
            } else {
                for i in 0..<n { vectors[2 * (i * n + j)] = vr[j * n + i] }
                j += 1
            }
        }
        return (Tensor(unchecked: [n], values, dtype: .complex128),
                Tensor(unchecked: [n, n], vectors, dtype: .complex128))
    }

    /// Singular value decomposition A = U·diag(s)·Vᵀ (dgesdd, divide and conquer).
    ///
    /// The row-major m×n buffer is column-major Aᵀ = V·S·Uᵀ, so dgesdd runs on it unchanged and
    /// its column-major factors, read row-major, are exactly Vᵀ and U: no copies.
    /// - Parameter fullMatrices: false (default) for U m×k and Vᵀ k×n, k = min(m, n); true for
    ///   U m×m and Vᵀ n×n.
    /// - Returns: `u`, `s` (k, descending), `vt`.
    /// - Throws: `ShapeError.wrongRank`, `LinalgError.nonFinite`, `LinalgError.notConverged`.
    public func svd(fullMatrices: Bool = false) throws -> (u: Tensor, s: Tensor, vt: Tensor) {
        let (m, n) = try matrixShape("svd")
        let k = Swift.min(m, n)
        let uCols = fullMatrices ? m : k, vRows = fullMatrices ? n : k
        if k == 0 {
            let u = fullMatrices ? try Tensor.eye(m) : Tensor(unchecked: [m, 0], [])
            let vt = fullMatrices ? try Tensor.eye(n) : Tensor(unchecked: [0, n], [])
            return (u, Tensor(unchecked: [0], []), vt)
        }
        _ = try Tensor.elementCount([m, uCols]); _ = try Tensor.elementCount([vRows, n])
        var a = storageAsFloat
        var s = [Double](repeating: 0, count: k)
        // Column-major problem: Aᵀ is n×m with lda = n. Its left factor (n×vRows) is V, right (uCols×m) is Uᵀ.
        var vCol = [Double](repeating: 0, count: n * vRows)
        var utCol = [Double](repeating: 0, count: uCols * m)
        let info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, lapackChar(fullMatrices ? "A" : "S"), lapackInt(n), lapackInt(m),
                                  &a, lapackInt(n), &s, &vCol, lapackInt(n), &utCol, lapackInt(uCols))
        try checkInfo(info, routine: "dgesdd") { LinalgError.notConverged(iterations: Int($0)) }
        // Column-major V (n×vRows) read row-major is Vᵀ (vRows×n); column-major Uᵀ (uCols×m) is U (m×uCols).
        return (Tensor(unchecked: [m, uCols], utCol), Tensor(unchecked: [k], s), Tensor(unchecked: [vRows, n], vCol))
    }

    /// Singular values only, descending (dgesdd without vectors).
    ///
    /// - Returns: A 1-d tensor of min(m, n) values.
    /// - Throws: as `svd`.
    public func singularValues() throws -> Tensor {
        let (m, n) = try matrixShape("svd")
        let k = Swift.min(m, n)
        if k == 0 { return Tensor(unchecked: [0], []) }
        var a = storageAsFloat
        var s = [Double](repeating: 0, count: k)
        var dummyU = [Double](repeating: 0, count: 1), dummyV = [Double](repeating: 0, count: 1)
        let info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, lapackChar("N"), lapackInt(n), lapackInt(m),
                                  &a, lapackInt(n), &s, &dummyU, 1, &dummyV, 1)
        try checkInfo(info, routine: "dgesdd") { LinalgError.notConverged(iterations: Int($0)) }
        return Tensor(unchecked: [k], s)
    }

    /// Reduced (economic) QR factorisation A = Q·R by Householder reflections (dgeqrf, dorgqr).
    ///
    /// - Returns: `q` m×k with orthonormal columns and `r` k×n upper triangular, k = min(m, n);
    ///   signs as LAPACK (and NumPy) produce them.
    /// - Throws: `ShapeError.wrongRank`, `LinalgError.nonFinite`.
    public func qr() throws -> (q: Tensor, r: Tensor) {
        let (m, n) = try matrixShape("qr")
        let k = Swift.min(m, n)
        if k == 0 { return (Tensor(unchecked: [m, 0], []), Tensor(unchecked: [0, n], [])) }
        var a = transposeBuffer(storageAsFloat, rows: m, cols: n)   // column-major A, lda = m
        var tau = [Double](repeating: 0, count: k)
        let info = LAPACKE_dgeqrf(LAPACK_COL_MAJOR, lapackInt(m), lapackInt(n), &a, lapackInt(m), &tau)
        try checkInfo(info, routine: "dgeqrf") { _ in LinalgError.illegalArgument(routine: "dgeqrf", info: -1) }
        // R: the upper triangle of the leading k×n block, to row-major.
        var r = [Double](repeating: 0, count: k * n)
        for i in 0..<k { for j in i..<n { r[i * n + j] = a[j * m + i] } }
        // Q: dorgqr overwrites the first k columns with the explicit factor.
        var q = Array(a[0..<(m * k)])
        let info2 = LAPACKE_dorgqr(LAPACK_COL_MAJOR, lapackInt(m), lapackInt(k), lapackInt(k), &q, lapackInt(m), &tau)
        try checkInfo(info2, routine: "dorgqr") { _ in LinalgError.illegalArgument(routine: "dorgqr", info: -1) }
        return (Tensor(unchecked: [m, k], transposeBuffer(q, rows: k, cols: m)), Tensor(unchecked: [k, n], r))
    }

    /// Solves A·x = b for square A by LU with partial pivoting (dgesv).
    ///
    /// Backward stable: x solves (A + E)·x = b with ‖E‖ ≤ c·n·ε·ρ‖A‖ (ρ the growth factor, small in
    /// practice), so ‖x̂ − x‖/‖x‖ ≲ κ(A)·ε (Higham, Accuracy and Stability, §9.3).
    /// - Parameters:
    ///   - a: n×n coefficients.
    ///   - b: right-hand side, n (gives an n vector) or n×k (gives n×k).
    /// - Returns: x.
    /// - Throws: `LinalgError.singular` when a pivot is exactly zero; `ShapeError.mismatch` when
    ///   b's rows differ from n; plus the checks of every routine here.
    public static func solve(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try solveEstimatingCondition(a, b).x
    }

    /// `solve` with LAPACK's estimate of A's reciprocal condition number in the 1-norm.
    ///
    /// The same LU (dgetrf, then dgetrs: what dgesv does), plus dgecon's estimate
    /// rcond ≈ 1/(‖A‖₁‖A⁻¹‖₁) from the factors in O(n²) (Hager–Higham; the estimate of ‖A⁻¹‖₁ is a
    /// lower bound, almost always within a factor 3). The relative forward error of x is about
    /// ε/rcond; see `illConditionedWarning`.
    /// - Parameters:
    ///   - a: n×n coefficients.
    ///   - b: right-hand side, n or n×k.
    /// - Returns: x and rcond (1 for an empty system).
    /// - Throws: as `solve`.
    public static func solveEstimatingCondition(_ a: Tensor, _ b: Tensor) throws -> (x: Tensor, rcond: Double) {
        let n = try a.squareMatrix("solve")
        let (rows, nrhs) = try rhsShape(b, op: "solve")
        guard rows == n else { throw ShapeError.mismatch(op: "solve", lhs: a.shape, rhs: b.shape) }
        if n == 0 || nrhs == 0 { return (try Tensor.zeros(b.shape), 1) }
        var lu = transposeBuffer(a.storageAsFloat, rows: n, cols: n)
        let (ipiv, rcond) = try factorLU(&lu, n: n, conditionNorm: "1", routine: "dgesv")
        var x = transposeBuffer(b.storageAsFloat, rows: n, cols: nrhs)  // column-major B
        let info = LAPACKE_dgetrs(LAPACK_COL_MAJOR, lapackChar("N"), lapackInt(n), lapackInt(nrhs), &lu, lapackInt(n),
                                  ipiv, &x, lapackInt(n))
        try checkInfo(info, routine: "dgetrs") { LinalgError.singular(info: Int($0)) }
        return (Tensor(unchecked: b.shape, transposeBuffer(x, rows: nrhs, cols: n)), rcond)
    }

    /// The reciprocal condition below which `solve` and `inv` warn: ε, as SciPy's `LinAlgWarning`.
    ///
    /// Below it κ₁(A)·ε > 1, so the forward error bound ‖x̂ − x‖/‖x‖ ≲ κ·ε promises no correct digit.
    public static let illConditionedRcond = Double.ulpOfOne

    /// The warning for an LU-based result whose reciprocal condition estimate is below
    /// `illConditionedRcond`, else nil.
    ///
    /// - Parameters:
    ///   - op: The builtin's name.
    ///   - rcond: dgecon's estimate of 1/(‖A‖₁‖A⁻¹‖₁).
    /// - Returns: "op: ill-conditioned matrix (rcond=…): …", or nil.
    public static func illConditionedWarning(_ op: String, rcond: Double) -> String? {
        guard rcond < illConditionedRcond else { return nil }
        return "\(op): ill-conditioned matrix (rcond=\(String(format: "%.3g", rcond)) < ε = \(String(format: "%.3g", illConditionedRcond))): "
            + "the forward error bound κ·ε exceeds 1, so the result may have no correct digits"
    }

    /// Least-squares solution of A·x ≈ b of minimum norm (dgelsd: SVD by divide and conquer).
    ///
    /// - Parameters:
    ///   - a: m×n coefficients, any rank.
    ///   - b: m or m×k right-hand side.
    ///   - rcond: singular values below `rcond·σ_max` count as zero; default ε·max(m, n) as NumPy.
    /// - Returns: x, n or n×k.
    /// - Throws: `ShapeError.mismatch` when b's rows differ from m; `LinalgError.notConverged`.
    public static func lstsq(_ a: Tensor, _ b: Tensor, rcond: Double? = nil) throws -> Tensor {
        let (m, n) = try a.matrixShape("lstsq")
        let (rows, nrhs) = try rhsShape(b, op: "lstsq")
        guard rows == m else { throw ShapeError.mismatch(op: "lstsq", lhs: a.shape, rhs: b.shape) }
        let outShape = b.ndim == 1 ? [n] : [n, nrhs]
        if m == 0 || n == 0 || nrhs == 0 { return try Tensor.zeros(outShape) }
        if let rcond, rcond.isNaN { throw TensorError.invalidArgument("lstsq: rcond is NaN") }
        let ldb = Swift.max(m, n)
        _ = try Tensor.elementCount([ldb, nrhs])
        var acol = transposeBuffer(a.storageAsFloat, rows: m, cols: n)
        let bRow = b.storageAsFloat
        var bcol = [Double](repeating: 0, count: ldb * nrhs)
        for i in 0..<m { for j in 0..<nrhs { bcol[j * ldb + i] = bRow[i * nrhs + j] } }
        var s = [Double](repeating: 0, count: Swift.min(m, n))
        var rank: Int32 = 0
        let rc = rcond ?? Double.ulpOfOne * Double(Swift.max(m, n))
        let info = LAPACKE_dgelsd(LAPACK_COL_MAJOR, lapackInt(m), lapackInt(n), lapackInt(nrhs), &acol, lapackInt(m),
                                  &bcol, lapackInt(ldb), &s, rc, &rank)
        try checkInfo(info, routine: "dgelsd") { LinalgError.notConverged(iterations: Int($0)) }
        var x = [Double](repeating: 0, count: n * nrhs)
        for i in 0..<n { for j in 0..<nrhs { x[i * nrhs + j] = bcol[j * ldb + i] } }
        return Tensor(unchecked: outShape, x)
    }

    /// Inverse of a square matrix by LU (dgetrf, dgetri).
    ///
    /// ‖A·X − I‖ ≤ c·n·ε‖A‖‖X‖ (dgetri's method B, Higham §14.3), so ‖X − A⁻¹‖/‖A⁻¹‖ ≲ κ(A)·ε.
    /// - Returns: A⁻¹.
    /// - Throws: `LinalgError.singular` for an exactly zero pivot; the usual checks.
    public func inv() throws -> Tensor { try invEstimatingCondition().inverse }

    /// `inv` with dgecon's estimate of the reciprocal condition 1/(‖A‖₁‖A⁻¹‖₁), as for `solve`.
    ///
    /// - Returns: A⁻¹ and rcond (1 for a 0×0 matrix).
    /// - Throws: as `inv`.
    public func invEstimatingCondition() throws -> (inverse: Tensor, rcond: Double) {
        let n = try squareMatrix("inv")
        if n == 0 { return (self.storageAsFloatTensor, 1) }
        // (Aᵀ)⁻¹ = (A⁻¹)ᵀ: inverting the buffer as column-major Aᵀ gives column-major (A⁻¹)ᵀ = row-major A⁻¹.
        // κ_∞(Aᵀ) = κ₁(A), so the ∞-norm estimate of Aᵀ is the 1-norm one of A, as `solve` reports.
        var a = storageAsFloat
        let (ipiv, rcond) = try Tensor.factorLU(&a, n: n, conditionNorm: "I", routine: "dgetrf")
        let info = LAPACKE_dgetri(LAPACK_COL_MAJOR, lapackInt(n), &a, lapackInt(n), ipiv)
        try checkInfo(info, routine: "dgetri") { LinalgError.singular(info: Int($0)) }
        return (Tensor(unchecked: [n, n], a), rcond)
    }

    /// LU with partial pivoting of a column-major n×n buffer in place (dgetrf), and dgecon's
    /// reciprocal condition estimate in the given norm from ‖M‖ taken before factoring (dlange).
    ///
    /// - Parameters:
    ///   - lu: M, column-major; overwritten by its L and U factors.
    ///   - n: The order.
    ///   - conditionNorm: "1" for 1/(‖M‖₁‖M⁻¹‖₁), "I" for the ∞-norm.
    ///   - routine: The name reported when a pivot is exactly zero.
    /// - Returns: The pivots (1-based, as LAPACK) and rcond.
    /// - Throws: `LinalgError.singular` for an exactly zero pivot.
    static func factorLU(_ lu: inout [Double], n: Int, conditionNorm: Unicode.Scalar,
                         routine: String) throws -> (ipiv: [Int32], rcond: Double) {
        let norm = lapackChar(conditionNorm)
        let anorm = LAPACKE_dlange(LAPACK_COL_MAJOR, norm, lapackInt(n), lapackInt(n), lu, lapackInt(n))
        var ipiv = [Int32](repeating: 0, count: n)
        let info = LAPACKE_dgetrf(LAPACK_COL_MAJOR, lapackInt(n), lapackInt(n), &lu, lapackInt(n), &ipiv)
        try checkInfo(info, routine: routine) { LinalgError.singular(info: Int($0)) }
        var rcond = 0.0
        let info2 = LAPACKE_dgecon(LAPACK_COL_MAJOR, norm, lapackInt(n), lu, lapackInt(n), anorm, &rcond)
        if info2 < 0 { throw LinalgError.illegalArgument(routine: "dgecon", info: Int(info2)) }
        // LAPACK ≥ 3.11 returns info = 1 when the estimate is NaN or infinite: report 0, singular to working precision.
        return (ipiv, info2 == 0 && rcond.isFinite ? rcond : 0)
    }

    /// Determinant by LU (dgetrf): the product of U's diagonal times the sign of the permutation.
    ///
    /// A singular matrix gives 0 (not an error), as NumPy. det(Aᵀ) = det(A), so the row-major
    /// buffer is factored as is. May overflow to ±∞ for large n; use `slogdet`-style sums of
    /// log|u_ii| if that matters.
    /// - Returns: det A (1 for a 0×0 matrix).
    /// - Throws: `ShapeError.wrongRank`, `LinalgError.notSquare`, `LinalgError.nonFinite`.
    public func det() throws -> Double {
        let n = try squareMatrix("det")
        if n == 0 { return 1 }
        var a = storageAsFloat
        var ipiv = [Int32](repeating: 0, count: n)
        let info = LAPACKE_dgetrf(LAPACK_COL_MAJOR, lapackInt(n), lapackInt(n), &a, lapackInt(n), &ipiv)
        if info > 0 { return 0 }
        try checkInfo(info, routine: "dgetrf") { LinalgError.singular(info: Int($0)) }
        var d = 1.0
        for i in 0..<n {
            d *= a[i * n + i]
            if Int(ipiv[i]) != i + 1 { d = -d }
        }
        return d
    }

    /// Moore–Penrose pseudo-inverse A⁺ = V·diag(1/σ)·Uᵀ over σ > rcond·σ_max (via `svd`).
    ///
    /// - Parameter rcond: relative cutoff; default 1e-15, as NumPy's `pinv`.
    /// - Returns: n×m tensor.
    /// - Throws: as `svd`.
    public func pinv(rcond: Double? = nil) throws -> Tensor {
        let (m, n) = try matrixShape("pinv")
        if m == 0 || n == 0 { return Tensor(unchecked: [n, m], []) }
        let (u, s, vt) = try svd()
        let k = s.count
        let cutoff = (rcond ?? 1e-15) * (s.storage.first ?? 0)
        // A⁺ = Vᵀᵀ · diag(1/σ) · Uᵀ: scale the rows of Vᵀ, then one product.
        var scaled = vt.storage
        for i in 0..<k {
            let inv = s.storage[i] > cutoff ? 1 / s.storage[i] : 0
            for j in 0..<n { scaled[i * n + j] *= inv }
        }
        return try Tensor(unchecked: [k, n], scaled).T.matmul(u.T)
    }

    /// Numerical rank: the number of singular values above `tol`.
    ///
    /// - Parameter tol: absolute threshold; default σ_max·max(m, n)·ε, as NumPy's `matrix_rank`.
    /// - Returns: The rank (for a vector, 1 unless it is all zeros).
    /// - Throws: as `svd`.
    public func rank(tol: Double? = nil) throws -> Int {
        if ndim == 1 {
            try requireFinite("rank")
            return storage.contains { $0 != 0 } ? 1 : 0
        }
        let (m, n) = try matrixShape("rank")
        let s = try singularValues().storage
        let threshold = tol ?? (s.first ?? 0) * Double(Swift.max(m, n)) * Double.ulpOfOne
        return s.filter { $0 > threshold }.count
    }

    /// Cholesky factor L (lower triangular, A = L·Lᵀ) of a symmetric positive definite matrix (dpotrf).
    ///
    /// Only the lower triangle of A is read, as NumPy.
    /// - Returns: L with zeros above the diagonal.
    /// - Throws: `LinalgError.notPositiveDefinite` with the order of the failing leading minor.
    public func cholesky() throws -> Tensor {
        let n = try squareMatrix("cholesky")
        if n == 0 { return storageAsFloatTensor }
        // Column-major view of the buffer is Aᵀ; its upper triangle is A's lower. dpotrf('U') gives
        // Aᵀ = UᵀU with U column-major, which read row-major is Uᵀ = L.
        var a = storageAsFloat
        let info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, lapackChar("U"), lapackInt(n), &a, lapackInt(n))
        try checkInfo(info, routine: "dpotrf") { LinalgError.notPositiveDefinite(info: Int($0)) }
        for i in 0..<n { for j in (i + 1)..<n { a[i * n + j] = 0 } }
        return Tensor(unchecked: [n, n], a)
    }

    /// 2-norm condition number σ_max / σ_min (∞ when σ_min = 0).
    ///
    /// - Returns: κ₂(A).
    /// - Throws: as `svd`.
    public func cond() throws -> Double {
        _ = try matrixShape("cond")
        let s = try singularValues().storage
        guard let hi = s.first, let lo = s.last else { return 0 }
        return lo == 0 ? .infinity : hi / lo
    }

    /// Matrix exponential by scaling and squaring with Padé approximants (Al-Mohy & Higham 2009,
    /// Algorithm 5.1), after diagonal balancing when it lowers ‖A‖₁.
    ///
    /// The degree and scaling follow ‖A^k‖^{1/k}, not ‖A‖, so non-normal matrices with large
    /// entries are not overscaled. Backward error ≤ u = 2⁻⁵³ in exact arithmetic (the θ_m of
    /// Al-Mohy & Higham's Table 3.1); the relative forward error is about κ_exp(A)·u.
    /// - Returns: e^A.
    /// - Throws: `ShapeError.wrongRank`, `LinalgError.notSquare`, `LinalgError.nonFinite`.
    public func expm() throws -> Tensor {
        let n = try squareMatrix("expm")
        if n == 0 { return storageAsFloatTensor }
        let a = storageAsFloat
        return Tensor(unchecked: [n, n], try padeExpm(a, n))
    }

    /// Symmetric tridiagonal eigenproblem (dstevd): d diagonal, e off-diagonal; ascending values,
    /// eigenvectors as columns of an n×n tensor. For Lanczos.
    ///
    /// - Parameters:
    ///   - d: the n diagonal entries.
    ///   - e: the n − 1 off-diagonal entries.
    /// - Returns: `values` ascending (n), `vectors` n×n with eigenvectors as columns.
    /// - Throws: `ShapeError.invalid` when `e.count != d.count − 1`; `LinalgError.nonFinite`;
    ///   `LinalgError.notConverged`.
    public static func eighTridiagonal(_ d: [Double], _ e: [Double]) throws -> (values: Tensor, vectors: Tensor) {
        let n = d.count
        if n == 0 {
            guard e.isEmpty else { throw ShapeError.invalid("eighTridiagonal: \(e.count) off-diagonal entries for an empty diagonal") }
            return (Tensor(unchecked: [0], []), Tensor(unchecked: [0, 0], []))
        }
        guard e.count == n - 1 else {
            throw ShapeError.invalid("eighTridiagonal: \(n) diagonal entries need \(n - 1) off-diagonal entries, got \(e.count)")
        }
        guard d.allSatisfy({ $0.isFinite }), e.allSatisfy({ $0.isFinite }) else { throw LinalgError.nonFinite(op: "eighTridiagonal") }
        _ = try Tensor.elementCount([n, n])
        var w = d
        var off = e + [0]
        var z = [Double](repeating: 0, count: n * n)
        let info = LAPACKE_dstevd(LAPACK_COL_MAJOR, lapackChar("V"), lapackInt(n), &w, &off, &z, lapackInt(n))
        try checkInfo(info, routine: "dstevd") { LinalgError.notConverged(iterations: Int($0)) }
        return (Tensor(unchecked: [n], w), Tensor(unchecked: [n, n], transposeBuffer(z, rows: n, cols: n)))
    }
}

// MARK: - Checks and layout helpers

extension Tensor {
    /// Real storage (bool as 0/1); callers have already refused complex tensors.
    var storageAsFloat: [Double] { storage }

    var storageAsFloatTensor: Tensor { Tensor(sharing: self, shape: shape, dtype: .float64) }

    /// The n×n matrix with its upper triangle replaced by the mirror of its lower one. Symmetric,
    /// so it is its own column-major form, and dsyevd('L') then follows NumPy's path exactly
    /// (same eigenvector signs).
    func lowerSymmetrized(_ n: Int) -> [Double] {
        var a = storage
        for i in 0..<n { for j in (i + 1)..<n { a[i * n + j] = a[j * n + i] } }
        return a
    }

    /// (m, n) of a finite real matrix.
    func matrixShape(_ op: String) throws -> (Int, Int) {
        guard ndim == 2 else { throw ShapeError.wrongRank(op: op, expected: "a matrix", got: shape) }
        guard !isComplex else { throw TensorError.unsupportedDType(op: op, dtype: .complex128) }
        try requireFinite(op)
        _ = try Tensor.elementCount(shape)
        guard shape[0] <= Int(Int32.max), shape[1] <= Int(Int32.max), count <= Int(Int32.max) else {
            throw TensorError.invalidArgument("`\(op)`: matrix of shape \(formatShape(shape)) is too large for LAPACK's 32-bit indices")
        }
        return (shape[0], shape[1])
    }

    /// n of a finite real square matrix.
    func squareMatrix(_ op: String) throws -> Int {
        let (m, n) = try matrixShape(op)
        guard m == n else { throw LinalgError.notSquare(op: op, shape: shape) }
        return n
    }

    func requireFinite(_ op: String) throws {
        guard !isComplex else { throw TensorError.unsupportedDType(op: op, dtype: .complex128) }
        for x in storage where !x.isFinite { throw LinalgError.nonFinite(op: op) }
    }

    /// (rows, columns) of a right-hand side: a vector is one column.
    static func rhsShape(_ b: Tensor, op: String) throws -> (Int, Int) {
        guard b.ndim == 1 || b.ndim == 2 else {
            throw ShapeError.wrongRank(op: op, expected: "a vector or a matrix right-hand side", got: b.shape)
        }
        try b.requireFinite(op)
        guard b.count <= Int(Int32.max) else {
            throw TensorError.invalidArgument("`\(op)`: right-hand side of shape \(formatShape(b.shape)) is too large for LAPACK's 32-bit indices")
        }
        return b.ndim == 1 ? (b.shape[0], 1) : (b.shape[0], b.shape[1])
    }
}

/// Maps LAPACK's `info`: negative is an illegal argument, positive goes through `positive`.
func checkInfo(_ info: Int32, routine: String, positive: (Int32) -> Error) throws {
    if info < 0 { throw LinalgError.illegalArgument(routine: routine, info: Int(info)) }
    if info > 0 { throw positive(info) }
}

@inline(__always) func lapackInt(_ n: Int) -> Int32 { Int32(truncatingIfNeeded: n) }

@inline(__always) func lapackChar(_ c: Unicode.Scalar) -> CChar { CChar(truncatingIfNeeded: c.value) }

/// The transpose of a rows×cols row-major buffer (equivalently, row-major ↔ column-major).
func transposeBuffer(_ a: [Double], rows: Int, cols: Int) -> [Double] {
    if rows <= 1 || cols <= 1 { return a }
    var out = [Double](repeating: 0, count: rows * cols)
    let block = 32
    a.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for i0 in stride(from: 0, to: rows, by: block) {
                for j0 in stride(from: 0, to: cols, by: block) {
                    for i in i0..<Swift.min(i0 + block, rows) {
                        for j in j0..<Swift.min(j0 + block, cols) { dst[j * rows + i] = src[i * cols + j] }
                    }
                }
            }
        }
    }
    return out
}
