import Foundation
import Testing
@testable import RitzLearn
import RitzTensor

/// A large batch of a model with independent rows is recorded in two halves (one parallel job
/// each) and the halves' results combined; the same function declared without independent rows
/// is recorded whole. Both are exact, so every quantity agrees to rounding — a few ulps of each
/// summed term, far below 1e-12 relative.
@Suite struct SplitBatchTests {
    /// `model`'s function again, declared with or without independent rows.
    static func twin(_ model: FunctionModel, rowsAreIndependent: Bool) throws -> FunctionModel {
        try FunctionModel(blocks: model.blocks.map { ($0.name, $0.shape) }, parameters: model.parameters,
                          label: model.label, rowsAreIndependent: rowsAreIndependent, forward: model.forward)
    }

    /// Outputs, loss, accuracy, gradient, H v, G v, J v and Jᵀ u of the halves against the whole.
    static func expectHalvesAgree(_ model: FunctionModel, x: Tensor, y: Tensor, loss: LossKind) throws {
        #expect(x.shape[0] >= FunctionModelEvaluation.splitRows)
        let split = try twin(model, rowsAreIndependent: true), whole = try twin(model, rowsAreIndependent: false)
        let a = split.makeEvaluation(), b = whole.makeEvaluation()
        try a.prepare(model: split, x: x, y: y, loss: loss, withGradient: true)
        try b.prepare(model: whole, x: x, y: y, loss: loss, withGradient: true)
        #expect(abs(a.loss - b.loss) <= 1e-12 * max(1, abs(b.loss)))
        #expect(a.accuracy == b.accuracy)
        let (za, zb) = (try a.outputs(), try b.outputs())
        #expect(za.shape == zb.shape && maxAbsDiff(za.storage, zb.storage) <= 1e-12)
        _ = try expectSameDerivatives(a, b, parameters: model.parameterCount)

        // Output products, with targets and without (the outputs recorded on their own).
        var rng = RandomGenerator(seed: 5)
        let v = (0..<model.parameterCount).map { _ in rng.normal() }
        let u = (0..<zb.count).map { _ in rng.normal() }
        let c = split.makeEvaluation()
        try c.prepare(model: split, x: x, y: nil, loss: loss, withGradient: false)
        for e in [a, c] {
            let (ja, jb) = (try e.outputJVP(v), try b.outputJVP(v))
            #expect(ja.count == jb.count && maxAbsDiff(ja, jb) <= 1e-12 * max(1, norm(jb)))
            let (ta, tb) = (try e.outputVJP(u), try b.outputVJP(u))
            #expect(ta.count == tb.count && maxAbsDiff(ta, tb) <= 1e-12 * max(1, norm(tb)))
        }
        #expect(throws: LearnError.self) { try a.outputVJP(Array(u.dropLast())) }
    }

    @Test func mlpWithRealTargets() throws {
        let mlp = try MLP(sizes: [6, 12, 3], activation: .tanh, seed: 3)
        var rng = RandomGenerator(seed: 4)
        let rows = 301  // odd: the halves differ by one row, so their weights differ
        let x = try Tensor.randn([rows, 6], using: &rng), y = try Tensor.randn([rows, 3], using: &rng)
        try SplitBatchTests.expectHalvesAgree(try mlp.functionModel(), x: x, y: y, loss: .mse)
    }

    @Test func cnnWithLabels() throws {
        let cnn = try FunctionModel.cnn(input: [1, 6, 6], channels: [2], classes: 3, kernel: 3, pool: 2, activation: .tanh, seed: 2)
        var rng = RandomGenerator(seed: 6)
        let rows = 260
        let x = try Tensor.randn([rows, 1, 6, 6], using: &rng)
        let y = Tensor((0..<rows).map { _ in Double(rng.int(below: 3)) })
        try SplitBatchTests.expectHalvesAgree(cnn, x: x, y: y, loss: .crossEntropy)
    }

