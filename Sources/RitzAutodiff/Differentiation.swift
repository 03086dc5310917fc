import RitzTensor

/// The largest number of variables `hessian` builds densely by default (an n×n result).
public let defaultHessianLimit = 2048

/// Runs one differentiation call: picks the tape (the point's own when it is traced, else the
/// enclosing call's, else a new one) and whether the call's derivatives must themselves be
/// recorded (when nested in another call or given traced values).
func differentiating<R>(_ points: [Var], _ body: (Tape, _ createGraph: Bool) throws -> R) throws -> R {
    let enclosing = Tape.current
    let own = points.first(where: { $0.isTraced })?.tape
    let tape = own ?? enclosing ?? Tape()
    let createGraph = own != nil || enclosing != nil
    return try Tape.bound.withValue(tape) { try body(tape, createGraph) }
}

/// Detaches a result when the call is not nested, so it holds no reference to the tape.
private func finish(_ x: Var, _ createGraph: Bool) -> Var { createGraph ? x : x.detached }

private func zerosLike(_ x: Var) throws -> Var { Var(try Tensor.zeros(x.shape)) }

private func scalarCheck(_ op: String, _ y: Var) throws {
    guard y.count == 1 else { throw AutodiffError.nonScalarOutput(op: op, shape: y.shape) }
}

/// The value and the gradient of a scalar function of several arguments with respect to one.
///
/// - Parameters:
///   - f: The function; its result must have one element.
///   - argnum: Which argument to differentiate.
/// - Returns: A function of the same arguments returning (value, gradient); the gradient has the
///   argument's shape.
public func valueAndGrad(_ f: @escaping ([Var]) throws -> Var, argnum: Int = 0) -> ([Var]) throws -> (value: Var, grad: Var) {
    { args in
        guard argnum >= 0 && argnum < args.count else { throw AutodiffError.badArgnum(argnum: argnum, count: args.count) }
        return try differentiating(args) { tape, createGraph in
            var xs = args
            let x = tape.variable(args[argnum])
            xs[argnum] = x
            let y = try f(xs)
            try scalarCheck("grad", y)
            let seed = Var(try Tensor.ones(y.shape))
            let g = try tape.backward(from: y, seed: seed, to: [x.id], createGraph: createGraph)[0]
            let grad = try g.map { try $0.reshaped(x.shape) } ?? zerosLike(x)
            return (finish(y, createGraph), finish(grad, createGraph))
        }
    }
}

/// The value and gradient of a scalar function of one argument.
public func valueAndGrad(_ f: @escaping (Var) throws -> Var) -> (Var) throws -> (value: Var, grad: Var) {
    let g = valueAndGrad({ try f($0[0]) }, argnum: 0)
    return { try g([$0]) }
}

/// The gradient of a scalar function of several arguments with respect to argument `argnum`.
///
/// The result is again a function of traced values, so it can be differentiated (grad of grad).
/// - Parameters:
///   - f: The function; its result must have one element.
///   - argnum: Which argument.
/// - Returns: The gradient function.
public func grad(_ f: @escaping ([Var]) throws -> Var, argnum: Int = 0) -> ([Var]) throws -> Var {
    let vg = valueAndGrad(f, argnum: argnum)
    return { try vg($0).grad }
}

/// The gradient of a scalar function of one argument.
public func grad(_ f: @escaping (Var) throws -> Var) -> (Var) throws -> Var {
    let g = grad({ try f($0[0]) }, argnum: 0)
    return { try g([$0]) }
}

