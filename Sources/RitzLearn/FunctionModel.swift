import RitzAutodiff
import RitzTensor

/// A model whose outputs are recorded on the tape from its parameter blocks: its evaluation
/// (``FunctionModelEvaluation``) takes the gradient, H v, J v, Jᵀ u and the Gauss–Newton product
/// from the derivative rules of the primitives the outputs are built of.
public protocol TapeModel: Model {
    /// The outputs for the parameters (one `Var` per block, in the blocks' shapes) and the inputs.
    ///
    /// - Parameters:
    ///   - parameters: The blocks, in order.
    ///   - x: The inputs.
    /// - Returns: The outputs.
    /// - Throws: An error when the inputs do not fit the model.
    func outputs(_ parameters: [Var], _ x: Tensor) throws -> Var
}

extension TapeModel {
    /// The flat parameters `flat` cut into one tensor per block, in the blocks' shapes.
    ///
    /// - Throws: `LearnError.shape` when `flat` does not hold one value per parameter.
    func blockTensors(_ flat: [Double]) throws -> [Tensor] {
        guard flat.count == parameterCount else {
            throw LearnError.shape("this model has \(parameterCount) parameters, got \(flat.count) values")
        }
        return try blocks.map { b in try Tensor(shape: b.shape, storage: Array(flat[b.range])) }
    }

    /// The flat parameters cut into one `Var` per block (slices of `flat`, so derivatives flow back).
    func split(_ flat: Var) throws -> [Var] {
        try blocks.map { b in
            try flat.index([.slice(start: b.offset, stop: b.offset + b.count, step: nil)]).reshaped(b.shape)
        }
    }

    /// The outputs at the flat parameters `flat`, nothing recorded.
    func outputs(at flat: [Double], _ x: Tensor) throws -> Var {
        try outputs(try blockTensors(flat).map { Var($0) }, x)
    }
}

/// A model given as a function of its named parameter tensors and the inputs, differentiated on
/// the tape: the gradient by a reverse sweep, H v by a tangent sweep along the recorded
/// gradient (forward over reverse), the Gauss–Newton product from J v, the loss Hessian in the
/// outputs and Jᵀ u — all from the derivative rules of the primitives the function is built of.
///
/// The flat parameter vector holds the blocks in order, each row-major (``ParameterBlock``).
public final class FunctionModel: TapeModel {
    /// The outputs for the parameters (one `Var` per block, in the blocks' shapes) and the inputs.
    public typealias Forward = (_ parameters: [Var], _ x: Tensor) throws -> Var

    public let blocks: [ParameterBlock]
    public var parameters: [Double]
    public var parameterCount: Int { parameters.count }
    public let label: String
    let forward: Forward

    /// A model.
    ///
    /// - Parameters:
    ///   - blocks: The parameter tensors' names and shapes (offsets are assigned in order).
    ///   - parameters: Their initial values, flat.
    ///   - label: A short description.
    ///   - forward: The function.
    /// - Throws: `LearnError.invalidArgument` when the values do not fill the blocks or a name repeats.
    public init(blocks named: [(name: String, shape: [Int])], parameters: [Double], label: String,
                forward: @escaping Forward) throws {
        var blocks: [ParameterBlock] = []
        var offset = 0
        for (name, shape) in named {
            guard !blocks.contains(where: { $0.name == name }) else {
                throw LearnError.invalidArgument("the parameter name \"\(name)\" appears twice")
            }
            let block = ParameterBlock(name: name, offset: offset, shape: shape)
            blocks.append(block)
            offset += block.count
        }
        guard offset == parameters.count else {
            throw LearnError.invalidArgument("the blocks hold \(offset) parameters, got \(parameters.count) values")
        }
        self.blocks = blocks
        self.parameters = parameters
        self.label = label
        self.forward = forward
    }

    public func outputs(_ parameters: [Var], _ x: Tensor) throws -> Var { try forward(parameters, x) }

    public func predict(_ x: Tensor) throws -> Tensor {
        try outputs(at: parameters, x).value
    }

    public func makeEvaluation() -> any ModelEvaluation { FunctionModelEvaluation() }

    public func checkInputs(sampleShape: [Int], what: String) throws {}
}

/// A ``TapeModel`` on one batch: the forward pass and the loss are recorded once in a
/// ``Linearization`` by `prepare`, and the gradient and every curvature product extend that one
/// recording (the gradient's graph is recorded on the first H v), so a product at a new point
/// never runs the forward pass twice.
final class FunctionModelEvaluation: ModelEvaluation {
    private var point: Linearization?
    private var model: (any TapeModel)?
    private var x = Tensor(0.0)
    private var y: Tensor?
    private var lossKind = LossKind.crossEntropy
    private var lossHessian: Linearization?
    private(set) var count = 0
    private(set) var loss = Double.nan
    private(set) var accuracy: Double?
    private(set) var products = 0

