import Foundation
import RitzAutodiff
import RitzTensor

/// The tape on the issue's reference MLP (64-64-10 tanh, softmax cross-entropy, 1797 samples,
/// 4810 parameters), with random inputs of the digits' shape: gradient and Hessian-vector
/// products in both modes, against the JAX figures of the issue (gradient 1.07 ms, HVP 1.86 ms).
enum AutodiffBench {
    static func run() throws {
        Bench.section("autodiff")
        var rng = RandomGenerator(seed: 3)
        let n = 1797, sizes = [64, 64, 10]
        let X = Var(try Tensor.rand([n, 64], using: &rng) * Tensor(16))
        var onehot = [Double](repeating: 0, count: n * 10)
        for i in 0..<n { onehot[i * 10 + rng.int(below: 10)] = 1 }
        let Y = Var(try Tensor(shape: [n, 10], storage: onehot))
        let count = 64 * 64 + 64 + 64 * 10 + 10
        let theta = Var(try Tensor.randn([count], using: &rng) * Tensor(0.1))
        let v = Var(try Tensor.randn([count], using: &rng))
        let loss: (Var) throws -> Var = { p in
            var offset = 0
            func take(_ shape: [Int]) throws -> Var {
                let size = shape.reduce(1, *)
                defer { offset += size }
                return try p.index([.slice(start: offset, stop: offset + size, step: 1)]).reshaped(shape)
            }
            let w1 = try take([sizes[0], sizes[1]]), b1 = try take([sizes[1]])
            let w2 = try take([sizes[1], sizes[2]]), b2 = try take([sizes[2]])
            let h = try (X.matmul(w1) + b1).tanh()
            let logits = try h.matmul(w2) + b2
            return try -(logits.logSoftmax(axis: 1) * Y).sum() / Double(n)
        }
        let tLoss = try Bench.median { _ = try loss(theta) }
        let tGrad = try Bench.median { _ = try grad(loss)(theta) }
        let cLoss = try leastCPU { _ = try loss(theta) }
        let cGrad = try leastCPU { _ = try grad(loss)(theta) }
        // The two modes alternate, and each is also timed by its thread's CPU time, which a busy
        // machine disturbs less than wall time (run with OPENBLAS_NUM_THREADS=1 for that figure).
        var wall: [HVPMode: [Double]] = [:], cpu: [HVPMode: [Double]] = [:]
        for _ in 0..<40 {
            for mode in [HVPMode.reverseOverReverse, .forwardOverReverse] {
                let (w0, c0) = (Bench.now(), threadCPU())
                _ = try hvp(loss, at: theta, v, mode: mode)
                wall[mode, default: []].append(Bench.now() - w0)
                cpu[mode, default: []].append(threadCPU() - c0)
            }
        }
        func median(_ xs: [Double]?) -> Double { let s = (xs ?? [0]).sorted(); return s[s.count / 2] }
        func least(_ xs: [Double]?) -> Double { (xs ?? [0]).min() ?? 0 }
        let tRR = median(wall[.reverseOverReverse]), tFR = median(wall[.forwardOverReverse])
        let cRR = least(cpu[.reverseOverReverse]), cFR = least(cpu[.forwardOverReverse])
        Bench.report("MLP loss (untraced)", tLoss * 1e3, "ms", detail: String(format: "least thread CPU %.3f ms", cLoss * 1e3))
        Bench.report("MLP gradient through the tape", tGrad * 1e3, "ms",
                     detail: String(format: "%.2f× JAX's 1.07 ms; least thread CPU %.3f ms, %.2f× the loss's", tGrad / 1.07e-3, cGrad * 1e3, cGrad / cLoss))
        Bench.report("MLP HVP reverse over reverse", tRR * 1e3, "ms",
                     detail: String(format: "%.2f× JAX's 1.86 ms; least thread CPU %.3f ms", tRR / 1.86e-3, cRR * 1e3))
        Bench.report("MLP HVP forward over reverse", tFR * 1e3, "ms",
                     detail: String(format: "%.2f× JAX's 1.86 ms; least thread CPU %.3f ms; default mode is %@", tFR / 1.86e-3, cFR * 1e3,
                                    defaultHVPMode == .forwardOverReverse ? "forward over reverse" : "reverse over reverse"))
    }
}

/// CPU seconds used by the calling thread.
private func threadCPU() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// The least thread CPU time of `body` over `repeats` runs.
private func leastCPU(repeats: Int = 15, _ body: () throws -> Void) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<repeats {
        let c0 = threadCPU()
        try body()
        best = Swift.min(best, threadCPU() - c0)
    }
    return best
}
