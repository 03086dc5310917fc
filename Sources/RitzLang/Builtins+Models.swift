import RitzAutodiff
import RitzLearn
import RitzTensor

extension Builtins {
    /// `model(fn, params)`: a ``FunctionModel`` whose forward pass calls the user's `fn(p, x)`
    /// with `p` shaped as `params` was given (a record by field name, or a list), each tensor a
    /// traced slice of the flat parameter vector while derivatives are taken.
    ///
    /// - Throws: A `Diagnostic` when `params` is not a non-empty record or list of real tensors.
    static func functionModel(_ a: Args) throws -> FunctionModel {
        let fn = try a.callable("fn")
        if let range = arity(fn), !range.contains(2) {
            throw Diagnostic("the function of `model` takes the parameters and the inputs, fn(p, x); this one takes \(describe(range))",
                             span: nil, help: ["write it as `(p, x) -> …`, reading the parameter tensors from p (`p.w`)"])
        }
        let given = try a.valueOrThrow("params")
        let named: [(String, Value)]
        let isRecord: Bool
        switch given {
        case let .record(r):
            named = Array(zip(r.names, r.values))
            isRecord = true
        case let .list(items):
            named = items.enumerated().map { ("\($0.offset)", $0.element) }
            isRecord = false
        default:
            throw Diagnostic("`model` takes its parameters as a record of tensors, e.g. (w=randn(3, 2), b=zeros(3)), got a \(given.typeName)",
                             span: nil, help: ["a list of tensors works too, but tensors of one shape written as a list stack into one tensor; "
                                    + "a record keeps them apart and names the blocks"])
        }
        guard !named.isEmpty else { throw Diagnostic("`model` needs at least one parameter tensor", span: nil) }
        var blocks: [(name: String, shape: [Int])] = []
        var values: [Double] = []
        for (name, v) in named {
            let t = try Interpreter.toTensor(Interpreter.detach(v), what: "parameter `\(name)` of `model`")
            guard !t.isComplex else { throw Diagnostic("parameter `\(name)` of `model` is complex; parameters are real", span: nil) }
            try AllocationLimit.check(elements: values.count + t.count)
            blocks.append((name, t.shape))
            values += try t.asFloat().storage
        }
        let names = blocks.map(\.name)
        let fnName: String
        if case let .function(f) = fn { fnName = f.name } else { fnName = fn.typeName }
        // The model may outlive a session reset: it holds the interpreter weakly.
        weak let context = a.context
        // A function of fixed form (dense layers and activations of p and x) replays its training
        // steps; any other is recorded every step, as it may branch on values or have effects.
        var staticForm: (() -> Bool)?
        if case let .function(f) = fn, case let .user(u) = f.kind, let network = u.network {
            staticForm = { network.holds }
        }
        return try FunctionModel(blocks: blocks, parameters: values, label: "model(\(fnName))", staticForm: staticForm) { parts, x in
            guard let ctx = context else {
                throw Diagnostic("this model's function belonged to a session that has ended", span: nil)
            }
            let tensors = parts.map(Interpreter.valueOf)
            let p: Value = isRecord ? .record(Record(Array(zip(names, tensors)))) : .list(tensors)
            let out = try ctx.call(fn, [p, Interpreter.wrap(x)])
            switch out {
            case .traced, .tensor, .number, .list: return try Interpreter.varOf(out)
            default:
                throw Diagnostic("the function of `model` must return the outputs as a tensor, got a \(out.typeName)", span: nil)
            }
        }
    }
}

