import Foundation
import RitzTensor

/// A matrix-free linear map from ℝⁿ to ℝᵐ: a dense matrix or a closure computing `H v`, with a
/// counter of the matrix-vector products it has performed, and (when known) its transpose.
///
/// Every iterative method of ritz (Lanczos, `eigs`, power iteration, SLQ, Hutchinson) reaches the
/// matrix only through `apply`, so the counter is the honest cost of a result: results report the
/// difference of the counter across their run. Those methods need a square operator (`rows == n`);
/// a rectangular one (a Jacobian) is made with ``init(rows:cols:label:transpose:_:)``.
public final class LinearOperator: @unchecked Sendable {
    /// The dimension of the domain: the operator maps vectors of length `n`.
    public let n: Int
    /// The dimension of the image (`n` for a square operator).
    public let rows: Int
    /// True when the operator maps ℝⁿ to itself.
    public var isSquare: Bool { rows == n }
    /// `x ↦ Aᵀ x` (from ℝᵐ to ℝⁿ) when known; a symmetric operator is its own transpose.
    let transposeBody: (([Double]) throws -> [Double])?
    /// The operator this one was made as the transpose of, so that `Aᵀ A` and `A Aᵀ` are known symmetric.
    private(set) weak var transposeSource: LinearOperator?
    /// True when the operator is known (or declared) to be symmetric; Lanczos methods require it.
    public let isSymmetric: Bool
    /// A short description for display (`"dense 10×10"`, `"hessian of mlp [64, 64, 10]"`).
    public let label: String

    private let body: ([Double]) throws -> [Double]
    private let lock = NSLock()
    private var count = 0

    /// Wraps a closure computing the product with a vector.
    ///
    /// - Parameters:
    ///   - n: The dimension (at least 1).
    ///   - symmetric: Whether the map is symmetric; the caller vouches for it.
    ///   - label: A description for display.
    ///   - body: Maps a vector of length `n` to its image, also of length `n`.
    /// - Throws: `TensorError.invalidArgument` for `n < 1`.
    public convenience init(n: Int, symmetric: Bool = true, label: String = "operator",
                            _ body: @escaping ([Double]) throws -> [Double]) throws {
        guard n >= 1 else { throw TensorError.invalidArgument("an operator needs dimension n >= 1, got \(n)") }
        try self.init(rows: n, cols: n, symmetric: symmetric, label: label, transpose: nil, body)
    }

    /// Wraps a closure computing the product of an m×n matrix with vectors of length n, and
    /// optionally the product of its transpose.
    ///
    /// - Parameters:
    ///   - rows: m, the length of the images (at least 1).
    ///   - cols: n, the length of the vectors mapped (at least 1).
    ///   - symmetric: Whether the map is symmetric (only when m = n); the caller vouches for it.
    ///   - label: A description for display.
    ///   - transpose: Maps a vector of length m to Aᵀ x, or nil when unknown.
    ///   - body: Maps a vector of length n to A x, of length m.
    /// - Throws: `TensorError.invalidArgument` for a dimension below 1 or a symmetric non-square map.
    public init(rows: Int, cols: Int, symmetric: Bool = false, label: String,
                transpose: (([Double]) throws -> [Double])?, _ body: @escaping ([Double]) throws -> [Double]) throws {
        guard rows >= 1, cols >= 1 else {
            throw TensorError.invalidArgument("an operator needs dimensions >= 1, got \(rows)×\(cols)")
        }
        guard !symmetric || rows == cols else {
            throw TensorError.invalidArgument("a \(rows)×\(cols) operator cannot be symmetric")
        }
        self.n = cols
        self.rows = rows
        self.isSymmetric = symmetric
        self.label = label
        self.body = body
        self.transposeBody = transpose
    }

    /// Aᵀ as an operator: itself when symmetric, else from the transpose product given when it was made.
    ///
    /// - Returns: The n×m operator x ↦ Aᵀ x, whose own transpose is this operator.
    /// - Throws: `TensorError.invalidArgument` when the transpose is not known.
    public func transposed() throws -> LinearOperator {
        if isSymmetric { return self }
        guard let t = transposeBody else {
            throw TensorError.invalidArgument("the transpose of \(label) is not known")
        }
        let op = try LinearOperator(rows: n, cols: rows, label: "transpose of \(label)", transpose: { try self.apply(vector: $0) }, t)
        op.transposeSource = self
        return op
    }