/// Jacobian-vector product (forward mode): f(x) and J_f(x)·v, by a forward sweep of tangents
/// along the recorded evaluation.
///
/// - Parameters:
///   - f: The function.
///   - x: The point.
///   - v: The direction, of `x`'s shape.
/// - Returns: The value and the directional derivative (of the value's shape).
/// - Throws: `AutodiffError.tangentShape` when `v` does not match `x`.
public func jvp(_ f: (Var) throws -> Var, at x: Var, _ v: Var) throws -> (value: Var, tangent: Var) {
    guard v.shape == x.shape else { throw AutodiffError.tangentShape(op: "jvp", expected: x.shape, got: v.shape) }
    return try differentiating([x, v]) { tape, createGraph in
        let xv = tape.variable(x)
        let y = try f(xv)
        let t = try tape.forward(seeds: [(xv.id, v)], to: [y], createGraph: createGraph)[0]
        return (finish(y, createGraph), finish(try t ?? zerosLike(y), createGraph))
    }
}

/// Vector-Jacobian product (reverse mode): f(x) and J_f(x)ᵀ·u.
///
/// - Parameters:
///   - f: The function.
///   - x: The point.
///   - u: The cotangent, of f(x)'s shape.
/// - Returns: The value and the pulled-back cotangent (of `x`'s shape).
/// - Throws: `AutodiffError.tangentShape` when `u` does not match f(x).
public func vjp(_ f: (Var) throws -> Var, at x: Var, _ u: Var) throws -> (value: Var, cotangent: Var) {
    try differentiating([x, u]) { tape, createGraph in
        let xv = tape.variable(x)
        let y = try f(xv)
        guard u.shape == y.shape else { throw AutodiffError.tangentShape(op: "vjp", expected: y.shape, got: u.shape) }
        let g = try tape.backward(from: y, seed: u, to: [xv.id], createGraph: createGraph)[0]
        return (finish(y, createGraph), finish(try g ?? zerosLike(xv), createGraph))
    }
}

/// How `hvp` differentiates the gradient a second time.
public enum HVPMode: Sendable {
    /// Reverse over reverse: the gradient of ⟨∇f(x), v⟩.
    case reverseOverReverse
    /// Forward over reverse: a tangent sweep along the recorded gradient.
    case forwardOverReverse
}

/// The mode `hvp` and `hessian` use. Measured by `ritz-bench autodiff` on the 64-64-10 tanh MLP
/// loss (4810 parameters, 1797 samples, two threads), the two modes alternating: forward over
/// reverse takes 0.76–0.91 of reverse over reverse's time (medians of 16 rounds' ratios, three
/// runs; an earlier tangent sweep that held every tangent to the end was the slower one). The
/// tangent sweep now visits only the nodes the gradient reads and drops each tangent after its
/// last reader.
public let defaultHVPMode = HVPMode.forwardOverReverse

/// Hessian-vector product ∇²f(x)·v of a scalar function, without forming the Hessian.
///
/// - Parameters:
///   - f: The function; its result must have one element.
///   - x: The point.
///   - v: The direction, of `x`'s shape.
///   - mode: Reverse over reverse or forward over reverse.
/// - Returns: ∇²f(x)·v, of `x`'s shape.
/// - Throws: `AutodiffError.tangentShape`, `AutodiffError.nonScalarOutput`.
public func hvp(_ f: (Var) throws -> Var, at x: Var, _ v: Var, mode: HVPMode = defaultHVPMode) throws -> Var {
    guard v.shape == x.shape else { throw AutodiffError.tangentShape(op: "hvp", expected: x.shape, got: v.shape) }
    return try differentiating([x, v]) { tape, createGraph in
        let xv = tape.variable(x)
        let y = try f(xv)
        try scalarCheck("hvp", y)
        guard let g = try tape.backward(from: y, seed: Var(try Tensor.ones(y.shape)), to: [xv.id], createGraph: true)[0] else {
            return try zerosLike(xv)
        }
        let h: Var?
        switch mode {
        case .reverseOverReverse:
            let s = try (g * v).sum()
            h = try tape.backward(from: s, seed: Var(1), to: [xv.id], createGraph: createGraph)[0]
        case .forwardOverReverse:
            h = try tape.forward(seeds: [(xv.id, v)], to: [g], createGraph: createGraph)[0]
        }
        return finish(try h ?? zerosLike(xv), createGraph)
    }
}

