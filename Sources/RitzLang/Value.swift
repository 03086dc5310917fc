import RitzAutodiff
import RitzTensor

/// A value of the ritz language.
public enum Value {
    /// No value (the result of a statement, `print`, or `if` without `else` when false).
    case none
    /// A Float64 number.
    case number(Double)
    /// A truth value.
    case bool(Bool)
    /// Text.
    case string(String)
    /// An n-d tensor (float64, complex128 or bool); complex scalars are 0-d complex tensors.
    case tensor(Tensor)
    /// A tensor being differentiated (inside `grad`, `hvp`, …): its value and its place on the tape.
    case traced(Var)
    /// An ordered list of values.
    case list([Value])
    /// Named fields, `(a=1, b=2)`.
    case record(Record)
    /// A user function, a lambda or a builtin.
    case function(Function)
    /// A domain object: model, dataset, optimizer, operator, graph, run, plot.
    case object(any LangObject)

    /// The name of the value's type, as error messages say it.
    public var typeName: String {
        switch self {
        case .none: return "none"
        case .number: return "number"
        case .bool: return "bool"
        case .string: return "string"
        case let .tensor(t): return t.isComplex && t.ndim == 0 ? "complex number" : "tensor"
        case .traced: return "tensor"
        case .list: return "list"
        case .record: return "record"
        case .function: return "function"
        case let .object(o): return o.typeName
        }
    }
}

/// A record value: field names and values in order.
public struct Record {
    /// Field names, in the order written.
    public let names: [String]
    /// Field values, parallel to `names`.
    public let values: [Value]

    /// A record of the given fields.
    ///
    /// - Parameter fields: `(name, value)` pairs in order.
    public init(_ fields: [(String, Value)]) {
        names = fields.map { $0.0 }
        values = fields.map { $0.1 }
    }

    /// The value of field `name`, if present.
    public subscript(_ name: String) -> Value? {
        guard let i = names.firstIndex(of: name) else { return nil }
        return values[i]
    }
}

/// A domain object exposed to the language: fields are read with `.`.
public protocol LangObject: AnyObject {
    /// `model`, `dataset`, `operator`, …
    var typeName: String { get }
    /// The value of field `name`, or nil when there is no such field.
    ///
    /// - Throws: A `Diagnostic` (without span) when reading the field fails.
    func field(_ name: String) throws -> Value?
    /// Every field name, for completion and suggestions.
    var fieldNames: [String] { get }
    /// A one-line summary for display.
    func summary() -> String
    /// Assigns field `name` (`obj.name = value`), changing the object in place.
    ///
    /// - Parameters:
    ///   - name: The field.
    ///   - value: The new value.
    /// - Throws: A `Diagnostic` (without span) when the field cannot be assigned or the value
    ///   does not fit; the default refuses every field.
    func setField(_ name: String, _ value: Value) throws
}

extension LangObject {
    /// Refuses: the fields of this object are read-only.
    public func setField(_ name: String, _ value: Value) throws {
        try refuseField(name)
    }

    /// Throws the diagnostic for a field that cannot be assigned: unknown (with the nearest
    /// name) or read-only.
    ///
    /// - Parameters:
    ///   - name: The field.
    ///   - assignable: The fields of this object that can be assigned.
    /// - Throws: Always.
    public func refuseField(_ name: String, assignable: [String] = []) throws -> Never {
        let canSet = assignable.isEmpty ? "the fields of a \(typeName) are read-only"
            : "assignable fields of a \(typeName): " + assignable.joined(separator: ", ")
        guard fieldNames.contains(name) else {
            var help = ["fields: " + fieldNames.joined(separator: ", ")]
            if let near = nearestName(name, fieldNames) { help.insert("did you mean `\(near)`?", at: 0) }
            throw Diagnostic("a \(typeName) has no field `\(name)`", span: nil, help: help)
        }
        throw Diagnostic("cannot assign to `\(name)`: it is a read-only field of a \(typeName)", span: nil, help: [canSet])
    }
}

/// A domain object called like a function (`model(x)`).
public protocol CallableObject: LangObject {
    /// Calls the object.
    ///
    /// - Parameters:
    ///   - arguments: The positional and keyword arguments as written.
    ///   - context: The interpreter, to call functions, use the generator or emit events.
    /// - Returns: The result.
    /// - Throws: A `Diagnostic` (the call's span is filled in) or a typed tensor error.
    func call(_ arguments: CallArguments, context: Interpreter) throws -> Value
}

