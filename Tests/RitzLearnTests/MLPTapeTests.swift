import Foundation
import Testing
@testable import RitzLearn
import RitzTensor

/// The mlp on the tape (each layer one fused `linear` node) against its hand-derived kernels,
/// recorded in the same test run: both are exact, so they differ by rounding only — a few ulps
/// of each summed term, far below 1e-12 relative.
@Suite struct MLPTapeTests {
    /// The kernel problems, and one batch large enough that both engines split it in halves.
    static let cases = problems + [
        Problem(name: "tanh ce 8-16-10, 300 rows (split)", sizes: [8, 16, 10], activation: .tanh, loss: .crossEntropy, rows: 300),
    ]

    @Test(arguments: cases)
    func tapeAgreesWithTheKernels(problem: Problem) throws {
        let (mlp, x, y) = try problem.make()
        let onTape = mlp.copy()
        onTape.engine = .tape
        let a = mlp.makeEvaluation(), b = onTape.makeEvaluation()
        #expect(a is MLPEvaluation && !(b is MLPEvaluation))
        try a.prepare(model: mlp, x: x, y: y, loss: problem.loss, withGradient: true)
        try b.prepare(model: onTape, x: x, y: y, loss: problem.loss, withGradient: true)
        #expect(abs(a.loss - b.loss) <= 1e-12 * max(1, abs(a.loss)))
        #expect(a.accuracy == b.accuracy)
        #expect(maxAbsDiff(try a.outputs().storage, try b.outputs().storage) <= 1e-12)
        _ = try expectSameDerivatives(a, b, parameters: mlp.parameterCount)
    }

    /// A training run on the tape reproduces the kernels' run step for step: full-batch gradient
    /// descent on 300 digits (split in halves) and minibatch Adam, with trackers;
    /// losses, tracked values and final parameters equal to 1e-12.
    @Test func tapeTrainsAsTheKernels() throws {
        let digits = try Dataset.digits()
        let data = try digits.subset(Array(0..<300))
        let runs: [(optimizer: () throws -> Optimizer, batch: Int, track: [String])] = [
            ({ try .sgd(lr: 0.5) }, 0, ["grad_norm", "weights"]), ({ try .adam(lr: 0.01) }, 64, ["grad_norm"]),
        ]
        for (optimizer, batch, track) in runs {
            let kernels = try MLP(sizes: [64, 16, 10], activation: .tanh, seed: 0)
            let onTape = kernels.copy()
            onTape.engine = .tape
            let ra = try Trainer.train(model: kernels, data: data, optimizer: try optimizer(), steps: 30, batch: batch, every: 10,
                                       track: track, seed: 2)
            let rb = try Trainer.train(model: onTape, data: data, optimizer: try optimizer(), steps: 30, batch: batch, every: 10,
                                       track: track, seed: 2)
            #expect(ra.steps == rb.steps)
            #expect(maxAbsDiff(ra.loss, rb.loss) <= 1e-12)
            #expect(maxAbsDiff(ra.batchLoss, rb.batchLoss) <= 1e-12)
            for name in track {
                let (ta, tb) = (ra.tracked[name] ?? [], rb.tracked[name] ?? [])
                #expect(ta.count == tb.count && maxAbsDiff(ta, tb) <= 1e-12 * max(1, ta.map(abs).max() ?? 0), "\(name)")
            }
            #expect(maxAbsDiff(kernels.parameters, onTape.parameters) <= 1e-12)
        }
    }
}
