/// Constructors: constant fills, identities, ranges, diagonals.
extension Tensor {
    /// A tensor of `shape` with every element `value`.
    ///
    /// - Throws: `ShapeError.negativeDimension`, `TensorError.tooLarge`.
    public static func full(_ shape: [Int], _ value: Double) throws -> Tensor {
        let n = try elementCount(shape)
        return Tensor(unchecked: shape, [Double](repeating: value, count: n))
    }

    /// Zeros of `shape`.
    public static func zeros(_ shape: [Int]) throws -> Tensor { try full(shape, 0) }

    /// Ones of `shape`.
    public static func ones(_ shape: [Int]) throws -> Tensor { try full(shape, 1) }

    /// The n×n identity.
    public static func eye(_ n: Int) throws -> Tensor {
        var t = try zeros([n, n])
        for i in 0..<n { t.storage[i * n + i] = 1 }
        return t
    }

    /// `start, start+step, …` below `stop` (above it for negative steps), as NumPy's `arange`:
    /// length ⌈(stop − start)/step⌉.
    ///
    /// - Throws: `TensorError.invalidArgument` for a zero or non-finite step.
    public static func arange(_ start: Double, _ stop: Double, _ step: Double = 1) throws -> Tensor {
        guard step != 0, step.isFinite, start.isFinite, stop.isFinite else {
            throw TensorError.invalidArgument("arange needs a finite, non-zero step and finite bounds")
        }
        let length = ((stop - start) / step).rounded(.up)
        guard length < Double(Int.max / 8) else { throw TensorError.tooLarge(bytes: Int.max, limit: AllocationLimit.bytes) }
        // length may be −∞ (e.g. a huge negative span over a tiny step): only positive lengths count.
        let n = length > 0 ? Int(length) : 0
        try AllocationLimit.check(elements: n)
        return Tensor(unchecked: [n], (0..<n).map { start + Double($0) * step })
    }

    /// `n` evenly spaced values from `a` to `b` inclusive (NumPy's `linspace`).
    public static func linspace(_ a: Double, _ b: Double, _ n: Int) throws -> Tensor {
        guard n >= 0 else { throw ShapeError.negativeDimension(n) }
        try AllocationLimit.check(elements: n)
        if n == 1 { return Tensor([a]) }
        let step = (b - a) / Double(n - 1)
        return Tensor(unchecked: [n], (0..<n).map { i in i == n - 1 ? b : a + Double(i) * step })
    }

    /// For a 1-d tensor, the square matrix with it on the diagonal; for a matrix, its diagonal.
    public static func diag(_ x: Tensor) throws -> Tensor {
        switch x.ndim {
        case 1:
            let n = x.shape[0]
            _ = try elementCount([n, n], complex: x.isComplex)
            if x.isComplex {
                var out = [Double](repeating: 0, count: 2 * n * n)
                for i in 0..<n { out[2 * (i * n + i)] = x.storage[2 * i]; out[2 * (i * n + i) + 1] = x.storage[2 * i + 1] }
                return Tensor(unchecked: [n, n], out, dtype: .complex128)
            }
            var out = [Double](repeating: 0, count: n * n)
            for i in 0..<n { out[i * n + i] = x.storage[i] }
            return Tensor(unchecked: [n, n], out)
        case 2:
            let (r, c) = (x.shape[0], x.shape[1])
            let m = Swift.min(r, c)
            if x.isComplex {
                var out = [Double](repeating: 0, count: 2 * m)
                for i in 0..<m { out[2 * i] = x.storage[2 * (i * c + i)]; out[2 * i + 1] = x.storage[2 * (i * c + i) + 1] }
                return Tensor(unchecked: [m], out, dtype: .complex128)
            }
            return Tensor(unchecked: [m], (0..<m).map { x.storage[$0 * c + $0] })
        default:
            throw ShapeError.wrongRank(op: "diag", expected: "a vector or a matrix", got: x.shape)
        }
    }
}
