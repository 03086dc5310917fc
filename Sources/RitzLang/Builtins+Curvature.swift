import RitzAnalysis
import RitzAutodiff
import RitzLearn
import RitzPlot
import RitzTensor

/// A matrix-free operator in the language: `H @ v`, `dense(H)`, `.n`, `.matvecs`, `.T`, the
/// algebra of `Builtins+Operators.swift`; an inverse made by `inv(H)` also reports its solves.
final class OperatorObject: ArithmeticObject {
    let op: LinearOperator
    /// The solver behind an operator made by `inv(H, ...)`, whose products are solves.
    let inverse: InverseOperator?
    /// The K-FAC curvature behind an operator made by `kfac_op`, for `.factors` and `inv`.
    let kronecker: KroneckerOperator?
    init(_ op: LinearOperator) { self.op = op; inverse = nil; kronecker = nil }
    init(inverse: InverseOperator) { op = inverse.op; self.inverse = inverse; kronecker = nil }
    init(kronecker: KroneckerOperator) { op = kronecker.op; inverse = nil; self.kronecker = kronecker }

    var typeName: String { "operator" }
    var fieldNames: [String] {
        ["n", "rows", "matvecs", "symmetric", "label", "T"] + (inverse == nil ? [] : ["iters", "residual", "converged", "solves", "method", "damping", "tol"])
            + (kronecker == nil ? [] : ["factors", "damping"])
    }

    func field(_ name: String) throws -> Value? {
        switch name {
        case "n": return .number(Double(op.n))
        case "rows": return .number(Double(op.rows))
        case "matvecs": return .number(Double(op.matvecs))
        case "symmetric": return .bool(op.isSymmetric)
        case "label": return .string(op.label)
        case "T": return .object(OperatorObject(try op.transposed()))
        default: break
        }
        if let kronecker {
            switch name {
            case "factors": return try Builtins.kroneckerFactors(kronecker)
            case "damping": return .number(kronecker.damping)
            default: return nil
            }
        }
        guard let inverse else { return nil }
        let last = inverse.log.lastReport
        switch name {
        case "iters": return last.map { .number(Double($0.iterations)) } ?? Value.none
        case "residual": return last.map { .number($0.residual) } ?? Value.none
        case "converged": return last.map { .bool($0.converged) } ?? Value.none
        case "solves": return .number(Double(inverse.log.solves))
        case "method": return .string(inverse.method.rawValue)
        case "damping": return .number(inverse.damping)
        case "tol": return .number(inverse.tol)
        default: return nil
        }
    }

    func summary() -> String {
        let shape = op.isSquare ? "n=\(op.n)" : "\(op.rows)×\(op.n)"
        var text = "operator \(shape) (\(op.label)\(op.isSymmetric ? ", symmetric" : "")), \(op.matvecs) matvecs"
        if let last = inverse?.log.lastReport {
            text += "; last solve \(last.iterations) iterations, residual \(formatNumber(last.residual))"
        }
        return text
    }

    func binary(_ o: BinaryOperator, _ other: Value, selfOnLeft: Bool, context: Interpreter) throws -> Value? {
        try Builtins.operatorBinary(self, o, other, selfOnLeft: selfOnLeft, context: context)
    }
}

extension Builtins {
    /// Runs a curvature computation with the session's interrupt flag as its stop check, turning
    /// a stop into the session's `interrupted` diagnostic.
    static func interruptible<T>(_ ctx: Interpreter, _ body: () throws -> T) throws -> T {
        do {
            return try Interruption.withCheck({ ctx.isInterrupted }, body)
        } catch CurvatureError.interrupted {
            try ctx.checkInterrupt()
            throw Diagnostic("interrupted", span: nil, severity: "interrupted")
        }
    }

