import Foundation
import RitzTensor
import Synchronization

/// The flag a running cell checks at loop back-edges, calls and inside long builtins.
final class InterruptFlag: Sendable {
    let raised = Atomic<Bool>(false)
}

/// Mutable interpreter state reached through a pointer, so hot paths pay no exclusivity checks.
struct ExecState {
    /// 0 none, 1 break, 2 continue, 3 return: a jump in statement position sets it and blocks
    /// unwind to the loop or function that consumes it.
    var control: Int = 0
    /// Nested user-function calls.
    var depth: Int = 0
}

/// A jump thrown from a place where the flag cannot be used (inside an expression). Thrown and
/// caught within one evaluation, on the thread that runs it, so its value never crosses threads.
struct JumpSignal: Error, @unchecked Sendable {
    var control: Int
    var value: Value
}

/// Runs compiled code of a session and is the context every builtin receives: the random
/// generator, events, interrupt checks, and calls back into functions.
public final class Interpreter {
    /// Deepest nesting of user-function calls.
    public static let maxCallDepth = 20_000

    let state: UnsafeMutablePointer<ExecState>
    var returnValue: Value = .none
    let interruptFlag: InterruptFlag
    /// The session's generator (seeded by `seed(n)`; random builtins with `seed=` use their own).
    public var rng = RandomGenerator(seed: 0)
    /// Where events go while a cell runs.
    var sink: EventSink?
    /// The registry (for help).
    public let registry: BuiltinRegistry
    var globals: GlobalTable
    /// Plot ids handed out so far.
    private var plotCount = 0
    /// The span of the builtin call being run, for events.
    var currentSpan: SourceSpan?

    init(registry: BuiltinRegistry, globals: GlobalTable, interrupt: InterruptFlag) {
        self.registry = registry
        self.globals = globals
        self.interruptFlag = interrupt
        state = UnsafeMutablePointer<ExecState>.allocate(capacity: 1)
        state.initialize(to: ExecState())
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }

    // MARK: - Services for builtins

    /// Sends an event to the sink of the running cell.
    ///
    /// - Parameter event: The event.
    public func emit(_ event: EvalEvent) { sink?.emit(event) }

    /// A new plot id, unique within the session.
    ///
    /// - Returns: The next id (1, 2, …).
    public func newPlotID() -> Int {
        plotCount += 1
        return plotCount
    }

    /// Prints a line of text (an `EvalEvent.text` ending in a newline).
    public func print(_ text: String) { sink?.emit(.text(text + "\n")) }

    /// Throws `interrupted` when Ctrl-C was pressed; long builtins call it in their loops.
    ///
    /// - Throws: A `Diagnostic` with severity `interrupted`.
    public func checkInterrupt() throws {
        if interruptFlag.raised.load(ordering: .relaxed) {
            throw Diagnostic("interrupted", span: nil, severity: "interrupted")
        }
    }

    /// True when an interrupt is pending.
    public var isInterrupted: Bool { interruptFlag.raised.load(ordering: .relaxed) }

    /// Calls a function value (or callable object) with arguments.
    ///
    /// - Parameters:
    ///   - callee: A `.function` or a callable object.
    ///   - arguments: The arguments.
    /// - Returns: The result.
    /// - Throws: A `Diagnostic` from the callee.
    public func call(_ callee: Value, _ arguments: CallArguments) throws -> Value {
        try call(callee, arguments, span: currentSpan)
    }

    /// Calls a function value with positional arguments.
    public func call(_ callee: Value, _ positional: [Value]) throws -> Value {
        try call(callee, CallArguments(positional), span: currentSpan)
    }

    func call(_ callee: Value, _ arguments: CallArguments, span: SourceSpan?) throws -> Value {
        switch callee {
        case let .function(f):
            switch f.kind {
            case let .user(u): return try callUser(u, arguments, span: span)
            case let .builtin(b): return try callBuiltin(b, arguments, span: span)
            }
        case let .object(o):
            guard let c = o as? CallableObject else {
                throw Diagnostic("a \(o.typeName) cannot be called", span: span)
            }
            do { return try c.call(arguments, context: self) } catch { throw diagnose(error, span: span) }
        default:
            // `x(1)` indexes in MATLAB and Julia.
            let indexing: [String]
            switch callee {
            case .tensor, .list: indexing = ["elements are taken with brackets, counted from 0: `x[0]`, `x[i, j]`"]
            default: indexing = []
            }
            throw Diagnostic("a \(callee.typeName) cannot be called", span: span,
                             help: indexing + ["only functions and callable objects (models, operators) take arguments"])
        }
    }

