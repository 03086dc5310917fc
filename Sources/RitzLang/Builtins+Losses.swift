import RitzAutodiff
import RitzLearn
import RitzTensor

extension Builtins {
    /// A builtin computed on `Var`s: the same code serves plain and traced arguments, so both
    /// accept the same arguments and the derivative comes from the primitives it is built of.
    ///
    /// - Parameters:
    ///   - name: The builtin's name.
    ///   - params: Its parameters.
    ///   - summary: One line of help.
    ///   - examples: Runnable examples.
    ///   - body: The computation.
    /// - Returns: The entry, declared differentiable.
    static func layerEntry(_ name: String, _ params: [Param], summary: String, examples: [String],
                           _ body: @escaping (Args) throws -> Var) -> BuiltinEntry {
        BuiltinEntry(name, params, group: "Layers and losses", summary: summary, examples: examples) { a in
            Interpreter.valueOf(try body(a))
        }.differentiable(body)
    }

    /// Losses, labels and the first layer primitives; all differentiable in their float inputs.
    static var losses: [BuiltinEntry] {
        [
            BuiltinEntry("onehot", [Param("y"), Param("classes")], group: "Layers and losses",
                         summary: "rows of y.shape + [classes]: 1 at each label's class, 0 elsewhere (labels: whole numbers in 0..classes-1)",
                         examples: ["onehot([0, 2, 1], 3)"]) { a in
                .tensor(try Var.onehot(try a.tensor("y"), classes: try a.int("classes")))
            }.differentiation(.constant),
            layerEntry("linear", [Param("x"), Param("w"), Param("b"), Param("act", default: .string("identity"))],
                       summary: "a dense layer act(x wᵀ + b) (PyTorch's linear, the activation fused) for inputs x [n, in], weights w [out, in] and bias b [out]: one product and one pass; act: identity, tanh, sigmoid, relu or gelu",
                       examples: ["linear([1, 2; 3, 4], [1, 0; 0, 1; 1, 1], [0, 0, 1])",
                                  "linear(ones(2, 3), ones(4, 3), zeros(4), act=\"tanh\")",
                                  "grad(w -> sum(linear(ones(2, 3), w, zeros(4), act=\"tanh\")))(zeros(4, 3))"]) { a in
                try Var.linear(try a.tracedVar("x"), try a.tracedVar("w"), try a.tracedVar("b"),
                              activation: try Activation(name: try a.string("act")).unaryOp)
            },
            layerEntry("cross_entropy", [Param("logits"), Param("y")],
                       summary: "mean over every position of −log softmax(logits)[y], softmax along the last axis; y: one integer label per position, of logits' shape without the last axis ([N] for [N, V], [N, L] for [N, L, V]; floats holding whole numbers accepted)",
                       examples: ["cross_entropy([2, 0, 0; 0, 1, 0], [0, 1])", "grad(z -> cross_entropy(z, [0, 1]))(zeros(2, 3))",
                                  "cross_entropy(zeros(2, 3, 4), [0, 1, 2; 3, 0, 1])"]) { a in
                try a.tracedVar("logits").crossEntropy(try a.tensor("y"))
            },
            layerEntry("mse", [Param("pred"), Param("target")],
                       summary: "mean squared difference mean((pred − target)²); the shapes must match",
                       examples: ["mse([1, 2, 3], [1, 2, 5])"]) { a in
                try a.tracedVar("pred").mse(try a.tracedVar("target"))
            },
            layerEntry("take", [Param("x"), Param("idx"), Param("axis", default: .number(0))],
                       summary: "the slices of x along axis at the integer positions idx (NumPy's take; an embedding lookup); differentiable in x",
                       examples: ["take([10, 20, 30], [2, 0, 2])", "take([1, 2; 3, 4; 5, 6], [2, 0])", "take([1, 2; 3, 4], [1], axis=1)"]) { a in
                try a.tracedVar("x").take(try a.tensor("idx"), axis: try a.int("axis"))
            },
            layerEntry("layernorm", [Param("x"), Param("axis", default: .number(-1)), Param("eps", default: .number(1e-5))],
                       summary: "(x − mean)/√(var + eps) along axis, var dividing by n; no affine part",
                       examples: ["layernorm([1, 2, 3; 2, 4, 6])"]) { a in
                try a.tracedVar("x").layernorm(axis: try a.int("axis"), eps: try a.double("eps"))
            },
            layerEntry("dropout", [Param("x"), Param("p"), .keyword("seed"), .keyword("train", default: .bool(true))],
                       summary: "zeroes each element with probability p (exactly +0, even where x is ±∞ or NaN) and scales the rest by 1/(1 − p); identity when train=false or p = 0; the mask comes from seed= (else the session generator)",
                       examples: ["dropout(ones(2, 4), 0.5, seed=1)", "dropout([1, 2, 3], 0.5, train=false)"]) { a in
                let x = try a.tracedVar("x"), p = try a.double("p"), train = try a.bool("train")
                return try withGenerator(a) { try x.dropout(p, train: train, using: &$0) }
            },
            layerEntry("einsum", [Param("spec"), .variadic("operands")],
                       summary: "NumPy's einsum: explicit (\"ij,jk->ik\") or implicit (\"ij,jk\": labels seen once, sorted); contractions run as matrix products; no ellipses or repeated labels in one operand",
                       examples: ["einsum(\"ij,jk->ik\", [1, 2; 3, 4], [1, 0; 0, 1])", "einsum(\"i,i\", [1, 2], [3, 4])",
                                  "einsum(\"bij,bjk->bik\", ones(2, 2, 3), ones(2, 3, 1))"]) { a in
                try Var.einsum(try a.string("spec"), try a.rest.map(Interpreter.varOf))
            },
            layerEntry("attention", [Param("q"), Param("k"), Param("v"), Param("causal", default: .bool(false))],
                       summary: "softmax(q kᵀ/√d) v over the last two axes, leading axes batched; causal=true lets query i see keys j ≤ i; one score block per batch-head at a time",
                       examples: ["attention(eye(2), eye(2), [1, 2; 3, 4])", "attention(ones(2, 3, 4), ones(2, 3, 4), randn(2, 3, 4, seed=0), causal=true)"]) { a in
                try Var.attention(try a.tracedVar("q"), try a.tracedVar("k"), try a.tracedVar("v"), causal: try a.bool("causal"))
            },
        ]
    }
}
