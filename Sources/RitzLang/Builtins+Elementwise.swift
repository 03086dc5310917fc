import RitzAutodiff
import RitzTensor

extension Builtins {
    /// An elementwise function of one tensor.
    ///
    /// - Parameters:
    ///   - name: The builtin's name.
    ///   - op: The operation on tensors and on `Var`s.
    ///   - summary: One line of help.
    ///   - example: A runnable example.
    ///   - constant: True for piecewise-constant functions and predicates (`floor`, `isnan`):
    ///     their derivative is zero where it exists, so traced arguments only give their values.
    /// - Returns: The entry, differentiable through `Var.unary` unless `constant`.
    static func unaryEntry(_ name: String, _ op: UnaryOp, _ summary: String, _ example: String,
                           constant: Bool = false) -> BuiltinEntry {
        let e = BuiltinEntry(name, [Param("x")], group: "Elementwise", summary: summary, examples: [example]) { a in
            var t = try a.tensor("x")
            if t.dtype == .bool { t = try t.asFloat() }
            return Interpreter.wrap(try t.unary(op))
        }
        return constant ? e.differentiation(.constant) : e.differentiable { a in try a.tracedVar("x").unary(op) }
    }

    /// An elementwise function of two broadcast tensors, differentiable through `Var.binary`.
    static func binaryEntry(_ name: String, _ op: BinaryOp, _ summary: String, _ example: String) -> BuiltinEntry {
        BuiltinEntry(name, [Param("a"), Param("b")], group: "Elementwise", summary: summary, examples: [example]) { a in
            Interpreter.wrap(try a.tensor("a").asFloat().binary(op, try a.tensor("b").asFloat()))
        }.differentiable { a in try a.tracedVar("a").binary(op, a.tracedVar("b")) }
    }

    /// Elementwise functions.
    static var elementwise: [BuiltinEntry] {
        let g = "Elementwise"
        return [
            unaryEntry("exp", .exp, "e to the power x", "exp([0, 1])"),
            unaryEntry("log", .log, "natural logarithm", "log([1, e])"),
            unaryEntry("log1p", .log1p, "log(1 + x), accurate for small x", "log1p(1e-10)"),
            unaryEntry("sqrt", .sqrt, "square root (nan for negative reals; complex input gives complex roots)", "sqrt([4, 9])"),
            unaryEntry("abs", .abs, "absolute value; the modulus of complex numbers", "abs([-1, 2])"),
            unaryEntry("sign", .sign, "-1, 0 or 1 by the sign of x", "sign([-2, 0, 3])", constant: true),
            unaryEntry("floor", .floor, "the largest whole number ≤ x", "floor([1.5, -1.5])", constant: true),
            unaryEntry("ceil", .ceil, "the smallest whole number ≥ x", "ceil([1.5, -1.5])", constant: true),
            unaryEntry("round", .round, "nearest whole number, halves to even (as NumPy)", "round([0.5, 1.5, 2.4])", constant: true),
            unaryEntry("sin", .sin, "sine", "sin(pi / 2)"),
            unaryEntry("cos", .cos, "cosine", "cos(0)"),
            unaryEntry("tan", .tan, "tangent", "tan(pi / 4)"),
            unaryEntry("tanh", .tanh, "hyperbolic tangent", "tanh([0, 1])"),
            unaryEntry("sigmoid", .sigmoid, "logistic function 1 / (1 + e^-x), without overflow", "sigmoid([0, 100])"),
            unaryEntry("relu", .relu, "max(x, 0)", "relu([-1, 2])"),
            unaryEntry("gelu", .gelu, "x·Φ(x), the exact Gaussian error linear unit", "gelu([-1, 0, 1])"),
            unaryEntry("softplus", .softplus, "log(1 + e^x), without overflow", "softplus([0, 50])"),
            unaryEntry("isnan", .isnan, "true where x is nan", "isnan([1, nan])", constant: true),
            unaryEntry("isfinite", .isfinite, "true where x is neither nan nor infinite", "isfinite([1, inf])", constant: true),
            BuiltinEntry("clip", [Param("x"), Param("lo"), Param("hi")], group: g,
                         summary: "x limited to [lo, hi]", examples: ["clip([-2, 0.5, 3], 0, 1)"]) { a in
                Interpreter.wrap(try a.tensor("x").asFloat().clip(try a.double("lo"), try a.double("hi")))
            }.differentiable { a in try a.tracedVar("x").clip(try a.double("lo"), try a.double("hi")) },
            binaryEntry("maximum", .maximum, "the larger of a and b, elementwise (nan if either is nan)", "maximum([1, 5], [3, 2])"),
            binaryEntry("minimum", .minimum, "the smaller of a and b, elementwise (nan if either is nan)", "minimum([1, 5], [3, 2])"),
            BuiltinEntry("where", [Param("c"), Param("a"), Param("b")], group: g,
                         summary: "a where c is true, else b (all broadcast)", examples: ["where([1, 2, 3] > 1, 10, 0)"]) { a in
                Interpreter.wrap(try Tensor.where(try a.tensor("c"), try a.tensor("a"), try a.tensor("b")))
            }.differentiable { a in try Var.where(a.tracedVar("c"), a.tracedVar("a"), a.tracedVar("b")) },
        ]
    }
}
