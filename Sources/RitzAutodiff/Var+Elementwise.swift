import Foundation
import RitzTensor

/// Elementwise primitives with their derivative rules. Broadcasting follows NumPy; the tape sums
/// cotangents back to each operand's shape.
extension Var {
    // MARK: Arithmetic

    /// `a + b`: vjp (ḡ, ḡ), jvp ȧ + ḃ.
    public static func + (a: Var, b: Var) throws -> Var {
        if a.isTraced { KroneckerCapture.noteSum(a, b) }
        return try apply("+", [a, b], value: a.value.binary(.add, b.value), rule: Rule(
            vjp: { g, c in [c.needs[0] ? g : nil, c.needs[1] ? g : nil] },
            jvp: { t, _ in
                switch (t[0], t[1]) {
                case let (x?, y?): return try x + y
                case let (x?, nil): return x
                case let (nil, y?): return y
                default: return nil
                }
            }))
    }

    /// `a − b`: vjp (ḡ, −ḡ), jvp ȧ − ḃ.
    public static func - (a: Var, b: Var) throws -> Var {
        try apply("-", [a, b], value: a.value.binary(.sub, b.value), rule: Rule(
            vjp: { g, c in [c.needs[0] ? g : nil, c.needs[1] ? try -g : nil] },
            jvp: { t, _ in
                switch (t[0], t[1]) {
                case let (x?, y?): return try x - y
                case let (x?, nil): return x
                case let (nil, y?): return try -y
                default: return nil
                }
            }))
    }

    /// `a · b` elementwise: ∂a = b, ∂b = a.
    public static func * (a: Var, b: Var) throws -> Var {
        try apply("*", [a, b], value: a.value.binary(.mul, b.value),
                  rule: .elementwise2 { a, b, _, _, _ in (b, a) })
    }

    /// `a / b`: ∂a = 1/b, ∂b = −y/b.
    public static func / (a: Var, b: Var) throws -> Var {
        try apply("/", [a, b], value: a.value.binary(.div, b.value),
                  rule: .elementwise2 { _, b, y, needA, needB in
                      (needA ? try Var(1) / b : nil, needB ? try -(y / b) : nil)
                  })
    }

    /// `−x`.
    public static prefix func - (x: Var) throws -> Var {
        try apply("-", [x], value: x.value.unary(.neg), rule: .linear(apply: { try -$0 }, transpose: { try -$0 }))
    }

    public static func + (a: Var, b: Double) throws -> Var { try a + Var(b) }
    public static func + (a: Double, b: Var) throws -> Var { try Var(a) + b }
    public static func - (a: Var, b: Double) throws -> Var { try a - Var(b) }
    public static func - (a: Double, b: Var) throws -> Var { try Var(a) - b }
    public static func * (a: Var, b: Double) throws -> Var { try a * Var(b) }
    public static func * (a: Double, b: Var) throws -> Var { try Var(a) * b }
    public static func / (a: Var, b: Double) throws -> Var { try a / Var(b) }
    public static func / (a: Double, b: Var) throws -> Var { try Var(a) / b }

