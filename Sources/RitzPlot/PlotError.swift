/// Errors from building a plot; bad data is reported, never a crash.
public enum PlotError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Two arrays that must have the same length do not.
    case lengthMismatch(what: String, expected: Int, got: Int)
    /// A plot kind that needs data was given none.
    case empty(String)
    /// An option value outside what it accepts.
    case invalidOption(String)

    public var description: String {
        switch self {
        case let .lengthMismatch(what, expected, got): return "\(what): expected \(expected) values, got \(got)"
        case let .empty(what): return "\(what): no data"
        case let .invalidOption(what): return "invalid plot option: \(what)"
        }
    }
}
