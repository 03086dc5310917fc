import Foundation
import RitzLang

/// The language session as the notebook, REPL and batch runner see it: each cell's events go
/// live to the screen and become the outputs that are saved.
public final class SessionEvaluator: LiveEvaluator, CellEvaluator, @unchecked Sendable {
    /// The language session.
    public let session: Session
    private let names: SessionNames

    /// Creates an evaluator over a fresh session.
    ///
    /// - Parameter session: The session (default: the standard builtins, seed 0).
    public init(session: Session = Session()) {
        self.session = session
        names = SessionNames(session: session)
    }

    public var completion: any CompletionSource { names }

    public func interrupt() { session.interrupt() }

    public func help(_ name: String) -> String? { session.help(name) }

    public func topics() -> String { session.helpIndex() }

    public func evaluate(source: String, cellNumber: Int) -> CellRun {
        run(source: source, cellNumber: cellNumber, live: LiveCell())
    }

    public func run(source: String, cellNumber: Int, live: LiveCell) -> CellRun {
        let sink = OutputSink(live: live)
        let outcome = session.run(cell: source, origin: .cell(cellNumber), sink: sink)
        return CellRun(outputs: sink.outputs(executionCount: outcome.executionCount),
                       executionCount: outcome.executionCount, failed: outcome.status != .ok)
    }
}

/// Collects a cell's events: live items for the screen, saved outputs for the file.
final class OutputSink: EventSink, @unchecked Sendable {
    let live: LiveCell
    private let lock = NSLock()
    private var collected: [CellOutput] = []

    init(live: LiveCell) { self.live = live }

    func emit(_ event: EvalEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .text(let text):
            live.appendText(text)
            if case .stream(let name, let previous)? = collected.last {
                collected[collected.count - 1] = .stream(name: name, text: previous + text)
            } else {
                collected.append(.stream(name: "stdout", text: text))
            }
        case .value(let text):
            live.put(.value(text))
            collected.append(.result(executionCount: nil, data: [textMIME: text]))
        case .plot: break  // the plot's text still arrives as the next `.value` (EvalEvent)
        case .progress(let progress):
            var parts = ["step \(progress.step)" + (progress.total > 0 ? "/\(progress.total)" : "")]
            for (name, value) in progress.fields { parts.append("\(name) \(String(format: "%.4g", value))") }
            live.setProgress(parts.joined(separator: " · "))
        case .error(let diagnostic):
            let text = diagnostic.render()
            live.put(.error(text))
            collected.append(.error(name: diagnostic.severity, value: diagnostic.message,
                                    traceback: text.components(separatedBy: "\n")))
        }
    }

    /// The saved outputs, values stamped with the cell's execution count.
    func outputs(executionCount: Int) -> [CellOutput] {
        lock.lock()
        defer { lock.unlock() }
        return collected.map { output in
            if case .result(nil, let data) = output { return .result(executionCount: executionCount, data: data) }
            return output
        }
    }
}

/// Tab completion names from a session: variables and builtins, and a builtin's parameters.
final class SessionNames: CompletionSource {
    let session: Session

    init(session: Session) { self.session = session }

    func names(prefix: String) -> [String] {
        session.complete(prefix: prefix).filter { !$0.contains(".") }
    }

    func keywords(of name: String) -> [String] {
        guard let entry = session.registry.entry(name) else { return [] }
        return entry.params.filter { $0.kind != .variadic }.map(\.name)
    }
}
