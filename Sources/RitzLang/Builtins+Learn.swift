import Foundation
import RitzAnalysis
import RitzLearn
import RitzPlot
import RitzTensor

/// Data sets, models and training in the language (SPEC §4, "Data and I/O"
/// datasets and "Models and training"), over RitzLearn.
extension Builtins {
    static var learn: [BuiltinEntry] { learnData + learnModels + modelLibrary + stateSpaceModels }

    /// `seed=` when given (a non-negative whole number), else the next draw of the session's
    /// generator, so unseeded calls still follow `seed(n)`.
    static func learnSeed(_ a: Args) throws -> UInt64 {
        if let s = try a.optionalInt("seed") {
            guard s >= 0 else { throw Diagnostic("seed must be a non-negative whole number, got \(s)", span: nil) }
            return UInt64(s)
        }
        return a.context.rng.next()
    }

    static func dataset(_ a: Args, _ name: String = "data") throws -> Dataset {
        try a.object(name, as: DatasetObject.self, described: "dataset (e.g. moons(200) or dataset(x, y))").data
    }

    static func model(_ a: Args) throws -> any Model {
        try a.object("model", as: ModelObject.self, described: "model (made by mlp or model)").model
    }

    static func lossKind(_ a: Args, for data: Dataset) throws -> LossKind {
        guard let s = try a.optionalString("kind") else { return data.defaultLoss }
        return try LossKind(name: s)
    }

    // MARK: - Data sets

