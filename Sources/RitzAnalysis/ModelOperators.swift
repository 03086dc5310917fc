import Foundation
import RitzLearn
import RitzTensor

/// Which Fisher matrix `fisher_op` makes.
public enum FisherKind: String, Sendable, CaseIterable {
    /// Labels drawn from the model's own predictive distribution (Monte Carlo).
    case mc
    /// The data's labels: (1/n) Σ gᵢgᵢᵀ.
    case empirical
}

/// Per-example loss gradients of a model, one row per example, flat row-major (rows × parameters).
public struct PerExampleGradients: Sendable {
    /// Number of rows.
    public let rows: Int
    /// Number of parameters.
    public let parameters: Int
    /// Row r is the gradient of example r's loss.
    public let values: [Double]

    /// G v (one entry per row).
    func times(_ v: [Double]) -> [Double] { product(v, transposed: false, length: rows) }

    /// Gᵀ u scaled by `scale`.
    func transposeTimes(_ u: [Double], scale: Double = 1) -> [Double] {
        let out = product(u, transposed: true, length: parameters)
        return scale == 1 ? out : out.map { scale * $0 }
    }

    private func product(_ x: [Double], transposed: Bool, length: Int) -> [Double] {
        var out = [Double](repeating: 0, count: length)
        values.withUnsafeBufferPointer { g in
            x.withUnsafeBufferPointer { px in
                out.withUnsafeMutableBufferPointer { po in
                    guard let a = g.baseAddress, let xb = px.baseAddress, let y = po.baseAddress else { return }
                    matrixVector(transposed: transposed, rows: rows, cols: parameters, a, xb, y)
                }
            }
        }
        return out
    }
}

/// Operators of a model on a data set beyond the Hessian: the output Jacobian, the Fisher
/// matrices, and influence scores; and the per-example gradients they share.
public enum ModelOperators {
    /// The gradient of each example's own loss (a batch of one row each, so the evaluation's
    /// mean loss is that example's loss), at the model's current parameters.
    ///
    /// - Parameters:
    ///   - model: The model.
    ///   - x: Inputs, examples along the first axis.
    ///   - targets: One target tensor per example, each with a leading axis of length 1.
    ///   - loss: The loss.
    /// - Returns: The gradients as rows.
    /// - Throws: `TensorError.tooLarge` when rows × parameters exceeds the allocation limit; errors of the model.
    static func gradients(model: any Model, x: Tensor, targets: [(row: Int, y: Tensor)], loss: LossKind) throws -> PerExampleGradients {
        let p = model.parameterCount
        var values = [Double](repeating: 0, count: try Tensor.elementCount([targets.count, p]))
        let evaluation = model.makeEvaluation()
        let sampleShape = Array(x.shape.dropFirst())
        var g: [Double] = []
        var rowCache: (Int, Tensor)?
        for (r, target) in targets.enumerated() {
            try Interruption.check()
            let xi: Tensor
            if let (i, t) = rowCache, i == target.row { xi = t } else {
                xi = try x.index([.at(target.row)]).reshaped([1] + sampleShape)
                rowCache = (target.row, xi)
            }
            try evaluation.prepare(model: model, x: xi, y: target.y, loss: loss, withGradient: true)
            try evaluation.gradient(into: &g)
            for j in 0..<p { values[r * p + j] = g[j] }
        }
        return PerExampleGradients(rows: targets.count, parameters: p, values: values)
    }

    /// The gradient of each example's loss with the data's own targets.
    ///
    /// - Parameters:
    ///   - rows: The examples, all of them when nil.
    /// - Throws: Errors of the model.
    public static func perExampleGradients(model: any Model, data: Dataset, loss: LossKind? = nil,
                                           rows: Range<Int>? = nil) throws -> PerExampleGradients {
        let targetShape = [1] + Array(data.y.shape.dropFirst())
        let targets = try (rows ?? 0..<data.count).map { i in
            (row: i, y: try data.y.index([.at(i)]).reshaped(targetShape))
        }
        return try gradients(model: model, x: data.x, targets: targets, loss: loss ?? data.defaultLoss)
    }
}

