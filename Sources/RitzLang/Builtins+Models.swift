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
                             span: nil, help: ["a list of tensors works too; the record's field names then name the blocks"])
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
        weak var context = a.context
        return try FunctionModel(blocks: blocks, parameters: values, label: "model(\(fnName))") { parts, x in
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
