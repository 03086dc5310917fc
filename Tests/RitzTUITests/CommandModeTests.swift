import Foundation
import Testing
import RitzLang
@testable import RitzNotebook
@testable import RitzTUI

/// A notebook of code cells `a`, `b`, `c` … run once each, so they have counts and outputs.
private func model(cells: [String], makeEvaluator: (() -> any LiveEvaluator)? = { FakeEvaluator() }) -> NotebookModel {
    var notebook = Notebook()
    for source in cells { notebook.appendCode(source) }
    return NotebookModel(notebook: notebook, path: nil, evaluator: FakeEvaluator(), makeEvaluator: makeEvaluator)
}

private func sources(_ model: NotebookModel) -> [String] { model.notebook.cells.map(\.source) }

@Suite("command mode and cell actions")
struct CommandModeTests {
    @Test("Esc enters command mode and Enter leaves it; the two look different")
    func modes() {
        let m = model(cells: ["a", "b"])
        var frame = m.render(width: 80, height: 16)
        #expect(frame.screen.lines.last?.hasSuffix(" EDIT") == true)
        #expect(frame.cursor != nil)
        _ = drive(m, typed("draft") + [.escape])
        #expect(m.mode == .command)
        frame = m.render(width: 80, height: 16)
        #expect(frame.screen.lines.last?.hasSuffix(" COMMAND") == true)
        #expect(frame.cursor == nil)  // no text cursor in command mode
        _ = drive(m, [.char("k")])
        #expect(m.editingIndex == 1 && m.editor.text == "b")
        #expect(m.render(width: 80, height: 16).screen.lines.contains { $0.hasPrefix("█") && $0.contains("b") })
        _ = drive(m, [.char("j"), .enter])
        #expect(m.mode == .edit && m.editingIndex == nil && m.editor.text == "draft")  // the draft came back
    }

    @Test("a and b insert above and below and select the new cell; typing in it keeps the text")
    func insert() {
        let m = model(cells: ["a", "b"])
        _ = drive(m, [.escape, .char("k"), .char("a")])
        #expect(sources(m) == ["a", "", "b"] && m.editingIndex == 1)
        _ = drive(m, [.enter] + typed("x = 1") + [.escape, .char("b")])
        #expect(sources(m) == ["a", "x = 1", "", "b"] && m.editingIndex == 2)
        #expect(m.dirty)
    }

    @Test("dd deletes the selected cell and selects the next; z restores it in place")
    func deleteAndUndo() {
        let m = model(cells: ["a", "b", "c"])
        _ = drive(m, [.escape, .char("k"), .char("k"), .char("d")])
        #expect(sources(m) == ["a", "b", "c"])  // one d does nothing yet
        _ = drive(m, [.char("d")])
        #expect(sources(m) == ["a", "c"] && m.editingIndex == 1 && m.editor.text == "c")
        _ = drive(m, [.char("z")])
        #expect(sources(m) == ["a", "b", "c"] && m.editingIndex == 1)
        _ = drive(m, [.char("d"), .char("j"), .char("d")])  // another key in between cancels dd
        #expect(sources(m) == ["a", "b", "c"])
        _ = drive(m, [.char("z")])
        #expect(m.message == "nothing to undelete")
    }

    @Test("c copies, x cuts, v and V paste below and above with fresh ids and the outputs")
    func clipboard() {
        let m = model(cells: ["a", "b"])
        _ = drive(m, [.function(5)])
        _ = drive(m, [.escape, .char("k"), .char("k"), .char("c"), .char("j"), .char("v")])
        #expect(sources(m) == ["a", "b", "a"] && m.editingIndex == 2)
        #expect(m.notebook.cells[2].outputs == m.notebook.cells[0].outputs)
        #expect(Set(m.notebook.cells.map(\.id)).count == 3)
        _ = drive(m, [.char("x")])
        #expect(sources(m) == ["a", "b"] && m.editingIndex == nil)
        _ = drive(m, [.char("k"), .char("k"), .char("V")])
        #expect(sources(m) == ["a", "a", "b"] && m.editingIndex == 0)
    }

    @Test("K and J move the selected cell and keep it selected")
    func move() {
        let m = model(cells: ["a", "b", "c"])
        _ = drive(m, [.escape, .char("k"), .char("K"), .char("K")])
        #expect(sources(m) == ["c", "a", "b"] && m.editingIndex == 0)
        _ = drive(m, [.char("K")])  // already at the top
        #expect(sources(m) == ["c", "a", "b"])
        _ = drive(m, [.char("J")])
        #expect(sources(m) == ["a", "c", "b"] && m.editingIndex == 1)
    }

