import RitzAutodiff
import RitzTensor

extension MLP {
    /// The same network written as a user writes it with `model(fn, params)`: a ``FunctionModel``,
    /// Aₗ = f(Aₗ₋₁Wₗᵀ + bₗ), the last layer without f, with the mlp's blocks and a copy of its
    /// parameters, recorded as the language records `f(a @ w.T + b)` and `a @ w.T + b` (one fused
    /// `linear` node a layer) and, such a body being a network of fixed form, with its training
    /// steps replayed as the language's are. Tests and the engine bench measure against it what
    /// a user's own model costs.
    ///
    /// - Returns: The function model.
    /// - Throws: `LearnError.invalidArgument` only if the blocks and parameters disagree (they cannot).
    public func functionModel() throws -> FunctionModel {
        let activation = self.activation, count = layers.count
        return try FunctionModel(blocks: blocks.map { ($0.name, $0.shape) }, parameters: parameters, label: label,
                                 staticForm: { true }) { p, x in
            var a = Var(x)
            for l in 0..<count {
                a = try Var.linear(a, p[2 * l], p[2 * l + 1], activation: l == count - 1 ? nil : activation.unaryOp)
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