/// The Jacobian of f at x, of shape f(x).shape + x.shape: one reverse sweep per output element
/// when there are no more outputs than inputs, else one forward sweep per input element.
///
/// - Parameters:
///   - f: The function.
///   - x: The point.
/// - Returns: The Jacobian.
/// - Throws: `TensorError.tooLarge` beyond the allocation limit.
public func jacobian(_ f: (Var) throws -> Var, at x: Var) throws -> Var {
    try differentiating([x]) { tape, createGraph in
        let xv = tape.variable(x)
        let y = try f(xv)
        let (m, n) = (y.count, x.count)
        _ = try Tensor.elementCount([m, n])
        let rows: [Var]
        if m <= n {
            rows = try (0..<m).map { i in
                let seed = Var(try basis(i, shape: y.shape))
                return try tape.backward(from: y, seed: seed, to: [xv.id], createGraph: createGraph)[0]?
                    .reshaped([n]) ?? zerosLike(Var(try Tensor.zeros([n])))
            }
            let j = try rows.isEmpty ? Var(Tensor.zeros([0, n])) : Var.stack(rows)
            return finish(try j.reshaped(y.shape + x.shape), createGraph)
        }
        let cols = try (0..<n).map { k in
            let seed = Var(try basis(k, shape: x.shape))
            return try tape.forward(seeds: [(xv.id, seed)], to: [y], createGraph: createGraph)[0]?
                .reshaped([m]) ?? zerosLike(Var(try Tensor.zeros([m])))
        }
        let j = try Var.stack(cols, axis: 1)
        return finish(try j.reshaped(y.shape + x.shape), createGraph)
    }
}

/// The dense Hessian of a scalar function, of shape x.shape + x.shape: the gradient is recorded
/// once, then differentiated along each basis direction (in `defaultHVPMode`).
///
/// - Parameters:
///   - f: The function; its result must have one element.
///   - x: The point.
///   - limit: The largest number of variables accepted.
/// - Returns: The Hessian.
/// - Throws: `AutodiffError.tooLarge` beyond `limit` (use Hessian-vector products instead),
///   `AutodiffError.nonScalarOutput`.
public func hessian(_ f: (Var) throws -> Var, at x: Var, limit: Int = defaultHessianLimit) throws -> Var {
    let n = x.count
    guard n <= limit else {
        throw AutodiffError.tooLarge(op: "hessian", n: n, limit: limit,
                                     hint: "use hessian_op(f, x) for matrix-free Hessian-vector products")
    }
    return try differentiating([x]) { tape, createGraph in
        let xv = tape.variable(x)
        let y = try f(xv)
        try scalarCheck("hessian", y)
        guard let g = try tape.backward(from: y, seed: Var(try Tensor.ones(y.shape)), to: [xv.id], createGraph: true)[0] else {
            return try Var(Tensor.zeros(x.shape + x.shape))
        }
        let cols = try (0..<n).map { k in
            let seed = Var(try basis(k, shape: x.shape))
            let column = defaultHVPMode == .forwardOverReverse
                ? try tape.forward(seeds: [(xv.id, seed)], to: [g], createGraph: createGraph)[0]
                : try tape.backward(from: g, seed: seed, to: [xv.id], createGraph: createGraph)[0]
            return try column?.reshaped([n]) ?? Var(Tensor.zeros([n]))
        }
        if cols.isEmpty { return try Var(Tensor.zeros(x.shape + x.shape)) }
        // The Hessian is symmetric, so column k is also row k.
        return finish(try Var.stack(cols).reshaped(x.shape + x.shape), createGraph)
    }
}

/// The k-th standard basis tensor of `shape`.
func basis(_ k: Int, shape: [Int]) throws -> Tensor {
    var t = [Double](repeating: 0, count: try Tensor.elementCount(shape))
    t[k] = 1
    return try Tensor(shape: shape, storage: t)
}