    @Test("M merges with the cell below; a split at the cursor makes two cells again")
    func mergeAndSplit() {
        let m = model(cells: ["x = 1", "y = 2", "z"])
        _ = drive(m, [.function(5)])
        _ = drive(m, [.escape, .char("k"), .char("k"), .char("k"), .char("M")])
        #expect(sources(m) == ["x = 1\ny = 2", "z"])
        #expect(m.notebook.cells[0].outputs.isEmpty && m.notebook.cells[0].executionCount == nil)
        // Edit mode, cursor at the start of the second line, Ctrl-Shift-minus.
        _ = drive(m, [.enter, .ctrlHome, .down, .ctrlShiftMinus])
        #expect(sources(m) == ["x = 1", "y = 2", "z"] && m.editingIndex == 1)
        _ = drive(m, [.right, .right, .alt("-")])  // Alt-minus splits too
        #expect(sources(m) == ["x = 1", "y ", "= 2", "z"] && m.editingIndex == 2)
        _ = drive(m, [.escape, .char("J"), .char("M")])
        #expect(m.message == "no cell below to merge with")
    }

    @Test("m and y change the type; a markdown cell has no prompt and is not run")
    func changeType() {
        let m = model(cells: ["# Title", "1 + 1"])
        _ = drive(m, [.function(5)])
        _ = drive(m, [.escape, .char("k"), .char("k"), .char("m")])
        #expect(m.notebook.cells[0].kind == .markdown && m.notebook.cells[0].outputs.isEmpty)
        let lines = m.render(width: 60, height: 16).screen.lines
        let title = lines.first { $0.contains("# Title") } ?? ""
        #expect(!title.contains("In ["))
        #expect(drive(m, [.shiftEnter]) == [])  // markdown: selected next, nothing run
        #expect(m.editingIndex == 1)
        _ = drive(m, [.char("k"), .char("y")])
        #expect(m.notebook.cells[0].kind == .code)
    }

    @Test("Shift-Enter runs and selects the next cell; run above and below queue from the selection")
    func runActions() {
        let m = model(cells: ["a", "b", "c", "d"])
        _ = drive(m, [.escape, .char("k"), .char("k"), .char("k")])
        #expect(m.editingIndex == 1)
        #expect(drive(m, [.shiftEnter]) == [.run(index: 1)])
        #expect(m.editingIndex == 2 && m.mode == .command)
        #expect(drive(m, [.char(":")] + typed("runabove") + [.enter]) == [.run(index: 0), .run(index: 1)])
        #expect(drive(m, [.char(":")] + typed("runbelow") + [.enter]) == [.run(index: 2), .run(index: 3)])
        #expect(m.notebook.cells.map(\.executionCount) == [2, 3, 4, 5])
        _ = drive(m, [.char(":")] + typed("clear") + [.enter])
        #expect(m.notebook.cells.allSatisfy { $0.outputs.isEmpty && $0.executionCount == nil })
    }