    /// Any binary elementwise operator of `RitzTensor` on traced values.
    ///
    /// Comparisons and logical operators give constant bool results, and floor division a
    /// constant (their derivative is zero wherever it exists, as in JAX). `pow`: ∂a = b·a^(b−1), ∂b = y·log a (0 where a = 0).
    /// `mod` (floored): ∂a = 1, ∂b = −⌊a/b⌋. `maximum`/`minimum`: the derivative goes to the
    /// larger (smaller) operand, split equally on ties, as JAX does.
    ///
    /// - Parameters:
    ///   - op: The operator.
    ///   - other: The right operand.
    /// - Returns: `self op other` with broadcasting.
    /// - Throws: `ShapeError` for shapes that do not broadcast.
    public func binary(_ op: BinaryOp, _ other: Var) throws -> Var {
        let a = self, b = other
        switch op {
        case .add: return try a + b
        case .sub: return try a - b
        case .mul: return try a * b
        case .div: return try a / b
        case .pow: return try a.pow(b)
        case .mod:
            return try Var.apply("%", [a, b], value: a.value.binary(.mod, b.value),
                                 rule: .elementwise2 { a, b, _, _, needB in
                                     (Var(1), needB ? Var(try a.value.binary(.div, b.value).unary(.floor).unary(.neg)) : nil)
                                 })
        case .maximum, .minimum:
            return try Var.apply(op.rawValue, [a, b], value: a.value.binary(op, b.value),
                                 rule: .elementwise2 { a, b, _, _, _ in
                                     // Constant masks: 1 where this operand wins, ½ on ties.
                                     let win = try a.value.binary(op == .maximum ? .gt : .lt, b.value)
                                     let tie = try a.value.binary(.eq, b.value)
                                     let half = try tie.binary(.mul, Tensor(0.5))
                                     let wa = try win.binary(.add, half)
                                     let wb = try Tensor(1).binary(.sub, wa)
                                     return (Var(wa), Var(wb))
                                 })
        case .eq, .ne, .lt, .le, .gt, .ge, .and, .or, .floorDiv:
            return Var(try a.value.binary(op, b.value))
        }
    }

    /// `self ^ exponent` elementwise.
    ///
    /// - Parameters:
    ///   - exponent: The power, broadcast against `self`.
    /// - Returns: The power.
    /// - Throws: `ShapeError` for shapes that do not broadcast.
    public func pow(_ exponent: Var) throws -> Var {
        try Var.apply("^", [self, exponent], value: value.binary(.pow, exponent.value),
                      rule: .elementwise2 { a, b, y, needA, needB in
            var pa: Var?, pb: Var?
            if needA {
                // For a constant integer-free exponent this stays a single `pow` node.
                pa = try b * a.pow(b - 1)
            }
            if needB {
                // d/db a^b = a^b·log a; defined as 0 where a = 0 (the limit for b > 0).
                let zero = try a.value.binary(.eq, Tensor(0))
                let safeA = try Var.where(zero, Var(1), a)
                pb = try Var.where(zero, Var(0), y * safeA.log())
            }
            return (pa, pb)
        })
    }

    /// `self ^ p` for a number p.
    public func pow(_ p: Double) throws -> Var { try pow(Var(p)) }

    /// `cond ? a : b` elementwise; `cond` is not differentiated.
    ///
    /// - Parameters:
    ///   - cond: The condition (nonzero is true).
    ///   - a: Values where true.
    ///   - b: Values where false.
    /// - Returns: The selection, broadcast over all three.
    /// - Throws: `ShapeError` for shapes that do not broadcast.
    public static func `where`(_ cond: Tensor, _ a: Var, _ b: Var) throws -> Var {
        let value = try Tensor.where(cond, a.value, b.value)
        let shape = value.shape
        return try apply("where", [a, b], value: value, rule: Rule(
            vjp: { g, c in
                let zero = Var(0)
                return [c.needs[0] ? try Var.where(cond, g, zero) : nil,
                        c.needs[1] ? try Var.where(cond, zero, g) : nil]
            },
            jvp: { t, _ in
                let zero = Var(0)
                return try Var.where(cond, t[0] ?? zero, t[1] ?? zero).broadcast(to: shape)
            }))
    }

    /// `where` with a possibly traced condition (its value is used; it is not differentiated).
    public static func `where`(_ cond: Var, _ a: Var, _ b: Var) throws -> Var {
        try `where`(cond.value, a, b)
    }

    // MARK: Unary functions

