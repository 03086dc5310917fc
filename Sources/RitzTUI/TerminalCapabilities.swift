@preconcurrency import CNcurses
import Foundation
import RitzPlot

/// The terminal type the notebook draws with, decided from `TERM` before curses starts.
public enum NotebookTerminal: Equatable, Sendable {
    /// `TERM` itself.
    case own(String)
    /// `TERM` is unset or has no terminfo entry on this system (a newer terminal's own type,
    /// such as `xterm-kitty` or `alacritty`, on a machine without `ncurses-term`): a widely
    /// compatible type that has one.
    case substitute(for: String, type: String)
    /// Nothing the notebook can draw with (`TERM=dumb` cannot move the cursor), and why.
    case unusable(String)

    /// The type to open curses with; nil when unusable.
    public var type: String? {
        switch self {
        case .own(let t), .substitute(for: _, type: let t): t
        case .unusable: nil
        }
    }
}

/// What a terminal type can show, from terminfo, for `ritz doctor` and the notebook.
public enum TerminalCapabilities {
    /// Held around every terminfo query: `setupterm` reads into one global entry
    /// (`cur_term`), which two threads asking at once would free under each other.
    private static let terminfo = NSLock()

    /// `ritz_terminfo_can_draw` under ``terminfo``.
    private static func canDraw(_ term: String) -> Int32 { terminfo.withLock { ritz_terminfo_can_draw(term) } }

    /// The types tried, in order, when `TERM` has no terminfo entry: the terminals that lack
    /// one here (kitty, alacritty, wezterm, foot, ghostty) all speak xterm's sequences.
    static let substitutes = ["xterm-256color", "xterm", "ansi", "vt100"]

    /// The terminal type the notebook draws with for the `TERM` value `term` (nil: unset).
    ///
    /// - Parameter term: The `TERM` value.
    /// - Returns: `term` when terminfo has it with cursor addressing; the first of
    ///   ``substitutes`` that terminfo has when it has no entry for `term`; unusable when `term`
    ///   cannot move the cursor or nothing fits.
    public static func notebookTerminal(_ term: String?) -> NotebookTerminal {
        let name = term ?? ""
        let named = name.isEmpty ? "TERM is not set" : "TERM=\(name)"
        if !name.isEmpty {
            switch canDraw(name) {
            case 1: return .own(name)
            case 0:
                return .unusable("\(named) cannot move the cursor, which the notebook draws with: use `ritz repl` "
                    + "for a line interface or `ritz run FILE` to run a session, or set TERM to your terminal's type")
            default: break
            }
        }
        guard let fallback = substitutes.first(where: { canDraw($0) == 1 }) else {
            return .unusable("\(named) and none of \(substitutes.joined(separator: ", ")) has a terminfo entry on this "
                + "system: install ncurses-base (or set TERMINFO), or use `ritz repl` or `ritz run FILE`")
        }
        return .substitute(for: name, type: fallback)
    }

    /// The status-line note for a substituted type.
    ///
    /// - Parameter choice: The notebook's terminal.
    /// - Returns: The note, or nil when `TERM` is used as it is.
    public static func note(_ choice: NotebookTerminal) -> String? {
        guard case .substitute(let term, let type) = choice else { return nil }
        let named = term.isEmpty ? "TERM is not set" : "TERM=\(TerminalText.inert(term)) is not in terminfo here"
        return "\(named): drawing as \(type)"
    }

    /// The colours `term` declares (nil when terminfo has no entry or no colour).
    ///
    /// - Parameter term: A `TERM` value.
    /// - Returns: The colour count, or nil.
    public static func colors(term: String) -> Int? {
        let n = terminfo.withLock { ritz_terminfo_colors(term) }
        return n > 0 ? Int(n) : nil
    }

    /// Whether the notebook draws braille: a UTF-8 locale, or one it can switch to (`C.UTF-8`).
    public static var notebookBraille: Bool {
        let saved = setlocale(LC_CTYPE, nil).map { String(cString: $0) }
        defer { if let saved { setlocale(LC_CTYPE, saved) } }
        CursesNotebook.setUpLocale()
        return ritz_codeset_is_utf8() != 0
    }
}
