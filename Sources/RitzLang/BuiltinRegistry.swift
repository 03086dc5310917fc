import RitzAnalysis
import RitzAutodiff
import RitzTensor

/// A parameter of a builtin.
public struct Param {
    /// How an argument reaches the parameter.
    public enum Kind {
        /// By position or by name.
        case positional
        /// Only as `name=value`.
        case keyword
        /// Collects the remaining positional arguments (`d...`).
        case variadic
    }
    /// The name, as a keyword argument spells it.
    public var name: String
    /// How it is passed.
    public var kind: Kind
    /// nil: required. `.some(.none)`: optional without a value. Otherwise the default.
    public var defaultValue: Value?

    /// A required positional parameter.
    public init(_ name: String) { self.name = name; kind = .positional; defaultValue = nil }

    /// A positional parameter with a default (`.none` for an optional one without value).
    public init(_ name: String, default value: Value) { self.name = name; kind = .positional; defaultValue = value }

    /// A keyword-only parameter with a default (`.none` when absent means "not given").
    public static func keyword(_ name: String, default value: Value = .none) -> Param {
        var p = Param(name, default: value)
        p.kind = .keyword
        return p
    }

    /// A variadic parameter collecting the remaining positional arguments.
    public static func variadic(_ name: String) -> Param {
        var p = Param(name, default: .none)
        p.kind = .variadic
        return p
    }

    /// `name`, `name=default`, `name=` or `name...` as the signature shows it.
    var display: String {
        switch kind {
        case .variadic: return "\(name)..."
        default:
            guard let d = defaultValue else { return name }
            if case .none = d { return "\(name)=" }
            return "\(name)=\(displayInline(d))"
        }
    }
}

/// How a builtin differentiates, declared in its registry entry; the tape and help read it.
public enum Differentiation {
    /// Refuses traced arguments with "`name` is not differentiable".
    case notDifferentiable
    /// Reads only values (shapes, predicates, printing, piecewise-constant functions): traced
    /// arguments are replaced by their values and the result carries no derivative.
    case constant
    /// The traced implementation: it computes on `Var`s, so derivatives flow in reverse and
    /// forward mode (and to second order); it reads the arguments bound to the entry's own
    /// parameters and must accept everything the plain implementation accepts.
    case rule((Args) throws -> Value)
    /// A transform (`grad` and the functions it returns): takes traced values itself, so
    /// transforms nest (`grad(grad(f))`).
    case transform
    /// Only rearranges its arguments (`enumerate`, `zip`): traced values pass through it
    /// untouched, derivatives and all.
    case passesThrough

    /// The help line: `differentiable: yes (reverse and forward mode)`, `no`, `constant`, `transform`.
    var helpLine: String {
        switch self {
        case .notDifferentiable: return "differentiable: no"
        case .constant: return "differentiable: constant (uses only the values; no derivative flows)"
        case .rule: return "differentiable: yes (reverse and forward mode)"
        case .transform: return "differentiable: transform (nests: grad of grad)"
        case .passesThrough: return "differentiable: yes (passes its arguments through unchanged)"
        }
    }
}

/// One builtin: everything help, completion, argument checking and the example tests need.
public struct BuiltinEntry {
    /// The name it is called by.
    public var name: String
    /// Its parameters in order.
    public var params: [Param]
    /// A one-line summary.
    public var summary: String
    /// Example code (run as tests; each must run without error).
    public var examples: [String]
    /// The group it belongs to in help (`Create and shape`, …).
    public var group: String
    /// The implementation, given the bound arguments.
    public var impl: (Args) throws -> Value
    /// How it differentiates; `.notDifferentiable` unless the entry declares otherwise.
    public var differentiation: Differentiation = .notDifferentiable

    /// An entry.
    ///
    /// - Parameters:
    ///   - name: The name.
    ///   - params: Parameters in order.
    ///   - group: The help group.
    ///   - summary: One line.
    ///   - examples: Runnable examples.
    ///   - impl: The implementation.
    public init(_ name: String, _ params: [Param], group: String, summary: String, examples: [String],
                impl: @escaping (Args) throws -> Value) {
        self.name = name
        self.params = params
        self.summary = summary
        self.examples = examples
        self.group = group
        self.impl = impl
    }

    /// The entry with its way of differentiating declared.
    ///
    /// - Parameter d: How it differentiates.
    /// - Returns: The same entry carrying `d`.
    public func differentiation(_ d: Differentiation) -> BuiltinEntry {
        var e = self
        e.differentiation = d
        return e
    }

    /// The entry with a traced implementation returning one `Var`, for the common case.
    ///
    /// - Parameter rule: Computes the result on `Var`s from the bound arguments.
    /// - Returns: The same entry differentiating by `rule`.
    public func differentiable(_ rule: @escaping (Args) throws -> Var) -> BuiltinEntry {
        differentiation(.rule { a in Interpreter.valueOf(try rule(a)) })
    }

    /// `name(a, b=1, seed=)`.
    public var signature: String { name + "(" + params.map(\.display).joined(separator: ", ") + ")" }

