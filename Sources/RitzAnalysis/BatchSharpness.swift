import RitzLearn
import RitzTensor

/// The largest Hessian eigenvalue of a model's loss, certified by its residual.
public struct SharpnessResult: Sendable {
    /// λ_max, the Ritz value.
    public let value: Double
    /// The top Ritz vector (unit norm), usable to warm-start the next measurement.
    public let vector: Tensor
    /// ‖H v − λ v‖₂ from an explicit product.
    public let residual: Double
    /// Matrix-vector products.
    public let matvecs: Int
    /// Restart cycles of the Lanczos run.
    public let iterations: Int
    /// True when the residual met the tolerance.
    public let converged: Bool
}

/// λ_max of the Hessian of the mean loss: `eigs(H, k = 1, which = LA)`.
///
/// - Parameters:
///   - model: The network.
///   - data: The data set.
///   - loss: The loss kind (nil: the data's default).
///   - batch: Use a random subset of this many rows (nil or 0: all).
///   - tol: Relative residual tolerance.
///   - start: Warm-start vector (e.g. the previous measurement's `vector`).
///   - seed: Seed of the subset and of the start vector.
/// - Returns: The value with its vector, residual and cost.
/// - Throws: Errors of `hessianOperator` and `eigs`.
public func sharpness(model: any Model, data: Dataset, loss: LossKind? = nil, batch: Int? = nil,
                      tol: Double = 1e-8, start: Tensor? = nil, seed: UInt64 = 0) throws -> SharpnessResult {
    let H = try hessianOperator(model: model, data: data, loss: loss, batch: batch, seed: seed)
    return try sharpness(of: H, tol: tol, start: start, seed: seed)
}

/// λ_max of a symmetric operator with its certificate.
///
/// - Parameters:
///   - H: The operator.
///   - tol: Relative residual tolerance.
///   - start: Warm-start vector.
///   - seed: Seed of the start vector when `start` is nil.
/// - Returns: The value with its vector, residual and cost.
/// - Throws: Errors of `eigs`.
public func sharpness(of H: LinearOperator, tol: Double = 1e-8, start: Tensor? = nil, seed: UInt64 = 0) throws -> SharpnessResult {
    let r = try eigs(H, k: 1, which: .largestAlgebraic, tol: tol, start: start, seed: seed)
    return SharpnessResult(value: r.values[0], vector: try r.vectors.reshaped([H.n]), residual: r.residuals[0],
                           matvecs: r.matvecs, iterations: r.iterations, converged: r.converged)
}

/// λ_max of mini-batch Hessians across batch sizes.
public struct BatchSharpness: Sendable {
    /// The batch sizes, as given (sizes above the row count are clamped to it).
    public let batchSizes: [Int]
    /// Mean λ_max over the draws of each size.
    public let mean: [Double]
    /// Sample standard deviation over the draws (0 for one draw).
    public let std: [Double]
    /// λ_max of each draw, per size.
    public let values: [[Double]]
    /// Largest residual of any measurement.
    public let maxResidual: Double
    /// Matrix-vector products in all.
    public let matvecs: Int

    /// Measures λ_max of the Hessian of the mean loss on random mini-batches.
    ///
    /// Each draw samples `b` rows without replacement and computes the top eigenvalue of that
    /// batch's Hessian by Lanczos. The mini-batch sharpness decreases with b towards the full
    /// batch's (the random-matrix picture of learning rate as a function of batch size: the
    /// mini-batch Hessian is the full one plus a noise matrix whose scale falls like 1/√b).
    ///
    /// - Parameters:
    ///   - model: The network.
    ///   - data: The data set.
    ///   - loss: The loss kind (nil: the data's default).
    ///   - batches: Batch sizes (each ≥ 1).
    ///   - draws: Random batches per size (≥ 1).
    ///   - tol: Relative residual tolerance of each eigenvalue.
    ///   - seed: Seed of the batches.
    /// - Throws: `TensorError.invalidArgument` for empty or non-positive sizes; errors of `sharpness`.
    public init(model: any Model, data: Dataset, loss: LossKind? = nil, batches: [Int], draws: Int = 3,
                tol: Double = 1e-6, seed: UInt64 = 0) throws {
        guard !batches.isEmpty, batches.allSatisfy({ $0 >= 1 }) else {
            throw TensorError.invalidArgument("batch_sharpness needs a non-empty list of positive batch sizes")
        }
        guard draws >= 1 else { throw TensorError.invalidArgument("batch_sharpness needs draws >= 1") }
        let rows = data.count
        var rng = RandomGenerator(seed: seed)
        var mean = [Double](), std = [Double](), values = [[Double]]()
        var matvecs = 0, worst = 0.0
        for b in batches {
            var row = [Double]()
            for _ in 0..<(b >= rows ? 1 : draws) {
                let s = try sharpness(model: model, data: data, loss: loss, batch: min(b, rows), tol: tol, seed: rng.next())
                row.append(s.value)
                matvecs += s.matvecs
                worst = max(worst, s.residual)
            }
            let (m, se) = meanAndStandardError(row)
            mean.append(m)
            std.append(row.count > 1 ? se * Double(row.count).squareRoot() : 0)
            values.append(row)
        }
        self.batchSizes = batches.map { min($0, rows) }
        self.mean = mean
        self.std = std
        self.values = values
        self.maxResidual = worst
        self.matvecs = matvecs
    }
}
