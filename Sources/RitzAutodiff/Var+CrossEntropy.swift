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
                try makeStorage(zs.count) { dst in
                    guard let src = zs.baseAddress else { return }
                    FastMath.softmaxRows(src, rows: positions, k: k, dst, logSumExp: lse)
                    var sum = 0.0
                    for (i, y) in labels.enumerated() { sum += lse[i] - src[i * k + y] }
                    total = sum
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
            }))
    }

    /// What the rules of a cross-entropy node keep of its forward pass: one object both capture,
    /// where the values captured directly would be boxed once per closure.
    private final class SavedSoftmax {
        let probs: Tensor
        let labels: [Int]
        let scale: Double

        init(probs: Tensor, labels: [Int], scale: Double) {
            (self.probs, self.labels, self.scale) = (probs, labels, scale)
        }
    }

    /// G = (softmax(z) − onehot(y))·scale, the gradient of the mean cross-entropy, from the kept
    /// probabilities; its rule is the softmax Jacobian S times `scale` both ways.
    private static func crossEntropyGradient(_ z: Var, _ saved: SavedSoftmax) throws -> Var {
        let (probs, labels, scale) = (saved.probs, saved.labels, saved.scale)
        let k = probs.shape.last ?? 1
        let g = try probs.storage.withUnsafeBufferPointer { p in
            try makeStorage(p.count) { out in
                for i in 0..<p.count { out[i] = p[i] * scale }
                for (i, y) in labels.enumerated() { out[i * k + y] = (p[i * k + y] - 1) * scale }
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
