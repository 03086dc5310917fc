import Foundation
import Testing
import RitzLearn
import RitzTensor
@testable import RitzAnalysis

/// The Jacobian, Fisher and influence operators of tiny models against dense references built
/// independently: per-example gradients and Jacobian columns by central differences of the model's
/// own loss and predictions, and LAPACK solves.
@Suite struct ModelOperatorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let loss: LossKind
        var testDescription: String { name }

        /// ce: an mlp [2, 5, 3] on 12 spiral points, trained 50 steps; mse: an mlp [3, 4, 2] on 10
        /// random targets.
        func make() throws -> (MLP, Dataset) {
            if loss == .crossEntropy {
                let d = try Dataset.spirals(n: 12, classes: 3, noise: 0.1, seed: 2)
                let m = try MLP(sizes: [2, 5, 3], activation: .tanh, seed: 1)
                _ = try Trainer.train(model: m, data: d, optimizer: try .sgd(lr: 0.5), steps: 50, seed: 1, loss: .crossEntropy)
                return (m, d)
            }
            var rng = RandomGenerator(seed: 5)
            let d = try Dataset(x: try Tensor.randn([10, 3], using: &rng), y: try Tensor.randn([10, 2], using: &rng), classes: 0)
            return (try MLP(sizes: [3, 4, 2], activation: .tanh, seed: 2), d)
        }
    }

    static let cases = [Case(name: "cross-entropy mlp [2, 5, 3]", loss: .crossEntropy), Case(name: "mse mlp [3, 4, 2]", loss: .mse)]

    /// Central differences of `f` at the model's parameters, one column per parameter; h = 1e-5
    /// gives truncation h²/6·|f‴| ≈ 1e-11 and rounding ε|f|/h ≈ 1e-11 on these O(1) functions.
    static func differences(_ model: MLP, _ f: () throws -> [Double]) throws -> [[Double]] {
        let p0 = model.parameters, h = 1e-5
        defer { model.parameters = p0 }
        return try (0..<p0.count).map { j in
            model.parameters = p0; model.parameters[j] += h
            let plus = try f()
            model.parameters = p0; model.parameters[j] -= h
            let minus = try f()
            return zip(plus, minus).map { ($0 - $1) / (2 * h) }
        }
    }

    /// Per-example loss gradients by differences of each example's own loss (rows × parameters).
    static func exampleGradients(_ model: MLP, _ data: Dataset, _ loss: LossKind) throws -> [[Double]] {
        let rows = try (0..<data.count).map { try data.subset([$0]) }
        let columns = try differences(model) { try rows.map { try model.meanLoss(x: $0.x, y: $0.y, loss: loss) } }
        return (0..<data.count).map { i in columns.map { $0[i] } }
    }

    static func maxAbs(_ xs: [Double]) -> Double { xs.reduce(0) { max($0, abs($1)) } }

    /// J and Jᵀ against differences of the predictions; the Gauss–Newton operator against
    /// Jᵀ H_L J assembled from the dense J (H_L: (diag p − ppᵀ)/n per example for cross-entropy,
    /// 2/(n·k)·I for mse) — an independent route to the tape's Gauss–Newton product.
    @Test(arguments: cases)
    func jacobianMatchesDifferences(c: Case) throws {
        let (m, d) = try c.make()
        let J = try jacobianOperator(model: m, data: d)
        let outputs = d.count * m.outputSize
        #expect(J.rows == outputs && J.n == m.parameterCount)
        let dense = try J.dense()
        let columns = try Self.differences(m) { try m.predict(d.x).storage }
        let scale = max(1, Self.maxAbs(dense.storage))
        for (j, column) in columns.enumerated() {
            for r in 0..<outputs {
                #expect(abs(dense.storage[r * J.n + j] - column[r]) <= 1e-7 * scale)
            }
        }
        let transposed = try J.transposed().dense()
        #expect(OperatorAlgebraTests.maxDiff(transposed, try dense.transposed()) <= 1e-12 * scale)
        // Gauss–Newton from the dense Jacobian.
        let n = d.count, k = m.outputSize, p = m.parameterCount
        let z = try m.predict(d.x).storage
        var hl = [Double](repeating: 0, count: outputs * outputs)
        for i in 0..<n {
            if c.loss == .mse {
                for a in 0..<k { hl[(i * k + a) * outputs + i * k + a] = 2 / Double(n * k) }
            } else {
                let row = Array(z[(i * k)..<((i + 1) * k)]), top = row.max() ?? 0
                let e = row.map { exp($0 - top) }, total = e.reduce(0, +)
                let prob = e.map { $0 / total }
                for a in 0..<k {
                    for b in 0..<k { hl[(i * k + a) * outputs + i * k + b] = ((a == b ? prob[a] : 0) - prob[a] * prob[b]) / Double(n) }
                }
            }
        }
        let ggnRef = try dense.transposed().matmul(try Tensor(shape: [outputs, outputs], storage: hl)).matmul(dense)
        let ggn = try ggnOperator(model: m, data: d, loss: c.loss).dense()
        #expect(OperatorAlgebraTests.maxDiff(ggn, ggnRef) <= 1e-10 * max(1, Self.maxAbs(ggnRef.storage)))
        #expect(ggn.shape == [p, p])
    }

    /// The empirical Fisher (1/n) Σ gᵢgᵢᵀ against the same sum over differenced per-example
    /// gradients (entries O(1), difference error ≈ 1e-10 each, so 1e-7 of the largest entry);
    /// its block is the principal submatrix.
    @Test(arguments: cases)
    func empiricalFisherMatchesDenseGradients(c: Case) throws {
        let (m, d) = try c.make()
        let g = try Self.exampleGradients(m, d, c.loss)
        let p = m.parameterCount
        var reference = [Double](repeating: 0, count: p * p)
        for row in g { for a in 0..<p { for b in 0..<p { reference[a * p + b] += row[a] * row[b] / Double(d.count) } } }
        let F = try fisherOperator(model: m, data: d, kind: .empirical, loss: c.loss)
        let dense = try F.dense()
        let scale = max(1e-3, Self.maxAbs(reference))
        #expect(zip(dense.storage, reference).allSatisfy { abs($0 - $1) <= 1e-7 * scale })
        let block = try m.block(named: "w1").range
        let sub = try fisherOperator(model: m, data: d, kind: .empirical, loss: c.loss, blocks: ["w1"]).dense()
        for (a, i) in block.enumerated() {
            for (b, j) in block.enumerated() {
                #expect(abs(sub.storage[a * block.count + b] - dense.storage[i * p + j]) <= 1e-14 * scale)
            }
        }
    }

    /// The Monte-Carlo Fisher's expectation is the Gauss–Newton matrix (softmax labels for
    /// cross-entropy; N(f(x), (k/2)·I) targets for mse, the convention that makes it so). With
    /// N = n·1500 draws the relative Frobenius error is about √(2/1500)·c ≈ 0.04·c, c of order one;
    /// 0.15 is a generous bound that a wrong variance (a factor 2 in mse's) or wrong sampling fails.
    @Test(arguments: cases)
    func monteCarloFisherAveragesToGaussNewton(c: Case) throws {
        let (m, d) = try c.make()
        let F = try fisherOperator(model: m, data: d, kind: .mc, loss: c.loss, samples: 1500, seed: 3).dense()
        let G = try ggnOperator(model: m, data: d, loss: c.loss).dense()
        let diff = zip(F.storage, G.storage).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        let size = G.storage.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(diff <= 0.15 * size, "‖F − G‖/‖G‖ = \(diff / size)")
    }

    /// Influence scores against −g_testᵀ (H + δI)⁻¹ g_train with differenced gradients and
    /// LAPACK's solve of the dense Hessian (itself checked against differences of the gradient in
    /// CurvatureModelTests). Solves to 1e-12 leave errors far below the differences' 1e-7.
    @Test(arguments: [SolveMethod.cg, .minres])
    func influenceMatchesDenseFormula(method: SolveMethod) throws {
        let (m, train) = try Self.cases[0].make()
        let test = try Dataset.spirals(n: 3, classes: 3, noise: 0.1, seed: 9)
        let hessian = try hessianOperator(model: m, data: train, loss: .crossEntropy).dense()
        let p = m.parameterCount
        let lowest = CurvatureReference.eigh(hessian).values.first ?? 0
        let damping = max(0.1, 0.1 - lowest)
        let r = try influence(model: m, train: train, test: test, loss: .crossEntropy, damping: damping, method: method, tol: 1e-12)
        #expect(r.worstResidual <= 1e-12 && r.solves == test.count)
        let damped = try hessian.binary(.add, try Tensor.eye(p).binary(.mul, Tensor(damping)))
        let gTrain = try Self.exampleGradients(m, train, .crossEntropy), gTest = try Self.exampleGradients(m, test, .crossEntropy)
        var reference: [Double] = []
        for t in gTest {
            let (s, _) = try Tensor.solveEstimatingCondition(damped, Tensor(t))
            for g in gTrain { reference.append(-Blas.dot(s.storage, g)) }
        }
        #expect(r.scores.shape == [test.count, train.count])
        let scale = Self.maxAbs(reference) / damping
        #expect(zip(r.scores.storage, reference).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, scale) },
                "max difference \(Self.maxAbs(zip(r.scores.storage, reference).map { $0 - $1 }))")
    }
}
