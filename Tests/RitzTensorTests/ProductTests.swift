import Testing
@testable import RitzTensor

/// matmul (NumPy semantics, BLAS), dot, outer, kron, trace against NumPy
/// (`reference.json` → "matmul", "products").
@Suite struct ProductTests {
    static let names = ["mat_mat", "vec_mat", "mat_vec", "vec_vec", "stack_mat", "broadcast_stacks",
                        "vec_stack", "row_col", "outer_shape"]

    /// dgemm reorders sums, differently per kernel and from NumPy's: each entry is within the
    /// componentwise bound γ_k·(|A||B|)_ij ≈ k·(ε/2)·(|A||B|)_ij of any order (Higham §3.5), so two
    /// results within k·ε·(|A||B|)_ij (threshold 2 for margin).
    @Test(arguments: names)
    func matmulMatchesNumPy(name: String) throws {
        guard let list = try Fixture.node("matmul") as? [[String: Any]],
              let c = list.first(where: { ($0["name"] as? String) == name }) else { throw FixtureError.missing(name) }
        let a = try Fixture.tensor(from: c["a"] as Any), b = try Fixture.tensor(from: c["b"] as Any)
        let expected = try Fixture.tensor(from: c["result"] as Any)
        let got = try a.matmul(b), magnitude = try a.unary(.abs).matmul(b.unary(.abs))
        let k = a.ndim == 1 ? a.count : a.shape[a.ndim - 1]
        #expect(got.shape == expected.shape && magnitude.shape == expected.shape, "\(name)")
        guard got.count == expected.count, magnitude.count == expected.count else { return }
        for i in 0..<expected.count {
            let bound = backwardTol(n: k, norm: magnitude.storage[i], threshold: 2)
            #expect(Swift.abs(got.storage[i] - expected.storage[i]) <= bound, "\(name) entry \(i)")
        }
    }

    @Test func complexMatmul() throws {
        let z = try Fixture.tensor("complex", "z"), w = try Fixture.tensor("complex", "w")
        // (z @ w)[i, j] = Σ_k z[i, k] w[k, j], computed here elementwise.
        var expected = [Double](repeating: 0, count: 8)
        for i in 0..<2 { for j in 0..<2 {
            var acc = Complex(0)
            for k in 0..<2 {
                acc = acc + Complex(z.storage[2 * (i * 2 + k)], z.storage[2 * (i * 2 + k) + 1])
                    * Complex(w.storage[2 * (k * 2 + j)], w.storage[2 * (k * 2 + j) + 1])
            }
            expected[2 * (i * 2 + j)] = acc.re; expected[2 * (i * 2 + j) + 1] = acc.im
        } }
        // Two-term complex sums of O(1) products: a few roundings, 1e-14 ≈ 45ε (atol for cancellations).
        expectClose(try z.matmul(w), try Tensor(shape: [2, 2], storage: expected, dtype: .complex128), rtol: 1e-14, atol: 1e-15)
    }

    @Test func matmulShapeErrors() throws {
        let a = try Tensor.zeros([3, 4]), b = try Tensor.zeros([3, 4])
        #expect(throws: ShapeError.mismatch(op: "@", lhs: [3, 4], rhs: [3, 4])) { try a.matmul(b) }
        #expect(throws: ShapeError.self) { try Tensor.zeros([2, 3, 4]).matmul(Tensor.zeros([3, 4, 5])) }
        #expect(throws: ShapeError.self) { try Tensor(2).matmul(a) }
        #expect(throws: ShapeError.mismatch(op: "dot", lhs: [3], rhs: [4])) { try Tensor.zeros([3]).dot(Tensor.zeros([4])) }
    }

    @Test func emptyInnerDimensionGivesZeros() throws {
        let c = try Tensor.zeros([3, 0]).matmul(Tensor.zeros([0, 2]))
        #expect(c.shape == [3, 2] && c.storage == [Double](repeating: 0, count: 6))
    }

    @Test func dotOuterKronTrace() throws {
        // outer and kron are single products (one rounding, ε/2 relative: rtol 1e-15 ≈ 4.5ε); dot and
        // trace are short sums of O(1) terms (rtol 1e-14 ≈ 45ε covers their reordering).
        let u = try Fixture.tensor("products", "u"), v = try Fixture.tensor("products", "v")
        expectClose(try u.dot(v).storage[0], try Fixture.number("products", "dot"), rtol: 1e-14)
        let v3 = try v.index([.slice(start: nil, stop: 3, step: nil)])
        expectClose(try u.outer(v3), try Fixture.tensor("products", "outer"), rtol: 1e-15)
        let k1 = try Fixture.tensor("products", "k1"), k2 = try Fixture.tensor("products", "k2")
        expectClose(try k1.kron(k2), try Fixture.tensor("products", "kron"), rtol: 1e-15)
        let u2 = try u.index([.slice(start: nil, stop: 2, step: nil)])
        expectClose(try u2.kron(v3), try Fixture.tensor("products", "kron1d"), rtol: 1e-15)
        let sq = try Fixture.tensor("products", "sq")
        expectClose(try sq.trace().storage[0], try Fixture.number("products", "trace"), rtol: 1e-14)
        #expect(throws: ShapeError.self) { try u.trace() }
    }
}
