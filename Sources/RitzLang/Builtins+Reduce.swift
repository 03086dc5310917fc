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
            BuiltinEntry("norm", [Param("x"), Param("p", default: .number(2))], group: g,
                         summary: "the p-norm of all elements (2: Euclidean/Frobenius, 1, inf, any p > 0)",
                         examples: ["norm([3, 4])", "norm([3, -4], p=inf)"]) { a in
                .number(try a.tensor("x").norm(p: try a.double("p")))
            }.differentiable { a in try a.tracedVar("x").norm(p: a.double("p")) },
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
