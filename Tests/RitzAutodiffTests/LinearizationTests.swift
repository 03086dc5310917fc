import Testing
import RitzTensor
@testable import RitzAutodiff

/// A loss recorded once over parameter blocks (``Linearization``) against the same loss of one
/// flat vector differentiated by `grad` and reverse-over-reverse `hvp` (a separate path: slices of
/// the flat vector, a second reverse sweep) and against central finite differences.
///
/// The loss is L(w, b, u) = Σ tanh(x wᵀ + b) uᵀ squared over a seeded batch, 21 parameters in
/// three blocks. Tolerances: the two tape paths compute the same sums in other orders, a few ulp
/// of O(1) terms (rtol 1e-12, atol 1e-13); finite differences with h = 1e-5 carry O(h²) ≈ 1e-10
/// truncation of O(1) third derivatives (rtol, atol 1e-7).
@Suite("Linearization over blocks")
struct LinearizationTests {
    static let shapes = [[3, 4], [3], [2, 3]]

    /// The loss of the three blocks on a fixed batch x (5 × 4).
    static func loss(_ p: [Var]) throws -> Var {
        var rng = RandomGenerator(seed: 3)
        let x = Var(try uniformTensor([5, 4], -1, 1, &rng))
        let h = try Var.linear(x, p[0], p[1], activation: .tanh)
        let z = try h.matmul(try p[2].T)
        return try (z * z).sum()
    }

    /// The same loss of one flat vector, cut into the blocks by slices.
    static func flatLoss(_ flat: Var) throws -> Var {
        var offset = 0
        let blocks = try shapes.map { shape -> Var in
            let n = shape.reduce(1, *)
            defer { offset += n }
            return try flat.index([.slice(start: offset, stop: offset + n, step: nil)]).reshaped(shape)
        }
        return try loss(blocks)
    }

    static func point() throws -> (blocks: [Tensor], flat: Tensor, v: Tensor) {
        var rng = RandomGenerator(seed: 9)
        let blocks = try shapes.map { try uniformTensor($0, -0.8, 0.8, &rng) }
        let flat = Tensor(blocks.flatMap(\.storage))
        return (blocks, flat, try uniformTensor([flat.count], -1, 1, &rng))
    }

    @Test func gradientAndHVPMatchTheFlatFunction() throws {
        let (blocks, flat, v) = try LinearizationTests.point()
        let lin = try Linearization(at: blocks, outputs: { try LinearizationTests.loss($0) }, loss: { $0 })
        #expect(lin.value == (try LinearizationTests.flatLoss(Var(flat)).value.scalarValue))
        // H v first: the gradient's graph is recorded on demand, and the gradient read after it.
        let hv = try lin.hvp(v)
        let g = try lin.gradient()
        let reference = try grad(LinearizationTests.flatLoss)(Var(flat)).value
        #expect(toleranceRatio(g, reference, rtol: 1e-12, atol: 1e-13) <= 1)
        let hvReference = try hvp(LinearizationTests.flatLoss, at: Var(flat), Var(v), mode: .reverseOverReverse).value
        #expect(toleranceRatio(hv, hvReference, rtol: 1e-12, atol: 1e-13) <= 1)
        // A second product at the same point reuses the recording and gives the same bytes.
        #expect(try lin.hvp(v).storage == hv.storage)
        let fdGradient = try FiniteDifference.gradient({ try LinearizationTests.flatLoss(Var($0)).value.scalarValue ?? .nan }, at: flat)
        #expect(toleranceRatio(g, fdGradient, rtol: 1e-7, atol: 1e-7) <= 1)
        let fdHV = try FiniteDifference.directional({ try grad(LinearizationTests.flatLoss)(Var($0)).value }, at: flat, along: v)
        #expect(toleranceRatio(hv, fdHV, rtol: 1e-7, atol: 1e-7) <= 1)
    }

