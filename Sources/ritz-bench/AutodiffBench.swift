import Foundation
import RitzAutodiff
import RitzLang
import RitzLearn
import RitzTensor

/// The language against the built-in mlp on the reference MLP (64-64-10 tanh, softmax
/// cross-entropy, all 1797 digits, 4810 parameters): gradient and Hessian-vector product of the
/// loss written as a user function in the language and run through a real `Session`, against
/// RitzLearn's `MLP` (the tape, each layer one fused `linear` node) on the same weights. Bar
/// (issue 4): the language path within 3× of the built-in path. Also the tape alone (the same
/// loss written in Swift over unfused `Var` primitives).
enum AutodiffBench {
    final class NullSink: EventSink, @unchecked Sendable {
        func emit(_ event: EvalEvent) {}
    }

    /// The loss as a user writes it: weights sliced out of one flat vector in the model's layout
    /// (each layer's outputs × inputs weights, then its biases).
    static let setup = """
    d = digits()
    X = d.x
    n = shape(X)[0]
    Y = (reshape(d.y, n, 1) == arange(0, 10)) * 1.0
    m = mlp([64, 64, 10], seed=0)
    w0 = m.params
    v = load(VPATH)
    fn f(w) {
      W1 = reshape(w[0:4096], 64, 64)
      b1 = w[4096:4160]
      W2 = reshape(w[4160:4800], 10, 64)
      b2 = w[4800:4810]
      H = tanh(X @ W1.T + b1)
      Z = H @ W2.T + b2
      -sum((Z - reshape(logsumexp(Z, axis=1), n, 1)) * Y) / n
    }
    df = grad(f)
    """

    /// Median wall seconds and least process CPU seconds per call of `body`, run `inner` times a repeat.
    static func perCall(inner: Int, repeats: Int = 7, _ body: () throws -> Void) throws -> (wall: Double, cpu: Double) {
        var cpu = Double.infinity
        let wall = try Bench.median(repeats: repeats, warmup: 1) {
            let c0 = Bench.cpuNow()
            for _ in 0..<inner { try body() }
            cpu = Swift.min(cpu, (Bench.cpuNow() - c0) / Double(inner))
        }
        return (wall / Double(inner), cpu)
    }

    static func run() throws {
        Bench.section("autodiff (MLP 64-64-10 tanh, ce, 1797 digits: language through the tape vs the built-in mlp)")
        let data = try Dataset.digits()
        let model = try MLP(sizes: [64, 64, 10], activation: .tanh, seed: 0)
        var rng = RandomGenerator(seed: 1)
        let v = (0..<model.parameterCount).map { _ in rng.normal() }
        var g = [Double](repeating: 0, count: model.parameterCount)
        var hBuiltin = g, out = g
        let calls = ModelCalls(model, on: data)

        // Built-in path, one kernel thread and the default.
        let defaultThreads = Parallel.threads
        var builtin: [Int: (grad: (wall: Double, cpu: Double), hvp: (wall: Double, cpu: Double))] = [:]
        for threads in Set([1, defaultThreads]).sorted() {
            Parallel.threads = threads
            let tg = try perCall(inner: 40) { try calls.gradient(into: &g) }
            let th = try perCall(inner: 40) { try calls.hvp(v, into: &hBuiltin) }
            builtin[threads] = (tg, th)
            Bench.report("built-in gradient, \(threads) thread(s)", tg.wall * 1e3, "ms", detail: String(format: "CPU %.3f ms", tg.cpu * 1e3))
            Bench.report("built-in HVP, \(threads) thread(s)", th.wall * 1e3, "ms", detail: String(format: "CPU %.3f ms", th.cpu * 1e3))
        }
        Parallel.threads = defaultThreads
        try calls.gradient(into: &g)
        try calls.hvp(v, into: &hBuiltin)
        let gBuiltin = g

        // Language path: a session running the script.
        let dir = FileManager.default.temporaryDirectory
        let vPath = dir.appendingPathComponent("ritz-bench-autodiff-v.npy").path
        let gPath = dir.appendingPathComponent("ritz-bench-autodiff-g.npy").path
        let hPath = dir.appendingPathComponent("ritz-bench-autodiff-h.npy").path
        try Tensor(v).saveNPY(path: vPath)
        let session = Session()
        let sink = NullSink()
        func cell(_ code: String) throws {
            let out = session.run(cell: code, origin: .cell(1), sink: sink)
            guard out.status == .ok else {
                throw Diagnostic("benchmark cell failed: \(out.diagnostics.map { $0.render() }.joined(separator: "\n"))", span: nil)
            }
        }
        try cell(setup.replacingOccurrences(of: "VPATH", with: "\"\(vPath)\""))
        try cell("save(\"\(gPath)\", df(w0)); save(\"\(hPath)\", hvp(f, w0, v))")
        let gLang = try Tensor.loadNPY(path: gPath).storage, hLang = try Tensor.loadNPY(path: hPath).storage
        func relDiff(_ a: [Double], _ b: [Double]) -> Double {
            let num = zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0
            return num / Swift.max(b.map(Swift.abs).max() ?? 1, 1e-300)
        }
        // The built-in (at its default thread count) and the language path alternate round by
        // round, so a change in the machine's load falls on both; medians over the rounds.
        let k = 5
        var samples: [String: [(wall: Double, cpu: Double)]] = [:]
        func sample(_ key: String, _ calls: Int, _ body: () throws -> Void) throws {
            let (w0, c0) = (Bench.now(), Bench.cpuNow())
            try body()
            samples[key, default: []].append(((Bench.now() - w0) / Double(calls), (Bench.cpuNow() - c0) / Double(calls)))
        }
        try cell("for i in 0:2 { g = df(w0); h = hvp(f, w0, v) }")
        for _ in 0..<9 {
            try sample("bg", 10) { for _ in 0..<10 { try calls.gradient(into: &g) } }
            try sample("lg", k) { try cell("for i in 0:\(k) { g = df(w0) }") }
            try sample("bh", 10) { for _ in 0..<10 { try calls.hvp(v, into: &out) } }
            try sample("lh", k) { try cell("for i in 0:\(k) { h = hvp(f, w0, v) }") }
        }
        func med(_ key: String) -> (wall: Double, cpu: Double) {
            let xs = samples[key] ?? [(0, 0)]
            let w = xs.map(\.wall).sorted(), c = xs.map(\.cpu).sorted()
            return (w[w.count / 2], c[c.count / 2])
        }
        let lang = (grad: med("lg"), hvp: med("lh"))
        builtin[defaultThreads] = (med("bg"), med("bh"))
        Bench.report("language gradient through the tape", lang.grad.wall * 1e3, "ms",
                     detail: String(format: "CPU %.3f ms; max deviation from built-in %.1e (relative)", lang.grad.cpu * 1e3, relDiff(gLang, gBuiltin)))
        Bench.report("language HVP through the tape", lang.hvp.wall * 1e3, "ms",
                     detail: String(format: "CPU %.3f ms; max deviation from built-in %.1e (relative)", lang.hvp.cpu * 1e3, relDiff(hLang, hBuiltin)))
        if let b = builtin[defaultThreads] {
            Bench.report("built-in gradient, alternating rounds", b.grad.wall * 1e3, "ms", detail: String(format: "CPU %.3f ms", b.grad.cpu * 1e3))
            Bench.report("built-in HVP, alternating rounds", b.hvp.wall * 1e3, "ms", detail: String(format: "CPU %.3f ms", b.hvp.cpu * 1e3))
        }
        for (threads, b) in builtin.sorted(by: { $0.key < $1.key }) {
            let rg = lang.grad.wall / b.grad.wall, rh = lang.hvp.wall / b.hvp.wall
            let label = threads == defaultThreads ? "\(threads) thr., alt." : "\(threads) thr."
            Bench.report("gradient: language / built-in (\(label))", rg, "×",
                         detail: String(format: "CPU ratio %.2f", lang.grad.cpu / b.grad.cpu), bar: ("<= 3", rg <= 3))
            Bench.report("HVP: language / built-in (\(label))", rh, "×",
                         detail: String(format: "CPU ratio %.2f", lang.hvp.cpu / b.hvp.cpu), bar: ("<= 3", rh <= 3))
        }
        try tapeOnly(data: data, model: model, v: v)
        try ModelLibraryBench.run()
    }

