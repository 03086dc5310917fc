import Foundation
import RitzLang
import RitzNotebook
import RitzPlot

/// Turns a running cell's events into IOPub messages as they happen, in the notebook's formats.
///
/// The outputs match what `SessionEvaluator` saves for the same cell, so a notebook that a
/// Jupyter client fills from these messages passes `ritz check`:
/// * printed text → `stream` (stdout), sent when another output comes, when the cell ends, or
///   at most `updateInterval` after it was printed (`flushDue`);
/// * a plot value (`.plot` then `.value`) → `execute_result` with `text/plain`, `image/svg+xml`
///   and the plot's data (`PlotOutput.bundle`); any other value → `execute_result` `text/plain`;
/// * `display(x)` (`.display`, after `.plot` for a plot) → `display_data`;
/// * a live plot (`.plot` then `.progress`, the curves of `train`) → one `display_data` with a
///   `transient.display_id`, then `update_display_data` under that id at most every
///   `updateInterval` while it runs, and once more with the final state when the cell ends;
/// * `clear_output(wait=)` → `clear_output`;
/// * a diagnostic → `error` with `ename` the severity, `evalue` the message and the rendered
///   caret diagnostic, line by line, as `traceback`.
final class KernelOutput: EventSink, @unchecked Sendable {
    /// Least time between two updates of one live plot, and most time printed text waits:
    /// 250 ms, at most 4 updates a second.
    static let updateInterval: UInt64 = 250_000_000

    /// Sends one IOPub message: its type and content.
    typealias Publish = (_ type: String, _ content: [String: JSONValue]) -> Void

    /// The execution count the cell's value is shown under.
    let executionCount: Int
    private let displayPrefix: String
    private let publish: Publish
    private let clock: () -> UInt64
    private let lock = NSLock()
    private var text = ""
    private var textSince: UInt64 = 0
    /// A plot event whose meaning the next event decides (a value's figure or a live frame).
    private var held: (id: Int, figure: Figure)?
    private struct LivePlot {
        var figure: Figure
        var sentAt: UInt64
        var sentLatest: Bool
    }
    private var livePlots: [Int: LivePlot] = [:]
    private var liveOrder: [Int] = []
    /// The first diagnostic, for the execute reply.
    private(set) var firstError: Diagnostic?

    /// A sink for one cell.
    ///
    /// - Parameters:
    ///   - executionCount: `In [n]` of the cell.
    ///   - displayPrefix: Makes display ids unique across the kernel's cells (`ritz-SESSION-`).
    ///   - clock: Monotonic nanoseconds (the default reads the system's monotonic clock).
    ///   - publish: Sends a message on IOPub.
    init(executionCount: Int, displayPrefix: String,
         clock: @escaping () -> UInt64 = { DispatchTime.now().uptimeNanoseconds },
         publish: @escaping Publish) {
        self.executionCount = executionCount
        self.displayPrefix = displayPrefix
        self.clock = clock
        self.publish = publish
    }

    func emit(_ event: EvalEvent) {
        lock.lock()
        defer { lock.unlock() }
        let previous = held
        held = nil
        switch event {
        case .plot(let id, let figure):
            if let previous { showLive(previous) }
            held = (id, figure)
        case .value(let shown):
            flushText()
            let data = previous.map { PlotOutput.bundle($0.figure, text: shown) } ?? [textMIME: shown]
            publish("execute_result", ["execution_count": .number(Double(executionCount)),
                                       "data": Notebook.mimeBundle(data, asLines: false), "metadata": .object([:])])
        case .display(let shown):
            flushText()
            let data = previous.map { PlotOutput.bundle($0.figure, text: shown) } ?? [textMIME: shown]
            publish("display_data", ["data": Notebook.mimeBundle(data, asLines: false), "metadata": .object([:]),
                                     "transient": .object([:])])
        case .progress:
            if let previous { showLive(previous) }
        case .text(let printed):
            if let previous { showLive(previous) }
            if text.isEmpty { textSince = clock() }
            text += printed
            if clock() &- textSince >= KernelOutput.updateInterval { flushText() }
        case .clearOutput(let wait):
            if let previous { showLive(previous) }
            flushText()
            publish("clear_output", ["wait": .bool(wait)])
            // A live plot's next frame after a clear is a new display: the old one is gone.
            livePlots = [:]
            liveOrder = []
        case .error(let diagnostic):
            if let previous { showLive(previous) }
            flushText()
            if firstError == nil { firstError = diagnostic }
            publish("error", KernelOutput.errorContent(diagnostic))
        }
    }

    /// Sends text that has waited `updateInterval` and live plot frames that are due; called
    /// by the kernel's loop while the cell runs, so output shows even when no event follows.
    func flushDue() {
        lock.lock()
        defer { lock.unlock() }
        let now = clock()
        if !text.isEmpty, now &- textSince >= KernelOutput.updateInterval { flushText() }
        for id in liveOrder {
            if let plot = livePlots[id], !plot.sentLatest, now &- plot.sentAt >= KernelOutput.updateInterval {
                sendUpdate(id)
            }
        }
    }

    /// Sends what is left when the cell has ended: pending text and every live plot's final state.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if let previous = held {
            held = nil
            showLive(previous)
        }
        flushText()
        for id in liveOrder where livePlots[id]?.sentLatest == false { sendUpdate(id) }
    }

    /// The `error` content of a diagnostic: `ename`, `evalue` and the caret rendering as `traceback`.
    static func errorContent(_ diagnostic: Diagnostic) -> [String: JSONValue] {
        ["ename": .string(diagnostic.severity), "evalue": .string(diagnostic.message),
         "traceback": .array(diagnostic.render().components(separatedBy: "\n").map { .string($0) })]
    }

    private func flushText() {
        guard !text.isEmpty else { return }
        publish("stream", ["name": .string("stdout"), "text": .string(text)])
        text = ""
    }

    /// A live plot's newer frame: shown at once the first time, else kept until it is due.
    private func showLive(_ frame: (id: Int, figure: Figure)) {
        let now = clock()
        if var plot = livePlots[frame.id] {
            plot.figure = frame.figure
            plot.sentLatest = false
            livePlots[frame.id] = plot
            if now &- plot.sentAt >= KernelOutput.updateInterval { sendUpdate(frame.id) }
            return
        }
        flushText()
        livePlots[frame.id] = LivePlot(figure: frame.figure, sentAt: now, sentLatest: true)
        liveOrder.append(frame.id)
        publish("display_data", liveContent(frame.id, frame.figure))
    }

    private func sendUpdate(_ id: Int) {
        guard var plot = livePlots[id] else { return }
        publish("update_display_data", liveContent(id, plot.figure))
        plot.sentAt = clock()
        plot.sentLatest = true
        livePlots[id] = plot
    }

    private func liveContent(_ id: Int, _ figure: Figure) -> [String: JSONValue] {
        ["data": Notebook.mimeBundle(PlotOutput.bundle(figure), asLines: false), "metadata": .object([:]),
         "transient": .object(["display_id": .string(displayPrefix + String(id))])]
    }
}
