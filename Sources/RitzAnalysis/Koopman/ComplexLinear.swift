import RitzTensor

/// Complex linear algebra on top of the real LAPACK routines, through the real embedding
/// A = Ar + i·Ai ↦ [[Ar, −Ai], [Ai, Ar]], which maps A·x = b to a real system of twice the size
/// with the same solution (and the same minimum-norm least-squares solution), and whose singular
/// values are those of A, each twice.
enum ComplexLinear {
    /// Row-major complex matrix as separate real and imaginary parts.
    struct Parts {
        var rows: Int
        var cols: Int
        var re: [Double]
        var im: [Double]

        init(rows: Int, cols: Int) {
            self.rows = rows; self.cols = cols
            re = [Double](repeating: 0, count: rows * cols); im = re
        }

        /// From a real or complex 2-d tensor (a 1-d tensor is one column).
        init(_ t: Tensor) {
            let r = t.shape.first ?? 1, c = t.ndim == 2 ? t.shape[1] : 1
            self.init(rows: r, cols: c)
            for k in 0..<(r * c) { let z = t.complexElement(k); re[k] = z.re; im[k] = z.im }
        }

        subscript(i: Int, j: Int) -> Complex {
            get { Complex(re[i * cols + j], im[i * cols + j]) }
            set { re[i * cols + j] = newValue.re; im[i * cols + j] = newValue.im }
        }

        /// The real 2r×2c embedding [[Re, −Im], [Im, Re]].
        func embedded() throws -> Tensor {
            var s = [Double](repeating: 0, count: 4 * rows * cols)
            let w = 2 * cols
            for i in 0..<rows {
                for j in 0..<cols {
                    let a = re[i * cols + j], b = im[i * cols + j]
                    s[i * w + j] = a; s[i * w + cols + j] = -b
                    s[(rows + i) * w + j] = b; s[(rows + i) * w + cols + j] = a
                }
            }
            return try Tensor(shape: [2 * rows, 2 * cols], storage: s)
        }

        /// The stacked real vector/matrix [Re; Im] (2r×c).
        func stacked() throws -> Tensor { try Tensor(shape: [2 * rows, cols], storage: re + im) }

        /// Inverse of `stacked` for an x of 2r×c rows.
        static func unstack(_ x: Tensor, rows: Int, cols: Int) -> Parts {
            var p = Parts(rows: rows, cols: cols)
            p.re = Array(x.storage[0..<(rows * cols)])
            p.im = Array(x.storage[(rows * cols)..<(2 * rows * cols)])
            return p
        }

        /// As a complex128 tensor of shape rows×cols.
        func tensor() throws -> Tensor {
            var s = [Double](repeating: 0, count: 2 * rows * cols)
            for k in 0..<(rows * cols) { s[2 * k] = re[k]; s[2 * k + 1] = im[k] }
            return try Tensor(shape: [rows, cols], storage: s, dtype: .complex128)
        }

        /// Column j as complex numbers.
        func column(_ j: Int) -> [Complex] { (0..<rows).map { self[$0, j] } }
    }

    /// Minimum-norm least-squares solution of A·X = B for complex A (m×n) and B (m×k).
    static func lstsq(_ a: Parts, _ b: Parts) throws -> Parts {
        let x = try Tensor.lstsq(a.embedded(), b.stacked())
        return Parts.unstack(x, rows: a.cols, cols: b.cols)
    }

    /// Solution of A·X = B for square complex A.
    static func solve(_ a: Parts, _ b: Parts) throws -> Parts {
        let x = try Tensor.solve(a.embedded(), b.stacked())
        return Parts.unstack(x, rows: a.cols, cols: b.cols)
    }

    /// Smallest singular value of a complex matrix.
    static func smallestSingularValue(_ a: Parts) throws -> Double {
        let s = try a.embedded().singularValues().storage
        return s.last ?? 0
    }

    /// The modal evolution x_t = Re(Σ_j λ_j^t c_j ξ_j) for t = 0…steps, shared by DMD and EDMD
    /// forecasts: each column of the result is one time step, as `simulate` lays them out.
    ///
    /// - Parameters:
    ///   - modes: d×r modes ξ_j as columns.
    ///   - coefficients: r initial coefficients c_j.
    ///   - eigenvalues: r eigenvalues λ_j.
    ///   - steps: Number of steps (≥ 0).
    /// - Returns: d×(steps+1).
    /// - Throws: `TensorError.tooLarge` past the allocation limit.
    static func evolve(modes: Parts, coefficients: [Complex], eigenvalues: [Complex], steps: Int) throws -> Tensor {
        let d = modes.rows, r = coefficients.count, cols = steps + 1
        var out = [Double](repeating: 0, count: try Tensor.elementCount([d, cols]))
        var coef = coefficients
        for t in 0..<cols {
            for i in 0..<d {
                var acc = 0.0
                for j in 0..<r { acc += (modes[i, j] * coef[j]).re }
                out[i * cols + t] = acc
            }
            for j in 0..<r { coef[j] = coef[j] * eigenvalues[j] }
        }
        return try Tensor(shape: [d, cols], storage: out)
    }
}
