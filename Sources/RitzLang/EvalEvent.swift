import Foundation
import RitzPlot

/// Receives what a running cell produces. Called on the evaluation thread.
public protocol EventSink: AnyObject, Sendable {
    /// Handles one event.
    func emit(_ event: EvalEvent)
}

/// Progress of a long builtin (training, Lanczos) for a status line.
public struct Progress: Sendable {
    /// Steps done.
    public var step: Int
    /// Steps in all, when known.
    public var total: Int
    /// Named figures to show (`loss`, `acc`, …).
    public var fields: [(String, Double)]

    /// A progress report.
    public init(step: Int, total: Int, fields: [(String, Double)] = []) {
        self.step = step
        self.total = total
        self.fields = fields
    }

    /// The status line's text: `step 120/500 · loss 0.4213` (figures to 4 significant digits).
    public var statusText: String {
        var parts = ["step \(step)" + (total > 0 ? "/\(total)" : "")]
        for (name, value) in fields { parts.append("\(name) \(String(format: "%.4g", value))") }
        return parts.joined(separator: " · ")
    }
}

/// Something a cell produced.
///
/// Plots come in two ways, and a front end tells them apart by what follows:
/// * A cell whose value is a plot emits `.plot(id, figure)` and, as the very next event,
///   `.value(text)` with the plot's text rendering (braille, 72×20 or the figure's size). The
///   pair is one output: a front end that draws figures shows the plot and keeps `text` as its
///   plain-text form (for `text/plain`); a text-only front end ignores `.plot` and prints the
///   value as before. Each display gets a new id.
/// * A live plot (the curves of `train`) emits `.plot(id, figure)` again and again under one
///   id, each figure a newer snapshot of the same plot (the latest replaces the earlier ones),
///   at most about 20 a second of wall time and always once more with the final state when
///   it ends. Every live plot event is followed by a `.progress` event before any other event,
///   so a live plot is never directly followed by a `.value`: a `.value` right after a `.plot`
///   always belongs to it. `train` reports progress only with its frames (the last one carries
///   the last step); other long builtins report it as they go.
///
/// Plot ids are unique within a session (1, 2, 3, … in order of first emission). How many
/// live frames are emitted depends on wall time; their final state does not.
public enum EvalEvent: Sendable {
    /// Printed text (includes its newlines).
    case text(String)
    /// The display string of the cell's value.
    case value(String)
    /// A value shown at once by `display(x)`, as its own output (Jupyter's `display_data`): its
    /// display string. For a plot it follows the `.plot` event as a plot value's `.value` does.
    case display(String)
    /// A plot to draw: a new one, or a newer snapshot of a live plot with the same id.
    case plot(id: Int, figure: Figure)
    /// `clear_output()`: the cell's outputs so far are cleared, at once, or with `wait` when the
    /// next output arrives (IPython's `clear_output`, so a loop can redraw without flicker).
    case clearOutput(wait: Bool)
    /// Progress of a long builtin.
    case progress(Progress)
    /// An error or an interruption.
    case error(Diagnostic)
}

/// A sink that keeps every event, for tests and batch use.
public final class CollectingSink: EventSink, @unchecked Sendable {
    /// The events so far.
    public private(set) var events: [EvalEvent] = []

    /// An empty sink.
    public init() {}

    public func emit(_ event: EvalEvent) { events.append(event) }

    /// The plot events so far, in order.
    public var plots: [(id: Int, figure: Figure)] {
        events.compactMap { e in
            if case let .plot(id, figure) = e { return (id, figure) }
            return nil
        }
    }

    /// Printed text and values in order, as batch output shows them.
    public var transcript: String {
        events.map { e -> String in
            switch e {
            case let .text(s): return s
            case let .value(s), let .display(s): return s + "\n"
            case .progress, .plot, .clearOutput: return ""
            case let .error(d): return d.render() + "\n"
            }
        }.joined()
    }
}

/// How a cell ended.
public struct CellOutcome {
    /// Completed, failed or interrupted.
    public enum Status: Sendable, Equatable {
        case ok, error, interrupted
    }
    /// How it ended.
    public var status: Status
    /// The cell's value when it has one to show.
    public var value: Value?
    /// `value`'s display string.
    public var display: String?
    /// Parse, compile and runtime errors (also emitted as events).
    public var diagnostics: [Diagnostic]
    /// The execution count given to this cell.
    public var executionCount: Int
}
