import Foundation
import Testing
@testable import RitzNotebook
@testable import RitzTUI

/// A stand-in evaluator: `x = v` stores, a bare name shows its value, `plot` makes a plot,
/// `fail` errors.
final class FakeEvaluator: LiveEvaluator, @unchecked Sendable {
    var vars: [String: String] = [:]
    var count = 0
    var interrupted = false
    let names = FakeNames()
    var completion: any CompletionSource { names }

    func run(source: String, cellNumber: Int, live: LiveCell) -> CellRun {
        count += 1
        let s = source.trimmingCharacters(in: .whitespacesAndNewlines)
        if s.contains("fail") {
            let text = "error: failed\n  --> cell \(cellNumber), line 1, col 1"
            live.put(.error(text))
            return CellRun(outputs: [.error(name: "error", value: "failed", traceback: text.components(separatedBy: "\n"))],
                           executionCount: count, failed: true)
        }
        if s.hasPrefix("plot") {
            let text = "⡇ plot of \(count)\n⣇⣀⣀"
            live.put(.plot(id: 1, renderer: TextPlotRenderer(text: text), rows: 2))
            return CellRun(outputs: [.plot(text: text, svg: "<svg/>")], executionCount: count, failed: false)
        }
        if let eq = s.firstIndex(of: "=") {
            vars[s[..<eq].trimmingCharacters(in: .whitespaces)] = s[s.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            return CellRun(outputs: [], executionCount: count, failed: false)
        }
        let value = vars[s] ?? s
        live.put(.value(value))
        return CellRun(outputs: [.result(executionCount: count, data: [textMIME: value])], executionCount: count, failed: false)
    }

    func interrupt() { interrupted = true }
    func help(_ name: String) -> String? { name == "zeros" ? "zeros(d...)\n\nA tensor of zeros.\n\nexample: zeros(2, 3)" : nil }
    func topics() -> String { "topics: zeros, train" }
}

/// Drives a model the way the terminal driver does, running cells synchronously.
func drive(_ model: NotebookModel, _ keys: [Key]) -> [Effect] {
    var all: [Effect] = []
    var pending = keys.flatMap { model.handle($0) }
    while let effect = pending.first {
        pending.removeFirst()
        all.append(effect)
        if case .run(let index) = effect, let (source, live) = model.beginRun(index: index) {
            let result = model.evaluator.run(source: source, cellNumber: index + 1, live: live)
            pending += model.finishRun(index: index, result: result)
        }
    }
    return all
}

func typed(_ text: String) -> [Key] { text.map { .char($0) } }

@Suite("notebook model")
struct NotebookModelTests {
    @Test("type and run a cell: In and Out appear, the session is dirty")
    func runCell() {
        let model = NotebookModel(notebook: Notebook(), path: nil, evaluator: FakeEvaluator())
        let effects = drive(model, typed("x = [1,") + [.enter] + typed("2]") + [.enter] + typed("x") + [.enter])
        #expect(effects == [.run(index: 0), .run(index: 1)])
        #expect(model.notebook.cells.map(\.source) == ["x = [1,\n2]", "x"])
        #expect(model.dirty)
        let screen = model.render(width: 60, height: 20).screen.text
        #expect(screen.contains("In [1]: x = [1,"))
        #expect(screen.contains("In [2]: x"))
        #expect(screen.contains("Out[2]: [1,"))
        #expect(screen.components(separatedBy: "Out[2]").count == 2)  // shown once
        #expect(screen.contains("ritz · untitled [+]"))
        #expect(model.editor.text.isEmpty)
    }

    @Test("a plot that is the cell's value sits under Out[n]:, a displayed plot does not")
    func plotValueLabel() {
        let value = Cell(id: "a", source: "plot(x)", executionCount: 1,
                         outputs: [.result(executionCount: 1, data: [textMIME: "⡇ value plot", svgMIME: "<svg/>"])])
        let shown = Cell(id: "b", source: "train(m, d)", executionCount: 2,
                         outputs: [.plot(text: "⡇ live plot", svg: "<svg/>")])
        let model = NotebookModel(notebook: Notebook(cells: [value, shown]), path: nil, evaluator: FakeEvaluator())
        let lines = model.render(width: 60, height: 20).screen.text.components(separatedBy: "\n")
        let valueRow = lines.firstIndex { $0.contains("value plot") }, liveRow = lines.firstIndex { $0.contains("live plot") }
        #expect(valueRow.map { lines[$0].contains("Out[1]:") || ($0 > 0 && lines[$0 - 1].contains("Out[1]:")) } == true)
        #expect(!lines.contains { $0.contains("Out[2]") })
        #expect(liveRow != nil)
    }

