import Foundation
import RitzAutodiff
import RitzLearn
import RitzTensor

/// The CNN of issue 13 on all 1797 digit images `[N, 1, 8, 8]` through the tape: conv 3×3
/// "same" → 16 (+ bias) → relu → 2×2 max-pool → conv 3×3 "same" → 32 (+ bias) → relu → 2×2
/// max-pool → dense 128 → 10 (+ bias) → softmax cross-entropy (mean), 6090 parameters.
/// Gradient and HVP wall time against JAX (jit, float64, CPU) timed by `bench/cnn_jax.py` in the
/// same run when the peers' Python has jax (see `Peer.python`); otherwise the ratio is not
/// measured. Bar (issue 13): ≤ 0.5× JAX's time.
enum CNNBench {
    /// Runs `bench/cnn_jax.py` with the peers' Python and reads its "gradient X ms, HVP Y ms"
    /// line; nil when it cannot run.
    static func measureJAX() -> (gradient: Double, hvp: Double)? {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../bench/cnn_jax.py").standardized.path
        guard FileManager.default.fileExists(atPath: script) else { return nil }
        let python = Peer.python()
        let p = Process(), pipe = Pipe()
        p.executableURL = URL(fileURLWithPath: python.executable)
        p.arguments = python.leading + [script]
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        func number(after label: String) -> Double? {
            guard let r = text.range(of: label) else { return nil }
            return Double(text[r.upperBound...].prefix { $0.isNumber || $0 == "." })
        }
        guard let g = number(after: "gradient "), let h = number(after: "HVP ") else { return nil }
        return (g, h)
    }

    /// Parameter blocks of the flat vector, in order: name and shape.
    static let blocks: [[Int]] = [[16, 1, 3, 3], [16], [32, 16, 3, 3], [32], [10, 128], [10]]

    static func run() throws {
        Bench.section("CNN on digits images (conv16-pool-conv32-pool-dense10, 1797 images) through the tape")
        let data = try Dataset.digits()
        let n = data.x.shape[0]
        let images = Var(try data.x.reshaped([n, 1, 8, 8]))
        var onehot = [Double](repeating: 0, count: n * 10)
        for i in 0..<n { onehot[i * 10 + Int(data.y.storage[i])] = 1 }
        let labels = Var(try Tensor(shape: [n, 10], storage: onehot))
        let count = blocks.reduce(0) { $0 + $1.reduce(1, *) }
        var rng = RandomGenerator(seed: 0)
        let theta = Var(Tensor((0..<count).map { _ in 0.1 * rng.normal() }))
        let direction = Var(Tensor((0..<count).map { _ in rng.normal() }))

        let loss: (Var) throws -> Var = { p in
            var offset = 0
            var parts: [Var] = []
            for shape in blocks {
                let size = shape.reduce(1, *)
                parts.append(try p.index([.slice(start: offset, stop: offset + size, step: 1)]).reshaped(shape))
                offset += size
            }
            var h = try (images.conv2d(parts[0], padding: .same) + parts[1].reshaped([1, 16, 1, 1])).relu().maxPool2d(2)
            h = try (h.conv2d(parts[2], padding: .same) + parts[3].reshaped([1, 32, 1, 1])).relu().maxPool2d(2)
            let logits = try h.reshaped([n, 128]).matmul(parts[4].T) + parts[5]
            return try -(logits.logSoftmax(axis: 1) * labels).sum() / Double(n)
        }

        // Multiply-adds ×2 of the products, counted from the shapes: the forward pass F (conv 1
        // F₁ = 2·N·64·16·9, conv 2 2·N·16·32·144, dense 2·N·128·10); the gradient adds the
        // reverse products, 2F − F₁ (no cotangent for the images); forward over reverse adds the
        // tangents of the forward (2F − F₁) and of the reverse products (2(2F − F₁)): 9F − 4F₁.
        let f1 = 2.0 * Double(n) * 64 * 16 * 9
        let forward = f1 + 2.0 * Double(n) * 16 * 32 * 144 + 2.0 * Double(n) * 128 * 10
        let gradientFlops = 3 * forward - f1, hvpFlops = 9 * forward - 4 * f1

        // JAX before and after ritz, in the same run; the faster of the two makes the bar stricter.
        let jaxBefore = measureJAX()
        let gradient = grad(loss)
        let tGrad = Bench.median(repeats: 9, warmup: 1) { _ = try? gradient(theta) }
        let tFR = Bench.median(repeats: 9, warmup: 1) { _ = try? hvp(loss, at: theta, direction, mode: .forwardOverReverse) }
        let tRR = Bench.median(repeats: 9, warmup: 1) { _ = try? hvp(loss, at: theta, direction, mode: .reverseOverReverse) }
        let jaxAfter = measureJAX()
        let measured = [jaxBefore, jaxAfter].compactMap { $0 }
        let jax: (gradient: Double, hvp: Double)? = measured.isEmpty ? nil
            : (measured.map(\.gradient).min() ?? 0, measured.map(\.hvp).min() ?? 0)
        func line(_ name: String, _ t: Double, _ flops: Double, jax: Double?) {
            let speed = String(format: "%.1f GFLOP/s", flops / t * 1e-9)
            guard let jax, jax > 0 else {
                Bench.report(name, t * 1e3, "ms", detail: speed + "; JAX not measured (needs jax in the peers' Python: \(Peer.venvCommand))")
                return
            }
            let ratio = t * 1e3 / jax
            Bench.report(name, t * 1e3, "ms",
                         detail: String(format: "%@; JAX (this run) %.1f ms, ratio %.2f", speed, jax, ratio),
                         bar: ("<= 0.5", ratio <= 0.5))
        }
        line("CNN gradient", tGrad, gradientFlops, jax: jax?.gradient)
        line("CNN HVP, forward over reverse", tFR, hvpFlops, jax: jax?.hvp)
        line("CNN HVP, reverse over reverse", tRR, hvpFlops, jax: jax?.hvp)
    }
}
