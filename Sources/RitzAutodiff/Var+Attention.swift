import Foundation
import RitzTensor

/// Scaled dot-product attention (Vaswani et al., 2017).
extension Var {
    /// softmax(q kᵀ/√d) v over the last two axes, leading axes batched (they must match).
    ///
    /// q is `[…, Tq, d]`, k `[…, Tk, d]`, v `[…, Tk, dv]`; the result is `[…, Tq, dv]`. With
    /// `causal`, query i attends only to keys j ≤ i (top-left aligned, as
    /// `jax.nn.dot_product_attention(is_causal=True)`): masked scores are −∞ before the softmax.
    /// Each batch-head's Tq×Tk score block is formed on its own, one at a time, in the forward
    /// pass and again in the rules (`ScoreBlock`), which recompute it rather than keep it: the
    /// tape holds q, k, v and the output only.
    /// - Parameters:
    ///   - k: The keys.
    ///   - v: The values.
    ///   - causal: Mask keys after each query.
    /// - Returns: The attended values.
    /// - Throws: `ShapeError.mismatch` for shapes that do not fit; `TensorError.invalidArgument`
    ///   for operands with fewer than two axes.
    public static func attention(_ q: Var, _ k: Var, _ v: Var, causal: Bool = false) throws -> Var {
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
        let mask = causal ? try Tensor(shape: [tq, tk], storage: (0..<(tq * tk)).map { $0 % tk <= $0 / tk ? 1 : 0 }) : nil
        let block = ScoreBlock(scale: 1 / Double(d).squareRoot(), mask: mask)
        var outputs = [Tensor]()
        outputs.reserveCapacity(heads)
        for h in 0..<heads {
            let (qh, kh, vh) = (try Var(q3.value).index([.at(h)]), try Var(k3.value).index([.at(h)]), try Var(v3.value).index([.at(h)]))
            outputs.append(try block.probabilities(qh, kh).matmul(vh).value)
        }
        let y = try Tensor.stack(outputs, axis: 0)
        let outShape = y.shape
        let r = try Var.apply("attention", [q3, k3, v3], value: y, rule: Rule(
            vjp: { g, c in try block.vjp(c.inputs, g.shape == outShape ? g : g.broadcast(to: outShape), needs: c.needs) },
            jvp: { t, c in try block.jvp(c.inputs, t) }))
        return try r.reshaped(lead + [tq, dv])
    }
}

/// One batch-head's attention, recomputed from q, k, v by the rules so that the tape keeps only
/// the operands and the output, never the score blocks.
///
/// With S = c q kᵀ (c = 1/√d, masked entries −∞), P = softmax(S) by rows, O = P v:
/// VJP  P̄ = Ō vᵀ, S̄ = P ∘ (P̄ − rowsum(P̄ ∘ P)), q̄ = c S̄ k, k̄ = c S̄ᵀ q, v̄ = Pᵀ Ō;
/// JVP  Ṡ = c (q̇ kᵀ + q k̇ᵀ), Ṗ = P ∘ (Ṡ − rowsum(P ∘ Ṡ)), Ȯ = Ṗ v + P v̇.
/// Both are written with `Var` operations, so they differentiate again (the HVP).
private struct ScoreBlock {
    let scale: Double
    let mask: Tensor?

    /// softmax(c q kᵀ) by rows, masked entries −∞ before the softmax.
    func probabilities(_ q: Var, _ k: Var) throws -> Var {
        var scores = try q.matmul(k.transposed()) * scale
        if let mask { scores = try Var.where(mask, scores, Var(-Double.infinity)) }
        return try scores.softmax(axis: -1)
    }

    /// P ∘ (X − rowsum(P ∘ X)): the softmax's Jacobian applied to X, by rows.
    private func softmaxProduct(_ p: Var, _ x: Var) throws -> Var {
        try p * (x - (p * x).sum(axis: -1, keepDims: true))
    }

    /// Operand cotangents (q̄, k̄, v̄) of stacked heads from the output cotangent.
    func vjp(_ inputs: [Var], _ g: Var, needs: [Bool]) throws -> [Var?] {
        let (q, k, v) = (inputs[0], inputs[1], inputs[2])
        var dq = [Var](), dk = [Var](), dv = [Var]()
        for h in 0..<q.shape[0] {
            let (qh, kh, vh, gh) = (try q.index([.at(h)]), try k.index([.at(h)]), try v.index([.at(h)]), try g.index([.at(h)]))
            let p = try probabilities(qh, kh)
            if needs[2] { dv.append(try p.transposed().matmul(gh)) }
            guard needs[0] || needs[1] else { continue }
            let ds = try softmaxProduct(p, gh.matmul(vh.transposed())) * scale
            if needs[0] { dq.append(try ds.matmul(kh)) }
            if needs[1] { dk.append(try ds.transposed().matmul(qh)) }
        }
        return [needs[0] ? try Var.stack(dq) : nil, needs[1] ? try Var.stack(dk) : nil, needs[2] ? try Var.stack(dv) : nil]
    }

    /// The output tangent of stacked heads from operand tangents (nil for zero).
    func jvp(_ inputs: [Var], _ tangents: [Var?]) throws -> Var? {
        guard tangents.contains(where: { $0 != nil }) else { return nil }
        let t = try zip(tangents, inputs).map { t, x in try t.map { $0.shape == x.shape ? $0 : try $0.broadcast(to: x.shape) } }
        let (q, k, v) = (inputs[0], inputs[1], inputs[2])
        var out = [Var]()
        for h in 0..<q.shape[0] {
            let (qh, kh, vh) = (try q.index([.at(h)]), try k.index([.at(h)]), try v.index([.at(h)]))
            let p = try probabilities(qh, kh)
            var o: Var?
            var sDot: Var?
            if let tq = t[0] { sDot = try tq.index([.at(h)]).matmul(kh.transposed()) }
            if let tk = t[1] {
                let term = try qh.matmul(tk.index([.at(h)]).transposed())
                sDot = try sDot.map { try $0 + term } ?? term
            }
            if let sDot { o = try softmaxProduct(p, sDot * scale).matmul(vh) }
            if let tv = t[2] {
                let term = try p.matmul(tv.index([.at(h)]))
                o = try o.map { try $0 + term } ?? term
            }
            if let o { out.append(o) }
        }
        return try Var.stack(out)
    }
}