    /// Any unary elementwise function of `RitzTensor` on traced values.
    ///
    /// Derivatives: exp → y; log → 1/x; log1p → 1/(1+x); sqrt → 1/(2y); abs → sign x (0 at 0,
    /// as JAX); sin → cos x; cos → −sin x; tan → 1 + y²; tanh → 1 − y²; sigmoid → y(1 − y);
    /// relu → [x > 0]; gelu (exact) → Φ(x) + x·φ(x), one fused node (`Var+Gelu.swift`);
    /// softplus → sigmoid x. `sign floor ceil round` are piecewise constant (zero derivative) and
    /// the predicates `isnan isfinite not` give constant bool results.
    ///
    /// - Parameters:
    ///   - op: The function.
    /// - Returns: The function applied to every element.
    /// - Throws: `TensorError` for complex values where the function does not accept them.
    public func unary(_ op: UnaryOp) throws -> Var {
        let x = self
        switch op {
        case .neg: return try -x
        case .sign, .floor, .ceil, .round, .isnan, .isfinite, .not:
            return Var(try value.unary(op))
        case .gelu: return try Var.fusedGelu(x)
        default: break
        }
        let y = try value.unary(op)
        return try Var.apply(op.rawValue, [x], value: y, rule: try Var.unaryRule(op))
    }

    /// The rule of a differentiable unary function, made when its application is recorded.
    private static func unaryRule(_ op: UnaryOp) throws -> Rule {
        switch op {
        case .exp: return .elementwise { _, y in y }
        case .log: return .elementwise { x, _ in try 1 / x }
        case .log1p: return .elementwise { x, _ in try 1 / (x + 1) }
        case .sqrt: return .elementwise { _, y in try 0.5 / y }
        case .abs: return .elementwise { x, _ in Var(try x.value.unary(.sign)) }
        case .sin: return .elementwise { x, _ in try x.cos() }
        case .cos: return .elementwise { x, _ in try -x.sin() }
        case .tan: return .elementwise { _, y in try y * y + 1 }
        case .tanh:
            return Rule(vjp: { g, c in [try Var.tanhBackward(g, c.output)] },
                        jvp: { t, c in try t[0].map { try Var.tanhBackward($0, c.output) } },
                        vjpOverwriting: { g, c in [try Var.tanhBackward(overwriting: &g, c.output)] })
        case .sigmoid: return .elementwise { _, y in try y * (1 - y) }
        case .relu:
            return Rule(vjp: { g, c in [try Var.reluBackward(g, c.inputs[0])] },
                        jvp: { t, c in try t[0].map { try Var.reluBackward($0, c.inputs[0]) } },
                        vjpOverwriting: { g, c in [try Var.reluBackward(overwriting: &g, c.inputs[0])] })
        case .softplus: return .elementwise { x, _ in try x.sigmoid() }
        default: throw AutodiffError.notDifferentiable(op: op.rawValue)
        }
    }

    /// f over blocks of at most 512 elements of a and b broadcast to `shape` (f(a, b, out, count)
    /// writes every element of its block), in one pass split over the threads; nil for complex
    /// operands.
    static func elementwiseBlocks(
        _ a: Var, _ b: Var, shape: [Int],
        _ f: (UnsafePointer<Double>, UnsafePointer<Double>, UnsafeMutablePointer<Double>, Int) -> Void
    ) throws -> Tensor? {
        guard !a.value.isComplex, !b.value.isComplex else { return nil }
        let (av, bv) = (try a.value.broadcast(to: shape).asFloat(), try b.value.broadcast(to: shape).asFloat())
        let n = av.count
        let out = try av.storage.withUnsafeBufferPointer { pa in
            try bv.storage.withUnsafeBufferPointer { pb in
                try makeStorage(n) { d in
                    if let x = pa.baseAddress, let y = pb.baseAddress {
                        Parallel.forEachPiece(n) { r in
                            var i = r.lowerBound
                            while i < r.upperBound {
                                let count = Swift.min(512, r.upperBound - i)
                                f(x + i, y + i, d + i, count)
                                i += count
                            }
                        }
                    }
                }
            }
        }
        return try Tensor(shape: shape, storage: out)
    }

