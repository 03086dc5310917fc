import Foundation
import RitzAutodiff
import RitzTensor

/// A diagonal state-space sequence classifier (S4D: Gu, Gupta, Goel, Ré 2022, "On the
/// Parameterization and Initialization of Diagonal State Space Models"), evaluated on the tape.
///
/// Input `[N, L, d]` (a batch of length-L sequences of d features). A linear encoder maps each
/// step to H channels; each of `depth` layers runs, per channel h, the diagonal SSM
/// x′ = A x + B u, y = 2 Re(C x) + D u with n complex modes (their conjugates implied by the
/// real part), then gelu and a residual connection; the outputs are averaged over the sequence
/// and a linear decoder gives the class logits `[N, classes]`.
///
/// Each layer's SSM is a causal convolution y = K ∗ u + D u with the kernel of its zero-order-hold
/// discretisation (step Δ = exp(log_dt) per channel):
/// Ā = exp(ΔA), C̃ = C (Ā − 1)/A (B = 1, absorbed in C), K[l] = 2 Re Σₙ C̃ₙ Āₙˡ,
/// computed in real arithmetic so every operation is a tape primitive, and applied as a product
/// with the Toeplitz matrix of K. A = −exp(log_a) + i·a_im keeps Re A < 0 (a stable system).
///
/// Blocks per layer `k`: `layerk.log_dt` `[H]`, `layerk.log_a` `[H, n]`, `layerk.a_im` `[H, n]`,
/// `layerk.c_re`, `layerk.c_im` `[H, n]`, `layerk.d` `[H]`; and `encoder.w` `[H, d]`, `encoder.b`,
/// `decoder.w` `[classes, H]`, `decoder.b`.
///
/// Initialisation (a contract, drawn in block order from one seeded generator): log Δ uniform in
/// [log dt_min, log dt_max]; S4D-Lin A = −½ + iπk, or S4D-Inv A = −½ + i (N/π)(N/(2k+1) − 1) with N = 2n (the real state size: each mode stands for a conjugate pair),
/// k = 0…n−1; C with real and imaginary parts N(0, ½); D ~ N(0, 1); encoder and decoder weights
/// N(0, 1/fan_in), biases 0.
public enum S4D {
    /// The initialisation of the imaginary parts of A.
    public enum Initialization: String, Sendable, CaseIterable {
        /// S4D-Lin: Im A = πk.
        case lin
        /// S4D-Inv: Im A = (N/π)(N/(2k+1) − 1), N = 2n.
        case inv
    }

    /// Builds the model.
    ///
    /// - Parameters:
    ///   - features: d, the features per step of the input.
    ///   - channels: H.
    ///   - state: n, complex modes per channel.
    ///   - depth: Number of SSM layers.
    ///   - classes: Outputs.
    ///   - initialization: S4D-Lin or S4D-Inv.
    ///   - dtRange: (dt_min, dt_max), positive and ordered.
    ///   - seed: Seed of the initialisation.
    /// - Throws: `LearnError.invalidArgument` for sizes below 1 or a bad step range; the
    ///   allocation limit for huge sizes.
    public static func model(features: Int, channels: Int, state: Int, depth: Int = 1, classes: Int,
                             initialization: Initialization = .lin, dtRange: (Double, Double) = (1e-3, 1e-1),
                             seed: UInt64 = 0) throws -> FunctionModel {
        for (name, v) in [("features", features), ("channels", channels), ("state", state), ("depth", depth), ("classes", classes)] {
            guard v >= 1 else { throw LearnError.invalidArgument("s4d needs \(name) ≥ 1, got \(v)") }
        }
        guard dtRange.0 > 0, dtRange.0 <= dtRange.1, dtRange.1.isFinite else {
            throw LearnError.invalidArgument("s4d needs 0 < dt_min ≤ dt_max, got \(dtRange.0), \(dtRange.1)")
        }
        let (h, n) = (channels, state)
        var blocks: [(name: String, shape: [Int])] = [("encoder.w", [h, features]), ("encoder.b", [h])]
        for k in 0..<depth {
            blocks += [("layer\(k).log_dt", [h]), ("layer\(k).log_a", [h, n]), ("layer\(k).a_im", [h, n]),
                       ("layer\(k).c_re", [h, n]), ("layer\(k).c_im", [h, n]), ("layer\(k).d", [h])]
        }
        blocks += [("decoder.w", [classes, h]), ("decoder.b", [classes])]
        var total = 0
        for b in blocks {
            let (c, o1) = b.shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            let (t, o2) = total.addingReportingOverflow(c)
            guard !o1, !o2 else { throw LearnError.invalidArgument("s4d sizes are too large") }
            total = t
        }
        try AllocationLimit.check(elements: total)
        var rng = RandomGenerator(seed: seed)
        var p: [Double] = []
        p.reserveCapacity(total)
        func normals(_ count: Int, std: Double) { for _ in 0..<count { p.append(std * rng.normal()) } }
        normals(h * features, std: 1 / Double(features).squareRoot())
        p += [Double](repeating: 0, count: h)
        let (lo, hi) = (Foundation.log(dtRange.0), Foundation.log(dtRange.1))
        let imaginary = initialization.imaginaryParts(count: n, stateSize: 2 * n)
        for _ in 0..<depth {
            for _ in 0..<h { p.append(lo + (hi - lo) * rng.uniform()) }
            for _ in 0..<h { for _ in 0..<n { p.append(Foundation.log(0.5)) } }
            for _ in 0..<h { p += imaginary }
            normals(2 * h * n, std: 0.5.squareRoot())
            normals(h, std: 1)
        }
        normals(classes * h, std: 1 / Double(h).squareRoot())
        p += [Double](repeating: 0, count: classes)
        return try FunctionModel(blocks: blocks, parameters: p, label: "s4d \(h)×\(n), depth \(depth)") { w, x in
            try forward(w, x, features: features, depth: depth)
        }
    }

