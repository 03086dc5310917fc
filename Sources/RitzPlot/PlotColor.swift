/// A colour of the small plotting palette.
///
/// Terminals show the eight ANSI colours; SVG uses the hex value. `gray` is for reference lines
/// and the unit circle, never for a series.
public enum PlotColor: UInt8, Sendable, CaseIterable, Hashable {
    case blue = 1, red, green, magenta, cyan, yellow, gray

    /// The colours given to series in order (then repeated).
    public static let cycle: [PlotColor] = [.blue, .red, .green, .magenta, .cyan, .yellow]

    /// The colour of the `index`-th series.
    ///
    /// - Parameters:
    ///   - index: Position of the series among the coloured layers of a panel.
    /// - Returns: A palette colour, cycling after six.
    public static func series(_ index: Int) -> PlotColor {
        cycle[((index % cycle.count) + cycle.count) % cycle.count]
    }

    /// The ANSI SGR foreground code (30–37, or 90 for gray).
    public var ansiCode: Int {
        switch self {
        case .blue: return 34
        case .red: return 31
        case .green: return 32
        case .magenta: return 35
        case .cyan: return 36
        case .yellow: return 33
        case .gray: return 90
        }
    }

    /// The SVG colour of this palette entry (a colour-blind-tolerant qualitative palette).
    public var hex: String {
        switch self {
        case .blue: return "#1f77b4"
        case .red: return "#d62728"
        case .green: return "#2ca02c"
        case .magenta: return "#9467bd"
        case .cyan: return "#17becf"
        case .yellow: return "#ff7f0e"
        case .gray: return "#7f7f7f"
        }
    }

    /// The ramp used for heatmaps in the terminal, low to high.
    public static let ramp: [PlotColor] = [.blue, .cyan, .green, .yellow, .red]
}

/// Whether colour should be used on a terminal.
public enum ColorSupport {
    /// Decides from the environment whether to emit colour.
    ///
    /// `NO_COLOR` set (to anything) turns colour off, as does `TERM` being `dumb` or unset.
    /// - Parameters:
    ///   - environment: The process environment, e.g. `ProcessInfo.processInfo.environment`.
    /// - Returns: True when ANSI colour may be used.
    public static func detect(environment: [String: String]) -> Bool {
        if environment["NO_COLOR"] != nil { return false }
        guard let term = environment["TERM"], !term.isEmpty, term != "dumb" else { return false }
        return true
    }
}
