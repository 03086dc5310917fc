import RitzTensor

/// A loss of parameters recorded once at a point, for many derivative products there.
///
/// The parameters are given as blocks (one tensor each, as a model's named parameter tensors);
/// derivatives are flat, the blocks' elements one after another in order. The forward pass
/// z = f(p) and the loss L = ℓ(z) are recorded on a tape at p once; every derivative extends
/// that one recording, so asking for the gradient or H v after the loss never records the forward
/// pass again:
/// * the gradient is one reverse sweep, run on first use;
/// * the Hessian-vector product H v is a tangent sweep along the recorded gradient (forward over
///   reverse, Pearlmutter 1994); the gradient's graph is recorded once, on the first H v, and
///   every product after it is one pass with no new nodes;
/// * J v is a tangent sweep to z, and Jᵀ u a reverse sweep from z (Jacobian of the outputs in
///   the parameters), from which the Gauss–Newton product Jᵀ H_ℓ J v is composed.
///
/// Each block is a variable of its own (no slice of a flat vector is recorded), so the reverse
/// sweep hands back one cotangent per block rather than adding a padded copy of the whole vector
/// per block.
public final class Linearization {
    private let tape: Tape
    private let points: [Var]
    /// The nodes of z and L on the tape (held by index, not as values, so that when the tape is
    /// discarded nothing outside it shares their storage and it can be reused).
    private let outputNode: Int
    private let lossNode: Int
    private var outputVar: Var { tape.traced(outputNode) }
    private var lossVar: Var { tape.traced(lossNode) }
    /// ∇L per block recorded for H v (differentiable again), once asked for; its values are
    /// placeholders where nothing reads them.
    private var recordedGradient: [Var?]?
    /// ∇L per block (nil where L does not depend on a block), once swept.
    private var gradientParts: [Var?]?
    /// The flat gradient, once gathered.
    private var flatGradient: Tensor?
    /// The loss at the point.
    public let value: Double
    /// The outputs z = f(p).
    public var outputs: Tensor { outputVar.value }
    /// Number of parameters (all blocks).
    public let parameterCount: Int

    /// Records f and ℓ at the parameter blocks `blocks`.
    ///
    /// - Parameters:
    ///   - blocks: The parameter tensors (constants; any shapes).
    ///   - outputs: z = f(p), computed from one traced variable per block.
    ///   - loss: L = ℓ(z), a one-element result.
    /// - Throws: What `outputs` and `loss` throw; `AutodiffError.nonScalarOutput` for a loss
    ///   with more than one element.
    public init(at blocks: [Tensor], outputs: ([Var]) throws -> Var, loss: (Var) throws -> Var) throws {
        let tape = Tape()
        self.tape = tape
        parameterCount = blocks.reduce(0) { $0 + $1.count }
        let (xs, z, l) = try Tape.bound.withValue(tape) {
            let xs = blocks.map { tape.variable(Var($0)) }
            let z = try outputs(xs)
            let l = try loss(z)
            guard l.count == 1 else { throw AutodiffError.nonScalarOutput(op: "loss", shape: l.shape) }
            return (xs, z, l)
        }
        guard z.tape === tape, l.tape === tape else { throw AutodiffError.internalRule(op: "linearization") }
        (points, outputNode, lossNode) = (xs, z.id, l.id)
        value = l.value.scalarValue ?? .nan
    }

    /// Records f and ℓ at p, one block of any shape.
    ///
    /// - Parameters:
    ///   - p: The parameters (a constant).
    ///   - outputs: z = f(p), computed from the traced parameters.
    ///   - loss: L = ℓ(z), a one-element result.
    /// - Throws: What `outputs` and `loss` throw; `AutodiffError.nonScalarOutput` for a loss
    ///   with more than one element.
    public convenience init(at p: Tensor, outputs: (Var) throws -> Var, loss: (Var) throws -> Var) throws {
        try self.init(at: [p], outputs: { try outputs($0[0]) }, loss: loss)
    }

    /// ∇L(p), flat (the blocks in order): one reverse sweep, run on first use.
    ///
    /// - Throws: What a derivative rule throws.
    public func gradient() throws -> Tensor {
        if let flatGradient { return flatGradient }
        let g = try flatten(try gradientBlocks())
        flatGradient = g
        return g
    }

    /// Runs the reverse sweep of ∇L now (on the calling thread), if it has not run, without
    /// gathering the blocks into one vector.
    ///
    /// - Throws: What a derivative rule throws.
    public func sweepGradient() throws {
        _ = try gradientBlocks()
    }

