import Foundation
@testable import MLPReference
import Testing
@testable import RitzLearn
import RitzTensor

/// ‖a − b‖∞ / max(‖a‖∞, tiny): the relative difference of two runs' series or parameters.
func relativeMaxDiff(_ a: [Double], _ b: [Double]) -> Double {
    guard a.count == b.count else { return .infinity }
    let scale = a.map(abs).max() ?? 0
    return maxAbsDiff(a, b) / max(scale, 1e-300)
}

/// The library's one engine (the mlp on the tape) against the hand-derived reference kernels
/// (`MLPReference`) on the same network, data and seeds.
///
/// Tolerance of whole training runs, 1e-12 relative: each step's gradient differs between the
/// engines by rounding only (the same sums in another order: a few ulps, ≈ 1e-15 relative on
/// these sizes), and 50 steps carry it through the update map θ ↦ θ − lr·∇L(θ), whose
/// Lipschitz constant is 1 + lr·λ_max, of order 1 on the digits mlp at these rates (Adam's
/// normalised steps are of the same order), so rounding stays at the 1e-15 level; the bar still
/// catches any difference in what is computed (one wrong term in a gradient moves the loss by far
/// more than 1e-12).
@Suite struct OneEngineTests {
    struct TrainingCase: CustomTestStringConvertible, Sendable {
        let name: String
        let optimizer: @Sendable () throws -> Optimizer
        let batch: Int
        let steps: Int
        let track: [String]
        var testDescription: String { name }
    }

    static let trainingCases: [TrainingCase] = [
        TrainingCase(name: "sgd, full batch", optimizer: { try .sgd(lr: 0.5) }, batch: 0, steps: 50, track: ["grad_norm", "weights"]),
        TrainingCase(name: "sgd with momentum, minibatches of 64", optimizer: { try .sgd(lr: 0.1, momentum: 0.9) }, batch: 64,
                     steps: 50, track: ["grad_norm"]),
        TrainingCase(name: "adam, full batch", optimizer: { try .adam(lr: 0.01) }, batch: 0, steps: 50, track: []),
        TrainingCase(name: "adam, minibatches of 64", optimizer: { try .adam(lr: 0.01) }, batch: 64, steps: 50, track: ["grad_norm"]),
        TrainingCase(name: "adahessian, full batch", optimizer: { try .adahessian(lr: 0.05) }, batch: 0, steps: 10, track: []),
    ]

    /// 50 steps (adahessian: 10, one Hutchinson product each) of a digits mlp 64-32-10 tanh on 600
    /// images (a batch both engines split in halves) with 300 more as the test set: every row's
    /// losses and accuracies, the tracked values and the final parameters agree to 1e-12 relative.
    /// Measured: ≤ 5e-16, adahessian's parameters 3e-14 (its step divides by a Hutchinson estimate
    /// of the Hessian's diagonal, which magnifies rounding where that is small).
    @Test(arguments: trainingCases)
    func mlpTrainsAsTheReferenceKernels(_ c: TrainingCase) throws {
        let digits = try Dataset.digits()
        let (train, test) = (try digits.subset(Array(0..<600)), try digits.subset(Array(600..<900)))
        let mlp = try MLP(sizes: [64, 32, 10], activation: .tanh, seed: 0)
        let reference = ReferenceMLP(mlp)
        let start = mlp.parameters
        let ra = try Trainer.train(model: reference, data: train, optimizer: try c.optimizer(), steps: c.steps, batch: c.batch,
                                   every: 10, track: c.track, test: test, seed: 2)
        let rb = try Trainer.train(model: mlp, data: train, optimizer: try c.optimizer(), steps: c.steps, batch: c.batch,
                                   every: 10, track: c.track, test: test, seed: 2)
        #expect(ra.stepsTaken == c.steps && ra.steps == rb.steps)
        for (name, a, b) in [("loss", ra.loss, rb.loss), ("batch loss", ra.batchLoss, rb.batchLoss),
                             ("test loss", ra.testLoss, rb.testLoss)] {
            #expect(relativeMaxDiff(a, b) <= 1e-12, "\(name): \(relativeMaxDiff(a, b))")
        }
        // Accuracies count argmaxes: equal unless two logits tie to within 1e-12.
        #expect(ra.accuracy == rb.accuracy && ra.testAccuracy == rb.testAccuracy)
        for name in c.track where name != "weights" {
            let (ta, tb) = (ra.tracked[name] ?? [], rb.tracked[name] ?? [])
            #expect(!ta.isEmpty && relativeMaxDiff(ta, tb) <= 1e-12, "\(name): \(relativeMaxDiff(ta, tb))")
        }
        #expect(ra.weights.count == rb.weights.count)
        for (wa, wb) in zip(ra.weights, rb.weights) { #expect(relativeMaxDiff(wa, wb) <= 1e-12) }
        #expect(relativeMaxDiff(reference.parameters, mlp.parameters) <= 1e-12,
                "parameters: \(relativeMaxDiff(reference.parameters, mlp.parameters))")
        #expect(mlp.parameters != start, "the run moved the parameters")
    }

