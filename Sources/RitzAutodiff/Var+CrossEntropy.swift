import RitzTensor

/// Softmax cross-entropy as one node, with its rules beside it.
///
/// For logits z (rows z_i over k classes, P positions), labels y and p_i = softmax(z_i):
/// L = (1/P) Σ_i (logsumexp(z_i) − z_i[y_i]), ∇L = G = (p − onehot(y))/P (one pass from the
/// forward's p), and the derivative of G along u is S(u) = (p ⊙ u − p ⊙ Σ_j p u)/P, the softmax
/// Jacobian (symmetric, so it is its own transpose). Outside any recording the rules are fused
/// passes over the kept p; recorded, S is written with `softmax` and elementwise primitives, so
/// every order follows. Replaces the gather of a log-softmax: fewer passes in the loss, its
/// gradient and the Hessian-vector products of every model trained with it.
extension Var {
    /// The mean softmax cross-entropy of the logits (classes on the last axis) at `labels`.
    ///
    /// - Parameters:
    ///   - labels: One class per position, row-major, each in `0 ..< classes`.
    ///   - classes: The length of the last axis.
    /// - Returns: The 0-d mean loss.
    /// - Throws: `TensorError.invalidArgument` for complex logits.
    static func softmaxCrossEntropy(_ z: Var, labels: [Int], classes k: Int) throws -> Var {
        let zv = try z.value.asFloat()
        let positions = labels.count
        guard positions > 0, zv.count == positions * k else {
            throw TensorError.invalidArgument("cross_entropy needs one label per row of logits")
        }
        // Each row's softmax and log-sum-exp in one kernel (shift by the row's maximum, or 0
        // when that is not finite: a row holding NaN, ∞ or only −∞ has a NaN or infinite loss
        // whatever the shift, as it should), then the losses summed in row order (in a local
        // sum: one captured by the closure is a load and a store per row).
        var total = 0.0
        let probs = try zv.storage.withUnsafeBufferPointer { zs in
            try StoragePool.withScratch(positions) { lse in
                try labels.withUnsafeBufferPointer { ys in
                    try makeStorage(zs.count) { dst in
                        guard let src = zs.baseAddress, let ys = ys.baseAddress else { return }
                        total = softmaxCrossEntropySum(src, labels: ys, positions: positions, k: k, probs: dst, logSumExp: lse)
                    }
                }
            }
        }
        let saved = SavedSoftmax(probs: try Tensor(shape: zv.shape, storage: probs), labels: labels,
                                 scale: 1 / Double(positions))
        return try apply("cross_entropy", [z], value: Tensor(total * saved.scale), rule: Rule(
            vjp: { g, c in
                let gradient = try crossEntropyGradient(c.inputs[0], saved)
                // The seed of a gradient, a constant 1, would only copy G.
                return [!g.isTraced && g.scalarValue == 1 ? gradient : try g * gradient]
            },
            jvp: { t, c in
                guard let t0 = t[0] else { return nil }
                return try (t0 * crossEntropyGradient(c.inputs[0], saved)).sum()
            }, replay: saved))
    }

    /// Each row's softmax into `probs` and log-sum-exp into `logSumExp` (shifted by the row's
    /// maximum, or 0 when that is not finite: a row holding NaN, ∞ or only −∞ has a NaN or
    /// infinite loss whatever the shift, as it should), and Σᵢ logsumexp(zᵢ) − zᵢ[yᵢ] in row order
    /// (in a local sum: one captured by a closure is a load and a store per row).
    fileprivate static func softmaxCrossEntropySum(_ z: UnsafePointer<Double>, labels: UnsafePointer<Int>, positions: Int, k: Int,
                                                   probs: UnsafeMutablePointer<Double>,
                                                   logSumExp lse: UnsafeMutablePointer<Double>) -> Double {
        FastMath.softmaxRows(z, rows: positions, k: k, probs, logSumExp: lse)
        var sum = 0.0
        for i in 0..<positions { sum += lse[i] - z[i * k + labels[i]] }
        return sum
    }

    /// G = (p − onehot(y))·scale from the probabilities p (positions × k) into `out`.
    fileprivate static func crossEntropyGradient(_ p: UnsafePointer<Double>, labels: UnsafePointer<Int>, positions: Int, k: Int,
                                                 scale: Double, into out: UnsafeMutablePointer<Double>) {
        for i in 0..<(positions * k) { out[i] = p[i] * scale }
        for i in 0..<positions { out[i * k + labels[i]] = (p[i * k + labels[i]] - 1) * scale }
    }

    /// What the rules of a cross-entropy node keep of its forward pass: one object both capture,
    /// where the values captured directly would be boxed once per closure. It also hands a
    /// replay the node's kernel.
    private final class SavedSoftmax: ReplaySource {
        let probs: Tensor
        let labels: [Int]
        let scale: Double

