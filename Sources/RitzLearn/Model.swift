import RitzTensor

/// A model ritz can train and look inside: outputs as a function of one flat parameter vector
/// and the inputs. The trainer, the optimizers, the trackers and every curvature operator see
/// only this, whatever built the model (``MLP``, ``FunctionModel``, …).
public protocol Model: AnyObject {
    /// Number of parameters.
    var parameterCount: Int { get }
    /// All parameters, flat, in the layout of ``blocks``.
    var parameters: [Double] { get set }
    /// The named parameter tensors and where they sit in ``parameters``, in order.
    var blocks: [ParameterBlock] { get }
    /// A short description for operator labels and summaries ("mlp [64, 64, 10]").
    var label: String { get }
    /// The outputs for a batch of inputs (the first axis indexes samples).
    ///
    /// - Parameters:
    ///   - x: Inputs.
    /// - Returns: The outputs.
    /// - Throws: An error when the inputs do not fit the model.
    func predict(_ x: Tensor) throws -> Tensor
    /// A new evaluation with its own scratch state, for one batch at a time.
    func makeEvaluation() -> any ModelEvaluation
    /// Checks, before a run, that data with samples of shape `sampleShape` can be fed to the model.
    ///
    /// - Throws: `LearnError.shape` when they cannot (the model's own forward pass is the final judge).
    func checkInputs(sampleShape: [Int], what: String) throws
    /// The targets of a batch of `rows` examples as the loss takes them, checked against the
    /// model's outputs (the evaluation calls it before the forward pass).
    ///
    /// - Parameters:
    ///   - y: Labels or targets, one row per example.
    ///   - rows: Examples in the batch.
    ///   - loss: The loss.
    /// - Returns: The targets, possibly reshaped (the default returns `y`: the loss itself is the judge).
    /// - Throws: `LearnError` when they cannot be the model's targets.
    func checkedTargets(_ y: Tensor, rows: Int, loss: LossKind) throws -> Tensor
}

extension Model {
    public func checkedTargets(_ y: Tensor, rows: Int, loss: LossKind) throws -> Tensor { y }

    /// Replaces every parameter.
    ///
    /// - Parameters:
    ///   - values: ``parameterCount`` numbers in the layout of ``blocks``.
    /// - Throws: `LearnError.shape` when the count differs.
    public func setParameters(_ values: [Double]) throws {
        guard values.count == parameterCount else {
            throw LearnError.shape("this model has \(parameterCount) parameters, got \(values.count) values")
        }
        parameters = values
    }

    /// Replaces every parameter from a tensor of any shape with ``parameterCount`` elements.
    ///
    /// - Throws: `LearnError.shape` when the count differs; `TensorError` for complex values.
    public func setParameters(_ tensor: Tensor) throws {
        try setParameters(try tensor.asFloat().storage)
    }

    /// The flat parameter vector as a 1-d tensor.
    public var parameterTensor: Tensor { Tensor(parameters) }

    /// The block named `name`.
    ///
    /// - Throws: `LearnError.invalidArgument` naming the blocks there are.
    public func block(named name: String) throws -> ParameterBlock {
        guard let b = blocks.first(where: { $0.name == name }) else {
            let names = blocks.map { "\"\($0.name)\"" }.joined(separator: ", ")
            throw LearnError.invalidArgument("this model has no parameter block \"\(name)\"; its blocks: \(names)")
        }
        return b
    }

    /// Mean loss on a batch.
    ///
    /// - Parameters:
    ///   - x: Inputs.
    ///   - y: Labels or targets.
    ///   - loss: The loss.
    /// - Returns: The mean loss.
    /// - Throws: `LearnError` when the batch does not fit.
    public func meanLoss(x: Tensor, y: Tensor, loss: LossKind) throws -> Double {
        let e = makeEvaluation()
        try e.prepare(model: self, x: x, y: y, loss: loss, withGradient: false)
        return e.loss
    }

    /// Mean loss on a data set (split among the ranks of a data-parallel run when it is sharded).
    ///
    /// - Throws: `LearnError` when the data do not fit.
    public func meanLoss(on data: Dataset, loss: LossKind) throws -> Double {
        let e = makeEvaluation(for: data)
        try e.prepare(model: self, x: data.x, y: data.y, loss: loss, withGradient: false)
        return e.loss
    }

