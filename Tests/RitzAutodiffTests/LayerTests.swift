import Foundation
import Testing
import RitzTensor
@testable import RitzAutodiff

/// Layer primitives (`Var+Layers.swift`) against JAX (float64, CPU): forward output, value,
/// gradient and Hessian-vector product from `Fixtures/make_layer_fixtures.py`
/// (`Fixtures/layers.json`), plus central finite differences of the gradient.
///
/// Tolerances: rtol 1e-10, atol 1e-12 for forward values and gradients, rtol 1e-9, atol 1e-11 for
/// the HVP, as for the composites (both sides exact up to rounding, summation orders differ).
/// Finite differences: h = 1e-5 gives truncation O(h²·|s‴|) ≈ 1e-10 and rounding O(ε|s|/h) ≈ 1e-11
/// for these O(1) functions, so rtol 1e-6, atol 1e-8 leaves a wide margin.
@Suite("Layer primitives against JAX")
struct LayerTests {
    struct Case: Decodable {
        let name: String
        let op: String
        let shape: [Int]
        let x: [Double]
        let v: [Double]
        let forward: [Double]
        let forward_shape: [Int]
        let value: Double
        let grad: [Double]
        let hvp: [Double]
        let w: [Double]?
        let labels: [Double]?
        let labels_shape: [Int]?
        let target: [Double]?
        let indices: [Double]?
        let indices_shape: [Int]?
        let axis: Int?
        let eps: Double?
        let spec: String?
        let operands: [[Double]]?
        let operand_shapes: [[Int]]?
        let wrt: String?
        let causal: Bool?
    }