    /// One evaluation prepared again and again, as a trainer does, keeps each half's labels
    /// converted while the targets are the same tensor and converts new targets afresh: every
    /// preparation gives the loss and gradient of a new evaluation, bit for bit.
    @Test func keptLabelsFollowTheTargets() throws {
        let model = try MLP(sizes: [5, 8, 3], activation: .tanh, seed: 4).functionModel()
        var rng = RandomGenerator(seed: 9)
        let rows = 300
        let x = try Tensor.randn([rows, 5], using: &rng)
        let y1 = Tensor((0..<rows).map { _ in Double(rng.int(below: 3)) })
        let y2 = Tensor((0..<rows).map { _ in Double(rng.int(below: 3)) })
        func fresh(_ y: Tensor) throws -> (Double, [Double]) {
            let e = model.makeEvaluation()
            try e.prepare(model: model, x: x, y: y, loss: .crossEntropy, withGradient: true)
            var g = [Double]()
            try e.gradient(into: &g)
            return (e.loss, g)
        }
        let kept = model.makeEvaluation()
        for y in [y1, y1, y2, y1] {
            try kept.prepare(model: model, x: x, y: y, loss: .crossEntropy, withGradient: true)
            var g = [Double]()
            try kept.gradient(into: &g)
            let (loss, gradient) = try fresh(y)
            #expect(kept.loss == loss && g == gradient)
        }
    }

    /// The half recorded on a worker thread counts against the caller's memory account: the
    /// account holds about as much after preparing in halves as after preparing whole (without
    /// the account carried over, one half's tape would be missing from it).
    @Test func halvesCountAgainstTheCallersAccount() throws {
        let mlp = try MLP(sizes: [8, 64, 4], activation: .tanh, seed: 1)
        let model = try mlp.functionModel()
        var rng = RandomGenerator(seed: 8)
        let rows = 2000
        let x = try Tensor.randn([rows, 8], using: &rng)
        let y = Tensor((0..<rows).map { _ in Double(rng.int(below: 4)) })
        func liveAfterPreparing(_ independent: Bool) throws -> Int {
            let m = try SplitBatchTests.twin(model, rowsAreIndependent: independent)
            return try AllocationLimit.withLimit(bytes: 1 << 30) {
                let e = m.makeEvaluation()
                try e.prepare(model: m, x: x, y: y, loss: .crossEntropy, withGradient: false)
                return withExtendedLifetime(e) { AllocationLimit.liveBytes }
            }
        }
        let (split, whole) = (try liveAfterPreparing(true), try liveAfterPreparing(false))
        #expect(Double(split) >= 0.9 * Double(whole), "in halves \(split) bytes, whole \(whole) bytes")
    }
    /// An evaluation prepared again on the same tensors reuses its cut of the rows, and on other
    /// tensors of the same shape cuts them anew: each prepare gives exactly what a fresh
    /// evaluation gives (same code on the same values, so bit for bit), accuracy included.
    @Test func preparingAgainFollowsTheData() throws {
        let model = try SplitBatchTests.twin(try MLP(sizes: [5, 7, 3], activation: .tanh, seed: 2).functionModel(),
                                             rowsAreIndependent: true)
        var rng = RandomGenerator(seed: 9)
        let rows = 300
        let batches = try (0..<2).map { _ in
            (x: try Tensor.randn([rows, 5], using: &rng), y: Tensor((0..<rows).map { _ in Double(rng.int(below: 3)) }))
        }
        let reused = model.makeEvaluation()
        var g = [Double](), fresh = [Double]()
        for (x, y) in [batches[0], batches[0], batches[1], batches[0]] {
            try reused.prepare(model: model, x: x, y: y, loss: .crossEntropy, withGradient: true)
            let once = model.makeEvaluation()
            try once.prepare(model: model, x: x, y: y, loss: .crossEntropy, withGradient: true)
            #expect(reused.loss == once.loss)
            #expect(reused.accuracy == once.accuracy && reused.accuracy != nil)
            try reused.gradient(into: &g)
            try once.gradient(into: &fresh)
            #expect(g == fresh)
        }
        #expect(batches[0].x.sharesStorage(with: batches[0].x))
        #expect(!batches[0].x.sharesStorage(with: batches[1].x))
        let copy = try Tensor(shape: batches[0].x.shape, storage: batches[0].x.storage.map { $0 })
        #expect(!batches[0].x.sharesStorage(with: copy), "equal values in another array are not the same tensor")
    }
}
