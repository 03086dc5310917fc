import Foundation
import RitzTensor

/// Reductions with their derivative rules, and the composites built on them.
extension Var {
    /// The shape of a reduction's result with the reduced axis kept as 1.
    private func keptShape(_ axis: Int?) throws -> [Int] {
        guard let axis else { return [Int](repeating: 1, count: ndim) }
        var s = shape
        s[try value.normalizedAxis(axis)] = 1
        return s
    }

    /// A reduction's cotangent spread back over the reduced axis.
    private func spread(_ g: Var, kept: [Int]) throws -> Var {
        try g.reshaped(kept).broadcast(to: shape)
    }

    /// Any reduction of `RitzTensor` on traced values.
    ///
    /// sum: vjp spreads ḡ over the axis. mean = sum/n. max/min: ḡ goes to the extreme elements,
    /// split equally among ties (JAX's convention). prod: ∂/∂xᵢ = Π_{j≠i} xⱼ, computed without
    /// division when an element is zero. var = mean((x − mean x)²), std = √var (divisor n).
    /// argmax/argmin are piecewise constant: constant results.
    ///
    /// - Parameters:
    ///   - op: The reduction.
    ///   - axis: The axis, or nil for all elements.
    ///   - keepDims: Keep the reduced axis with size 1.
    /// - Returns: The reduced value.
    /// - Throws: `ShapeError.badAxis`, `TensorError.invalidArgument` for max/min of an empty axis.
    public func reduce(_ op: ReduceOp, axis: Int? = nil, keepDims: Bool = false) throws -> Var {
        switch op {
        case .sum: return try sum(axis: axis, keepDims: keepDims)
        case .mean:
            let y = try sum(axis: axis, keepDims: keepDims)
            let n = axis == nil ? count : shape[try value.normalizedAxis(axis ?? 0)]
            return try y / Double(n)
        case .argmax, .argmin:
            return Var(try value.reduce(op, axis: axis, keepDims: keepDims))
        case .variance, .std:
            let m = try reduce(.mean, axis: axis, keepDims: true)
            let d = try self - m
            let v = try (d * d).reduce(.mean, axis: axis, keepDims: keepDims)
            return op == .std ? try v.sqrt() : v
        case .max, .min:
            let y = try value.reduce(op, axis: axis, keepDims: keepDims)
            guard isTraced else { return Var(y) }
            // Weights: 1/(number of ties) at the extreme elements of each line, 0 elsewhere.
            let kept = try keptShape(axis)
            let hit = try value.binary(.eq, y.reshaped(kept)).asFloat()
            let w = Var(try hit.binary(.div, hit.sum(axis: axis, keepDims: true)))
            return try Var.apply(op.rawValue, [self], value: y, rule: Rule(
                vjp: { g, c in [try c.inputs[0].spread(g, kept: kept) * w] },
                jvp: { t, _ in try t[0].map { try ($0 * w).sum(axis: axis, keepDims: keepDims) } }))
        case .prod:
            let y = try value.reduce(.prod, axis: axis, keepDims: keepDims)
            guard isTraced else { return Var(y) }
            let kept = try keptShape(axis)
            return try Var.apply("prod", [self], value: y, rule: Rule(
                vjp: { g, c in
                    let x = c.inputs[0]
                    return [try x.spread(g, kept: kept) * x.prodOthers(axis: axis, product: c.output, kept: kept)]
                },
                jvp: { t, c in
                    guard let t0 = t[0] else { return nil }
                    let x = c.inputs[0]
                    let d = try x.prodOthers(axis: axis, product: c.output, kept: kept)
                    return try (t0 * d).sum(axis: axis, keepDims: keepDims)
                }))
        }
    }

    /// Π_{j≠i} xⱼ along `axis` for every i: y/x when no element is zero, otherwise the product of
    /// the line with element i replaced by 1 (n products of the line, so exact with zeros).
    private func prodOthers(axis: Int?, product: Var, kept: [Int]) throws -> Var {
        if !value.storage.contains(0) { return try product.reshaped(kept) / self }
        guard let axis else {
            return try flattened().prodOthers(axis: 0, product: product.reshaped([1]), kept: [1]).reshaped(shape)
        }
        let ax = try value.normalizedAxis(axis)
        let n = shape[ax]
        var parts = [Var]()
        for i in 0..<n {
            var maskShape = [Int](repeating: 1, count: ndim)
            maskShape[ax] = n
            var m = [Double](repeating: 0, count: n)
            m[i] = 1
            let mask = try Tensor(shape: maskShape, storage: m)
            parts.append(try Var.where(mask, Var(1), self).reduce(.prod, axis: ax, keepDims: true))
        }
        return try Var.concat(parts, axis: ax)
    }

