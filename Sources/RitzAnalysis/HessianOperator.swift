import RitzLearn
import RitzTensor

/// Curvature operators of a model's loss: the Hessian (exact products on the tape), one layer's
/// Hessian block, and the generalised Gauss–Newton matrix.
///
/// Each operator is frozen at the parameters the model has when it is made (the forward pass
/// is computed once and kept, so each product costs one extra forward and backward pass).
public enum HessianOperator {
    /// The rows of a batch: all of them for `batch` nil or 0, else the first `batch` of a seeded
    /// random permutation (sampling without replacement), in their original order.
    ///
    /// - Parameters:
    ///   - data: The data set.
    ///   - batch: Rows wanted, nil or 0 for all.
    ///   - seed: Seed of the permutation.
    public static func subset(_ data: Dataset, batch: Int?, seed: UInt64) throws -> Dataset {
        guard let batch, batch != 0, batch < data.count else { return data }
        guard batch > 0 else { throw TensorError.invalidArgument("batch must be positive (0 means all rows), got \(batch)") }
        var rng = RandomGenerator(seed: seed)
        return try data.subset(Array(rng.permutation(data.count).prefix(batch)).sorted())
    }

    /// The parameter range of layer `index` of an mlp (negative counts from the end).
    ///
    /// - Parameters:
    ///   - model: The model; `layer=` applies to mlps only.
    ///   - index: The layer.
    /// - Returns: Its weights' and bias's positions in the flat parameter vector.
    /// - Throws: `TensorError.invalidArgument` for a model that is not an mlp or a layer that does not exist.
    public static func layerRange(_ model: any Model, _ index: Int) throws -> Range<Int> {
        guard let mlp = model as? MLP else {
            let names = model.blocks.map { "\"\($0.name)\"" }.joined(separator: ", ")
            throw TensorError.invalidArgument("layer= applies to an mlp; restrict this model by its parameter names with block= (\(names))")
        }
        let i = index < 0 ? index + mlp.layers.count : index
        guard i >= 0, i < mlp.layers.count else {
            throw TensorError.invalidArgument("layer \(index) does not exist; this mlp has \(mlp.layers.count) layers")
        }
        return mlp.layers[i].range
    }

    /// The operator restricted to the named parameter blocks, in the order named.
    ///
    /// - Throws: `LearnError.invalidArgument` for an unknown name; `TensorError.invalidArgument`
    ///   for a name given twice.
    static func restricted(_ full: LinearOperator, model: any Model, blocks names: [String], what: String) throws -> LinearOperator {
        let ranges = try names.map { try model.block(named: $0).range }
        return try full.restricted(to: ranges, label: "\(what), block \(names.joined(separator: "+"))")
    }
}

/// The Hessian of the mean loss of `model` on `(x, y)` as a matrix-free operator.
///
/// H v is the exact Hessian-vector product the model's evaluation computes on the tape (a tangent
/// sweep along the recorded gradient, forward over reverse), whatever built the model.
/// With `layer` (mlps) or `blocks` (any model, by parameter name), the operator is the diagonal
/// block P H Pᵀ of those parameters: v is placed in their ranges, zero elsewhere, and the
/// product restricted back.
///
/// - Parameters:
///   - model: The model, at the point of interest.
///   - data: The data set.
///   - loss: The loss kind (nil: cross-entropy for labels, mse for targets).
///   - batch: Use a random subset of this many rows (nil or 0: all).
///   - layer: Restrict to one mlp layer's block (0-based, negative from the end), or nil.
///   - blocks: Restrict to these named parameter blocks, or nil.
///   - seed: Seed of the subset.
/// - Returns: A symmetric operator of dimension `parameterCount` (or the block's size).
/// - Throws: `LearnError` when the data do not fit the model; `TensorError.invalidArgument`
///   for a bad batch, layer or block.
public func hessianOperator(model: any Model, data: Dataset, loss: LossKind? = nil,
                            batch: Int? = nil, layer: Int? = nil, blocks: [String]? = nil,
                            seed: UInt64 = 0) throws -> LinearOperator {
    let data = try HessianOperator.subset(data, batch: batch, seed: seed)
    let evaluation = model.makeEvaluation(for: data)
    try evaluation.prepare(model: model, x: data.x, y: data.y, loss: loss ?? data.defaultLoss, withGradient: false)
    let n = model.parameterCount
    let what = "hessian of \(model.label) on \(data.count) rows"
    let full = try LinearOperator(n: n, symmetric: true, label: what) { v in
        var out = [Double](repeating: 0, count: n)
        try evaluation.hvp(v, into: &out)
        return out
    }
    if let blocks { return try HessianOperator.restricted(full, model: model, blocks: blocks, what: what) }
    guard let layer else { return full }
    let range = try HessianOperator.layerRange(model, layer)
    return try full.restricted(to: range, label: "hessian of \(model.label), layer \(layer), on \(data.count) rows")
}

/// The generalised Gauss–Newton matrix G = Jᵀ H_L J of the mean loss (Schraudolph 2002) as a
/// matrix-free operator: J the Jacobian of the outputs in the parameters, H_L the Hessian of the
/// loss in the outputs (positive semidefinite for cross-entropy and mean squared error, so G is).
///
/// - Parameters:
///   - model: The model.
///   - data: The data set.
///   - loss: The loss kind (nil: cross-entropy for labels, mse for targets).
///   - batch: Use a random subset of this many rows (nil or 0: all).
///   - blocks: Restrict to these named parameter blocks, or nil.
///   - seed: Seed of the subset.
/// - Returns: A symmetric positive semidefinite operator of dimension `parameterCount`.
/// - Throws: `LearnError` when the data do not fit the model.
public func ggnOperator(model: any Model, data: Dataset, loss: LossKind? = nil,
                        batch: Int? = nil, blocks: [String]? = nil, seed: UInt64 = 0) throws -> LinearOperator {
    let data = try HessianOperator.subset(data, batch: batch, seed: seed)
    let evaluation = model.makeEvaluation(for: data)
    try evaluation.prepare(model: model, x: data.x, y: data.y, loss: loss ?? data.defaultLoss, withGradient: false)
    let n = model.parameterCount
    let what = "gauss-newton of \(model.label) on \(data.count) rows"
    let full = try LinearOperator(n: n, symmetric: true, label: what) { v in
        var out = [Double](repeating: 0, count: n)
        try evaluation.ggnvp(v, into: &out)
        return out
    }
    if let blocks { return try HessianOperator.restricted(full, model: model, blocks: blocks, what: what) }
    return full
}