    /// Bad batches give the same typed errors, with the same messages, through the tape as through
    /// the kernels (which check targets before anything else).
    @Test func badBatchesThrowTheKernelsErrors() throws {
        let mlp = try MLP(sizes: [3, 4, 2], seed: 1)
        let reference = ReferenceMLP(mlp)
        let x = try Tensor.zeros([5, 3])
        let cases: [(String, Tensor, Tensor, LossKind)] = [
            ("a label out of range", x, Tensor([0, 1, 2, 1, 0]), .crossEntropy),
            ("a fractional label", x, Tensor([0.5, 1, 1, 1, 0]), .crossEntropy),
            ("a negative label under mse", x, Tensor([0, -1, 1, 1, 0]), .mse),
            ("targets for another number of rows", x, Tensor([0, 1, 0, 1]), .crossEntropy),
            ("real targets under cross-entropy", x, try Tensor.zeros([5, 2]), .crossEntropy),
            ("mse targets of another width", x, try Tensor.zeros([5, 3]), .mse),
            ("inputs of another width", try Tensor.zeros([5, 4]), Tensor([0, 1, 0, 1, 0]), .crossEntropy),
            ("an empty batch", try Tensor.zeros([0, 3]), try Tensor.zeros([0]), .crossEntropy),
        ]
        for (name, xs, ys, loss) in cases {
            func error(_ model: any Model) -> LearnError? {
                do {
                    _ = try model.meanLoss(x: xs, y: ys, loss: loss)
                    return nil
                } catch {
                    return error as? LearnError
                }
            }
            let (a, b) = (error(reference), error(mlp))
            #expect(a != nil && a == b, "\(name): kernels \(String(describing: a)), tape \(String(describing: b))")
        }
        #expect(LearnError.badLabel(index: 2, value: 2, classes: 2).description
                == "label 2.0 of sample 2 is not an integer class in 0..<2")
    }

    /// Labels as a `rows × 1` column are labels for both engines, with the same loss and accuracy.
    @Test func labelColumnsAreLabels() throws {
        let mlp = try MLP(sizes: [3, 4, 2], seed: 1)
        let x = try Tensor(shape: [4, 3], storage: (0..<12).map { sin(Double($0)) })
        let column = try Tensor(shape: [4, 1], storage: [0, 1, 1, 0])
        for loss in [LossKind.crossEntropy, .mse] {
            let (a, b) = (ReferenceMLP(mlp).makeEvaluation(), mlp.makeEvaluation())
            try a.prepare(model: ReferenceMLP(mlp), x: x, y: column, loss: loss, withGradient: false)
            try b.prepare(model: mlp, x: x, y: column, loss: loss, withGradient: false)
            // One pass over 4 rows of 2 outputs: a few ulps of a loss of order 1.
            #expect(abs(a.loss - b.loss) <= 1e-14, "\(loss)")
            #expect(a.accuracy != nil && a.accuracy == b.accuracy)
        }
    }

    /// A bad label met by a minibatch is named by its row in the data set, through the trainer,
    /// for both engines.
    @Test func minibatchRunsNameBadLabelsByTheirRow() throws {
        let digits = try Dataset.digits()
        let small = try MLP(sizes: [64, 8, 5], seed: 1)
        guard let row = digits.y.storage.firstIndex(where: { $0 >= 5 }) else { Issue.record("no label ≥ 5"); return }
        let expected = LearnError.badLabel(index: row, value: digits.y.storage[row], classes: 5)
        for model in [small, ReferenceMLP(small)] as [any Model] {
            #expect(throws: expected) {
                try Trainer.train(model: model, data: digits, optimizer: try .sgd(lr: 0.1), steps: 3, batch: 16, seed: 4)
            }
        }
    }

    /// K-FAC's factors of the mlp (the layers captured on the tape) against the reference kernels'
    /// own layer inputs and backpropagated output gradients, empirical Fisher: A = (1/n) Σ ā āᵀ,
    /// G = (1/n) Σ g gᵀ with g = n·∂L/∂Z (Martens & Grosse 2015). Sums of n = 200 products of
    /// quantities computed to a few ulps: 1e-12 relative.
    @Test func kroneckerFactorsMatchTheKernelsLayers() throws {
        let digits = try Dataset.digits()
        let data = try digits.subset(Array(0..<200))
        let mlp = try MLP(sizes: [64, 16, 10], activation: .tanh, seed: 3)
        let x = try data.x.asFloat(), y = try data.y.asFloat()
        let stats = try KroneckerStatistics.compute(model: mlp, x: x, y: y, loss: .crossEntropy, labels: .empirical)
        // Below `splitRows` the kernels run one worker over every row.
        #expect(data.count < MLPEvaluation.splitRows)
        let e = MLPEvaluation(model: mlp)
        try e.prepare(model: mlp, x: x, y: y, loss: .crossEntropy, withGradient: true)
        let worker = e.workers[0]
        let n = data.count
        #expect(stats.layers.map(\.blockNames) == [["w0", "b0"], ["w1", "b1"]])
        for (l, layer) in mlp.layers.enumerated() {
            let p = layer.inputs + 1, o = layer.outputs
            var a = [Double](repeating: 0, count: p * p), g = [Double](repeating: 0, count: o * o)
            for r in 0..<n {
                let input = (0..<layer.inputs).map { l == 0 ? x.storage[r * layer.inputs + $0] : worker.a[l - 1].p[r * layer.inputs + $0] } + [1]
                let grad = (0..<o).map { Double(n) * worker.g[l].p[r * o + $0] }
                for i in 0..<p { for j in 0..<p { a[i * p + j] += input[i] * input[j] / Double(n) } }
                for i in 0..<o { for j in 0..<o { g[i * o + j] += grad[i] * grad[j] / Double(n) } }
            }
            #expect(relativeMaxDiff(a, try stats.layers[l].a.asFloat().storage) <= 1e-12, "A of layer \(l)")
            #expect(relativeMaxDiff(g, try stats.layers[l].g.asFloat().storage) <= 1e-12, "G of layer \(l)")
        }
    }
}
