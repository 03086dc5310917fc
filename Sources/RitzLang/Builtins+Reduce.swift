import RitzAutodiff
import RitzTensor

extension Builtins {
    /// A reduction over all elements or along `axis=`.
    ///
    /// - Parameters:
    ///   - name: The builtin's name.
    ///   - op: The reduction on tensors and on `Var`s.
    ///   - summary: One line of help.
    ///   - example: A runnable example.
    ///   - constant: True for index-valued reductions (`argmax`), whose derivative is zero.
    /// - Returns: The entry, differentiable through `Var.reduce` unless `constant`.
    static func reduceEntry(_ name: String, _ op: ReduceOp, _ summary: String, _ example: String,
                            constant: Bool = false) -> BuiltinEntry {
        let e = BuiltinEntry(name, [Param("x"), .keyword("axis")], group: "Reduce", summary: summary, examples: [example]) { a in
            Interpreter.wrap(try a.tensor("x").reduce(op, axis: try a.optionalInt("axis")))
        }
        return constant ? e.differentiation(.constant)
            : e.differentiable { a in try a.tracedVar("x").reduce(op, axis: a.optionalInt("axis")) }
    }

    /// The matrix norm `norm(A, p)` asks for: Frobenius without p, by name for a string, else
    /// NumPy's numbered order; nil when p is a number and x is not a matrix.
    static func matrixNormOrder(_ a: Args) throws -> MatrixNormOrder? {
        switch a.raw("p") {
        case nil: return .frobenius
        case let .string(name)?:
            switch name {
            case "fro": return .frobenius
            case "nuc": return .nuclear
            default: throw Diagnostic("unknown norm \"\(name)\"", span: nil, help: ["matrix norms: \"fro\", \"nuc\", 1, -1, 2, -2, inf, -inf"])
            }
        default: return .p(try a.double("p"))
        }
    }

    /// The elementwise p of a traced `norm(x, p)`, agreeing with the untraced `norm`: a
    /// vector's p (2 by default), a matrix's Frobenius norm (p = 2 elementwise); the spectral and
    /// other matrix norms have no rule on the tape.
    ///
    /// - Throws: A `Diagnostic` for a matrix norm other than Frobenius.
    static func differentiableNormP(_ a: Args, ndim: Int) throws -> Double {
        guard ndim == 2 else { return try a.optionalDouble("p") ?? 2 }
        guard try matrixNormOrder(a) == .frobenius else {
            throw Diagnostic("only the Frobenius norm of a matrix can be differentiated", span: nil,
                             help: ["use `norm(A)` or `norm(A, \"fro\")` inside grad"])
        }
        return 2
    }

    /// The `axis=` argument, or -1 (the last axis) when absent and `none` when given as `none`
    /// (NumPy's `axis=None`: the flattened tensor).
    static func lastAxisByDefault(_ a: Args) throws -> Int? {
        a.isExplicitNone("axis") ? nil : try a.int("axis")
    }

