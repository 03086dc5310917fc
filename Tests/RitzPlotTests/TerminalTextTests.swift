import Testing
@testable import RitzPlot

/// `TerminalText`: control characters from files and values become visible escapes, in plain
/// text and in plot labels, while ritz's own colour codes still work.
@Suite struct TerminalTextTests {
    @Test("isControl is exactly Unicode's general category Cc (C0, DEL, C1), checked over every scalar")
    func controlSetIsCc() {
        var mismatches: [UInt32] = []
        for v in UInt32(0)...0x10FFFF {
            guard let s = Unicode.Scalar(v) else { continue }
            if TerminalText.isControl(s) != (s.properties.generalCategory == .control) { mismatches.append(v) }
        }
        #expect(mismatches.isEmpty)
    }

    /// Sequences a hostile notebook would print, and what the terminal must see instead.
    static let cases: [(name: String, raw: String, shown: String)] = [
        ("OSC 52 clipboard", "\u{1B}]52;c;cm0gLXJmIH4=\u{07}", "\\u{1b}]52;c;cm0gLXJmIH4=\\u{7}"),
        ("window title", "\u{1B}]0;pwned\u{1B}\\", "\\u{1b}]0;pwned\\u{1b}\\"),
        ("CSI clear screen", "\u{1B}[2J\u{1B}[H", "\\u{1b}[2J\\u{1b}[H"),
        ("C1 CSI", "a\u{9B}2Jb", "a\\u{9b}2Jb"),
        ("carriage return, DEL, NUL", "ok\rno\u{7F}\u{0}", "ok\\u{d}no\\u{7f}\\u{0}"),
        ("lines and tabs kept", "a\tb\nc\n", "a\tb\nc\n"),
        ("plain text untouched", "λ ≤ 2/η — ünïcödé ⠿ \u{A0}", "λ ≤ 2/η — ünïcödé ⠿ \u{A0}"),
    ]

    @Test("inert shows controls as \\u{…} escapes", arguments: cases)
    func inert(name: String, raw: String, shown: String) {
        let out = TerminalText.inert(raw)
        #expect(out == shown, "\(name)")
        #expect(!out.unicodeScalars.contains { TerminalText.isControl($0) && $0 != "\n" && $0 != "\t" })
        #expect(TerminalText.inert(out) == out, "escaping is idempotent")
    }

    @Test("on one line, newlines and tabs are escaped too")
    func oneLine() {
        #expect(TerminalText.inert("a\nb\tc", keepingLineBreaks: false) == "a\\u{a}b\\u{9}c")
        #expect(TerminalText.needsEscaping("é\u{85}", keepingLineBreaks: true))   // NEL, a C1 control
        #expect(!TerminalText.needsEscaping("é\u{A0}\u{100}", keepingLineBreaks: true))
    }

    @Test("a plot title with escape sequences is drawn as text; only ritz's SGR codes are in colour output")
    func plotLabels() throws {
        let hostile = "loss\u{1B}]52;c;eA==\u{07}\u{1B}[2J"
        var f = try Figure.lines([("s\u{9B}1m", nil, [1, 3, 2]), ("t", nil, [2, 1, 3])])   // two series: a legend
        f.title = hostile
        f.xlabel = "step\u{1B}[31m"
        for color in [false, true] {
            let text = f.renderText(width: 70, height: 14, canvas: .braille, color: color)
            #expect(text.contains("loss\\u{1b}]52;c;eA==\\u{7}\\u{1b}[2J"))
            #expect(text.contains("step\\u{1b}[31m"))
            #expect(text.contains("s\\u{9b}1m"))
            #expect(!text.unicodeScalars.contains { (0x80...0x9F).contains($0.value) || $0 == "\u{07}" })
            // Every ESC left is the start of one of ritz's own SGR sequences.
            let afterEscapes = text.components(separatedBy: "\u{1B}").dropFirst()
            #expect(afterEscapes.allSatisfy { $0.hasPrefix("[0") })
            #expect(afterEscapes.isEmpty == !color)
            // Lines keep their width: the title's escapes were measured as drawn.
            #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count == 14)
        }
    }

    @Test("the grid never holds a control character, whatever is put in it")
    func gridPut() {
        var grid = StyledGrid(width: 20, height: 1)
        grid.put("a\u{1B}b\nc", row: 0, column: 0)
        #expect(grid.text(color: false) == "a\\u{1b}b\\u{a}c")
    }
}