/// The Jacobian J of the model's outputs in its parameters on the data, as an operator from
/// parameters to outputs: rows are the outputs flattened example-major (n·outputs for an mlp),
/// columns the parameters; `transposed()` gives Jᵀ. J v is a forward tangent sweep and Jᵀ u a
/// reverse sweep of the model's evaluation (``ModelEvaluation/outputJVP(_:)``).
///
/// - Parameters:
///   - model: The model.
///   - data: The data set (its targets are not used).
/// - Returns: The rectangular operator, with its transpose known.
/// - Throws: `LearnError` when the data do not fit the model.
public func jacobianOperator(model: any Model, data: Dataset) throws -> LinearOperator {
    let evaluation = model.makeEvaluation(for: data)
    try evaluation.prepare(model: model, x: data.x, y: nil, loss: data.defaultLoss, withGradient: false)
    let outputs = try evaluation.outputs().count
    return try LinearOperator(rows: outputs, cols: model.parameterCount,
                              label: "jacobian of \(model.label) on \(data.count) rows",
                              transpose: { u in try evaluation.outputVJP(u) }) { v in try evaluation.outputJVP(v) }
}

/// The Fisher information matrix of the model's predictive distribution, matrix-free:
/// F v = (1/N) Σ_r g_r (g_r · v) over N per-example gradients g_r, computed once.
///
/// * empirical: g_i the gradient of example i's loss at its label, N = n (the empirical Fisher
///   (1/n) Σ gᵢgᵢᵀ, Kunstner et al. 2019 on its limits);
/// * mc: for each example, `samples` labels ŷ drawn from the model, g = ∇ℓ(f(xᵢ), ŷ), N = n·samples.
///   Cross-entropy: ŷ ~ softmax(f(xᵢ)) at each labelled position. Mean squared error over m
///   outputs per example, ℓ = ‖f(x) − y‖²/m, is the negative log-likelihood of y ~ N(f(x), (m/2)·I)
///   up to a constant, so ŷ = f(xᵢ) + √(m/2)·ε with ε standard normal (for one output, N(f(x), ½)).
///   With these conventions E[F_mc] is the Gauss–Newton matrix of the mean loss exactly.
///
/// - Parameters:
///   - model: The model.
///   - data: The data set.
///   - kind: `.mc` or `.empirical`.
///   - loss: The loss kind (nil: cross-entropy for labels, mse for targets).
///   - samples: Labels drawn per example for `.mc`, ≥ 1.
///   - blocks: Restrict to these named parameter blocks, or nil.
///   - seed: Seed of the drawn labels.
/// - Returns: A symmetric positive semidefinite operator.
/// - Throws: `TensorError.invalidArgument` for samples < 1; `TensorError.tooLarge` when the
///   gradients do not fit in memory; errors of the model.
public func fisherOperator(model: any Model, data: Dataset, kind: FisherKind, loss: LossKind? = nil, samples: Int = 1,
                           blocks: [String]? = nil, seed: UInt64 = 0) throws -> LinearOperator {
    let loss = loss ?? data.defaultLoss
    // In a data-parallel run each rank keeps the gradients of its share of the examples (the mc
    // labels are drawn for every example on every rank, so the draws are the single-process ones)
    // and F v is the allreduce of the shares' Σ g_r (g_r · v), divided by the global N.
    let world = World.communicator
    let mine = data.sharded ? shareRange(count: data.count, rank: world.rank, size: world.size) : 0..<data.count
    let g: PerExampleGradients, total: Int
    switch kind {
    case .empirical:
        g = try ModelOperators.perExampleGradients(model: model, data: data, loss: loss, rows: mine)
        total = data.count
    case .mc:
        guard samples >= 1 else { throw TensorError.invalidArgument("samples must be at least 1, got \(samples)") }
        _ = try Tensor.elementCount([data.count, samples, model.parameterCount])  // the gradients must fit
        let drawn = try sampledTargets(model: model, x: data.x, loss: loss, samples: samples, seed: seed)
        g = try ModelOperators.gradients(model: model, x: data.x, targets: drawn.filter { mine.contains($0.row) }, loss: loss)
        total = drawn.count
    }
    let n = model.parameterCount, scale = 1 / Double(max(total, 1))
    let reduce = data.sharded && world.size > 1
    let what = "\(kind == .mc ? "mc" : "empirical") fisher of \(model.label) on \(data.count) rows"
    let full = try LinearOperator(n: n, symmetric: true, label: what) { v in
        var out = g.transposeTimes(g.times(v), scale: scale)
        if reduce { world.allreduceSum(&out) }
        return out
    }
    if let blocks { return try HessianOperator.restricted(full, model: model, blocks: blocks, what: what) }
    return full
}

