import RitzAnalysis
import RitzLearn
import RitzPlot
import RitzTensor

extension Builtins {
    /// The one place operators meet arithmetic: `H @ v` (a product; with an operator, the
    /// composition), `H + c` (H + cI), `c * H`, `H / c`, `H1 ± H2`, `-H`. A square matrix operand
    /// is wrapped as an operator; a vector operand of `+ - *` is refused.
    ///
    /// - Returns: The result, or nil when the operator does not apply (the caller reports the types).
    static func operatorBinary(_ h: OperatorObject, _ o: BinaryOperator, _ other: Value, selfOnLeft: Bool,
                               context: Interpreter) throws -> Value? {
        let op = h.op
        if o == .matmul, selfOnLeft, !isOperand(other) {
            let v = try Interpreter.toTensor(other, what: "the right operand of `@`")
            return .tensor(try solving(.object(h), context) { try interruptible(context) { try op.apply(v) } })
        }
        if case let .number(c) = other {
            switch o {
            case .add: return .object(OperatorObject(try LinearOperator.shifted(op, by: c)))
            case .sub:
                return .object(OperatorObject(selfOnLeft ? try LinearOperator.shifted(op, by: -c)
                                                          : try LinearOperator.shifted(try LinearOperator.scaled(op, by: -1), by: c)))
            case .mul: return .object(OperatorObject(try LinearOperator.scaled(op, by: c)))
            case .div where selfOnLeft:
                guard c != 0 else { throw Diagnostic("an operator divided by 0", span: nil) }
                return .object(OperatorObject(try LinearOperator.scaled(op, by: 1 / c)))
            default: return nil
            }
        }
        guard let rhs = try operand(other) else { return nil }
        let (a, b) = selfOnLeft ? (op, rhs) : (rhs, op)
        switch o {
        case .add: return .object(OperatorObject(try LinearOperator.sum(a, b)))
        case .sub: return .object(OperatorObject(try LinearOperator.difference(a, b)))
        case .matmul: return .object(OperatorObject(try LinearOperator.composition(a, b)))
        default: return nil
        }
    }

    /// True for values that combine with an operator into an operator: operators and matrices.
    private static func isOperand(_ v: Value) -> Bool {
        if case let .object(o) = v { return o is OperatorObject }
        if case let .tensor(t) = v { return t.ndim == 2 }
        return false
    }

    /// `v` as an operator when it is one or a matrix; nil otherwise.
    private static func operand(_ v: Value) throws -> LinearOperator? {
        guard isOperand(v) else { return nil }
        if case let .object(o) = v, let op = o as? OperatorObject { return op.op }
        return try LinearOperator(matrix: try Interpreter.toTensor(v))
    }

    /// Runs products with `value` and, when it is an inverse whose solves missed their tolerance
    /// meanwhile, prints one warning line with the last solve's iterations and residual.
    static func solving<T>(_ value: Value?, _ ctx: Interpreter, _ body: () throws -> T) throws -> T {
        guard case let .object(o)? = value, let inverse = (o as? OperatorObject)?.inverse else { return try body() }
        let failures = inverse.log.failures, solves = inverse.log.solves
        let result = try body()
        let missed = inverse.log.failures - failures
        if missed > 0, let last = inverse.log.lastReport {
            ctx.emit(.text("warning: \(missed) of \(inverse.log.solves - solves) solves by \(inverse.method.rawValue) did not reach tol=\(formatNumber(inverse.tol)) within maxiter=\(inverse.maxiter) (last: \(last.iterations) iterations, residual \(formatNumber(last.residual))); raise maxiter or damping\n"))
        }
        return result
    }

