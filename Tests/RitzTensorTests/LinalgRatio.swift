import Foundation
@testable import RitzTensor

/// The ratios LAPACK's own test suite judges its routines by (dget01, dget02, dget03, dqrt01,
/// dsyt21, dget22, dbdt01, dort01): an error divided by what backward stability allows, so a
/// correct routine gives O(1) on any matrix, however ill-conditioned; LAPACK flags a ratio
/// above `threshold` = 30. Norms are 1-norms (LAPACK's dlange('1')) and u = 2⁻⁵³ is LAPACK's
/// dlamch('E'). The residuals are formed here in plain double loops, which adds at most about
/// n·u·‖A‖‖X‖ of rounding: a contribution of order 1 to each ratio.
enum LinalgRatio {
    /// LAPACK's test threshold for every ratio here.
    static let threshold = 30.0
    /// The unit roundoff 2⁻⁵³.
    static let u = Double.ulpOfOne / 2

    /// A matrix as rows × cols complex entries (real tensors get zero imaginary parts).
    struct Matrix {
        let rows: Int, cols: Int
        var re: [Double], im: [Double]

        init(_ t: Tensor) {
            rows = t.ndim == 2 ? t.shape[0] : t.count
            cols = t.ndim == 2 ? t.shape[1] : 1
            let c = t.asComplex().storage
            re = stride(from: 0, to: c.count, by: 2).map { c[$0] }
            im = stride(from: 1, to: c.count, by: 2).map { c[$0] }
        }

        init(rows: Int, cols: Int) {
            self.rows = rows; self.cols = cols
            re = [Double](repeating: 0, count: rows * cols); im = re
        }

        /// ‖M‖₁: the largest column sum of |m_ij|.
        var norm1: Double {
            (0..<cols).map { j in (0..<rows).reduce(0) { $0 + hypot(re[$1 * cols + j], im[$1 * cols + j]) } }.max() ?? 0
        }

        /// self·other, in plain loops.
        func times(_ b: Matrix) -> Matrix {
            var out = Matrix(rows: rows, cols: b.cols)
            for i in 0..<rows {
                for k in 0..<cols {
                    let (ar, ai) = (re[i * cols + k], im[i * cols + k])
                    for j in 0..<b.cols {
                        let (br, bi) = (b.re[k * b.cols + j], b.im[k * b.cols + j])
                        out.re[i * b.cols + j] += ar * br - ai * bi
                        out.im[i * b.cols + j] += ar * bi + ai * br
                    }
                }
            }
            return out
        }

        /// self − other (same shape).
        func minus(_ b: Matrix) -> Matrix {
            var out = self
            for i in 0..<re.count { out.re[i] -= b.re[i]; out.im[i] -= b.im[i] }
            return out
        }

        /// The conjugate transpose.
        var adjoint: Matrix {
            var out = Matrix(rows: cols, cols: rows)
            for i in 0..<rows { for j in 0..<cols { out.re[j * rows + i] = re[i * cols + j]; out.im[j * rows + i] = -im[i * cols + j] } }
            return out
        }

        /// The k×k identity.
        static func identity(_ k: Int) -> Matrix {
            var out = Matrix(rows: k, cols: k)
            for i in 0..<k { out.re[i * k + i] = 1 }
            return out
        }

        /// Column j as a rows×1 matrix.
        func column(_ j: Int) -> Matrix {
            var out = Matrix(rows: rows, cols: 1)
            for i in 0..<rows { out.re[i] = re[i * cols + j]; out.im[i] = im[i * cols + j] }
            return out
        }
    }

    /// ‖A − P‖₁/(max(m, n)·‖A‖₁·u) for a factorisation whose product is P = QR, LLᵀ, VΛVᵀ, UΣVᵀ
    /// (dget01, dqrt01, dpot01, dsyt21, dbdt01).
    static func factorization(_ a: Tensor, product: Matrix) -> Double {
        let am = Matrix(a)
        return am.minus(product).norm1 / (Double(max(am.rows, am.cols)) * am.norm1 * u)
    }

    /// ‖QᴴQ − I‖₁/(m·u) for an m×k matrix Q meant to have orthonormal columns (dort01).
    static func orthonormality(_ q: Tensor) -> Double {
        let qm = Matrix(q)
        return qm.adjoint.times(qm).minus(.identity(qm.cols)).norm1 / (Double(max(qm.rows, 1)) * u)
    }

    /// max_j ‖b_j − A·x_j‖₁/(‖A‖₁‖x_j‖₁·u) over the right-hand sides (dget02).
    static func residual(_ a: Tensor, x: Tensor, b: Tensor) -> Double {
        let am = Matrix(a), xm = Matrix(x), bm = Matrix(b)
        let r = bm.minus(am.times(xm))
        return (0..<xm.cols).map { j in r.column(j).norm1 / (am.norm1 * xm.column(j).norm1 * u) }.max() ?? 0
    }

    /// ‖I − A·X‖₁/(n·‖A‖₁‖X‖₁·u) for X meant to be A⁻¹ (dget03).
    static func inverse(_ a: Tensor, _ x: Tensor) -> Double {
        let am = Matrix(a), xm = Matrix(x)
        return Matrix.identity(am.rows).minus(am.times(xm)).norm1 / (Double(am.rows) * am.norm1 * xm.norm1 * u)
    }

    /// ‖AV − VΛ‖₁/(n·‖A‖₁‖V‖₁·u) for eigenvectors V (columns) and eigenvalues Λ, real or complex (dget22).
    static func eigenResidual(_ a: Matrix, vectors v: Matrix, values: Tensor) -> Double {
        let w = Matrix(values)
        var vl = v
        for i in 0..<v.rows {
            for j in 0..<v.cols {
                let (xr, xi, lr, li) = (v.re[i * v.cols + j], v.im[i * v.cols + j], w.re[j], w.im[j])
                vl.re[i * v.cols + j] = xr * lr - xi * li
                vl.im[i * v.cols + j] = xr * li + xi * lr
            }
        }
        return a.times(v).minus(vl).norm1 / (Double(a.rows) * a.norm1 * v.norm1 * u)
    }

    /// max_j |‖v_j‖₂ − 1|/(n·u): how far the eigenvectors are from unit length (dget22).
    static func unitColumns(_ vectors: Tensor) -> Double {
        let v = Matrix(vectors)
        return (0..<v.cols).map { j in
            abs((0..<v.rows).reduce(0) { $0 + v.re[$1 * v.cols + j] * v.re[$1 * v.cols + j] + v.im[$1 * v.cols + j] * v.im[$1 * v.cols + j] }.squareRoot() - 1)
        }.max().map { $0 / (Double(v.rows) * u) } ?? 0
    }

    /// A forward error as a multiple of its first-order bound: error/(dimension·κ·u), which a
    /// backward stable result keeps below `threshold` (the perturbation ‖ΔA‖ ≤ c·n·u‖A‖
    /// amplified by the condition number κ of the quantity).
    static func forward(error: Double, dimension: Int, condition: Double) -> Double {
        error / (Double(dimension) * condition * u)
    }

    /// ‖x − y‖₁/‖y‖₁ for tensors of one shape.
    static func relativeError(_ x: Tensor, _ y: Tensor) -> Double {
        Matrix(x).minus(Matrix(y)).norm1 / Matrix(y).norm1
    }
}