    static var learnData: [BuiltinEntry] {
        let g = "Data and I/O"
        return [
            BuiltinEntry("moons", [Param("n", default: .number(200)), .keyword("noise", default: .number(0)), .keyword("seed")],
                         group: g, summary: "two interleaving half circles, 2 classes (scikit-learn's make_moons)",
                         examples: ["d = moons(100, noise=0.1, seed=0)\nd.x.shape"]) { a in
                .object(DatasetObject(try .moons(n: try a.int("n"), noise: try a.double("noise"), seed: try learnSeed(a))))
            },
            BuiltinEntry("circles", [Param("n", default: .number(200)), .keyword("noise", default: .number(0)),
                                     .keyword("factor", default: .number(0.8)), .keyword("seed")],
                         group: g, summary: "a circle inside a circle, 2 classes (scikit-learn's make_circles)",
                         examples: ["circles(100, noise=0.05, factor=0.5, seed=1).classes"]) { a in
                .object(DatasetObject(try .circles(n: try a.int("n"), noise: try a.double("noise"),
                                                   factor: try a.double("factor"), seed: try learnSeed(a))))
            },
            BuiltinEntry("spirals", [Param("n", default: .number(300)), .keyword("classes", default: .number(3)),
                                     .keyword("noise", default: .number(0.2)), .keyword("seed")],
                         group: g, summary: "interleaved spiral arms, one class per arm",
                         examples: ["spirals(300, classes=3, seed=0).classes"]) { a in
                .object(DatasetObject(try .spirals(n: try a.int("n"), classes: try a.int("classes"),
                                                   noise: try a.double("noise"), seed: try learnSeed(a))))
            },
            BuiltinEntry("blobs", [Param("n", default: .number(300)), .keyword("centers", default: .number(3)),
                                   .keyword("dim", default: .number(2)), .keyword("std", default: .number(1)), .keyword("seed")],
                         group: g, summary: "isotropic Gaussian blobs, one class per center (scikit-learn's make_blobs)",
                         examples: ["blobs(90, centers=3, dim=2, seed=0).x.shape"]) { a in
                .object(DatasetObject(try .blobs(n: try a.int("n"), centers: try a.int("centers"), dim: try a.int("dim"),
                                                 std: try a.double("std"), seed: try learnSeed(a))))
            },
            BuiltinEntry("teacher", [Param("n", default: .number(200)), .keyword("dim", default: .number(2)),
                                     .keyword("hidden", default: .number(16)), .keyword("noise", default: .number(0)),
                                     .keyword("seed")],
                         group: g, summary: "regression targets from a random tanh network [dim, hidden, 1]",
                         examples: ["teacher(50, dim=3, hidden=8, seed=0).y.shape"]) { a in
                .object(DatasetObject(try .teacher(n: try a.int("n"), dim: try a.int("dim"), hidden: try a.int("hidden"),
                                                   noise: try a.double("noise"), seed: try learnSeed(a))))
            },
            BuiltinEntry("digits", [.keyword("layout", default: .string("flat"))], group: g,
                         summary: "the 8x8 handwritten digits shipped with ritz: 1797 samples, pixels scaled to [0, 1], 10 classes (int64 labels); layout=\"flat\" x [1797, 64], \"images\" [1797, 1, 8, 8] (N, C, H, W), \"sequence\" [1797, 64, 1] (each image row by row, 64 steps of one pixel)",
                         examples: ["d = digits()\nd.x.shape", "digits(layout=\"images\").x.shape",
                                    "digits(layout=\"sequence\").x[0, 8:16, 0] == digits().x[0, 8:16] |> all"]) { a in
                .object(DatasetObject(try Dataset.digits(layout: try DigitsLayout(name: try a.string("layout")))))
            },
            BuiltinEntry("modular", [Param("p"), Param("op", default: .string("+")), .keyword("frac", default: .number(0.5)),
                                     .keyword("seed", default: .number(0))], group: g,
                         summary: "the grokking task (Power et al. 2022): every a ∘ b = c mod p as tokens x = [a, ∘, b, =] (ids a, b in 0..p-1, ∘ = p, = is p+1; vocabulary p+2), label c (classes p); op \"+\", \"-\", \"*\" or \"/\" (b ≠ 0, p prime); → (train=, test=), frac of the equations for training",
                         examples: ["m = modular(7, \"+\", frac=0.5, seed=0)\n[m.train.n, m.test.n]",
                                    "modular(5, \"/\").train.x[0:3, :]"]) { a in
                let (train, test) = try Dataset.modular(p: try a.int("p"), op: try ModularOp(name: try a.string("op")),
                                                        frac: try a.double("frac"), seed: try learnSeed(a))
                return trainTest(train, test)
            },
            BuiltinEntry("sequence_task", [Param("kind", default: .string("copy")), Param("n", default: .number(1000)),
                                           Param("length", default: .number(8)), Param("vocab", default: .number(16)),
                                           .keyword("frac", default: .number(0.8)), .keyword("seed", default: .number(0))],
                         group: g,
                         summary: "n distinct random sequences s of tokens 1..vocab-1 to copy or reverse (kind \"copy\" or \"reverse\"); x = [s, 0, t₀..t_{L−2}] (0 separates, t the target, length 2L), y = t [N, L]; the outputs at positions L.. predict y; → (train=, test=)",
                         examples: ["s = sequence_task(\"reverse\", 100, 4, 6, seed=0)\n(x=s.train.x[0, :], y=s.train.y[0, :])",
                                    "s = sequence_task(\"copy\", 50, 3, 5)\ncross_entropy(zeros(40, 3, 5), s.train.y)"]) { a in
                let (train, test) = try Dataset.sequenceTask(kind: try SequenceTaskKind(name: try a.string("kind")), n: try a.int("n"),
                                                             length: try a.int("length"), vocab: try a.int("vocab"),
                                                             frac: try a.double("frac"), seed: try learnSeed(a))
                return trainTest(train, test)
            },
            BuiltinEntry("dataset", [Param("x"), Param("y"), .keyword("classes"), .keyword("shard", default: .bool(true))], group: g,
                         summary: "a dataset from inputs (samples along the first axis: samples × features, images, sequences) and labels or targets; with classes=, labels may be one per position [N, …]; shard=false: not split among the ranks of an mpirun",
                         examples: ["dataset([0, 0; 1, 1], [0, 1]).classes"]) { a in
                .object(DatasetObject(try Dataset(x: try a.tensor("x"), y: try a.tensor("y"),
                                                  classes: try a.optionalInt("classes"), name: "data").sharding(try a.bool("shard"))))
            },
            BuiltinEntry("shard", [Param("data"), Param("on", default: .bool(true))], group: g,
                         summary: "the dataset, split among the ranks of an mpirun (on=true, every dataset's default) or evaluated whole on each (false); its selections and splits keep the setting",
                         examples: ["shard(moons(10, seed=0), false).sharded"]) { a in
                .object(DatasetObject(try dataset(a).sharding(try a.bool("on"))))
            },
            BuiltinEntry("split", [Param("data"), .keyword("frac", default: .number(0.8)), .keyword("seed")], group: g,
                         summary: "a random split into (train=, test=), frac of the samples for training",
                         examples: ["s = split(moons(100, seed=0), frac=0.8, seed=0)\ns.test.n"]) { a in
                let (train, test) = try dataset(a).split(frac: try a.double("frac"), seed: try learnSeed(a))
                return trainTest(train, test)
            },
        ]
    }

