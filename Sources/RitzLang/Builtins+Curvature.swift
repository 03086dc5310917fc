import RitzAnalysis
import RitzAutodiff
import RitzTensor

/// A matrix-free operator in the language: `H @ v`, `dense(H)`, `.n`, `.matvecs`.
final class OperatorObject: ArithmeticObject {
    let op: LinearOperator
    init(_ op: LinearOperator) { self.op = op }

    var typeName: String { "operator" }
    var fieldNames: [String] { ["n", "matvecs", "symmetric", "label"] }

    func field(_ name: String) throws -> Value? {
        switch name {
        case "n": return .number(Double(op.n))
        case "matvecs": return .number(Double(op.matvecs))
        case "symmetric": return .bool(op.isSymmetric)
        case "label": return .string(op.label)
        default: return nil
        }
    }

    func summary() -> String {
        "operator n=\(op.n) (\(op.label)\(op.isSymmetric ? ", symmetric" : "")), \(op.matvecs) matvecs"
    }

    func binary(_ o: BinaryOperator, _ other: Value, selfOnLeft: Bool, context: Interpreter) throws -> Value? {
        guard o == .matmul, selfOnLeft else { return nil }
        let v = try Interpreter.toTensor(other, what: "the right operand of `@`")
        return .tensor(try Builtins.interruptible(context) { try op.apply(v) })
    }
}

extension Builtins {
    /// Runs a curvature computation with the session's interrupt flag as its stop check, turning
    /// a stop into the session's `interrupted` diagnostic.
    static func interruptible<T>(_ ctx: Interpreter, _ body: () throws -> T) throws -> T {
        do {
            return try CurvatureInterruption.withCheck({ ctx.isInterrupted }, body)
        } catch CurvatureError.interrupted {
            try ctx.checkInterrupt()
            throw Diagnostic("interrupted", span: nil, severity: "interrupted")
        }
    }

    /// The `seed=` argument, or a draw from the session generator when absent.
    static func curvatureSeed(_ a: Args) throws -> UInt64 {
        if let s = try a.optionalInt("seed") {
            guard s >= 0 else { throw Diagnostic("seed must be a non-negative whole number, got \(s)", span: nil) }
            return UInt64(s)
        }
        return a.context.rng.next()
    }

    /// The operator argument `name`: an operator object, or a square matrix wrapped on the fly.
    static func operatorArg(_ a: Args, _ name: String = "H") throws -> LinearOperator {
        if case let .object(o)? = a.raw(name), let op = o as? OperatorObject { return op.op }
        if let v = a.raw(name), case .tensor = v {
            return try LinearOperator(matrix: try Interpreter.toTensor(v))
        }
        throw Diagnostic("argument `\(name)` of `\(a.entry.name)` must be an operator or a square matrix, got a \(a.raw(name)?.typeName ?? "nothing")",
                         span: nil, help: ["make one with op(A), op(fn, n), hessian_op(model, data) or ggn_op(model, data)"])
    }

    /// A positive whole-number argument.
    static func positiveInt(_ a: Args, _ name: String) throws -> Int {
        let k = try a.int(name)
        guard k >= 1 else { throw Diagnostic("`\(name)` of `\(a.entry.name)` must be at least 1, got \(k)", span: nil) }
        return k
    }

    static func numbers(_ xs: [Double]) -> Value { .tensor(Tensor(xs)) }

