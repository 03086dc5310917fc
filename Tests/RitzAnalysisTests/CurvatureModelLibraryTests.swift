import Testing
import RitzLearn
import RitzTensor
@testable import RitzAnalysis

@Suite("Curvature: block Hessians of the library's cnn and transformer")
struct CurvatureModelLibraryTests {
    /// The entries of `full` (n × n) at rows and columns `indices`.
    static func principal(_ full: Tensor, n: Int, _ indices: [Int]) -> [Double] {
        indices.flatMap { i in indices.map { j in full.storage[i * n + j] } }
    }

    /// The restricted operator applies H to v placed in the blocks' ranges and reads the same
    /// ranges back, so its columns are the dense Hessian's columns at those unit vectors, computed
    /// by the same products: the principal block must be equal, not just close.
    @Test("hessian_op(m, data, block=) is the principal block of the dense Hessian")
    func blockIsPrincipalSubmatrix() throws {
        var rng = RandomGenerator(seed: 7)
        let images = try Dataset(x: try Tensor.randn([10, 16], using: &rng),
                                 y: Tensor((0..<10).map { Double($0 % 3) }), classes: 3)
        let cnn = try FunctionModel.cnn(input: [1, 4, 4], channels: [2], classes: 3, kernel: 3, pool: 2,
                                        activation: .tanh, seed: 1)
        let tokens = try Dataset(x: try Tensor(shape: [6, 3], storage: (0..<18).map { Double(($0 * 7) % 4) }),
                                 y: Tensor((0..<6).map { Double($0 % 2) }), classes: 2)
        let transformer = try FunctionModel.transformer(vocab: 4, seq: 3, width: 4, heads: 2, depth: 1, classes: 2,
                                                        mlp: 1, seed: 2)
        for (model, data, names) in [(cnn, images, ["conv0.w"]), (transformer, tokens, ["block0.attn.q", "ln.g"])] {
            let n = model.parameterCount
            let full = try hessianOperator(model: model, data: data).dense()
            let indices = try names.flatMap { try Array(model.block(named: $0).range) }
            let block = try hessianOperator(model: model, data: data, blocks: names)
            #expect(block.n == indices.count)
            let dense = try block.dense()
            #expect(dense.storage == Self.principal(full, n: n, indices), "\(model.label), \(names)")
            // The block is not trivially zero.
            #expect((dense.storage.map(abs).max() ?? 0) > 1e-3)
        }
    }
}
