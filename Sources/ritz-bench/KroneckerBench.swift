import Foundation
import RitzLearn
import RitzTensor

/// K-FAC steps against SGD steps on the digits, in the same run: training with `kfac` (factors
/// measured every 10 steps on the batch, labels drawn from the model; every step an exact
/// solve through the eigenbases) and with `sgd`, same model, batches and step count; the
/// figure is the time per step of the first over the second. The bar: ≤ 3×.
enum KroneckerBench {
    static func run(data: Dataset) throws {
        let cases: [(String, () throws -> any Model, Int)] = [
            ("MLP 64-64-10", { try MLP(sizes: [64, 64, 10], activation: .tanh, seed: 0) }, 100),
            ("CNN [16, 32]", { try FunctionModel.cnn(input: [1, 8, 8], channels: [16, 32], classes: 10, seed: 0) }, 20),
        ]
        for (name, make, steps) in cases {
            func seconds(_ optimizer: () throws -> Optimizer) throws -> Double {
                try Bench.median(repeats: 3) {
                    _ = try Trainer.train(model: try make(), data: data, optimizer: try optimizer(), steps: steps, batch: 128,
                                          every: steps, seed: 1)
                }
            }
            let sgd = try seconds { try .sgd(lr: 0.1) }
            let kfac = try seconds { try .kfac(lr: 0.1, damping: 1e-3, updateEvery: 10) }
            let ratio = kfac / sgd
            Bench.report("kfac step / sgd step, \(name), batch 128", ratio, "×",
                         detail: String(format: "factors every 10 steps; %.2f ms against %.2f ms per step (%d steps, incl. the step-0 record)",
                                        kfac / Double(steps) * 1e3, sgd / Double(steps) * 1e3, steps),
                         bar: ("<= 3×", ratio <= 3))
        }
    }
}
