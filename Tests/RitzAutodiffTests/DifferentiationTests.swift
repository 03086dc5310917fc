import Testing
import RitzTensor
@testable import RitzAutodiff

/// The public transforms (grad with argnum, jacobian, hessian, nesting) against finite
/// differences, and their typed errors. Tolerances as in `PrimitiveTests` against finite
/// differences; comparisons where only rounding differs (a Hessian against its transpose,
/// closed-form derivatives of size ≤ 36, jvp∘grad against hvp) allow 1e-12 absolute, a few
/// hundred ε on such values for sums of at most 16 terms.
@Suite("Transforms")
struct DifferentiationTests {
    static func point(_ shape: [Int], seed: UInt64) throws -> Tensor {
        var rng = RandomGenerator(seed: seed)
        return try uniformTensor(shape, -1, 1, &rng)
    }

    @Test("grad with argnum of a function of three arguments", arguments: [0, 1, 2])
    func gradArgnum(_ k: Int) throws {
        let f: ([Var]) throws -> Var = { a in
            try (a[0].matmul(a[1]).tanh() * a[2]).sum() + (a[1] * a[1]).sum()
        }
        let xs = [try Self.point([3, 4], seed: 1), try Self.point([4, 2], seed: 2), try Self.point([2], seed: 3)]
        let g = try grad(f, argnum: k)(xs.map { Var($0) }).value
        let fd = try FiniteDifference.gradient({ x in
            var args = xs.map { Var($0) }
            args[k] = Var(x)
            return try f(args).value.storage[0]
        }, at: xs[k])
        #expect(toleranceRatio(g, fd, rtol: 1e-6, atol: 1e-6) <= 1)
    }

    struct JacobianCase: Sendable, CustomTestStringConvertible {
        let name: String
        let shape: [Int]
        let f: @Sendable (Var) throws -> Var
        var testDescription: String { name }
    }

    static let jacobianCases = [
        // Fewer outputs than inputs: reverse sweeps.
        JacobianCase(name: "row sums of sin (reverse)", shape: [3, 4]) { try $0.sin().sum(axis: 1) },
        // More outputs than inputs: forward sweeps.
        JacobianCase(name: "outer with itself (forward)", shape: [3]) { x in try x.outer(x.exp()) },
        JacobianCase(name: "softmax (square)", shape: [5]) { try $0.softmax() },
    ]

    @Test("jacobian", arguments: jacobianCases)
    func jacobianMatchesFD(_ c: JacobianCase) throws {
        let x = try Self.point(c.shape, seed: 11)
        let J = try jacobian(c.f, at: Var(x)).value
        let y = try c.f(Var(x)).value
        #expect(J.shape == y.shape + x.shape)
        let n = x.count, m = y.count
        for k in 0..<n {
            let col = try FiniteDifference.directional({ try c.f(Var($0)).value }, at: x, along: basis(k, shape: x.shape))
            let mine = try J.reshaped([m, n]).index([.all, .at(k)])
            #expect(toleranceRatio(mine, try col.reshaped([m]), rtol: 1e-6, atol: 1e-6) <= 1, "column \(k)")
        }
    }

    @Test("hessian against finite differences of the gradient, symmetric")
    func hessianMatchesFD() throws {
        let A = Var(try Self.point([4, 4], seed: 5))
        let f: (Var) throws -> Var = { x in
            try (x.sin() * x * x).sum() + x.matmul(A).matmul(x) + x.norm().pow(3)
        }
        let x = try Self.point([4], seed: 6)
        let H = try hessian(f, at: Var(x)).value
        #expect(H.shape == [4, 4])
        for k in 0..<4 {
            let col = try FiniteDifference.directional({ try grad(f)(Var($0)).value }, at: x, along: basis(k, shape: [4]))
            #expect(toleranceRatio(try H.index([.all, .at(k)]), col, rtol: 1e-5, atol: 1e-5) <= 1)
        }
        #expect(toleranceRatio(H, H.T, rtol: 1e-12, atol: 1e-12) <= 1)
    }

    /// A hidden layer feeding both a product and a square: in the second sweep of an HVP, the
    /// products add into cotangents already gathered (`Partials`); both HVP modes must agree
    /// with finite differences of the gradient.
    @Test("hvp through products that accumulate into gathered cotangents", arguments: [HVPMode.reverseOverReverse, .forwardOverReverse])
    func hvpThroughAccumulatingProducts(_ mode: HVPMode) throws {
        let X = Var(try Self.point([7, 4], seed: 21)), V = Var(try Self.point([3, 2], seed: 22))
        let f: (Var) throws -> Var = { w in
            let W = try w.reshaped([4, 3])
            let h = try X.matmul(W).tanh()
            return try h.matmul(V).sum() + (h * h).sum() + X.matmul(W).matmul(W.T).sum()
        }
        let w = try Self.point([12], seed: 23), v = try Self.point([12], seed: 24)
        let hv = try hvp(f, at: Var(w), Var(v), mode: mode).value
        let fd = try FiniteDifference.directional({ try grad(f)(Var($0)).value }, at: w, along: v)
        #expect(toleranceRatio(hv, fd, rtol: 1e-6, atol: 1e-6) <= 1)
    }

