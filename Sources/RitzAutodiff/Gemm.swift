import CBLAS
import RitzTensor

/// op(A)·op(B) for matrices, where op transposes when asked: one `dgemm` reading the operands
/// in place, so the reverse rules of a product (C̄·Bᵀ, Aᵀ·C̄) never copy a transposed matrix.
///
/// - Throws: `ShapeError.mismatch(op: "@")` when the inner dimensions differ.
func gemm(_ a: Tensor, transA: Bool, _ b: Tensor, transB: Bool) throws -> Tensor {
    let a = try a.asFloat(), b = try b.asFloat()
    let (ar, ac) = (a.shape[0], a.shape[1]), (br, bc) = (b.shape[0], b.shape[1])
    let (m, k) = transA ? (ac, ar) : (ar, ac)
    let (k2, n) = transB ? (bc, br) : (br, bc)
    guard k == k2 else {
        throw ShapeError.mismatch(op: "@", lhs: transA ? [m, k] : a.shape, rhs: transB ? [k2, n] : b.shape)
    }
    let total = try Tensor.elementCount([m, n])
    var out = [Double](repeating: 0, count: total)
    if m > 0 && n > 0 && k > 0 {
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                                Int32(truncatingIfNeeded: m), Int32(truncatingIfNeeded: n), Int32(truncatingIfNeeded: k), 1,
                                pa.baseAddress, Int32(truncatingIfNeeded: Swift.max(ac, 1)),
                                pb.baseAddress, Int32(truncatingIfNeeded: Swift.max(bc, 1)),
                                0, pc.baseAddress, Int32(truncatingIfNeeded: n))
                }
            }
        }
    }
    return try Tensor(shape: [m, n], storage: out)
}

extension Var {
    /// The matrix product op(A)·op(B) as one primitive whose rules are products of the same kind:
    /// for C = op(A)·op(B), Ā = C̄·op(B)ᵀ (or op(B)·C̄ᵀ when A is transposed) and
    /// B̄ = op(A)ᵀ·C̄ (or C̄ᵀ·op(A) when B is transposed); Ċ = op(Ȧ)·op(B) + op(A)·op(Ḃ).
    static func gemm(_ a: Var, transA: Bool, _ b: Var, transB: Bool) throws -> Var {
        let y = try RitzAutodiff.gemm(a.value, transA: transA, b.value, transB: transB)
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
