import Foundation
import RitzAutodiff
import MLPReference
import Testing
@testable import RitzLearn
import RitzTensor

/// Two evaluations of one network prepared on one batch (the tape against the hand-derived
/// reference kernels, or two tape forms): the gradient, H v and G v (v from seed 9) agree to
/// 1e-12 relative: both are exact, so they differ by rounding only — a few ulps of each summed
/// term.
///
/// - Returns: The first evaluation's gradient.
func expectSameDerivatives(_ a: any ModelEvaluation, _ b: any ModelEvaluation, parameters n: Int) throws -> [Double] {
    var ga: [Double] = [], gb: [Double] = []
    try a.gradient(into: &ga)
    try b.gradient(into: &gb)
    #expect(maxAbsDiff(ga, gb) <= 1e-12 * max(1, norm(ga)))
    var rng = RandomGenerator(seed: 9)
    let v = (0..<n).map { _ in rng.normal() }
    var ha: [Double] = [], hb: [Double] = []
    try a.hvp(v, into: &ha)
    try b.hvp(v, into: &hb)
    #expect(maxAbsDiff(ha, hb) <= 1e-12 * max(1, norm(ha)), "H v differs by \(maxAbsDiff(ha, hb))")
    try a.ggnvp(v, into: &ha)
    try b.ggnvp(v, into: &hb)
    #expect(maxAbsDiff(ha, hb) <= 1e-12 * max(1, norm(ha)), "G v differs by \(maxAbsDiff(ha, hb))")
    return ga
}

@Suite struct FunctionModelTests {
    /// Loss, gradient, H v and G v of the mlp as a user function (`MLP.functionModel()`, what a
    /// user writes with `model(fn, params)`) agree with the reference kernels: both are exact, so
    /// they differ by rounding only — a few ulps of each summed term, far below 1e-12 relative.
    @Test(arguments: problems)
    func twinAgreesWithTheKernels(problem: Problem) throws {
        let (mlp, x, y) = try problem.make()
        let twin = try mlp.functionModel()
        let reference = ReferenceMLP(mlp)
        let a = reference.makeEvaluation(), b = twin.makeEvaluation()
        try a.prepare(model: reference, x: x, y: y, loss: problem.loss, withGradient: true)
        try b.prepare(model: twin, x: x, y: y, loss: problem.loss, withGradient: true)
        #expect(abs(a.loss - b.loss) <= 1e-12 * max(1, abs(a.loss)))
        #expect(a.accuracy == b.accuracy)
        let ga = try expectSameDerivatives(a, b, parameters: mlp.parameterCount)
        var gb: [Double] = []
        #expect(b.products == 2)
        // The gradient is still right after curvature products (the recorded point is reused).
        try b.gradient(into: &gb)
        #expect(maxAbsDiff(ga, gb) <= 1e-12 * max(1, norm(ga)))
    }

    /// H v against central differences of the tape's own gradient: truncation h²/6·|∂⁴L| and
    /// rounding ε‖g‖/h with h = 1e-5 stay below 1e-6·(1 + ‖Hv‖).
    @Test(arguments: problems)
    func hvpMatchesDifferencesOfTheGradient(problem: Problem) throws {
        let (mlp, x, y) = try problem.make()
        let twin = try mlp.functionModel()
        let e = twin.makeEvaluation()
        try e.prepare(model: twin, x: x, y: y, loss: problem.loss, withGradient: false)
        var rng = RandomGenerator(seed: 4)
        let v = (0..<twin.parameterCount).map { _ in rng.normal() }
        var hv: [Double] = []
        try e.hvp(v, into: &hv)
        let p0 = twin.parameters, h = 1e-5
        func gradient(at p: [Double]) throws -> [Double] {
            try twin.setParameters(p)
            let g = twin.makeEvaluation()
            try g.prepare(model: twin, x: x, y: y, loss: problem.loss, withGradient: true)
            var out: [Double] = []
            try g.gradient(into: &out)
            return out
        }
        let gp = try gradient(at: zip(p0, v).map { $0 + h * $1 })
        let gm = try gradient(at: zip(p0, v).map { $0 - h * $1 })
        let fd = zip(gp, gm).map { ($0 - $1) / (2 * h) }
        #expect(maxAbsDiff(hv, fd) <= 1e-6 * (1 + norm(hv)), "max |Hv − fd| = \(maxAbsDiff(hv, fd))")
    }