    @Test("the : line completes command names and reports unknown ones")
    func palette() {
        let m = model(cells: ["a"])
        _ = drive(m, [.escape, .char(":")] + typed("runb") + [.tab])
        if case .palette(let field)? = m.prompt { #expect(field.text == "runbelow ") } else { Issue.record("no : line") }
        _ = drive(m, [.escape, .char(":")] + typed("run") + [.tab])
        #expect(m.completions == ["run", "runabove", "runall", "runbelow"])
        _ = drive(m, [.escape, .char(":")] + typed("frob") + [.enter])
        #expect(m.message == "unknown command :frob (F1 lists them)")
        #expect(m.mode == .command && m.prompt == nil)
    }

    @Test("restart asks first when variables would be lost, then starts a fresh session")
    func restart() {
        let m = model(cells: ["v = 7", "v"])
        _ = drive(m, [.escape, .char("0"), .char("0")])  // nothing ran: no question
        #expect(m.prompt == nil && m.message == "restarted: a fresh session")
        _ = drive(m, [.function(5)])
        #expect(m.notebook.cells[1].outputs == [.result(executionCount: 2, data: [textMIME: "7"])])
        _ = drive(m, [.char("0"), .char("0")])
        #expect(m.prompt == .confirmRestart)
        #expect(m.render(width: 80, height: 16).screen.lines.last?.contains("restart the session?") == true)
        _ = drive(m, [.char("n")])
        #expect(m.message == "restart cancelled")
        _ = drive(m, [.char(":")] + typed("restart") + [.enter, .char("y")])
        #expect(m.prompt == nil && !m.sessionHasState)
        // The fresh session has no `v` and counts from 1 again.
        _ = drive(m, [.char("k"), .shiftEnter])
        #expect(m.notebook.cells[1].outputs == [.result(executionCount: 1, data: [textMIME: "v"])])
        let fixed = model(cells: ["a"], makeEvaluator: nil)
        _ = drive(fixed, [.escape, .char("0"), .char("0")])
        #expect(fixed.message == "restart is not available here")
    }

    @Test("moves, pastes and merges are journaled: a recovered session has the screen's order")
    func journaled() throws {
        let dir = NSTemporaryDirectory() + "ritz-cmd-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let notebook = Notebook(percentScript: "# %%\na\n# %%\nb\n# %%\nc\n")
        let journal = try Journal(stateDirectory: dir, notebook: notebook, sourcePath: nil)
        let m = NotebookModel(notebook: notebook, path: nil, evaluator: FakeEvaluator(), journal: journal)
        _ = drive(m, [.escape, .char("k"), .char("K"), .char("c"), .char("v"), .char("k"), .char("M")])
        #expect(sources(m) == ["a", "c\nc", "b"])
        let session = try #require(Journal.read(journal: journal.path))
        #expect(session.notebook.cells.map(\.source) == ["a", "c\nc", "b"])
        journal.finish()
    }

    @Test("prompts: right-aligned counts, a space before the code, the colon kept when selected")
    func prompts() {
        var notebook = Notebook()
        for i in 0..<11 { notebook.appendCode("v\(i)") }
        for i in notebook.cells.indices { notebook.cells[i].executionCount = i + 1 }
        let m = NotebookModel(notebook: notebook, path: nil, evaluator: FakeEvaluator())
        _ = drive(m, [.escape, .char("k")])
        let lines = m.render(width: 60, height: 30).screen.lines
        #expect(lines.contains("  In [9]: v8"))
        #expect(lines.contains("█In [11]: v10"))
        #expect(lines.contains(" In [10]: v9"))
    }

    @Test("the status line says where an interrupted cell stopped and never stays at interrupting…")
    func interruptStatus() {
        let m = model(cells: ["loop"])
        _ = m.handle(.function(5))
        guard let (_, live) = m.beginRun(index: 0) else { Issue.record("no run"); return }
        live.setProgress(RitzLang.Progress(step: 120, total: 500, fields: [("loss", 0.421_349)]))
        // The numbers are kept as numbers and made text when the screen is drawn.
        #expect(live.snapshot().progress == "step 120/500 · loss 0.4213")
        #expect(m.render(width: 80, height: 12).screen.lines.last?.contains("step 120/500 · loss 0.4213") == true)
        _ = m.handle(.ctrl("c"))
        #expect(m.render(width: 80, height: 12).screen.lines.last?.contains("interrupting…") == true)
        _ = m.finishRun(index: 0, result: CellRun(outputs: [], executionCount: 1, failed: true, interrupted: true))
        let status = m.render(width: 80, height: 12).screen.lines.last ?? ""
        #expect(status.hasPrefix(" idle") && status.contains("interrupted at step 120/500"))
        #expect(!status.contains("interrupting"))
    }

    @Test("Shift-Enter and Ctrl-Shift-minus in the key protocols that report them",
          arguments: [("\u{1b}[13;2u", Key.shiftEnter), ("\u{1b}[27;2;13~", .shiftEnter),
                      ("\u{1b}[45;6u", .ctrlShiftMinus), ("\u{1b}[27;6;45~", .ctrlShiftMinus),
                      ("\u{1b}[13u", .enter)])
    func modifiedCharacters(_ sequence: String, _ key: Key) {
        #expect(KeyDecoderTests.decode(sequence) == [key])
    }
}

@Suite("help requests and inspection")
struct InspectionTests {
    @Test("?name and name? ask for help; code ending in ? does not", arguments: [
        ("?zeros", "zeros"), ("zeros?", "zeros"), ("  run.loss? ", "run.loss"), ("?", ""), ("? x", "x"),
        ("f(x)?", nil), ("a ? b", nil), ("x = 1", nil),
    ] as [(String, String?)])
    func helpSyntax(_ input: String, _ name: String?) {
        #expect(HelpRequest.name(in: input) == name)
    }

    /// The text a cell printed.
    private func printed(_ evaluator: SessionEvaluator, _ source: String) -> String {
        evaluator.evaluate(source: source, cellNumber: 1).outputs.map(\.plainText).joined()
    }