    /// Sum along `axis` (all elements when nil).
    ///
    /// - Parameters:
    ///   - axis: The axis, or nil.
    ///   - keepDims: Keep the reduced axis with size 1.
    /// - Returns: The sums.
    /// - Throws: `ShapeError.badAxis`.
    public func sum(axis: Int? = nil, keepDims: Bool = false) throws -> Var {
        let y = try value.sum(axis: axis, keepDims: keepDims)
        guard isTraced else { return Var(y) }
        // The cotangent ḡ spread over the axis is left to the tape's broadcasting (see
        // `Tape.backward`): only reshaped here.
        let kept = try keptShape(axis)
        return try Var.apply("sum", [self], value: y, rule: .linear(
            apply: { try $0.sum(axis: axis, keepDims: keepDims) },
            transpose: { try $0.reshaped(kept) }))
    }

    /// Mean along `axis` (all elements when nil).
    public func mean(axis: Int? = nil, keepDims: Bool = false) throws -> Var {
        try reduce(.mean, axis: axis, keepDims: keepDims)
    }

    /// Cumulative sum along `axis` (of the flattened value when nil); its transpose is the
    /// reversed cumulative sum.
    ///
    /// - Throws: `ShapeError.badAxis`.
    public func cumsum(axis: Int? = nil) throws -> Var {
        let y = try value.cumsum(axis: axis)
        guard isTraced else { return Var(y) }
        guard let axis else {
            return try flattened().cumsum(axis: 0)
        }
        let ax = try value.normalizedAxis(axis)
        return try Var.apply("cumsum", [self], value: y, rule: .linear(
            apply: { try $0.cumsum(axis: ax) },
            transpose: { try $0.flipped(axis: ax).cumsum(axis: ax).flipped(axis: ax) }))
    }

    /// log Σ exp(x) along `axis` (`Tensor.logsumexp`: shifted by the maximum, one pass per line)
    /// with its own rule: the derivative is the softmax p = exp(x − y), so the cotangent is ḡ·p
    /// and the tangent Σ ẋ·p along the axis. Both are `Var` expressions of x and y, so every
    /// order differentiates; checked against finite differences and JAX.
    ///
    /// - Throws: `ShapeError.badAxis`.
    public func logsumexp(axis: Int? = nil, keepDims: Bool = false) throws -> Var {
        let y = try value.logsumexp(axis: axis, keepDims: true)
        let kept = y.shape
        let r = try Var.apply("logsumexp", [self], value: y, rule: Rule(
            vjp: { g, c in [try g.reshaped(kept) * (c.inputs[0] - c.output).exp()] },
            jvp: { t, c in
                guard let t0 = t[0] else { return nil }
                return try (t0 * (c.inputs[0] - c.output).exp()).sum(axis: axis, keepDims: true).reshaped(kept)
            }))
        if keepDims { return r }
        if let axis {
            var s = shape
            s.remove(at: try value.normalizedAxis(axis))
            return try r.reshaped(s)
        }
        return try r.reshaped([])
    }

    /// exp(x − logsumexp(x)) along `axis`.
    public func softmax(axis: Int = -1) throws -> Var {
        try (self - logsumexp(axis: axis, keepDims: true)).exp()
    }

    /// x − logsumexp(x) along `axis`.
    public func logSoftmax(axis: Int = -1) throws -> Var {
        try self - logsumexp(axis: axis, keepDims: true)
    }

    /// The p-norm of all elements as a 0-d value: p = 2 (Euclidean/Frobenius) with its own rule
    /// ∂‖x‖/∂x = x/‖x‖, p = 1 as Σ|x|, p = ∞ as max |x|, other p > 0 as (Σ|x|^p)^(1/p).
    ///
    /// - Parameters:
    ///   - p: The order.
    /// - Returns: The norm.
    /// - Throws: `TensorError.invalidArgument` for p ≤ 0; when differentiated at x = 0 with
    ///   p = 2, `AutodiffError.undefinedDerivative`.
    public func norm(p: Double = 2) throws -> Var {
        if p == 1 { return try abs().sum() }
        if p == .infinity { return try abs().reduce(.max) }
        guard p > 0 else { throw TensorError.invalidArgument("norm needs p > 0, got \(p)") }
        if p != 2 { return try abs().pow(p).sum().pow(1 / p) }
        let y = Tensor(try value.norm(p: 2))
        return try Var.apply("norm", [self], value: y, rule: Rule(
            vjp: { g, c in
                guard c.output.value.storage[0] != 0 else {
                    throw AutodiffError.undefinedDerivative(op: "norm", reason: "the 2-norm has no derivative at zero")
                }
                return [try c.inputs[0] * (g / c.output)]
            },
            jvp: { t, c in
                guard let t0 = t[0] else { return nil }
                guard c.output.value.storage[0] != 0 else {
                    throw AutodiffError.undefinedDerivative(op: "norm", reason: "the 2-norm has no derivative at zero")
                }
                return try (c.inputs[0] * t0).sum() / c.output
            }))
    }
}