    /// `inv(H, method=, damping=, tol=, maxiter=)` when H is an operator; nil when it is a matrix
    /// (whose `inv` is LAPACK's), which refuses the solver keywords.
    static func operatorInverse(_ a: Args) throws -> Value? {
        guard case let .object(o)? = a.raw("A"), let h = o as? OperatorObject else {
            for k in ["method", "damping", "tol", "maxiter"] where a.has(k) {
                throw Diagnostic("`\(k)=` of `inv` applies to operators; a matrix is inverted by LU", span: nil,
                                 help: ["wrap the matrix: inv(op(A), method=\"cg\")"])
            }
            return nil
        }
        try requireSquareOperator(h.op, "inv")
        guard h.op.isSymmetric else {
            throw Diagnostic("`inv` of an operator needs a symmetric one; \(h.op.label) is not known to be symmetric", span: nil)
        }
        let name = try a.optionalString("method") ?? (h.kronecker == nil ? "cg" : "kfac")
        guard let method = SolveMethod(rawValue: name) else {
            throw Diagnostic("unknown method \"\(name)\" of `inv`", span: nil, help: ["use \"cg\", \"minres\", \"neumann\" or (for a kfac_op) \"kfac\""])
        }
        let damping = try a.optionalDouble("damping") ?? 0, tol = try a.optionalDouble("tol") ?? 1e-10
        if method == .kfac {
            guard let kronecker = h.kronecker else {
                throw Diagnostic("method \"kfac\" of `inv` inverts a kfac_op through its factors; \(h.op.label) has none", span: nil,
                                 help: ["make one with kfac_op(model, data), or use method=\"cg\""])
            }
            if a.has("maxiter") { throw Diagnostic("`maxiter` does not apply to method \"kfac\": the inverse is exact", span: nil) }
            return .object(OperatorObject(inverse: try kronecker.inverse(extra: damping, tol: tol)))
        }
        let maxiter = try a.optionalInt("maxiter")
        if let maxiter, maxiter < 1 { throw Diagnostic("`maxiter` of `inv` must be at least 1, got \(maxiter)", span: nil) }
        let inverse = try interruptible(a.context) {
            try InverseOperator(h.op, method: method, damping: damping, tol: tol, maxiter: maxiter)
        }
        return .object(OperatorObject(inverse: inverse))
    }

    private static func requireSquareOperator(_ op: LinearOperator, _ name: String) throws {
        guard op.isSquare else {
            throw Diagnostic("`\(name)` needs a square operator, got one of shape \(op.rows)×\(op.n)", span: nil,
                             help: ["compose it with its transpose, e.g. J.T @ J"])
        }
    }

    /// `loss=`: "ce" or "mse", else the data set's default.
    private static func namedLoss(_ a: Args, for data: Dataset) throws -> LossKind {
        guard let s = try a.optionalString("loss") else { return data.defaultLoss }
        return try LossKind(name: s)
    }

