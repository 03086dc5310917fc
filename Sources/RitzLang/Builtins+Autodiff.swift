import RitzAutodiff
import RitzTensor

/// Differentiation in the language: the transforms `grad`, `value_and_grad`, `jacobian`,
/// `hessian`, `hvp`, `jvp`, and the traced versions of the differentiable builtins and operators.
///
/// Inside a transform the function's argument is a `.traced` value; operators (through
/// `Interpreter.binary`/`unary`), indexing, `.T`, matrix literals and the builtins listed in
/// `tracedBuiltins` compute on it with `RitzAutodiff.Var`, so derivatives flow through user
/// functions, closures and control flow on concrete values. Any other builtin given a traced
/// value raises "`name` is not differentiable".
extension Builtins {
    static var autodiff: [BuiltinEntry] {
        let g = "Autodiff"
        return [
            BuiltinEntry("grad", [Param("f"), Param("argnum", default: .number(0))], group: g,
                         summary: "the gradient of a scalar function, as a function of the same arguments",
                         examples: ["df = grad(x -> sum(x ^ 2))\ndf([1, 2, 3])"]) { a in
                let f = try a.callable("f"), k = try a.int("argnum"), ctx = a.context
                let vg = RitzAutodiff.valueAndGrad({ xs in try ctx.scalarVar(ctx.call(f, xs.map(Interpreter.valueOf))) }, argnum: k)
                return .function(Function(BuiltinEntry("grad", [.variadic("args")], group: g,
                                                       summary: "a gradient function", examples: []) { b in
                    Interpreter.valueOf(try vg(try b.rest.map(Interpreter.varOf)).grad)
                }))
            },
            BuiltinEntry("value_and_grad", [Param("f"), Param("argnum", default: .number(0))], group: g,
                         summary: "a function returning (value=, grad=) of a scalar function",
                         examples: ["vg = value_and_grad(x -> sum(sin(x)))\nvg([0, 1]).grad"]) { a in
                let f = try a.callable("f"), k = try a.int("argnum"), ctx = a.context
                let vg = RitzAutodiff.valueAndGrad({ xs in try ctx.scalarVar(ctx.call(f, xs.map(Interpreter.valueOf))) }, argnum: k)
                return .function(Function(BuiltinEntry("value_and_grad", [.variadic("args")], group: g,
                                                       summary: "value and gradient", examples: []) { b in
                    let (v, d) = try vg(try b.rest.map(Interpreter.varOf))
                    return .record(Record([("value", Interpreter.valueOf(v)), ("grad", Interpreter.valueOf(d))]))
                }))
            },
            BuiltinEntry("jacobian", [Param("f"), Param("x")], group: g,
                         summary: "the Jacobian of f at x, of shape f(x).shape + x.shape",
                         examples: ["jacobian(x -> x ^ 2, [1, 2])"]) { a in
                let (f, ctx) = (try a.callable("f"), a.context)
                let x = try Interpreter.varOf(try a.valueOrThrow("x"))
                return Interpreter.valueOf(try RitzAutodiff.jacobian({ try Interpreter.varOf(ctx.call(f, [Interpreter.valueOf($0)])) }, at: x))
            },
            BuiltinEntry("hessian", [Param("f"), Param("x")], group: g,
                         summary: "the dense Hessian of a scalar function at x (small x; else hessian_op)",
                         examples: ["hessian(x -> sum(x ^ 3), [1, 2])"]) { a in
                let (f, ctx) = (try a.callable("f"), a.context)
                let x = try Interpreter.varOf(try a.valueOrThrow("x"))
                return Interpreter.valueOf(try RitzAutodiff.hessian({ try ctx.scalarVar(ctx.call(f, [Interpreter.valueOf($0)])) }, at: x))
            },
            BuiltinEntry("hvp", [Param("f"), Param("x"), Param("v")], group: g,
                         summary: "the Hessian-vector product ∇²f(x)·v, without forming the Hessian",
                         examples: ["hvp(x -> sum(x ^ 3), [1, 2], [1, 0])"]) { a in
                let (f, ctx) = (try a.callable("f"), a.context)
                let x = try Interpreter.varOf(try a.valueOrThrow("x")), v = try Interpreter.varOf(try a.valueOrThrow("v"))
                return Interpreter.valueOf(try RitzAutodiff.hvp({ try ctx.scalarVar(ctx.call(f, [Interpreter.valueOf($0)])) }, at: x, v))
            },
            BuiltinEntry("jvp", [Param("f"), Param("x"), Param("v")], group: g,
                         summary: "the directional derivative J_f(x)·v (forward mode)",
                         examples: ["jvp(x -> sin(x), [0, 1], [1, 1])"]) { a in
                let (f, ctx) = (try a.callable("f"), a.context)
                let x = try Interpreter.varOf(try a.valueOrThrow("x")), v = try Interpreter.varOf(try a.valueOrThrow("v"))
                return Interpreter.valueOf(try RitzAutodiff.jvp({ try Interpreter.varOf(ctx.call(f, [Interpreter.valueOf($0)])) }, at: x, v).tangent)
            },
        ]
    }

