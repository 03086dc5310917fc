import RitzAutodiff
import RitzTensor

extension MLP {
    /// The same network written as a user writes it with `model(fn, params)`: a ``FunctionModel``
    /// of unfused primitives, Aₗ = f(Aₗ₋₁Wₗᵀ + bₗ), the last layer without f, with the mlp's
    /// blocks and a copy of its parameters. Each `a @ w.T + b` is recorded as the language records
    /// it: the product reading w in place (``Var/matmul(transposed:)``), then the sum. Its loss,
    /// gradient and curvature products agree with the fused layers' to rounding; tests and the
    /// engine bench compare against it.
    ///
    /// - Returns: The function model.
    /// - Throws: `LearnError.invalidArgument` only if the blocks and parameters disagree (they cannot).
    public func functionModel() throws -> FunctionModel {
        let activation = self.activation, count = layers.count
        return try FunctionModel(blocks: blocks.map { ($0.name, $0.shape) }, parameters: parameters, label: label) { p, x in
            var a = Var(x)
            for l in 0..<count {
                let z = try a.matmul(transposed: p[2 * l]) + p[2 * l + 1]
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
