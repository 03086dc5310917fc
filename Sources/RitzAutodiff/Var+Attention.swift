import Foundation
import RitzTensor

/// Scaled dot-product attention (Vaswani et al., 2017).
extension Var {
    /// softmax(q kᵀ/√d) v over the last two axes, leading axes batched (they must match).
    ///
    /// q is `[…, Tq, d]`, k `[…, Tk, d]`, v `[…, Tk, dv]`; the result is `[…, Tq, dv]`. With
    /// `causal`, query i attends only to keys j ≤ i (top-left aligned, as
    /// `jax.nn.dot_product_attention(is_causal=True)`): masked scores are −∞ before the softmax.
    /// Each batch-head's Tq×Tk score block is formed once per pass, for a chunk of batch-heads at
    /// a time with at most `ScoreBlock.chunkEntries` scores together (one chunk when they fit, so
    /// a batch of small heads costs a few batched products, not a loop over heads), in the
    /// forward pass and again in the rules (`ScoreBlock`), which recompute it rather than keep
    /// it: the tape holds q, k, v and the output only.
    /// - Parameters:
    ///   - k: The keys.
    ///   - v: The values.
    ///   - causal: Mask keys after each query.
    /// - Returns: The attended values.
    /// - Throws: `ShapeError.mismatch` for shapes that do not fit; `TensorError.invalidArgument`
    ///   for operands with fewer than two axes.
    public static func attention(_ q: Var, _ k: Var, _ v: Var, causal: Bool = false) throws -> Var {
        try attention(q, k, v, causal: causal, chunkEntries: ScoreBlock.chunkEntries)
    }

    /// `attention` forming at most `chunkEntries` scores together (tests use small chunks).
    static func attention(_ q: Var, _ k: Var, _ v: Var, causal: Bool, chunkEntries: Int) throws -> Var {
        guard q.ndim >= 2, k.ndim == q.ndim, v.ndim == q.ndim else {
            throw TensorError.invalidArgument("attention needs q, k and v with the same number (≥ 2) of axes, got \(formatShape(q.shape)), \(formatShape(k.shape)), \(formatShape(v.shape))")
        }
        let lead = Array(q.shape.dropLast(2))
        let (tq, d) = (q.shape[q.ndim - 2], q.shape[q.ndim - 1])
        let (tk, dk) = (k.shape[k.ndim - 2], k.shape[k.ndim - 1])
        let (tv, dv) = (v.shape[v.ndim - 2], v.shape[v.ndim - 1])
        guard Array(k.shape.dropLast(2)) == lead, Array(v.shape.dropLast(2)) == lead, dk == d else {
            throw ShapeError.mismatch(op: "attention (q and k)", lhs: q.shape, rhs: k.shape)
        }
        guard tv == tk, Array(v.shape.dropLast(2)) == lead else {
            throw ShapeError.mismatch(op: "attention (k and v)", lhs: k.shape, rhs: v.shape)
        }
        guard d > 0, tk > 0 else {
            throw TensorError.invalidArgument("attention needs at least one key and a feature axis of length ≥ 1")
        }
        let heads = lead.reduce(1, *)
        // No batch-heads: an empty result (nothing to differentiate).
        if heads == 0 { return Var(try Tensor.zeros(lead + [tq, dv])) }
        let q3 = try q.reshaped([heads, tq, d]), k3 = try k.reshaped([heads, tk, d]), v3 = try v.reshaped([heads, tk, dv])
        _ = try Tensor.elementCount([tq, tk])  // one score block must fit in the allocation limit
        // Query i keeps keys j ≤ i: entry i·Tk + j of a Tq×Tk block.
        let keep = causal ? (0..<(tq * tk)).map { $0 % tk <= $0 / tk } : nil
        let block = ScoreBlock(scale: 1 / Double(d).squareRoot(), keep: keep, heads: heads,
                               perChunk: Swift.max(1, chunkEntries / Swift.max(tq * tk, 1)))
        let (qc, kc, vc) = (Var(q3.value), Var(k3.value), Var(v3.value))
        let y = try block.joined(try block.chunks.map { r in
            try block.probabilities(try block.part(qc, r), try block.part(kc, r)).matmul(try block.part(vc, r))
        }).value
        let outShape = y.shape
        let r = try Var.apply("attention", [q3, k3, v3], value: y, rule: Rule(
            vjp: { g, c in try block.vjp(c.inputs, g.shape == outShape ? g : g.broadcast(to: outShape), needs: c.needs) },
            jvp: { t, c in try block.jvp(c.inputs, t) }))
        return try r.reshaped(lead + [tq, dv])
    }
}

