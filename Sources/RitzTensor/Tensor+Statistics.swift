import Foundation

/// Histograms, covariance, closeness tests and matrix norms, with NumPy's definitions.
extension Tensor {
    /// Counts of the elements in `bins` equal-width bins (`numpy.histogram`): the edges are
    /// `linspace(lo, hi, bins + 1)` over the data's range (± 0.5 when every element is equal),
    /// each bin half-open [e_i, e_{i+1}) except the last, which includes its right edge.
    ///
    /// - Parameters:
    ///   - bins: The number of bins, ≥ 1.
    ///   - range: The (lo, hi) of the edges; elements outside are not counted. nil: the data's range.
    /// - Returns: int64 `counts` of length `bins` and float64 `edges` of length `bins + 1`.
    /// - Throws: `TensorError.invalidArgument` for bins < 1, a non-finite range (NaN or ∞ in the
    ///   data) or lo > hi; `TensorError.unsupportedDType` for complex tensors.
    public func histogram(bins: Int, range: (Double, Double)? = nil) throws -> (counts: Tensor, edges: Tensor) {
        if isComplex { throw TensorError.unsupportedDType(op: "histogram", dtype: .complex128) }
        guard bins >= 1 else { throw TensorError.invalidArgument("histogram needs bins ≥ 1, got \(bins)") }
        try AllocationLimit.check(elements: bins)
        var (lo, hi) = range ?? (storage.min() ?? 0, storage.max() ?? 1)
        if range == nil, storage.contains(where: \.isNaN) { (lo, hi) = (.nan, .nan) }
        guard lo.isFinite, hi.isFinite else {
            throw TensorError.invalidArgument("histogram's range [\(lo), \(hi)] is not finite; remove NaN and ∞ or give range=")
        }
        guard lo <= hi else { throw TensorError.invalidArgument("histogram's range needs lo ≤ hi, got [\(lo), \(hi)]") }
        if lo == hi { lo -= 0.5; hi += 0.5 }
        let edges = try Tensor.linspace(lo, hi, bins + 1).storage
        var counts = [Int](repeating: 0, count: bins)
        // numpy/lib/_histograms_impl.py: the bin from the scaled offset, then corrected against
        // the edges themselves so rounding never puts a value in a neighbouring bin.
        for x in storage where x >= lo && x <= hi {
            let f = (x - lo) / (hi - lo) * Double(bins)
            // f is in [0, bins] unless hi − lo overflows to ∞; then the edge checks below decide.
            var i = f.isFinite ? Swift.min(Int(Swift.max(f, 0)), bins - 1) : 0
            if x < edges[i] { i -= 1 } else if i < bins - 1 && x >= edges[i + 1] { i += 1 }
            counts[Swift.max(Swift.min(i, bins - 1), 0)] += 1
        }
        return (Tensor(integers: counts), Tensor(unchecked: [bins + 1], edges))
    }

    /// The covariance matrix of the variables in the rows (`numpy.cov`): with X p×n centred
    /// row by row, C = X Xᵀ / (n − ddof); a 1-d tensor is one variable, giving a 0-d result.
    ///
    /// - Parameter ddof: Subtracted from n in the divisor; 1 (NumPy's default) is unbiased.
    /// - Returns: A p×p float64 tensor (0-d for one variable given as a vector).
    /// - Throws: `ShapeError.invalid` for more than two dimensions, `TensorError.unsupportedDType`
    ///   for complex tensors.
    public func covariance(ddof: Int = 1) throws -> Tensor {
        if isComplex { throw TensorError.unsupportedDType(op: "cov", dtype: .complex128) }
        guard ndim <= 2 else { throw ShapeError.invalid("cov needs a vector or a matrix (rows are variables), got shape \(formatShape(shape))") }
        let x = try asFloat().reshaped(ndim == 2 ? shape : [1, count])
        let p = x.shape[0], n = x.shape[1]
        var centred = x.storage
        for r in 0..<p {
            let row = centred[(r * n)..<((r + 1) * n)]
            let mean = row.reduce(0, +) / Double(n)
            for j in 0..<n { centred[r * n + j] -= mean }
        }
        let c = Tensor(unchecked: [p, n], centred)
        // NumPy divides by max(n − ddof, 0), which is inf or nan with a warning at zero.
        let divisor = Double(Swift.max(n - ddof, 0))
        let prod = try c.matmul(c.transposed()).binary(.div, Tensor(divisor))
        return ndim == 2 ? prod : try prod.reshaped([])
    }