    /// Runs a long computation (a factorisation, a large eigensolve, a pass over millions of
    /// snapshots) interruptibly, its `ProgressReporting` reports emitted as `.progress` events.
    static func withProgress<T>(_ ctx: Interpreter, _ body: () throws -> T) throws -> T {
        try interruptible(ctx) {
            try ProgressReporting.withReporter({ p in
                ctx.emit(.progress(Progress(step: p.step, total: p.total, fields: p.fields)))
            }, body)
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
    ///
    /// - Parameters:
    ///   - square: Refuse a rectangular operator (every method but `dense` and `frobenius` needs H v in v's space).
    static func operatorArg(_ a: Args, _ name: String = "H", square: Bool = true) throws -> LinearOperator {
        if case let .object(o)? = a.raw(name), let op = o as? OperatorObject {
            if square, !op.op.isSquare {
                throw Diagnostic("`\(a.entry.name)` needs a square operator, got one of shape \(op.op.rows)×\(op.op.n)", span: nil,
                                 help: ["compose it with its transpose, e.g. J.T @ J"])
            }
            return op.op
        }
        if let v = a.raw(name), case .tensor = v {
            return try LinearOperator(matrix: try Interpreter.toTensor(v))
        }
        if let s = sparseArg(a, name) {
            guard !square || s.rows == s.cols else {
                throw Diagnostic("`\(a.entry.name)` needs a square matrix, got a sparse \(s.rows)×\(s.cols) one", span: nil)
            }
            return try LinearOperator(rows: s.rows, cols: s.cols, symmetric: s.isSymmetric(tol: 1e-12), label: "sparse \(s.rows)×\(s.cols)",
                                      transpose: { [t = s.transposed()] x in t.multiply(x) }) { x in s.multiply(x) }
        }
        throw Diagnostic("argument `\(name)` of `\(a.entry.name)` must be an operator or a square matrix, got a \(a.raw(name)?.typeName ?? "nothing")",
                         span: nil, help: ["make one with op(A), op(fn, n), hessian_op(model, data) or ggn_op(model, data)"])
    }

    /// `eigs(A, k, sigma=)`: shift-invert on a dense or sparse matrix.
    static func eigsNearSigma(_ a: Args) throws -> Value {
        let matrix: ExplicitMatrix
        if let s = sparseArg(a, "H") {
            matrix = .sparse(s)
        } else if case .tensor? = a.raw("H") {
            matrix = .dense(try a.tensor("H"))
        } else {
            throw Diagnostic("eigs with sigma= needs a dense or sparse matrix, got a \(a.raw("H")?.typeName ?? "nothing")", span: nil,
                             help: ["shift-invert factors the matrix; an operator has no entries to factor"])
        }
        let k = try positiveInt(a, "k"), tol = try a.double("tol"), sigma = try a.double("sigma")
        let maxiter = try a.optionalInt("maxiter"), ncv = try a.optionalInt("ncv"), seed = try curvatureSeed(a)
        let r = try interruptible(a.context) {
            try eigsShiftInvert(matrix, k: k, sigma: sigma, tol: tol, maxiter: maxiter, ncv: ncv, seed: seed)
        }
        return .record(Record([("values", numbers(r.values)), ("vectors", .tensor(r.vectors)),
                               ("residuals", numbers(r.residuals)), ("iters", .number(Double(r.iterations))),
                               ("matvecs", .number(Double(r.solves))), ("converged", .bool(r.converged)),
                               ("method", .string(r.method))]))
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
                         summary: "the dense matrix of an operator, column j = H e_j (n matvecs), or of a sparse matrix",
                         examples: ["dense(op([1, 2; 2, 1]))", "J = jacobian_op(mlp([2, 3, 2], seed=0), moons(4, seed=0))\nsize(dense(J))"]) { a in
                if let s = sparseArg(a, "H") { return .tensor(try s.dense()) }
                let H = try operatorArg(a, square: false)
                return .tensor(try solving(a.raw("H"), a.context) { try interruptible(a.context) { try H.dense() } })
            },
            BuiltinEntry("eigs", [Param("H"), Param("k", default: .number(6)), .keyword("which", default: .string("LA")),
                                  .keyword("tol", default: .number(1e-8)), .keyword("maxiter"), .keyword("ncv"),
                                  .keyword("start"), .keyword("seed"), .keyword("sigma")], group: g,
                         summary: "k extreme eigenpairs of a symmetric operator by thick-restart Lanczos, with true residuals ‖Hv − λv‖ (from the products H v_j of the basis, kept when they take at most 256 MiB, else one more product per pair; .matvecs counts every product); values from the requested end: largest first for which=\"LA\" (the default), smallest first for \"SA\" (eigh is ascending). sigma= (for a dense or sparse symmetric matrix) gives the k eigenvalues nearest sigma, nearest first, by shift-invert: Lanczos on (A − σI)⁻¹ from one factorisation (dense: LU, LAPACK; sparse: Cholesky, CHOLMOD, when A − σI is positive definite, else LU, UMFPACK), each λ the Rayleigh quotient of its vector with residual ‖Av − λv‖ computed with A; .method names the factorisation, .matvecs counts solves",
                         examples: ["r = eigs(op(diag([1, 5, 3, 2])), k=2)\n(values=r.values, residuals=r.residuals)",
                                    "eigs(op(diag([1, 5, 3, -2])), k=1, which=\"SA\").values"]) { a in
                if a.has("sigma") { return try eigsNearSigma(a) }
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
                         summary: "spectral density by stochastic Lanczos quadrature with Rademacher probes (±1 entries scaled to unit norm): (x=, density=, nodes=, weights=); each probe's weights (squared first components of the Lanczos eigenvectors) sum to 1, the density averages the probes and is normalised to unit trapezoid integral",
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
                         summary: "Hutchinson's estimate of tr(H) with Rademacher probes, and its standard error s/√probes (s the samples' standard deviation); probes must be ≥ 2, since one sample has no spread",
                         examples: ["hutchinson(op(diag([1, 2, 3])), probes=10, seed=1).trace"]) { a in
                let H = try operatorArg(a)
                let probes = try positiveInt(a, "probes"), seed = try curvatureSeed(a)
                let r = try interruptible(a.context) { try hutchinson(H, probes: probes, seed: seed) }
                return .record(Record([("trace", .number(r.trace)), ("stderr", .number(r.stderr)),
                                       ("samples", numbers(r.samples)), ("matvecs", .number(Double(r.matvecs)))]))
            },
            BuiltinEntry("hutchinson_diag", [Param("H"), .keyword("probes", default: .number(100)), .keyword("seed")], group: g,
                         summary: "Hutchinson's estimate of diag(H), E[z ⊙ Hz], with Rademacher probes and per-entry standard errors; probes must be ≥ 2, since one sample has no spread",
                         examples: ["hutchinson_diag(op(diag([1, 2, 3])), probes=4, seed=1).diag"]) { a in
                let H = try operatorArg(a)
                let probes = try positiveInt(a, "probes"), seed = try curvatureSeed(a)
                let r = try interruptible(a.context) { try hutchinsonDiag(H, probes: probes, seed: seed) }
                return .record(Record([("diag", .tensor(r.diagonal)), ("stderr", .tensor(r.stderr)),
                                       ("matvecs", .number(Double(r.matvecs)))]))
            },
        ] + curvatureModelBuiltins(group: g)
    }

