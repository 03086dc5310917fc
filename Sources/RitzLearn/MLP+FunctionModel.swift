import RitzAutodiff
import RitzTensor

extension MLP {
    /// The same network as a ``FunctionModel`` on the tape: Aₗ = f(Aₗ₋₁Wₗᵀ + bₗ), the last layer
    /// without f, with the mlp's blocks and a copy of its parameters. Its loss, gradient and
    /// curvature products agree with the kernels' to rounding; it also gives the output
    /// Jacobian products J v and Jᵀ u that the kernels do not expose.
    ///
    /// - Returns: The function model.
    /// - Throws: `LearnError.invalidArgument` only if the blocks and parameters disagree (they cannot).
    public func functionModel() throws -> FunctionModel {
        try MLP.functionModel(layers: layers, activation: activation, parameters: parameters, label: label)
    }

    /// The network given by its layers and activation as a ``FunctionModel``.
    ///
    /// - Parameters:
    ///   - layers: The layers, in order.
    ///   - activation: f of the hidden layers.
    ///   - parameters: The flat parameters in the layout of ``MLP/blocks(of:)``.
    ///   - label: The label.
    /// - Returns: The function model.
    /// - Throws: `LearnError.invalidArgument` when the parameters do not fill the blocks.
    static func functionModel(layers: [Layer], activation: Activation, parameters: [Double],
                              label: String) throws -> FunctionModel {
        let count = layers.count
        return try FunctionModel(blocks: blocks(of: layers).map { ($0.name, $0.shape) }, parameters: parameters,
                                 label: label) { p, x in
            var a = Var(x)
            for l in 0..<count {
                let z = try a.matmul(try p[2 * l].T) + p[2 * l + 1]
                a = l == count - 1 ? z : try activation.apply(z)
            }
            return a
        }
    }

    /// The blocks of an mlp with these layers: `wₗ` (outputs × inputs) and `bₗ`, l from 0.
    static func blocks(of layers: [Layer]) -> [ParameterBlock] {
        layers.flatMap { l in
            [ParameterBlock(name: "w\(l.index)", offset: l.weightOffset, shape: [l.outputs, l.inputs]),
             ParameterBlock(name: "b\(l.index)", offset: l.biasOffset, shape: [l.outputs])]
        }
    }
}

extension MLPEvaluation {
    /// The prepared batch's inputs and parameters as a function model evaluation (for J v and Jᵀ u).
    func functionTwinEvaluation() throws -> any ModelEvaluation {
        let d = sizes[0]
        let x: [Double]
        switch input {
        case .none: throw LearnError.invalidArgument("nothing is prepared")
        case let .tensors(xs, _): x = xs
        case let .buffers(xb, _): x = Array(UnsafeBufferPointer(start: xb.p, count: count * d))
        }
        let params = Array(UnsafeBufferPointer(start: self.params.p, count: parameterCount))
        let twin = try MLP.functionModel(layers: layers, activation: activation, parameters: params, label: "mlp \(sizes)")
        let e = twin.makeEvaluation()
        try e.prepare(model: twin, x: try Tensor(shape: [count, d], storage: x), y: nil, loss: .mse, withGradient: false)
        return e
    }
}
