import Testing
@testable import RitzAutodiff
import RitzTensor

/// Attention over more score entries than one chunk holds: five causal heads of 8 × 8 scores
/// with chunks of 128 entries are formed two, two, then one head at a time. Each head alone fits
/// one chunk, so the
/// chunked result must equal the heads computed one by one — the value, the gradient and the
/// HVP (forward over reverse), which run the chunked VJP and JVP rules.
@Suite struct AttentionChunkTests {
    @Test func chunkedHeadsEqualHeadsOneByOne() throws {
        var rng = RandomGenerator(seed: 4)
        let (heads, t, d) = (5, 8, 3)
        let q = try Tensor.randn([heads, t, d], using: &rng), k = try Tensor.randn([heads, t, d], using: &rng)
        let v = try Tensor.randn([heads, t, d], using: &rng), w = try Tensor.randn([heads, t, d], using: &rng)
        let dir = try Tensor.randn([heads, t, d], using: &rng)
        // A scalar of q through attention: Σ w ∘ attention(q, k, q + v).
        func loss(_ q: Var, oneByOne: Bool) throws -> Var {
            let values = try q + Var(v)
            let out: Var
            if oneByOne {
                out = try Var.concat((0..<heads).map { h in
                    let r = [IndexItem.slice(start: h, stop: h + 1, step: nil)]
                    return try Var.attention(try q.index(r), Var(try k.index(r)), try values.index(r), causal: true, chunkEntries: 128)
                })
            } else {
                out = try Var.attention(q, Var(k), values, causal: true, chunkEntries: 128)
            }
            return try (out * Var(w)).sum()
        }
        let chunked = { (q: Var) in try loss(q, oneByOne: false) }, single = { (q: Var) in try loss(q, oneByOne: true) }
        // Both compute every head's products in the same order; only the summation of the final
        // scalar and of the cotangents across the chunk boundary may differ by rounding.
        func close(_ a: Tensor, _ b: Tensor) -> Bool {
            let scale = b.storage.map(abs).max() ?? 0
            return zip(a.storage, b.storage).allSatisfy { abs($0 - $1) <= 1e-12 * scale }
        }
        #expect(close(try chunked(Var(q)).value, try single(Var(q)).value))
        #expect(close(try grad(chunked)(Var(q)).value, try grad(single)(Var(q)).value))
        #expect(close(try hvp(chunked, at: Var(q), Var(dir), mode: .forwardOverReverse).value,
                      try hvp(single, at: Var(q), Var(dir), mode: .forwardOverReverse).value))
    }
}