    @Test("Ctrl-C when idle clears input and never quits; Ctrl-D asks to save a dirty session")
    func quitRules() {
        let model = NotebookModel(notebook: Notebook(), path: nil, evaluator: FakeEvaluator())
        #expect(drive(model, typed("abc") + [.ctrl("c")]).isEmpty)
        #expect(model.editor.text.isEmpty)
        #expect(drive(model, [.ctrl("c")]).isEmpty)
        _ = drive(model, typed("y = 1") + [.enter])
        #expect(drive(model, [.ctrl("d")]).isEmpty)
        #expect(model.prompt == .confirmQuit)
        #expect(model.render(width: 80, height: 20).screen.lines.last?.contains("save changes before quitting?") == true)
        #expect(drive(model, [.char("c")]).isEmpty)
        #expect(model.prompt == nil)
        #expect(drive(model, typed(":q") + [.enter]).isEmpty)
        #expect(drive(model, [.char("n")]) == [.quit])
    }

    @Test("a clean session quits at once on Ctrl-D and on :q")
    func cleanQuit() {
        let model = NotebookModel(notebook: Notebook(), path: nil, evaluator: FakeEvaluator())
        #expect(drive(model, [.ctrl("d")]) == [.quit])
        #expect(drive(model, typed(":q") + [.enter]) == [.quit])
    }

    @Test("Ctrl-C while running interrupts and drops the run-all queue")
    func interrupt() {
        let model = NotebookModel(notebook: Notebook(percentScript: "# %%\na\n# %%\nb\n"), path: nil, evaluator: FakeEvaluator())
        let effects = model.handle(.function(5))
        #expect(effects == [.run(index: 0)])
        _ = model.beginRun(index: 0)
        #expect(model.queue == [1])
        #expect(model.render(width: 60, height: 20).screen.lines.last?.contains("running cell 1") == true)
        #expect(model.handle(.ctrl("c")) == [.interrupt])
        #expect(model.queue.isEmpty)
        #expect(model.finishRun(index: 0, result: CellRun(outputs: [], executionCount: 1, failed: true)).isEmpty)
    }

    @Test("save, save-as on quit, and reopen shows the outputs")
    func saveAndReopen() throws {
        let dir = NSTemporaryDirectory() + "ritz-tui-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = NotebookModel(notebook: Notebook(), path: nil, evaluator: FakeEvaluator())
        _ = drive(model, typed("plot") + [.enter] + typed("v = 7") + [.enter] + typed("v") + [.enter])
        _ = drive(model, [.ctrl("d")])
        #expect(model.prompt == .confirmQuit)
        _ = drive(model, [.char("y")])
        guard case .saveAs? = model.prompt else { Issue.record("expected save-as"); return }
        let path = dir + "/s.ipynb"
        _ = drive(model, Array(repeating: Key.ctrl("u"), count: 1) + typed(path))
        #expect(drive(model, [.enter]) == [.quit])
        let reopened = NotebookModel(notebook: try Notebook.load(path: path), path: path, evaluator: FakeEvaluator())
        let screen = reopened.render(width: 60, height: 24).screen.text
        #expect(screen.contains("⡇ plot of 1"))
        #expect(screen.contains("Out[3]: 7"))
        #expect(!reopened.dirty)
    }

    @Test("edit and re-run an earlier cell; delete and undelete; clear outputs")
    func cellOperations() {
        let model = NotebookModel(notebook: Notebook(), path: nil, evaluator: FakeEvaluator())
        _ = drive(model, typed("a") + [.enter] + typed("b") + [.enter])
        _ = drive(model, [.altUp, .altUp])
        #expect(model.editingIndex == 0)
        #expect(model.editor.text == "a")
        #expect(drive(model, [.ctrl("e")] + typed("bc") + [.enter]) == [.run(index: 0)])
        #expect(model.notebook.cells[0].source == "abc")
        #expect(model.notebook.cells[0].executionCount == 3)
        _ = drive(model, [.altUp, .altUp, .function(8)])
        #expect(model.notebook.cells.map(\.source) == ["b"])
        _ = drive(model, typed(":undelete") + [.enter])
        #expect(model.notebook.cells.map(\.source) == ["abc", "b"])
        _ = drive(model, typed(":clear") + [.enter])
        #expect(model.notebook.cells.allSatisfy { $0.outputs.isEmpty && $0.executionCount == nil })
    }

