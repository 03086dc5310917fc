import RitzTensor

extension Var {
    /// The matrix product op(A)·op(B) as one primitive whose rules are products of the same kind:
    /// for C = op(A)·op(B), Ā = C̄·op(B)ᵀ (or op(B)·C̄ᵀ when A is transposed) and
    /// B̄ = op(A)ᵀ·C̄ (or C̄ᵀ·op(A) when B is transposed); Ċ = op(Ȧ)·op(B) + op(A)·op(Ḃ).
    static func gemm(_ a: Var, transA: Bool, _ b: Var, transB: Bool) throws -> Var {
        let y = try Tensor.gemm(a.value, transA: transA, b.value, transB: transB)
        return try apply("@", [a, b], value: y, rule: Rule(
            vjp: { g, c in
                let (a, b) = (c.inputs[0], c.inputs[1])
                let ga = !c.needs[0] ? nil : transA
                    ? try gemm(b, transA: transB, g, transB: true)
                    : try gemm(g, transA: false, b, transB: !transB)
                let gb = !c.needs[1] ? nil : transB
                    ? try gemm(g, transA: true, a, transB: transA)
                    : try gemm(a, transA: !transA, g, transB: false)
                return [ga, gb]
            },
            jvp: { t, c in
                var out: Var?
                if let ta = t[0] { out = try gemm(ta, transA: transA, c.inputs[1], transB: transB) }
                if let tb = t[1] {
                    let term = try gemm(c.inputs[0], transA: transA, tb, transB: transB)
                    out = try out.map { try $0 + term } ?? term
                }
                return out
            }))
    }
}
