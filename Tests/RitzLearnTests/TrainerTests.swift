import Foundation
import Testing
@testable import RitzLearn
import RitzTensor

/// Records the step it sees and checks that its warm-start slot survives between measurements.
final class StepTracker: Tracker {
    var seen: [Int] = []
    func measure(model: any Model, data: Dataset, state: TrackerState) throws -> Double {
        let previous = state.warmStart?.first ?? -1
        #expect(previous == Double(seen.last ?? -1))
        seen.append(state.step)
        state.warmStart = [Double(state.step)]
        state.matvecs += 2
        state.lastMatvecs = 2
        state.extras["rows"] = Double(data.count)
        return Double(state.step) * 10
    }
}

/// A tracker whose third measurement sees a stop request partway, as a Lanczos run polling the
/// session's interrupt does, and throws.
final class InterruptedTracker: Tracker {
    struct Interrupted: Error {}
    var stopRequested = false
    var calls = 0
    func measure(model: any Model, data: Dataset, state: TrackerState) throws -> Double {
        calls += 1
        if calls == 3 { stopRequested = true; throw Interrupted() }
        return Double(calls)
    }
}

@Suite struct TrainerTests {
    func moonsModel(seed: UInt64 = 1) throws -> (MLP, Dataset) {
        (try MLP(sizes: [2, 16, 2], activation: .tanh, seed: seed), try Dataset.moons(n: 200, noise: 0.1, seed: 2))
    }

    @Test(arguments: [(0, "sgd"), (32, "sgd"), (32, "adam"), (0, "adahessian"), (50, "adamw")] as [(Int, String)])
    func trainingIsDeterministicForASeed(batch: Int, rule: String) throws {
        func once(seed: UInt64) throws -> (Run, [Double]) {
            let (model, data) = try moonsModel()
            let opt: Optimizer
            switch rule {
            case "adam": opt = try .adam(lr: 0.01)
            case "adamw": opt = try .adamw(lr: 0.01)
            case "adahessian": opt = try .adahessian(lr: 0.05, probes: 2)
            default: opt = try .sgd(lr: 0.1, momentum: 0.9)
            }
            let run = try Trainer.train(model: model, data: data, optimizer: opt, steps: 30, batch: batch, every: 5,
                                        track: ["grad_norm"], seed: seed)
            return (run, model.parameters)
        }
        let (a, pa) = try once(seed: 5)
        let (b, pb) = try once(seed: 5)
        #expect(a.loss == b.loss && a.batchLoss == b.batchLoss && pa == pb)
        #expect(a.tracked["grad_norm"] == b.tracked["grad_norm"])
        if batch > 0 || rule == "adahessian" {
            let (_, pc) = try once(seed: 6)
            #expect(pc != pa)
        }
    }

    @Test func gradientDescentLearnsMoons() throws {
        let (model, data) = try moonsModel()
        let run = try Trainer.train(model: model, data: data, optimizer: try .sgd(lr: 0.5), steps: 300, every: 50)
        #expect(run.steps == [0, 50, 100, 150, 200, 250, 300])
        #expect(run.stop == .completed && run.stepsTaken == 300)
        #expect((run.loss.last ?? 1) < 0.5 * (run.loss.first ?? 0))
        #expect((run.accuracy.last ?? 0) > 0.85)
        // The final row is the model's loss after the last step: the same pass on the same weights,
        // so equal to a few roundings of a loss below 1 (1e-15 ≈ 4.5ε).
        #expect(abs((run.loss.last ?? 0) - (try model.meanLoss(x: data.x, y: data.y, loss: .crossEntropy))) < 1e-15)
    }

    /// With lr = 0, the size-weighted mean of the batch losses of one epoch is the full loss,
    /// which holds only if an epoch visits every sample exactly once.
    @Test(arguments: [4, 3, 7])
    func minibatchesCoverEachEpochWithoutReplacement(batch: Int) throws {
        let model = try MLP(sizes: [2, 5, 2], seed: 3)
        let data = try Dataset.moons(n: 10, noise: 0.3, seed: 1)
        let full = try model.meanLoss(x: data.x, y: data.y, loss: .crossEntropy)
        let perEpoch = (10 + batch - 1) / batch
        let run = try Trainer.train(model: model, data: data, optimizer: try .sgd(lr: 0), steps: 2 * perEpoch,
                                    batch: batch, every: 100, seed: 9)
        for epoch in 0..<2 {
            var mean = 0.0
            for b in 0..<perEpoch {
                let size = min(batch, 10 - b * batch)
                mean += run.batchLoss[epoch * perEpoch + b] * Double(size) / 10
            }
            // A weighted sum of ≤ 10 batch losses of size ~1 against the 10-row mean: 10·ε ≈ 2e-15.
            #expect(abs(mean - full) < 1e-14)
        }
    }

    @Test func divergenceStopsAndKeepsTheHistory() throws {
        let model = try MLP(sizes: [2, 8, 1], seed: 2)
        let data = try Dataset.teacher(n: 64, dim: 2, seed: 1)
        let run = try Trainer.train(model: model, data: data, optimizer: try .sgd(lr: 1e6), steps: 100, every: 1)
        guard case let .diverged(step) = run.stop else {
            Issue.record("expected divergence, got \(run.stop)")
            return
        }
        #expect(step > 0 && step < 100)
        #expect(run.steps.count == step && run.stepsTaken == step)
        #expect(run.message?.contains("step \(step)") == true)
        #expect(run.loss.allSatisfy { !$0.isNaN })
    }