    /// The record `(train=, test=)` of a split.
    static func trainTest(_ train: Dataset, _ test: Dataset) -> Value {
        .record(Record([("train", .object(DatasetObject(train))), ("test", .object(DatasetObject(test)))]))
    }

    // MARK: - Models, optimizers, training

    static var learnModels: [BuiltinEntry] {
        let g = "Models and training"
        return [
            BuiltinEntry("mlp", [Param("sizes"), Param("act", default: .string("tanh")), .keyword("seed")], group: g,
                         summary: "a multilayer perceptron; weights N(0, g²/fan_in) (g = 1 tanh/sigmoid/identity, √2 relu/gelu), biases 0",
                         examples: ["m = mlp([2, 16, 2], seed=0)\nm.n"]) { a in
                let sizes = try a.list("sizes").map { try Interpreter.toInt($0, what: "a size of `mlp`") }
                let act = try Activation(name: try a.string("act"))
                return .object(ModelObject(try MLP(sizes: sizes, activation: act, seed: try learnSeed(a))))
            },
            BuiltinEntry("model", [Param("fn"), Param("params")], group: g,
                         summary: "a model from a function fn(p, x) → outputs and its parameters p (a record of tensors, or a list): m(x) predicts, m.params is the flat vector (fields in order, each row-major), m.blocks names each tensor's offset and shape, m.p the tensors; it trains and is measured as an mlp is. A function made only of dense layers and activations of p and x (`tanh(x @ p.w.T + p.b) @ p.v.T + p.c`: p's tensors, x, numbers, + - * / @ and .T, tanh, sigmoid, relu, gelu) replays its training steps, allocating nothing; any other is recorded every step",
                         examples: ["p = (w=randn(3, 2, seed=0), b=zeros(3))\nm = model((p, x) -> x @ p.w.T + p.b, p)\nm.blocks[1].offset",
                                    "m = model((p, x) -> tanh(x @ p.w), (w=ones(2, 2)))\nm([1, 2; 3, 4])"]) { a in
                .object(ModelObject(try functionModel(a)))
            },
            BuiltinEntry("set_params", [Param("model"), Param("params")], group: g,
                         summary: "replaces a model's flat parameter vector; the same as `model.params = params`",
                         examples: ["m = mlp([2, 1], seed=0)\nset_params(m, [1, 2, 0.5])\nm.params"]) { a in
                try model(a).setParameters(try a.tensor("params"))
                return .none
            },
            BuiltinEntry("loss", [Param("model"), Param("data"), .keyword("kind")], group: g,
                         summary: "mean loss: \"ce\" (softmax cross-entropy, default for labels) or \"mse\" (default for targets)",
                         examples: ["loss(mlp([2, 8, 2], seed=0), moons(100, seed=0))"]) { a in
                let d = try dataset(a)
                return .number(try model(a).meanLoss(on: d, loss: try lossKind(a, for: d)))
            },
            BuiltinEntry("accuracy", [Param("model"), Param("data")], group: g,
                         summary: "fraction of samples (or labelled positions) whose largest output is at their label",
                         examples: ["accuracy(mlp([2, 8, 2], seed=0), moons(100, seed=0))"]) { a in
                let d = try dataset(a)
                return .number(try model(a).labelAccuracy(on: d))
            },
        ] + optimizers + [
            BuiltinEntry("train", [Param("model"), Param("data"), Param("opt"), .keyword("steps", default: .number(100)),
                                   .keyword("batch", default: .number(0)), .keyword("every"),
                                   .keyword("track", default: .list([])), .keyword("test"), .keyword("seed"),
                                   .keyword("hessian_batch", default: .number(2048)), .keyword("kind")],
                         group: g,
                         summary: "trains the model in place and returns the run (batch=0: full batch; every= defaults to steps/100); track= measures, every `every` steps on up to hessian_batch training rows, \"grad_norm\", \"sharpness\" and \"trace\" (drawn against sgd's stability threshold, 2/lr without momentum), \"preconditioned_sharpness\" (λ_max of P⁻¹H for adam's diagonal P, against its threshold 38/lr; see stability) and \"weights\" (parameter snapshots)",
                         examples: ["m = mlp([2, 16, 2], seed=0)\nr = train(m, moons(200, noise=0.1, seed=0), sgd(0.5), steps=50, every=10)\nr.step"]) { a in
                try trainBuiltin(a)
            },
        ]
    }