    /// Builtins that accept traced values and ignore the trace (their results are constants or
    /// do not depend on the values' derivatives).
    static let traceBlind: Set<String> = [
        "shape", "size", "ndims", "argmax", "argmin", "isnan", "isfinite", "sign", "floor", "ceil", "round",
        "print", "string", "format", "any", "all", "zeros", "ones",
    ]

    /// Traced implementations of the differentiable builtins, by name; each reads the arguments
    /// bound to the builtin's own parameters.
    /// (Immutable after initialisation, hence safe to share.)
    nonisolated(unsafe) static let tracedBuiltins: [String: (Args) throws -> Value] = {
        var table: [String: (Args) throws -> Value] = [:]
        let unary: [(String, UnaryOp)] = [("exp", .exp), ("log", .log), ("log1p", .log1p), ("sqrt", .sqrt), ("abs", .abs),
                                          ("sin", .sin), ("cos", .cos), ("tan", .tan), ("tanh", .tanh), ("sigmoid", .sigmoid),
                                          ("relu", .relu), ("gelu", .gelu), ("softplus", .softplus)]
        for (name, op) in unary { table[name] = { a in try out(arg(a, 0).unary(op)) } }
        for (name, op) in [("maximum", BinaryOp.maximum), ("minimum", .minimum)] {
            table[name] = { a in try out(arg(a, 0).binary(op, arg(a, 1))) }
        }
        table["clip"] = { a in try out(arg(a, 0).clip(try a.double(a.entry.params[1].name), try a.double(a.entry.params[2].name))) }
        table["where"] = { a in try out(Var.where(arg(a, 0), arg(a, 1), arg(a, 2))) }
        let reductions: [(String, ReduceOp)] = [("sum", .sum), ("mean", .mean), ("max", .max), ("min", .min),
                                                ("prod", .prod), ("std", .std), ("var", .variance)]
        for (name, op) in reductions {
            table[name] = { a in try out(arg(a, 0).reduce(op, axis: a.optionalInt("axis"))) }
        }
        table["cumsum"] = { a in try out(arg(a, 0).cumsum(axis: a.optionalInt("axis"))) }
        table["logsumexp"] = { a in try out(arg(a, 0).logsumexp(axis: a.optionalInt("axis"))) }
        table["softmax"] = { a in try out(arg(a, 0).softmax(axis: a.optionalInt("axis") ?? -1)) }
        table["norm"] = { a in let x = try arg(a, 0); return try out(x.norm(p: differentiableNormP(a, ndim: x.shape.count))) }
        table["dot"] = { a in try out(arg(a, 0).dot(arg(a, 1))) }
        table["outer"] = { a in try out(arg(a, 0).outer(arg(a, 1))) }
        table["kron"] = { a in try out(arg(a, 0).kron(arg(a, 1))) }
        table["trace"] = { a in try out(arg(a, 0).trace()) }
        table["inv"] = { a in try out(arg(a, 0).inv()) }
        table["det"] = { a in try out(arg(a, 0).det()) }
        table["solve"] = { a in try out(Var.solve(arg(a, 0), arg(a, 1))) }
        table["eigh"] = { a in
            let (w, v) = try arg(a, 0).eigh()
            return .record(Record([("values", out(w)), ("vectors", out(v))]))
        }
        table["eigvalsh"] = { a in try out(arg(a, 0).eigvalsh()) }
        table["reshape"] = { a in
            let dims = try a.rest.map { try Interpreter.toInt($0, what: "a dimension of `reshape`") }
            return try out(arg(a, 0).reshaped(dims))
        }
        table["flatten"] = { a in try out(arg(a, 0).flattened()) }
        table["transpose"] = { a in
            let perm = try a.optionalTensor("perm").map { try $0.storage.map { try Interpreter.toInt(.number($0), what: "an axis") } }
            return try out(arg(a, 0).transposed(perm))
        }
        table["concat"] = { a in try out(Var.concat(parts(a), axis: a.optionalInt("axis") ?? 0)) }
        table["stack"] = { a in try out(Var.stack(parts(a), axis: a.optionalInt("axis") ?? 0)) }
        table["copy"] = { a in a.raw(a.entry.params[0].name) ?? .none }
        return table
    }()