/// Attention of stacked batch-heads `[B, T, d]`, a chunk of heads at a time, recomputed from q,
/// k, v by the rules so that the tape keeps only the operands and the output, never the scores.
///
/// With S = c q kᵀ (c = 1/√d, masked entries −∞), P = softmax(S) by rows (one node of its own),
/// O = P v, per head:
/// VJP  P̄ = Ō vᵀ, S̄ = P ∘ (P̄ − rowsum(P̄ ∘ P)), q̄ = c S̄ k, k̄ = c S̄ᵀ q, v̄ = Pᵀ Ō;
/// JVP  Ṡ = c (q̇ kᵀ + q k̇ᵀ), Ṗ = P ∘ (Ṡ − rowsum(P ∘ Ṡ)), Ȯ = Ṗ v + P v̇.
/// Both are written with `Var` operations (batched products over a chunk's heads), so they
/// differentiate again (the HVP).
private struct ScoreBlock {
    /// Most score entries formed together: 2²⁰ (8 MB), more than the heads of a typical batch
    /// of short sequences, far less than a long sequence's blocks across heads.
    static let chunkEntries = 1 << 20

    let scale: Double
    /// Which entries of a Tq×Tk score block are kept (row-major); nil keeps them all.
    let keep: [Bool]?
    /// Number of stacked batch-heads.
    let heads: Int
    /// Batch-heads per chunk.
    let perChunk: Int

    /// The chunks' ranges of batch-heads, in order.
    var chunks: [Range<Int>] {
        stride(from: 0, to: heads, by: perChunk).map { $0..<Swift.min($0 + perChunk, heads) }
    }

    /// The heads `r` of stacked `x` (x itself when `r` covers them all).
    func part(_ x: Var, _ r: Range<Int>) throws -> Var {
        r.count == x.shape[0] ? x : try x.index([.slice(start: r.lowerBound, stop: r.upperBound, step: nil)])
    }

    /// softmax(c q kᵀ) by rows, masked entries −∞ before the softmax.
    func probabilities(_ q: Var, _ k: Var) throws -> Var {
        let scores = try q.matmul(k.swapLastAxes())
        let p = try softmaxRows(scores.value)
        // The softmax's Jacobian is symmetric: Ṗ = c P ∘ (Ṡ − rowsum(P ∘ Ṡ)), S̄ the same of P̄,
        // with P the node's own (traced) output, so the rules differentiate again.
        return try Var.apply("attention_softmax", [scores], value: p, rule: Rule(
            vjp: { g, c in [try softmaxProduct(c.output, g) * scale] },
            jvp: { t, c in try t[0].map { try softmaxProduct(c.output, $0) * scale } }))
    }

