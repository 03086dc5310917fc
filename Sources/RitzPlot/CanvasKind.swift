/// How virtual pixels are packed into terminal characters.
public enum CanvasKind: String, Sendable, CaseIterable, Hashable {
    /// Unicode braille patterns: 2×4 dots a cell (U+2800 is the empty cell).
    case braille
    /// Unicode quadrant blocks: 2×2 pixels a cell.
    case block
    /// Plain ASCII: 2×3 pixels a cell, each pattern drawn with its nearest-looking character.
    case ascii

    /// Virtual pixels per character cell, horizontally.
    public var pixelsPerColumn: Int { 2 }

    /// Virtual pixels per character cell, vertically.
    public var pixelsPerRow: Int {
        switch self {
        case .braille: return 4
        case .block: return 2
        case .ascii: return 3
        }
    }

    /// Whether Unicode glyphs (frame lines, superscripts, markers) may be used.
    public var unicode: Bool { self != .ascii }

    /// Picks the canvas from the locale: a UTF-8 locale gets braille, anything else ASCII.
    ///
    /// The first of `LC_ALL`, `LC_CTYPE`, `LANG` that is set and non-empty decides, as in POSIX.
    /// - Parameters:
    ///   - environment: The process environment.
    /// - Returns: `.braille` when that locale names UTF-8, else `.ascii`.
    public static func detect(environment: [String: String]) -> CanvasKind {
        for key in ["LC_ALL", "LC_CTYPE", "LANG"] {
            if let value = environment[key], !value.isEmpty {
                let lower = value.lowercased()
                return (lower.contains("utf-8") || lower.contains("utf8")) ? .braille : .ascii
            }
        }
        return .ascii
    }
}