    struct File: Decodable { let cases: [Case] }

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/layers.json")
        guard let data = try? Data(contentsOf: url), let file = try? JSONDecoder().decode(File.self, from: data) else { return [] }
        return file.cases
    }()

    static let names = cases.map(\.name)

    /// The layer of a case, and the scalar s the fixture differentiates.
    static func functions(_ c: Case) throws -> (layer: (Var) throws -> Var, scalar: (Var) throws -> Var) {
        let layer: (Var) throws -> Var
        switch c.op {
        case "cross_entropy":
            let y = try Tensor(shape: c.labels_shape ?? [], storage: c.labels ?? [])
            layer = { try $0.crossEntropy(y) }
        case "mse":
            let target = Var(try Tensor(shape: c.shape, storage: c.target ?? []))
            layer = { try $0.mse(target) }
        case "take":
            let idx = try Tensor(shape: c.indices_shape ?? [], storage: c.indices ?? [])
            let axis = c.axis ?? 0
            layer = { try $0.take(idx, axis: axis) }
        case "layernorm":
            let axis = c.axis ?? -1, eps = c.eps ?? 1e-5
            layer = { try $0.layernorm(axis: axis, eps: eps) }
        case "einsum":
            let others = try zip(c.operands ?? [], c.operand_shapes ?? []).map { Var(try Tensor(shape: $1, storage: $0)) }
            let spec = c.spec ?? ""
            layer = { try Var.einsum(spec, [$0] + others) }
        case "attention":
            let others = try zip(c.operands ?? [], c.operand_shapes ?? []).map { Var(try Tensor(shape: $1, storage: $0)) }
            let position = ["q": 0, "k": 1, "v": 2][c.wrt ?? ""] ?? 0, causal = c.causal ?? false
            layer = { x in
                var ops = others
                ops.insert(x, at: Swift.min(position, ops.count))
                return try Var.attention(ops[0], ops[1], ops[2], causal: causal)
            }
        default:
            throw TensorError.invalidArgument("no layer named \(c.op)")
        }
        guard let w = c.w else { return (layer, layer) }
        let weight = Var(try Tensor(shape: c.forward_shape, storage: w))
        return (layer, { try (weight * layer($0).tanh()).sum() })
    }

    @Test("forward, value, gradient and HVP match JAX", arguments: names)
    func matchesJAX(_ name: String) throws {
        let c = try #require(Self.cases.first { $0.name == name })
        let (layer, s) = try Self.functions(c)
        let x = Var(try Tensor(shape: c.shape, storage: c.x)), v = Var(try Tensor(shape: c.shape, storage: c.v))
        let forward = try layer(x)
        #expect(forward.shape == c.forward_shape)
        #expect(toleranceRatio(forward.value, try Tensor(shape: c.forward_shape, storage: c.forward), rtol: 1e-10, atol: 1e-12) <= 1)
        let (value, g) = try valueAndGrad(s)(x)
        #expect(Swift.abs(value.value.storage[0] - c.value) <= 1e-12 + 1e-10 * Swift.abs(c.value))
        #expect(toleranceRatio(g.value, try Tensor(shape: c.shape, storage: c.grad), rtol: 1e-10, atol: 1e-12) <= 1)
        let expected = try Tensor(shape: c.shape, storage: c.hvp)
        for mode in [HVPMode.forwardOverReverse, .reverseOverReverse] {
            let h = try hvp(s, at: x, v, mode: mode)
            #expect(toleranceRatio(h.value, expected, rtol: 1e-9, atol: 1e-11) <= 1, "\(mode)")
        }
    }

    @Test("gradient matches finite differences", arguments: names)
    func matchesFiniteDifferences(_ name: String) throws {
        let c = try #require(Self.cases.first { $0.name == name })
        let (_, s) = try Self.functions(c)
        let x = try Tensor(shape: c.shape, storage: c.x)
        let g = try grad(s)(Var(x))
        let fd = try FiniteDifference.gradient({ try s(Var($0)).value.storage[0] }, at: x)
        #expect(toleranceRatio(g.value, fd, rtol: 1e-6, atol: 1e-8) <= 1)
    }

    /// JVP (forward mode) of each layer against the VJP: ⟨u, J v⟩ = ⟨Jᵀu, v⟩ for a random u.
    @Test("forward and reverse mode agree", arguments: names)
    func jvpMatchesVJP(_ name: String) throws {
        let c = try #require(Self.cases.first { $0.name == name })
        let (layer, _) = try Self.functions(c)
        let x = Var(try Tensor(shape: c.shape, storage: c.x)), v = Var(try Tensor(shape: c.shape, storage: c.v))
        var rng = RandomGenerator(seed: 7)
        let u = Var(try uniformTensor(c.forward_shape, -1, 1, &rng))
        let jv = try jvp(layer, at: x, v).tangent
        let jtu = try vjp(layer, at: x, u).cotangent
        let lhs = try (u * jv).sum().value.storage[0], rhs = try (jtu * v).sum().value.storage[0]
        // Two sums of O(10) products of O(1) terms: agreement to 1e-12 relative.
        #expect(Swift.abs(lhs - rhs) <= 1e-12 * Swift.max(1, Swift.abs(lhs)))
    }

    @Test func onehotRows() throws {
        let t = try Var.onehot(Tensor([2, 0, 1]), classes: 3)
        #expect(t.shape == [3, 3])
        #expect(t.storage == [0, 0, 1, 1, 0, 0, 0, 1, 0])
        #expect(throws: TensorError.self) { try Var.onehot(Tensor([0, 3]), classes: 3) }
        #expect(throws: TensorError.self) { try Var.onehot(Tensor([0.5]), classes: 3) }
        #expect(throws: TensorError.self) { try Var.onehot(Tensor([.nan]), classes: 3) }
    }

    /// Cross-entropy of rows that are not all finite: a NaN or +∞ logit makes the loss NaN, a
    /// row of −∞ an infinite loss; large finite logits are shifted by their maximum and do not
    /// overflow (an odd and an even number of classes, the maximum in either column parity).
    /// The loss log Σ e^(z−m) + m − z_c adds and cancels m, so it is exact to a few ulps of m.
    @Test func crossEntropyOfNonFiniteRows() throws {
        for row in [[0, .nan, 1], [.infinity, 0, 1], [1, 2, .nan, 0]] as [[Double]] {
            let loss = try Var(try Tensor(rows: [row])).crossEntropy(Tensor([0]))
            #expect(loss.value.scalarValue?.isNaN == true)
        }
        let none = try Var(try Tensor(rows: [[-.infinity, -.infinity]])).crossEntropy(Tensor([1]))
        #expect(none.value.scalarValue == .infinity || none.value.scalarValue?.isNaN == true)
        for row in [[1000, 999, 998], [998, 999, 1000, 997]] as [[Double]] {
            let loss = try Var(try Tensor(rows: [row])).crossEntropy(Tensor([0]))
            let shifted = row.map { $0 - 1000 }
            let expected = Foundation.log(shifted.map { Foundation.exp($0) }.reduce(0, +)) - shifted[0]
            #expect(Swift.abs((loss.value.scalarValue ?? .nan) - expected) <= 4 * Double.ulpOfOne * 1000)
        }
    }

    /// Dropout: the same seed gives the same mask; kept elements are scaled by 1/(1 − p); the
    /// gradient of Σ dropout(x) is the mask itself; p = 0 and evaluation are the identity.
    @Test func dropoutMaskAndGradient() throws {
        var rng = RandomGenerator(seed: 3)
        let x = Var(try uniformTensor([40, 25], 1, 2, &rng))
        var a = RandomGenerator(seed: 11), b = RandomGenerator(seed: 11)
        let y1 = try x.dropout(0.3, using: &a), y2 = try x.dropout(0.3, using: &b)
        #expect(y1.value.storage == y2.value.storage)
        let ratios = zip(y1.value.storage, x.value.storage).map { $0 / $1 }
        #expect(ratios.allSatisfy { $0 == 0 || Swift.abs($0 - 1 / 0.7) <= 1e-15 })
        let kept = Double(ratios.filter { $0 != 0 }.count) / Double(ratios.count)
        // 1000 Bernoulli(0.7) draws: standard deviation 0.0145, so 0.7 ± 0.06 is over 4σ.
        #expect(Swift.abs(kept - 0.7) < 0.06)
        var c = RandomGenerator(seed: 11)
        let g = try grad({ try $0.dropout(0.3, using: &c).sum() })(x)
        // The gradient is the mask; the ratios equal it to one rounding of the division.
        #expect(zip(g.value.storage, ratios).allSatisfy { Swift.abs($0 - $1) <= 1e-15 })
        var d = RandomGenerator(seed: 11)
        #expect(try x.dropout(0, using: &d).value.storage == x.value.storage)
        #expect(try x.dropout(0.5, train: false, using: &d).value.storage == x.value.storage)
        #expect(throws: TensorError.self) { try x.dropout(1.5, using: &d) }
        // A dropped element is exactly +0, whatever it was (−2, ±∞, NaN), and so is its
        // cotangent and tangent; p = 1 drops everything.
        let odd = Var(Tensor([-2, .infinity, -.infinity, .nan, 3, -1]))
        var e = RandomGenerator(seed: 5)
        let all = try odd.dropout(1, using: &e)
        #expect(all.value.storage.allSatisfy { $0 == 0 && $0.sign == .plus })
        var f = RandomGenerator(seed: 5), h = RandomGenerator(seed: 5)
        let some = try odd.dropout(0.5, using: &f)
        let gOdd = try grad({ try $0.dropout(0.5, using: &h).sum() })(odd)
        for (i, v) in some.value.storage.enumerated() {
            let dropped = gOdd.value.storage[i] == 0
            #expect(dropped ? (v == 0 && v.sign == .plus) : v.bitPattern == (odd.value.storage[i] * 2).bitPattern)
        }
        var k = RandomGenerator(seed: 5)
        let t = Tensor([-1, .nan, 1, -1, .infinity, 1])
        let tangent = try jvp({ try $0.dropout(0.5, using: &k) }, at: Var(Tensor([1, 1, 1, 1, 1, 1])), Var(t)).tangent
        for (i, v) in tangent.value.storage.enumerated() {
            let dropped = gOdd.value.storage[i] == 0
            #expect(dropped ? (v == 0 && v.sign == .plus) : v.bitPattern == (t.storage[i] * 2).bitPattern)
        }
    }

    /// Labels converted once (``ClassLabels``) give the loss and its derivatives of the labels
    /// converted at each call, bit for bit.
    @Test func convertedLabelsGiveTheSameLoss() throws {
        var rng = RandomGenerator(seed: 12)
        let logits = try uniformTensor([7, 5], -3, 3, &rng)
        let y = Tensor([4, 0, 2, 2, 1, 3, 0])
        let labels = try ClassLabels(y, logits: Var(logits))
        #expect(labels.values == [4, 0, 2, 2, 1, 3, 0] && labels.classes == 5 && labels.shape == [7])
        let fresh = try grad { try $0.crossEntropy(y) }(Var(logits))
        let kept = try grad { try $0.crossEntropy(labels) }(Var(logits))
        #expect(fresh.value.storage == kept.value.storage)
        #expect(try Var(logits).crossEntropy(labels).value.storage == (try Var(logits).crossEntropy(y).value.storage))
    }

    @Test func badArgumentsThrow() throws {
        let z = Var(try Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6]))
        #expect(throws: ShapeError.self) { try z.crossEntropy(Tensor([0, 1, 2])) }
        #expect(throws: TensorError.self) { try z.crossEntropy(Tensor([0, 3])) }
        // Labels converted for other logits: another class count, or another number of rows.
        let four = try ClassLabels(Tensor([0, 3]), classes: 4, op: "cross_entropy")
        #expect(throws: TensorError.self) { try z.crossEntropy(four) }
        let threeRows = try ClassLabels(Tensor([0, 1, 2]), classes: 3, op: "cross_entropy")
        #expect(throws: ShapeError.self) { try z.crossEntropy(threeRows) }
        #expect(throws: ShapeError.self) { try ClassLabels(Tensor([0, 1, 2]), logits: z) }
        #expect(throws: ShapeError.self) { try z.mse(Var(Tensor([1, 2, 3]))) }
        #expect(throws: ShapeError.self) { try z.take(Tensor([2]), axis: 0) }
        #expect(throws: ShapeError.self) { try z.take(Tensor([-3]), axis: 0) }
        #expect(throws: TensorError.self) { try z.take(Tensor([0.5]), axis: 0) }
        #expect(throws: ShapeError.self) { try z.take(Tensor([0]), axis: 2) }
        #expect(throws: TensorError.self) { try z.layernorm(eps: -1) }
        for bad in ["ii->i", "ij->k", "ij,jk->ik", "i...->i", "ij->ii", "i1->i"] {
            #expect(throws: TensorError.self, "\(bad)") { try Var.einsum(bad, [z]) }
        }
        #expect(throws: ShapeError.self) { try Var.einsum("ij,ij->", [z, Var(Tensor([1, 2]).reshaped([1, 2]))]) }
        #expect(throws: TensorError.self) { try Var.einsum("ijk->", [z]) }
        #expect(throws: ShapeError.self) { try Var.attention(z, z, Var(Tensor([1, 2, 3]).reshaped([3, 1]))) }
        #expect(throws: ShapeError.self) { try Var.attention(z, z.transposed(), z) }
        #expect(throws: TensorError.self) { try Var.attention(Var(Tensor([1, 2])), z, z) }
    }
}