    /// Training the twin reproduces the reference kernels' run: the same batches, the same
    /// updates, losses equal to 1e-12 relative after 25 minibatch Adam steps with a tracker.
    @Test func twinTrainsAsTheMLP() throws {
        let data = try Dataset.moons(n: 120, noise: 0.1, seed: 3)
        let mlp = try ReferenceMLP(sizes: [2, 8, 2], activation: .tanh, seed: 1)
        let twin = try mlp.network.functionModel()
        let ra = try Trainer.train(model: mlp, data: data, optimizer: try .adam(lr: 0.02), steps: 25, batch: 32, every: 5,
                                   track: ["grad_norm"], seed: 2)
        let rb = try Trainer.train(model: twin, data: data, optimizer: try .adam(lr: 0.02), steps: 25, batch: 32, every: 5,
                                   track: ["grad_norm"], seed: 2)
        #expect(ra.steps == rb.steps)
        #expect(maxAbsDiff(ra.loss, rb.loss) <= 1e-12)
        #expect(maxAbsDiff(ra.batchLoss, rb.batchLoss) <= 1e-12)
        #expect(maxAbsDiff(ra.tracked["grad_norm"] ?? [], rb.tracked["grad_norm"] ?? [1]) <= 1e-12)
        #expect(maxAbsDiff(mlp.parameters, twin.parameters) <= 1e-12)
        #expect(ra.accuracy == rb.accuracy)
    }

    /// One evaluation prepared step after step, as a trainer prepares it — new parameters and new
    /// rows each time, a batch recorded in one part (its parameter blocks then rewritten in place)
    /// or in two — gives each time the very bytes a fresh evaluation gives there: the gradient and
    /// H v, so nothing of an earlier step's blocks or recordings shows.
    @Test(arguments: [32, 300])
    func reusedEvaluationFollowsTheParameters(rows: Int) throws {
        let data = try Dataset.digits()
        let mlp = try MLP(sizes: [64, 16, 10], activation: .tanh, seed: 2)
        let start = mlp.parameters
        var rng = RandomGenerator(seed: 5)
        let v = (0..<mlp.parameterCount).map { _ in rng.normal() }
        let kept = mlp.makeEvaluation()
        for step in 0..<3 {
            mlp.parameters = zip(start, v).map { $0 + 0.1 * Double(step) * $1 }
            let batch = Array(step * rows..<(step + 1) * rows)[...]
            let fresh = mlp.makeEvaluation()
            var (gk, gf, hk, hf) = ([Double](), [Double](), [Double](), [Double]())
            for e in [kept, fresh] { try e.prepare(model: mlp, data: data, rows: batch, loss: .crossEntropy, withGradient: true) }
            try kept.gradient(into: &gk)
            try fresh.gradient(into: &gf)
            try kept.hvp(v, into: &hk)
            try fresh.hvp(v, into: &hf)
            let (sameGradient, sameHv) = (gk == gf, hk == hf)
            #expect(sameGradient, "step \(step): ∇L differs by \(maxAbsDiff(gk, gf))")
            #expect(sameHv, "step \(step): H v differs by \(maxAbsDiff(hk, hf))")
        }
    }

    /// Blocks are laid out in order, each row-major, and named as given; a repeated name or a
    /// count that does not fill them is refused.
    @Test func blocksAndErrors() throws {
        let m = try FunctionModel(blocks: [("w", [2, 3]), ("b", [2])], parameters: Array(1...8).map(Double.init), label: "m") { p, x in
            try Var(x).matmul(try p[0].T) + p[1]
        }
        #expect(m.blocks.map(\.offset) == [0, 6])
        #expect(try m.block(named: "b").range == 6..<8)
        #expect(throws: LearnError.self) { try m.block(named: "c") }
        #expect(try m.predict(try Tensor(shape: [1, 3], storage: [1, 0, 0])).storage == [1 + 7, 4 + 8])
        #expect(throws: LearnError.self) {
            try FunctionModel(blocks: [("w", [2])], parameters: [1], label: "m") { _, x in Var(x) }
        }
        #expect(throws: LearnError.self) {
            try FunctionModel(blocks: [("w", [1]), ("w", [1])], parameters: [1, 2], label: "m") { _, x in Var(x) }
        }
        // Curvature needs targets.
        let e = m.makeEvaluation()
        try e.prepare(model: m, x: try Tensor.zeros([2, 3]), y: nil, loss: .mse, withGradient: false)
        var out: [Double] = []
        #expect(throws: LearnError.self) { try e.hvp([Double](repeating: 0, count: 8), into: &out) }
        #expect(try e.outputs().shape == [2, 2])
    }
}