    /// Operator algebra, inverses, trace and norm estimators, and the operators of a model beyond
    /// its Hessian: Jacobian, Fisher, influence.
    static var operators: [BuiltinEntry] {
        let g = "Curvature and stability"
        return [
            BuiltinEntry("shift", [Param("H"), Param("lambda")], group: g,
                         summary: "H − λI as an operator (symmetric when H is); also written H - λ. The algebra: H + c is H + cI, c * H, H / c, H1 + H2, H1 - H2, -H, and H1 @ H2 the composition (symmetric only for AᵀA, AAᵀ or H @ H)",
                         examples: ["dense(shift(op([2, 1; 1, 3]), 1))", "A = op([1, 2; 3, 4])\ndense(A.T @ A - 2 * A)"]) { a in
                let H = try operatorArg(a)
                return .object(OperatorObject(try LinearOperator.shifted(H, by: -(try a.double("lambda")))))
            },
            BuiltinEntry("hutchpp", [Param("H"), .keyword("matvecs", default: .number(30)), .keyword("seed")], group: g,
                         summary: "Hutch++ trace estimate (Meyer, Musco, Musco & Woodruff 2021): matvecs/3 products sketch a basis Q of H's range, tr(QᵀHQ) is exact and Hutchinson probes the rest; (trace=, stderr=, rank=, matvecs=), stderr the probes' standard error given Q; matvecs ≥ 4",
                         examples: ["hutchpp(op(diag([10, 1, 1, 1])), matvecs=9, seed=1).trace"]) { a in
                let H = try operatorArg(a)
                let m = try a.int("matvecs"), seed = try curvatureSeed(a)
                return traceRecord(try interruptible(a.context) { try hutchpp(H, matvecs: m, seed: seed) })
            },
            BuiltinEntry("xtrace", [Param("H"), .keyword("matvecs", default: .number(30)), .keyword("seed")], group: g,
                         summary: "XTrace (Epperly, Tropp & Webber 2024): the exchangeable Hutch++, matvecs/2 vectors each used as probe once and for the basis otherwise; (trace=, stderr=, rank=, matvecs=), stderr = std of the k leave-one-out estimates/√k; matvecs ≥ 4",
                         examples: ["xtrace(op(diag([10, 1, 1, 1])), matvecs=8, seed=1).trace"]) { a in
                let H = try operatorArg(a)
                let m = try a.int("matvecs"), seed = try curvatureSeed(a)
                return traceRecord(try interruptible(a.context) { try xtrace(H, matvecs: m, seed: seed) })
            },
            BuiltinEntry("frobenius", [Param("H"), .keyword("probes", default: .number(30)), .keyword("seed")], group: g,
                         summary: "‖H‖_F estimated from ‖H‖_F² = E‖Hz‖², z Rademacher (any operator, rectangular too): (norm=, stderr=, squared=, squared_stderr=, matvecs=); the norm's error by the delta method; probes ≥ 2",
                         examples: ["frobenius(op([3, 0; 0, 4]), probes=10, seed=1).norm"]) { a in
                let H = try operatorArg(a, square: false)
                let probes = try positiveInt(a, "probes"), seed = try curvatureSeed(a)
                let r = try interruptible(a.context) { try frobenius(H, probes: probes, seed: seed) }
                return .record(Record([("norm", .number(r.norm)), ("stderr", .number(r.stderr)), ("squared", .number(r.squared)),
                                       ("squared_stderr", .number(r.squaredStderr)), ("matvecs", .number(Double(r.matvecs)))]))
            },
            BuiltinEntry("jacobian_op", [Param("model"), Param("data")], group: g,
                         summary: "the Jacobian J of the model's outputs in its parameters on the data as an operator of shape [n·outputs] × parameters (outputs stacked example-major); J.T its transpose, J.T @ J a symmetric operator (the Gauss–Newton matrix of a sum of squares, up to scale)",
                         examples: ["J = jacobian_op(mlp([2, 4, 3], seed=0), moons(5, seed=0))\n(rows=J.rows, n=J.n, back=size(J.T @ ones(15)))"]) { a in
                let m = try model(a), d = try dataset(a)
                return .object(OperatorObject(try jacobianOperator(model: m, data: d)))
            },
            BuiltinEntry("fisher_op", [Param("model"), Param("data"), .keyword("kind", default: .string("mc")),
                                       .keyword("samples", default: .number(1)), .keyword("block"), .keyword("loss"), .keyword("seed")],
                         group: g,
                         summary: "the Fisher matrix (1/N) Σ g gᵀ as a matrix-free operator over per-example gradients computed once: kind=\"empirical\" at the data's labels, kind=\"mc\" at `samples` labels per example drawn from the model (softmax for cross-entropy; for mse over m outputs, ŷ ~ N(f(x), (m/2)·I), the likelihood the loss is the negative log of, so E[mc] = the Gauss–Newton matrix); block= as for hessian_op, loss=\"ce\"|\"mse\"",
                         examples: ["F = fisher_op(mlp([2, 4, 2], seed=0), moons(20, seed=0), kind=\"empirical\")\neigs(F, k=2).values",
                                    "fisher_op(mlp([2, 4, 2], seed=0), moons(20, seed=0), samples=4, block=\"w1\", seed=1).n"]) { a in
                let m = try model(a), d = try dataset(a)
                let kindName = try a.string("kind")
                guard let kind = FisherKind(rawValue: kindName) else {
                    throw Diagnostic("unknown Fisher kind \"\(kindName)\"", span: nil, help: ["use \"mc\" or \"empirical\""])
                }
                let samples = try positiveInt(a, "samples"), seed = try curvatureSeed(a)
                let loss = try namedLoss(a, for: d), blocks = try blockNames(a)
                return .object(OperatorObject(try interruptible(a.context) {
                    try fisherOperator(model: m, data: d, kind: kind, loss: loss, samples: samples, blocks: blocks, seed: seed)
                }))
            },
            BuiltinEntry("influence", [Param("model"), Param("train"), Param("test"), .keyword("damping", default: .number(0)),
                                       .keyword("method", default: .string("cg")), .keyword("tol", default: .number(1e-10)),
                                       .keyword("maxiter"), .keyword("loss"), .keyword("top", default: .number(5))], group: g,
                         summary: "influence scores (Koh & Liang 2017) −∇ℓ(z_test)ᵀ(H + δI)⁻¹∇ℓ(z_train), H the Hessian of the mean training loss: (scores=[n_test, n_train], helpful=, harmful=, plot=, solves=, iters=, residual=, matvecs=); negative is helpful (upweighting the point lowers the test loss); draws a bar chart of the `top` most helpful and harmful training points for test point 0",
                         examples: ["m = mlp([2, 4, 2], seed=0)\nr = influence(m, moons(20, seed=0), moons(3, seed=1), damping=0.1, method=\"minres\")\nsize(r.scores)"]) { a in
                let m = try model(a), train = try dataset(a, "train"), test = try dataset(a, "test")
                let methodName = try a.string("method")
                guard let method = SolveMethod(rawValue: methodName) else {
                    throw Diagnostic("unknown method \"\(methodName)\" of `influence`", span: nil, help: ["use \"cg\", \"minres\" or \"neumann\""])
                }
                let damping = try a.double("damping"), tol = try a.double("tol"), maxiter = try a.optionalInt("maxiter")
                let loss = try namedLoss(a, for: train), top = try positiveInt(a, "top")
                let r = try interruptible(a.context) {
                    try influence(model: m, train: train, test: test, loss: loss, damping: damping, method: method,
                                  tol: tol, maxiter: maxiter)
                }
                if r.worstResidual > tol {
                    a.context.emit(.text("warning: some of the \(r.solves) solves did not reach tol=\(formatNumber(tol)) (worst residual \(formatNumber(r.worstResidual))); raise maxiter or damping\n"))
                }
                let first = Array(r.scores.storage.prefix(train.count))
                let order = first.indices.sorted { first[$0] < first[$1] || (first[$0] == first[$1] && $0 < $1) }
                let helpful = Array(order.prefix(top)), harmful = Array(order.reversed().prefix(top))
                let shown = helpful + harmful.reversed().filter { !helpful.contains($0) }
                var f = try Figure.bar(shown.map { first[$0] }, labels: shown.map { "#\($0)" }, name: "influence")
                f.title = "influence on test point 0: helpful (< 0) and harmful (> 0)"
                f.xlabel = "training point"
                f.ylabel = "score"
                // The plot, then its text form (an event stream pairs a plot with the value after it).
                let drawn = PlotObject(f)
                a.context.emit(.plot(id: a.context.newPlotID(), figure: f))
                a.context.emit(.value(Display.string(.object(drawn))))
                return .record(Record([("scores", .tensor(r.scores)),
                                       ("helpful", .tensor(Tensor(integers: helpful))), ("harmful", .tensor(Tensor(integers: harmful))),
                                       ("plot", .object(drawn)), ("solves", .number(Double(r.solves))),
                                       ("iters", .number(Double(r.iterations))), ("residual", .number(r.worstResidual)),
                                       ("matvecs", .number(Double(r.matvecs)))]))
            },
        ]
    }

    private static func traceRecord(_ r: TraceEstimate) -> Value {
        .record(Record([("trace", .number(r.trace)), ("stderr", .number(r.error)), ("rank", .number(Double(r.rank))),
                        ("matvecs", .number(Double(r.matvecs)))]))
    }
}
