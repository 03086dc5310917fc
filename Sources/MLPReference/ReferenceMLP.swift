import RitzLearn
import RitzTensor

/// An ``MLP`` evaluated by its hand-derived kernels (``MLPEvaluation``: forward, backpropagation,
/// Pearlmutter's R-operator and the Gauss–Newton product, batched on BLAS) instead of the tape:
/// the independent reference the library's mlp is tested and timed against. It is a ``Model``,
/// so the trainer, the optimizers, the trackers and the curvature operators run on it exactly as
/// on the library's mlp (K-FAC excepted: it captures layers from the tape).
///
/// Each call of the convenience methods runs the forward pass on `(x, y)` at the current
/// parameters, reusing a scratch evaluation (no allocation in steady state apart from the returned
/// arrays); ``hvp(x:y:v:loss:)`` and ``ggnvp(x:y:v:loss:)`` skip it when the scratch already holds
/// the forward pass of the same tensors at bit-identical parameters (for example right after
/// ``gradient(x:y:loss:into:)``). For many products at one point use ``linearize(x:y:loss:)``.
/// One instance must not be used from two threads at once; the kernels themselves may split a
/// large batch over two worker threads.
public final class ReferenceMLP: Model {
    /// The network: its architecture and parameters (a copy of the one given).
    public let network: MLP
    /// Scratch evaluation reused by the convenience methods.
    private var scratch: MLPEvaluation?

    /// The reference for a copy of `network` (its architecture and current parameters).
    ///
    /// - Parameters:
    ///   - network: The library's mlp.
    public init(_ network: MLP) {
        self.network = network.copy()
    }

    /// The reference for a new seeded network, initialised as ``MLP/init(sizes:activation:seed:)``.
    ///
    /// - Throws: as ``MLP/init(sizes:activation:seed:)``.
    public convenience init(sizes: [Int], activation: Activation = .tanh, seed: UInt64 = 0) throws {
        self.init(try MLP(sizes: sizes, activation: activation, seed: seed))
    }

    public var parameterCount: Int { network.parameterCount }
    public var parameters: [Double] {
        get { network.parameters }
        // An optimizer's in-place update reaches the network's array without a copy, as it does
        // an mlp's (the engine bench compares the two paths' training steps).
        _modify { yield &network.parameters }
        set { network.parameters = newValue }
    }
    public var blocks: [ParameterBlock] { network.blocks }
    public var label: String { "reference " + network.label }
    /// The layers' blocks of the flat parameter vector.
    public var layers: [MLP.Layer] { network.layers }
    /// Output width.
    public var outputSize: Int { network.outputSize }

    public func makeEvaluation() -> any ModelEvaluation { MLPEvaluation(model: network) }

    public func checkInputs(sampleShape: [Int], what: String) throws {
        try network.checkInputs(sampleShape: sampleShape, what: what)
    }

    public func checkedTargets(_ y: Tensor, rows: Int, loss: LossKind) throws -> Tensor {
        try network.checkedTargets(y, rows: rows, loss: loss)
    }

    /// The scratch evaluation, created on first use.
    func scratchEvaluation() -> MLPEvaluation {
        if let s = scratch { return s }
        let s = MLPEvaluation(model: network)
        scratch = s
        return s
    }

    /// Predictions (logits for classification) on a batch.
    ///
    /// - Parameters:
    ///   - x: `rows × inputs`, or one sample as a 1-d tensor of `inputs` values.
    /// - Returns: `rows × outputs` (or `outputs` values for a 1-d input).
    /// - Throws: `LearnError.shape` when the width differs.
    public func predict(_ x: Tensor) throws -> Tensor {
        let single = x.ndim == 1
        let batch = single ? try x.reshaped([1, x.count]) : x
        let e = scratchEvaluation()
        try e.prepare(model: network, x: batch, y: nil, loss: .crossEntropy)
        let out = e.outputs()
        return single ? try out.reshaped([outputSize]) : out
    }

