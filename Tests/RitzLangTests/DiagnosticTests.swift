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