    /// Sorting, order statistics, histograms and closeness.
    static var statistics: [BuiltinEntry] {
        let g = "Reduce"
        return [
            BuiltinEntry("sort", [Param("x"), Param("axis", default: .number(-1))], group: g,
                         summary: "x sorted ascending along axis (the last by default; axis=none flattens), NaN last",
                         examples: ["sort([3, 1, 2])", "sort([3, 1; 2, 4], axis=0)"]) { a in
                .tensor(try a.tensor("x").sorted(axis: try lastAxisByDefault(a)))
            },
            BuiltinEntry("argsort", [Param("x"), Param("axis", default: .number(-1))], group: g,
                         summary: "the int64 indices that sort x along axis, stable (ties keep their order), NaN last",
                         examples: ["argsort([3, 1, 2, 1])"]) { a in
                .tensor(try a.tensor("x").argsorted(axis: try lastAxisByDefault(a)))
            },
            BuiltinEntry("unique", [Param("x"), .keyword("counts", default: .bool(false))], group: g,
                         summary: "the sorted distinct elements; counts=true → (values=, index=, counts=), index the first occurrence (int64)",
                         examples: ["unique([3, 1, 3, 2])", "unique([3, 1, 3], counts=true)"]) { a in
                let u = try a.tensor("x").unique()
                guard try a.bool("counts") else { return .tensor(u.values) }
                return .record(Record([("values", .tensor(u.values)), ("index", .tensor(u.index)), ("counts", .tensor(u.counts))]))
            },
            BuiltinEntry("searchsorted", [Param("a"), Param("v"), .keyword("side", default: .string("left"))], group: g,
                         summary: "where v would go in sorted a to keep it sorted (int64): before equal elements for side=\"left\", after for \"right\"",
                         examples: ["searchsorted([1, 2, 2, 3], 2)", "searchsorted([1, 2, 2, 3], [2, 5], side=\"right\")"]) { a in
                let side = try a.string("side")
                guard side == "left" || side == "right" else {
                    throw Diagnostic("side must be \"left\" or \"right\", got \"\(side)\"", span: nil)
                }
                return Interpreter.wrap(try a.tensor("a").searchSorted(try a.tensor("v"), right: side == "right"))
            },
            BuiltinEntry("median", [Param("x"), .keyword("axis")], group: g,
                         summary: "the median (along axis= if given); the mean of the two middle values for even counts; nan if any is nan",
                         examples: ["median([3, 1, 4, 2])"]) { a in
                Interpreter.wrap(try a.tensor("x").median(axis: try a.optionalInt("axis")))
            },
            BuiltinEntry("quantile", [Param("x"), Param("q"), .keyword("axis")], group: g,
                         summary: "the q-quantile(s), q in [0, 1], by NumPy's default linear interpolation (along axis= if given)",
                         examples: ["quantile([1, 2, 3, 4], 0.25)", "quantile([1, 2, 3, 4], [0, 0.5, 1])"]) { a in
                Interpreter.wrap(try a.tensor("x").quantile(try a.tensor("q"), axis: try a.optionalInt("axis")))
            },
            BuiltinEntry("percentile", [Param("x"), Param("q"), .keyword("axis")], group: g,
                         summary: "the q-th percentile(s), q in [0, 100]: quantile(x, q / 100)",
                         examples: ["percentile([1, 2, 3, 4], 50)"]) { a in
                let q = try a.tensor("q").asFloat().binary(.div, Tensor(100))
                return Interpreter.wrap(try a.tensor("x").quantile(q, axis: try a.optionalInt("axis")))
            },
            BuiltinEntry("histogram", [Param("x"), .keyword("bins", default: .number(10)), .keyword("range")], group: g,
                         summary: "counts in equal bins over the data's range (or range=[lo, hi]) → (counts=, edges=); the last bin includes its right edge",
                         examples: ["histogram([1, 2, 2, 3, 4], bins=3)"]) { a in
                var range: (Double, Double)?
                if let r = try a.optionalTensor("range") {
                    guard r.count == 2 else { throw Diagnostic("range must be [lo, hi], got \(r.count) values", span: nil) }
                    range = (r.storage[0], r.storage[1])
                }
                let h = try a.tensor("x").histogram(bins: try a.int("bins"), range: range)
                return .record(Record([("counts", .tensor(h.counts)), ("edges", .tensor(h.edges))]))
            },
            BuiltinEntry("cov", [Param("X"), .keyword("ddof", default: .number(1))], group: g,
                         summary: "covariance matrix of the variables in the rows of X (columns are observations), divided by n - ddof",
                         examples: ["cov([1, 2, 3; 2, 4, 7])"]) { a in
                Interpreter.wrap(try a.tensor("X").covariance(ddof: try a.int("ddof")))
            },
            BuiltinEntry("corrcoef", [Param("X")], group: g,
                         summary: "Pearson correlation matrix of the variables in the rows of X",
                         examples: ["corrcoef([1, 2, 3; 2, 4, 7])"]) { a in
                Interpreter.wrap(try a.tensor("X").correlation())
            },
            BuiltinEntry("isclose", [Param("a"), Param("b"), .keyword("rtol", default: .number(1e-5)),
                                     .keyword("atol", default: .number(1e-8)), .keyword("equal_nan", default: .bool(false))], group: g,
                         summary: "elementwise |a - b| <= atol + rtol |b| (NumPy's defaults), as bools",
                         examples: ["isclose([1, 2], [1 + 1e-9, 2.1])"]) { a in
                Interpreter.wrap(try closeness(a))
            },
            BuiltinEntry("allclose", [Param("a"), Param("b"), .keyword("rtol", default: .number(1e-5)),
                                      .keyword("atol", default: .number(1e-8)), .keyword("equal_nan", default: .bool(false))], group: g,
                         summary: "true when isclose(a, b) holds for every element",
                         examples: ["allclose([1, 2], [1, 2 + 1e-9])"]) { a in
                .bool(try closeness(a).storage.allSatisfy { $0 != 0 })
            },
        ]
    }

    /// `isclose` of the bound arguments `a`, `b`, `rtol`, `atol`, `equal_nan`.
    static func closeness(_ a: Args) throws -> Tensor {
        try Tensor.isClose(try a.tensor("a"), try a.tensor("b"), rtol: try a.double("rtol"), atol: try a.double("atol"),
                           equalNaN: try a.bool("equal_nan"))
    }

