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
}

/// Something a cell produced.
public enum EvalEvent: Sendable {
    /// Printed text (includes its newlines).
    case text(String)
    /// The display string of the cell's value.
    case value(String)
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

    /// Printed text and values in order, as batch output shows them.
    public var transcript: String {
        events.map { e -> String in
            switch e {
            case let .text(s): return s
            case let .value(s): return s + "\n"
            case .progress: return ""
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
