import Foundation
import Testing
import RitzAutodiff
import RitzLearn
import RitzTensor
@testable import RitzAnalysis

/// `kfac_op` against dense references: the Gauss–Newton matrix of a one-layer model (an identity
/// of K-FAC), the closed-form A ⊗ G in the flat parameter layout, and LAPACK solves of the damped
/// dense matrix for the inverse.
@Suite struct KroneckerOperatorTests {
    /// y = x wᵀ + b on 7 rows of 4 features, 3 outputs, random targets.
    func linearProblem() throws -> (FunctionModel, Dataset) {
        var rng = RandomGenerator(seed: 11)
        let x = try Tensor.randn([7, 4], using: &rng), y = try Tensor.randn([7, 3], using: &rng)
        let p = (0..<15).map { _ in rng.normal() }
        let m = try FunctionModel(blocks: [("w", [3, 4]), ("b", [3])], parameters: p, label: "linear") { p, x in
            try Var.linear(Var(x), p[0], p[1])
        }
        return (m, try Dataset(x: x, y: y, classes: 0))
    }

    /// For one dense layer and mse over m outputs the Gauss–Newton matrix is
    /// (1/n) Σᵢ Jᵢᵀ (2/m) I Jᵢ = (2/m) I ⊗ E[ā āᵀ] = G ⊗ A with the exact G (in the row-major
    /// [w | b] layout): K-FAC with fisher="exact" is it, to rounding (1e-13 relative).
    @Test func oneLinearLayerWithMSEIsTheGaussNewtonMatrix() throws {
        let (m, d) = try linearProblem()
        let k = try KroneckerOperator(model: m, data: d, ekfac: false, labels: .exact, loss: .mse)
        let ggn = try ggnOperator(model: m, data: d, loss: .mse).dense().storage
        #expect(relative(try k.op.dense().storage, ggn) < 1e-13)
        // EKFAC's rescaling reproduces the same matrix here: its per-example gradients are
        // exactly the Kronecker products K-FAC assumes.
        let e = try KroneckerOperator(model: m, data: d, ekfac: true, labels: .exact, loss: .mse)
        #expect(relative(try e.op.dense().storage, ggn) < 1e-12)
    }

    /// The operator's block of an mlp layer is G ⊗ Ā over [w | b] (w row-major, the bias as
    /// the last column), built here entry by entry from the factors.
    @Test func blocksAreKroneckerProductsInTheFlatLayout() throws {
        let d = try Dataset.moons(n: 12, noise: 0.2, seed: 4)
        let m = try MLP(sizes: [2, 3, 2], activation: .tanh, seed: 5)
        let k = try KroneckerOperator(model: m, data: d, ekfac: false, labels: .empirical)
        let dense = try k.op.dense().storage
        let n = m.parameterCount
        var expected = [Double](repeating: 0, count: n * n)
        for layer in k.curvature.layers {
            let f = layer.factors
            let (o, p) = (f.outputs, f.inputs), width = p - 1
            func index(_ r: Int, _ c: Int) -> Int {
                c < width ? f.weight.offset + r * width + c : (f.bias?.offset ?? 0) + r
            }
            for r in 0..<o { for c in 0..<p { for r2 in 0..<o { for c2 in 0..<p {
                expected[index(r, c) * n + index(r2, c2)] = f.g.storage[r * o + r2] * f.a.storage[c * p + c2]
            } } } }
        }
        #expect(relative(dense, expected) < 1e-12)
    }

    /// inv(K, damping=δ) against LAPACK's solve of the dense K + δI, for K-FAC and EKFAC, on a
    /// CNN; each product reports its true residual (rounding: below 1e-12).
    @Test(arguments: [false, true])
    func inverseMatchesDenseSolve(ekfac: Bool) throws {
        let d = try Dataset.digits().subset(Array(0..<10))
        let m = try FunctionModel.cnn(input: [1, 8, 8], channels: [2], classes: 10, kernel: 3, pool: 2, seed: 1)
        let k = try KroneckerOperator(model: m, data: d, ekfac: ekfac, labels: .mc(samples: 2, seed: 3), damping: 0.01)
        let inverse = try k.inverse(extra: 0.05)
        let n = m.parameterCount
        var dense = try k.op.dense().storage
        for i in 0..<n { dense[i * n + i] += 0.05 }
        var rng = RandomGenerator(seed: 9)
        let v = (0..<n).map { _ in rng.normal() }
        let x = try inverse.op.apply(vector: v)
        let reference = try Tensor.solve(try Tensor(shape: [n, n], storage: dense), Tensor(v)).storage
        #expect(relative(x, reference) < 1e-9)
        #expect((inverse.log.lastReport?.residual ?? 1) < 1e-12)
        #expect(inverse.log.lastReport?.iterations == 0)
    }

    @Test func singularAndRestrictedInversesAreRefused() throws {
        let (m, d) = try linearProblem()
        let k = try KroneckerOperator(model: m, data: d, ekfac: false, labels: .exact, loss: .mse)
        #expect(throws: LearnError.self) { try k.inverse(extra: -10) }
        let restricted = try KroneckerOperator(model: m, data: d, ekfac: false, labels: .exact, loss: .mse, blocks: ["w"])
        #expect(restricted.op.n == 12)
        #expect(throws: TensorError.self) { try restricted.inverse(extra: 1) }
        #expect(throws: TensorError.self) { try InverseOperator(k.op, method: .kfac) }
    }

    private func relative(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count else { return .infinity }
        let scale = max(b.map(abs).max() ?? 0, 1e-300)
        return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }
}
