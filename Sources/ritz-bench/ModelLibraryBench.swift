import Foundation
import RitzLearn
import RitzTensor

/// The model library's networks through the one engine, timed against JAX (jit, float64, CPU)
/// run by the peer in the same invocation (`bench/peers.py` workloads `model_grad` and
/// `model_hvp`, the networks of `bench/jax_models.py` on the same data and parameters).
///
/// * The CNN of issue 13, `cnn(input=[1, 8, 8], channels=[16, 32], classes=10)` (conv 3×3 "same"
///   → 16 → relu → 2×2 max-pool → conv 3×3 → 32 → relu → 2×2 max-pool → dense 10; 6090
///   parameters), on all 1797 digit images. Bar: ≤ 0.5× JAX's time.
/// * The transformer of issue 13, `transformer(128, 16, width=64, heads=4, depth=2,
///   output="all")` (116 992 parameters), on 256 random sequences of 16 tokens with a label at
///   every position. Bar: ≤ 1.0× JAX's time; the peak memory of one HVP is printed.
///
/// A gradient is one `prepare` with the gradient (forward and reverse sweep); an HVP at a new
/// point is `prepare` and one product (forward, the gradient's graph, one tangent sweep), which
/// is what JAX's jitted jvp-of-grad computes; the product at a prepared point (as Lanczos uses
/// it) is printed beside.
enum ModelLibraryBench {
    /// The argument that makes ritz-bench measure one transformer HVP's peak memory in a child.
    static let peakChildArgument = "--transformer-hvp-peak"

    /// The transformer workload: the model (seeded), tokens `[256, 16]` and per-position labels
    /// drawn uniformly from the vocabulary with a seeded generator.
    static func transformerWorkload() throws -> (model: FunctionModel, tokens: Tensor, labels: Tensor) {
        let model = try FunctionModel.transformer(vocab: 128, seq: 16, width: 64, heads: 4, depth: 2, output: .all, seed: 0)
        var rng = RandomGenerator(seed: 5)
        let tokens = try Tensor(shape: [256, 16], storage: (0..<(256 * 16)).map { _ in Double(rng.int(below: 128)) })
        let labels = try Tensor(shape: [256, 16], storage: (0..<(256 * 16)).map { _ in Double(rng.int(below: 128)) })
        return (model, tokens, labels)
    }

    /// A seeded direction for the HVPs.
    static func direction(_ n: Int) -> [Double] {
        var rng = RandomGenerator(seed: 1)
        return (0..<n).map { _ in rng.normal() }
    }

    static func run() throws {
        try runCNN()
        let t = try transformerWorkload()
        let tokensPath = try Peer.save(t.tokens, as: "transformer-tokens")
        let labelsPath = try Peer.save(t.labels, as: "transformer-labels")
        try compare(title: "transformer (2 blocks, width 64, 4 heads, seq 16, vocab 128, batch 256, labels at every position) through the tape",
                    name: "transformer", kind: "transformer", model: t.model, x: t.tokens, y: t.labels,
                    peerData: [tokensPath, labelsPath], bar: 1.0)
        printPeakMemory()
    }

    /// The CNN alone (`ritz-bench cnn`).
    static func runCNN() throws {
        let data = try Dataset.digits()
        let n = data.count
        let cnn = try FunctionModel.cnn(input: [1, 8, 8], channels: [16, 32], classes: 10, seed: 0)
        try compare(title: "CNN on digits images (cnn(): conv16-pool-conv32-pool-dense10, 1797 images) through the tape",
                    name: "CNN", kind: "cnn", model: cnn, x: try data.x.reshaped([n, 1, 8, 8]), y: data.y,
                    peerData: [], bar: 0.5)
    }

