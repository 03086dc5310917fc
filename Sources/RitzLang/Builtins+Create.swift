import RitzAutodiff
import RitzTensor

extension Builtins {
    /// Draws with the session generator, or a fresh one when `seed=` is given.
    static func withGenerator<T>(_ a: Args, _ body: (inout RandomGenerator) throws -> T) throws -> T {
        if let s = try a.optionalInt("seed") {
            guard s >= 0 else { throw Diagnostic("seed must be a non-negative whole number, got \(s)", span: nil) }
            var g = RandomGenerator(seed: UInt64(s))
            return try body(&g)
        }
        return try body(&a.context.rng)
    }

    /// Create and shape: constructors, random tensors, reshaping, joining.
    static var create: [BuiltinEntry] {
        let g = "Create and shape"
        return [
            BuiltinEntry("zeros", [.variadic("d")], group: g, summary: "a tensor of zeros with dimensions d",
                         examples: ["zeros(2, 3)"]) { a in .tensor(try Tensor.zeros(try a.dims())) }.differentiation(.constant),
            BuiltinEntry("ones", [.variadic("d")], group: g, summary: "a tensor of ones with dimensions d",
                         examples: ["ones(3)"]) { a in .tensor(try Tensor.ones(try a.dims())) }.differentiation(.constant),
            BuiltinEntry("full", [Param("shape"), Param("value")], group: g,
                         summary: "a tensor of the given shape with every element equal to value",
                         examples: ["full([2, 2], 7)"]) { a in
                let shape = try Interpreter.toTensor(a.raw("shape") ?? .none, what: "shape").storage.map {
                    try Interpreter.toInt(.number($0), what: "a dimension")
                }
                return .tensor(try Tensor.full(shape, try a.double("value")))
            },
            BuiltinEntry("eye", [Param("n")], group: g, summary: "the n×n identity matrix",
                         examples: ["eye(3)"]) { a in .tensor(try Tensor.eye(try a.int("n"))) },
            BuiltinEntry("arange", [Param("start"), Param("stop", default: .none), Param("step", default: .number(1))], group: g,
                         summary: "start, start+step, … below stop (arange(n) counts 0 to n-1)",
                         examples: ["arange(0, 1, 0.25)", "arange(4)"]) { a in
                if let stop = try a.optionalDouble("stop") {
                    return .tensor(try Tensor.arange(try a.double("start"), stop, try a.double("step")))
                }
                return .tensor(try Tensor.arange(0, try a.double("start"), try a.double("step")))
            },
            BuiltinEntry("linspace", [Param("a"), Param("b"), Param("n")], group: g,
                         summary: "n evenly spaced numbers from a to b inclusive",
                         examples: ["linspace(0, 1, 5)"]) { a in
                .tensor(try Tensor.linspace(try a.double("a"), try a.double("b"), try a.int("n")))
            },
            BuiltinEntry("rand", [.variadic("d"), .keyword("seed")], group: g,
                         summary: "uniform random numbers in [0, 1) with dimensions d",
                         examples: ["rand(2, 2, seed=1)"]) { a in
                let d = try a.dims()
                return Interpreter.wrap(try withGenerator(a) { try Tensor.rand(d, using: &$0) })
            },
            BuiltinEntry("randn", [.variadic("d"), .keyword("seed")], group: g,
                         summary: "standard normal random numbers with dimensions d",
                         examples: ["randn(3, seed=1)"]) { a in
                let d = try a.dims()
                return Interpreter.wrap(try withGenerator(a) { try Tensor.randn(d, using: &$0) })
            },
            BuiltinEntry("seed", [Param("n")], group: g, summary: "reseeds the session's random generator",
                         examples: ["seed(42); rand(2)"]) { a in
                let n = try a.int("n")
                guard n >= 0 else { throw Diagnostic("seed must be a non-negative whole number, got \(n)", span: nil) }
                a.context.rng = RandomGenerator(seed: UInt64(n))
                return .none
            },
            BuiltinEntry("diag", [Param("v_or_A")], group: g,
                         summary: "the diagonal matrix of a vector, or the diagonal of a matrix",
                         examples: ["diag([1, 2, 3])", "diag([1, 2; 3, 4])"]) { a in
                .tensor(try Tensor.diag(try a.tensor("v_or_A")))
            },
            BuiltinEntry("shape", [Param("x")], group: g, summary: "the dimensions of x as a 1-d int64 tensor",
                         examples: ["shape(zeros(2, 3))"]) { a in
                .tensor(Tensor(integers: try a.tensor("x").shape))
            }.differentiation(.constant),
            BuiltinEntry("len", [Param("x")], group: g,
                         summary: "the length of x's first axis, of a list or of a string (as Python's len)",
                         examples: ["len(zeros(4, 2))", "len([[1, 2], [3]])"]) { a in
                switch a.raw("x") {
                case let .list(l)?: return .number(Double(l.count))
                case let .string(s)?: return .number(Double(s.count))
                default:
                    let t = try a.tensor("x")
                    guard let first = t.shape.first else {
                        throw Diagnostic("`len` of a 0-d value has no meaning", span: nil,
                                         help: ["`size(x)` counts the elements, `shape(x)` gives the dimensions"])
                    }
                    return .number(Double(first))
                }
            }.differentiation(.constant),
            BuiltinEntry("size", [Param("x")], group: g, summary: "the number of elements of x (of a list: its length)",
                         examples: ["size(zeros(2, 3))"]) { a in
                if case let .list(l)? = a.raw("x") { return .number(Double(l.count)) }
                if case let .string(s)? = a.raw("x") { return .number(Double(s.count)) }
                return .number(Double(try a.tensor("x").count))
            }.differentiation(.constant),
            BuiltinEntry("ndims", [Param("x")], group: g, summary: "the number of dimensions of x",
                         examples: ["ndims(eye(2))"]) { a in .number(Double(try a.tensor("x").ndim)) }.differentiation(.constant),
            BuiltinEntry("reshape", [Param("x"), .variadic("d")], group: g,
                         summary: "the elements of x with dimensions d (one may be -1)",
                         examples: ["reshape(arange(6), 2, 3)"]) { a in
                .tensor(try a.tensor("x").reshaped(try a.dims()))
            }.differentiable { a in try a.tracedVar("x").reshaped(a.dims()) },
            BuiltinEntry("flatten", [Param("x")], group: g, summary: "the elements of x as a 1-d tensor",
                         examples: ["flatten([1, 2; 3, 4])"]) { a in .tensor(try a.tensor("x").flattened()) }.differentiable { a in try a.tracedVar("x").flattened() },
            BuiltinEntry("transpose", [Param("x"), .keyword("perm")], group: g,
                         summary: "x with its axes reversed, or permuted by perm",
                         examples: ["transpose([1, 2; 3, 4])", "transpose(zeros(2, 3, 4), perm=[1, 0, 2])"]) { a in
                .tensor(try a.tensor("x").transposed(try a.permutation()))
            }.differentiable { a in try a.tracedVar("x").transposed(a.permutation()) },
            BuiltinEntry("concat", [Param("list"), Param("axis", default: .number(0))], group: g,
                         summary: "joins a list of tensors along an existing axis (NumPy's concatenate); two tensors may also come as concat(a, b)",
                         examples: ["concat([[1, 2], [3]], axis=0)", "concat([1, 2], [3])"]) { a in
                let (items, axis) = try joinedItems(a)
                let parts = try items.map { try Interpreter.toTensor($0, what: "an item of `concat`") }
                for (i, p) in parts.enumerated() where p.ndim == 0 {
                    throw Diagnostic("concat joins tensors of at least one dimension; item \(i) is a number", span: nil,
                                     help: ["give a list of tensors, `concat([[1, 2], [3]])`, or the tensors themselves, `concat([1, 2], [3])`"])
                }
                return .tensor(try Tensor.concat(unifyDTypes(parts), axis: axis))
            }.differentiable { a in
                let (items, axis) = try joinedItems(a)
                return try Var.concat(items.map(Interpreter.varOf), axis: axis)
            },
            BuiltinEntry("stack", [Param("list"), Param("axis", default: .number(0))], group: g,
                         summary: "joins a list of equal-shaped tensors along a new axis; two tensors may also come as stack(a, b)",
                         examples: ["stack([[1, 2], [3, 4]], axis=1)", "stack([1, 2], [3, 4])"]) { a in
                let (items, axis) = try joinedItems(a)
                let parts = try items.map { try Interpreter.toTensor($0, what: "an item of `stack`") }
                return .tensor(try Tensor.stack(unifyDTypes(parts), axis: axis))
            }.differentiable { a in
                let (items, axis) = try joinedItems(a)
                return try Var.stack(items.map(Interpreter.varOf), axis: axis)
            },
            BuiltinEntry("tril", [Param("x"), .keyword("k", default: .number(0))], group: g,
                         summary: "x with the elements above diagonal k of its last two axes set to zero",
                         examples: ["tril(ones(3, 3))", "tril(ones(3, 3), k=-1)"]) { a in
                .tensor(try a.tensor("x").triangle(k: try a.int("k"), lower: true))
            },
            BuiltinEntry("triu", [Param("x"), .keyword("k", default: .number(0))], group: g,
                         summary: "x with the elements below diagonal k of its last two axes set to zero",
                         examples: ["triu(ones(3, 3))", "triu(ones(3, 3), k=1)"]) { a in
                .tensor(try a.tensor("x").triangle(k: try a.int("k"), lower: false))
            },
            BuiltinEntry("roll", [Param("x"), Param("shift"), .keyword("axis")], group: g,
                         summary: "x shifted by shift positions along axis with wrap-around (the flattened x without axis=)",
                         examples: ["roll([1, 2, 3, 4], 1)", "roll([1, 2; 3, 4], -1, axis=1)"]) { a in
                .tensor(try a.tensor("x").rolled(try a.int("shift"), axis: try a.optionalInt("axis")))
            },
            BuiltinEntry("flip", [Param("x"), .keyword("axis")], group: g,
                         summary: "x in reverse order along axis (along every axis without axis=)",
                         examples: ["flip([1, 2, 3])", "flip([1, 2; 3, 4], axis=0)"]) { a in
                .tensor(try a.tensor("x").flipped(axis: try a.optionalInt("axis")))
            },
            BuiltinEntry("repeat", [Param("x"), Param("n"), .keyword("axis")], group: g,
                         summary: "each element n times in a row along axis (of the flattened x without axis=)",
                         examples: ["repeat([1, 2], 2)", "repeat([1, 2; 3, 4], 2, axis=0)"]) { a in
                .tensor(try a.tensor("x").repeated(try a.int("n"), axis: try a.optionalInt("axis")))
            },
            BuiltinEntry("tile", [Param("x"), Param("reps")], group: g,
                         summary: "x repeated reps times as a whole (a count, or one count per axis)",
                         examples: ["tile([1, 2], 2)", "tile([1, 2], [2, 1])"]) { a in
                let reps = try a.tensor("reps")
                guard reps.ndim <= 1 else { throw Diagnostic("reps must be a count or a list of counts", span: nil) }
                let counts = try reps.storage.map { try Interpreter.toInt(.number($0), what: "a count of `tile`") }
                return .tensor(try a.tensor("x").tiled(counts))
            },
            BuiltinEntry("meshgrid", [Param("x"), Param("y")], group: g,
                         summary: "coordinate matrices [X, Y] of two vectors, \"xy\" indexing: both len(y)×len(x)",
                         examples: ["meshgrid([1, 2, 3], [10, 20])"]) { a in
                let (x, y) = try Tensor.meshgrid(try a.tensor("x"), try a.tensor("y"))
                return .list([.tensor(x), .tensor(y)])
            },
            BuiltinEntry("copy", [Param("x")], group: g, summary: "a copy of x: ritz values are never shared (after `y = x; y[0] = 1`, x is unchanged), so this is x itself",
                         examples: ["copy([1, 2])"]) { a in a.raw("x") ?? .none }.differentiation(.rule { a in a.raw("x") ?? .none }),
        ]
    }

