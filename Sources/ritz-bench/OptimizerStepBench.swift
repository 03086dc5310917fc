import Foundation
import RitzLearn
import RitzTensor

/// Curvature optimizers' steps against an SGD step (issue 17): one training step is a minibatch's
/// forward pass, its gradient and the update (for K-FAC and MKOR also the Kronecker factors,
/// measured every 10 steps on the step's batch), timed exactly as the trainer runs them, on the
/// digits MLP 64-64-10 (full batch and minibatches of 128) and the digits CNN
/// conv8-pool-conv16-pool-dense10 (minibatches of 128), all on the tape.
/// Rounds of steps alternate between the optimizers so a shared machine's load hits both alike;
/// the figure is the ratio of the medians of wall time, beside it the ratio of the medians of
/// process CPU time (every thread, the helpers' spin-waits included: about the wall time on an
/// idle machine, the work done when other processes take the second core).
enum OptimizerStepBench {
    static func run() throws {
        Bench.section("optimizer steps against an SGD step (digits; full batch of 1797 and minibatches of 128)")
        let data = try Dataset.digits()
        let models: [(String, Int, () throws -> any Model)] = [
            ("MLP 64-64-10, full batch", data.count, { try MLP(sizes: [64, 64, 10], activation: .tanh, seed: 0) }),
            ("MLP 64-64-10, batch 128", 128, { try MLP(sizes: [64, 64, 10], activation: .tanh, seed: 0) }),
            ("CNN conv8-conv16, batch 128", 128,
             { try FunctionModel.cnn(input: [1, 8, 8], channels: [8, 16], classes: 10, seed: 0) }),
        ]
        for (name, batch, make) in models {
            let sgd = Stepper(model: try make(), data: data, optimizer: try .sgd(lr: 0.01), batch: batch)
            let mfac = Stepper(model: try make(), data: data, optimizer: try .mfac(lr: 1e-4, window: 32, damping: 1e-4), batch: batch)
            let shampoo = Stepper(model: try make(), data: data, optimizer: try .shampoo(lr: 0.01, updateEvery: 10), batch: batch)
            let kfac = Stepper(model: try make(), data: data, optimizer: try .kfac(lr: 0.01, damping: 1e-2, updateEvery: 10), batch: batch)
            let mkor = Stepper(model: try make(), data: data, optimizer: try .mkor(lr: 0.01, damping: 1e-2, updateEvery: 10), batch: batch)
            let steppers = [sgd, mfac, shampoo, kfac, mkor]
            // 40 warm-up steps fill M-FAC's window; then rounds of 20 steps each (two factor
            // updates for K-FAC and MKOR), alternating.
            var times = [[Double]](repeating: [], count: steppers.count)
            var cpu = times
            for s in steppers { for _ in 0..<40 { try s.step() } }
            for _ in 0..<9 {
                for (i, s) in steppers.enumerated() {
                    let (t0, c0) = (Bench.now(), Bench.cpuNow())
                    for _ in 0..<20 { try s.step() }
                    times[i].append((Bench.now() - t0) / 20)
                    cpu[i].append((Bench.cpuNow() - c0) / 20)
                }
            }
            let wall = times.map(Bench.medianOf), work = cpu.map(Bench.medianOf)
            /// Wall time against SGD's, and the detail: the wall time and the CPU-time ratio.
            func figures(_ i: Int) -> (ratio: Double, detail: String) {
                (wall[i] / wall[0], String(format: "%.3f ms, CPU %.2f× SGD", wall[i] * 1e3, work[i] / work[0]))
            }
            let (fMFAC, fShampoo, fKFAC, fMKOR) = (figures(1), figures(2), figures(3), figures(4))
            Bench.report("M-FAC step, m = 32, \(name)", fMFAC.ratio, "× SGD",
                         detail: fMFAC.detail + String(format: "; SGD %.3f ms, CPU %.3f ms, %d parameters",
                                                      wall[0] * 1e3, work[0] * 1e3, sgd.parameters),
                         bar: ("<= 2x", fMFAC.ratio <= 2))
            Bench.report("Shampoo step, roots every 10, \(name)", fShampoo.ratio, "× SGD", detail: fShampoo.detail)
            Bench.report("K-FAC step, factors every 10, \(name)", fKFAC.ratio, "× SGD", detail: fKFAC.detail,
                         bar: ("<= 3x", fKFAC.ratio <= 3))
            Bench.report("MKOR step, factors every 10, \(name)", fMKOR.ratio, "× SGD", detail: fMKOR.detail)
        }
    }

    /// A model, its optimizer and minibatches drawn as the trainer draws them.
    final class Stepper {
        let model: any Model
        let optimizer: Optimizer
        let evaluation: any ModelEvaluation
        let data: Dataset
        var grad: [Double]
        var rng = RandomGenerator(seed: 1)
        var order: [Int] = []
        var position = Int.max
        let batch: Int
        var parameters: Int { model.parameterCount }

        init(model: any Model, data: Dataset, optimizer: Optimizer, batch: Int) {
            self.batch = min(batch, data.count)
            self.model = model
            self.optimizer = optimizer
            self.data = data
            evaluation = model.makeEvaluation()
            grad = [Double](repeating: 0, count: model.parameterCount)
        }

        /// One training step: the minibatch's forward pass, its gradient and the update.
        func step() throws {
            if position > data.count - batch { order = rng.permutation(data.count); position = 0 }
            let rows = order[position..<(position + batch)]
            try evaluation.prepare(model: model, data: data, rows: rows, loss: .crossEntropy, withGradient: true)
            position += batch
            try evaluation.gradient(into: &grad)
            if optimizer.usesKroneckerFactors {
                try optimizer.refreshCurvature(model: model, loss: .crossEntropy) {
                    let part = try data.subset(Array(rows))
                    return (part.x, part.y)
                }
            }
            try optimizer.step(parameters: &model.parameters, gradient: grad, blocks: model.blocks)
        }
    }

}
