import Foundation
import MLPReference
import RitzAutodiff
import RitzLearn
import RitzTensor

/// One engine (issue 13): the digits MLP (64-64-10 tanh, softmax cross-entropy, all 1797 images,
/// 4810 parameters) through the hand-derived reference kernels (`MLPReference`), through the
/// library's `MLP` (the tape, each layer one fused `linear` node), and written by a user as a
/// function of its blocks over unfused primitives (`model(fn, params)`). Gradient (forward and
/// backward), HVP at a prepared point and with its forward pass, 500 full-batch GD steps and
/// 2000 on batches of 32 rows (where the recording's own cost, not the products, shows); the
/// two paths of each bar alternate round by round in rounds of their own, so a change in the
/// machine's load falls on both; times are medians over the rounds and ratios the medians of
/// each round's ratio. Bars (the whole data set's): tape ≤ 1.05× the kernels, the user's function
/// ≤ 1.25× the tape.
enum EngineBench {
    /// The argument that makes ritz-bench only train the digits MLP full batch through one path
    /// (`--engine-gd kernels|tape|function [STEPS [THREADS [BATCH]]]`, BATCH 0 the full batch), so
    /// a profiler or a whole-process timer sees that path alone.
    static let gdChildArgument = "--engine-gd"
    /// The same for Hessian-vector products with their forward pass
    /// (`--engine-hvp kernels|tape|function [CALLS [THREADS]]`).
    static let hvpChildArgument = "--engine-hvp"

    /// The digits MLP as evaluated by `path`.
    private static func model(_ path: String) throws -> any Model {
        let tape = try MLP(sizes: [64, 64, 10], activation: .tanh, seed: 0)
        switch path {
        case "kernels": return ReferenceMLP(tape)
        case "tape": return tape
        case "function": return try tape.functionModel()
        default: throw Peer.Failure(description: "the engine child takes kernels, tape or function, got \(path)")
        }
    }

    /// In the child: `steps` GD steps (sgd 0.5) of the digits MLP through `path`, on batches of
    /// `batch` rows (0: all of them).
    static func gdChild(path: String, steps: Int, threads: Int?, batch: Int) throws {
        if let threads { Parallel.threads = Swift.max(1, threads) }
        let data = try Dataset.digits()
        let model = try model(path)
        let run = try Trainer.train(model: model, data: data, optimizer: try .sgd(lr: 0.5), steps: steps,
                                    batch: batch, every: steps)
        print("\(path): \(run.stepsTaken) steps")
    }

    /// In the child: `calls` Hessian-vector products over all the digits, each with its forward
    /// pass, of the digits MLP through `path`.
    static func hvpChild(path: String, calls: Int, threads: Int?) throws {
        if let threads { Parallel.threads = Swift.max(1, threads) }
        let data = try Dataset.digits()
        let model = try model(path)
        var rng = RandomGenerator(seed: 1)
        let v = (0..<model.parameterCount).map { _ in rng.normal() }
        var out = [Double]()
        let products = ModelCalls(model, on: data)
        for _ in 0..<calls { try products.hvp(v, into: &out) }
        print("\(path): \(calls) HVPs, |Hv|_1 = \(out.reduce(0) { $0 + abs($1) })")
    }

