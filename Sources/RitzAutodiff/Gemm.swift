import RitzTensor

extension Var {
    /// The matrix product op(A)·op(B) as one primitive whose rules are products of the same kind:
    /// for C = op(A)·op(B), Ā = C̄·op(B)ᵀ (or op(B)·C̄ᵀ when A is transposed) and
    /// B̄ = op(A)ᵀ·C̄ (or C̄ᵀ·op(A) when B is transposed); Ċ = op(Ȧ)·op(B) + op(A)·op(Ḃ).
    /// A product outside any recording, added into a cotangent the sweep already gathered
    /// (`Partials`): one dgemm with beta = 1 instead of a product and a sum.
    private static func gemm(_ a: Var, transA: Bool, _ b: Var, transB: Bool, adding partial: Tensor?) throws -> Var {
        guard let partial else { return try gemm(a, transA: transA, b, transB: transB) }
        return Var(try Tensor.gemm(a.value, transA: transA, b.value, transB: transB, adding: partial))
    }

    static func gemm(_ a: Var, transA: Bool, _ b: Var, transB: Bool) throws -> Var {
        try node(a, transA: transA, b, transB: transB, value: try Tensor.gemm(a.value, transA: transA, b.value, transB: transB))
    }

    /// op(A)·op(B) recorded without computing its value when `valueUnread` (a cotangent recorded
    /// only to be differentiated again, ``RuleContext/valuesUnread``) and an operand is traced:
    /// the node holds a placeholder and its rule, whose products read only the operands.
    static func gemm(_ a: Var, transA: Bool, _ b: Var, transB: Bool, valueUnread: Bool) throws -> Var {
        guard valueUnread, a.isTraced || b.isTraced, a.ndim == 2, b.ndim == 2 else {
            return try gemm(a, transA: transA, b, transB: transB)
        }
        let (rows, inner) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (innerB, cols) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard inner == innerB else { throw ShapeError.mismatch(op: "@", lhs: a.shape, rhs: b.shape) }
        return try node(a, transA: transA, b, transB: transB, value: try placeholder([rows, cols]))
    }

    /// The recorded product op(A)·op(B) with the value `y`.
    private static func node(_ a: Var, transA: Bool, _ b: Var, transB: Bool, value y: Tensor) throws -> Var {
        try apply("@", [a, b], value: y, rule: Rule(
            vjp: { g, c in
                let (a, b) = (c.inputs[0], c.inputs[1])
                let ga = !c.needs[0] ? nil : c.valueUnread(0)
                    ? transA ? try gemm(b, transA: transB, g, transB: true, valueUnread: true)
                             : try gemm(g, transA: false, b, transB: !transB, valueUnread: true)
                    : transA ? try gemm(b, transA: transB, g, transB: true, adding: c.partials?.take(0))
                             : try gemm(g, transA: false, b, transB: !transB, adding: c.partials?.take(0))
                let gb = !c.needs[1] ? nil : c.valueUnread(1)
                    ? transB ? try gemm(g, transA: true, a, transB: transA, valueUnread: true)
                             : try gemm(a, transA: !transA, g, transB: false, valueUnread: true)
                    : transB ? try gemm(g, transA: true, a, transB: transA, adding: c.partials?.take(1))
                             : try gemm(a, transA: !transA, g, transB: false, adding: c.partials?.take(1))
                return [ga, gb]
            },
            jvp: { t, c in
                // Outside a recording, Ȧ·B + A·Ḃ as one product added into the other (beta = 1).
                if let ta = t[0], let tb = t[1], !ta.isTraced, !tb.isTraced, !c.inputs.contains(where: \.isTraced) {
                    let first = try Tensor.gemm(ta.value, transA: transA, c.inputs[1].value, transB: transB)
                    return Var(try Tensor.gemm(c.inputs[0].value, transA: transA, tb.value, transB: transB, adding: consume first))
                }
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
