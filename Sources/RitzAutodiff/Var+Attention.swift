import Foundation
import RitzTensor

/// Scaled dot-product attention (Vaswani et al., 2017).
extension Var {
    /// softmax(q kᵀ/√d) v over the last two axes, leading axes batched (they must match).
    ///
    /// q is `[…, Tq, d]`, k `[…, Tk, d]`, v `[…, Tk, dv]`; the result is `[…, Tq, dv]`. With
    /// `causal`, query i attends only to keys j ≤ i (top-left aligned, as
    /// `jax.nn.dot_product_attention(is_causal=True)`): masked scores are −∞ before the softmax.
    /// Each batch-head's Tq×Tk score block is formed on its own, one at a time; the derivatives
    /// are those of the matrix products, `where` and the softmax's `logsumexp`, so every order
    /// differentiates. When the call is recorded for differentiation the tape keeps each block
    /// for the backward sweep.
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
        let scale = Var(1 / Double(d).squareRoot())
        _ = try Tensor.elementCount([tq, tk])  // one score block must fit in the allocation limit
        let mask = causal ? try Tensor(shape: [tq, tk], storage: (0..<(tq * tk)).map { $0 % tk <= $0 / tk ? 1 : 0 }) : nil
        let blocked = Var(-Double.infinity)
        var outputs = [Var]()
        outputs.reserveCapacity(heads)
        for h in 0..<heads {
            let qh = try q3.index([.at(h)]), kh = try k3.index([.at(h)]), vh = try v3.index([.at(h)])
            var scores = try qh.matmul(kh.transposed()) * scale
            if let mask { scores = try Var.where(mask, scores, blocked) }
            outputs.append(try scores.softmax(axis: -1).matmul(vh))
        }
        return try Var.stack(outputs, axis: 0).reshaped(lead + [tq, dv])
    }
}
