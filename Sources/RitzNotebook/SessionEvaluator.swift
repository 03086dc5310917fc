import Foundation
import RitzLang
import RitzPlot

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
        evaluate(source: source, origin: .cell(cellNumber), live: live)
    }

    /// Runs one cell, collecting its outputs and also handing every event to `echo` as it happens
    /// (batch runs print from there).
    ///
    /// - Parameters:
    ///   - source: The cell's text.
    ///   - origin: Where the text came from, for diagnostics (`cell 3`, or a script's file and line).
    ///   - live: The screen's view of the running cell.
    ///   - echo: A second sink for the same events, if any.
    /// - Returns: The outputs, the execution count and how the cell ended.
    public func evaluate(source: String, origin: SourceOrigin, live: LiveCell = LiveCell(),
                         echo: (any EventSink)? = nil) -> CellRun {
        let sink = OutputSink(live: live, echo: echo)
        let outcome = session.run(cell: source, origin: origin, sink: sink)
        return CellRun(outputs: sink.outputs(executionCount: outcome.executionCount),
                       executionCount: outcome.executionCount, failed: outcome.status != .ok,
                       interrupted: outcome.status == .interrupted)
    }
}

/// Collects a cell's events: live items for the screen, saved outputs for the file.
///
/// A `.plot` shows at once as a figure (a live plot's newer snapshot replaces the older one in
/// place). A `.value` right after a `.plot` is that plot's text rendering (see `EvalEvent`): it is
/// not shown a second time, and the pair is saved as one `execute_result` with `text/plain` and
/// `image/svg+xml` (`display_data` when `display(p)` showed it; `display(x)` of any other value is
/// a `display_data` with its text). A live plot is saved once, at its last snapshot, as `display_data` where it
/// first appeared. SVGs are made when the outputs are asked for, not on every frame.
final class OutputSink: EventSink, @unchecked Sendable {
    let live: LiveCell
    private let lock = NSLock()
    private enum Collected {
        case output(CellOutput)
        /// A plot; `text` is the text form of a plotted value (nil for a live plot), shown by
        /// `display(p)` rather than as the cell's value when `isDisplay`.
        case plot(id: Int, figure: Figure, text: String?, isDisplay: Bool)
    }
    private var collected: [Collected] = []
    /// Index in `collected` of the plot emitted by the previous event, if it was a plot.
    private var justPlotted: Int?

    /// Receives every event too, after it is collected.
    private let echo: (any EventSink)?

    init(live: LiveCell, echo: (any EventSink)? = nil) {
        self.live = live
        self.echo = echo
    }

    func emit(_ event: EvalEvent) {
        collect(event)
        echo?.emit(event)
    }

    private func collect(_ event: EvalEvent) {
        lock.lock()
        defer { lock.unlock() }
        var previousPlot = justPlotted
        justPlotted = nil
        if clearBeforeNext {
            switch event {
            case .progress, .clearOutput: break
            default:
                clearBeforeNext = false
                clear()
                previousPlot = nil
            }
        }
        switch event {
        case .clearOutput(let wait):
            if wait { clearBeforeNext = true } else { clear() }
        case .text(let text):
            live.appendText(text)
            if case .output(.stream(let name, let previous))? = collected.last {
                collected[collected.count - 1] = .output(.stream(name: name, text: previous + text))
            } else {
                collected.append(.output(.stream(name: "stdout", text: text)))
            }
        case .value(let text), .display(let text):
            let isDisplay: Bool
            if case .display = event { isDisplay = true } else { isDisplay = false }
            if let at = previousPlot, case .plot(let id, let figure, _, _) = collected[at] {
                // The plot's own text form.
                collected[at] = .plot(id: id, figure: figure, text: text, isDisplay: isDisplay)
            } else {
                live.put(.value(text))
                collected.append(.output(isDisplay ? .display(data: [textMIME: text])
                                                   : .result(executionCount: nil, data: [textMIME: text])))
            }
        case .plot(let id, let figure):
            live.put(.plot(id: id, renderer: FigureRenderer(figure: figure), rows: PlotOutput.size(of: figure).height))
            if let at = collected.lastIndex(where: { if case .plot(id, _, _, _) = $0 { return true } else { return false } }) {
                collected[at] = .plot(id: id, figure: figure, text: nil, isDisplay: false)
                justPlotted = at
            } else {
                collected.append(.plot(id: id, figure: figure, text: nil, isDisplay: false))
                justPlotted = collected.count - 1
            }
        case .progress(let progress):
            live.setProgress(progress)
        case .error(let diagnostic):
            let text = diagnostic.render()
            live.put(.error(text))
            collected.append(.output(.error(name: diagnostic.severity, value: diagnostic.message,
                                            traceback: text.components(separatedBy: "\n"))))
        }
    }

    /// `clear_output(wait=true)` was called: the next output clears the ones before it.
    private var clearBeforeNext = false

    private func clear() {
        collected.removeAll()
        live.clear()
    }

    /// The saved outputs, values stamped with the cell's execution count; plots as text plus SVG.
    func outputs(executionCount: Int) -> [CellOutput] {
        lock.lock()
        defer { lock.unlock() }
        return collected.map { item in
            switch item {
            case .output(.result(nil, let data)): return .result(executionCount: executionCount, data: data)
            case .output(let output): return output
            case .plot(_, let figure, let text?, true):
                return .display(data: PlotOutput.bundle(figure, text: text))
            case .plot(_, let figure, let text?, false):
                return .result(executionCount: executionCount, data: PlotOutput.bundle(figure, text: text))
            case .plot(_, let figure, nil, _):
                return .display(data: PlotOutput.bundle(figure))
            }
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
        if case .function(let f)? = session.value(of: name) { return f.parameterNames }
        return session.registry.entry(name).map { Function($0).parameterNames } ?? []
    }

    func fields(of base: String) -> [String] {
        session.complete(prefix: base + ".").map { String($0.dropFirst(base.count + 1)) }
    }
}