    /// P = softmax(c S) by rows of the last axis, for scores `[B, Tq, Tk]`: per row the maximum
    /// of the unmasked c·s, then e^(c·s − max) (masked entries exactly 0) and its sum, in one
    /// pass per block of rows with the vector exp. A row with a NaN score is NaN.
    private func softmaxRows(_ s: Tensor) throws -> Tensor {
        let values = try s.asFloat()
        guard values.ndim == 3 else { throw ShapeError.wrongRank(op: "attention", expected: "scores [B, Tq, Tk]", got: s.shape) }
        let (tq, tk) = (values.shape[1], values.shape[2])
        let rows = values.count / Swift.max(tk, 1)
        let keep = self.keep ?? [Bool](repeating: true, count: tq * tk)
        guard keep.count == tq * tk else {
            throw ShapeError.mismatch(op: "attention (mask)", lhs: [keep.count], rhs: [tq, tk])
        }
        let scale = self.scale
        let out = try values.storage.withUnsafeBufferPointer { ps in
            try keep.withUnsafeBufferPointer { pk in
                try makeStorage(values.count) { p in
                    guard let src = ps.baseAddress, let kept = pk.baseAddress, tk > 0 else { return }
                    Parallel.forEachPiece(rows, minimum: Swift.max(1, Parallel.minimumElements / tk)) { range in
                        for r in range {
                            let (row, pr, kr) = (src + r * tk, p + r * tk, kept + (r % tq) * tk)
                            var top = -Double.infinity
                            for j in 0..<tk where kr[j] {
                                let v = scale * row[j]
                                if v > top || v.isNaN { top = v }
                            }
                            // Masked entries take e^0 in the pass and 0 after it, so the vector
                            // exp never meets −∞.
                            for j in 0..<tk { pr[j] = kr[j] ? scale * row[j] - top : 0 }
                            FastMath.exp(pr, pr, count: tk)
                            var total = 0.0
                            for j in 0..<tk {
                                if !kr[j] { pr[j] = 0 }
                                total += pr[j]
                            }
                            for j in 0..<tk { pr[j] /= total }
                        }
                    }
                }
            }
        }
        return try Tensor(shape: values.shape, storage: out)
    }

    /// P ∘ (X − rowsum(P ∘ X)): the softmax's Jacobian applied to X, by rows.
    private func softmaxProduct(_ p: Var, _ x: Var) throws -> Var {
        try p * (x - (p * x).sum(axis: -1, keepDims: true))
    }

    /// Joins the chunks' results along the heads.
    func joined(_ parts: [Var]) throws -> Var {
        parts.count == 1 ? parts[0] : try Var.concat(parts)
    }

    /// Operand cotangents (q̄, k̄, v̄) of stacked heads from the output cotangent.
    func vjp(_ inputs: [Var], _ g: Var, needs: [Bool]) throws -> [Var?] {
        let (q, k, v) = (inputs[0], inputs[1], inputs[2])
        var dq = [Var](), dk = [Var](), dv = [Var]()
        for r in chunks {
            let (qh, kh, vh, gh) = (try part(q, r), try part(k, r), try part(v, r), try part(g, r))
            let p = try probabilities(qh, kh)
            if needs[2] { dv.append(try p.swapLastAxes().matmul(gh)) }
            guard needs[0] || needs[1] else { continue }
            let ds = try softmaxProduct(p, gh.matmul(vh.swapLastAxes())) * scale
            if needs[0] { dq.append(try ds.matmul(kh)) }
            if needs[1] { dk.append(try ds.swapLastAxes().matmul(qh)) }
        }
        return [needs[0] ? try joined(dq) : nil, needs[1] ? try joined(dk) : nil, needs[2] ? try joined(dv) : nil]
    }

    /// The output tangent of stacked heads from operand tangents (nil for zero).
    func jvp(_ inputs: [Var], _ tangents: [Var?]) throws -> Var? {
        guard tangents.contains(where: { $0 != nil }) else { return nil }
        let t = try zip(tangents, inputs).map { t, x in try t.map { $0.shape == x.shape ? $0 : try $0.broadcast(to: x.shape) } }
        let (q, k, v) = (inputs[0], inputs[1], inputs[2])
        var out = [Var]()
        for r in chunks {
            let (qh, kh, vh) = (try part(q, r), try part(k, r), try part(v, r))
            let p = try probabilities(qh, kh)
            var o: Var?
            var sDot: Var?
            if let tq = t[0] { sDot = try part(tq, r).matmul(kh.swapLastAxes()) }
            if let tk = t[1] {
                let term = try qh.matmul(part(tk, r).swapLastAxes())
                sDot = try sDot.map { try $0 + term } ?? term
            }
            if let sDot { o = try softmaxProduct(p, sDot * scale).matmul(vh) }
            if let tv = t[2] {
                let term = try p.matmul(part(tv, r))
                o = try o.map { try $0 + term } ?? term
            }
            if let o { out.append(o) }
        }
        return try joined(out)
    }
}