    static func trainBuiltin(_ a: Args) throws -> Value {
        let m = try model(a)
        let d = try dataset(a)
        let opt = try a.object("opt", as: OptimizerObject.self, described: "optimizer (sgd, adam, adamw or adahessian)").optimizer
        let steps = try a.int("steps")
        let every = try a.optionalInt("every") ?? max(1, steps / 100)
        let track = try a.list("track").map { v -> String in
            guard case let .string(s) = v else {
                throw Diagnostic("`track` takes names as strings, got a \(v.typeName)", span: nil,
                                 help: ["known: " + TrackerRegistry.shared.names.joined(separator: ", ")])
            }
            guard s == "weights" || TrackerRegistry.shared.entry(s) != nil else {
                var help = ["known: " + TrackerRegistry.shared.names.joined(separator: ", ")]
                if let near = nearestName(s, TrackerRegistry.shared.names) { help.insert("did you mean `\(near)`?", at: 0) }
                throw Diagnostic("unknown tracked quantity \"\(s)\"", span: nil, help: help)
            }
            return s
        }
        let test = try a.raw("test").map { v -> Dataset in
            guard case let .object(o) = v, let t = o as? DatasetObject else {
                throw Diagnostic("`test` must be a dataset, got a \(v.typeName)", span: nil)
            }
            return t.data
        }
        let kind = try a.optionalString("kind").map { try LossKind(name: $0) }
        let ctx = a.context
        var names: [String] = []
        for t in track where t != "weights" && !names.contains(t) { names.append(t) }
        var curves = try RunCurves(tracked: names, hasTest: test != nil, thresholds: opt.stabilityThresholds)
        // Live curves: one plot id for the whole run; a snapshot at a history row when at least
        // `LiveFrames.interval` of wall time passed since the last one, and the final state once
        // more at the end. Each plot event is followed by the row's progress event (EvalEvent),
        // and progress goes only with a frame: a status line redrawn at every step of a fast run
        // (thousands a second) costs the trainer's thread and, on a terminal over a slow link,
        // the run's speed.
        let plotID = ctx.newPlotID()
        var frames = LiveFrames()
        var lastProgress: Progress?
        // Curvature trackers poll the session's interrupt once per product, so Ctrl-C stops a long
        // measurement; the trainer then keeps the partial run.
        let run = try Interruption.withCheck({ ctx.isInterrupted }) {
            try Trainer.train(model: m, data: d, optimizer: opt, steps: steps, batch: try a.int("batch"), every: every,
                                    track: track, test: test, seed: try learnSeed(a),
                                    hessianBatch: try a.int("hessian_batch"), loss: kind,
                                    progress: { p in
                                        curves.append(p)
                                        let progress = Progress(step: p.step, total: p.total, fields: p.fields)
                                        if frames.due() {
                                            ctx.emit(.plot(id: plotID, figure: curves.live.figure()))
                                            ctx.emit(.progress(progress))
                                        }
                                        lastProgress = progress
                                    },
                                    shouldStop: { ctx.isInterrupted })
        }
        if frames.pending, let lastProgress {
            ctx.emit(.plot(id: plotID, figure: curves.live.figure()))
            ctx.emit(.progress(lastProgress))
        }
        if let message = run.message { ctx.print("warning: " + message) }
        return .object(RunObject(run, curves: curves))
    }
}