/// Influence scores (Koh & Liang, ICML 2017, eq. 2): the effect of upweighting training example i
/// on the loss at test example t, I(i, t) = −∇ℓ(z_t)ᵀ (H + δI)⁻¹ ∇ℓ(z_i), H the Hessian of the
/// mean training loss. Negative scores are helpful (upweighting lowers the test loss), positive
/// ones harmful. One solve per test example, each certified by its true residual.
public struct InfluenceResult: Sendable {
    /// Scores, n_test × n_train.
    public let scores: Tensor
    /// Solves and their iterations.
    public let solves: Int
    /// Iterations summed over the solves.
    public let iterations: Int
    /// The largest true relative residual of the solves.
    public let worstResidual: Double
    /// The tolerance of each solve.
    public let tol: Double
    /// Hessian-vector products used.
    public let matvecs: Int
}

/// Koh & Liang's influence of every training example on every test example's loss.
///
/// - Parameters:
///   - model: The model, at (near) a minimum of the training loss.
///   - train: The training set (its mean loss gives H).
///   - test: The test examples.
///   - loss: The loss kind (nil: the training set's default).
///   - damping: δ added to H.
///   - method: The solver of (H + δI) s = ∇ℓ(z_t).
///   - tol: Relative residual of each solve.
///   - maxiter: Iterations per solve (nil: the solver's default).
/// - Returns: The scores and the solves' certificate.
/// - Throws: `SolveError` (cg meeting negative curvature: raise the damping or use minres), errors of the model.
public func influence(model: any Model, train: Dataset, test: Dataset, loss: LossKind? = nil, damping: Double = 0,
                      method: SolveMethod = .cg, tol: Double = 1e-10, maxiter: Int? = nil) throws -> InfluenceResult {
    let loss = loss ?? train.defaultLoss
    let H = try hessianOperator(model: model, data: train, loss: loss)
    let inverse = try InverseOperator(H, method: method, damping: damping, tol: tol, maxiter: maxiter)
    let gTrain = try ModelOperators.perExampleGradients(model: model, data: train, loss: loss)
    let gTest = try ModelOperators.perExampleGradients(model: model, data: test, loss: loss)
    let p = model.parameterCount
    var scores = [Double](repeating: 0, count: try Tensor.elementCount([test.count, train.count]))
    for t in 0..<test.count {
        let s = try inverse.op.apply(vector: Array(gTest.values[(t * p)..<((t + 1) * p)]))
        let row = gTrain.times(s)
        for i in 0..<train.count { scores[t * train.count + i] = -row[i] }
    }
    return InfluenceResult(scores: try Tensor(shape: [test.count, train.count], storage: scores), solves: inverse.log.solves,
                           iterations: inverse.log.totalIterations, worstResidual: inverse.log.worstResidual, tol: tol,
                           matvecs: H.matvecs)
}
