/// One decoded key press or input event, independent of the terminal library.
public enum Key: Equatable, Sendable {
    /// A printable character.
    case char(Character)
    /// Ctrl plus a lowercase letter (`ctrl("a")` for Ctrl-A).
    case ctrl(Character)
    /// Alt (Meta, or Esc followed by) a character.
    case alt(Character)
    case enter, altEnter, tab, backTab, backspace, delete, escape
    case up, down, left, right, home, end, pageUp, pageDown
    case altUp, altDown, ctrlLeft, ctrlRight
    /// Function key F1…F12.
    case function(Int)
    /// The terminal changed size.
    case resize
    /// Text pasted between bracketed-paste markers: inserted literally, never run.
    case paste(String)
}