    /// g·(1 − y²), the cotangent of tanh given its output y, in one pass and one node.
    ///
    /// Its own rule keeps higher orders exact: ∂/∂g = 1 − y², ∂/∂y = −2·g·y.
    /// - Parameters:
    ///   - g: The cotangent of the tanh output.
    ///   - y: The tanh output.
    /// - Returns: The cotangent of the tanh input.
    /// - Throws: `ShapeError` when the shapes do not broadcast.
    static func tanhBackward(_ g: Var, _ y: Var) throws -> Var {
        let gv = g.value, yv = y.value
        guard gv.shape == yv.shape, gv.dtype == .float64, yv.dtype == .float64,
              let value = try elementwiseBlocks(g, y, shape: gv.shape, { FastMath.tanhBackward($0, $1, $2, count: $3) })
        else { return try g * (1 - y * y) }
        return try tanhBackwardNode(g, y, value: value)
    }

    /// ``tanhBackward(_:_:)`` recorded without computing its value when `valueUnread` (a
    /// dense layer's δ in a gradient recorded for H v that only placeholder products read, which
    /// read δ in no tangent) and an operand is traced: the node holds a placeholder and the same
    /// rule, whose products read only the operands.
    static func tanhBackward(_ g: Var, _ y: Var, valueUnread: Bool) throws -> Var {
        guard valueUnread, g.isTraced || y.isTraced, g.shape == y.shape, g.value.dtype == .float64,
              y.value.dtype == .float64 else { return try tanhBackward(g, y) }
        return try tanhBackwardNode(g, y, value: placeholder(g.shape))
    }

    /// The recorded g·(1 − y²) with the value `value`.
    private static func tanhBackwardNode(_ g: Var, _ y: Var, value: Tensor) throws -> Var {
        try apply("tanh_backward", [g, y], value: value, rule: Rule(
            vjp: { h, c in
                let (g, y) = (c.inputs[0], c.inputs[1])
                return [c.needs[0] ? try tanhBackward(h, y) : nil,
                        c.needs[1] ? try tanhCurvature(h, g, y) : nil]
            },
            jvp: { t, c in
                let (g, y) = (c.inputs[0], c.inputs[1])
                if let tg = t[0], let ty = t[1], let fused = try tanhBackwardTangent(tg, ty, g, y) { return fused }
                var out: Var?
                if let tg = t[0] { out = try tanhBackward(tg, y) }
                if let ty = t[1] {
                    let term = try tanhCurvature(g, y, ty)
                    out = try out.map { try $0 + term } ?? term
                }
                return out
            }))
    }

    /// ``tanhBackward(_:_:)`` written over g's storage when nothing else holds it and neither
    /// operand is traced (an unrecorded sweep hands a tanh node its cotangent to keep): the same
    /// bytes without a new array, in the cache lines the product before it just wrote.
    static func tanhBackward(overwriting g: inout Var, _ y: Var) throws -> Var {
        try overwrite(&g, reading: y) { FastMath.tanhBackward($0, $1, $2, count: $3) } ? g : tanhBackward(g, y)
    }

    /// Runs `kernel(g, other, out, count)` with out = g over g's own storage, in parallel pieces,
    /// when g and `other` are untraced float64 of one shape and nothing else holds g's storage
    /// (an unrecorded sweep's cotangent); false, g untouched, otherwise.
    private static func overwrite(
        _ g: inout Var, reading other: Var,
        _ kernel: (UnsafePointer<Double>, UnsafePointer<Double>, UnsafeMutablePointer<Double>, Int) -> Void
    ) -> Bool {
        let ov = other.value
        guard !g.isTraced, !other.isTraced, g.shape == ov.shape, g.value.dtype == .float64, ov.dtype == .float64 else {
            return false
        }
        let n = ov.count
        let written = ov.storage.withUnsafeBufferPointer { po in
            g.value.withUnsharedStorage { pg -> Bool in
                guard let gp = pg.baseAddress, let op = po.baseAddress else { return false }
                Parallel.forEachPiece(n) { r in
                    let s = r.lowerBound
                    kernel(gp + s, op + s, gp + s, r.count)
                }
                return true
            }
        }
        return written == true
    }