    @Test("third derivative by nesting grad three times")
    func thirdOrder() throws {
        let d3 = grad(grad(grad { x in try x.pow(4).sum() }))
        let y = try d3(Var(Tensor(1.5))).value.storage[0]
        #expect(Swift.abs(y - 24 * 1.5) < 1e-12)
    }

    @Test("nested calls keep their variables apart (perturbation confusion)")
    func perturbationConfusion() throws {
        // d/dx [x · d/dy (x + y)] = d/dx [x · 1] = 1; confusing the two variables gives 2.
        let outer = grad { x in
            try x * grad { y in try x + y }(Var(1))
        }
        #expect(try outer(Var(1)).value.storage[0] == 1)
        // f(x) = x · (d/dy x·y at y = x) = x², so f′(x) = 2x; at x = 3, 6.
        let f = grad { x in try x * grad { y in try y * x }(x) }
        #expect(Swift.abs(try f(Var(3)).value.storage[0] - 6) < 1e-12)
    }

    @Test("inner gradient at a constant point closing over an outer variable")
    func closureOverOuterVariable() throws {
        let x0 = Var(try Self.point([3], seed: 9))
        // F(w) = Σ ∇ₓ[Σ sin(w∘x)](x0) = Σ w∘cos(w∘x0).
        let F: (Var) throws -> Var = { w in
            try grad { x in try (w * x).sin().sum() }(x0).sum()
        }
        let w = try Self.point([3], seed: 10)
        let g = try grad(F)(Var(w)).value
        let fd = try FiniteDifference.gradient({ try F(Var($0)).value.storage[0] }, at: w)
        #expect(toleranceRatio(g, fd, rtol: 1e-6, atol: 1e-6) <= 1)
    }

    @Test("jvp of a gradient equals hvp; results hold no tape")
    func jvpOfGrad() throws {
        let f: (Var) throws -> Var = { x in try x.tanh().pow(2).sum() * x.sum() }
        let x = Var(try Self.point([5], seed: 12)), v = Var(try Self.point([5], seed: 13))
        let a = try jvp(grad(f), at: x, v).tangent
        let b = try hvp(f, at: x, v)
        #expect(toleranceRatio(a.value, b.value, rtol: 1e-12, atol: 1e-13) <= 1)
        #expect(!a.isTraced && !b.isTraced)
    }

    @Test("zero gradient for a function that ignores its argument")
    func constantFunction() throws {
        let g = try grad { _ in Var(Tensor(3)) }(Var(try Self.point([2, 2], seed: 1)))
        #expect(g.value == (try Tensor.zeros([2, 2])))
    }

    @Test("typed errors")
    func errors() throws {
        let x = Var(try Self.point([3], seed: 4))
        #expect(throws: AutodiffError.nonScalarOutput(op: "grad", shape: [3])) { try grad { try $0.sin() }(x) }
        #expect(throws: AutodiffError.badArgnum(argnum: 2, count: 1)) { try grad({ try $0[0].sum() }, argnum: 2)([x]) }
        #expect(throws: AutodiffError.tangentShape(op: "hvp", expected: [3], got: [2])) {
            try hvp({ try $0.sum() }, at: x, Var(try Tensor.zeros([2])))
        }
        do {
            _ = try hessian({ try $0.sum() }, at: x, limit: 2)
            Issue.record("hessian beyond its limit did not throw")
        } catch let AutodiffError.tooLarge(op, n, limit, hint) {
            #expect(op == "hessian" && n == 3 && limit == 2 && hint.contains("hessian_op"))
        }
        #expect(throws: AutodiffError.undefinedDerivative(op: "norm", reason: "the 2-norm has no derivative at zero")) {
            try grad { try $0.norm() }(Var(try Tensor.zeros([3])))
        }
        #expect(throws: AutodiffError.notDifferentiable(op: "svd")) {
            try grad { x in try Var.requireConstant("svd", x); return try x.sum() }(x)
        }
        var leaked: Var?
        _ = try grad { x in leaked = x; return try x.sum() }(x)
        let old = try #require(leaked)
        #expect(throws: AutodiffError.mixedTapes(op: "+")) { try grad { y in try (y + old).sum() }(x) }
    }
}
