import RitzAutodiff
import RitzTensor

/// Differentiation in the language: the transforms `grad`, `value_and_grad`, `jacobian`,
/// `hessian`, `hvp`, `jvp`, and the traced versions of the differentiable builtins and operators.
///
/// Inside a transform the function's argument is a `.traced` value; operators (through
/// `Interpreter.binary`/`unary`), indexing, `.T`, matrix literals and the builtins whose entry
/// declares a `Differentiation.rule` compute on it with `RitzAutodiff.Var`, so derivatives flow
/// through user functions, closures and control flow on concrete values. A builtin declared
/// `.constant` sees only the values; any other builtin given a traced value raises "`name` is
/// not differentiable".
extension Builtins {
    /// The transforms. As in JAX they return functions (`grad(f)(x)`, `hessian(f)(x)`); the
    /// point-evaluating forms `jacobian(f, x)`, `hessian(f, x)`, `hvp(f, x, v)` and
    /// `jvp(f, x, v)` stay as shorthand.
    static var autodiff: [BuiltinEntry] {
        let g = "Autodiff"
        return [
            BuiltinEntry("grad", [Param("f"), Param("argnum", default: .number(0))], group: g,
                         summary: "the gradient of a scalar function with respect to argument argnum, as a function of the same arguments: grad(f)(x)",
                         examples: ["df = grad(x -> sum(x ^ 2))\ndf([1, 2, 3])", "grad((x, y) -> x * y ^ 2, argnum=1)(3, 2)"]) { a in
                let (f, k) = try transformed(a)
                let vg = RitzAutodiff.valueAndGrad(scalarFunction(f, a.context), argnum: k)
                return transformResult("grad", f) { xs in Interpreter.valueOf(try vg(xs).grad) }
            },
            BuiltinEntry("value_and_grad", [Param("f"), Param("argnum", default: .number(0))], group: g,
                         summary: "a function returning (value=, grad=) of a scalar function: value_and_grad(f)(x)",
                         examples: ["vg = value_and_grad(x -> sum(sin(x)))\nvg([0, 1]).grad"]) { a in
                let (f, k) = try transformed(a)
                let vg = RitzAutodiff.valueAndGrad(scalarFunction(f, a.context), argnum: k)
                return transformResult("value_and_grad", f) { xs in
                    let (v, d) = try vg(xs)
                    return .record(Record([("value", Interpreter.valueOf(v)), ("grad", Interpreter.valueOf(d))]))
                }
            },
            BuiltinEntry("jacobian", [Param("f"), Param("x", default: .none)], group: g,
                         summary: "the Jacobian of f, of shape f(x).shape + x.shape: jacobian(f) is a function, jacobian(f, x) its value at x",
                         examples: ["jacobian(x -> x ^ 2)([1, 2])", "jacobian(x -> x ^ 2, [1, 2])"]) { a in
                let f = try oneArgument(a), ctx = a.context
                let jac: (Var) throws -> Value = { x in
                    Interpreter.valueOf(try RitzAutodiff.jacobian({ try Interpreter.varOf(ctx.call(f, [Interpreter.valueOf($0)])) }, at: x))
                }
                if let x = a.value("x") { return try jac(try Interpreter.varOf(x)) }
                return transformResult("jacobian", f) { xs in try jac(try single(xs, "jacobian", f)) }
            },
            BuiltinEntry("hessian", [Param("f"), Param("x", default: .none)], group: g,
                         summary: "the dense Hessian of a scalar function (small x; else hessian_op): hessian(f) is a function, hessian(f, x) its value at x",
                         examples: ["hessian(x -> sum(x ^ 3))([1, 2])", "hessian(x -> sum(x ^ 3), [1, 2])"]) { a in
                let f = try oneArgument(a), scalar = scalarFunction(f, a.context)
                let hess: (Var) throws -> Value = { x in Interpreter.valueOf(try RitzAutodiff.hessian({ try scalar([$0]) }, at: x)) }
                if let x = a.value("x") { return try hess(try Interpreter.varOf(x)) }
                return transformResult("hessian", f) { xs in try hess(try single(xs, "hessian", f)) }
            },
            BuiltinEntry("hvp", [Param("f"), Param("x"), Param("v")], group: g,
                         summary: "the Hessian-vector product ∇²f(x)·v at the point x (forward over reverse), without forming the Hessian",
                         examples: ["hvp(x -> sum(x ^ 3), [1, 2], [1, 0])"]) { a in
                let f = try oneArgument(a), scalar = scalarFunction(f, a.context)
                let x = try a.tracedVar("x"), v = try a.tracedVar("v")
                return Interpreter.valueOf(try RitzAutodiff.hvp({ try scalar([$0]) }, at: x, v))
            },
            BuiltinEntry("jvp", [Param("f"), Param("x"), Param("v")], group: g,
                         summary: "the directional derivative J_f(x)·v at the point x (forward mode)",
                         examples: ["jvp(x -> sin(x), [0, 1], [1, 1])"]) { a in
                let f = try oneArgument(a), ctx = a.context
                let x = try a.tracedVar("x"), v = try a.tracedVar("v")
                return Interpreter.valueOf(try RitzAutodiff.jvp({ try Interpreter.varOf(ctx.call(f, [Interpreter.valueOf($0)])) }, at: x, v).tangent)
            },
        ].map { $0.differentiation(.transform) }
    }

