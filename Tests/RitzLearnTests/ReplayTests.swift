import Testing
@testable import RitzLearn
import RitzTensor

/// Training steps replayed from the last recording (``GradientReplay``) give the bytes a
/// recorded step gives: the same kernels on the same values. Each case trains two copies of one
/// mlp by hand with the same SGD updates, one through an evaluation kept across steps (which
/// replays from its second step on) and one through a fresh evaluation every step (which always
/// records), and compares loss, gradient and accuracy bit for bit at every step.
@Suite struct ReplayTests {
    /// Loss, gradient and accuracy of each step of plain SGD on `batches`, through a kept
    /// evaluation (`replaying`) or a fresh one per step; also whether each step was replayed.
    static func steps(_ model: MLP, batches: [[Int]?], data: Dataset, loss: LossKind = .crossEntropy,
                      keep: Bool) throws -> (values: [(Double, [Double], Double?)], replayed: [Bool]) {
        let kept = FunctionModelEvaluation()
        var values: [(Double, [Double], Double?)] = []
        var replayed: [Bool] = []
        var g = [Double]()
        for rows in batches {
            let e = keep ? kept : FunctionModelEvaluation()
            if let rows {
                try e.prepare(model: model, data: data, rows: rows[...], loss: loss, withGradient: true)
            } else {
                try e.prepare(model: model, x: data.x, y: data.y, loss: loss, withGradient: true)
            }
            try e.gradient(into: &g)
            values.append((e.loss, g, e.accuracy))
            replayed.append(e.replayedBatch)
            for i in model.parameters.indices { model.parameters[i] -= 0.3 * g[i] }
        }
        return (values, replayed)
    }

    static func compare(_ a: [(Double, [Double], Double?)], _ b: [(Double, [Double], Double?)]) {
        #expect(a.count == b.count)
        for (x, y) in zip(a, b) {
            #expect(x.0.bitPattern == y.0.bitPattern)
            #expect(x.1.map(\.bitPattern) == y.1.map(\.bitPattern))
            #expect(x.2 == y.2)
        }
    }

    /// Minibatches of 32 rows (one part), every activation `linear` fuses and the identity.
    @Test(arguments: Activation.allCases)
    func replayedMinibatchStepsMatchRecordedOnes(activation: Activation) throws {
        let data = try Dataset.digits()
        var rng = RandomGenerator(seed: 3)
        let batches: [[Int]?] = (0..<6).map { _ in Array(rng.permutation(data.count).prefix(32)) }
        let replayed = try Self.steps(try MLP(sizes: [64, 16, 12, 10], activation: activation, seed: 1),
                                      batches: batches, data: data, keep: true)
        let recorded = try Self.steps(try MLP(sizes: [64, 16, 12, 10], activation: activation, seed: 1),
                                      batches: batches, data: data, keep: false)
        Self.compare(replayed.values, recorded.values)
        #expect(replayed.replayed == [false] + [Bool](repeating: true, count: 5))
        #expect(!recorded.replayed.contains(true))
    }

    /// Full batches: all 1797 images (recorded and replayed in two parts on two jobs), 300
    /// minibatch rows (two parts), and a mix of batch sizes that changes the layout twice.
    @Test(arguments: ["full", "300 rows", "mixed sizes"])
    func replayedBatchesInPartsMatchRecordedOnes(kind: String) throws {
        let data = try Dataset.digits()
        var rng = RandomGenerator(seed: 5)
        let batches: [[Int]?]
        switch kind {
        case "full": batches = [nil, nil, nil]
        case "300 rows": batches = (0..<3).map { _ in Array(rng.permutation(data.count).prefix(300)) }
        default: batches = [20, 20, 300, 300, 20, 300].map { Array(rng.permutation(data.count).prefix($0)) }
        }
        let replayed = try Self.steps(try MLP(sizes: [64, 24, 10], activation: .tanh, seed: 2), batches: batches, data: data, keep: true)
        let recorded = try Self.steps(try MLP(sizes: [64, 24, 10], activation: .tanh, seed: 2), batches: batches, data: data, keep: false)
        Self.compare(replayed.values, recorded.values)
        // A replay is kept per batch size (a trainer's minibatches and the shorter last batch of
        // an epoch): a size seen before replays.
        let expected = kind == "mixed sizes" ? [false, true, false, true, true, true] : [false, true, true]
        #expect(replayed.replayed == expected)
    }