    /// out ← w ∇L, or out ← out + w ∇L with `accumulate`, read straight from the blocks' cotangents
    /// (no flat copy of the gradient first); blocks L does not depend on count as zeros.
    ///
    /// - Parameters:
    ///   - w: The weight.
    ///   - out: ``parameterCount`` values.
    ///   - accumulate: Add to `out` instead of writing over it.
    /// - Throws: What a derivative rule throws; `AutodiffError.internalRule` when `out` has the
    ///   wrong length.
    public func addGradient(weight w: Double, into out: UnsafeMutableBufferPointer<Double>, accumulate: Bool) throws {
        let parts = try gradientBlocks()
        guard out.count == parameterCount, parts.count == points.count, let dst = out.baseAddress else {
            throw AutodiffError.internalRule(op: "gradient")
        }
        var offset = 0
        for (part, point) in zip(parts, points) {
            let n = point.count
            defer { offset += n }
            guard let values = try part?.value.asFloat() else {
                // A zero block, added as the flat vector's zeros would be (−0 becomes +0).
                let d = dst + offset
                for i in 0..<n { d[i] = accumulate ? d[i] + 0 : 0 }
                continue
            }
            guard values.count == n else { throw AutodiffError.internalRule(op: "gradient") }
            values.storage.withUnsafeBufferPointer { src in
                guard let s = src.baseAddress else { return }
                Linearization.add(s, weight: w, into: dst + offset, count: n, accumulate: accumulate)
            }
        }
    }

    /// d ← w s, or d ← d + w s with `accumulate`, over `n` values (a copy when w = 1).
    static func add(_ s: UnsafePointer<Double>, weight w: Double, into d: UnsafeMutablePointer<Double>, count n: Int,
                    accumulate: Bool) {
        if accumulate {
            for i in 0..<n { d[i] += w * s[i] }
        } else if w == 1 {
            d.update(from: s, count: n)
        } else {
            for i in 0..<n { d[i] = w * s[i] }
        }
    }

    /// This recording's loss and gradient as a replay for new parameters and batches laid out as
    /// `inputs` and `targets` (``GradientReplay``), or nil when a node between the parameters and
    /// the loss has no replay.
    ///
    /// - Parameters:
    ///   - inputs: The batch's inputs as the outputs were recorded from them.
    ///   - targets: Its targets as the loss was recorded with them.
    public func replay(inputs: Tensor, targets: Tensor) -> GradientReplay? {
        GradientReplay(tape: tape, points: points, outputNode: outputNode, lossNode: lossNode, inputs: inputs, targets: targets)
    }

    /// ∇L per block: one reverse sweep, run on first use.
    private func gradientBlocks() throws -> [Var?] {
        if let gradientParts { return gradientParts }
        // An unrecorded sweep (this one, J v, Jᵀ u and H v's tangent sweep) runs rules only, none of
        // which starts a differentiation call of its own: the tape need not be made the current
        // one.
        let g = try tape.backward(from: lossVar, seed: Var(try Tensor.ones(lossVar.shape)), to: points.map(\.id), createGraph: false)
        gradientParts = g
        return g
    }

    /// ∇L per block (nil where L does not depend on a block) recorded once for the tangent sweeps
    /// of H v. Its values are never read (the gradient is ``gradient()``'s own sweep), so the
    /// products that only a block's gradient reads (δᵀx of a dense layer) are recorded without
    /// being computed.
    private func recordedGradientBlocks() throws -> [Var?] {
        if let recordedGradient { return recordedGradient }
        let g = try Tape.bound.withValue(tape) {
            try tape.backward(from: lossVar, seed: Var(try Tensor.ones(lossVar.shape)), to: points.map(\.id),
                              createGraph: true, valuesUnread: true)
        }
        recordedGradient = g
        return g
    }

    /// A direction in the parameters cut into one tensor per block: the seeds of a tangent sweep.
    /// Cut once (``direction(values:for:)``) and used by every linearization at blocks of the same
    /// shapes (the two halves of one batch, recorded at the same parameters), it spares each of
    /// them its own copy, made by both at the same moment.
    public struct Direction: Sendable {
        fileprivate let pieces: [Tensor]
    }

    /// `v` (flat, or for one block of its shape) cut into the blocks.
    ///
    /// - Parameters:
    ///   - v: The direction.
    ///   - op: The product it is for, named in errors.
    /// - Throws: `AutodiffError.tangentShape` when `v` does not have one value per parameter.
    public func direction(_ v: Tensor, for op: String) throws -> Direction {
        let fits = v.shape == [parameterCount] || (points.count == 1 && v.shape == points[0].shape)
        guard fits else {
            throw AutodiffError.tangentShape(op: op, expected: [parameterCount], got: v.shape)
        }
        return try direction(values: try v.asFloat().storage, for: op)
    }