    /// Pearson correlation coefficients of the variables in the rows (`numpy.corrcoef`):
    /// R_ij = C_ij / √(C_ii C_jj) with C the covariance, clipped to [−1, 1] as NumPy does.
    ///
    /// - Returns: A p×p float64 tensor (0-d for a vector: 1, or NaN for a constant one).
    /// - Throws: As `covariance`.
    public func correlation() throws -> Tensor {
        let c = try covariance()
        guard c.ndim == 2 else { return try c.binary(.div, c) }
        let p = c.shape[0]
        var out = c.storage
        for i in 0..<p {
            for j in 0..<p {
                let r = c.storage[i * p + j] / (c.storage[i * p + i].squareRoot() * c.storage[j * p + j].squareRoot())
                out[i * p + j] = r.isNaN ? r : Swift.min(Swift.max(r, -1), 1)
            }
        }
        return Tensor(unchecked: [p, p], out)
    }

    /// Elementwise |a − b| ≤ atol + rtol·|b| with broadcasting (`numpy.isclose`, asymmetric in
    /// b): infinities are close only to the same infinity; NaN is close to nothing unless
    /// `equalNaN`.
    ///
    /// - Parameters:
    ///   - a: The first operand.
    ///   - b: The reference operand.
    ///   - rtol: Relative tolerance (NumPy's default 1e-5).
    ///   - atol: Absolute tolerance (NumPy's default 1e-8).
    ///   - equalNaN: Whether NaN is close to NaN.
    /// - Returns: A bool tensor of the broadcast shape.
    /// - Throws: `ShapeError.mismatch` for shapes that do not broadcast; complex operands are
    ///   compared by the modulus of their difference.
    public static func isClose(_ a: Tensor, _ b: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8,
                               equalNaN: Bool = false) throws -> Tensor {
        guard let shape = broadcastShape(a.shape, b.shape) else { throw ShapeError.mismatch(op: "isclose", lhs: a.shape, rhs: b.shape) }
        let complex = a.isComplex || b.isComplex
        let x = try (complex ? a.asComplex() : a.asFloat()).broadcast(to: shape)
        let y = try (complex ? b.asComplex() : b.asFloat()).broadcast(to: shape)
        let out = (0..<x.count).map { i -> Double in
            let (ar, ai) = x.complexElement(i), (br, bi) = y.complexElement(i)
            if ar.isNaN || ai.isNaN || br.isNaN || bi.isNaN {
                return equalNaN && (ar.isNaN || ai.isNaN) && (br.isNaN || bi.isNaN) ? 1 : 0
            }
            if !(ar.isFinite && ai.isFinite && br.isFinite && bi.isFinite) { return ar == br && ai == bi ? 1 : 0 }
            let diff = Complex(ar - br, ai - bi).magnitude
            return diff <= atol + rtol * Complex(br, bi).magnitude ? 1 : 0
        }
        return Tensor(unchecked: shape, out, dtype: .bool)
    }

    /// A matrix norm by NumPy's names (`numpy.linalg.norm(A, ord)`): "fro" √Σ|a_ij|², "nuc"
    /// Σσ_i, 2 σ_max and −2 σ_min (singular values by LAPACK), 1 / −1 the largest / smallest
    /// column sum of |a_ij|, ∞ / −∞ the largest / smallest row sum.
    ///
    /// - Parameter ord: "fro", "nuc", or one of 1, −1, 2, −2, ∞, −∞.
    /// - Returns: The norm.
    /// - Throws: `ShapeError.invalid` unless 2-d; `TensorError.invalidArgument` for another ord;
    ///   `LinalgError` when the SVD fails.
    public func matrixNorm(_ ord: MatrixNormOrder) throws -> Double {
        guard ndim == 2 else { throw ShapeError.invalid("a matrix norm needs a 2-d tensor, got shape \(formatShape(shape))") }
        switch ord {
        case .frobenius: return try norm(p: 2)
        case .nuclear: return try singularValues().sumAll()
        case let .p(p):
            if abs(p) == 2 {
                let s = try singularValues().storage
                return (p > 0 ? s.max() : s.min()) ?? 0
            }
            let a = try unary(.abs)
            let sums: Tensor
            if abs(p) == 1 { sums = try a.reduce(.sum, axis: 0) } else if abs(p) == .infinity { sums = try a.reduce(.sum, axis: 1) } else {
                throw TensorError.invalidArgument("a matrix norm takes ord \"fro\", \"nuc\", 1, -1, 2, -2, inf or -inf, got \(p)")
            }
            return (p > 0 ? sums.storage.max() : sums.storage.min()) ?? 0
        }
    }
}

/// Which matrix norm `matrixNorm` computes.
public enum MatrixNormOrder: Sendable, Equatable {
    /// √Σ|a_ij|².
    case frobenius
    /// The sum of the singular values.
    case nuclear
    /// An order in NumPy's numbering: ±1, ±2, ±∞.
    case p(Double)
}
