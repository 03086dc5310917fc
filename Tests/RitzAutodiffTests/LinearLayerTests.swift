import Testing
import RitzTensor
@testable import RitzAutodiff

/// The fused `linear` layer against the same layer written from unfused primitives (`matmul`, `+`, the
/// activation), which the finite-difference tests check on their own: value, gradient (the fused
/// VJP outside a recording), Hessian-vector product (the recorded VJP under a tangent sweep) and
/// JVP, for every activation, on a small batch and on one split in two halves.
///
/// Tolerance rtol 1e-12, atol 1e-13: both sides compute the same sums of at most eight terms of
/// size O(1) per element; only the order of summation in the products (and the row split)
/// differ, which moves results by a few ulp.
@Suite("Fused linear layer")
struct LinearLayerTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let activation: UnaryOp?
        let rows: Int
        var testDescription: String { "\(activation?.rawValue ?? "identity"), \(rows) rows" }
    }

    static let cases: [Case] = [nil, UnaryOp.tanh, .sigmoid, .relu, .gelu].flatMap { a in
        [Case(activation: a, rows: 7), Case(activation: a, rows: 300)]
    }

    /// x (rows × 3), w (4 × 3), b (4); relu's bias keeps |z| ≥ 1.2 away from its kink.
    static func operands(_ c: Case) throws -> [Tensor] {
        var rng = RandomGenerator(seed: 11)
        let relu = c.activation == .relu
        let x = try uniformTensor([c.rows, 3], relu ? -0.3 : -1, relu ? 0.3 : 1, &rng)
        let w = try uniformTensor([4, 3], relu ? -0.3 : -1, relu ? 0.3 : 1, &rng)
        var b = try uniformTensor([4], 1.5, 2.5, &rng)
        b = try b * Tensor([1, -1, 1, -1])
        return [x, w, b]
    }

    static func fused(_ c: Case) -> ([Var]) throws -> Var {
        { try Var.linear($0[0], $0[1], $0[2], activation: c.activation) }
    }

    static func unfused(_ c: Case) -> ([Var]) throws -> Var {
        { v in
            let z = try v[0].matmul(v[1].T) + v[2]
            return try c.activation.map { try z.unary($0) } ?? z
        }
    }

    /// Σ W∘f + ¼ Σ f² with argument `k` free, the others fixed (as in the primitive tests).
    static func loss(_ f: @escaping ([Var]) throws -> Var, _ xs: [Tensor], _ weight: Tensor, _ k: Int) -> (Var) throws -> Var {
        { x in
            var args = xs.map { Var($0) }
            args[k] = x
            let y = try f(args)
            return try (Var(weight) * y).sum() + (y * y).sum() * 0.25
        }
    }

    @Test("value, gradient, HVP and JVP agree with the unfused layer", arguments: cases)
    func agreesWithComposition(_ c: Case) throws {
        let xs = try Self.operands(c)
        var rng = RandomGenerator(seed: 12)
        let weight = try uniformTensor([c.rows, 4], -1, 1, &rng)
        let (fused, unfused) = (Self.fused(c), Self.unfused(c))
        let value = try fused(xs.map { Var($0) }).value
        #expect(toleranceRatio(value, try unfused(xs.map { Var($0) }).value, rtol: 1e-12, atol: 1e-13) <= 1)
        for k in 0..<3 {
            let v = try uniformTensor(xs[k].shape, -1, 1, &rng)
            let (lf, lu) = (Self.loss(fused, xs, weight, k), Self.loss(unfused, xs, weight, k))
            let g = try grad(lf)(Var(xs[k])).value, gRef = try grad(lu)(Var(xs[k])).value
            #expect(toleranceRatio(g, gRef, rtol: 1e-12, atol: 1e-13) <= 1, "gradient in argument \(k)")
            let h = try hvp(lf, at: Var(xs[k]), Var(v), mode: .forwardOverReverse).value
            let hRef = try hvp(lu, at: Var(xs[k]), Var(v), mode: .forwardOverReverse).value
            #expect(toleranceRatio(h, hRef, rtol: 1e-12, atol: 1e-13) <= 1, "HVP in argument \(k)")
            func along(_ f: @escaping ([Var]) throws -> Var) throws -> Tensor {
                try jvp({ x in
                    var args = xs.map { Var($0) }
                    args[k] = x
                    return try f(args)
                }, at: Var(xs[k]), Var(v)).tangent.value
            }
            let (tangent, tangentRef) = (try along(fused), try along(unfused))
            #expect(toleranceRatio(tangent, tangentRef, rtol: 1e-12, atol: 1e-13) <= 1, "JVP in argument \(k)")
        }
    }

    /// An unrecorded sweep writes the layer's δ = ḡ ⊙ f′ over ḡ when nothing else holds ḡ, and
    /// into scratch when something does. Both ways give the same bytes: the pull-back of a
    /// cotangent u the caller holds (scratch; u is left as it was) equals the gradient of
    /// Σ u ∘ layer(x), whose cotangent 1·u is made inside the sweep and overwritten.
    @Test("overwriting the cotangent or not gives the same bytes", arguments: [7, 300])
    func overwrittenAndHeldCotangentsAgree(rows: Int) throws {
        let xs = try Self.operands(Case(activation: .tanh, rows: rows))
        var rng = RandomGenerator(seed: 13)
        let u = try uniformTensor([rows, 4], -1, 1, &rng)
        let copy = u.storage.map { $0 }
        let layer: (Var) throws -> Var = { try Var.linear($0, Var(xs[1]), Var(xs[2]), activation: .tanh) }
        let held = try vjp(layer, at: Var(xs[0]), Var(u)).cotangent.value
        #expect(u.storage == copy)
        let overwritten = try grad({ x in try (Var(u) * layer(x)).sum() })(Var(xs[0])).value
        #expect(held == overwritten)
    }

    @Test func refusesWhatDoesNotFit() throws {
        let x = Var(try Tensor.ones([2, 3])), w = Var(try Tensor.ones([4, 3])), b = Var(try Tensor.ones([4]))
        #expect(throws: TensorError.self) { try Var.linear(x, Var(try Tensor.ones([4, 2])), b) }
        #expect(throws: TensorError.self) { try Var.linear(x, w, Var(try Tensor.ones([3]))) }
        #expect(throws: TensorError.self) { try Var.linear(Var(try Tensor.ones([2])), w, b) }
        #expect(throws: ShapeError.self) { try Var.linear(Var(try Tensor.ones([1, 2, 3])), w, b) }
        #expect(try Var.linear(Var(try Tensor.ones([3])), w, b).value == Tensor([4, 4, 4, 4]))
        #expect(throws: TensorError.self) { try Var.linear(x, w, b, activation: .sin) }
        let empty = try Var.linear(Var(try Tensor.zeros([0, 3])), w, b, activation: .tanh)
        #expect(empty.shape == [0, 4])
        // No rows: the weights' and bias's gradients are zero.
        let none = Var(try Tensor.zeros([0, 3]))
        #expect(try grad({ w in try Var.linear(none, w, b, activation: .tanh).sum() })(w).value == Tensor.zeros([4, 3]))
        #expect(try grad({ b in try Var.linear(none, w, b, activation: .tanh).sum() })(b).value == Tensor.zeros([4]))
    }
}