    /// The flat values `v` (one per parameter, the blocks in order) cut into the blocks
    /// (``Tensor/pieces(of:blocks:)``): copies, so nothing of the caller's array is held (a tensor
    /// over it would hand it to the storage pool when it goes, while the caller still has it).
    ///
    /// - Parameters:
    ///   - v: The direction's values.
    ///   - op: The product it is for, named in errors.
    /// - Throws: `AutodiffError.tangentShape` when `v` does not have one value per parameter.
    public func direction(values v: [Double], for op: String) throws -> Direction {
        guard v.count == parameterCount else {
            throw AutodiffError.tangentShape(op: op, expected: [parameterCount], got: [v.count])
        }
        var offset = 0
        return Direction(pieces: try Tensor.pieces(of: v, blocks: points.map { p in
            defer { offset += p.count }
            return (offset, p.shape)
        }))
    }

    /// H v, the Hessian of the loss in the parameters times `v` (flat).
    ///
    /// - Throws: `AutodiffError.tangentShape` when `v` does not have one value per parameter.
    public func hvp(_ v: Tensor) throws -> Tensor {
        try hvp(try direction(v, for: "hvp"))
    }

    /// H v for a direction already cut into the blocks.
    ///
    /// - Throws: `AutodiffError.tangentShape` when `d` was cut for blocks of other shapes.
    public func hvp(_ d: Direction) throws -> Tensor {
        let seeds = try tangents(d, "hvp")
        let g = try recordedGradientBlocks()
        let traced = g.compactMap { $0 }
        let h = try tape.forward(seeds: seeds, to: traced, createGraph: false)
        var k = 0
        return try flatten(g.map { gi in
            guard gi != nil, k < h.count else { return nil }
            defer { k += 1 }
            return h[k]
        })
    }

    /// J v: the derivative of the outputs in the direction `v` (flat) of the parameters.
    ///
    /// - Throws: `AutodiffError.tangentShape` when `v` does not have one value per parameter.
    public func jvp(_ v: Tensor) throws -> Tensor {
        try jvp(try direction(v, for: "jvp"))
    }

    /// J v for a direction already cut into the blocks.
    ///
    /// - Throws: `AutodiffError.tangentShape` when `d` was cut for blocks of other shapes.
    public func jvp(_ d: Direction) throws -> Tensor {
        let seeds = try tangents(d, "jvp")
        return try tape.forward(seeds: seeds, to: [outputVar], createGraph: false)[0]?.value ?? Tensor.zeros(outputVar.shape)
    }

    /// Jᵀ u: a cotangent `u` of the outputs pulled back to the parameters (flat).
    ///
    /// - Throws: `AutodiffError.tangentShape` when `u` does not have the outputs' shape.
    public func vjp(_ u: Tensor) throws -> Tensor {
        guard u.shape == outputVar.shape else {
            throw AutodiffError.tangentShape(op: "vjp", expected: outputVar.shape, got: u.shape)
        }
        return try flatten(try tape.backward(from: outputVar, seed: Var(u), to: points.map(\.id), createGraph: false))
    }

    /// The blocks' derivatives one after another (zeros for nil), as a 1-d tensor.
    private func flatten(_ parts: [Var?]) throws -> Tensor {
        if parts.count == 1, let only = parts[0], only.value.dtype == .float64 {
            return try only.value.reshaped([parameterCount])
        }
        let out: [Double]
        do {
            let blocks = try parts.map { try $0?.value.asFloat() }
            guard blocks.count == points.count, zip(blocks, points).allSatisfy({ ($0?.count ?? $1.count) == $1.count }) else {
                throw AutodiffError.internalRule(op: "gradient")
            }
            out = try makeStorage(parameterCount) { dst in
                var offset = 0
                for (block, point) in zip(blocks, points) {
                    if let block {
                        block.storage.withUnsafeBufferPointer { src in
                            if let base = src.baseAddress { (dst + offset).update(from: base, count: point.count) }
                        }
                    } else {
                        (dst + offset).initialize(repeating: 0, count: point.count)
                    }
                    offset += point.count
                }
            }
        }
        return Tensor(out)
    }

    /// The pieces of `d` paired with the blocks' variables, as seeds of a forward sweep.
    private func tangents(_ d: Direction, _ op: String) throws -> [(Int, Var)] {
        guard d.pieces.count == points.count, zip(d.pieces, points).allSatisfy({ $0.shape == $1.shape }) else {
            throw AutodiffError.tangentShape(op: op, expected: [parameterCount], got: [d.pieces.reduce(0) { $0 + $1.count }])
        }
        return zip(points, d.pieces).map { p, piece in (p.id, Var(piece)) }
    }
}
