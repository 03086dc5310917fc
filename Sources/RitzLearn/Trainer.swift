import Foundation
import RitzTensor

/// What the trainer reports at every recorded row (for live plots and the status line).
public struct TrainProgress: Sendable {
    /// The step of the row.
    public let step: Int
    /// Steps requested.
    public let total: Int
    /// Training loss.
    public let loss: Double
    /// Training accuracy (NaN for regression).
    public let accuracy: Double
    /// Test loss (NaN without a test set).
    public let testLoss: Double
    /// Learning rate.
    public let lr: Double
    /// Tracked numbers of the row, in the order requested.
    public let tracked: [(String, Double)]
    /// A row.
    ///
    /// - Parameters:
    ///   - step: The step of the row.
    ///   - total: Steps requested.
    ///   - loss: Training loss.
    ///   - accuracy: Training accuracy (NaN for regression).
    ///   - testLoss: Test loss (NaN without a test set).
    ///   - lr: Learning rate.
    ///   - tracked: Tracked numbers in the order requested.
    public init(step: Int, total: Int, loss: Double, accuracy: Double, testLoss: Double, lr: Double,
                tracked: [(String, Double)]) {
        self.step = step
        self.total = total
        self.loss = loss
        self.accuracy = accuracy
        self.testLoss = testLoss
        self.lr = lr
        self.tracked = tracked
    }

    /// Status-line fields: loss, acc, test_loss when present, lr, then the tracked values.
    public var fields: [(String, Double)] {
        var f: [(String, Double)] = [("loss", loss)]
        if !accuracy.isNaN { f.append(("acc", accuracy)) }
        if !testLoss.isNaN { f.append(("test_loss", testLoss)) }
        f.append(("lr", lr))
        return f + tracked
    }
}

