import Testing
@testable import RitzNotebook

@Suite(".ritz percent format")
struct PercentFormatTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let script: String
        let cells: [(CellKind, String)]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "no markers: one cell", script: "x = 1\ny = 2\n", cells: [(.code, "x = 1\ny = 2")]),
        Case(name: "two code cells", script: "# %%\nx = 1\n\n# %%\ny = x\n", cells: [(.code, "x = 1"), (.code, "y = x")]),
        Case(name: "text before the first marker", script: "a = 1\n# %% second\nb = 2\n",
             cells: [(.code, "a = 1"), (.code, "b = 2")]),
        Case(name: "markdown cell", script: "# %% [markdown]\n# # Title\n#\n# text\n# %%\n1 + 1\n",
             cells: [(.markdown, "# Title\n\ntext"), (.code, "1 + 1")]),
        Case(name: "empty cell", script: "# %%\n# %%\nz\n", cells: [(.code, ""), (.code, "z")]),
        Case(name: "inner blank lines kept", script: "# %%\nfn f(x) {\n\n  x\n}\n\n\n", cells: [(.code, "fn f(x) {\n\n  x\n}")]),
        Case(name: "empty file", script: "", cells: [(.code, "")]),
    ]

    @Test("reading", arguments: cases)
    func read(_ c: Case) {
        let notebook = Notebook(percentScript: c.script)
        #expect(notebook.cells.map(\.kind) == c.cells.map(\.0))
        #expect(notebook.cells.map(\.source) == c.cells.map(\.1))
    }

    @Test("write then read keeps kinds and sources; write is a fixed point", arguments: cases)
    func roundTrip(_ c: Case) {
        let notebook = Notebook(percentScript: c.script)
        let written = notebook.percentScript()
        let back = Notebook(percentScript: written)
        #expect(back.cells.map(\.kind) == notebook.cells.map(\.kind))
        #expect(back.cells.map(\.source) == notebook.cells.map(\.source))
        #expect(back.percentScript() == written)
    }

    @Test("a sample notebook survives ipynb → ritz → ipynb in its sources")
    func viaIpynb() {
        let notebook = sampleNotebook()
        let back = Notebook(percentScript: notebook.percentScript())
        #expect(back.cells.map(\.source) == notebook.cells.map(\.source))
        #expect(back.cells.map(\.kind) == notebook.cells.map(\.kind))
    }
}