    func callBuiltin(_ b: BuiltinEntry, _ arguments: CallArguments, span: SourceSpan?) throws -> Value {
        let saved = currentSpan
        currentSpan = span
        defer { currentSpan = saved }
        do {
            let bound = try b.bind(arguments, context: self, span: span)
            if let r = try tracedCall(b, bound) { return r }
            return try b.impl(bound)
        } catch {
            throw diagnose(error, span: span, keywordSpans: nil)
        }
    }

    func callUser(_ u: UserFunction, _ arguments: CallArguments, span: SourceSpan?) throws -> Value {
        let frame = Frame(count: u.slotCount, parent: u.captured)
        let n = u.params.count
        guard arguments.positional.count <= n else {
            throw Diagnostic("`\(u.name)` takes \(n) argument\(n == 1 ? "" : "s"), got \(arguments.positional.count)", span: span,
                             help: ["signature: \(Function(user: u).signature)"])
        }
        for (i, v) in arguments.positional.enumerated() { frame.slots[i] = v }
        for (k, v) in arguments.keywords {
            guard let i = u.params.firstIndex(of: k) else {
                var help = ["accepted keywords: " + u.params.joined(separator: ", ")]
                if let near = nearestName(k, u.params) { help.insert("did you mean `\(near)`?", at: 0) }
                throw Diagnostic("unknown keyword argument `\(k)` for `\(u.name)`", span: span, help: help)
            }
            if frame.slots[i] != nil {
                throw Diagnostic("argument `\(k)` of `\(u.name)` given twice", span: span)
            }
            frame.slots[i] = v
        }
        for i in 0..<n where frame.slots[i] == nil {
            guard let d = u.defaults[i] else {
                throw Diagnostic("missing argument `\(u.params[i])` of `\(u.name)`", span: span,
                                 help: ["signature: \(Function(user: u).signature)"])
            }
            frame.slots[i] = d
        }
        return try invoke(u, frame, span: span)
    }

    /// Runs a user function's body in a prepared frame, with depth, interrupt and return handling.
    @inline(__always)
    func invoke(_ u: UserFunction, _ frame: Frame, span: SourceSpan?) throws -> Value {
        let st = state
        if st.pointee.depth >= Interpreter.maxCallDepth {
            throw Diagnostic("call depth limit of \(Interpreter.maxCallDepth) exceeded in `\(u.name)`", span: span,
                             help: ["is the recursion missing a base case?"])
        }
        if interruptFlag.raised.load(ordering: .relaxed) {
            throw Diagnostic("interrupted", span: span, severity: "interrupted")
        }
        st.pointee.depth += 1
        defer { st.pointee.depth -= 1 }
        do {
            let v = try u.body(frame)
            if u.bodyJumps && st.pointee.control != 0 {
                st.pointee.control = 0
                let r = returnValue
                returnValue = .none
                return r
            }
            return v
        } catch let j as JumpSignal {
            st.pointee.control = 0
            return j.value
        } catch var d as Diagnostic {
            st.pointee.control = 0
            if d.severity == "error" {
                // The innermost frames are listed; deeper recursion is counted on one line.
                if d.frames.count < Diagnostic.maxFrames {
                    d.frames.append("in \(u.name)() at line \(d.traceLine ?? d.line ?? 0)")
                } else {
                    d.omittedFrames += 1
                }
                d.traceLine = span?.line
            }
            throw d
        }
    }

    /// Turns any error into a diagnostic at `span` (keeping a span the error already has).
    func diagnose(_ error: Error, span: SourceSpan?, keywordSpans: [SourceSpan]? = nil) -> Diagnostic {
        if var d = error as? Diagnostic {
            if d.span == nil { d.span = span }
            return d
        }
        if let j = error as? JumpSignal {
            return Diagnostic(j.control == 3 ? "`return` outside a function" : "`break` or `continue` outside a loop", span: span)
        }
        var help: [String] = []
        var message = "\(error)"
        if let s = error as? ShapeError {
            message = s.description
            switch s {
            case let .mismatch(op, lhs, rhs) where ShapeError.isOperator(op):
                // A named operation's message lists its operands' shapes already.
                help.append("shapes \(formatShape(lhs)) and \(formatShape(rhs)) do not fit `\(op)`")
            case .badAxis(_, let ndim): help.append("axes run from \(-ndim) to \(ndim - 1)")
            default: break
            }
        } else if let e = error as? LinalgError {
            message = e.description
        } else if let e = error as? TensorError {
            message = e.description
            switch e {
            case .tooLarge: help.append("the limit is \(AllocationLimit.origin)")
            case .memoryLimit: help.append("`clear(name)` frees a variable; the limit is \(AllocationLimit.origin)")
            default: break
            }
        } else if let e = error as? FileFormatError {
            message = e.description
        }
        return Diagnostic(message, span: span, help: help)
    }