/// A domain object taking part in arithmetic (`H @ v` for an operator, `p + q` for plots).
public protocol ArithmeticObject: LangObject {
    /// `self op other` (`selfOnLeft`) or `other op self`; nil when the operation is not defined.
    ///
    /// - Throws: A `Diagnostic` or a typed tensor error.
    func binary(_ op: BinaryOperator, _ other: Value, selfOnLeft: Bool, context: Interpreter) throws -> Value?
}

/// Arguments of a call as written: positional values, then `name=value` pairs.
public struct CallArguments {
    /// Positional arguments in order.
    public var positional: [Value]
    /// Keyword arguments in order.
    public var keywords: [(name: String, value: Value)]

    /// Arguments.
    public init(_ positional: [Value], keywords: [(name: String, value: Value)] = []) {
        self.positional = positional
        self.keywords = keywords
    }
}

/// A callable function value: a user function or lambda, or a registry entry.
public final class Function {
    enum Kind {
        case user(UserFunction)
        case builtin(BuiltinEntry)
    }
    let kind: Kind

    init(user: UserFunction) { kind = .user(user) }

    /// A function implemented in Swift, described by a registry entry (also how `grad(f)`
    /// returns a function).
    ///
    /// - Parameter entry: Name, parameters and implementation.
    public init(_ entry: BuiltinEntry) { kind = .builtin(entry) }

    /// The function's name (`lambda` for anonymous ones).
    public var name: String {
        switch kind {
        case let .user(u): return u.name
        case let .builtin(b): return b.name
        }
    }

    /// The names its arguments can be passed by (`f(x, lam=0.1)`), for completion.
    public var parameterNames: [String] {
        switch kind {
        case let .user(u): return u.params
        case let .builtin(b): return b.params.filter { $0.kind != .variadic }.map(\.name)
        }
    }

    /// `name(a, b=1)`.
    public var signature: String {
        switch kind {
        case let .user(u):
            return u.name + "(" + zip(u.params, u.defaults).map { p, d in
                d.map { "\(p)=\(displayInline($0))" } ?? p
            }.joined(separator: ", ") + ")"
        case let .builtin(b): return b.signature
        }
    }
}

/// A compiled user function or lambda with its captured frame.
final class UserFunction {
    let name: String
    let params: [String]
    let defaults: [Value?]
    let slotCount: Int
    let body: Code
    let bodyJumps: Bool
    let captured: Frame?
    /// The body as a network of fixed form, when it is one (a model's function whose training
    /// steps may replay their recording).
    let network: StaticNetwork?

    init(name: String, params: [String], defaults: [Value?], slotCount: Int, body: @escaping Code,
         bodyJumps: Bool, captured: Frame?, network: StaticNetwork? = nil) {
        self.name = name
        self.params = params
        self.defaults = defaults
        self.slotCount = slotCount
        self.body = body
        self.bodyJumps = bodyJumps
        self.captured = captured
        self.network = network
    }
}

/// The local variables of one function activation; closures keep their defining frame alive.
final class Frame {
    let slots: UnsafeMutablePointer<Value?>
    let count: Int
    let parent: Frame?

    init(count: Int, parent: Frame?) {
        self.count = count
        self.parent = parent
        slots = UnsafeMutablePointer<Value?>.allocate(capacity: Swift.max(count, 1))
        slots.initialize(repeating: nil, count: Swift.max(count, 1))
    }

    deinit {
        slots.deinitialize(count: Swift.max(count, 1))
        slots.deallocate()
    }

    /// The frame `depth` levels out.
    @inline(__always) func up(_ depth: Int) -> Frame {
        var f = self
        for _ in 0..<depth { f = f.parent ?? f }
        return f
    }
}

/// One global variable. Compiled code holds the box itself, so access is one load.
final class GlobalBox {
    let name: String
    let slot: UnsafeMutablePointer<Value?>
    /// True while the box holds the builtin it was created with.
    var isBuiltin = false

    init(name: String) {
        self.name = name
        slot = UnsafeMutablePointer<Value?>.allocate(capacity: 1)
        slot.initialize(to: nil)
    }

    deinit {
        slot.deinitialize(count: 1)
        slot.deallocate()
    }
}

/// Compiled code of an expression or statement.
typealias Code = (Frame) throws -> Value