    /// The gradient recorded for H v skips the work only a block's gradient reads: the dense
    /// weights' δᵀx (`linear`), the bias block's column sums of δ, δ itself in a first layer and
    /// hᵀ ḡ of a product with a transposed block hold placeholders; H v from it is checked above.
    @Test func recordedGradientSkipsUnreadProducts() throws {
        let (blocks, _, _) = try LinearizationTests.point()
        let tape = Tape()
        let grads = try Tape.bound.withValue(tape) { () throws -> [Var?] in
            let xs = blocks.map { tape.variable(Var($0)) }
            let l = try LinearizationTests.loss(xs)
            return try tape.backward(from: l, seed: Var(1), to: xs.map(\.id), createGraph: true, valuesUnread: true)
        }
        let values = grads.map { $0?.value.storage ?? [] }
        let (weights, bias, head) = (values[0], values[1], values[2])
        #expect(weights.count == 12 && weights.allSatisfy { $0.isNaN })
        #expect(bias.count == 3 && bias.allSatisfy { $0.isNaN })
        #expect(head.count == 6 && head.allSatisfy { $0.isNaN })
        // The layer's input is data, so its δ = ḡ ⊙ (1 − y²) is read only by those placeholders
        // (their tangents read δ̇): it is recorded without being computed.
        let deltas = tape.nodes.filter { $0.name == "tanh_backward" }
        #expect(deltas.count == 1 && deltas.allSatisfy { $0.output.storage.allSatisfy(\.isNaN) })
    }

    /// The same for a user's unfused layer, tanh(x wᵀ + b): the bias's cotangent is the
    /// broadcast sum the sweep takes back to its shape, skipped too, and H v is still the flat
    /// function's (tolerances as above).
    @Test func recordedGradientSkipsUnreadBroadcastSums() throws {
        func unfused(_ p: [Var]) throws -> Var {
            var rng = RandomGenerator(seed: 3)
            let x = Var(try uniformTensor([5, 4], -1, 1, &rng))
            let h = try (try x.matmul(try p[0].T) + p[1]).tanh()
            let z = try h.matmul(try p[2].T)
            return try (z * z).sum()
        }
        let (blocks, flat, v) = try LinearizationTests.point()
        let tape = Tape()
        let grads = try Tape.bound.withValue(tape) { () throws -> [Var?] in
            let xs = blocks.map { tape.variable(Var($0)) }
            return try tape.backward(from: try unfused(xs), seed: Var(1), to: xs.map(\.id), createGraph: true, valuesUnread: true)
        }
        #expect(grads[1]?.value.storage.count == 3 && grads[1]?.value.storage.allSatisfy { $0.isNaN } == true)
        let lin = try Linearization(at: blocks, outputs: { try unfused($0) }, loss: { $0 })
        let flatUnfused: (Var) throws -> Var = { flat in
            var offset = 0
            return try unfused(try LinearizationTests.shapes.map { shape -> Var in
                let n = shape.reduce(1, *)
                defer { offset += n }
                return try flat.index([.slice(start: offset, stop: offset + n, step: nil)]).reshaped(shape)
            })
        }
        let hvReference = try hvp(flatUnfused, at: Var(flat), Var(v), mode: .reverseOverReverse).value
        #expect(toleranceRatio(try lin.hvp(v), hvReference, rtol: 1e-12, atol: 1e-13) <= 1)
        #expect(toleranceRatio(try lin.gradient(), try grad(flatUnfused)(Var(flat)).value, rtol: 1e-12, atol: 1e-13) <= 1)
    }