    // MARK: - Conversions

    /// A value as a tensor.
    ///
    /// - Throws: A `Diagnostic` when the value has no tensor form.
    public static func toTensor(_ v: Value, what: String = "value") throws -> Tensor {
        switch v {
        case let .tensor(t): return t
        case .traced: throw tracedConversionError(what)
        case let .number(x): return Tensor(x)
        case let .bool(b): return Tensor(b ? 1 : 0).asBool()
        case let .list(items): return try listToTensor(items, what: what)
        default: throw Diagnostic("\(what) must be a tensor, got a \(v.typeName)", span: nil)
        }
    }

    /// Stacks a list of numbers or equal-shaped tensors into one tensor.
    static func listToTensor(_ items: [Value], what: String) throws -> Tensor {
        if items.isEmpty { return try Tensor(shape: [0], storage: []) }
        var allNumbers = true
        for it in items { if case .number = it {} else { allNumbers = false; break } }
        if allNumbers {
            return Tensor(items.map { if case let .number(x) = $0 { return x }; return 0 })
        }
        let parts = try items.map { try toTensor($0, what: what) }
        return try Tensor.stack(parts, axis: 0)
    }

    /// A value as a real number.
    ///
    /// - Throws: A `Diagnostic` for non-numbers and tensors with more than one element.
    public static func toDouble(_ v: Value, what: String = "value") throws -> Double {
        switch v {
        case let .number(x): return x
        case let .bool(b): return b ? 1 : 0
        case let .tensor(t) where t.count == 1:
            if t.isComplex && t.storage.count > 1 && t.storage[1] != 0 {
                throw Diagnostic("\(what) must be a real number, got a complex number", span: nil)
            }
            return t.storage[0]
        case let .tensor(t):
            throw Diagnostic("\(what) must be a number, got a tensor of shape \(formatShape(t.shape))", span: nil)
        default: throw Diagnostic("\(what) must be a number, got a \(v.typeName)", span: nil)
        }
    }

    /// A value as an integer.
    ///
    /// - Throws: A `Diagnostic` for non-integral or huge values.
    public static func toInt(_ v: Value, what: String = "value") throws -> Int {
        let x = try toDouble(v, what: what)
        guard x == x.rounded(), abs(x) < 9.0e15 else {
            throw Diagnostic("\(what) must be a whole number, got \(formatNumber(x))", span: nil)
        }
        return Int(x)
    }

    /// The slices of a tensor along its first axis.
    static func unstack(_ t: Tensor) throws -> [Value] {
        guard t.ndim >= 1 else { return [wrap(t)] }
        return try (0..<t.shape[0]).map { wrap(try t.index([.at($0)])) }
    }

    /// A tensor result as a value: 0-d real tensors become numbers, 0-d bools become bools.
    public static func wrap(_ t: Tensor) -> Value {
        if t.ndim == 0 && !t.isComplex {
            if t.dtype == .bool { return .bool(t.storage.first.map { $0 != 0 } ?? false) }
            return .number(t.storage.first ?? 0)
        }
        return .tensor(t)
    }

    /// The truth value of a condition.
    static func truth(_ v: Value, span: SourceSpan?) throws -> Bool {
        switch v {
        case let .bool(b): return b
        case let .number(x): return x != 0
        case let .tensor(t) where t.count == 1:
            return t.storage[0] != 0 || (t.isComplex && t.storage.count > 1 && t.storage[1] != 0)
        case let .tensor(t):
            throw Diagnostic("the truth value of a tensor with \(t.count) elements is ambiguous", span: span,
                             help: ["use `any(x)` or `all(x)`"])
        case .none: return false
        default:
            throw Diagnostic("a \(v.typeName) is not a condition", span: span, help: ["conditions are bools or numbers"])
        }
    }
}

/// The session's global variables, each a box that compiled code holds directly.
final class GlobalTable {
    var boxes: [String: GlobalBox] = [:]
    var order: [GlobalBox] = []

    func box(_ name: String) -> GlobalBox {
        if let b = boxes[name] { return b }
        let b = GlobalBox(name: name)
        boxes[name] = b
        order.append(b)
        return b
    }

    /// Names of user-defined variables with a value, in order of creation.
    var userNames: [String] {
        order.filter { !$0.isBuiltin && $0.slot.pointee != nil }.map(\.name)
    }
}