    /// g·[x > 0], relu's pull-back (and push-forward) at x, in one pass and one node: linear in
    /// g with x held constant (relu′ is a step, zero almost everywhere), so its rule is itself.
    /// The bytes of g times the 0/1 mask of `x > 0` (a NaN x gives the factor 0).
    static func reluBackward(_ g: Var, _ x: Var) throws -> Var {
        let (gv, xv) = (g.value, x.value)
        guard gv.shape == xv.shape, gv.dtype == .float64, xv.dtype == .float64,
              let value = try elementwiseBlocks(g, x, shape: gv.shape, { reluMask($0, $1, $2, $3) })
        else { return try g * Var(try xv.binary(.gt, Tensor(0)).asFloat()) }
        let step = x.detached
        return try apply("relu_backward", [g], value: value, rule: .linear(
            apply: { try reluBackward($0, step) }, transpose: { try reluBackward($0, step) }))
    }

    /// ``reluBackward(_:_:)`` written over g's storage when nothing else holds it and g is not
    /// traced (an unrecorded sweep's cotangent): the same bytes without a new array.
    static func reluBackward(overwriting g: inout Var, _ x: Var) throws -> Var {
        try overwrite(&g, reading: x) { reluMask($0, $1, $2, $3) } ? g : reluBackward(g, x)
    }

    /// out[i] = g[i]·(x[i] > 0 ? 1 : 0); out may be g.
    private static func reluMask(_ g: UnsafePointer<Double>, _ x: UnsafePointer<Double>,
                                 _ out: UnsafeMutablePointer<Double>, _ n: Int) {
        for i in 0..<n { out[i] = g[i] * (x[i] > 0 ? 1 : 0) }
    }

    /// The tangent of g·(1 − y²) along (ġ, ẏ), ġ·(1 − y²) − 2·g·y·ẏ, in one pass outside a
    /// recording (all four operands constant float64 of one shape); nil otherwise.
    private static func tanhBackwardTangent(_ tg: Var, _ ty: Var, _ g: Var, _ y: Var) throws -> Var? {
        let operands = [tg, ty, g, y]
        guard !operands.contains(where: \.isTraced),
              operands.allSatisfy({ $0.shape == y.shape && $0.value.dtype == .float64 }) else { return nil }
        let n = y.count
        let out = try tg.value.storage.withUnsafeBufferPointer { a in
            try ty.value.storage.withUnsafeBufferPointer { b in
                try g.value.storage.withUnsafeBufferPointer { c in
                    try y.value.storage.withUnsafeBufferPointer { d in
                        try makeStorage(n) { o in
                            if let tg = a.baseAddress, let ty = b.baseAddress, let g = c.baseAddress, let y = d.baseAddress {
                                Parallel.forEachPiece(n) { r in
                                    let s = r.lowerBound
                                    FastMath.tanhBackwardTangent(tg + s, ty + s, g + s, y + s, o + s, count: r.count)
                                }
                            }
                        }
                    }
                }
            }
        }
        return Var(try Tensor(shape: y.shape, storage: out))
    }