    /// `f` as a function of `Var`s returning one `Var` (the tape checks it has one element).
    private static func scalarFunction(_ f: Value, _ ctx: Interpreter) -> ([Var]) throws -> Var {
        { xs in try ctx.scalarVar(ctx.call(f, xs.map(Interpreter.valueOf))) }
    }

    /// The function returned by a transform: it takes the arguments of `f` (checked against
    /// `f`'s arity when known) and is itself a transform, so it nests (`grad(grad(f))`).
    private static func transformResult(_ name: String, _ f: Value, _ body: @escaping ([Var]) throws -> Value) -> Value {
        let fname = functionName(f)
        let entry = BuiltinEntry("\(name)(\(fname))", [.variadic("args")], group: "Autodiff",
                                 summary: "\(name) of `\(fname)`: takes the arguments of `\(fname)`", examples: []) { b in
            if let range = arity(f), !range.contains(b.rest.count) {
                throw Diagnostic("`\(name)(\(fname))` takes the arguments of `\(fname)`: \(describe(range)), got \(b.rest.count)",
                                 span: nil, help: ["signature of `\(fname)`: \(signature(f))"])
            }
            return try body(try b.rest.map(Interpreter.varOf))
        }
        return .function(Function(entry.differentiation(.transform)))
    }

    /// The function and `argnum` of `grad`/`value_and_grad`, checked before any call: argnum
    /// must be a whole number naming one of `f`'s parameters.
    ///
    /// - Throws: A `Diagnostic` for a non-function `f` or an argnum out of range.
    private static func transformed(_ a: Args) throws -> (f: Value, argnum: Int) {
        let f = try a.callable("f"), k = try a.int("argnum")
        let upper = arity(f)?.upperBound ?? Int.max
        guard k >= 0 && k < upper else {
            let range = arity(f).map(describe) ?? "its arguments"
            throw Diagnostic("argnum \(k) of `\(a.entry.name)` does not name an argument of `\(functionName(f))`, which takes \(range)",
                             span: nil, help: ["argnum counts from 0: `\(a.entry.name)(f, argnum=1)` differentiates with respect to the second argument",
                                               "`\(a.entry.name)(f)` returns a function; to evaluate it at a point write `\(a.entry.name)(f)(x)`"])
        }
        return (f, k)
    }

