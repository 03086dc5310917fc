import RitzTensor

/// A loss of parameters recorded once at a point, for many derivative products there.
///
/// The forward pass z = f(p) and the loss L = ℓ(z) are recorded on a tape at p, and the gradient
/// ∇L is recorded too when second-order products are wanted. Then:
/// * the gradient is read off (no further pass);
/// * the Hessian-vector product H v is a tangent sweep along the recorded gradient (forward over
///   reverse, Pearlmutter 1994) — one pass over the recorded forward and backward graph, with no
///   new nodes, so any number of products leave the tape as it was;
/// * J v is a tangent sweep to z, and Jᵀ u a reverse sweep from z (Jacobian of the outputs in
///   the parameters), from which the Gauss–Newton product Jᵀ H_ℓ J v is composed.
public final class Linearization {
    private let tape: Tape
    private let point: Var
    private let outputVar: Var
    private let lossVar: Var
    private let gradientVar: Var?
    /// The loss at the point.
    public let value: Double
    /// The outputs z = f(p).
    public var outputs: Tensor { outputVar.value }
    /// ∇L(p), of the parameters' shape.
    public var gradient: Tensor { gradientVar?.value ?? zeros }
    private let zeros: Tensor

    /// Records f and ℓ at p.
    ///
    /// - Parameters:
    ///   - p: The parameters (a constant; any shape).
    ///   - secondOrder: Record the gradient's own graph, for ``hvp(_:)``.
    ///   - outputs: z = f(p), computed from the traced parameters.
    ///   - loss: L = ℓ(z), a one-element result.
    /// - Throws: What `outputs` and `loss` throw; `AutodiffError.nonScalarOutput` for a loss
    ///   with more than one element.
    public init(at p: Tensor, secondOrder: Bool, outputs: (Var) throws -> Var, loss: (Var) throws -> Var) throws {
        let tape = Tape()
        self.tape = tape
        zeros = try Tensor.zeros(p.shape)
        (point, outputVar, lossVar, gradientVar) = try Tape.$current.withValue(tape) {
            let x = tape.variable(Var(p))
            let z = try outputs(x)
            let l = try loss(z)
            guard l.count == 1 else { throw AutodiffError.nonScalarOutput(op: "loss", shape: l.shape) }
            let g = try tape.backward(from: l, seed: Var(try Tensor.ones(l.shape)), to: [x.id], createGraph: secondOrder)[0]
            return (x, z, l, try g?.reshaped(p.shape))
        }
        value = lossVar.value.scalarValue ?? .nan
        self.secondOrder = secondOrder
    }

    private let secondOrder: Bool

    /// H v, the Hessian of the loss in the parameters times `v`.
    ///
    /// - Throws: `AutodiffError.tangentShape` when `v` does not have the parameters' shape;
    ///   `AutodiffError.internalRule` when recorded without `secondOrder`.
    public func hvp(_ v: Tensor) throws -> Tensor {
        try checkTangent(v, "hvp")
        guard secondOrder else { throw AutodiffError.internalRule(op: "hvp (recorded without second order)") }
        guard let g = gradientVar else { return zeros }
        return try Tape.$current.withValue(tape) {
            try tape.forward(seeds: [(point.id, Var(v))], to: [g], createGraph: false)[0]?.value.reshaped(zeros.shape) ?? zeros
        }
    }

    /// J v: the derivative of the outputs in the direction `v` of the parameters.
    public func jvp(_ v: Tensor) throws -> Tensor {
        try checkTangent(v, "jvp")
        return try Tape.$current.withValue(tape) {
            try tape.forward(seeds: [(point.id, Var(v))], to: [outputVar], createGraph: false)[0]?.value
                ?? Tensor.zeros(outputVar.shape)
        }
    }

    /// Jᵀ u: a cotangent `u` of the outputs pulled back to the parameters.
    ///
    /// - Throws: `AutodiffError.tangentShape` when `u` does not have the outputs' shape.
    public func vjp(_ u: Tensor) throws -> Tensor {
        guard u.shape == outputVar.shape else {
            throw AutodiffError.tangentShape(op: "vjp", expected: outputVar.shape, got: u.shape)
        }
        return try Tape.$current.withValue(tape) {
            try tape.backward(from: outputVar, seed: Var(u), to: [point.id], createGraph: false)[0]?.value
                .reshaped(zeros.shape) ?? zeros
        }
    }

    private func checkTangent(_ v: Tensor, _ op: String) throws {
        guard v.shape == zeros.shape else { throw AutodiffError.tangentShape(op: op, expected: zeros.shape, got: v.shape) }
    }
}