    @Test func cancellationKeepsThePartialRun() throws {
        let (model, data) = try moonsModel()
        var polls = 0
        let run = try Trainer.train(model: model, data: data, optimizer: try .sgd(lr: 0.1), steps: 100, every: 2,
                                    shouldStop: { polls += 1; return polls > 7 })
        #expect(run.stop == .cancelled(step: 7))
        #expect(run.stepsTaken == 7 && run.steps == [0, 2, 4, 6])
    }

    @Test func aMeasurementInterruptedByTheStopRequestKeepsThePartialRun() throws {
        let (model, data) = try moonsModel()
        let tracker = InterruptedTracker()
        let run = try Trainer.train(model: model, data: data, optimizer: try .sgd(lr: 0.1), steps: 100, every: 2,
                                    track: ["probe", "grad_norm"], extraTrackers: ["probe": tracker],
                                    shouldStop: { tracker.stopRequested })
        #expect(run.stop == .cancelled(step: 4))
        #expect(run.steps == [0, 2])
        #expect(run.tracked["probe"] == [1, 2])
        #expect(run.tracked["grad_norm"]?.count == 2)
    }

    @Test func aTrackerErrorWithoutAStopRequestStillFails() throws {
        let (model, data) = try moonsModel()
        let tracker = InterruptedTracker()
        #expect(throws: InterruptedTracker.Interrupted.self) {
            try Trainer.train(model: model, data: data, optimizer: try .sgd(lr: 0.1), steps: 100, every: 2,
                              track: ["probe"], extraTrackers: ["probe": tracker], shouldStop: { false })
        }
    }

    @Test func trackersProgressAndSnapshots() throws {
        let (model, data) = try moonsModel()
        let p0 = model.parameters
        let tracker = StepTracker()
        var rows: [TrainProgress] = []
        let (test, _) = try Dataset.moons(n: 60, noise: 0.1, seed: 11).split(frac: 0.5, seed: 1)
        let run = try Trainer.train(model: model, data: data, optimizer: try .sgd(lr: 0.2), steps: 10, every: 3,
                                    track: ["counter", "grad_norm", "weights"], test: test, hessianBatch: 50,
                                    extraTrackers: ["counter": tracker], progress: { rows.append($0) })
        #expect(run.steps == [0, 3, 6, 9, 10])
        #expect(tracker.seen == [0, 3, 6, 9, 10])
        #expect(run.tracked["counter"] == [0, 30, 60, 90, 100])
        #expect(run.tracked["counter.rows"] == [50, 50, 50, 50, 50])
        #expect(run.trackerMatvecs["counter"] == 10)
        #expect(run.trackedNames == ["counter", "grad_norm"])
        #expect(run.weights.count == 5 && run.weights[0] == p0 && run.weights[4] == model.parameters)
        #expect(rows.map(\.step) == run.steps)
        #expect(rows[0].fields.map(\.0) == ["loss", "acc", "test_loss", "lr", "counter", "grad_norm"])
        #expect(run.testLoss.allSatisfy { $0.isFinite })
        // grad_norm at row 0 is the norm of the gradient on a fixed 50-sample subset at p0.
        let g0 = run.tracked["grad_norm"]?.first ?? 0
        let fresh = try MLP(sizes: [2, 16, 2], activation: .tanh, seed: 1)
        let e = fresh.makeEvaluation()
        try e.prepare(model: fresh, x: data.x, y: data.y, loss: .crossEntropy, withGradient: true)
        var fullGradient: [Double] = []
        try e.gradient(into: &fullGradient)
        let fullNorm = norm(fullGradient)
        #expect(g0 > 0 && abs(g0 - fullNorm) < fullNorm)   // a subset's gradient, same scale
    }

    @Test func registryResolvesNamesAndRejectsUnknownOnes() throws {
        TrackerRegistry.shared.register("test_constant", summary: "always 7") { ConstantTracker() }
        #expect(TrackerRegistry.shared.names.contains("grad_norm"))
        #expect(TrackerRegistry.shared.names.contains("weights"))
        let (model, data) = try moonsModel()
        let run = try Trainer.train(model: model, data: data, optimizer: try .sgd(lr: 0.1), steps: 2,
                                    track: ["test_constant"])
        #expect(run.tracked["test_constant"] == [7, 7, 7])
        #expect(throws: LearnError.self) {
            try Trainer.train(model: model, data: data, optimizer: try .sgd(lr: 0.1), steps: 2, track: ["nonsense"])
        }
        #expect(throws: LearnError.self) {
            try Trainer.train(model: try MLP(sizes: [3, 2]), data: data, optimizer: try .sgd(lr: 0.1))
        }
        #expect(throws: LearnError.self) {
            try Trainer.train(model: model, data: data, optimizer: try .sgd(lr: 0.1), every: 0)
        }
    }

    /// The exit criterion of the digits example: a test accuracy above 95%.
    @Test func digitsReachNinetyFivePercentOnAHeldOutSet() throws {
        let (train, test) = try Dataset.digits().split(frac: 0.8, seed: 0)
        let model = try MLP(sizes: [64, 64, 10], activation: .tanh, seed: 0)
        let run = try Trainer.train(model: model, data: train, optimizer: try .adam(lr: 0.01), steps: 300, batch: 64,
                                    every: 100, test: test, seed: 0)
        #expect((run.testAccuracy.last ?? 0) > 0.95, "test accuracy \(run.testAccuracy)")
    }
}

final class ConstantTracker: Tracker {
    func measure(model: any Model, data: Dataset, state: TrackerState) throws -> Double { 7 }
}