    /// Curvature and stability: operators, Lanczos spectra, SLQ densities, Hutchinson estimates.
    static var curvature: [BuiltinEntry] {
        let g = "Curvature and stability"
        return [
            BuiltinEntry("op", [Param("A"), Param("n", default: .none), .keyword("symmetric", default: .bool(true))], group: g,
                         summary: "wraps a square matrix, or a function v -> H v on vectors of length n, as an operator",
                         examples: ["H = op([2, 1; 1, 3])\nH @ [1, 0]", "H = op(v -> 2 * v, 3)\n(hv=H @ [1, 2, 3], n=H.n)"]) { a in
                guard let v = a.raw("A") else { throw Diagnostic("missing argument `A` of `op`", span: nil) }
                switch v {
                case .function, .object:
                    if case let .object(o) = v, let op = o as? OperatorObject { return .object(op) }
                    guard a.has("n") else {
                        throw Diagnostic("`op(fn, n)` needs the dimension n", span: nil, help: ["example: op(v -> 2 * v, 3)"])
                    }
                    let n = try positiveInt(a, "n")
                    let f = try a.callable("A"), ctx = a.context
                    return .object(OperatorObject(try LinearOperator(n: n, symmetric: try a.bool("symmetric"), label: "function") { x in
                        let y = try Interpreter.toTensor(try ctx.call(f, [.tensor(Tensor(x))]), what: "the operator function's result")
                        guard y.count == n, !y.isComplex else {
                            throw Diagnostic("the operator function must return \(n) real values, got shape \(formatShape(y.shape))", span: nil)
                        }
                        return try y.asFloat().storage
                    }))
                default:
                    return .object(OperatorObject(try LinearOperator(matrix: try Interpreter.toTensor(v, what: "the matrix of `op`"))))
                }
            },
            BuiltinEntry("dense", [Param("H")], group: g,
                         summary: "the dense matrix of an operator, column j = H e_j (n matvecs)",
                         examples: ["dense(op([1, 2; 2, 1]))"]) { a in
                let H = try operatorArg(a)
                return .tensor(try interruptible(a.context) { try H.dense() })
            },
            BuiltinEntry("eigs", [Param("H"), Param("k", default: .number(6)), .keyword("which", default: .string("LA")),
                                  .keyword("tol", default: .number(1e-8)), .keyword("maxiter"), .keyword("ncv"),
                                  .keyword("start"), .keyword("seed")], group: g,
                         summary: "k extreme eigenpairs of a symmetric operator by thick-restart Lanczos, with true residuals",
                         examples: ["r = eigs(op(diag([1, 5, 3, 2])), k=2)\n(values=r.values, residuals=r.residuals)",
                                    "eigs(op(diag([1, 5, 3, -2])), k=1, which=\"SA\").values"]) { a in
                let H = try operatorArg(a)
                let whichName = try a.string("which")
                guard let which = EigsWhich(rawValue: whichName.uppercased()) else {
                    throw Diagnostic("unknown `which` \"\(whichName)\"", span: nil, help: ["use \"LA\" (largest), \"SA\" (smallest) or \"LM\" (largest magnitude)"])
                }
                let k = try positiveInt(a, "k"), tol = try a.double("tol")
                let maxiter = try a.optionalInt("maxiter"), ncv = try a.optionalInt("ncv")
                let start = try a.optionalTensor("start"), seed = try curvatureSeed(a)
                let r = try interruptible(a.context) {
                    try eigs(H, k: k, which: which, tol: tol, maxiter: maxiter, ncv: ncv, start: start, seed: seed)
                }
                return .record(Record([("values", numbers(r.values)), ("vectors", .tensor(r.vectors)),
                                       ("residuals", numbers(r.residuals)), ("iters", .number(Double(r.iterations))),
                                       ("matvecs", .number(Double(r.matvecs))), ("converged", .bool(r.converged))]))
            },
            BuiltinEntry("lanczos", [Param("H"), .keyword("steps", default: .number(20)), .keyword("start"), .keyword("seed")], group: g,
                         summary: "the Lanczos tridiagonal (alpha=, beta=) and orthonormal basis, with full reorthogonalisation",
                         examples: ["r = lanczos(op(diag([1, 2, 3, 4])), steps=3, seed=1)\nsize(r.alpha)"]) { a in
                let H = try operatorArg(a)
                let steps = try positiveInt(a, "steps"), start = try a.optionalTensor("start"), seed = try curvatureSeed(a)
                let r = try interruptible(a.context) { try lanczos(H, steps: steps, seed: seed, start: start) }
                return .record(Record([("alpha", numbers(r.alpha)), ("beta", numbers(r.beta)), ("basis", .tensor(r.basis)),
                                       ("ritz", numbers(r.ritzValues)), ("residual_norm", .number(r.residualNorm)),
                                       ("matvecs", .number(Double(r.matvecs)))]))
            },
            BuiltinEntry("power_iter", [Param("H"), .keyword("tol", default: .number(1e-8)), .keyword("maxiter", default: .number(1000)),
                                        .keyword("start"), .keyword("seed")], group: g,
                         summary: "the dominant eigenpair by power iteration, with its true residual ‖Hv − θv‖",
                         examples: ["power_iter(op(diag([1, 4, 2])), seed=1).value"]) { a in
                let H = try operatorArg(a)
                let tol = try a.double("tol"), maxiter = try positiveInt(a, "maxiter")
                let start = try a.optionalTensor("start"), seed = try curvatureSeed(a)
                let r = try interruptible(a.context) { try powerIteration(H, tol: tol, maxiter: maxiter, start: start, seed: seed) }
                return .record(Record([("value", .number(r.value)), ("vector", .tensor(r.vector)), ("residual", .number(r.residual)),
                                       ("iters", .number(Double(r.iterations))), ("matvecs", .number(Double(r.matvecs))),
                                       ("converged", .bool(r.converged))]))
            },
            BuiltinEntry("slq", [Param("H"), .keyword("steps", default: .number(80)), .keyword("probes", default: .number(10)),
                                 .keyword("sigma"), .keyword("bins", default: .number(10000)), .keyword("seed")], group: g,
                         summary: "spectral density by stochastic Lanczos quadrature: (x=, density=, nodes=, weights=)",
                         examples: ["d = slq(op(diag([1, 2, 3, 4])), steps=4, probes=2, bins=200, seed=1)\nsize(d.x)"]) { a in
                let H = try operatorArg(a)
                let steps = try positiveInt(a, "steps"), probes = try positiveInt(a, "probes"), bins = try a.int("bins")
                let sigma = try a.optionalDouble("sigma"), seed = try curvatureSeed(a)
                let r = try interruptible(a.context) { try slq(H, steps: steps, probes: probes, sigma: sigma, bins: bins, seed: seed) }
                let width = r.nodes.map(\.count).max() ?? 0
                // Nodes and weights as probes × steps matrices; a probe whose Lanczos run was
                // shorter (n < steps) is padded with weight-0 nodes at its last node.
                var nodes = [Double](), weights = [Double]()
                for (t, w) in zip(r.nodes, r.weights) {
                    nodes += t + [Double](repeating: t.last ?? 0, count: width - t.count)
                    weights += w + [Double](repeating: 0, count: width - w.count)
                }
                return .record(Record([("x", numbers(r.x)), ("density", numbers(r.density)),
                                       ("nodes", .tensor(try Tensor(shape: [r.nodes.count, width], storage: nodes))),
                                       ("weights", .tensor(try Tensor(shape: [r.weights.count, width], storage: weights))),
                                       ("sigma", .number(r.sigma)), ("matvecs", .number(Double(r.matvecs)))]))
            },
            BuiltinEntry("hutchinson", [Param("H"), .keyword("probes", default: .number(100)), .keyword("seed")], group: g,
                         summary: "Hutchinson's estimate of tr(H) with Rademacher probes, and its standard error",
                         examples: ["hutchinson(op(diag([1, 2, 3])), probes=10, seed=1).trace"]) { a in
                let H = try operatorArg(a)
                let probes = try positiveInt(a, "probes"), seed = try curvatureSeed(a)
                let r = try interruptible(a.context) { try hutchinson(H, probes: probes, seed: seed) }
                return .record(Record([("trace", .number(r.trace)), ("stderr", .number(r.stderr)),
                                       ("samples", numbers(r.samples)), ("matvecs", .number(Double(r.matvecs)))]))
            },
            BuiltinEntry("hutchinson_diag", [Param("H"), .keyword("probes", default: .number(100)), .keyword("seed")], group: g,
                         summary: "Hutchinson's estimate of diag(H), E[z ⊙ Hz], with per-entry standard errors",
                         examples: ["hutchinson_diag(op(diag([1, 2, 3])), probes=4, seed=1).diag"]) { a in
                let H = try operatorArg(a)
                let probes = try positiveInt(a, "probes"), seed = try curvatureSeed(a)
                let r = try interruptible(a.context) { try hutchinsonDiag(H, probes: probes, seed: seed) }
                return .record(Record([("diag", .tensor(r.diagonal)), ("stderr", .tensor(r.stderr)),
                                       ("matvecs", .number(Double(r.matvecs)))]))
            },
        ] + curvatureModelBuiltins(group: g)
    }