/// When to send a live plot's next snapshot: at most one per `interval` of wall time.
///
/// Wall time decides only how many intermediate frames are sent; the last frame is always
/// sent (`pending`), so what a run ends with does not depend on timing.
struct LiveFrames {
    /// Least wall time between two frames: 50 ms, about 20 frames a second.
    static let interval: UInt64 = 50_000_000
    private let interval: UInt64
    private let clock: () -> UInt64
    private var last: UInt64?
    /// True when rows arrived after the last frame sent.
    private(set) var pending = false

    /// A limiter.
    ///
    /// - Parameters:
    ///   - interval: Least time between frames, in nanoseconds.
    ///   - clock: Monotonic nanoseconds (the system's uptime clock by default).
    init(interval: UInt64 = LiveFrames.interval, clock: @escaping () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }) {
        self.interval = interval
        self.clock = clock
    }

    /// Whether a frame is due now; marks it sent when it is, else marks a row pending.
    ///
    /// - Returns: True at the first call and whenever `interval` has passed since the last frame.
    mutating func due() -> Bool {
        let now = clock()
        if let last, now &- last < interval {
            pending = true
            return false
        }
        last = now
        pending = false
        return true
    }
}

// MARK: - Objects

/// A model in the language: `model(x)` predicts; `.params`, `.blocks`, `.p`, `.n`, and for an
/// mlp `.layers`, `.sizes`, `.act`.
public final class ModelObject: CallableObject {
    /// The model (shared: training updates it in place).
    public let model: any Model

    /// Wraps a model.
    ///
    /// - Parameter model: The model.
    public init(_ model: any Model) { self.model = model }

    public var typeName: String { "model" }
    public var fieldNames: [String] {
        model is MLP ? ["params", "blocks", "p", "n", "layers", "sizes", "act"] : ["params", "blocks", "p", "n"]
    }

    public func field(_ name: String) throws -> Value? {
        switch name {
        case "params": return .tensor(model.parameterTensor)
        case "n": return .number(Double(model.parameterCount))
        case "blocks":
            return .list(model.blocks.map { b in
                .record(Record([("name", .string(b.name)), ("offset", .number(Double(b.offset))),
                                ("shape", .tensor(Tensor(b.shape.map(Double.init)))), ("size", .number(Double(b.count)))]))
            })
        case "p":
            return .record(Record(try model.blocks.map { b in
                (b.name, .tensor(try Tensor(shape: b.shape, storage: Array(model.parameters[b.range]))))
            }))
        default: break
        }
        guard let mlp = model as? MLP else { return nil }
        switch name {
        case "sizes": return .tensor(Tensor(mlp.sizes.map(Double.init)))
        case "act": return .string(mlp.activation.rawValue)
        case "layers":
            return .list(try mlp.layers.map { l in
                let (w, b) = try mlp.layerTensors(l.index)
                return .record(Record([("index", .number(Double(l.index))), ("inputs", .number(Double(l.inputs))),
                                       ("outputs", .number(Double(l.outputs))), ("offset", .number(Double(l.weightOffset))),
                                       ("size", .number(Double(l.count))), ("weight", .tensor(w)), ("bias", .tensor(b))]))
            })
        default: return nil
        }
    }

    /// `model.params = p`: replaces the flat parameter vector (as many values as `.n`).
    public func setField(_ name: String, _ value: Value) throws {
        guard name == "params" else { try refuseField(name, assignable: ["params"]) }
        try model.setParameters(try Interpreter.toTensor(value, what: "the value of `params`"))
    }

    public func summary() -> String {
        if let mlp = model as? MLP {
            return "mlp \(mlp.sizes.map(String.init).joined(separator: "-")) \(mlp.activation.rawValue) (\(mlp.parameterCount) parameters)"
        }
        let (n, blocks) = (model.parameterCount, model.blocks.count)
        return "\(model.label) (\(n) parameter\(n == 1 ? "" : "s") in \(blocks) block\(blocks == 1 ? "" : "s"): "
            + "\(model.blocks.map(\.name).joined(separator: ", ")))"
    }

