import Foundation
import Testing
@testable import RitzLang

@Suite struct DiagnosticTests {
    func errors(_ code: String, cell: Int = 7) -> [String] {
        let out = Session().run(cell: code, origin: .cell(cell), sink: CollectingSink())
        return out.diagnostics.map { $0.render() }
    }

    @Test func shapeErrorRendersAsSpecified() {
        let got = errors("W = ones(3, 4); x = ones(3, 4); b = 1\ny = W @ x + b")
        #expect(got == ["""
        error: shape mismatch in `@`: (3, 4) @ (3, 4)
          --> cell 7, line 2, col 5
           |
         2 | y = W @ x + b
           |     ^^^^^
           = help: the inner dimensions must agree: 4 columns on the left, 3 rows on the right; did you mean `W @ x.T`?
        """])
    }

    @Test func aLongLineIsCutAroundTheSpan() {
        let terms = (1...40).map(String.init)
        let code = "x = " + terms.prefix(30).joined(separator: " + ") + " + undefined_thing + "
            + terms.suffix(10).joined(separator: " + ")
        let got = errors(code)
        let lines = got.first?.split(separator: "\n").map(String.init) ?? []
        #expect(lines.count >= 5)
        guard lines.count >= 5 else { return }
        let source = lines[3], marks = lines[4]
        #expect(source.hasPrefix(" 1 | …") && source.count <= 6 + Diagnostic.window + 1)
        // The carets sit under the name in the cut line.
        let start = marks.firstIndex(of: "^").map { marks.distance(from: marks.startIndex, to: $0) } ?? 0
        let under = source.dropFirst(start).prefix("undefined_thing".count)
        #expect(under == "undefined_thing")
        #expect(marks.filter { $0 == "^" }.count == "undefined_thing".count)
    }

    @Test("control characters in the echoed line and the message are shown as escapes; the caret follows them")
    func controlCharactersAreInert() {
        // A raw ESC (title change), a C1 CSI and a tab before the error, a CRLF line ending.
        let got = errors("s = \"\u{1B}]0;t\u{07}\tx\u{9B}2J\" + cpoy\r\n")
        #expect(got == ["""
        error: unknown name `cpoy`
          --> cell 7, line 1, col 21
           |
         1 | s = "\\u{1b}]0;t\\u{7}\tx\\u{9b}2J" + cpoy
           |                     \t             ^^^^
           = help: did you mean `copy`?
        """])
        // Messages with quoted text (here a path) are made inert too.
        let message = Diagnostic("cannot read `a\u{1B}[2Jb`", span: nil, help: ["see \u{07}"]).render()
        #expect(message == "error: cannot read `a\\u{1b}[2Jb`\n  = help: see \\u{7}")
    }

    @Test func severalParseErrorsPerCell() {
        let got = errors("x = (1 * 2\ny = 2 2\nz = [1, 2")
        #expect(got.count == 3)
        #expect(got.first?.hasPrefix("error: unclosed `(`") == true)
        #expect(got.last?.contains("= help: this `[` at line 3, col 5 is never closed; add `]`") == true)
    }

    @Test func framesListFunctions() {
        let got = errors("fn f(a) {\n  a + [1, 2]\n}\nfn g(b) { f(b) }\ng([1, 2, 3])")
        #expect(got.count == 1)
        let lines = got[0].split(separator: "\n").map(String.init)
        #expect(lines.suffix(2) == ["   in f() at line 2", "   in g() at line 4"])
    }

    @Test func interruptKeepsVariables() throws {
        let s = Session()
        _ = s.run(cell: "s = 5", origin: .cell(1), sink: CollectingSink())
        let t = Thread { Thread.sleep(forTimeInterval: 0.3); s.interrupt() }
        t.start()
        let out = s.run(cell: "while true { s = s + 1 }\ns = -1", origin: .cell(2), sink: CollectingSink())
        #expect(out.status == .interrupted)
        let v = try #require(s.value(of: "s"))
        guard case let .number(x) = v else { Issue.record("s is \(v.typeName)"); return }
        #expect(x >= 5)
    }
}

@Suite struct InterruptionDiagnosticTests {
    @Test("an interruption reads `interrupted`, not `interrupted: interrupted`")
    func interruptedOnce() {
        #expect(Diagnostic("interrupted", span: nil, severity: "interrupted").render() == "interrupted")
        #expect(Diagnostic("boom", span: nil).render() == "error: boom")
    }
}
