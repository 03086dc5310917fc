import Foundation
import RitzTensor

/// Small dense-matrix helpers shared by the Grassmann, Koopman and graph code of this module.
enum SubspaceMath {
    /// Checks that `a` is a real matrix (a 1-d tensor counts as one column) and returns it as n×p.
    static func matrix(_ a: Tensor, _ op: String) throws -> Tensor {
        guard !a.isComplex else { throw TensorError.unsupportedDType(op: op, dtype: .complex128) }
        let f = try a.asFloat()
        if f.ndim == 1 { return try f.reshaped([f.count, 1]) }
        guard f.ndim == 2 else { throw ShapeError.wrongRank(op: op, expected: "a matrix", got: a.shape) }
        guard f.storage.allSatisfy({ $0.isFinite }) else { throw LinalgError.nonFinite(op: op) }
        return f
    }

    /// Columns `lo..<hi` of a matrix.
    static func columns(_ a: Tensor, _ lo: Int, _ hi: Int) throws -> Tensor {
        try a.index([.all, .slice(start: lo, stop: hi, step: 1)])
    }

    /// Rows `lo..<hi` of a matrix.
    static func rows(_ a: Tensor, _ lo: Int, _ hi: Int) throws -> Tensor {
        try a.index([.slice(start: lo, stop: hi, step: 1), .all])
    }

    /// A·diag(d): column j scaled by d[j].
    static func scaleColumns(_ a: Tensor, _ d: [Double]) throws -> Tensor {
        let r = a.shape[0], c = a.shape[1]
        var s = a.storage
        for i in 0..<r { for j in 0..<c { s[i * c + j] *= d[j] } }
        return try Tensor(shape: [r, c], storage: s)
    }

    /// Frobenius norm of a real tensor.
    static func frobenius(_ a: Tensor) -> Double {
        var acc = 0.0
        for v in a.storage { acc += v * v }
        return acc.squareRoot()
    }

    /// max |AᵀA − I| for the columns of A.
    static func orthonormalityError(_ a: Tensor) throws -> Double {
        let g = try a.T.matmul(a)
        let p = g.shape[0]
        var worst = 0.0
        for i in 0..<p { for j in 0..<p { worst = Swift.max(worst, Swift.abs(g.storage[i * p + j] - (i == j ? 1 : 0))) } }
        return worst
    }

    /// The R factor of a tall m×w matrix (row-major `a`) by TSQR (Demmel, Grigori, Hoemmen and
    /// Langou, SIAM J. Sci. Comput. 34, 2012): Householder QR (LAPACK) of row blocks that fit in
    /// cache, then of the stacked block R factors. As backward stable as one Householder QR; R is
    /// the same up to the signs of its rows. Returns w×w (zero rows below min(m, w)).
    static func tallSkinnyR(_ a: [Double], rows m: Int, cols w: Int) throws -> [Double] {
        let block = Swift.max(8 * w, 1024)
        var stacked = [Double]()
        var stackedRows = 0
        var start = 0
        while start < m {
            let end = m - start < block + block / 2 ? m : start + block     // no tiny last block
            let part = try Tensor(shape: [end - start, w], storage: Array(a[(start * w)..<(end * w)]))
            let r = try part.qr().r
            stacked += r.storage
            stackedRows += r.shape[0]
            start = end
        }
        let r = stackedRows > block ? try tallSkinnyR(stacked, rows: stackedRows, cols: w)
                                    : try Tensor(shape: [stackedRows, w], storage: stacked).qr().r.storage
        let rows = r.count / Swift.max(w, 1)
        var out = [Double](repeating: 0, count: w * w)
        for i in 0..<Swift.min(rows, w) { for j in 0..<w { out[i * w + j] = r[i * w + j] } }
        return out
    }
}