    /// True when `a` was made as the transpose of `b` or `b` as the transpose of `a`.
    static func areTransposes(_ a: LinearOperator, _ b: LinearOperator) -> Bool {
        a.transposeSource === b || b.transposeSource === a
    }

    /// Throws unless the operator is square, for the methods that need `H v` in the space of `v`.
    ///
    /// - Parameter op: The method's name, for the message.
    /// - Throws: `ShapeError.invalid` for a rectangular operator.
    public func requireSquare(_ op: String) throws {
        guard isSquare else {
            throw ShapeError.invalid("\(op) needs a square operator, got one of shape \(rows)×\(n) (\(label))")
        }
    }

    /// Wraps a closure on tensors: `fn` receives a 1-d tensor of length `n` and must return one.
    ///
    /// - Parameters:
    ///   - n: The dimension.
    ///   - symmetric: Whether the map is symmetric.
    ///   - label: A description for display.
    ///   - fn: The map on tensors; its result is flattened and must hold `n` values.
    /// - Returns: The operator.
    /// - Throws: `TensorError.invalidArgument` for `n < 1`.
    public static func tensorFunction(n: Int, symmetric: Bool = true, label: String = "function operator",
                                      _ fn: @escaping (Tensor) throws -> Tensor) throws -> LinearOperator {
        try LinearOperator(n: n, symmetric: symmetric, label: label) { (x: [Double]) in
            let y = try fn(Tensor(x))
            guard y.dtype != .complex128 else {
                throw TensorError.unsupportedDType(op: "operator", dtype: .complex128)
            }
            guard y.count == n else {
                throw ShapeError.invalid("the operator's function returned \(y.count) values for a vector of length \(n)")
            }
            return y.storage
        }
    }

    /// Wraps a dense square matrix; the symmetric flag is set when ‖A − Aᵀ‖_max ≤ 1e-12·‖A‖_max.
    ///
    /// - Parameter matrix: An n×n float64 matrix.
    /// - Throws: `ShapeError.wrongRank` / `LinalgError.notSquare` for other shapes,
    ///   `LinalgError.nonFinite` for NaN or infinite entries.
    public convenience init(matrix: Tensor) throws {
        guard matrix.ndim == 2 else { throw ShapeError.wrongRank(op: "op", expected: "a square matrix", got: matrix.shape) }
        guard matrix.shape[0] == matrix.shape[1] else { throw LinalgError.notSquare(op: "op", shape: matrix.shape) }
        let a = try matrix.asFloat()
        guard a.storage.allSatisfy({ $0.isFinite }) else { throw LinalgError.nonFinite(op: "op") }
        let n = a.shape[0]
        var scale = 0.0, asym = 0.0
        for i in 0..<n {
            for j in 0..<n {
                scale = max(scale, abs(a.storage[i * n + j]))
                asym = max(asym, abs(a.storage[i * n + j] - a.storage[j * n + i]))
            }
        }
        let storage = a.storage
        let product: (Bool) -> ([Double]) -> [Double] = { transposed in
            { x in
                var y = [Double](repeating: 0, count: n)
                storage.withUnsafeBufferPointer { pa in
                    x.withUnsafeBufferPointer { px in
                        y.withUnsafeMutableBufferPointer { py in
                            if let a = pa.baseAddress, let xb = px.baseAddress, let yb = py.baseAddress {
                                matrixVector(transposed: transposed, rows: n, cols: n, a, xb, yb)
                            }
                        }
                    }
                }
                return y
            }
        }
        try self.init(rows: n, cols: n, symmetric: asym <= 1e-12 * scale, label: "dense \(n)×\(n)",
                      transpose: product(true), product(false))
    }

    /// The number of matrix-vector products performed so far.
    public var matvecs: Int {
        lock.lock(); defer { lock.unlock() }
        return count
    }

    /// Sets the counter back to zero.
    public func resetCounter() {
        lock.lock(); count = 0; lock.unlock()
    }

    /// The product with one vector given as an array of length `n`; counts one matvec.
    ///
    /// - Parameter x: The vector.
    /// - Returns: `H x`.
    /// - Throws: `ShapeError` when a length is wrong, `LinalgError.nonFinite` when the result holds
    ///   NaN or infinity, and whatever the wrapped closure throws.
    public func apply(vector x: [Double]) throws -> [Double] {
        guard x.count == n else {
            throw ShapeError.mismatch(op: "@", lhs: [rows, n], rhs: [x.count])
        }
        lock.lock(); count += 1; lock.unlock()
        let y = try body(x)
        guard y.count == rows else {
            throw ShapeError.invalid("operator returned \(y.count) values for \(rows) rows")
        }
        guard y.allSatisfy({ $0.isFinite }) else { throw LinalgError.nonFinite(op: "operator product") }
        return y
    }

