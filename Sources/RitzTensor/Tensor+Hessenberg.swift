import CLAPACK
import Foundation

extension Tensor {
    /// Orthogonal reduction to upper Hessenberg form, A = Q·H·Qᵀ (LAPACK dgehrd, Householder
    /// reflections, then dorghr for Q; Golub & Van Loan, "Matrix Computations", §7.4.3).
    ///
    /// Backward stable: Q·H·Qᵀ = A + E with ‖E‖ ≈ n·u·‖A‖, Q orthogonal to the same accuracy. H keeps
    /// A's eigenvalues and, Q being orthogonal, the singular values of zI − A for every z, with
    /// zeros below the first subdiagonal, so a shifted system (H − zI)x = b costs O(n²).
    /// - Returns: `h` (n×n, zero below the subdiagonal) and `q` (n×n orthogonal).
    /// - Throws: `ShapeError.wrongRank`, `LinalgError.notSquare`, `LinalgError.nonFinite`,
    ///   `TensorError.unsupportedDType` for a complex tensor.
    public func hessenberg() throws -> (h: Tensor, q: Tensor) {
        let n = try squareMatrix("hessenberg")
        if n == 0 { return (Tensor(unchecked: [0, 0], []), Tensor(unchecked: [0, 0], [])) }
        var a = storageAsFloat
        var tau = [Double](repeating: 0, count: Swift.max(n - 1, 1))
        let info = LAPACKE_dgehrd(LAPACK_ROW_MAJOR, lapackInt(n), 1, lapackInt(n), &a, lapackInt(n), &tau)
        try checkInfo(info, routine: "dgehrd") { _ in LinalgError.illegalArgument(routine: "dgehrd", info: Int(info)) }
        var q = a
        let infoQ = LAPACKE_dorghr(LAPACK_ROW_MAJOR, lapackInt(n), 1, lapackInt(n), &q, lapackInt(n), &tau)
        try checkInfo(infoQ, routine: "dorghr") { _ in LinalgError.illegalArgument(routine: "dorghr", info: Int(infoQ)) }
        for i in 0..<n { for j in 0..<Swift.max(i - 1, 0) { a[i * n + j] = 0 } }
        return (Tensor(unchecked: [n, n], a), Tensor(unchecked: [n, n], q))
    }
}