    /// Reductions and products.
    static var reduce: [BuiltinEntry] {
        let g = "Reduce"
        return [
            reduceEntry("sum", .sum, "sum of the elements (along axis= if given)", "sum([1, 2; 3, 4], axis=0)"),
            reduceEntry("mean", .mean, "mean of the elements (along axis= if given)", "mean([1, 2, 3, 4])"),
            reduceEntry("max", .max, "largest element (along axis= if given); nan if any is nan", "max([1, 5, 3])"),
            reduceEntry("min", .min, "smallest element (along axis= if given); nan if any is nan", "min([1, 5, 3])"),
            reduceEntry("argmax", .argmax, "index of the largest element (flat index without axis=)", "argmax([1, 5, 3])", constant: true),
            reduceEntry("argmin", .argmin, "index of the smallest element (flat index without axis=)", "argmin([1, 5, 3])", constant: true),
            reduceEntry("prod", .prod, "product of the elements (along axis= if given)", "prod([1, 2, 3, 4])"),
            reduceEntry("std", .std, "standard deviation, dividing by n as NumPy's default", "std([1, 2, 3, 4])"),
            reduceEntry("var", .variance, "variance, dividing by n as NumPy's default", "var([1, 2, 3, 4])"),
            BuiltinEntry("cumsum", [Param("x"), .keyword("axis")], group: g,
                         summary: "running sum (over the flattened tensor without axis=)", examples: ["cumsum([1, 2, 3])"]) { a in
                .tensor(try a.tensor("x").cumsum(axis: try a.optionalInt("axis")))
            }.differentiable { a in try a.tracedVar("x").cumsum(axis: a.optionalInt("axis")) },
            BuiltinEntry("any", [Param("x"), .keyword("axis")], group: g,
                         summary: "true if any element is nonzero", examples: ["any([0, 0, 1])"]) { a in
                let t = try a.tensor("x").asBool().asFloat()
                return Interpreter.wrap(try t.reduce(.max, axis: try a.optionalInt("axis")).asBool())
            }.differentiation(.constant),
            BuiltinEntry("all", [Param("x"), .keyword("axis")], group: g,
                         summary: "true if every element is nonzero", examples: ["all([1, 2, 0])"]) { a in
                let t = try a.tensor("x").asBool().asFloat()
                return Interpreter.wrap(try t.reduce(.min, axis: try a.optionalInt("axis")).asBool())
            }.differentiation(.constant),
            BuiltinEntry("norm", [Param("x"), Param("p", default: .none)], group: g,
                         summary: "as numpy.linalg.norm: a vector's p-norm (2 by default; 1, inf, any p > 0); a matrix's Frobenius norm by default, \"fro\", \"nuc\", 2 (largest singular value), -2, 1, -1, inf, -inf",
                         examples: ["norm([3, 4])", "norm([3, -4], p=inf)", "norm([3, 0; 0, 4], 2)", "norm([3, 0; 0, 4], \"fro\")"]) { a in
                let x = try a.tensor("x")
                let order = try matrixNormOrder(a)
                guard x.ndim == 2, let order else {
                    if let name = a.optionalStringArgument("p") {
                        throw Diagnostic("the norm \"\(name)\" needs a matrix, got shape \(formatShape(x.shape))", span: nil)
                    }
                    return .number(try x.norm(p: try a.optionalDouble("p") ?? 2))
                }
                return .number(try x.matrixNorm(order))
            }.differentiable { a in
                let x = try a.tracedVar("x")
                return try x.norm(p: differentiableNormP(a, ndim: x.shape.count))
            },
            BuiltinEntry("dot", [Param("a"), Param("b")], group: g, summary: "inner product of two vectors",
                         examples: ["dot([1, 2, 3], [4, 5, 6])"]) { a in
                Interpreter.wrap(try a.tensor("a").dot(try a.tensor("b")))
            }.differentiable { a in try a.tracedVar("a").dot(a.tracedVar("b")) },
            BuiltinEntry("outer", [Param("a"), Param("b")], group: g, summary: "outer product a bᵀ of two vectors",
                         examples: ["outer([1, 2], [1, 2, 3])"]) { a in
                .tensor(try a.tensor("a").outer(try a.tensor("b")))
            }.differentiable { a in try a.tracedVar("a").outer(a.tracedVar("b")) },
            BuiltinEntry("kron", [Param("a"), Param("b")], group: g, summary: "Kronecker product",
                         examples: ["kron(eye(2), [1, 2; 3, 4])"]) { a in
                .tensor(try a.tensor("a").kron(try a.tensor("b")))
            }.differentiable { a in try a.tracedVar("a").kron(a.tracedVar("b")) },
            BuiltinEntry("trace", [Param("A")], group: g, summary: "sum of the diagonal of a matrix",
                         examples: ["trace([1, 2; 3, 4])"]) { a in
                Interpreter.wrap(try a.tensor("A").trace())
            }.differentiable { a in try a.tracedVar("A").trace() },
            BuiltinEntry("logsumexp", [Param("x"), .keyword("axis")], group: g,
                         summary: "log Σ exp(x), computed without overflow", examples: ["logsumexp([1000, 1000])"]) { a in
                Interpreter.wrap(try a.tensor("x").logsumexp(axis: try a.optionalInt("axis")))
            }.differentiable { a in try a.tracedVar("x").logsumexp(axis: a.optionalInt("axis")) },
            BuiltinEntry("softmax", [Param("x"), Param("axis", default: .number(-1))], group: g,
                         summary: "exp(x) / Σ exp(x) along axis (the last by default)", examples: ["softmax([1, 2, 3])"]) { a in
                .tensor(try a.tensor("x").softmax(axis: try a.int("axis")))
            }.differentiable { a in try a.tracedVar("x").softmax(axis: a.int("axis")) },
        ]
    }
}