    /// `hessian_op(f, x)` for a scalar function of a vector, through reverse-over-reverse
    /// Hessian-vector products; model operators join here when models exist.
    static func curvatureModelBuiltins(group g: String) -> [BuiltinEntry] {
        [
            BuiltinEntry("hessian_op", [Param("f"), Param("x"), .keyword("batch"), .keyword("layer"), .keyword("seed")], group: g,
                         summary: "the Hessian as a matrix-free operator: of f at x, or of a model's loss on data",
                         examples: ["H = hessian_op(x -> sum(x ^ 4), [1, 2])\nH @ [1, 0]"]) { a in
                let f = try a.callable("f"), ctx = a.context
                let x = try Interpreter.toTensor(try a.valueOrThrow("x"), what: "the point of `hessian_op`")
                guard x.ndim == 1, !x.isComplex, x.count >= 1 else {
                    throw Diagnostic("`hessian_op(f, x)` needs x to be a real vector, got shape \(formatShape(x.shape))", span: nil)
                }
                let n = x.count
                return .object(OperatorObject(try LinearOperator(n: n, symmetric: true, label: "hessian of \(f.typeName == "function" ? "a function" : f.typeName)") { v in
                    let hv = try RitzAutodiff.hvp({ try ctx.scalarVar(ctx.call(f, [Interpreter.valueOf($0)])) }, at: Var(x), Var(Tensor(v)))
                    return try hv.value.asFloat().storage
                }))
            },
        ]
    }
}