    /// `H @ v`: a vector of length `n` maps to a vector of length `rows`; an n×k matrix maps column
    /// by column (k matvecs) to a rows×k matrix.
    ///
    /// - Parameter v: A 1-d tensor of length `n` or a 2-d tensor with `n` rows.
    /// - Returns: The image.
    /// - Throws: `ShapeError.mismatch(op: "@")` for other shapes, `TensorError.unsupportedDType` for complex input.
    public func apply(_ v: Tensor) throws -> Tensor {
        let x = try v.asFloat()
        switch x.ndim {
        case 1:
            guard x.shape[0] == n else { throw ShapeError.mismatch(op: "@", lhs: [rows, n], rhs: x.shape) }
            return Tensor(try apply(vector: x.storage))
        case 2:
            guard x.shape[0] == n else { throw ShapeError.mismatch(op: "@", lhs: [rows, n], rhs: x.shape) }
            let k = x.shape[1], m = rows
            var out = [Double](repeating: 0, count: try Tensor.elementCount([m, k]))
            var column = [Double](repeating: 0, count: n)
            for j in 0..<k {
                for i in 0..<n { column[i] = x.storage[i * k + j] }
                let y = try apply(vector: column)
                for i in 0..<m { out[i * k + j] = y[i] }
            }
            return try Tensor(shape: [m, k], storage: out)
        default:
            throw ShapeError.mismatch(op: "@", lhs: [rows, n], rhs: x.shape)
        }
    }

    /// The dense matrix, built column by column from the images of the unit vectors (n matvecs).
    ///
    /// - Returns: The rows×n matrix whose column j is `H e_j`.
    /// - Throws: `TensorError.tooLarge` when rows×n exceeds the allocation limit, and errors of `apply`.
    public func dense() throws -> Tensor {
        let m = rows
        var out = [Double](repeating: 0, count: try Tensor.elementCount([m, n]))
        var e = [Double](repeating: 0, count: n)
        for j in 0..<n {
            try Interruption.check()
            e[j] = 1
            let y = try apply(vector: e)
            e[j] = 0
            for i in 0..<m { out[i * n + j] = y[i] }
        }
        return try Tensor(shape: [m, n], storage: out)
    }

    /// The operator restricted to a coordinate block: `P H Pᵀ` with `P` selecting `range`.
    ///
    /// - Parameter range: A non-empty range inside `0..<n`.
    /// - Returns: An operator of dimension `range.count` sharing this operator's counter through its products.
    /// - Throws: `TensorError.invalidArgument` for an empty or out-of-bounds range.
    public func restricted(to range: Range<Int>, label: String? = nil) throws -> LinearOperator {
        try restricted(to: [range], label: label ?? "\(self.label) block \(range.lowerBound)..<\(range.upperBound)")
    }

    /// The principal submatrix P A Pᵀ on the coordinates of several ranges, in the order given
    /// (a block of blocks: v is scattered into them, zero elsewhere, and the product gathered back).
    ///
    /// - Parameters:
    ///   - ranges: Non-empty, disjoint ranges inside `0..<n`.
    ///   - label: A label for the result.
    /// - Returns: An operator of dimension the ranges' total length.
    /// - Throws: `TensorError.invalidArgument` for an empty, overlapping or out-of-range block.
    public func restricted(to ranges: [Range<Int>], label: String) throws -> LinearOperator {
        try requireSquare("a block restriction")
        let n = self.n
        let indices = ranges.flatMap { Array($0) }
        guard !ranges.isEmpty, ranges.allSatisfy({ !$0.isEmpty && $0.lowerBound >= 0 && $0.upperBound <= n }),
              Set(indices).count == indices.count else {
            throw TensorError.invalidArgument("blocks \(ranges.map { "\($0.lowerBound)..<\($0.upperBound)" }) are empty, overlap or lie outside 0..<\(n)")
        }
        return try LinearOperator(n: indices.count, symmetric: isSymmetric, label: label) { x in
            var full = [Double](repeating: 0, count: n)
            for (i, v) in zip(indices, x) { full[i] = v }
            let y = try self.apply(vector: full)
            return indices.map { y[$0] }
        }
    }
}
