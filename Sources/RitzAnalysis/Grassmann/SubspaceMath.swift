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
}
