/// Text that came from a file or a value, made inert before it reaches a terminal.
///
/// A terminal acts on control characters: ESC starts sequences that set the clipboard (OSC 52),
/// change the window title or clear the screen, and C1 characters such as U+009B (CSI) do the
/// same on terminals that read them in UTF-8. Everything ritz prints that it did not compose
/// itself — saved outputs, printed strings, values, labels in plots, source lines under a
/// diagnostic — passes through `inert` first, and ritz adds its own colour and cursor codes
/// afterwards. It lives in RitzPlot because the plot grid is the lowest layer that writes
/// terminal text; the language, the notebook and the command line reuse it.
public enum TerminalText {
    /// True for the control characters a terminal acts on: Unicode's general category Cc, that
    /// is C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F).
    ///
    /// - Parameter scalar: A character.
    /// - Returns: Whether it is a control character.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// `text` with every control character shown as a visible escape in the language's string
    /// syntax (`ESC` → `\u{1b}`, `DEL` → `\u{7f}`, `U+009B` → `\u{9b}`).
    ///
    /// The result holds no control character other than the kept line breaks, so it cannot move
    /// the cursor, change modes or talk to the terminal. Text without controls is returned as
    /// it is, so the common case costs one pass over the bytes.
    ///
    /// - Parameters:
    ///   - text: Untrusted text.
    ///   - keepingLineBreaks: Keep `\n` and `\t` as they are (true, for multi-line output) or
    ///     escape them too (false, for text that must stay on one line, such as a plot label).
    /// - Returns: The inert text.
    public static func inert(_ text: String, keepingLineBreaks: Bool = true) -> String {
        guard needsEscaping(text, keepingLineBreaks: keepingLineBreaks) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isControl(scalar) && !(keepingLineBreaks && (scalar == "\n" || scalar == "\t")) {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// Whether `text` holds a control character `inert` would escape, by its UTF-8 bytes:
    /// C0 and DEL are single bytes, C1 is `0xC2` followed by `0x80…0x9F`.
    static func needsEscaping(_ text: String, keepingLineBreaks: Bool) -> Bool {
        var afterC2 = false
        for byte in text.utf8 {
            if byte < 0x20 {
                if !(keepingLineBreaks && (byte == 0x0A || byte == 0x09)) { return true }
            } else if byte == 0x7F || (afterC2 && byte <= 0x9F) {
                return true
            }
            afterC2 = byte == 0xC2
        }
        return false
    }
}
