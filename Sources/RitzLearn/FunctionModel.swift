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

    /// Whether each row of a batch (axis 0) gives its outputs and its share of the loss alone,
    /// no row reading another (no batch statistics, no dropout): an evaluation may then record a
    /// large batch in parts, one parallel job each.
    var rowsAreIndependent: Bool { get }

    /// Whether a recording of the outputs may be replayed on another batch of the same shapes
    /// (``GradientReplay``) instead of recording the outputs again: true when they are the same
    /// primitives on the same shapes whatever the values (no branch on a value, nothing but the
    /// outputs computed) and the inputs reach the recording as themselves, not as a converted
    /// copy. Training then takes its steps without recording or allocating. False unless the
    /// model is known to be so.
    var recordingIsReplayable: Bool { get }
}

extension TapeModel {
    public var recordingIsReplayable: Bool { false }
}

extension TapeModel {
    /// The flat parameters `flat` cut into one tensor per block, in the blocks' shapes.
    ///
    /// - Throws: `LearnError.shape` when `flat` does not hold one value per parameter.
    func blockTensors(_ flat: [Double]) throws -> [Tensor] {
        guard flat.count == parameterCount else {
            throw LearnError.shape("this model has \(parameterCount) parameters, got \(flat.count) values")
        }
        // Copied into arrays from the storage pool, where they return when the tapes recording
        // them are let go.
        return try Tensor.pieces(of: flat, blocks: blocks.map { ($0.offset, $0.shape) })
    }

    /// ``blockTensors(_:)`` written into `kept`, the tensors of the last call, where nothing else
    /// holds them any more (the recordings made at them let go): a training step then copies the
    /// parameters without taking an array or making a tensor.
    ///
    /// - Throws: `LearnError.shape` when `flat` does not hold one value per parameter.
    func blockTensors(_ flat: [Double], reusing kept: inout [Tensor]) throws {
        guard kept.count == blocks.count, flat.count == parameterCount,
              zip(kept, blocks).allSatisfy({ $0.shape == $1.shape && $0.dtype == .float64 }) else {
            kept = try blockTensors(flat)
            return
        }
        let written = flat.withUnsafeBufferPointer { source in
            blocks.indices.allSatisfy { i in
                kept[i].withUnsharedStorage { out in
                    guard let base = source.baseAddress else { return }
                    out.baseAddress?.update(from: base + blocks[i].offset, count: blocks[i].count)
                } != nil
            }
        }
        if !written { kept = try blockTensors(flat) }
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
    public let rowsAreIndependent: Bool
    let forward: Forward
    /// Whether `forward` is, at the moment asked, a network of fixed form (nil: never).
    private let staticForm: (() -> Bool)?

    /// True when the function was declared a network of fixed form and still is
    /// (``TapeModel/recordingIsReplayable``): a training step replays its last recording.
    public var recordingIsReplayable: Bool { staticForm?() ?? false }

    /// A model.
    ///
    /// - Parameters:
    ///   - blocks: The parameter tensors' names and shapes (offsets are assigned in order).
    ///   - parameters: Their initial values, flat.
    ///   - label: A short description.
    ///   - rowsAreIndependent: Whether `forward` treats the rows of a batch separately
    ///     (``TapeModel/rowsAreIndependent``); false unless the function is known to.
    ///   - staticForm: Whether `forward` is (still) a network of fixed form, asked when a recording
    ///     would be kept for replay (``TapeModel/recordingIsReplayable``); nil for never.
    ///   - forward: The function.
    /// - Throws: `LearnError.invalidArgument` when the values do not fill the blocks or a name repeats.
    public init(blocks named: [(name: String, shape: [Int])], parameters: [Double], label: String,
                rowsAreIndependent: Bool = false, staticForm: (() -> Bool)? = nil, forward: @escaping Forward) throws {
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
        self.rowsAreIndependent = rowsAreIndependent
        self.staticForm = staticForm
        self.forward = forward
    }

    public func outputs(_ parameters: [Var], _ x: Tensor) throws -> Var { try forward(parameters, x) }

    public func predict(_ x: Tensor) throws -> Tensor {
        try outputs(at: parameters, x).value
    }

    public func makeEvaluation() -> any ModelEvaluation { FunctionModelEvaluation() }

    public func checkInputs(sampleShape: [Int], what: String) throws {}
}
