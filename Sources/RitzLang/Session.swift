import Foundation
import RitzAnalysis
import RitzPlot
import RitzTensor

/// A language session: globals, the random generator, the builtin registry and the execution
/// counter. Cells run on a worker thread with a 1 GiB stack, so deep programs end in an error
/// rather than a stack overflow; `run` waits for the cell to finish.
public final class Session: @unchecked Sendable {
    /// Every builtin of this session.
    public let registry: BuiltinRegistry
    /// Cells run so far (the next cell gets `executionCount + 1`).
    public private(set) var executionCount = 0
    let interp: Interpreter
    let globals: GlobalTable
    private let flag = InterruptFlag()
    private let worker = EvaluationThread()

    /// A session with the standard builtins.
    ///
    /// - Parameter seed: The seed of the session's generator.
    public init(seed: UInt64 = 0, registry: BuiltinRegistry = .standard()) {
        self.registry = registry
        globals = GlobalTable()
        interp = Interpreter(registry: registry, globals: globals, interrupt: flag)
        interp.rng = RandomGenerator(seed: seed)
        for e in registry.entries {
            let b = globals.box(e.name)
            b.slot.pointee = .function(Function(e))
            b.isBuiltin = true
        }
        for (name, v) in [("pi", Double.pi), ("e", M_E), ("inf", Double.infinity), ("nan", Double.nan)] {
            let b = globals.box(name)
            b.slot.pointee = .number(v)
            b.isBuiltin = true
        }
    }

    deinit {
        // Release compiled code (possibly deep) on the large stack, then stop the thread.
        let g = globals
        worker.run { for b in g.order { b.slot.pointee = nil } }
        worker.stop()
    }

    /// Runs one cell.
    ///
    /// - Parameters:
    ///   - source: The cell's text.
    ///   - origin: Where it came from (for diagnostics).
    ///   - sink: Receives text, values, progress and errors, on the evaluation thread.
    /// - Returns: How the cell ended.
    public func run(cell source: String, origin: SourceOrigin, sink: EventSink) -> CellOutcome {
        executionCount += 1
        let count = executionCount
        flag.raised.store(false, ordering: .relaxed)
        let box = OutcomeBox()
        worker.run { [self] in
            // Every long loop of a builtin in this cell stops at its next check after Ctrl-C.
            box.outcome = Interruption.withCheck({ [flag] in flag.raised.load(ordering: .relaxed) }) {
                self.execute(source, origin: origin, sink: sink, count: count)
            }
        }
        return box.outcome ?? CellOutcome(status: .error, value: nil, display: nil, diagnostics: [], executionCount: count)
    }

    /// Stops the running cell at its next safe point. Safe to call from any thread or a signal handler's queue.
    public func interrupt() { flag.raised.store(true, ordering: .relaxed) }