    public func call(_ arguments: CallArguments, context: Interpreter) throws -> Value {
        guard arguments.positional.count == 1, arguments.keywords.isEmpty else {
            throw Diagnostic("a model takes one argument: inputs (samples first) or a dataset", span: nil)
        }
        let input = arguments.positional[0]
        if case let .object(o) = input, let d = o as? DatasetObject { return .tensor(try model.predict(d.data.x)) }
        return .tensor(try model.predict(try Interpreter.toTensor(input, what: "the model's input")))
    }
}

/// A dataset in the language: `.x` (samples along the first axis), `.y` (int64 labels or float
/// targets), `.classes`, `.n`, `.features` (values per sample), `.name`.
public final class DatasetObject: LangObject {
    /// The data.
    public let data: Dataset

    /// Wraps a data set.
    ///
    /// - Parameter data: The data.
    public init(_ data: Dataset) { self.data = data }

    public var typeName: String { "dataset" }
    public var fieldNames: [String] { ["x", "y", "classes", "n", "features", "name", "sharded"] }

    public func field(_ name: String) throws -> Value? {
        switch name {
        case "x": return .tensor(data.x)
        case "y": return .tensor(data.y)
        case "classes": return .number(Double(data.classes))
        case "n": return .number(Double(data.count))
        case "features": return .number(Double(data.features))
        case "name": return .string(data.name)
        case "sharded": return .bool(data.sharded)
        default: return nil
        }
    }

    /// `dataset NAME: N samples × F features, K classes`; for n-d inputs the sample shape
    /// (`N samples of 1×8×8`), and for token ids `N sequences of L tokens`.
    public func summary() -> String {
        let kind = data.classes > 0 ? "\(data.classes) classes" : "regression"
        let samples: String
        if data.x.dtype == .int64, data.x.ndim == 2 {
            samples = "\(data.count) sequences of \(data.features) tokens"
        } else if data.x.ndim == 2 {
            samples = "\(data.count) samples × \(data.features) features"
        } else {
            samples = "\(data.count) samples of \(data.sampleShape.map(String.init).joined(separator: "×"))"
        }
        return "dataset \(data.name): \(samples), \(kind)"
    }
}

/// A training run in the language: `.step .loss .acc .test_loss .test_acc .lr .weights`,
/// `.batch_loss`, `.seconds` (wall-clock seconds of training steps before each row), `.stopped`,
/// `.message`, and every tracked quantity by name.
public final class RunObject: LangObject {
    /// The run.
    public let run: Run
    /// Its curves, filled while it trained (for `plot(run)` and live display).
    public let curves: RunCurves?

    /// Wraps a run.
    ///
    /// - Parameters:
    ///   - run: The run.
    ///   - curves: The curves recorded while it trained, if any.
    public init(_ run: Run, curves: RunCurves? = nil) {
        self.run = run
        self.curves = curves
    }

    /// The run's curves as a figure: loss (and test loss), accuracy, then one panel per tracked
    /// quantity, "sharpness", "trace" and "preconditioned_sharpness" with the optimizer's
    /// stability threshold for each (2/lr for gradient descent's sharpness).
    ///
    /// - Returns: A stacked figure.
    /// - Throws: `PlotError` when the history cannot be drawn.
    public func figure() throws -> Figure {
        if let curves { return curves.live.figure() }
        var c = try RunCurves(tracked: run.trackedNames, hasTest: run.testLoss.contains { !$0.isNaN },
                              thresholds: run.thresholds)
        for i in run.steps.indices {
            c.append(TrainProgress(step: run.steps[i], total: run.totalSteps, loss: run.loss[i], accuracy: run.accuracy[i],
                                   testLoss: run.testLoss[i], lr: run.lr[i],
                                   tracked: run.trackedNames.map { ($0, run.tracked[$0]?[i] ?? .nan) }))
        }
        return c.live.figure()
    }