    private static func arg(_ a: Args, _ i: Int) throws -> Var {
        guard i < a.entry.params.count, let v = a.value(a.entry.params[i].name) else {
            throw Diagnostic("missing argument of `\(a.entry.name)`", span: nil, help: ["signature: \(a.entry.signature)"])
        }
        return try Interpreter.varOf(v)
    }

    private static func out(_ x: Var) -> Value { Interpreter.valueOf(x) }

    /// The parts given to `concat`/`stack`: a list, or the slices of a (traced) tensor.
    private static func parts(_ a: Args) throws -> [Var] {
        let name = a.entry.params[0].name
        if case let .traced(x)? = a.value(name) { return try x.unstacked() }
        return try a.list(name).map(Interpreter.varOf)
    }
}

extension Args {
    /// The argument of `name`, or a diagnostic when missing.
    func valueOrThrow(_ name: String) throws -> Value {
        guard let v = value(name) else {
            throw Diagnostic("missing argument `\(name)` of `\(entry.name)`", span: nil, help: ["signature: \(entry.signature)"])
        }
        return v
    }

    /// True when any argument is a traced tensor (directly or inside a list or record).
    var hasTraced: Bool {
        values.contains { $0.map(Interpreter.containsTraced) ?? false } || rest.contains(where: Interpreter.containsTraced)
    }

    /// The same arguments with every traced tensor replaced by its value, for builtins that only
    /// read values (shapes, printing, predicates): their results carry no derivative.
    var detached: Args {
        Args(entry: entry, values: values.map { $0.map(Interpreter.detach) }, rest: rest.map(Interpreter.detach),
             context: context, span: span)
    }
}

extension Interpreter {
    /// A value as a (possibly traced) `Var`: numbers, bools, tensors and lists convert to constants.
    ///
    /// - Throws: A `Diagnostic` for values that are not numeric.
    static func varOf(_ v: Value) throws -> Var {
        switch v {
        case let .traced(x): return x
        case let .list(items) where items.contains(where: { if case .traced = $0 { return true } else { return false } }):
            return try Var.stack(items.map(varOf))
        default: return Var(try toTensor(v))
        }
    }

    /// A `Var` as a value: traced stays traced; constants become tensors or numbers.
    static func valueOf(_ x: Var) -> Value { x.isTraced ? .traced(x) : wrap(x.value) }

    /// The result of a function under `grad`/`hessian`/`hvp` as a one-element `Var`.
    func scalarVar(_ v: Value) throws -> Var {
        try Interpreter.varOf(v)
    }

    /// A builtin call with traced arguments: the traced implementation when there is one, the
    /// plain builtin on the values for trace-blind builtins, nil when no argument is traced.
    ///
    /// - Throws: `AutodiffError.notDifferentiable` naming the builtin when it has no derivative.
    func tracedCall(_ b: BuiltinEntry, _ args: Args) throws -> Value? {
        // The transforms and the functions they return take traced values themselves (nesting).
        guard args.hasTraced, b.group != "Autodiff" else { return nil }
        if let impl = Builtins.tracedBuiltins[b.name] { return try impl(args) }
        if Builtins.traceBlind.contains(b.name) { return try b.impl(args.detached) }
        throw AutodiffError.notDifferentiable(op: b.name)
    }

    /// True when `v` is a traced tensor or a list or record holding one.
    static func containsTraced(_ v: Value) -> Bool {
        switch v {
        case .traced: return true
        case let .list(items): return items.contains(where: containsTraced)
        case let .record(r): return r.values.contains(where: containsTraced)
        default: return false
        }
    }

    /// `v` with traced tensors (also inside lists and records) replaced by their values.
    static func detach(_ v: Value) -> Value {
        switch v {
        case let .traced(x): return wrap(x.value)
        case let .list(items) where items.contains(where: containsTraced): return .list(items.map(detach))
        case let .record(r) where r.values.contains(where: containsTraced):
            return .record(Record(Array(zip(r.names, r.values.map(detach)))))
        default: return v
        }
    }

