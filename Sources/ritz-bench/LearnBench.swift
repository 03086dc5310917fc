import Foundation
import RitzLang
import RitzLearn
import RitzTensor

/// Built-in MLP kernels and training (learning issue): MLP 64-64-10 tanh, cross-entropy, all
/// 1797 digits, 4810 parameters, against the JAX figures of the issue.
enum LearnBench {
    static func cpuNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    static func run() throws {
        Bench.section("learn (MLP 64-64-10 tanh, ce, 1797 digits)")
        let data = try Dataset.digits()
        let model = try MLP(sizes: [64, 64, 10], activation: .tanh, seed: 0)
        var rng = RandomGenerator(seed: 1)
        let v = (0..<model.parameterCount).map { _ in rng.normal() }
        var g = [Double](repeating: 0, count: model.parameterCount)
        var out = g
        let inner = 50

        func perCall(_ body: () throws -> Void) throws -> Double {
            try Bench.median(repeats: 7, warmup: 1) { for _ in 0..<inner { try body() } } / Double(inner)
        }
        /// Process CPU seconds per call (all threads): the work done, whatever the machine's load.
        func cpuPerCall(_ body: () throws -> Void) throws -> Double {
            let c0 = cpuNow()
            for _ in 0..<inner { try body() }
            return (cpuNow() - c0) / Double(inner)
        }

        let threadSettings = MLPEvaluation.threads > 1 ? [1, MLPEvaluation.threads] : [1]
        var best: (grad: Double, hvp: Double) = (.infinity, .infinity)
        for threads in threadSettings {
            MLPEvaluation.threads = threads
            let tGrad = try perCall { try model.gradient(x: data.x, y: data.y, into: &g) }
            let point = try model.linearize(x: data.x, y: data.y)
            let tHvp = try perCall { _ = try model.hvp(x: data.x, y: data.y, v: v) }
            let tHvpCached = try perCall { try point.hvp(v, into: &out) }
            let tGgn = try perCall { try point.ggnvp(v, into: &out) }
            let cGrad = try cpuPerCall { try model.gradient(x: data.x, y: data.y, into: &g) }
            let cHvp = try cpuPerCall { _ = try model.hvp(x: data.x, y: data.y, v: v) }
            Bench.report("gradient, \(threads) thread(s)", tGrad * 1e3, "ms",
                         detail: String(format: "JAX 1.07 ms, ratio %.2f; CPU %.3f ms", tGrad * 1e3 / 1.07, cGrad * 1e3))
            Bench.report("HVP with forward pass, \(threads) thread(s)", tHvp * 1e3, "ms",
                         detail: String(format: "JAX 1.86 ms, ratio %.2f; CPU %.3f ms", tHvp * 1e3 / 1.86, cHvp * 1e3))
            Bench.report("HVP at a prepared point, \(threads) thread(s)", tHvpCached * 1e3, "ms")
            Bench.report("GGN-vector at a prepared point, \(threads) thread(s)", tGgn * 1e3, "ms")
            best.grad = min(best.grad, tGrad)
            best.hvp = min(best.hvp, tHvp)
        }
        MLPEvaluation.threads = threadSettings.last ?? 1
        Bench.report("gradient (best)", best.grad * 1e3, "ms", bar: ("<= 1.07 ms", best.grad * 1e3 <= 1.07))
        Bench.report("HVP with forward pass (best)", best.hvp * 1e3, "ms", bar: ("<= 1.86 ms", best.hvp * 1e3 <= 1.86))

        try languagePath(builtinGrad: best.grad, builtinHvp: best.hvp)

        var rates: [Double] = []
        for _ in 0..<3 {
            let m = try MLP(sizes: [64, 64, 10], activation: .tanh, seed: 0)
            let opt = try Optimizer.sgd(lr: 0.5)
            let t0 = Bench.now()
            let run = try Trainer.train(model: m, data: data, optimizer: opt, steps: 500, every: 500)
            let dt = Bench.now() - t0
            precondition(run.stepsTaken == 500)
            rates.append(500 / dt)
        }
        rates.sort()
        let rate = rates[rates.count / 2]
        Bench.report("full-batch GD, 500 steps", rate, "steps/s",
                     detail: String(format: "JAX 1125 steps/s, ratio %.2f", rate / 1125),
                     bar: (">= 1125 steps/s", rate >= 1125))
        let m = try MLP(sizes: [64, 64, 10], activation: .tanh, seed: 0)
        let t0 = Bench.now()
        _ = try Trainer.train(model: m, data: data, optimizer: try Optimizer.sgd(lr: 0.5), steps: 500, every: 1)
        Bench.report("full-batch GD, 500 steps, a row every step", 500 / (Bench.now() - t0), "steps/s")
        let m2 = try MLP(sizes: [64, 64, 10], activation: .tanh, seed: 0)
        let t1 = Bench.now()
        _ = try Trainer.train(model: m2, data: data, optimizer: try Optimizer.adahessian(), steps: 100, every: 100)
        Bench.report("adahessian full batch, 100 steps", 100 / (Bench.now() - t1), "steps/s")
    }

    /// The same MLP written as a user function of the language, differentiated by the tape.
    static func languagePath(builtinGrad: Double, builtinHvp: Double) throws {
        let session = Session()
        let sink = CollectingSink()
        let setup = """
        d = digits()
        X = d.x
        Y = zeros(1797, 10)
        for i in 0:1797 { Y[i, d.y[i]] = 1 }
        m = mlp([64, 64, 10], seed=0)
        p = m.params
        v = randn(4810, seed=1)
        fn f(p) {
          W1 = reshape(p[0:4096], 64, 64)
          b1 = p[4096:4160]
          W2 = reshape(p[4160:4800], 10, 64)
          b2 = p[4800:4810]
          Z = tanh(X @ W1.T + b1) @ W2.T + b2
          mean(logsumexp(Z, axis=1) - sum(Z * Y, axis=1))
        }
        df = grad(f)
        """
        let outcome = session.run(cell: setup, origin: .cell(0), sink: sink)
        guard outcome.status == .ok else {
            print("  language MLP setup failed: \(outcome.diagnostics.map { "\($0)" })")
            return
        }
        // The tape's gradient equals the kernel's: a check that both compute the same function.
        let check = session.run(cell: "g = df(p); gm = m.params; norm(g)", origin: .cell(1), sink: sink)
        let data = try Dataset.digits()
        let model = try MLP(sizes: [64, 64, 10], activation: .tanh, seed: 0)
        let reference = try model.lossAndGradient(x: data.x, y: data.y).gradient
        let refNorm = reference.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if let shown = check.display { Bench.report("  tape gradient norm (kernel \(Bench.format(refNorm)))", Double(shown) ?? .nan, "") }
        let tGrad = Bench.median(repeats: 5, warmup: 1) { _ = session.run(cell: "df(p);", origin: .cell(2), sink: sink) }
        let tHvp = Bench.median(repeats: 5, warmup: 1) { _ = session.run(cell: "hvp(f, p, v);", origin: .cell(3), sink: sink) }
        Bench.report("language MLP: gradient through the tape", tGrad * 1e3, "ms",
                     detail: String(format: "ratio to built-in %.2f", tGrad / builtinGrad),
                     bar: ("<= 3x built-in", tGrad <= 3 * builtinGrad))
        Bench.report("language MLP: HVP through the tape", tHvp * 1e3, "ms",
                     detail: String(format: "ratio to built-in %.2f", tHvp / builtinHvp),
                     bar: ("<= 3x built-in", tHvp <= 3 * builtinHvp))
    }
}