    /// −2·a·b·c elementwise, the term of tanh's second derivative (∂/∂y of g·(1 − y²) is −2·g·y),
    /// in one pass and one node for operands of one shape.
    ///
    /// The map is symmetric and linear in each operand, so its rule is itself again: the
    /// cotangent for a is −2·ḡ·b·c, and the tangent is the sum of −2·ȧ·b·c and its permutations.
    static func tanhCurvature(_ a: Var, _ b: Var, _ c: Var) throws -> Var {
        let (av, bv, cv) = (a.value, b.value, c.value)
        guard av.shape == bv.shape, bv.shape == cv.shape,
              av.dtype == .float64, bv.dtype == .float64, cv.dtype == .float64 else { return try a * b * c * -2 }
        let n = av.count
        let out = try av.storage.withUnsafeBufferPointer { pa in
            try bv.storage.withUnsafeBufferPointer { pb in
                try cv.storage.withUnsafeBufferPointer { pc in
                    try makeStorage(n) { d in
                        if let x = pa.baseAddress, let y = pb.baseAddress, let z = pc.baseAddress {
                            Parallel.forEachPiece(n) { r in
                                let o = r.lowerBound
                                FastMath.tanhCurvature(x + o, y + o, z + o, d + o, count: r.count)
                            }
                        }
                    }
                }
            }
        }
        return try apply("tanh_curvature", [a, b, c], value: Tensor(shape: av.shape, storage: out), rule: Rule(
            vjp: { g, ctx in
                let (a, b, c) = (ctx.inputs[0], ctx.inputs[1], ctx.inputs[2])
                return [ctx.needs[0] ? try tanhCurvature(g, b, c) : nil,
                        ctx.needs[1] ? try tanhCurvature(a, g, c) : nil,
                        ctx.needs[2] ? try tanhCurvature(a, b, g) : nil]
            },
            jvp: { t, ctx in
                let (a, b, c) = (ctx.inputs[0], ctx.inputs[1], ctx.inputs[2])
                var out: Var?
                for term in [try t[0].map { try tanhCurvature($0, b, c) },
                             try t[1].map { try tanhCurvature(a, $0, c) },
                             try t[2].map { try tanhCurvature(a, b, $0) }] {
                    guard let term else { continue }
                    out = try out.map { try $0 + term } ?? term
                }
                return out
            }))
    }

    /// Standard normal CDF Φ(x) = ½ erfc(−x/√2); derivative φ(x).
    func normalCDF() throws -> Var {
        let x = try value.asFloat()
        let s = try x.storage.withUnsafeBufferPointer { px in
            try makeStorage(px.count) { ys in
                if let xs = px.baseAddress { FastMath.normalCDF(xs, ys, count: px.count) }
            }
        }
        let y = try Tensor(shape: shape, storage: s)
        return try Var.apply("normal_cdf", [self], value: y, rule: .elementwise { x, _ in try x.normalPDF() })
    }

    /// Standard normal density φ(x) = e^(−x²/2)/√(2π), from primitives.
    func normalPDF() throws -> Var {
        try (x2Half()).exp() * 0.3989422804014327
    }

    private func x2Half() throws -> Var { try -(self * self) * 0.5 }

    public func exp() throws -> Var { try unary(.exp) }
    public func log() throws -> Var { try unary(.log) }
    public func log1p() throws -> Var { try unary(.log1p) }
    public func sqrt() throws -> Var { try unary(.sqrt) }
    public func abs() throws -> Var { try unary(.abs) }
    public func sin() throws -> Var { try unary(.sin) }
    public func cos() throws -> Var { try unary(.cos) }
    public func tan() throws -> Var { try unary(.tan) }
    public func tanh() throws -> Var { try unary(.tanh) }
    public func sigmoid() throws -> Var { try unary(.sigmoid) }
    public func relu() throws -> Var { try unary(.relu) }
    public func gelu() throws -> Var { try unary(.gelu) }
    public func softplus() throws -> Var { try unary(.softplus) }

    /// `min(max(x, lo), hi)` elementwise: derivative 1 inside [lo, hi], 0 outside.
    ///
    /// - Parameters:
    ///   - lo: Lower bound.
    ///   - hi: Upper bound.
    /// - Returns: The clipped values.
    /// - Throws: `TensorError` for complex values.
    public func clip(_ lo: Double, _ hi: Double) throws -> Var {
        try Var.apply("clip", [self], value: value.clip(lo, hi), rule: .elementwise { x, _ in
            Var(try Tensor(shape: x.shape, storage: x.value.storage.map { $0 >= lo && $0 <= hi ? 1 : 0 }))
        })
    }
}