    /// The squared error replays too: against one-hot labels (digits), against real targets of
    /// the outputs' shape, and against one target a row for one output (a view of the targets).
    @Test(arguments: ["labels", "targets", "one output"])
    func squaredErrorStepsReplay(kind: String) throws {
        let digits = try Dataset.digits()
        var rng = RandomGenerator(seed: 8)
        let data: Dataset
        let outputs: Int
        switch kind {
        case "labels": (data, outputs) = (digits, 10)
        case "targets":
            let y = try Tensor(shape: [digits.count, 3], storage: (0..<(3 * digits.count)).map { _ in rng.normal() })
            (data, outputs) = (try Dataset(x: digits.x, y: y, name: "targets"), 3)
        default:
            let y = try Tensor(shape: [digits.count], storage: (0..<digits.count).map { _ in rng.normal() })
            (data, outputs) = (try Dataset(x: digits.x, y: y, name: "targets"), 1)
        }
        let batches: [[Int]?] = [nil, nil] + (0..<3).map { _ in Array(rng.permutation(data.count).prefix(40)) }
        let replayed = try Self.steps(try MLP(sizes: [64, 12, outputs], activation: .tanh, seed: 3), batches: batches,
                                      data: data, loss: .mse, keep: true)
        let recorded = try Self.steps(try MLP(sizes: [64, 12, outputs], activation: .tanh, seed: 3), batches: batches,
                                      data: data, loss: .mse, keep: false)
        Self.compare(replayed.values, recorded.values)
        #expect(replayed.replayed == [false, true, false, true, true])
    }

    /// After a replayed step, what the replay does not give (H v, the outputs, J v) records the
    /// batch at the parameters of the step, even when the model has moved on since, and agrees
    /// with a fresh evaluation's.
    @Test(arguments: [false, true])
    func productsAfterAReplayedStepRecordTheBatch(full: Bool) throws {
        let data = try Dataset.digits()
        let model = try MLP(sizes: [64, 10, 10], activation: .tanh, seed: 4)
        let rows = Array(0..<40)
        let e = FunctionModelEvaluation()
        func prepare(_ e: FunctionModelEvaluation) throws {
            if full {
                try e.prepare(model: model, x: data.x, y: data.y, loss: .crossEntropy, withGradient: true)
            } else {
                try e.prepare(model: model, data: data, rows: rows[...], loss: .crossEntropy, withGradient: true)
            }
        }
        try prepare(e)
        try prepare(e)
        #expect(e.replayedBatch)
        let fresh = FunctionModelEvaluation()
        try prepare(fresh)
        for i in model.parameters.indices { model.parameters[i] += 0.5 }
        var rng = RandomGenerator(seed: 1)
        let v = (0..<model.parameterCount).map { _ in rng.normal() }
        var (a, b) = ([Double](), [Double]())
        try e.hvp(v, into: &a)
        try fresh.hvp(v, into: &b)
        #expect(a == b)
        #expect(try e.outputs().storage == fresh.outputs().storage)
        #expect(try e.outputJVP(v) == fresh.outputJVP(v))
        try e.gradient(into: &a)
        try fresh.gradient(into: &b)
        #expect(a == b)
        #expect(e.loss == fresh.loss && e.accuracy == fresh.accuracy)
    }

    /// A label that is not a class, in a batch that would be replayed, is reported as a recorded
    /// step reports it; the evaluation goes on replaying good batches afterwards.
    @Test func aBadLabelInAReplayedBatchIsReportedAsRecorded() throws {
        let digits = try Dataset.digits()
        var labels = digits.y.storage
        labels[7] = 10
        let data = try Dataset(x: digits.x, y: try Tensor(shape: digits.y.shape, storage: labels), name: "digits")
        let model = try MLP(sizes: [64, 8, 10], activation: .tanh, seed: 0)
        let e = FunctionModelEvaluation()
        try e.prepare(model: model, data: data, rows: Array(0..<7)[...], loss: .crossEntropy, withGradient: true)
        func failure(_ e: FunctionModelEvaluation) -> String? {
            do {
                try e.prepare(model: model, data: data, rows: Array(1..<8)[...], loss: .crossEntropy, withGradient: true)
                return nil
            } catch { return "\(error)" }
        }
        let expected = failure(FunctionModelEvaluation())
        #expect(expected != nil)
        #expect(failure(e) == expected)
        try e.prepare(model: model, data: data, rows: Array(8..<15)[...], loss: .crossEntropy, withGradient: true)
        #expect(e.replayedBatch)
    }
}
