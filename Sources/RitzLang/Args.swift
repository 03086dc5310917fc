import RitzTensor

/// The arguments of a builtin call, bound to its parameters, with typed accessors that throw
/// clear errors.
public struct Args {
    /// The entry being called.
    public let entry: BuiltinEntry
    let values: [Value?]
    /// Values collected by the variadic parameter.
    public let rest: [Value]
    /// The interpreter: generator, events, interrupt checks, calling functions.
    public let context: Interpreter
    /// The span of the call, when called from source.
    public let span: SourceSpan?

    private func index(_ name: String) -> Int? { entry.params.firstIndex { $0.name == name } }

    /// The argument of parameter `name`; nil when it was not given and has no default (or is `none`).
    public func value(_ name: String) -> Value? {
        guard let i = index(name), let v = values[i] else { return nil }
        if case .none = v { return nil }
        return v
    }

    /// True when `none` was passed for `name` explicitly (NumPy's `axis=None`), as opposed to
    /// the parameter taking its default.
    public func isExplicitNone(_ name: String) -> Bool {
        guard let i = index(name), case .none? = values[i] else { return false }
        return entry.params[i].defaultValue.map { if case .none = $0 { return false } else { return true } } ?? true
    }

    /// True when `name` has a value.
    public func has(_ name: String) -> Bool { value(name) != nil }

    private func required(_ name: String) throws -> Value {
        guard let v = value(name) else {
            throw Diagnostic("missing argument `\(name)` of `\(entry.name)`", span: nil, help: ["signature: \(entry.signature)"])
        }
        return v
    }

    /// The argument as a tensor (numbers, bools and lists of numbers convert).
    ///
    /// - Throws: A `Diagnostic` naming the parameter for other values.
    public func tensor(_ name: String) throws -> Tensor {
        try Interpreter.toTensor(try required(name), what: "argument `\(name)` of `\(entry.name)`")
    }

    /// The argument as a tensor, or nil when absent.
    public func optionalTensor(_ name: String) throws -> Tensor? {
        guard let v = value(name) else { return nil }
        return try Interpreter.toTensor(v, what: "argument `\(name)` of `\(entry.name)`")
    }

    /// The argument as a real number.
    public func double(_ name: String) throws -> Double {
        try Interpreter.toDouble(try required(name), what: "argument `\(name)` of `\(entry.name)`")
    }

    /// The argument as a real number, or nil when absent.
    public func optionalDouble(_ name: String) throws -> Double? {
        guard let v = value(name) else { return nil }
        return try Interpreter.toDouble(v, what: "argument `\(name)` of `\(entry.name)`")
    }

    /// The argument as an integer (an integral number).
    public func int(_ name: String) throws -> Int {
        try Interpreter.toInt(try required(name), what: "argument `\(name)` of `\(entry.name)`")
    }

    /// The argument as an integer, or nil when absent.
    public func optionalInt(_ name: String) throws -> Int? {
        guard let v = value(name) else { return nil }
        return try Interpreter.toInt(v, what: "argument `\(name)` of `\(entry.name)`")
    }

    /// The argument as a truth value.
    public func bool(_ name: String) throws -> Bool {
        let v = try required(name)
        switch v {
        case let .bool(b): return b
        case let .number(x): return x != 0
        default: throw Diagnostic("argument `\(name)` of `\(entry.name)` must be true or false, got a \(v.typeName)", span: nil)
        }
    }

    /// The argument as a string.
    public func string(_ name: String) throws -> String {
        let v = try required(name)
        guard case let .string(s) = v else {
            throw Diagnostic("argument `\(name)` of `\(entry.name)` must be a string, got a \(v.typeName)", span: nil)
        }
        return s
    }

    /// The argument as a file path, checked before anything looks at it (its extension
    /// included): no NUL or other control character, a leading `~` expanded to `$HOME`.
    ///
    /// - Throws: A `Diagnostic` for a non-string, `PathError` naming the parameter for an empty
    ///   path or one with a control character.
    public func path(_ name: String) throws -> String {
        try FilePath.checked(string(name), argument: "argument `\(name)` of `\(entry.name)`")
    }

    /// The argument when it is a string; nil when absent or of another kind.
    public func optionalStringArgument(_ name: String) -> String? {
        if case let .string(s)? = value(name) { return s }
        return nil
    }

    /// The argument as a string, or nil when absent.
    public func optionalString(_ name: String) throws -> String? {
        guard has(name) else { return nil }
        return try string(name)
    }

    /// The argument as a list of values (a list, or a tensor's first axis).
    public func list(_ name: String) throws -> [Value] {
        let v = try required(name)
        switch v {
        case let .list(items): return items
        case let .tensor(t) where t.ndim >= 1: return try Interpreter.unstack(t)
        default: throw Diagnostic("argument `\(name)` of `\(entry.name)` must be a list, got a \(v.typeName)", span: nil)
        }
    }

    /// The argument as a function value (or callable object).
    public func callable(_ name: String) throws -> Value {
        let v = try required(name)
        switch v {
        case .function: return v
        case let .object(o) where o is CallableObject: return v
        default: throw Diagnostic("argument `\(name)` of `\(entry.name)` must be a function, got a \(v.typeName)", span: nil)
        }
    }

    /// The argument as a domain object of type `T`.
    public func object<T>(_ name: String, as type: T.Type, described: String) throws -> T {
        let v = try required(name)
        if case let .object(o) = v, let t = o as? T { return t }
        throw Diagnostic("argument `\(name)` of `\(entry.name)` must be a \(described), got a \(v.typeName)", span: nil)
    }

    /// The variadic arguments as integers (dimensions); a single list or 1-d tensor is unpacked.
    public func dims() throws -> [Int] {
        var items = rest
        if items.count == 1 {
            switch items[0] {
            case let .list(l): items = l
            case let .tensor(t) where t.ndim == 1: items = t.storage.map { .number($0) }
            default: break
            }
        }
        return try items.map { try Interpreter.toInt($0, what: "a dimension of `\(entry.name)`") }
    }

    /// The axis permutation given as `perm=` (nil when absent).
    ///
    /// - Throws: A `Diagnostic` when an entry is not a whole number.
    func permutation() throws -> [Int]? {
        try optionalTensor("perm").map { try $0.storage.map { try Interpreter.toInt(.number($0), what: "an axis") } }
    }

    /// The raw argument of parameter `name` (nil when absent), without conversion.
    public func raw(_ name: String) -> Value? { value(name) }
}