    public var typeName: String { "run" }

    public var fieldNames: [String] {
        ["step", "loss", "acc", "test_loss", "test_acc", "lr", "seconds", "weights", "batch_loss", "stopped", "message", "steps"]
            + run.tracked.keys.sorted().map(RunObject.fieldName)
    }

    /// A tracked series' field: a tracker's extra series `sharpness.residual` reads as
    /// `run.sharpness_residual`.
    static func fieldName(_ key: String) -> String { key.replacingOccurrences(of: ".", with: "_") }

    public func field(_ name: String) throws -> Value? {
        func vec(_ v: [Double]) -> Value { .tensor(Tensor(v)) }
        switch name {
        case "step": return vec(run.steps.map(Double.init))
        case "loss": return vec(run.loss)
        case "acc": return vec(run.accuracy)
        case "test_loss": return vec(run.testLoss)
        case "test_acc": return vec(run.testAccuracy)
        case "lr": return vec(run.lr)
        case "seconds": return vec(run.seconds)
        case "batch_loss": return vec(run.batchLoss)
        case "steps": return .number(Double(run.stepsTaken))
        case "message": return .string(run.message ?? "")
        case "stopped":
            switch run.stop {
            case .completed: return .string("completed")
            case .cancelled: return .string("interrupted")
            case .diverged: return .string("diverged")
            }
        case "weights":
            let p = run.weights.first?.count ?? 0
            return .tensor(try Tensor(shape: [run.weights.count, p], storage: run.weights.flatMap { $0 }))
        default:
            if let series = run.tracked[name] ?? run.tracked.first(where: { RunObject.fieldName($0.key) == name })?.value {
                return vec(series)
            }
            if TrackerRegistry.shared.entry(name) != nil {
                throw Diagnostic("this run did not track `\(name)`", span: nil,
                                 help: ["pass track=[\"\(name)\"] to train"])
            }
            return nil
        }
    }

    public func summary() -> String { run.summary() }
}

/// `plot(run)` draws the same curves as the live plot of the run.
extension RunObject: PlottableObject {}

/// The curves of a training run, appended row by row, in the panels ``RunLayout`` gives.
public struct RunCurves: Sendable {
    /// The live plot (O(1) per row; snapshots cost O(capacity)).
    public private(set) var live: LivePlot
    let layout: RunLayout
    /// The optimizer's stability thresholds, drawn on the panels of quantities with a bound.
    let thresholds: [StabilityBound: StabilityThreshold]

    /// Curves for the given tracked names.
    ///
    /// - Parameters:
    ///   - tracked: Tracked quantities with a panel each.
    ///   - hasTest: Whether a test loss is drawn.
    ///   - thresholds: The optimizer's stability thresholds by bound; a panel whose bound has
    ///     none draws no line.
    /// - Throws: `PlotError` for an invalid layout.
    public init(tracked: [String], hasTest: Bool, thresholds: [StabilityBound: StabilityThreshold]) throws {
        layout = RunLayout(tracked: tracked, hasTest: hasTest)
        self.thresholds = thresholds
        let series = layout.panels.enumerated().flatMap { i, p in p.series.map { ($0, i) } }
        live = try LivePlot(series: series.map(\.0), panels: series.map(\.1), panelLabels: layout.panels.map(\.label))
        live.xlabel = "step"
    }

    /// Appends one row of the history.
    ///
    /// - Parameter p: The row as the trainer reports it.
    public mutating func append(_ p: TrainProgress) {
        let x = Double(p.step)
        // `fields` leaves out a NaN accuracy (regression) and a NaN test loss; a run with a test
        // set draws every row of it.
        let values = Dictionary(p.fields + [("test_loss", p.testLoss)], uniquingKeysWith: { a, _ in a })
        for (i, panel) in layout.panels.enumerated() {
            for name in panel.series {
                if let y = values[name] { try? live.append(name, x: x, y: y) }
            }
            if let bound = panel.bound, let threshold = thresholds[bound], let b = threshold.value(lr: p.lr) {
                live.setHLine(b, label: threshold.label, panel: i)
            }
        }
    }
}
