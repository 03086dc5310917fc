import RitzAutodiff
import RitzTensor

/// An ``MLP`` on the tape: each layer is one fused `linear` node, act(A wₗᵀ + bₗ), the last
/// without activation, over the blocks `w0, b0, w1, b1, …` of ``Model/blocks``.
extension MLP: TapeModel {
    /// Each row's outputs and loss come from that row alone.
    public var rowsAreIndependent: Bool { true }

    /// Its layers are fused `linear` nodes on float inputs, whatever the values: a training step
    /// replays the last recording.
    public var recordingIsReplayable: Bool { true }

    /// The network's outputs recorded layer by layer.
    ///
    /// - Parameters:
    ///   - parameters: The blocks in order: each layer's weights (outputs × inputs), then its bias.
    ///   - x: Inputs, `rows × inputs`.
    /// - Returns: `rows × outputs`.
    /// - Throws: `LearnError.shape` when the blocks or the inputs do not fit.
    public func outputs(_ parameters: [Var], _ x: Tensor) throws -> Var {
        guard parameters.count == 2 * layers.count else {
            throw LearnError.shape("an mlp with \(layers.count) layers takes \(2 * layers.count) blocks, got \(parameters.count)")
        }
        guard x.ndim == 2, x.shape[1] == inputSize else {
            throw LearnError.shape("the model takes inputs of width \(inputSize), got data of shape \(formatShape(x.shape))")
        }
        let hidden = activation.unaryOp
        var h = Var(x)
        for layer in layers {
            let last = layer.index == layers.count - 1
            h = try Var.linear(h, parameters[2 * layer.index], parameters[2 * layer.index + 1], activation: last ? nil : hidden)
        }
        return h
    }
}