    /// `block=`: one parameter block's name or a list of names; nil when not given.
    ///
    /// - Throws: A `Diagnostic` for anything but a string or a non-empty list of strings.
    static func blockNames(_ a: Args) throws -> [String]? {
        guard let v = a.raw("block") else { return nil }
        let items: [Value]
        if case let .list(l) = v { items = l } else { items = [v] }
        let names = try items.map { item -> String in
            guard case let .string(s) = item else {
                throw Diagnostic("`block` takes a parameter block's name or a list of names (see the model's .blocks), got a \(item.typeName)", span: nil)
            }
            return s
        }
        guard !names.isEmpty else { throw Diagnostic("`block` needs at least one name", span: nil) }
        return names
    }

    /// The model-and-data builtins, and `hessian_op(f, x)` for a scalar function of a vector
    /// (reverse-over-reverse Hessian-vector products of the autodiff tape).
    static func curvatureModelBuiltins(group g: String) -> [BuiltinEntry] {
        CurvatureTrackers.register()
        return [
            BuiltinEntry("hessian_op", [Param("model"), Param("data"), .keyword("batch"), .keyword("layer"), .keyword("block"),
                                        .keyword("kind"), .keyword("seed")], group: g,
                         summary: "the Hessian as a matrix-free operator: hessian_op(model, data, batch=, block=) or hessian_op(f, x); block= names parameter blocks (a name or a list, see m.blocks), layer= an mlp layer",
                         examples: ["H = hessian_op(x -> sum(x ^ 4), [1, 2])\nH @ [1, 0]",
                                    "m = mlp([2, 8, 2], seed=0)\nH = hessian_op(m, moons(50, seed=0), layer=1)\nH.n",
                                    "m = mlp([2, 8, 2], seed=0)\nhessian_op(m, moons(50, seed=0), block=[\"w1\", \"b1\"]).n"]) { a in
                if case let .object(o)? = a.raw("model"), let m = o as? ModelObject {
                    let d = try dataset(a)
                    let layer = try a.optionalInt("layer"), batch = try a.optionalInt("batch")
                    let kind = try lossKind(a, for: d), seed = try curvatureSeed(a)
                    return .object(OperatorObject(try hessianOperator(model: m.model, data: d, loss: kind, batch: batch,
                                                                      layer: layer, blocks: try blockNames(a), seed: seed)))
                }
                let f = try a.callable("model"), ctx = a.context
                let x = try Interpreter.toTensor(try a.valueOrThrow("data"), what: "the point of `hessian_op`")
                guard x.ndim == 1, !x.isComplex, x.count >= 1 else {
                    throw Diagnostic("`hessian_op(f, x)` needs x to be a real vector, got shape \(formatShape(x.shape))", span: nil)
                }
                return .object(OperatorObject(try LinearOperator(n: x.count, symmetric: true, label: "hessian of a function") { v in
                    let hv = try RitzAutodiff.hvp({ try ctx.scalarVar(ctx.call(f, [Interpreter.valueOf($0)])) }, at: Var(x), Var(Tensor(v)))
                    return try hv.value.asFloat().storage
                }))
            },
            BuiltinEntry("ggn_op", [Param("model"), Param("data"), .keyword("batch"), .keyword("block"), .keyword("kind"),
                                    .keyword("seed")], group: g,
                         summary: "the generalised Gauss-Newton matrix JᵀH_L J of a model's loss as a positive semidefinite operator (block= as for hessian_op)",
                         examples: ["G = ggn_op(mlp([2, 8, 2], seed=0), moons(50, seed=0))\neigs(G, k=2).values"]) { a in
                let m = try model(a), d = try dataset(a)
                return .object(OperatorObject(try ggnOperator(model: m, data: d, loss: try lossKind(a, for: d),
                                                              batch: try a.optionalInt("batch"), blocks: try blockNames(a),
                                                              seed: try curvatureSeed(a))))
            },
            BuiltinEntry("sharpness", [Param("model"), Param("data"), .keyword("batch"), .keyword("tol", default: .number(1e-8)),
                                       .keyword("kind"), .keyword("seed")], group: g,
                         summary: "the largest Hessian eigenvalue of the loss (value=) with its residual and cost",
                         examples: ["sharpness(mlp([2, 8, 2], seed=0), moons(50, seed=0)).value"]) { a in
                let m = try model(a), d = try dataset(a)
                let kind = try lossKind(a, for: d), batch = try a.optionalInt("batch"), tol = try a.double("tol")
                let seed = try curvatureSeed(a)
                let r = try interruptible(a.context) {
                    try sharpness(model: m, data: d, loss: kind, batch: batch, tol: tol, seed: seed)
                }
                return .record(Record([("value", .number(r.value)), ("residual", .number(r.residual)),
                                       ("vector", .tensor(r.vector)), ("iters", .number(Double(r.iterations))),
                                       ("matvecs", .number(Double(r.matvecs))), ("converged", .bool(r.converged))]))
            },
            BuiltinEntry("batch_sharpness", [Param("model"), Param("data"), .keyword("batches", default: .list([8, 32, 128, 512].map { .number($0) })),
                                             .keyword("draws", default: .number(3)), .keyword("tol", default: .number(1e-6)),
                                             .keyword("kind"), .keyword("seed")], group: g,
                         summary: "largest eigenvalue of mini-batch Hessians per batch size: (batches=, sharpness=, std=, values=)",
                         examples: ["b = batch_sharpness(mlp([2, 8, 2], seed=0), moons(64, seed=0), batches=[8, 64], draws=2, seed=1)\nsize(b.sharpness)"]) { a in
                let m = try model(a), d = try dataset(a)
                let sizes = try a.list("batches").map { try Interpreter.toInt($0, what: "a batch size of `batch_sharpness`") }
                let draws = try positiveInt(a, "draws"), tol = try a.double("tol")
                let kind = try lossKind(a, for: d), seed = try curvatureSeed(a)
                let r = try interruptible(a.context) {
                    try BatchSharpness(model: m, data: d, loss: kind, batches: sizes, draws: draws, tol: tol, seed: seed)
                }
                var f = try Figure.line(r.mean, x: r.batchSizes.map(Double.init), name: "mean λ_max")
                try f.addLine(zip(r.mean, r.std).map { $0 + $1 }, x: r.batchSizes.map(Double.init), name: "mean + std")
                f.logx = true
                f.title = "mini-batch sharpness"
                f.xlabel = "batch size"
                f.ylabel = "λ_max"
                return .record(Record([("batches", numbers(r.batchSizes.map(Double.init))), ("sharpness", numbers(r.mean)),
                                       ("std", numbers(r.std)), ("values", .list(r.values.map { numbers($0) })),
                                       ("max_residual", .number(r.maxResidual)), ("matvecs", .number(Double(r.matvecs))),
                                       ("plot", .object(PlotObject(f)))]))
            },
            BuiltinEntry("stability", [Param("run")], group: g,
                         summary: "the stability traces of a run: loss, then each tracked curvature against the step's linear-stability threshold — sharpness and trace under sgd against 2/lr, (2 + 2μ)/lr with momentum μ, (2 + 2μ)/((1 + 2μ)·lr) with Nesterov's, less the weight decay; preconditioned_sharpness under adam against (2 + 2β₁)/((1 − β₁)·lr), 38/lr for β₁ = 0.9 (times 1 − lr·λ/2 with adamw's decoupled decay λ) — with the steps each bound was crossed; .bound is the first trace's threshold per sample, .<name>_bound each one's",
                         examples: ["m = mlp([2, 8, 2], seed=0)\nr = train(m, moons(64, seed=0), sgd(0.5), steps=20, every=5, track=[\"sharpness\"], seed=1)\ns = stability(r)\ns.sharpness_crossed"]) { a in
                let run = try a.object("run", as: RunObject.self, described: "run (made by train)").run
                // The tracked quantities registered with a bound, in the order they were requested.
                let bounded = run.trackedNames.compactMap { name in
                    TrackerRegistry.shared.entry(name)?.bound.map { (name, $0) }
                }
                guard !bounded.isEmpty else {
                    throw Diagnostic("this run tracked no curvature with a stability bound", span: nil,
                                     help: ["pass track=[\"sharpness\", \"trace\"] to train (track=[\"preconditioned_sharpness\"] under adam)"])
                }
                let traces = bounded.compactMap { name, bound in
                    run.thresholds[bound].flatMap { t in run.tracked[name].map { Stability.Trace(name: name, values: $0, threshold: t) } }
                }
                guard !traces.isEmpty else {
                    // sgd lacks a threshold only with momentum ≥ 1 (or full dampening).
                    let why = run.optimizer == "sgd"
                        ? "its momentum of 1 or more (or full dampening) leaves no curvature stable"
                        : "its steps are preconditioned, and their stability is a matter of the preconditioned Hessian"
                    throw Diagnostic("this run's optimizer (\(run.optimizer)) has no linear-stability threshold on "
                                     + bounded.map { "the \($0.0)" }.joined(separator: " or ") + ": " + why,
                                     span: nil, help: [run.thresholds[.preconditioned] != nil
                                        ? "track=[\"preconditioned_sharpness\"] measures the quantity this optimizer's threshold bounds"
                                        : "sharpness and trace have sgd's thresholds; the preconditioned sharpness sgd's, adam's, adamw's and adahessian's"])
                }
                let s = try Stability(steps: run.steps, lr: run.lr, traces: traces, lastStep: run.stepsTaken)
                return .object(StabilityObject(run: run, stability: s, figure: try stabilityFigure(run: run, stability: s)))
            },
        ]
    }