    /// w ∇L written or added block by block (``Linearization/addGradient(weight:into:accumulate:)``)
    /// is w times the flat gradient, one rounding per element, and the gradient swept first
    /// (``Linearization/sweepGradient()``) is the same sweep.
    @Test func weightedGradientFromTheBlocks() throws {
        let (blocks, _, _) = try LinearizationTests.point()
        let lin = try Linearization(at: blocks, outputs: { try LinearizationTests.loss($0) }, loss: { $0 })
        try lin.sweepGradient()
        let g = try lin.gradient().storage
        var out = [Double](repeating: .nan, count: g.count)
        try out.withUnsafeMutableBufferPointer { try lin.addGradient(weight: 0.25, into: $0, accumulate: false) }
        #expect(out == g.map { 0.25 * $0 })
        try out.withUnsafeMutableBufferPointer { try lin.addGradient(weight: 0.75, into: $0, accumulate: true) }
        #expect(out == g.map { 0.25 * $0 + 0.75 * $0 })
        var short = [Double](repeating: 0, count: g.count - 1)
        #expect(throws: AutodiffError.self) {
            try short.withUnsafeMutableBufferPointer { try lin.addGradient(weight: 1, into: $0, accumulate: false) }
        }
        // A block the loss does not depend on counts as zeros.
        let partial = try Linearization(at: blocks, outputs: { p in try p[0].sum() + p[1].sum() }, loss: { $0 })
        var ones = [Double](repeating: 1, count: g.count)
        try ones.withUnsafeMutableBufferPointer { try partial.addGradient(weight: 2, into: $0, accumulate: true) }
        #expect(ones == [Double](repeating: 3, count: 15) + [Double](repeating: 1, count: 6))
        try ones.withUnsafeMutableBufferPointer { try partial.addGradient(weight: 2, into: $0, accumulate: false) }
        #expect(ones == [Double](repeating: 2, count: 15) + [Double](repeating: 0, count: 6))
    }

    @Test func outputProductsAreTransposes() throws {
        let (blocks, _, v) = try LinearizationTests.point()
        var rng = RandomGenerator(seed: 4)
        let x = Var(try uniformTensor([5, 4], -1, 1, &rng))
        let lin = try Linearization(at: blocks, outputs: { p in
            try Var.linear(x, p[0], p[1], activation: .tanh).matmul(try p[2].T)
        }, loss: { try $0.sum() })
        let u = try uniformTensor(lin.outputs.shape, -1, 1, &rng)
        // ⟨u, J v⟩ = ⟨Jᵀ u, v⟩.
        let left = try (u * lin.jvp(v)).sum().scalarValue ?? .nan
        let right = try (lin.vjp(u) * v).sum().scalarValue ?? .nan
        #expect(Swift.abs(left - right) <= 1e-12 * Swift.max(1, Swift.abs(left)))
    }

    @Test func wrongDirectionsAreRefused() throws {
        let (blocks, _, _) = try LinearizationTests.point()
        let lin = try Linearization(at: blocks, outputs: { try LinearizationTests.loss($0) }, loss: { $0 })
        #expect(throws: AutodiffError.self) { try lin.hvp(Tensor([1, 2, 3])) }
        #expect(throws: AutodiffError.self) { try lin.jvp(try Tensor.zeros([3, 7])) }
        #expect(throws: AutodiffError.self) { try lin.vjp(Tensor([1])) }
        // A direction cut for blocks of other shapes (the same count, 21, in two blocks).
        let other = try Linearization(at: [try Tensor.zeros([20]), Tensor([0.5])], outputs: { try $0[0].sum() + $0[1].sum() },
                                      loss: { $0 })
        let foreign = try other.direction(try Tensor.zeros([21]), for: "hvp")
        #expect(throws: AutodiffError.self) { try lin.hvp(foreign) }
        #expect(throws: AutodiffError.self) { try lin.jvp(foreign) }
    }

    /// One cut of a direction serves every linearization at blocks of its shapes (the halves of a
    /// batch): its products are those of the flat direction, bit for bit.
    @Test func oneCutServesLinearizationsAtTheSameBlocks() throws {
        let (blocks, _, v) = try LinearizationTests.point()
        let first = try Linearization(at: blocks, outputs: { try LinearizationTests.loss($0) }, loss: { $0 })
        let second = try Linearization(at: blocks, outputs: { try LinearizationTests.loss($0) }, loss: { try $0 * Var(2.0) })
        let cut = try first.direction(v, for: "hvp")
        #expect(try first.hvp(cut).storage == (try first.hvp(v).storage))
        #expect(try second.hvp(cut).storage == (try second.hvp(v).storage))
        #expect(try second.jvp(cut).storage == (try second.jvp(v).storage))
    }
}