    @Test("?name and F1 open the help pane; Esc closes it")
    func help() {
        let model = NotebookModel(notebook: Notebook(), path: nil, evaluator: FakeEvaluator())
        _ = drive(model, typed("?zeros") + [.enter])
        var screen = model.render(width: 70, height: 24).screen.text
        #expect(screen.contains("── help"))
        #expect(screen.contains("A tensor of zeros."))
        _ = drive(model, [.escape])
        #expect(!model.render(width: 70, height: 24).screen.text.contains("── help"))
        _ = drive(model, typed("ze") + [.function(1)])
        #expect(model.helpText?.contains("no help for `ze`") == true)
        _ = drive(model, [.ctrl("u"), .function(1)])
        screen = model.render(width: 100, height: 40).screen.text
        #expect(screen.contains("Enter runs") && screen.contains("command mode:") && screen.contains("topics: zeros"))
    }

    @Test("Tab completes a unique name, shows candidates otherwise")
    func tab() {
        let model = NotebookModel(notebook: Notebook(), path: nil, evaluator: FakeEvaluator())
        _ = drive(model, typed("ze") + [.tab])
        #expect(model.editor.text == "zeros")
        _ = drive(model, [.ctrl("u")] + typed("train(m, s") + [.tab])
        #expect(model.editor.text == "train(m, s")
        #expect(model.completions == ["seed=", "steps="])
        #expect(model.render(width: 60, height: 12).screen.text.contains("seed=  steps="))
    }

    @Test("Up recalls history by prefix; Ctrl-R searches")
    func historyKeys() {
        let model = NotebookModel(notebook: Notebook(), path: nil, evaluator: FakeEvaluator(),
                                  history: History(entries: ["x = 1", "train(m)", "x = 2"]))
        _ = drive(model, typed("x") + [.up])
        #expect(model.editor.text == "x = 2")
        _ = drive(model, [.up])
        #expect(model.editor.text == "x = 1")
        _ = drive(model, [.down, .down])
        #expect(model.editor.text == "x")
        _ = drive(model, [.ctrl("u"), .ctrl("r")] + typed("tra"))
        #expect(model.render(width: 60, height: 12).screen.lines.last?.contains("(reverse-i-search)`tra': train(m)") == true)
        _ = drive(model, [.right])
        #expect(model.editor.text == "train(m)")
    }