        init(probs: Tensor, labels: [Int], scale: Double) {
            (self.probs, self.labels, self.scale) = (probs, labels, scale)
        }

        func replayKernel() -> (any ReplayKernel)? {
            CrossEntropyReplay(positions: labels.count, classes: probs.shape.last ?? 1)
        }
    }

    /// A cross-entropy node replayed on a new batch's labels: the probabilities kept from its
    /// forward pass for G, its VJP.
    private final class CrossEntropyReplay: ReplayKernel {
        let positions: Int, classes: Int
        /// The batch's labels as classes, converted by each forward pass.
        private var labels: [Int]

        init(positions: Int, classes: Int) {
            (self.positions, self.classes) = (positions, classes)
            labels = [Int](repeating: 0, count: positions)
        }

        var outputCount: Int { 1 }
        var keptCount: Int { positions * classes }
        var scratchCount: Int { positions }
        var targetCount: Int { positions }

        func forward(_ frame: ReplayFrame) throws {
            let (n, k) = (positions, classes)
            try Var.readLabels(frame.targets, classes: k, op: "cross_entropy", into: &labels)
            frame.output[0] = labels.withUnsafeBufferPointer { ys in
                guard let ys = ys.baseAddress else { return .nan }
                return softmaxCrossEntropySum(frame.operands[0], labels: ys, positions: n, k: k,
                                              probs: frame.kept, logSumExp: frame.scratch) * (1 / Double(n))
            }
        }

        func backward(_ g: UnsafeMutablePointer<Double>, _ frame: ReplayFrame,
                      into cotangents: UnsafePointer<UnsafeMutablePointer<Double>?>) {
            guard let out = cotangents[0] else { return }
            let (n, k) = (positions, classes)
            labels.withUnsafeBufferPointer { ys in
                guard let ys = ys.baseAddress else { return }
                crossEntropyGradient(frame.kept, labels: ys, positions: n, k: k, scale: 1 / Double(n), into: out)
            }
            // The seed of a gradient, 1, leaves G as it is (as the rule does).
            let s = g[0]
            if s != 1 { for i in 0..<(n * k) { out[i] = s * out[i] } }
        }
    }

    /// G = (softmax(z) − onehot(y))·scale, the gradient of the mean cross-entropy, from the kept
    /// probabilities; its rule is the softmax Jacobian S times `scale` both ways.
    private static func crossEntropyGradient(_ z: Var, _ saved: SavedSoftmax) throws -> Var {
        let (probs, labels, scale) = (saved.probs, saved.labels, saved.scale)
        let k = probs.shape.last ?? 1
        let g = try probs.storage.withUnsafeBufferPointer { p in
            try labels.withUnsafeBufferPointer { ys in
                try makeStorage(p.count) { out in
                    guard let pp = p.baseAddress, let yp = ys.baseAddress else { return }
                    crossEntropyGradient(pp, labels: yp, positions: ys.count, k: k, scale: scale, into: out)
                }
            }
        }
        let value = try Tensor(shape: probs.shape, storage: g)
        // Outside a recording (the gradient's own sweep) nothing is recorded: no rule is made.
        guard z.isTraced else { return Var(value) }
        let linear: (Var, RuleContext) throws -> Var = { u, c in
            try softmaxJacobianProduct(u, logits: c.inputs[0], probs: probs, scale: scale)
        }
        return try apply("cross_entropy_gradient", [z], value: value, rule: Rule(
            vjp: { u, c in [try linear(u, c)] },
            jvp: { t, c in try t[0].map { try linear($0, c) } }))
    }

    /// S(u)·scale = (p ⊙ u − p ⊙ Σ_j p u)·scale along the last axis: one pass outside a
    /// recording, `softmax` and elementwise primitives inside one.
    private static func softmaxJacobianProduct(_ u: Var, logits z: Var, probs: Tensor, scale: Double) throws -> Var {
        guard u.isTraced || z.isTraced || u.shape != probs.shape else {
            let k = probs.shape.last ?? 1
            let uv = try u.value.asFloat()
            let rows = k > 0 ? probs.count / k : 0
            let out = try probs.storage.withUnsafeBufferPointer { p in
                try uv.storage.withUnsafeBufferPointer { us in
                    try makeStorage(probs.count) { out in
                        for i in 0..<rows {
                            var dot = 0.0
                            for j in 0..<k { dot += p[i * k + j] * us[i * k + j] }
                            for j in 0..<k { out[i * k + j] = scale * p[i * k + j] * (us[i * k + j] - dot) }
                        }
                    }
                }
            }
            return Var(try Tensor(shape: probs.shape, storage: out))
        }
        let p = z.isTraced ? try z.softmax(axis: -1) : Var(probs)
        let pu = try p * u
        return try (pu - p * pu.sum(axis: -1, keepDims: true)) * scale
    }
}