    /// Stacked panels: the loss, then each trace with its bound.
    static func stabilityFigure(run: Run, stability s: Stability) throws -> Figure {
        let x = run.steps.map(Double.init)
        var panels = [Panel()]
        panels[0].ylabel = "loss"
        for trace in s.traces { var p = Panel(); p.ylabel = trace.name; panels.append(p) }
        var f = Figure(panels: panels)
        f.title = "stability"
        f.xlabel = "step"
        try f.addLine(run.loss, x: x, name: "loss", panel: 0)
        for (i, trace) in s.traces.enumerated() {
            let panel = i + 1
            try f.addLine(trace.values, x: x, name: trace.name, panel: panel)
            let bound = s.bound(of: trace)
            if bound.allSatisfy({ $0 == bound.first }), let b = bound.first {
                f.addHLine(b, label: trace.threshold.label, panel: panel)
            } else {
                try f.addLine(bound, x: x, name: trace.threshold.label, panel: panel)
            }
        }
        return f
    }
}

/// The result of `stability(run)`: draws itself as stacked panels (the loss, then each tracked
/// curvature with its threshold) and reports the crossings as fields.
final class StabilityObject: PlottableObject {
    let run: Run
    let stability: Stability
    let plotFigure: Figure

    init(run: Run, stability: Stability, figure: Figure) {
        self.run = run
        self.stability = stability
        self.plotFigure = figure
    }