extension Builtins {
    /// The model library (SPEC §5, "Models from functions"): constructors of common networks as
    /// function models, each with its parameter names and initialisation documented in RitzLearn.
    static var modelLibrary: [BuiltinEntry] {
        let g = "Models and training"
        let sizes = { (values: [Int]) in Value.list(values.map { .number(Double($0)) }) }
        return [
            BuiltinEntry("cnn", [.keyword("input", default: sizes([1, 8, 8])), .keyword("channels", default: sizes([16, 32])),
                                 .keyword("classes", default: .number(10)), .keyword("kernel", default: .number(3)),
                                 .keyword("pool", default: .number(2)), .keyword("act", default: .string("relu")),
                                 .keyword("seed")],
                         group: g,
                         summary: "a convolutional classifier on images [N, C, H, W] (or rows of C·H·W features): per channel count a kernel×kernel \"same\" conv with bias → act → pool×pool max-pool, then dense to classes; blocks conv0.w, conv0.b, …, dense.w, dense.b; weights N(0, g²/fan_in) (g = √2 relu/gelu, else 1), biases 0",
                         examples: ["m = cnn(input=[1, 8, 8], channels=[4, 8], classes=10, seed=0)\n[m.blocks[0].name, m.blocks[4].name]",
                                    "m = cnn(input=[1, 4, 4], channels=[2], classes=3, seed=0)\nshape(m(ones(5, 16)))"]) { a in
                let ints = { (name: String) in try a.list(name).map { try Interpreter.toInt($0, what: "an element of `\(name)` of `cnn`") } }
                return .object(ModelObject(try FunctionModel.cnn(input: try ints("input"), channels: try ints("channels"),
                                                                 classes: try a.int("classes"), kernel: try a.int("kernel"),
                                                                 pool: try a.int("pool"), activation: try Activation(name: try a.string("act")),
                                                                 seed: try learnSeed(a))))
            },
            BuiltinEntry("transformer", [Param("vocab"), Param("seq"), .keyword("width", default: .number(64)),
                                         .keyword("heads", default: .number(4)), .keyword("depth", default: .number(2)),
                                         .keyword("classes"), .keyword("mlp", default: .number(4)),
                                         .keyword("act", default: .string("gelu")), .keyword("output", default: .string("last")),
                                         .keyword("seed")],
                         group: g,
                         summary: "a causal transformer on token ids [N, L] (L ≤ seq): embeddings, depth pre-norm blocks of multi-head attention and an mlp (mlp·width, act), final norm, head to classes (default vocab); output=\"last\" gives [N, classes], \"all\" [N, L, classes]; blocks embed, pos, block0.ln1.g, block0.attn.q, …, ln.g, ln.b, head",
                         examples: ["m = transformer(11, 4, width=8, heads=2, depth=1, seed=0)\nshape(m([1, 2, 3, 4; 5, 6, 7, 8]))",
                                    "m = transformer(5, 3, width=4, heads=2, depth=1, output=\"all\", seed=0)\n[m.blocks[2].name, m.blocks[4].name]"]) { a in
                let outputName = try a.string("output")
                guard let output = FunctionModel.SequenceOutput(rawValue: outputName) else {
                    throw Diagnostic("argument `output` of `transformer` must be \"last\" or \"all\", got \"\(outputName)\"", span: nil)
                }
                return .object(ModelObject(try FunctionModel.transformer(
                    vocab: try a.int("vocab"), seq: try a.int("seq"), width: try a.int("width"), heads: try a.int("heads"),
                    depth: try a.int("depth"), classes: try a.optionalInt("classes"), mlp: try a.int("mlp"),
                    activation: try Activation(name: try a.string("act")), output: output, seed: try learnSeed(a))))
            },
        ].map { $0.differentiation(.notDifferentiable) }
    }

    /// State-space model constructors (the model library's sequence models).
    static var stateSpaceModels: [BuiltinEntry] {
        [
            BuiltinEntry("s4d", [.keyword("features", default: .number(1)), .keyword("channels", default: .number(32)),
                                 .keyword("state", default: .number(32)), .keyword("depth", default: .number(1)),
                                 .keyword("classes", default: .number(10)), .keyword("init", default: .string("lin")),
                                 .keyword("dt_min", default: .number(1e-3)), .keyword("dt_max", default: .number(1e-1)),
                                 .keyword("seed")],
                         group: "Models and training",
                         summary: "an S4D sequence classifier (Gu et al. 2022) on inputs [N, L, features]: encoder → depth × (diagonal SSM with state complex modes per channel, zero-order hold, K[l] = 2 Re Σ C̃ Āˡ; gelu; residual) → mean over L → decoder; init \"lin\" or \"inv\" as s4d_init (A = −½ + iπk, or −½ + i(N/π)(N/(2k+1) − 1) with N = 2·state); blocks layerK.log_dt, .log_a, .a_im, .c_re, .c_im, .d",
                         examples: ["m = s4d(features=1, channels=4, state=2, classes=3, seed=0)\nm(ones(2, 5, 1)).shape",
                                    "s4d(channels=2, state=2, seed=0).blocks[2].name"]) { a in
                guard let initialization = S4D.Initialization(rawValue: try a.string("init")) else {
                    throw Diagnostic("unknown S4D initialisation \"\(try a.string("init"))\"; expected \"lin\" or \"inv\"", span: nil)
                }
                return .object(ModelObject(try S4D.model(features: try a.int("features"), channels: try a.int("channels"),
                                                         state: try a.int("state"), depth: try a.int("depth"),
                                                         classes: try a.int("classes"), initialization: initialization,
                                                         dtRange: (try a.double("dt_min"), try a.double("dt_max")),
                                                         seed: try learnSeed(a))))
            },
        ]
    }
}