    static func run() throws {
        Bench.section("engine (MLP 64-64-10 tanh, ce, 1797 digits: reference kernels, the mlp on the tape, user function)")
        let data = try Dataset.digits()
        let tape = try MLP(sizes: [64, 64, 10], activation: .tanh, seed: 0)
        let kernels = ReferenceMLP(tape)
        let function = try tape.functionModel()
        let models: [(name: String, model: any Model)] = [("kernels", kernels), ("tape", tape), ("function", function)]
        var rng = RandomGenerator(seed: 1)
        let v = (0..<kernels.parameterCount).map { _ in rng.normal() }
        var out = [Double]()
        let minibatchSteps = 2000

        // Gradients and HVPs at a new point each call go through one evaluation per model kept
        // across calls, as the trainer and the trackers keep one (each call still prepares the
        // batch afresh at the current parameters).
        let calls = models.map { ModelCalls($0.model, on: data) }
        let prepared = try calls.map { c -> any ModelEvaluation in
            let e = try c.prepared()
            try e.hvp(v, into: &out)
            return e
        }
        /// Seconds per call of each measurement, by "measurement model" key, one entry a round.
        var samples: [String: [Double]] = [:]
        /// The first call after the other path ran refills caches that path evicted; it is made
        /// untimed, so a sample is the steady state a training loop sees.
        func sample(_ key: String, calls: Int, warmUp: Bool = true, _ body: () throws -> Void) rethrows {
            if warmUp { try body() }
            let t0 = Bench.now()
            for _ in 0..<calls { try body() }
            samples[key, default: []].append((Bench.now() - t0) / Double(calls))
        }
        /// Every measurement of model `i`, its samples keyed with `label`.
        func measure(_ i: Int, as label: String, gd: Bool) throws {
            let m = models[i]
            try sample("grad " + label, calls: 10) { try calls[i].gradient(into: &out) }
            try sample("hvp " + label, calls: 10) { try prepared[i].hvp(v, into: &out) }
            try sample("hvp+fwd " + label, calls: 10) { try calls[i].hvp(v, into: &out) }
            guard gd else { return }
            try sample("gd " + label, calls: 1, warmUp: false) {
                let start = m.model.parameters
                defer { m.model.parameters = start }
                let run = try Trainer.train(model: m.model, data: data, optimizer: try .sgd(lr: 0.5), steps: 500, every: 500)
                guard run.stepsTaken == 500 else { throw Peer.Failure(description: "training stopped after \(run.stepsTaken) steps") }
            }
            try sample("minibatch " + label, calls: 1, warmUp: false) {
                let start = m.model.parameters
                defer { m.model.parameters = start }
                let run = try Trainer.train(model: m.model, data: data, optimizer: try .sgd(lr: 0.1), steps: minibatchSteps,
                                            batch: 32, every: minibatchSteps, seed: 0)
                guard run.stepsTaken == minibatchSteps else { throw Peer.Failure(description: "training stopped after \(run.stepsTaken) steps") }
            }
        }
        // Each bar compares two paths measured in rounds of their own, one after the other in
        // turn and in reverse order every other round, as a whole-process timer pairs its runs:
        // neither the machine's drift nor the caches the previous path left favours one, and the
        // third path never runs between the two compared.
        // On a shared machine one round's ratio can be off by a tenth, so the median comes from
        // many, and their quartiles are printed beside it.
        let (rounds, gdRounds) = (16, 6)
        for (a, b) in [(1, 0), (2, 1)] {
            let pair = "\(models[a].name)/\(models[b].name)"
            for round in 0..<rounds {
                for i in round % 2 == 0 ? [a, b] : [b, a] {
                    try measure(i, as: "\(models[i].name) in \(pair)", gd: round < gdRounds)
                }
            }
        }
        func med(_ key: String) -> Double { Bench.medianOf(samples[key] ?? []) }
        /// Path a's samples over path b's, round by round, from their own comparison.
        func pairedRatios(_ key: String, _ a: String, _ b: String) -> (median: Double, spread: String) {
            let pair = "\(a)/\(b)"
            return Bench.pairedSummary(zip(samples["\(key) \(a) in \(pair)"] ?? [], samples["\(key) \(b) in \(pair)"] ?? []).map { $0 / $1 })
        }
        for (key, label, unit, scale) in [("grad", "gradient (forward + backward)", "ms", 1e3), ("hvp", "HVP at a prepared point", "ms", 1e3),
                                          ("hvp+fwd", "HVP with its forward pass", "ms", 1e3), ("gd", "500 full-batch GD steps", "s", 1.0),
                                          ("minibatch", "\(minibatchSteps) GD steps, batches of 32", "s", 1.0)] {
            Bench.report("\(label): reference kernels", med(key + " kernels in tape/kernels") * scale, unit)
            Bench.report("\(label): tape", med(key + " tape in tape/kernels") * scale, unit)
            Bench.report("\(label): user function", med(key + " function in function/tape") * scale, unit)
            let (tape, function) = (pairedRatios(key, "tape", "kernels"), pairedRatios(key, "function", "tape"))
            // The bars are the whole data set's; on batches of 32 rows the products are short and
            // the recording's own cost shows, reported without one.
            let barred = key != "minibatch"
            Bench.report("  tape / reference kernels", tape.median, "×", detail: tape.spread,
                         bar: barred ? ("<= 1.05", tape.median <= 1.05) : nil)
            Bench.report("  user function / tape", function.median, "×", detail: function.spread,
                         bar: barred ? ("<= 1.25", function.median <= 1.25) : nil)
        }
    }
}