    var typeName: String { "stability" }

    var fieldNames: [String] {
        var names = ["plot", "step", "bound", "summary", "matvecs"]
        for c in stability.crossings {
            names += [c.name, "\(c.name)_bound", "\(c.name)_crossed", "\(c.name)_stay", "\(c.name)_steps_above",
                      "\(c.name)_near_bound", "\(c.name)_max_ratio"]
        }
        return names
    }

    func figure() throws -> Figure { plotFigure }

    func field(_ name: String) throws -> Value? {
        switch name {
        case "plot": return .object(PlotObject(plotFigure))
        case "step": return Builtins.numbers(stability.steps.map(Double.init))
        case "bound": return stability.traces.first.map { Builtins.numbers(stability.bound(of: $0)) }
        case "summary": return .string(stability.summary())
        case "matvecs":
            let names = Set(stability.traces.map(\.name))
            return .number(Double(run.trackerMatvecs.filter { names.contains($0.key) }.values.reduce(0, +)))
        default: break
        }
        for trace in stability.traces {
            if name == trace.name { return Builtins.numbers(trace.values) }
            if name == "\(trace.name)_bound" { return Builtins.numbers(stability.bound(of: trace)) }
        }
        for c in stability.crossings {
            switch name {
            case "\(c.name)_crossed": return c.firstStep.map { Value.number(Double($0)) } ?? Value.none
            case "\(c.name)_stay": return .number(Double(c.firstStay))
            case "\(c.name)_steps_above": return .number(Double(c.stepsAbove))
            case "\(c.name)_near_bound": return .number(c.fractionNearBound)
            case "\(c.name)_max_ratio": return .number(c.maxRatio)
            default: continue
            }
        }
        return nil
    }

    func summary() -> String { PlotObject(plotFigure).summary() + "\n" + stability.summary() }
}