    /// The items and axis of `concat`/`stack`, traced or not: a list (or a tensor's slices along
    /// its first axis) and the axis; or two tensors given side by side, `concat(a, b)`, which
    /// arrive as `list` and `axis` (an axis is a number, so a tensor there is the second part).
    ///
    /// - Throws: A `Diagnostic` for no tensors, or a single vector (whose items are numbers).
    static func joinedItems(_ a: Args) throws -> (items: [Value], axis: Int) {
        let name = a.entry.name
        let first = try a.valueOrThrow("list")
        if let second = a.raw("axis") {
            let isTensor: Bool
            switch second {
            case .list, .traced: isTensor = true
            case let .tensor(t): isTensor = t.ndim >= 1
            default: isTensor = false
            }
            if isTensor { return ([first, second], 0) }
        }
        let items: [Value]
        switch first {
        case let .list(l): items = l
        case let .tensor(t) where t.ndim >= 2: items = try Interpreter.unstack(t)
        case let .traced(x) where x.value.ndim >= 2: items = try x.unstacked().map(Interpreter.valueOf)
        default:
            throw Diagnostic("`\(name)` takes a list of tensors, got one \(first.typeName)", span: nil,
                             help: ["write `\(name)([a, b])`, or `\(name)(a, b)` for two tensors"])
        }
        guard !items.isEmpty else { throw Diagnostic("`\(name)` needs at least one tensor", span: nil, help: ["signature: \(a.entry.signature)"]) }
        return (items, try a.int("axis"))
    }

    /// Brings tensors to one dtype: complex if any is complex, bool or int64 when all are, else
    /// float64.
    static func unifyDTypes(_ parts: [Tensor]) throws -> [Tensor] {
        if parts.contains(where: { $0.isComplex }) { return parts.map { $0.asComplex() } }
        if parts.allSatisfy({ $0.dtype == .bool }) || parts.allSatisfy({ $0.dtype == .int64 }) { return parts }
        return try parts.map { try $0.asFloat() }
    }
}