    /// Fraction of labelled positions whose largest output is at their label.
    ///
    /// - Throws: `LearnError.invalidArgument` when the targets are not labels of a model with
    ///   one output per class.
    public func labelAccuracy(x: Tensor, y: Tensor) throws -> Double {
        try labelAccuracy(makeEvaluation(), x: x, y: y)
    }

    /// ``labelAccuracy(x:y:)`` on a data set (split among the ranks of a data-parallel run when it is sharded).
    ///
    /// - Throws: as ``labelAccuracy(x:y:)``.
    public func labelAccuracy(on data: Dataset) throws -> Double {
        try labelAccuracy(makeEvaluation(for: data), x: data.x, y: data.y)
    }

    private func labelAccuracy(_ e: any ModelEvaluation, x: Tensor, y: Tensor) throws -> Double {
        try e.prepare(model: self, x: x, y: y, loss: .crossEntropy, withGradient: false)
        guard let acc = e.accuracy else {
            throw LearnError.invalidArgument("accuracy needs integer labels and a model with one output per class")
        }
        return acc
    }
}

/// One named parameter tensor of a model: its place in the flat vector and its shape.
public struct ParameterBlock: Sendable, Equatable {
    /// The name (`w0`, `b0` for an mlp's first layer; a field name of a function model's record).
    public let name: String
    /// Offset of its first element in the flat parameter vector.
    public let offset: Int
    /// Its shape; its elements are stored row-major.
    public let shape: [Int]

    /// A block.
    public init(name: String, offset: Int, shape: [Int]) {
        self.name = name
        self.offset = offset
        self.shape = shape
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// Its positions in the flat vector.
    public var range: Range<Int> { offset..<(offset + count) }
}

/// A model evaluated on one batch at fixed parameters: ``prepare(model:x:y:loss:withGradient:)``
/// runs the forward pass once, then the gradient and any number of curvature products at that
/// point cost only their extra passes.
public protocol ModelEvaluation: AnyObject {
    /// Runs the forward pass on a batch at the model's current parameters (copied).
    ///
    /// - Parameters:
    ///   - model: The model (of the kind this evaluation was made by).
    ///   - x: Inputs, samples along the first axis.
    ///   - y: Labels or targets, or nil for outputs only.
    ///   - loss: The loss.
    ///   - withGradient: Also compute the gradient now (the trainer's step), for ``gradient(into:)``.
    /// - Throws: `LearnError` when the batch does not fit the model.
    func prepare(model: any Model, x: Tensor, y: Tensor?, loss: LossKind, withGradient: Bool) throws
    /// Prepares the rows `rows` of `data` (a minibatch), reusing buffers where the model can.
    func prepare(model: any Model, data: Dataset, rows: ArraySlice<Int>, loss: LossKind, withGradient: Bool) throws
    /// Samples in the prepared batch.
    var count: Int { get }
    /// Mean loss of the prepared batch (NaN without targets).
    var loss: Double { get }
    /// Fraction of labelled positions predicted right; nil when the targets are not labels of a
    /// model with more than one output.
    var accuracy: Double? { get }
    /// Curvature products computed since creation.
    var products: Int { get }
    /// The outputs on the prepared batch.
    func outputs() throws -> Tensor
    /// The gradient of the mean loss at the prepared point.
    func gradient(into out: inout [Double]) throws
    /// The exact Hessian-vector product H·v of the mean loss.
    func hvp(_ v: [Double], into out: inout [Double]) throws
    /// The generalised Gauss–Newton product Jᵀ H_L J v (Schraudolph 2002).
    func ggnvp(_ v: [Double], into out: inout [Double]) throws
    /// J v: the derivative of the outputs on the prepared batch in the parameter direction `v`,
    /// flat in the outputs' row-major layout (example-major).
    ///
    /// - Throws: `LearnError.shape` when `v` does not hold one value per parameter.
    func outputJVP(_ v: [Double]) throws -> [Double]
    /// Jᵀ u: a cotangent `u` of the outputs (flat, in their row-major layout) pulled back to the parameters.
    ///
    /// - Throws: `LearnError.shape` when `u` does not hold one value per output.
    func outputVJP(_ u: [Double]) throws -> [Double]
}