    /// The same loss written in Swift over `Var` (no interpreter): what the tape itself costs.
    static func tapeOnly(data: Dataset, model: MLP, v: [Double]) throws {
        let n = data.x.shape[0]
        var onehot = [Double](repeating: 0, count: n * 10)
        for i in 0..<n { onehot[i * 10 + Int(data.y.storage[i])] = 1 }
        let X = Var(data.x), Y = Var(try Tensor(shape: [n, 10], storage: onehot))
        let theta = Var(model.parameterTensor), dir = Var(Tensor(v))
        let loss: (Var) throws -> Var = { p in
            let w1 = try p.index([.slice(start: 0, stop: 4096, step: 1)]).reshaped([64, 64])
            let b1 = try p.index([.slice(start: 4096, stop: 4160, step: 1)])
            let w2 = try p.index([.slice(start: 4160, stop: 4800, step: 1)]).reshaped([10, 64])
            let b2 = try p.index([.slice(start: 4800, stop: 4810, step: 1)])
            let h = try (X.matmul(w1.T) + b1).tanh()
            let z = try h.matmul(w2.T) + b2
            return try -(z.logSoftmax(axis: 1) * Y).sum() / Double(n)
        }
        let tLoss = try perCall(inner: 20) { _ = try loss(theta) }
        let tGrad = try perCall(inner: 20) { _ = try grad(loss)(theta) }
        // The two HVP modes alternate round by round, and their ratio is taken round by round,
        // so a drift of the machine's speed falls on both (it is what picks `defaultHVPMode`).
        var rr = [Double](), fr = [Double]()
        for _ in 0..<Self.modeRounds {
            rr.append(try perCall(inner: 5, repeats: 1) { _ = try hvp(loss, at: theta, dir, mode: .reverseOverReverse) }.wall)
            fr.append(try perCall(inner: 5, repeats: 1) { _ = try hvp(loss, at: theta, dir, mode: .forwardOverReverse) }.wall)
        }
        let modes = Bench.pairedSummary(zip(fr, rr).map { $0 / $1 })
        Bench.report("tape alone: loss (untraced)", tLoss.wall * 1e3, "ms", detail: String(format: "CPU %.3f ms", tLoss.cpu * 1e3))
        Bench.report("tape alone: gradient", tGrad.wall * 1e3, "ms", detail: String(format: "CPU %.3f ms", tGrad.cpu * 1e3))
        Bench.report("tape alone: HVP reverse over reverse", Bench.medianOf(rr) * 1e3, "ms")
        Bench.report("tape alone: HVP forward over reverse", Bench.medianOf(fr) * 1e3, "ms")
        Bench.report("  forward over reverse / reverse over reverse", modes.median, "×",
                     detail: modes.spread + "; default mode "
                        + (defaultHVPMode == .forwardOverReverse ? "forward over reverse" : "reverse over reverse"))
    }

    /// Rounds of the HVP modes' comparison.
    static let modeRounds = 16
}