    /// The help text: signature, summary, how it differentiates, and examples.
    public var helpText: String {
        var s = "\(signature)\n  \(summary)\n  \(differentiation.helpLine)"
        if !examples.isEmpty {
            s += "\n  example:"
            for e in examples { s += "\n    " + e.replacingOccurrences(of: "\n", with: "\n    ") }
        }
        return s
    }

    /// Binds call arguments to parameters.
    ///
    /// - Throws: A `Diagnostic` (without span) for missing, surplus, unknown or repeated arguments.
    func bind(_ call: CallArguments, context: Interpreter, span: SourceSpan?) throws -> Args {
        var values = [Value?](repeating: nil, count: params.count)
        var rest: [Value] = []
        var pi = 0
        for v in call.positional {
            while pi < params.count && params[pi].kind == .keyword { pi += 1 }
            guard pi < params.count else {
                let n = params.filter { $0.kind == .positional }.count
                // The first value past the positional ones most likely meant the first keyword.
                var help = ["signature: \(signature)"]
                let keywords = params.filter { $0.kind == .keyword }.map(\.name)
                if let first = keywords.first, n < call.positional.count {
                    var shown = "…"
                    if case let .number(x) = call.positional[n] { shown = formatNumber(x) }
                    let others = keywords.count > 1 ? ", as is every argument the signature shows with `=`" : ""
                    help.insert("`\(first)` is given by name, `\(first)=\(shown)`\(others)", at: 0)
                }
                throw Diagnostic("`\(name)` takes \(n == 0 ? "no" : "at most \(n)") positional argument\(n == 1 ? "" : "s"), got \(call.positional.count)",
                                 span: nil, help: help)
            }
            if params[pi].kind == .variadic { rest.append(v); continue }
            values[pi] = v
            pi += 1
        }
        for (k, v) in call.keywords {
            guard let i = params.firstIndex(where: { $0.name == k && $0.kind != .variadic }) else {
                let accepted = params.filter { $0.kind != .variadic }.map(\.name)
                var help = [accepted.isEmpty ? "`\(name)` takes no keyword arguments"
                            : "accepted keywords: " + accepted.joined(separator: ", ")]
                // Another library's name for the same thing first: `label` means the legend, not `xlabel`.
                if let near = ForeignSpellings.keywords[k]?.first(where: accepted.contains) ?? nearestName(k, accepted) {
                    help.insert("did you mean `\(near)`?", at: 0)
                }
                // A learning rate or a momentum is the optimizer's, not the trainer's.
                if ForeignSpellings.optimizerSettings.contains(k), accepted.contains("opt") {
                    help.insert("`\(k)` belongs to the optimizer: pass `opt` as `sgd(0.1)`, `adam(0.001)`, …", at: 0)
                }
                throw Diagnostic("unknown keyword argument `\(k)` for `\(name)`", span: nil, help: help)
            }
            guard values[i] == nil else {
                throw Diagnostic("argument `\(k)` of `\(name)` given twice", span: nil, help: ["signature: \(signature)"])
            }
            values[i] = v
        }
        for (i, p) in params.enumerated() where values[i] == nil {
            if let d = p.defaultValue {
                if case .none = d { continue }
                values[i] = d
            } else if p.kind != .variadic {
                throw Diagnostic("missing argument `\(p.name)` of `\(name)`", span: nil, help: ["signature: \(signature)"])
            }
        }
        return Args(entry: self, values: values, rest: rest, context: context, span: span)
    }
}

/// All builtins of a session, by name.
public final class BuiltinRegistry {
    /// Entries in registration order.
    public private(set) var entries: [BuiltinEntry] = []
    private var byName: [String: Int] = [:]

    /// An empty registry.
    public init() {}

    /// The registry holding every builtin of ritz (the arrays listed in `Builtins.all`).
    public static func standard() -> BuiltinRegistry {
        let r = BuiltinRegistry()
        for group in Builtins.all { r.register(group) }
        // `train(track=["sharpness", "trace"])` measures through the curvature trackers.
        CurvatureTrackers.register()
        return r
    }

    /// Adds entries; a later entry with the same name replaces an earlier one.
    ///
    /// - Parameter group: The entries.
    public func register(_ group: [BuiltinEntry]) {
        for e in group {
            if let i = byName[e.name] { entries[i] = e } else { byName[e.name] = entries.count; entries.append(e) }
        }
    }

    /// The entry called `name`.
    public func entry(_ name: String) -> BuiltinEntry? { byName[name].map { entries[$0] } }

    /// Every name, sorted.
    public var names: [String] { entries.map(\.name).sorted() }
}

/// The arrays of registry entries, one per domain. A domain adds its array here.
public enum Builtins {
    /// Every group, in help order.
    static var all: [[BuiltinEntry]] {
        [create, elementwise, reduce, statistics, linalg, fourier, io, session, iteration, autodiff, losses, convolution, learn, curvature, operators, kronecker, koopman, stateSpace, graphs, sparse, grassmann, plots]
    }
}
