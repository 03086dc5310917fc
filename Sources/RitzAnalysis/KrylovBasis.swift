import CBLAS
import RitzTensor

/// An orthonormal basis of a Krylov subspace, stored as the rows of a row-major matrix so that
/// projections are single BLAS calls, with full reorthogonalisation of new vectors.
///
/// Reorthogonalisation is classical Gram–Schmidt applied twice ("twice is enough", Parlett 1980
/// §6.9, after Kahan): after the second pass the new vector is orthogonal to the basis to working
/// precision, ‖Vᵀw‖ ≈ ε‖w‖, which keeps the Lanczos recurrence free of ghost eigenvalues.
struct KrylovBasis {
    let n: Int
    private(set) var rows: [Double]
    private(set) var count = 0

    init(n: Int, capacity: Int) {
        self.n = n
        rows = [Double](repeating: 0, count: n * max(capacity, 1))
    }

    /// Row `j` as an array.
    func vector(_ j: Int) -> [Double] { Array(rows[(j * n)..<((j + 1) * n)]) }

    /// Appends a vector (assumed normalised and orthogonal to the basis).
    mutating func append(_ v: [Double]) {
        precondition(v.count == n)
        if (count + 1) * n > rows.count { rows.append(contentsOf: [Double](repeating: 0, count: n * max(count, 1))) }
        rows.replaceSubrange((count * n)..<((count + 1) * n), with: v)
        count += 1
    }

    /// Replaces the basis by `vectors` (each of length n, orthonormal).
    mutating func reset(_ vectors: [[Double]]) {
        count = 0
        for v in vectors { append(v) }
    }

    /// Removes the components of `w` along the first `upTo` basis vectors, twice; returns the
    /// total coefficients `Vᵀw` (the sum of both passes).
    func orthogonalize(_ w: inout [Double], upTo: Int? = nil) -> [Double] {
        let m = min(upTo ?? count, count)
        var total = [Double](repeating: 0, count: m)
        guard m > 0 else { return total }
        var h = [Double](repeating: 0, count: m)
        for _ in 0..<2 {
            rows.withUnsafeBufferPointer { pv in
                w.withUnsafeMutableBufferPointer { pw in
                    h.withUnsafeMutableBufferPointer { ph in
                        guard let v = pv.baseAddress, let x = pw.baseAddress, let c = ph.baseAddress else { return }
                        // h = V w ; w = w − Vᵀ h
                        matrixVector(transposed: false, rows: m, cols: n, v, x, c)
                        matrixVector(transposed: true, rows: m, cols: n, alpha: -1, v, c, beta: 1, x)
                    }
                }
            }
            for i in 0..<m { total[i] += h[i] }
        }
        return total
    }

    /// The combinations `Σ_j Y[j, c] v_j` for each column `c` of the row-major `rowsY`×`cols`
    /// matrix `y` (only the first `rowsY` basis vectors are used): a `cols`×n row-major result.
    func combine(_ y: [Double], rowsY: Int, cols: Int) -> [Double] {
        Blas.combine(rows, length: n, y, count: rowsY, cols: cols)
    }
}

/// Small BLAS-1/2 helpers on arrays.
enum Blas {
    /// The combinations Σ_j Y[j, c] v_j of the first `count` length-n vectors v_j stored one after
    /// another in `vectors`, for each column c of the row-major count×cols `y`: the cols vectors
    /// one after another (out = Yᵀ V, one dgemm).
    static func combine(_ vectors: [Double], length n: Int, _ y: [Double], count: Int, cols: Int) -> [Double] {
        var out = [Double](repeating: 0, count: cols * n)
        guard count > 0, cols > 0, n > 0, vectors.count >= count * n, y.count >= count * cols else { return out }
        vectors.withUnsafeBufferPointer { pv in
            y.withUnsafeBufferPointer { py in
                out.withUnsafeMutableBufferPointer { po in
                    guard let v = pv.baseAddress, let a = py.baseAddress, let o = po.baseAddress else { return }
                    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(cols), Int32(n), Int32(count),
                                1, a, Int32(cols), v, Int32(n), 0, o, Int32(n))
                }
            }
        }
        return out
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count)
        var s = 0.0
        for i in 0..<a.count { s += a[i] * b[i] }
        return s
    }

    static func norm(_ a: [Double]) -> Double {
        a.withUnsafeBufferPointer { p in cblas_dnrm2(Int32(a.count), p.baseAddress, 1) }
    }

    static func scaled(_ a: [Double], _ s: Double) -> [Double] { a.map { $0 * s } }

    /// ‖a − θ b‖₂.
    static func residual(_ a: [Double], _ theta: Double, _ b: [Double]) -> Double {
        var r = [Double](repeating: 0, count: a.count)
        for i in 0..<a.count { r[i] = a[i] - theta * b[i] }
        return norm(r)
    }
}

/// Eigenproblems of the small projected matrices of Krylov methods, through the LAPACK layer.
enum SmallEigen {
    /// Eigenvalues (ascending) and eigenvectors (row-major m×m, columns are vectors) of the
    /// symmetric tridiagonal matrix with diagonal `d` and off-diagonal `e` (`Tensor.eighTridiagonal`,
    /// LAPACK `dstevd`).
    static func tridiagonal(_ d: [Double], _ e: [Double]) throws -> (values: [Double], vectors: [Double]) {
        guard !d.isEmpty else { return ([], []) }
        let r = try Tensor.eighTridiagonal(d, Array(e.prefix(d.count - 1)))
        return (r.values.storage, r.vectors.storage)
    }

    /// Eigenvalues (ascending) and eigenvectors (row-major m×m, columns are vectors) of a dense
    /// symmetric m×m matrix given row-major (`Tensor.eigh`, LAPACK `dsyevd`).
    static func symmetric(_ a: [Double], m: Int) throws -> (values: [Double], vectors: [Double]) {
        guard m > 0 else { return ([], []) }
        let r = try Tensor(shape: [m, m], storage: a).eigh()
        return (r.values.storage, r.vectors.storage)
    }
}
