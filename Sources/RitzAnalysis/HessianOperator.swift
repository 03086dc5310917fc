import RitzLearn
import RitzTensor

/// Curvature operators of a model's loss: the Hessian (exact, Pearlmutter products), one layer's
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

    /// The parameter range of layer `index` (negative counts from the end).
    ///
    /// - Parameters:
    ///   - model: The network.
    ///   - index: The layer.
    /// - Returns: Its weights' and bias's positions in the flat parameter vector.
    /// - Throws: `TensorError.invalidArgument` for a layer that does not exist.
    public static func layerRange(_ model: MLP, _ index: Int) throws -> Range<Int> {
        let i = index < 0 ? index + model.layers.count : index
        guard i >= 0, i < model.layers.count else {
            throw TensorError.invalidArgument("layer \(index) does not exist; this mlp has \(model.layers.count) layers")
        }
        return model.layers[i].range
    }
}

/// The Hessian of the mean loss of `model` on `(x, y)` as a matrix-free operator.
///
/// H v is the exact Hessian-vector product by Pearlmutter's R-operator (`MLPEvaluation.hvp`).
/// With `layer`, the operator is the diagonal block P H Pᵀ of that layer's parameters (weights
/// then bias): v is placed in the layer's range, zero elsewhere, and the product restricted back.
///
/// - Parameters:
///   - model: The network, at the point of interest.
///   - data: The data set.
///   - loss: The loss kind (nil: cross-entropy for labels, mse for targets).
///   - batch: Use a random subset of this many rows (nil or 0: all).
///   - layer: Restrict to one layer's block (0-based, negative from the end), or nil.
///   - seed: Seed of the subset.
/// - Returns: A symmetric operator of dimension `parameterCount` (or the layer's size).
/// - Throws: `LearnError` when the data do not fit the model; `TensorError.invalidArgument`
///   for a bad batch or layer.
public func hessianOperator(model: MLP, data: Dataset, loss: LossKind? = nil,
                            batch: Int? = nil, layer: Int? = nil, seed: UInt64 = 0) throws -> LinearOperator {
    let data = try HessianOperator.subset(data, batch: batch, seed: seed)
    let evaluation = try model.linearize(x: data.x, y: data.y, loss: loss ?? data.defaultLoss)
    let n = model.parameterCount
    let rows = data.count
    let full = try LinearOperator(n: n, symmetric: true, label: "hessian of mlp \(model.sizes) on \(rows) rows") { v in
        var out = [Double](repeating: 0, count: n)
        try evaluation.hvp(v, into: &out)
        return out
    }
    guard let layer else { return full }
    let range = try HessianOperator.layerRange(model, layer)
    return try full.restricted(to: range, label: "hessian of mlp \(model.sizes), layer \(layer), on \(rows) rows")
}

/// The generalised Gauss–Newton matrix G = Jᵀ H_L J of the mean loss (Schraudolph 2002) as a
/// matrix-free operator: J the Jacobian of the outputs in the parameters, H_L the Hessian of the
/// loss in the outputs (positive semidefinite for cross-entropy and mean squared error, so G is).
///
/// - Parameters:
///   - model: The network.
///   - data: The data set.
///   - loss: The loss kind (nil: cross-entropy for labels, mse for targets).
///   - batch: Use a random subset of this many rows (nil or 0: all).
///   - seed: Seed of the subset.
/// - Returns: A symmetric positive semidefinite operator of dimension `parameterCount`.
/// - Throws: `LearnError` when the data do not fit the model.
public func ggnOperator(model: MLP, data: Dataset, loss: LossKind? = nil,
                        batch: Int? = nil, seed: UInt64 = 0) throws -> LinearOperator {
    let data = try HessianOperator.subset(data, batch: batch, seed: seed)
    let evaluation = try model.linearize(x: data.x, y: data.y, loss: loss ?? data.defaultLoss)
    let n = model.parameterCount
    return try LinearOperator(n: n, symmetric: true, label: "gauss-newton of mlp \(model.sizes) on \(data.count) rows") { v in
        var out = [Double](repeating: 0, count: n)
        try evaluation.ggnvp(v, into: &out)
        return out
    }
}