    /// The function of `jacobian`, `hessian`, `hvp`, `jvp`, which differentiate functions of one argument.
    ///
    /// - Throws: A `Diagnostic` for a non-function or one that cannot take a single argument.
    private static func oneArgument(_ a: Args) throws -> Value {
        let f = try a.callable("f")
        if let range = arity(f), !range.contains(1) {
            throw Diagnostic("`\(a.entry.name)` needs a function of one argument; `\(functionName(f))` takes \(describe(range))",
                             span: nil, help: ["fix the others with a closure: `\(a.entry.name)(x -> f(x, y), …)`",
                                               "for several arguments use `grad(f, argnum=k)`"])
        }
        return f
    }

    /// The one argument given to the function `jacobian(f)` or `hessian(f)` returned.
    private static func single(_ xs: [Var], _ name: String, _ f: Value) throws -> Var {
        guard xs.count == 1, let x = xs.first else {
            throw Diagnostic("`\(name)(\(functionName(f)))` takes one argument, got \(xs.count)", span: nil)
        }
        return x
    }

    /// How many positional arguments `f` accepts; nil when unknown (callable objects, variadic builtins).
    static func arity(_ f: Value) -> ClosedRange<Int>? {
        guard case let .function(fn) = f else { return nil }
        switch fn.kind {
        case let .user(u):
            return u.defaults.filter { $0 == nil }.count...u.params.count
        case let .builtin(b):
            if b.params.contains(where: { $0.kind == .variadic }) { return nil }
            let positional = b.params.filter { $0.kind == .positional }
            return positional.filter { $0.defaultValue == nil }.count...positional.count
        }
    }

    /// `1 argument`, `2 or 3 arguments`.
    static func describe(_ r: ClosedRange<Int>) -> String {
        let noun = r.upperBound == 1 ? "argument" : "arguments"
        return r.lowerBound == r.upperBound ? "\(r.upperBound) \(noun)" : "\(r.lowerBound) to \(r.upperBound) \(noun)"
    }

    /// The name of a function value (`lambda` for anonymous ones), or its type.
    private static func functionName(_ f: Value) -> String {
        if case let .function(fn) = f { return fn.name }
        return f.typeName
    }

    /// The signature of a function value, or its type.
    private static func signature(_ f: Value) -> String {
        if case let .function(fn) = f { return fn.signature }
        return f.typeName
    }
}

extension Args {
    /// The argument of `name` as a (possibly traced) `Var`, for traced implementations.
    ///
    /// - Throws: A `Diagnostic` when it is missing or not numeric.
    func tracedVar(_ name: String) throws -> Var { try Interpreter.varOf(try valueOrThrow(name)) }

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

    /// A builtin call with traced arguments, as its entry's `differentiation` says: the traced
    /// rule, the plain builtin on the values for constants, nil (the plain call) for transforms
    /// and when no argument is traced.
    ///
    /// - Throws: `AutodiffError.notDifferentiable` naming the builtin when it has no derivative.
    func tracedCall(_ b: BuiltinEntry, _ args: Args) throws -> Value? {
        guard args.hasTraced else { return nil }
        switch b.differentiation {
        case let .rule(traced): return try traced(args)
        case .constant: return try b.impl(args.detached)
        case .transform, .passesThrough: return nil
        case .notDifferentiable: throw AutodiffError.notDifferentiable(op: b.name)
        }
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

    /// `lhs @ w.T` when either side is traced and both are matrices whose inner dimensions agree:
    /// one product reading w as stored (``Var/matmul(transposed:)``); nil otherwise, and the
    /// caller transposes w and multiplies as for any `@`.
    func tracedMatmulTransposed(_ lhs: Value, _ w: Value) throws -> Value? {
        switch (lhs, w) {
        case (.traced, _), (_, .traced): break
        default: return nil
        }
        guard let a = try? Interpreter.varOf(lhs), let b = try? Interpreter.varOf(w),
              a.ndim == 2, b.ndim == 2, a.shape[1] == b.shape[1] else { return nil }
        return Interpreter.valueOf(try a.matmul(transposed: b))
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
        default: throw noTensorField(name)
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