    /// Names starting with `prefix`: variables, builtins and keywords; after `x.`, the fields of `x`.
    ///
    /// - Parameter prefix: What the user typed.
    /// - Returns: Sorted candidates (full text to insert).
    public func complete(prefix: String) -> [String] {
        if let dot = prefix.lastIndex(of: ".") {
            let base = String(prefix[..<dot]), rest = String(prefix[prefix.index(after: dot)...])
            guard let v = globals.boxes[base]?.slot.pointee else { return [] }
            var fields: [String] = []
            switch v {
            case let .record(r): fields = r.names
            case let .object(o): fields = o.fieldNames
            case .tensor: fields = ["T", "shape", "real", "imag"]
            default: break
            }
            return fields.filter { $0.hasPrefix(rest) }.sorted().map { base + "." + $0 }
        }
        var names = Set(globals.order.filter { $0.slot.pointee != nil }.map(\.name))
        for k in Keyword.allCases { names.insert(k.rawValue) }
        return names.filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// The help text for a builtin, a variable, a keyword or a topic (`language`, a group name).
    ///
    /// - Parameter name: What to explain.
    /// - Returns: The text, or nil when nothing is known by that name.
    public func help(_ name: String) -> String? {
        interp.helpText(name)
    }

    /// An overview of all help topics: the language and every builtin by group.
    public func helpIndex() -> String {
        var s = "ritz help TOPIC (or ?name in a cell)\n\nlanguage\n  a guide to the language: syntax, broadcasting, scoping, unpacking, derivatives\n"
        var groups: [String] = []
        for e in registry.entries where !groups.contains(e.group) { groups.append(e.group) }
        for g in groups {
            s += "\n\(g)\n  " + registry.entries.filter { $0.group == g }.map(\.name).joined(separator: " ") + "\n"
        }
        return s
    }

    /// The value of a global variable, if it has one.
    public func value(of name: String) -> Value? { globals.boxes[name]?.slot.pointee }

    /// Names of the user's variables, in order of creation.
    public var variableNames: [String] { globals.userNames }

    // MARK: - Running

    private func execute(_ text: String, origin: SourceOrigin, sink: EventSink, count: Int) -> CellOutcome {
        let source = SourceText(text, origin: origin)
        interp.sink = sink
        defer { interp.sink = nil }
        var outcome = CellOutcome(status: .ok, value: nil, display: nil, diagnostics: [], executionCount: count)
        func fail(_ ds: [Diagnostic], _ status: CellOutcome.Status = .error) -> CellOutcome {
            for d in ds { sink.emit(.error(d)) }
            outcome.diagnostics = ds
            outcome.status = status
            return outcome
        }
        let (program, errors) = Parser.parse(source)
        if !errors.isEmpty { return fail(errors) }
        let compiler = Compiler(interp: interp)
        let statements = compiler.compile(program)
        if !compiler.errors.isEmpty { return fail(compiler.errors) }
        let root = Frame(count: 0, parent: nil)
        var last: Value = .none
        var lastIsExpression = false
        interp.state.pointee = ExecState()
        for s in statements {
            do {
                if flag.raised.load(ordering: .relaxed) {
                    throw Diagnostic("interrupted", span: s.span, severity: "interrupted")
                }
                last = try s.code(root)
                lastIsExpression = s.isExpression
            } catch {
                var d = interp.diagnose(error, span: s.span)
                if d.span == nil { d.span = s.span }
                interp.state.pointee = ExecState()
                return fail([d], d.severity == "interrupted" ? .interrupted : .error)
            }
        }
        if lastIsExpression && !program.suppressDisplay {
            if case .none = last {} else {
                let shown = Display.string(last)
                outcome.value = last
                outcome.display = shown
                // A plot value: the figure, then (next event) its text form; see `EvalEvent`.
                if case let .object(o) = last, let p = o as? PlotObject {
                    sink.emit(.plot(id: interp.newPlotID(), figure: p.figure))
                }
                sink.emit(.value(shown))
            }
        }
        return outcome
    }
}

/// Carries a cell's outcome from the evaluation thread back to the caller.
private final class OutcomeBox: @unchecked Sendable {
    var outcome: CellOutcome?
}

/// One long-lived thread with a 1 GiB stack that runs submitted jobs one at a time.
final class EvaluationThread: @unchecked Sendable {
    /// Stack size of the evaluation thread.
    static let stackSize = 1 << 30
    private let condition = NSCondition()
    private var job: (() -> Void)?
    private var stopping = false

    init() {
        let thread = Thread { [self] in self.loop() }
        thread.stackSize = EvaluationThread.stackSize
        thread.name = "ritz-eval"
        thread.start()
    }

    private func loop() {
        while true {
            condition.lock()
            while job == nil && !stopping { condition.wait() }
            guard let j = job else { condition.unlock(); return }
            job = nil
            condition.unlock()
            j()
        }
    }

    /// Runs `body` on the thread and waits for it.
    func run(_ body: @escaping () -> Void) {
        let done = DispatchSemaphore(value: 0)
        condition.lock()
        job = { body(); done.signal() }
        condition.signal()
        condition.unlock()
        done.wait()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }
}