/// Trains any ``Model`` with an ``Optimizer`` and records a ``Run``.
public enum Trainer {
    /// Trains `model` in place.
    ///
    /// Minibatches are drawn without replacement: each epoch is a fresh seeded permutation of
    /// the samples cut into consecutive batches (the last one of an epoch may be smaller);
    /// `batch = 0` (or ≥ the number of samples) is full-batch gradient descent. Rows of the
    /// history are recorded every `every` steps and after the last (see ``Run``); each row
    /// calls `progress`. A NaN or infinite loss stops training and keeps the history, with
    /// ``Run/stop`` = `.diverged` and a message; `shouldStop` is polled before every step and
    /// a `true` keeps the partial run (`.cancelled`); a tracker that throws while `shouldStop` is
    /// true (a long measurement that saw the request) ends the run the same way. The same seed gives the same run, bit
    /// for bit.
    ///
    /// - Parameters:
    ///   - model: The model; its parameters are updated.
    ///   - data: Training data.
    ///   - optimizer: The optimizer (its state carries over between calls).
    ///   - steps: Number of updates.
    ///   - batch: Minibatch size, 0 for full batch.
    ///   - every: Rows are recorded every `every` steps.
    ///   - track: Names from ``TrackerRegistry`` and "weights".
    ///   - test: Held-out data for the test loss.
    ///   - seed: Seed of the minibatch order, the measurement subset and the trackers' and
    ///     adahessian's probes.
    ///   - hessianBatch: Size of the fixed measurement subset the trackers use
    ///     (min(N, hessianBatch) samples, chosen at random with the seed when N is larger).
    ///   - loss: The loss; nil picks cross-entropy for class labels and mse otherwise.
    ///   - extraTrackers: Trackers supplied directly, by name (they take precedence over the
    ///     registry).
    ///   - progress: Called with each recorded row; keep it cheap.
    ///   - shouldStop: Polled before each step.
    /// - Returns: The run.
    /// - Throws: `LearnError` for bad arguments, data that does not fit the model, or an
    ///   unknown tracker name; errors thrown by trackers.
    public static func train(model: any Model, data: Dataset, optimizer: Optimizer, steps: Int = 100, batch: Int = 0,
                             every: Int = 1, track: [String] = [], test: Dataset? = nil, seed: UInt64 = 0,
                             hessianBatch: Int = 2048, loss: LossKind? = nil,
                             extraTrackers: [String: any Tracker] = [:],
                             progress: ((TrainProgress) -> Void)? = nil,
                             shouldStop: (() -> Bool)? = nil) throws -> Run {
        guard steps >= 0 else { throw LearnError.invalidArgument("steps must be ≥ 0, got \(steps)") }
        guard batch >= 0 else { throw LearnError.invalidArgument("batch must be ≥ 0 (0 = full batch), got \(batch)") }
        guard every >= 1 else { throw LearnError.invalidArgument("every must be ≥ 1, got \(every)") }
        guard hessianBatch >= 1 else { throw LearnError.invalidArgument("hessian_batch must be ≥ 1, got \(hessianBatch)") }
        try model.checkInputs(sampleShape: data.sampleShape, what: "the data")
        if let test { try model.checkInputs(sampleShape: test.sampleShape, what: "the test data") }
        let kind = loss ?? data.defaultLoss
        let n = data.count
        // The targets once for the whole run: a bad label is named by its row in the data set,
        // not in the minibatch that would first meet it.
        _ = try model.checkedTargets(data.y, rows: n, loss: kind)
        if let test { _ = try model.checkedTargets(test.y, rows: test.count, loss: kind) }

        // Trackers.
        var trackerNames: [String] = []
        var trackers: [(String, any Tracker, TrackerState)] = []
        var snapshotWeights = false
        let shared = SharedPass()
        for name in track {
            if name == "weights" { snapshotWeights = true; continue }
            guard !trackerNames.contains(name) else { continue }
            let tracker: any Tracker
            if let t = extraTrackers[name] {
                tracker = t
            } else if let entry = TrackerRegistry.shared.entry(name) {
                tracker = entry.make()
            } else {
                let known = (TrackerRegistry.shared.names + extraTrackers.keys).sorted().map { "\"\($0)\"" }
                throw LearnError.invalidArgument("unknown tracked quantity \"\(name)\"; known: \(known.joined(separator: ", "))")
            }
            trackerNames.append(name)
            trackers.append((name, tracker, TrackerState(name: name, loss: kind, seed: seed, shared: shared, optimizer: optimizer)))
        }
        var measureData = data
        if !trackers.isEmpty, n > hessianBatch {
            var subsetRng = RandomGenerator(seed: seed ^ 0x4D45_4153_5552_4531)
            measureData = try data.subset(Array(subsetRng.permutation(n).prefix(hessianBatch)).sorted())
        }

        let run = Run(totalSteps: steps, batch: batch, seed: seed, optimizer: optimizer.name,
                      thresholds: optimizer.stabilityThresholds)
        run.trackedNames = trackerNames
        optimizer.reseed(seed ^ 0x4144_4148_4553_5349)
        let productsBefore = optimizer.hessianProducts

        let full = batch == 0 || batch >= n
        let evaluation = model.makeEvaluation(for: data)
        let recordEval = full ? evaluation : model.makeEvaluation(for: data)
        let testEval = test.map { model.makeEvaluation(for: $0) }
        // A bad label stops the run before anything changes: step 0 is always recorded, with full
        // passes over the training and test data, before the first update.
        var rng = RandomGenerator(seed: seed)
        var order: [Int] = []
        var position = n
        var grad = [Double](repeating: 0, count: model.parameterCount)
        var step = 0
        // The minibatch of the step, and its rows as tensors for optimizers that measure curvature on it.
        var batchRows: ArraySlice<Int> = []
        func currentBatch() throws -> (x: Tensor, y: Tensor) {
            let part = try data.subset(Array(batchRows))
            return (part.x, part.y)
        }
        // Seconds of training steps so far (`Run.seconds`), recording and tracking left out.
        var stepSeconds = 0.0

        func record(at s: Int, preparedFull: Bool) throws {
            if !preparedFull { try recordEval.prepare(model: model, x: data.x, y: data.y, loss: kind, withGradient: false) }
            let trainLoss = recordEval.loss
            let acc = recordEval.accuracy ?? .nan
            var tl = Double.nan, ta = Double.nan
            if let test, let testEval {
                try testEval.prepare(model: model, x: test.x, y: test.y, loss: kind, withGradient: false)
                tl = testEval.loss
                ta = testEval.accuracy ?? .nan
            }
            // Every tracker measures before anything is recorded, so a measurement that is
            // interrupted leaves the history with rows of equal length.
            var values: [(String, Double)] = []
            var extras: [(String, Double)] = []
            for (name, tracker, state) in trackers {
                state.step = s
                state.lr = optimizer.lr
                state.extras = [:]
                values.append((name, try tracker.measure(model: model, data: measureData, state: state)))
                for (key, extra) in state.extras.sorted(by: { $0.key < $1.key }) { extras.append(("\(name).\(key)", extra)) }
                run.trackerMatvecs[name] = state.matvecs
            }
            for (name, value) in values + extras { run.tracked[name, default: []].append(value) }
            run.steps.append(s)
            run.loss.append(trainLoss)
            run.accuracy.append(acc)
            run.testLoss.append(tl)
            run.testAccuracy.append(ta)
            run.lr.append(optimizer.lr)
            run.seconds.append(stepSeconds)
            if snapshotWeights { run.weights.append(model.parameters) }
            progress?(TrainProgress(step: s, total: steps, loss: trainLoss, accuracy: acc, testLoss: tl,
                                    lr: optimizer.lr, tracked: values))
        }

        let hvp: (([Double], inout [Double]) throws -> Void)? = optimizer.needsHessian
            ? { z, out in try evaluation.hvp(z, into: &out) } : nil
        while step < steps {
            if let shouldStop, shouldStop() {
                run.stop = .cancelled(step: step)
                run.message = "training interrupted at step \(step) of \(steps); the run keeps the history so far"
                break
            }
            var stepStart = DispatchTime.now().uptimeNanoseconds
            // The step's batch and its forward pass.
            // The gradient is computed in the same pass as the loss (it is discarded if the loss
            // is not finite).
            if full {
                try evaluation.prepare(model: model, x: data.x, y: data.y, loss: kind, withGradient: true)
            } else {
                if position + 1 > n || order.isEmpty {
                    order = rng.permutation(n)
                    position = 0
                }
                let rows = min(batch, n - position)
                batchRows = order[position..<(position + rows)]
                try evaluation.prepare(model: model, data: data, rows: batchRows, loss: kind, withGradient: true)
                position += rows
            }
            let batchLoss = evaluation.loss
            guard batchLoss.isFinite else {
                run.stop = .diverged(step: step)
                run.message = "the loss became \(formatFigure(batchLoss)) at step \(step) (lr \(formatFigure(optimizer.lr))); "
                    + "training stopped and the run keeps the history so far. A smaller learning rate may help."
                break
            }
            run.batchLoss.append(batchLoss)
            if step % every == 0 {
                // The row is recorded mid-step: the step's clock stops while it is.
                let partial = DispatchTime.now().uptimeNanoseconds &- stepStart
                defer { stepStart = DispatchTime.now().uptimeNanoseconds &- partial }
                do {
                    try record(at: step, preparedFull: full)
                } catch where shouldStop?() == true {
                    // A tracker's long measurement saw the stop request: the same as stopping here.
                    run.stop = .cancelled(step: step)
                    run.message = "training interrupted at step \(step) of \(steps); the run keeps the history so far"
                    break
                }
            }
            try evaluation.gradient(into: &grad)
            if optimizer.usesKroneckerFactors {
                try optimizer.refreshCurvature(model: model, loss: kind) { full ? (data.x, data.y) : try currentBatch() }
            }
            if hvp == nil {
                // In place: nothing else holds the model's array (evaluations keep copies of the
                // blocks), so the update writes it without copying it first.
                try optimizer.step(parameters: &model.parameters, gradient: grad, blocks: model.blocks, hvp: nil)
            } else {
                // On a copy: adahessian's products may read the model's parameters (a function
                // model records its second-order pass on demand), which an in-place
                // `&model.parameters` would hold exclusively.
                var updated = model.parameters
                try optimizer.step(parameters: &updated, gradient: grad, blocks: model.blocks, hvp: hvp)
                model.parameters = updated
            }
            stepSeconds += Double(DispatchTime.now().uptimeNanoseconds &- stepStart) * 1e-9
            step += 1
            run.stepsTaken = step
        }
        // The final state, after the last update (not after an interruption, which should stop
        // at once, nor after divergence, whose parameters are not finite).
        if run.stop == .completed, run.steps.last != step { try record(at: step, preparedFull: false) }
        if run.stop == .completed, let last = run.loss.last, !last.isFinite {
            run.stop = .diverged(step: step)
            run.message = "the loss became \(formatFigure(last)) after the last step (lr \(formatFigure(optimizer.lr)))"
        }
        run.optimizerHessianProducts = optimizer.hessianProducts - productsBefore
        return run
    }
}