    @Test("help(\"language\") and help(x) on a number say what ?language and ?x say")
    func helpBuiltin() throws {
        let evaluator = SessionEvaluator()
        let language = try #require(evaluator.help("language"))
        #expect(printed(evaluator, "help(\"language\")").trimmingCharacters(in: .newlines) == language)
        _ = evaluator.evaluate(source: "x = 3", cellNumber: 1)
        #expect(evaluator.help("x") == "x: number\nvalue: 3")
        #expect(printed(evaluator, "help(x)").trimmingCharacters(in: .newlines) == "number\nvalue: 3")
    }

    @Test("x? in the notebook opens the help pane on the value")
    func notebookInspect() {
        let m = NotebookModel(notebook: Notebook(), path: nil, evaluator: SessionEvaluator())
        _ = drive(m, typed("A = [1, 2; 3, 4]") + [.enter])
        _ = drive(m, typed("A?") + [.enter])
        #expect(m.helpText == "A: tensor\nshape: (2, 2), dtype: float64\nvalue: [[1. 2.]\n        [3. 4.]]")
        #expect(m.notebook.cells.count == 1)  // the help request is not a cell
    }
}

/// Names, fields and a folder listing for completion tests.
final class FieldNames: CompletionSource {
    func names(prefix: String) -> [String] { ["run", "runs"].filter { $0.hasPrefix(prefix) } }
    func keywords(of name: String) -> [String] { [] }
    func fields(of base: String) -> [String] { base == "run" ? ["loss", "lr", "step", "sharpness"] : [] }
    func files(in directory: String) -> [String] {
        ["": ["data/", "digits.npy", "notes.txt"], "data/": ["x.npy", "y.csv"]][directory] ?? []
    }
}

@Suite("field and path completion")
struct FieldCompletionTests {
    @Test("after a dot: the variable's fields", arguments: [
        ("run.", ["loss", "lr", "sharpness", "step"], ""), ("f(run.l", ["loss", "lr"], "l"),
        ("run.s", ["sharpness", "step"], "s"),
    ])
    func fields(_ before: String, _ candidates: [String], _ replaced: String) {
        let result = Completer.complete(before, source: FieldNames())
        #expect(result?.candidates == candidates)
        #expect(result?.replacing == replaced.count)
    }

    @Test("no fields after a number, a nested field or an unknown name", arguments: ["1.", "a.run.", "nope."])
    func noFields(_ before: String) {
        #expect(Completer.complete(before, source: FieldNames()) == nil)
    }

    @Test("paths inside the strings of load, save and savefig", arguments: [
        ("load(\"d", ["data/", "digits.npy"]), ("save(\"data/", ["data/x.npy", "data/y.csv"]),
        ("savefig(p, \"data/y", ["data/y.csv"]),
    ])
    func paths(_ before: String, _ candidates: [String]) {
        #expect(Completer.complete(before, source: FieldNames())?.candidates == candidates)
    }

    @Test("no paths in other strings")
    func noPaths() {
        #expect(Completer.complete("print(\"d", source: FieldNames()) == nil)
    }

    @Test("the real session offers a record's and a dataset's fields; the notebook completes them")
    func sessionFields() {
        let evaluator = SessionEvaluator()
        _ = evaluator.evaluate(source: "cfg = (lr=0.1, steps=5); d = moons(10, seed=0)", cellNumber: 1)
        #expect(Completer.complete("cfg.", source: evaluator.completion)?.candidates == ["lr", "steps"])
        #expect(Completer.complete("d.c", source: evaluator.completion)?.candidates == ["classes"])
        let m = NotebookModel(notebook: Notebook(), path: nil, evaluator: evaluator)
        _ = drive(m, typed("cfg.s") + [.tab])
        #expect(m.editor.text == "cfg.steps")
    }

    @Test("keyword arguments of the user's own functions and of builtins")
    func userKeywords() {
        let evaluator = SessionEvaluator()
        _ = evaluator.evaluate(source: "fn loss(w, lam=0.0, scale=1) { lam * sum(w) * scale }", cellNumber: 1)
        #expect(Completer.complete("loss(w, l", source: evaluator.completion)?.candidates.first == "lam=")  // keywords first, then names
        #expect(Completer.complete("linspace(0, 1, ", source: evaluator.completion)?.candidates.prefix(3) == ["a=", "b=", "n="])
    }

    @Test("readline gets whole words: the part before the completed piece is kept")
    func readlineWords() {
        let fields = Completer.Result(replacing: 1, candidates: ["loss", "lr"], commonPrefix: "l")
        #expect(ReplRunner.readlineMatches(fields, word: "run.l") == ["run.loss", "run.lr"])
        let path = Completer.Result(replacing: 6, candidates: ["data/x.npy"], commonPrefix: "data/x.npy")
        #expect(ReplRunner.readlineMatches(path, word: "data/x") == ["data/x.npy"])
    }
}