    /// The forward pass on the blocks in the order ``model(features:channels:state:depth:classes:initialization:dtRange:seed:)`` lays them out.
    static func forward(_ w: [Var], _ x: Tensor, features: Int, depth: Int) throws -> Var {
        guard x.ndim == 3, x.shape[2] == features, x.shape[1] >= 1 else {
            throw LearnError.shape("s4d takes sequences of shape (samples, length, \(features)), got \(formatShape(x.shape))")
        }
        let length = x.shape[1]
        // Encoder: [N, L, d] → [N, H, L].
        var u = try (try Var(x).matmul(try w[0].T) + w[1]).transposed([0, 2, 1])
        for k in 0..<depth {
            let b = 2 + 6 * k
            let y = try convolve(u, kernel: try kernel(logDt: w[b], logA: w[b + 1], aIm: w[b + 2], cRe: w[b + 3],
                                                       cIm: w[b + 4], length: length))
            let direct = try u * (try w[b + 5].reshaped([w[b + 5].count, 1]))
            u = try (try (y + direct).gelu()) + u
        }
        let pooled = try u.mean(axis: 2)
        return try pooled.matmul(transposed: w[w.count - 2]) + w[w.count - 1]
    }

    /// K[h, l] = 2 Re Σₙ C̃ₕₙ Āₕₙˡ for l = 0…L−1, with Ā = exp(ΔA), C̃ = C (Ā − 1)/A.
    static func kernel(logDt: Var, logA: Var, aIm: Var, cRe: Var, cIm: Var, length: Int) throws -> Var {
        let h = logDt.count
        let dt = try logDt.exp().reshaped([h, 1])
        let aRe = try -(try logA.exp())
        let (dre, dim) = (try dt * aRe, try dt * aIm)              // ΔA
        let decay = try dre.exp()
        let (p, q) = (try decay * (try dim.cos()) - 1, try decay * (try dim.sin()))   // Ā − 1
        let (xr, xi) = (try cRe * p - cIm * q, try cRe * q + cIm * p)                  // C (Ā − 1)
        let den = try aRe * aRe + aIm * aIm
        let (tr, ti) = (try (xr * aRe + xi * aIm) / den, try (xi * aRe - xr * aIm) / den)   // ÷ A
        let l = Var(try Tensor.arange(0, Double(length)))                              // [L]
        let n = aIm.shape.last ?? 1
        let phase = try dim.reshaped([h, n, 1]) * l                                    // [H, n, L]
        let magnitude = try (try dre.reshaped([h, n, 1]) * l).exp()
        let re = try magnitude * (try phase.cos()), im = try magnitude * (try phase.sin())
        let terms = try tr.reshaped([h, n, 1]) * re - ti.reshaped([h, n, 1]) * im
        return try terms.sum(axis: 1) * 2                                              // [H, L]
    }

    /// y[b, h, i] = Σ_{j ≤ i} K[h, i − j] u[b, h, j]: the causal convolution as a product with
    /// the lower-triangular Toeplitz matrix of each channel's kernel.
    static func convolve(_ u: Var, kernel k: Var) throws -> Var {
        let (h, length) = (k.shape[0], k.shape[1])
        let padded = try Var.concat([k, Var(try Tensor.zeros([h, 1]))], axis: 1)      // K[h, L] = 0
        var index = [Double](repeating: Double(length), count: length * length)
        for i in 0..<length { for j in 0...i { index[i * length + j] = Double(i - j) } }
        let toeplitz = try padded.take(try Tensor(shape: [length, length], storage: index), axis: 1)   // [H, L, L]
        return try Var.einsum("hij,bhj->bhi", [toeplitz, u])
    }
}
