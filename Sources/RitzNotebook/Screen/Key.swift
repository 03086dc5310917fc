/// One decoded key press or input event, independent of the terminal library.
public enum Key: Equatable, Sendable {
    /// A printable character.
    case char(Character)
    /// Ctrl plus a lowercase letter (`ctrl("a")` for Ctrl-A).
    case ctrl(Character)
    /// Alt (Meta, or Esc followed by) a character.
    case alt(Character)
    case enter, altEnter, tab, backTab, backspace, delete, escape
    /// Shift-Enter and Ctrl-Shift-minus, which terminals report only with modifyOtherKeys or
    /// the kitty/fixterms key protocol (`ESC [13;2u`, `ESC [27;2;13~`).
    case shiftEnter, ctrlShiftMinus
    case up, down, left, right, home, end, pageUp, pageDown
    /// Navigation keys with a modifier that something is bound to (see `init?(_:_:)`).
    case altUp, altDown, altLeft, altRight, ctrlLeft, ctrlRight, ctrlHome, ctrlEnd, ctrlDelete
    /// Function key F1…F12.
    case function(Int)
    /// The terminal changed size.
    case resize
    /// Text pasted between bracketed-paste markers: inserted literally, never run.
    case paste(String)
}

extension Key {
    /// The keys terminals report with modifiers held: the arrows, Home, End, PgUp, PgDn and
    /// Delete.
    public enum Navigation: CaseIterable, Sendable {
        case up, down, left, right, home, end, pageUp, pageDown, delete

        /// The key pressed with no modifier.
        public var key: Key {
            switch self {
            case .up: .up
            case .down: .down
            case .left: .left
            case .right: .right
            case .home: .home
            case .end: .end
            case .pageUp: .pageUp
            case .pageDown: .pageDown
            case .delete: .delete
            }
        }
    }

    /// Modifier keys held with another key, as xterm numbers them: the modifier parameter of a
    /// key sequence (the 3 in `ESC [1;3A`, the suffix of terminfo's `kUP3`) is 1 plus this mask.
    public struct Modifiers: OptionSet, Hashable, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        public static let shift = Modifiers(rawValue: 1)
        public static let alt = Modifiers(rawValue: 2)
        public static let control = Modifiers(rawValue: 4)
        public static let meta = Modifiers(rawValue: 8)

        /// The modifiers an xterm modifier parameter stands for.
        ///
        /// 1 none, 2 Shift, 3 Alt, 4 Shift-Alt, 5 Ctrl, 6 Shift-Ctrl, 7 Alt-Ctrl,
        /// 8 Shift-Alt-Ctrl, 9…16 the same with Meta (xterm's ctlseqs, "PC-Style Function Keys";
        /// ncurses' user_caps(5) uses the same numbers as capability suffixes).
        ///
        /// - Parameter parameter: The number in the sequence.
        /// - Returns: The modifiers, or nil outside 1...16.
        public init?(xtermParameter parameter: Int) {
            guard (1...16).contains(parameter) else { return nil }
            self.init(rawValue: parameter - 1)
        }
    }

    /// The key a navigation key stands for with modifiers held, or nil when nothing uses the
    /// combination.
    ///
    /// Shift adds nothing (the editor has no selection, so Shift-Up is Up); Meta counts as Alt
    /// (iTerm2 reports Option-Up as `ESC [1;9A`). Alt-arrows and Ctrl-Left/Right, Home, End and
    /// Delete have keys of their own; other combinations (Ctrl-Up, Alt-PgUp, Ctrl-Alt-…) are nil.
    ///
    /// - Parameters:
    ///   - navigation: The key pressed.
    ///   - modifiers: The modifiers held.
    public init?(_ navigation: Navigation, _ modifiers: Modifiers) {
        var held = modifiers.subtracting([.shift, .meta])
        if modifiers.contains(.meta) { held.insert(.alt) }
        switch (navigation, held) {
        case (_, []): self = navigation.key
        case (.up, .alt): self = .altUp
        case (.down, .alt): self = .altDown
        case (.left, .alt): self = .altLeft
        case (.right, .alt): self = .altRight
        case (.left, .control): self = .ctrlLeft
        case (.right, .control): self = .ctrlRight
        case (.home, .control): self = .ctrlHome
        case (.end, .control): self = .ctrlEnd
        case (.delete, .control): self = .ctrlDelete
        default: return nil
        }
    }
}
