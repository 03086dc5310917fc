import Foundation
import Testing
@testable import RitzNotebook

@Suite("export --run", .enabled(if: TmuxSession.binary != nil, "needs a built ritz"))
struct ExportRunTests {
    static let script = "# %%\nx = 1 + 1\n# %% [markdown]\n**note** $x_1$\n# %%\nx * 3\n"

    @Test("--run fills the outputs of a script before exporting; without it a note says so")
    func runFirst() throws {
        let path = try CommandLineTests.temporary("s.ritz", Data(ExportRunTests.script.utf8))
        let plain = try CommandLineTests.ritz(["export", path, "--to", "ipynb"])
        #expect(plain.status == 0)
        #expect(plain.err.contains("has no outputs; --run runs it first"))
        let out = path.replacingOccurrences(of: ".ritz", with: "-run.ipynb")
        let ran = try CommandLineTests.ritz(["export", path, "--to", "ipynb", "--run", "-o", out])
        #expect(ran.status == 0 && ran.err.isEmpty)
        let notebook = try Notebook.load(path: out)
        #expect(notebook.cells.map { $0.outputs.map(\.plainText) } == [[], [], ["6"]])
        #expect(notebook.cells.map(\.executionCount) == [1, nil, 2])
    }

    @Test("--run stops at a failing cell, exports what ran and exits 1")
    func failing() throws {
        let path = try CommandLineTests.temporary("f.ritz", Data("# %%\n1 + 1\n# %%\nnope\n# %%\n3\n".utf8))
        let out = path.replacingOccurrences(of: ".ritz", with: ".html")
        let result = try CommandLineTests.ritz(["export", path, "--to", "html", "--run", "-o", out])
        #expect(result.status == 1)
        #expect(result.err.contains("cell 2 failed"))
        let page = try String(contentsOfFile: out, encoding: .utf8)
        #expect(page.contains("<pre class=\"output\">2</pre>"))
        #expect(page.contains("unknown name `nope`"))
    }
}

@Suite("saving a script with outputs")
struct ScriptSaveTests {
    @Test("Ctrl-S on a notebook opened from a .ritz says the outputs stay out and how to keep them")
    func scriptKeepsNoOutputs() throws {
        let path = try CommandLineTests.temporary("k.ritz", Data("# %%\nv\n".utf8))
        let m = NotebookModel(notebook: try Notebook.load(path: path), path: path, evaluator: FakeEvaluator(),
                              fileStamp: try Notebook.loadStamped(path: path).stamp)
        _ = drive(m, [.function(5)])
        _ = drive(m, [.ctrl("s")])
        #expect(m.message == "saved \(path) without outputs (a script keeps none): F2 saves as k.ipynb")
        _ = drive(m, [.function(2), .ctrl("u")] + typed(path.replacingOccurrences(of: ".ritz", with: ".ipynb")) + [.enter])
        let saved = try Notebook.load(path: path.replacingOccurrences(of: ".ritz", with: ".ipynb"))
        #expect(saved.cells[0].outputs.map(\.plainText) == ["v"])
    }
}