    /// Times the gradient and the HVP of `model`'s loss on (x, y) against the peer's.
    static func compare(title: String, name: String, kind: String, model: FunctionModel, x: Tensor, y: Tensor,
                        peerData: [String], bar: Double) throws {
        Bench.section(title)
        let paramsPath = try Peer.save(model.parameterTensor, as: "\(kind)-params")
        let v = direction(model.parameterCount)
        let directionPath = try Peer.save(Tensor(v), as: "\(kind)-direction")
        var out = [Double]()
        let gradient = try PeerComparison.measure("model_grad", args: [kind, paramsPath] + peerData, peerName: "JAX jit") {
            let e = model.makeEvaluation()
            try e.prepare(model: model, x: x, y: y, loss: .crossEntropy, withGradient: true)
            try e.gradient(into: &out)
        }
        Bench.report("\(name) gradient", gradient.ours * 1e3, "ms", detail: gradient.detail(scale: 1e3, unit: "ms"),
                     bar: gradient.bar(timeRatioAtMost: bar))
        let hvp = try PeerComparison.measure("model_hvp", args: [kind, paramsPath, directionPath] + peerData, peerName: "JAX jit") {
            let e = model.makeEvaluation()
            try e.prepare(model: model, x: x, y: y, loss: .crossEntropy, withGradient: false)
            try e.hvp(v, into: &out)
        }
        Bench.report("\(name) HVP at a new point", hvp.ours * 1e3, "ms", detail: hvp.detail(scale: 1e3, unit: "ms"),
                     bar: hvp.bar(timeRatioAtMost: bar))
        let prepared = model.makeEvaluation()
        try prepared.prepare(model: model, x: x, y: y, loss: .crossEntropy, withGradient: false)
        try prepared.hvp(v, into: &out)
        let product = try Bench.median(repeats: 7, warmup: 1) { try prepared.hvp(v, into: &out) }
        Bench.report("\(name) HVP at a prepared point", product * 1e3, "ms", detail: "one tangent sweep (as each Lanczos step)")
    }

    /// Runs ritz-bench again as a child that measures one transformer HVP's peak memory, and
    /// prints its answer.
    static func printPeakMemory() {
        let p = Process(), pipe = Pipe()
        p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        p.arguments = [peakChildArgument]
        p.standardOutput = pipe
        do { try p.run() } catch {
            Bench.report("transformer HVP peak memory", .nan, "MB", detail: "not measured: \(error)")
            return
        }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let words = text.split(separator: " ")
        guard p.terminationStatus == 0, words.count == 3, let before = Double(words[0]), let after = Double(words[1]),
              let live = Double(words[2].trimmingCharacters(in: .whitespacesAndNewlines)) else {
            Bench.report("transformer HVP peak memory", .nan, "MB", detail: "not measured (the child answered \(text))")
            return
        }
        Bench.report("transformer HVP peak memory", (after - before) / 1048576, "MB",
                     detail: String(format: "growth of the peak resident set (VmHWM) over one HVP at a new point in a fresh process, from %.1f MB; tensors alive at its end %.1f MB", before / 1048576, live / 1048576))
    }

    /// In the child: the peak resident set before and after one transformer HVP at a new point,
    /// and the tensor bytes alive at its end, in bytes, on one line.
    static func hvpPeakChild() throws {
        let t = try transformerWorkload()
        let v = direction(t.model.parameterCount)
        var out = [Double](repeating: 0, count: v.count)
        // VmHWM, the peak resident set of this process image (ru_maxrss would carry the parent's
        // peak across exec), in kilobytes.
        func maxRSS() -> Double {
            guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return .nan }
            return (Double(line.split(separator: " ").dropFirst().first ?? "") ?? .nan) * 1024
        }
        let before = maxRSS()
        let e = t.model.makeEvaluation()
        try e.prepare(model: t.model, x: t.tokens, y: t.labels, loss: .crossEntropy, withGradient: false)
        try e.hvp(v, into: &out)
        print("\(before) \(maxRSS()) \(AllocationLimit.liveBytes)")
    }
}