    func prepare(model: any Model, x: Tensor, y: Tensor?, loss: LossKind, withGradient: Bool) throws {
        guard let m = model as? any TapeModel else {
            throw LearnError.invalidArgument("this evaluation was made for another kind of model")
        }
        guard x.ndim >= 1, x.shape[0] > 0 else { throw LearnError.shape("the batch is empty") }
        self.model = m
        self.x = x
        self.y = y
        lossKind = loss
        count = x.shape[0]
        parameters = m.parameters
        point = nil
        outputsPoint = nil
        lossHessian = nil
        // Without targets only the outputs are wanted (recorded later if an output product is
        // asked for). With them, the loss is recorded, and the gradient swept when asked for.
        guard let y else {
            outputsOnly = try m.predict(x)
            self.loss = .nan
            accuracy = nil
            return
        }
        outputsOnly = nil
        let kind = lossKind
        let p = try Linearization(at: try m.blockTensors(parameters),
                                  outputs: { blocks in try m.outputs(blocks, x) },
                                  loss: { z in try FunctionModelEvaluation.loss(kind, z, y) })
        point = p
        self.loss = p.value
        accuracy = FunctionModelEvaluation.accuracy(p.outputs, y)
    }

    /// The outputs when nothing is recorded (no targets).
    private var outputsOnly: Tensor?
    /// The parameters the batch was prepared at (the model may move on).
    private var parameters: [Double] = []

    /// Mean cross-entropy over every labelled position, or the mean squared error against the
    /// targets (integer labels of a model with k > 1 outputs are one-hot coded, as for ``MLP``).
    static func loss(_ kind: LossKind, _ z: Var, _ y: Tensor) throws -> Var {
        switch kind {
        case .crossEntropy:
            return try z.crossEntropy(y)
        case .mse:
            if let k = z.shape.last, k > 1, y.shape == Array(z.shape.dropLast()) {
                return try z.mse(Var(try Var.onehot(y, classes: k)))
            }
            let t = y.shape == z.shape ? y : try y.reshaped(z.shape)
            return try z.mse(Var(t))
        }
    }

    /// The fraction of positions whose largest output is at the label; nil unless `y` holds
    /// labels for outputs with a class axis of length > 1.
    static func accuracy(_ z: Tensor, _ y: Tensor) -> Double? {
        guard let k = z.shape.last, k > 1, y.shape == Array(z.shape.dropLast()) || (y.ndim == 2 && y.shape[1] == 1 && z.ndim == 2 && y.shape[0] == z.shape[0]),
              let zs = try? z.asFloat().storage, let ys = try? y.asFloat().storage else { return nil }
        let positions = zs.count / k
        guard positions > 0, ys.count == positions else { return nil }
        var correct = 0
        for i in 0..<positions {
            var best = 0
            for j in 1..<k where zs[i * k + j] > zs[i * k + best] { best = j }
            if Double(best) == ys[i] { correct += 1 }
        }
        return Double(correct) / Double(positions)
    }

    func prepare(model: any Model, data: Dataset, rows: ArraySlice<Int>, loss: LossKind, withGradient: Bool) throws {
        let part = try data.subset(Array(rows))
        try prepare(model: model, x: part.x, y: part.y, loss: loss, withGradient: withGradient)
    }

    func outputs() throws -> Tensor {
        if let outputsOnly { return outputsOnly }
        guard let point else { throw LearnError.invalidArgument("nothing is prepared") }
        return point.outputs
    }

    private func prepared(_ name: String) throws -> Linearization {
        guard model != nil, y != nil, let point else {
            throw LearnError.invalidArgument("\(name) needs targets: prepare the batch with labels or targets")
        }
        return point
    }

    func gradient(into out: inout [Double]) throws {
        out = try prepared("the gradient").gradient().storage
    }

    func hvp(_ v: [Double], into out: inout [Double]) throws {
        let p = try prepared("hvp")
        out = try p.hvp(try vector(v)).storage
        products += 1
    }

    func ggnvp(_ v: [Double], into out: inout [Double]) throws {
        let p = try prepared("ggn")
        guard let y else { throw LearnError.invalidArgument("ggn needs targets") }
        if lossHessian == nil {
            let kind = lossKind
            lossHessian = try Linearization(at: p.outputs, outputs: { $0 },
                                            loss: { z in try FunctionModelEvaluation.loss(kind, z, y) })
        }
        guard let hl = lossHessian else { return }
        out = try p.vjp(try hl.hvp(try p.jvp(try vector(v))).reshaped(p.outputs.shape)).storage
        products += 1
    }

    func outputJVP(_ v: [Double]) throws -> [Double] {
        try outputPoint().jvp(try vector(v)).storage
    }

    func outputVJP(_ u: [Double]) throws -> [Double] {
        let p = try outputPoint()
        let shape = p.outputs.shape
        guard u.count == p.outputs.count else {
            throw LearnError.shape("a cotangent of the outputs must have \(p.outputs.count) values, got \(u.count)")
        }
        return try p.vjp(try Tensor(shape: shape, storage: u)).storage
    }

    /// The recorded point for output products: the loss's, or (prepared without targets) the
    /// outputs recorded once with their sum as a stand-in loss, which J v and Jᵀ u never read.
    private func outputPoint() throws -> Linearization {
        if let point { return point }
        if let outputsPoint { return outputsPoint }
        guard let m = model else { throw LearnError.invalidArgument("nothing is prepared") }
        let x = self.x
        let p = try Linearization(at: try m.blockTensors(parameters), outputs: { blocks in try m.outputs(blocks, x) },
                                  loss: { z in try z.sum() })
        outputsPoint = p
        return p
    }

    private var outputsPoint: Linearization?

    private func vector(_ v: [Double]) throws -> Tensor {
        guard let m = model, v.count == m.parameterCount else {
            throw LearnError.shape("a direction must have \(model?.parameterCount ?? 0) values, got \(v.count)")
        }
        return Tensor(v)
    }
}