    /// The error for a traced value reaching a conversion to a plain tensor (an object's input,
    /// a builtin's argument outside the differentiable set): refusing it is what keeps a
    /// derivative from being silently dropped.
    ///
    /// - Parameters:
    ///   - what: What the value was for ("the model's input", "argument `x` of `f`").
    /// - Returns: The diagnostic to throw.
    static func tracedConversionError(_ what: String) -> Diagnostic {
        Diagnostic("\(what) depends on a value being differentiated, and this use of it is not differentiable", span: nil,
                   help: ["derivatives flow through operators, indexing, `for` over a tensor, indexed assignment and the differentiable builtins (see `?grad`)",
                          "to use only the value, without its derivative, take it outside the differentiated function"])
    }

    /// The slices of a traced tensor along its first axis, for `for x in t`.
    ///
    /// - Throws: A `Diagnostic` for a 0-d value.
    static func tracedRows(_ x: Var) throws -> [Value] {
        guard x.ndim >= 1 else {
            throw Diagnostic("cannot loop over a 0-d tensor", span: nil, help: ["loop over a range `0:n`, a list or a tensor"])
        }
        return try x.unstacked().map(valueOf)
    }

    /// `base[items] = value` when either side is traced: a differentiable scatter
    /// (`Var.assigning`); nil otherwise.
    func tracedAssignIndex(_ base: Value, _ items: [IndexValue], _ value: Value) throws -> Value? {
        switch (base, value) {
        case (.traced, _), (.tensor, .traced), (.number, .traced), (.bool, .traced): break
        default: return nil
        }
        let x = try Interpreter.varOf(base), v = try Interpreter.varOf(value)
        return Interpreter.valueOf(try x.assigning(try Interpreter.indexItems(items), v))
    }

    /// `lhs op rhs` when either side is traced; nil otherwise.
    func tracedBinary(_ op: BinaryOperator, _ lhs: Value, _ rhs: Value) throws -> Value? {
        switch (lhs, rhs) {
        case (.traced, _), (_, .traced): break
        default: return nil
        }
        let a = try Interpreter.varOf(lhs), b = try Interpreter.varOf(rhs)
        if op == .matmul { return Interpreter.valueOf(try a.matmul(b)) }
        guard let top = Interpreter.tensorOp(op) else { throw typeError(op, lhs, rhs) }
        return Interpreter.valueOf(try a.binary(top, b))
    }

    /// `-x` and `not x` of a traced value; nil for other values.
    func tracedUnary(_ op: String, _ v: Value) throws -> Value? {
        guard case let .traced(x) = v else { return nil }
        if op == "-" { return Interpreter.valueOf(try -x) }
        return Interpreter.wrap(try x.value.unary(.not))
    }

    /// `x[items]` of a traced value; nil for other values.
    func tracedIndex(_ base: Value, _ items: [IndexValue]) throws -> Value? {
        guard case let .traced(x) = base else { return nil }
        return Interpreter.valueOf(try x.index(try Interpreter.indexItems(items)))
    }

    /// `x.T` and `x.shape` of a traced value; nil for other values.
    func tracedField(_ v: Value, _ name: String) throws -> Value? {
        guard case let .traced(x) = v else { return nil }
        switch name {
        case "T": return Interpreter.valueOf(try x.transposed())
        case "shape": return .tensor(Tensor(integers: x.shape))
        default: throw Diagnostic("a tensor has no field `\(name)`", span: nil, help: ["tensor fields: T, shape, real, imag"])
        }
    }

    /// A matrix literal with traced elements; nil when none is traced.
    static func tracedMatrix(_ rows: [[Value]], hasRows: Bool) throws -> Value? {
        func traced(_ v: Value) -> Bool { if case .traced = v { return true } else { return false } }
        guard rows.contains(where: { $0.contains(where: traced) }) else { return nil }
        if !hasRows {
            // As for plain values: numbers and equal-shaped tensors stack, anything else is a list
            // (which keeps its traced elements).
            let items = rows.first ?? []
            guard items.allSatisfy({ v in
                switch v { case .number, .bool, .tensor, .traced: return true; default: return false }
            }) else { return .list(items) }
            let vars = try items.map(varOf)
            guard let first = vars.first, vars.allSatisfy({ $0.shape == first.shape }) else { return .list(items) }
            return valueOf(try Var.stack(vars))
        }
        let rowVars = try rows.map { row in
            try Var.concat(row.map { v -> Var in
                let x = try varOf(v)
                switch x.ndim {
                case 0: return try x.reshaped([1, 1])
                case 1: return try x.reshaped([1, x.count])
                default: return x
                }
            }, axis: 1)
        }
        return valueOf(try Var.concat(rowVars, axis: 0))
    }
}
