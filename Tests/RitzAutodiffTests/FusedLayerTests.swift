import Testing
import RitzTensor
@testable import RitzAutodiff

/// The fused `layernorm` and `gelu` nodes against the same maps written from unfused primitives
/// (means, products, `sqrt`, `normalCDF`/`normalPDF`), and against central finite differences.
///
/// Tolerances: fused against composite, rtol 1e-11 and atol 1e-12 — both sides form the same
/// sums of at most a few dozen O(1) terms, only in another order, so they differ by rounding
/// (a few hundred ulp at most after three orders of differentiation). Against finite differences
/// of the exact gradient (step 1e-5, central), rtol and atol 1e-6: truncation O(h²·|f‴|) ≈ 1e-10
/// and rounding O(ε·|g|/h) ≈ 1e-11 for these O(1) inputs, with margin for the rows' 1/σ³ factors.
@Suite("Fused layernorm and gelu")
struct FusedLayerTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let shape: [Int]
        let axis: Int
        var testDescription: String { "\(name) \(shape) axis \(axis)" }
    }

    static let cases: [Case] = [
        Case(name: "layernorm", shape: [3, 5], axis: -1),
        Case(name: "layernorm", shape: [2, 4, 3], axis: 1),
        Case(name: "layernorm", shape: [3, 4], axis: 0),
        Case(name: "gelu", shape: [4, 6], axis: 0),
    ]

    /// The fused layer of a case.
    static func fused(_ c: Case) -> (Var) throws -> Var {
        c.name == "gelu" ? { try $0.gelu() } : { try $0.layernorm(axis: c.axis, eps: 1e-3) }
    }

    /// The same layer from unfused primitives: (x − mean)/√(var + eps), and x·Φ(x).
    static func composite(_ c: Case) -> (Var) throws -> Var {
        if c.name == "gelu" { return { x in try x * x.normalCDF() } }
        return { x in
            let ax = try x.value.normalizedAxis(c.axis)
            let d = try x - x.mean(axis: ax, keepDims: true)
            return try d / ((d * d).mean(axis: ax, keepDims: true) + 1e-3).sqrt()
        }
    }

    /// Σ W∘f + ¼ Σ f³ (a loss whose Hessian has both the layer's curvature and its Jacobian).
    static func loss(_ f: @escaping (Var) throws -> Var, _ weight: Tensor) -> (Var) throws -> Var {
        { x in
            let y = try f(x)
            return try (Var(weight) * y).sum() + (y * y * y).sum() * 0.25
        }
    }

    static func operands(_ c: Case) throws -> (x: Tensor, v: Tensor, w: Tensor) {
        var rng = RandomGenerator(seed: 41)
        return (try uniformTensor(c.shape, -2, 2, &rng), try uniformTensor(c.shape, -1, 1, &rng),
                try uniformTensor(c.shape, -1, 1, &rng))
    }

    @Test("value, VJP, JVP and HVP equal the composite", arguments: cases)
    func agreesWithComposite(_ c: Case) throws {
        let (x, v, w) = try Self.operands(c)
        let (fused, composite) = (Self.fused(c), Self.composite(c))
        func close(_ a: Var, _ b: Var, _ what: String) {
            #expect(toleranceRatio(a.value, b.value, rtol: 1e-11, atol: 1e-12) <= 1, "\(what)")
        }
        close(try fused(Var(x)), try composite(Var(x)), "value")
        close(try vjp(fused, at: Var(x), Var(w)).cotangent, try vjp(composite, at: Var(x), Var(w)).cotangent, "VJP")
        close(try jvp(fused, at: Var(x), Var(v)).tangent, try jvp(composite, at: Var(x), Var(v)).tangent, "JVP")
        let (lf, lc) = (Self.loss(fused, w), Self.loss(composite, w))
        for mode in [HVPMode.forwardOverReverse, .reverseOverReverse] {
            close(try hvp(lf, at: Var(x), Var(v), mode: mode), try hvp(lc, at: Var(x), Var(v), mode: mode), "HVP \(mode)")
        }
    }

    @Test("third order: the gradient of ⟨H v, w⟩ equals the composite's", arguments: cases)
    func thirdOrder(_ c: Case) throws {
        let (x, v, w) = try Self.operands(c)
        func third(_ f: @escaping (Var) throws -> Var) throws -> Tensor {
            let l = Self.loss(f, w)
            return try grad({ p in try (hvp(l, at: p, Var(v), mode: .forwardOverReverse) * Var(w)).sum() })(Var(x)).value
        }
        #expect(toleranceRatio(try third(Self.fused(c)), try third(Self.composite(c)), rtol: 1e-11, atol: 1e-12) <= 1)
    }

    @Test("VJP, JVP and HVP match central finite differences", arguments: cases)
    func matchesFiniteDifferences(_ c: Case) throws {
        let (x, v, w) = try Self.operands(c)
        let f = Self.fused(c)
        let apply: (Tensor) throws -> Tensor = { try f(Var($0)).value }
        let tangent = try jvp(f, at: Var(x), Var(v)).tangent.value
        let fd = try FiniteDifference.directional(apply, at: x, along: v)
        #expect(toleranceRatio(tangent, fd, rtol: 1e-6, atol: 1e-6) <= 1, "JVP")
        // ⟨w, J v⟩ = ⟨Jᵀ w, v⟩: the VJP checked through the same difference.
        let cotangent = try vjp(f, at: Var(x), Var(w)).cotangent.value
        let lhs = try (cotangent * v).sum().storage[0], rhs = try (fd * w).sum().storage[0]
        #expect(Swift.abs(lhs - rhs) <= 1e-6 * (1 + Swift.abs(rhs)), "VJP")
        let l = Self.loss(f, w)
        let gradient: (Tensor) throws -> Tensor = { try grad(l)(Var($0)).value }
        let hfd = try FiniteDifference.directional(gradient, at: x, along: v)
        for mode in [HVPMode.forwardOverReverse, .reverseOverReverse] {
            let h = try hvp(l, at: Var(x), Var(v), mode: mode).value
            #expect(toleranceRatio(h, hfd, rtol: 1e-6, atol: 1e-6) <= 1, "HVP \(mode)")
        }
    }

    @Test("a fused layer records one node forward and one in its recorded VJP", arguments: cases)
    func oneNodeEach(_ c: Case) throws {
        let (x, _, w) = try Self.operands(c)
        let counts = try differentiating([Var(x)]) { tape, _ in
            let xv = tape.variable(Var(x))
            let start = tape.count
            let y = try Self.fused(c)(xv)
            let forward = tape.count - start
            _ = try tape.backward(from: y, seed: Var(w), to: [xv.id], createGraph: true)
            return (forward, tape.count - start - forward)
        }
        #expect(counts.0 == 1, "forward")
        #expect(counts.1 == 1, "backward")
    }
}