    /// Same as ``predict(_:)``.
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try predict(x) }

    /// Mean loss on a batch.
    ///
    /// - Parameters:
    ///   - x: Inputs, `rows × inputs`.
    ///   - y: Integer labels (`rows`) or targets (`rows × outputs`, mse only).
    ///   - loss: The loss kind.
    /// - Returns: The mean loss.
    /// - Throws: `LearnError` when the batch does not fit the model or the loss.
    public func loss(x: Tensor, y: Tensor, loss: LossKind = .crossEntropy) throws -> Double {
        let e = scratchEvaluation()
        try e.prepare(model: network, x: x, y: y, loss: loss)
        return e.loss
    }

    /// Fraction of samples whose largest output is at their label.
    ///
    /// - Parameters:
    ///   - x: Inputs.
    ///   - y: Integer labels.
    /// - Returns: Accuracy in [0, 1].
    /// - Throws: `LearnError.invalidArgument` for a model with one output or targets that are
    ///   not labels.
    public func accuracy(x: Tensor, y: Tensor) throws -> Double {
        guard outputSize > 1 else {
            throw LearnError.invalidArgument("accuracy needs a model with one output per class; this one has 1 output")
        }
        let e = scratchEvaluation()
        try e.prepare(model: network, x: x, y: y, loss: .crossEntropy)
        return Double(e.correct) / Double(max(e.count, 1))
    }

    /// Mean loss and its gradient with respect to ``parameters``.
    ///
    /// - Parameters:
    ///   - x: Inputs.
    ///   - y: Targets.
    ///   - loss: The loss kind.
    ///   - grad: Receives ``parameterCount`` values (resized if needed).
    /// - Returns: The mean loss.
    /// - Throws: `LearnError` when the batch does not fit.
    @discardableResult
    public func gradient(x: Tensor, y: Tensor, loss: LossKind = .crossEntropy, into grad: inout [Double]) throws -> Double {
        let e = scratchEvaluation()
        try e.prepare(model: network, x: x, y: y, loss: loss, withGradient: true)
        if grad.count != parameterCount { grad = [Double](repeating: 0, count: parameterCount) }
        grad.withUnsafeMutableBufferPointer { g in
            if let base = g.baseAddress { e.reduce(into: base) }
        }
        return e.loss
    }

    /// Mean loss and gradient as a new array.
    ///
    /// - Parameters:
    ///   - x: Inputs.
    ///   - y: Targets.
    ///   - loss: The loss kind.
    /// - Returns: `(loss, gradient)`.
    /// - Throws: `LearnError` when the batch does not fit.
    public func lossAndGradient(x: Tensor, y: Tensor, loss: LossKind = .crossEntropy) throws -> (loss: Double, gradient: [Double]) {
        var g = [Double](repeating: 0, count: parameterCount)
        let l = try gradient(x: x, y: y, loss: loss, into: &g)
        return (l, g)
    }

    /// The scratch evaluation holding the forward pass on (x, y): kept from the last product
    /// when it is the same batch at the same parameters, else prepared anew.
    private func preparedScratch(x: Tensor, y: Tensor, loss: LossKind) throws -> MLPEvaluation {
        let e = scratchEvaluation()
        if !e.holdsForwardPass(model: network, x: x, y: y, loss: loss) {
            try e.prepare(model: network, x: x, y: y, loss: loss)
        }
        return e
    }

    /// The exact Hessian-vector product of the mean loss (Pearlmutter's R-operator).
    ///
    /// - Parameters:
    ///   - x: Inputs.
    ///   - y: Targets.
    ///   - v: Direction, ``parameterCount`` values.
    ///   - loss: The loss kind.
    /// - Returns: H·v.
    /// - Throws: `LearnError` when the batch or `v` does not fit.
    public func hvp(x: Tensor, y: Tensor, v: [Double], loss: LossKind = .crossEntropy) throws -> [Double] {
        let e = try preparedScratch(x: x, y: y, loss: loss)
        var out = [Double](repeating: 0, count: parameterCount)
        try e.hvp(v, into: &out)
        return out
    }

    /// The Gauss–Newton-vector product JᵀH_L J v of the mean loss.
    ///
    /// - Parameters:
    ///   - x: Inputs.
    ///   - y: Targets.
    ///   - v: Direction, ``parameterCount`` values.
    ///   - loss: The loss kind.
    /// - Returns: G·v.
    /// - Throws: `LearnError` when the batch or `v` does not fit.
    public func ggnvp(x: Tensor, y: Tensor, v: [Double], loss: LossKind = .crossEntropy) throws -> [Double] {
        let e = try preparedScratch(x: x, y: y, loss: loss)
        var out = [Double](repeating: 0, count: parameterCount)
        try e.ggnvp(v, into: &out)
        return out
    }

    /// The forward pass on a batch, kept for repeated products at the current parameters.
    ///
    /// The result owns its buffers and a copy of the parameters: later changes to the model do
    /// not affect it.
    ///
    /// - Parameters:
    ///   - x: Inputs.
    ///   - y: Targets.
    ///   - loss: The loss kind.
    /// - Returns: A prepared ``MLPEvaluation``.
    /// - Throws: `LearnError` when the batch does not fit.
    public func linearize(x: Tensor, y: Tensor, loss: LossKind = .crossEntropy) throws -> MLPEvaluation {
        let e = MLPEvaluation(model: network)
        try e.prepare(model: network, x: x, y: y, loss: loss)
        return e
    }
}
