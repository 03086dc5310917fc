import Testing
import RitzTensor
@testable import RitzAutodiff

/// Every primitive against central finite differences at seeded random points.
///
/// Each case's function f is turned into the scalar L(x) = Σ W∘f(x) + ¼ Σ f(x)² with a seeded
/// random W, so the gradient checks the whole vector-Jacobian product and the Hessian (which
/// contains Jᵀ J even for linear f) checks the rules' second-order behaviour.
/// Tolerances: gradients rtol 1e-6, atol 1e-6 (central differences with h = 1e-5 are accurate to
/// about 1e-9 here); second order rtol 1e-5, atol 1e-5 (a difference of gradients).
@Suite("Primitives against finite differences")
struct PrimitiveTests {
    struct Point {
        let xs: [Tensor]
        let w: Tensor
        let directions: [Tensor]
    }

    static func point(_ c: PrimitiveCase, seed: UInt64 = 7) throws -> Point {
        var rng = RandomGenerator(seed: seed)
        let xs = try c.inputs.map { try $0.draw(&rng) }
        let y = try c.f(xs.map { Var($0) })
        let w = try uniformTensor(y.shape, -1, 1, &rng)
        let v = try xs.map { try uniformTensor($0.shape, -1, 1, &rng) }
        return Point(xs: xs, w: w, directions: v)
    }

    /// L(x) with argument `k` replaced by x.
    static func loss(_ c: PrimitiveCase, _ p: Point, _ k: Int) -> (Var) throws -> Var {
        { x in
            var args = p.xs.map { Var($0) }
            args[k] = x
            let y = try c.f(args)
            return try (Var(p.w) * y).sum() + (y * y).sum() * 0.25
        }
    }

    @Test("gradient", arguments: primitiveCases)
    func gradient(_ c: PrimitiveCase) throws {
        let p = try Self.point(c)
        for k in 0..<p.xs.count {
            let L = Self.loss(c, p, k)
            let ad = try grad(L)(Var(p.xs[k])).value
            let fd = try FiniteDifference.gradient({ try L(Var($0)).value.storage[0] }, at: p.xs[k])
            let r = toleranceRatio(ad, fd, rtol: 1e-6, atol: 1e-6)
            #expect(r <= 1, "\(c.name) argument \(k): ratio \(r)\nAD \(ad.storage)\nFD \(fd.storage)")
            if !c.smooth { #expect(ad.storage.allSatisfy { $0 == 0 }) }
        }
    }

    @Test("Hessian-vector product, both modes", arguments: primitiveCases)
    func hessianVector(_ c: PrimitiveCase) throws {
        let p = try Self.point(c)
        for k in 0..<p.xs.count {
            let L = Self.loss(c, p, k)
            let v = p.directions[k]
            let fd = try FiniteDifference.directional({ try grad(L)(Var($0)).value }, at: p.xs[k], along: v)
            for mode in [HVPMode.reverseOverReverse, .forwardOverReverse] {
                let h = try hvp(L, at: Var(p.xs[k]), Var(v), mode: mode).value
                let r = toleranceRatio(h, fd, rtol: 1e-5, atol: 1e-5)
                #expect(r <= 1, "\(c.name) argument \(k) \(mode): ratio \(r)\nAD \(h.storage)\nFD \(fd.storage)")
            }
        }
    }

    @Test("grad of grad", arguments: primitiveCases)
    func gradOfGrad(_ c: PrimitiveCase) throws {
        let p = try Self.point(c)
        for k in 0..<p.xs.count {
            let L = Self.loss(c, p, k)
            let v = p.directions[k]
            // ∇ₓ ⟨∇L(x), v⟩ = ∇²L(x)·v, by nesting the public `grad`.
            let inner = grad(L)
            let outer = grad { x in try (inner(x) * Var(v)).sum() }
            let gg = try outer(Var(p.xs[k])).value
            let fd = try FiniteDifference.directional({ try grad(L)(Var($0)).value }, at: p.xs[k], along: v)
            let r = toleranceRatio(gg, fd, rtol: 1e-5, atol: 1e-5)
            #expect(r <= 1, "\(c.name) argument \(k): ratio \(r)")
        }
    }

    @Test("Jacobian-vector product of the primitive itself", arguments: primitiveCases)
    func jacobianVector(_ c: PrimitiveCase) throws {
        let p = try Self.point(c)
        for k in 0..<p.xs.count {
            let f: (Var) throws -> Var = { x in
                var args = p.xs.map { Var($0) }
                args[k] = x
                return try c.f(args)
            }
            let v = p.directions[k]
            let t = try jvp(f, at: Var(p.xs[k]), Var(v)).tangent.value
            let fd = try FiniteDifference.directional({ try f(Var($0)).value }, at: p.xs[k], along: v)
            let r = toleranceRatio(t, fd, rtol: 1e-6, atol: 1e-6)
            #expect(r <= 1, "\(c.name) argument \(k): ratio \(r)\nAD \(t.storage)\nFD \(fd.storage)")
        }
    }

    /// tanh's unrecorded pull-back writes ḡ·(1 − y²) over ḡ when nothing else holds ḡ (a cotangent
    /// made inside the sweep), and into a new array when something does (a seed the caller
    /// holds, left as it was): the same bytes, a plain loop's, either way.
    @Test func tanhOverwritesOnlyACotangentNothingElseHolds() throws {
        var rng = RandomGenerator(seed: 21)
        let x = try uniformTensor([300, 5], -2, 2, &rng), u = try uniformTensor([300, 5], -1, 1, &rng)
        let copy = u.storage.map { $0 }
        let held = try vjp({ try $0.tanh() }, at: Var(x), Var(u)).cotangent.value
        #expect(u.storage == copy)
        let overwritten = try grad({ x in try (Var(u) * x.tanh()).sum() })(Var(x)).value
        let y = try x.unary(.tanh)
        let expected = (0..<x.count).map { u.storage[$0] * (1 - y.storage[$0] * y.storage[$0]) }
        #expect(held.storage == expected && overwritten.storage == expected)
    }

    /// relu's pull-back g·[x > 0] in one pass equals g times the 0/1 mask of x > 0, bit for bit
    /// (a NaN x gives factor 0), whether it writes over a cotangent nothing else holds or leaves a
    /// held seed alone; as a recorded node it is linear in g (its HVP through relu is zero).
    @Test func reluPullBackIsTheMaskedCotangent() throws {
        var rng = RandomGenerator(seed: 22)
        var xs = try uniformTensor([200, 5], -2, 2, &rng).storage
        xs[7] = .nan; xs[8] = -0.0; xs[9] = 0
        let x = try Tensor(shape: [200, 5], storage: xs), u = try uniformTensor([200, 5], -1, 1, &rng)
        let expected = (0..<x.count).map { u.storage[$0] * (xs[$0] > 0 ? 1 : 0) }
        let copy = u.storage.map { $0 }
        let held = try vjp({ try $0.relu() }, at: Var(x), Var(u)).cotangent.value
        #expect(u.storage == copy)
        let overwritten = try grad({ x in try (Var(u) * x.relu()).sum() })(Var(x)).value
        #expect(held.storage.elementsEqual(expected) { $0.bitPattern == $1.bitPattern })
        #expect(overwritten.storage.elementsEqual(expected) { $0.bitPattern == $1.bitPattern })
        let h = try hvp({ x in try (Var(u) * x.relu()).sum() }, at: Var(x), Var(u))
        #expect(h.value.storage.allSatisfy { $0 == 0 })
    }
}
