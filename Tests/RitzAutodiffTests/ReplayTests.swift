import Testing
import RitzTensor
@testable import RitzAutodiff

/// A recorded loss replayed (``GradientReplay``) at new parameters, inputs and labels gives, bit
/// for bit, the loss and gradient of a new recording there: the replay runs the primitives' own
/// passes in the tape's order.
@Suite struct GradientReplayTests {
    /// Blocks w (4 × 3), b (4), v (4 × 4), c (4), u (5 × 4), d (5) and an unused e (2): a tanh
    /// layer, a relu layer applied twice with the same v and c (its weights' cotangents added
    /// twice), a plain layer to 5 classes, the mean cross-entropy. The inputs come as one flat
    /// vector of 3 values a row, reshaped inside (a view of the inputs reads the new inputs too).
    static let shapes: [[Int]] = [[4, 3], [4], [4, 4], [4], [5, 4], [5], [2]]

    /// The losses: cross-entropy at labels, the squared error against one-hot labels, and
    /// against real targets (5 a row).
    static let losses = ["cross_entropy", "mse classes", "mse"]

    static func record(_ blocks: [Tensor], _ x: Tensor, _ targets: Tensor, loss: String = "cross_entropy") throws -> Linearization {
        try Linearization(at: blocks, outputs: { p in
            let h = try Var.linear(Var(try x.reshaped([x.count / 3, 3])), p[0], p[1], activation: .tanh)
            let r = try Var.linear(try Var.linear(h, p[2], p[3], activation: .relu), p[2], p[3], activation: .relu)
            return try Var.linear(r, p[4], p[5])
        }, loss: { z in
            switch loss {
            case "cross_entropy": return try z.crossEntropy(targets)
            case "mse classes": return try z.mse(classes: try ClassLabels(targets, classes: 5, op: "mse"))
            default: return try z.mse(Var(try targets.reshaped(z.shape)))
            }
        })
    }

    /// Targets for `rows` rows: a label a row, or 5 values a row against `mse`.
    static func targets(_ rng: inout RandomGenerator, rows: Int, loss: String) throws -> Tensor {
        loss == "mse" ? try random(&rng, [rows * 5]) : Tensor((0..<rows).map { _ in Double(Int(rng.uniform() * 5) % 5) })
    }

    static func random(_ rng: inout RandomGenerator, _ shape: [Int], scale: Double = 0.7) throws -> Tensor {
        try Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in scale * rng.normal() })
    }

    @Test(arguments: [6, 300], losses)
    func replayedLossAndGradientAreARecordingsBytes(rows: Int, loss: String) throws {
        var rng = RandomGenerator(seed: 11)
        let first = try Self.shapes.map { try Self.random(&rng, $0) }
        let x0 = try Self.random(&rng, [rows * 3])
        let y0 = try Self.targets(&rng, rows: rows, loss: loss)
        guard let replay = try Self.record(first, x0, y0, loss: loss).replay(inputs: x0, targets: y0) else {
            Issue.record("no replay")
            return
        }
        #expect(replay.inputCount == rows * 3 && replay.targetCount == y0.count && replay.parameterCount == 63)
        for _ in 0..<3 {
            let blocks = try Self.shapes.map { try Self.random(&rng, $0) }
            let x = try Self.random(&rng, [rows * 3])
            let y = try Self.targets(&rng, rows: rows, loss: loss)
            let flat = blocks.flatMap(\.storage)
            try flat.withUnsafeBufferPointer { p in
                try x.storage.withUnsafeBufferPointer { xs in
                    try y.storage.withUnsafeBufferPointer { ys in try replay.run(parameters: p, inputs: xs, targets: ys) }
                }
            }
            var replayed = [Double](repeating: .nan, count: 63)
            try replayed.withUnsafeMutableBufferPointer { try replay.addGradient(weight: 1, into: $0, accumulate: false) }
            let recorded = try Self.record(blocks, x, y, loss: loss)
            #expect(replay.loss.bitPattern == recorded.value.bitPattern)
            #expect(replayed.map(\.bitPattern) == (try recorded.gradient()).storage.map(\.bitPattern))
            // The unused block's gradient is zero; the outputs are the recording's.
            #expect(replayed[61...] == [0, 0])
            #expect(Array(replay.outputs) == recorded.outputs.storage && replay.outputShape == [rows, 5])
        }
    }

    /// Labels that are not classes are refused with cross-entropy's own message; buffers of the
    /// wrong length are refused; a recording with a primitive that has no replay has none.
    @Test func badRunsAreRefusedAndUnreplayableRecordingsHaveNoReplay() throws {
        var rng = RandomGenerator(seed: 2)
        let blocks = try Self.shapes.map { try Self.random(&rng, $0) }
        let x = try Self.random(&rng, [4, 3])
        let labels = Tensor([0, 1, 2, 3])
        let replay = try #require(try Self.record(blocks, x, labels).replay(inputs: x, targets: labels))
        let flat = blocks.flatMap(\.storage)
        func run(_ p: [Double], _ xs: [Double], _ ys: [Double]) throws {
            try p.withUnsafeBufferPointer { p in
                try xs.withUnsafeBufferPointer { xs in
                    try ys.withUnsafeBufferPointer { ys in try replay.run(parameters: p, inputs: xs, targets: ys) }
                }
            }
        }
        #expect(throws: TensorError.invalidArgument("cross_entropy needs labels that are whole numbers in 0..<5, got 5")) {
            try run(flat, x.storage, [0, 5, 1, 1])
        }
        #expect(throws: TensorError.invalidArgument("cross_entropy needs labels that are whole numbers in 0..<5, got 1.5")) {
            try run(flat, x.storage, [0, 1.5, 1, 1])
        }
        #expect(throws: AutodiffError.self) { try run(Array(flat.dropLast()), x.storage, [0, 1, 1, 1]) }
        #expect(throws: AutodiffError.self) { try run(flat, Array(x.storage.dropLast()), [0, 1, 1, 1]) }
        #expect(throws: AutodiffError.self) { try run(flat, x.storage, [0, 1, 1]) }
        try run(flat, x.storage, [0, 1, 2, 3])
        #expect(replay.loss.isFinite)
        // A sum of two layers: `+` has no replay.
        let sum = try Linearization(at: Array(blocks.prefix(2)), outputs: { p in
            try Var.linear(Var(x), p[0], p[1]) + Var.linear(Var(x), p[0], p[1], activation: .tanh)
        }, loss: { z in try z.crossEntropy(Tensor([0, 1, 2, 3])) })
        #expect(sum.replay(inputs: x, targets: labels) == nil)
    }
}