    @Test("below the minimum size the screen says so", arguments: [(39, 24), (80, 9), (0, 0)])
    func tooSmall(_ size: (Int, Int)) {
        let model = NotebookModel(notebook: Notebook(), path: nil, evaluator: FakeEvaluator())
        let frame = model.render(width: size.0, height: size.1)
        #expect(frame.screen.width == size.0)
        if size.0 > 0 && size.1 > 0 { #expect(frame.screen.lines[0].hasPrefix("terminal too small".prefix(size.0))) }
    }

    @Test("layout: header on top, status at the bottom, editor above it, long lists follow the bottom")
    func layout() {
        var notebook = Notebook()
        for i in 0..<30 { notebook.appendCode("v\(i)") }
        let model = NotebookModel(notebook: notebook, path: "/tmp/long.ipynb", evaluator: FakeEvaluator())
        let lines = model.render(width: 60, height: 12).screen.lines
        #expect(lines[0].hasPrefix(" ritz · long.ipynb"))
        #expect(lines[0].hasSuffix("30 cells"))
        #expect(lines[11].hasPrefix(" idle"))
        #expect(lines[10] == "In [ ]:")
        #expect(lines[9].allSatisfy { $0 == "─" })
        #expect(lines[8].isEmpty && lines[7].hasSuffix("v29"))
        _ = model.handle(.pageUp)
        let paged = model.render(width: 60, height: 12).screen.lines
        #expect(!paged.joined().contains("v29"))
        #expect(paged.joined().contains("more lines"))
    }
}

/// Saving over a file that another notebook or program wrote since this one read or saved it.
@Suite("notebook saves and concurrent writers")
struct ConcurrentSaveTests {
    static func folder() throws -> String {
        let dir = NSTemporaryDirectory() + "ritz-save-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A model on `path`, opened the way `ritz FILE` opens it.
    static func open(_ path: String) throws -> NotebookModel {
        let (notebook, stamp) = try Notebook.loadStamped(path: path)
        return NotebookModel(notebook: notebook, path: path, evaluator: FakeEvaluator(), fileStamp: stamp)
    }

    @Test("two notebooks on one file: the second save asks, and cancel, overwrite and save-as do what they say")
    func secondSaveAsks() throws {
        let dir = try ConcurrentSaveTests.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/s.ipynb"
        try Notebook(percentScript: "# %%\nstart\n").save(path: path)
        let first = try ConcurrentSaveTests.open(path), second = try ConcurrentSaveTests.open(path)
        _ = drive(first, typed("mine = 1") + [.enter])
        _ = drive(second, typed("theirs = 2") + [.enter])
        // The first saves: the file is as it read it, so no question.
        _ = drive(first, [.ctrl("s")])
        #expect(first.prompt == nil)
        #expect(first.message == "saved \(path)")
        // And again: its own save does not count as someone else's change.
        _ = drive(first, typed("more = 3") + [.enter, .ctrl("s")])
        #expect(first.prompt == nil)
        // The second saves: the file changed under it.
        _ = drive(second, [.ctrl("s")])
        guard case .confirmOverwrite(let reason, thenQuit: false)? = second.prompt else {
            Issue.record("expected the overwrite question, got \(String(describing: second.prompt))")
            return
        }
        #expect(reason.hasPrefix("\(path) changed on disk since it was opened or saved"))
        #expect(second.render(width: 200, height: 24).screen.text.contains("(o)verwrite (s)ave as (c)ancel"))
        // Cancel keeps the first notebook's work.
        _ = drive(second, [.char("c")])
        #expect(second.prompt == nil && second.message == "not saved" && second.dirty)
        #expect(try Notebook.load(path: path).cells.map(\.source) == ["start", "mine = 1", "more = 3"])
        // Save as another name.
        _ = drive(second, [.ctrl("s"), .char("s")])
        guard case .saveAs? = second.prompt else { Issue.record("expected save-as"); return }
        _ = drive(second, [.ctrl("u")] + typed(dir + "/theirs.ipynb") + [.enter])
        #expect(try Notebook.load(path: dir + "/theirs.ipynb").cells.map(\.source) == ["start", "theirs = 2"])
        #expect(try Notebook.load(path: path).cells.map(\.source) == ["start", "mine = 1", "more = 3"])
        // The first notebook, asked again after the other one's writes elsewhere, still saves quietly.
        _ = drive(first, [.ctrl("s")])
        #expect(first.prompt == nil)
        // Overwrite, on the way out.
        let third = try ConcurrentSaveTests.open(path)
        _ = drive(third, typed("last = 4") + [.enter])
        try Notebook(percentScript: "# %%\nsomeone else\n").save(path: path)
        _ = drive(third, [.ctrl("d"), .char("y")])
        guard case .confirmOverwrite(_, thenQuit: true)? = third.prompt else { Issue.record("expected the question"); return }
        #expect(drive(third, [.char("o")]) == [.quit])
        #expect(try Notebook.load(path: path).cells.map(\.source) == ["start", "mine = 1", "more = 3", "last = 4"])
    }

    @Test("a file only touched is not a change; saving as an existing other file asks")
    func touchAndOtherFile() throws {
        let dir = try ConcurrentSaveTests.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/s.ipynb", other = dir + "/other.ipynb"
        try Notebook(percentScript: "# %%\na\n").save(path: path)
        try "not a notebook".write(toFile: other, atomically: false, encoding: .utf8)
        let model = try ConcurrentSaveTests.open(path)
        _ = drive(model, typed("b = 1") + [.enter])
        // `touch` to a later time: the bytes are the same.
        var times = [timespec(tv_sec: time(nil) + 100, tv_nsec: 0), timespec(tv_sec: time(nil) + 100, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        _ = drive(model, [.ctrl("s")])
        #expect(model.prompt == nil)
        _ = drive(model, [.function(2), .ctrl("u")] + typed(other) + [.enter])
        guard case .confirmOverwrite(let reason, _)? = model.prompt else { Issue.record("expected the question"); return }
        #expect(reason.hasPrefix("\(other) exists"))
        _ = drive(model, [.escape])
        #expect(try String(contentsOfFile: other, encoding: .utf8) == "not a notebook")
    }

    @Test("FileStamp: size and content decide, a missing file is no one's work")
    func stamps() throws {
        let dir = try ConcurrentSaveTests.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/f"
        #expect(FileStamp.change(since: nil, path: path) == nil)
        try "abc".write(toFile: path, atomically: false, encoding: .utf8)
        let recorded = try #require(FileStamp.current(path: path))
        #expect(recorded.size == 3)
        // FNV-1a 64 of "abc", computed independently in Python (h = (h ^ b) * 0x100000001b3 mod 2^64).
        #expect(recorded.digest == 0xE71F_A219_0541_574B)
        #expect(FileStamp.change(since: nil, path: path) == recorded)  // created meanwhile
        #expect(FileStamp.change(since: recorded, path: path) == nil)
        try "abd".write(toFile: path, atomically: false, encoding: .utf8)  // same size, other bytes
        #expect(FileStamp.change(since: recorded, path: path)?.digest != recorded.digest)
        unlink(path)
        #expect(FileStamp.change(since: recorded, path: path) == nil)
    }
}

