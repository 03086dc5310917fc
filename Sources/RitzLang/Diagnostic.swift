import RitzPlot

/// An error of a cell: a message, the span it points at, help lines and the call frames it
/// passed through. Renders exactly as SPEC §3 shows.
public struct Diagnostic: Error, Sendable, CustomStringConvertible {
    /// The sentence after `error: `.
    public var message: String
    /// The span to underline, or nil for errors without a place (e.g. an interrupted cell with no span).
    public var span: SourceSpan?
    /// `= help: …` lines.
    public var help: [String]
    /// `in f() at line N` lines, innermost first.
    public var frames: [String]
    /// `error` for errors; `interrupted` for interrupted cells.
    public var severity: String
    /// The line the error is at in the innermost frame not yet listed (for `in f() at line N`).
    var traceLine: Int?
    /// Frames beyond `maxFrames`, counted instead of listed.
    var omittedFrames = 0
    /// Frames listed at most.
    static let maxFrames = 12

    private var frameLines: [String] {
        omittedFrames == 0 ? frames : frames + ["… \(omittedFrames) more frame\(omittedFrames == 1 ? "" : "s")"]
    }

    /// A diagnostic.
    ///
    /// - Parameters:
    ///   - message: What went wrong.
    ///   - span: Where.
    ///   - help: Help lines.
    public init(_ message: String, span: SourceSpan?, help: [String] = [], frames: [String] = [],
                severity: String = "error") {
        self.message = message
        self.span = span
        self.help = help
        self.frames = frames
        self.severity = severity
    }

    /// 1-based line in the file of the span, if any.
    public var line: Int? { span?.line }
    /// 1-based column of the span, if any.
    public var column: Int? { span?.column }
    /// Where the span's text came from.
    public var origin: SourceOrigin? { span?.source.origin }

    /// The rendered text, as in SPEC §3 (no trailing newline).
    public var description: String { render() }

    /// Renders the diagnostic:
    ///
    /// ```
    /// error: shape mismatch in `@`: (3, 4) @ (3, 4)
    ///   --> cell 7, line 2, col 5
    ///    |
    ///  2 | y = W @ x + b
    ///    |     ^^^^^
    ///    = help: the inner dimensions must agree
    /// ```
    /// - Returns: The lines joined with newlines.
    /// Most characters of a source line shown under a diagnostic.
    static let window = 100

    public func render() -> String {
        // Message, help, frames and the echoed source are made inert (`TerminalText`): a
        // control character in a script or a file's name shows as `\u{1b}` instead of acting.
        let inert = { (text: String) in TerminalText.inert(text) }
        // An interruption's message is its severity: "interrupted", not "interrupted: interrupted".
        var out = message == severity ? inert(message) : "\(severity): \(inert(message))"
        guard let span else {
            for h in help { out += "\n  = help: \(inert(h))" }
            for f in frameLines { out += "\n  \(inert(f))" }
            return out
        }
        let src = span.source
        let (line, col) = src.location(of: span.start)
        let number = String(line)
        let pad = String(repeating: " ", count: number.count + 1)
        out += "\n\(pad)--> \(inert(src.origin.name)), line \(line), col \(col)"
        out += "\n\(pad) |"
        var text = Array(src.lineText(of: span.start))
        if text.last == "\r" { text.removeLast() }   // a CRLF line ending is not part of the line
        // Underline to the span's end, or to the end of its first line.
        let firstLineIndex = src.lineIndex(of: span.start)
        let endOnLine = src.lineIndex(of: Swift.max(span.start, span.end - 1)) == firstLineIndex
            ? span.end : span.start + remainingBytesOnLine(src, span.start)
        let width = Swift.max(1, src.characterCount(from: span.start, to: endOnLine))
        // A line longer than the window is cut around the span's start, with `…` at each cut.
        var first = 0, last = text.count
        if text.count > Diagnostic.window {
            first = Swift.max(0, Swift.min(col - 1 - Diagnostic.window / 4, text.count - Diagnostic.window))
            last = Swift.min(text.count, first + Diagnostic.window)
        }
        let head = first > 0 ? "…" : "", tail = last < text.count ? "…" : ""
        // The line in three parts, each made inert, so the caret lines up with what is shown.
        let start = Swift.min(Swift.max(col - 1, first), last), end = Swift.min(start + width, last)
        let before = inert(String(text[first..<start]))
        let under = inert(String(text[start..<end]))
        let after = inert(String(text[end..<last]))
        out += "\n \(number) | \(head)\(before)\(under)\(after)\(tail)"
        // Tabs in the shown line are repeated under it so the caret stays in its column.
        let indent = head.map { _ in " " }.joined() + before.map { $0 == "\t" ? "\t" : " " }.joined()
        out += "\n\(pad) | " + indent + String(repeating: "^", count: Swift.max(1, under.count))
        for h in help { out += "\n\(pad) = help: \(inert(h))" }
        for f in frameLines { out += "\n\(pad) \(inert(f))" }
        return out
    }

    private func remainingBytesOnLine(_ src: SourceText, _ offset: Int) -> Int {
        var i = offset
        while i < src.bytes.count && src.bytes[i] != 10 { i += 1 }
        return i - offset
    }
}
