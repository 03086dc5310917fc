import Foundation
import Testing
@testable import RitzNotebook

/// An evaluator that echoes each cell's source as a value, failing on cells containing "fail".
final class EchoEvaluator: CellEvaluator {
    var count = 0
    func evaluate(source: String, cellNumber: Int) -> CellRun {
        count += 1
        if source.contains("fail") {
            return CellRun(outputs: [.error(name: "error", value: "failed", traceback: ["error: failed"])],
                           executionCount: count, failed: true)
        }
        return CellRun(outputs: [.result(executionCount: count, data: [textMIME: "= " + source])],
                       executionCount: count, failed: false)
    }
}

@Suite("journal and recover")
struct JournalTests {
    @Test("the state folder follows XDG_STATE_HOME, else ~/.local/state")
    func stateDirectory() {
        #expect(Journal.stateDirectory(environment: ["XDG_STATE_HOME": "/x/state", "HOME": "/h"]) == "/x/state/ritz")
        #expect(Journal.stateDirectory(environment: ["HOME": "/h"]) == "/h/.local/state/ritz")
        #expect(Journal.stateDirectory(environment: ["XDG_STATE_HOME": "relative", "HOME": "/h"]) == "/h/.local/state/ritz")
    }

    @Test("completed cells are on disk as soon as append returns, and rebuild the notebook")
    func appendAndRead() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var notebook = Notebook(percentScript: "# %%\na\n# %%\nb\n# %%\nfail here\n# %%\nd\n")
        let journal = try Journal(stateDirectory: dir, notebook: notebook, sourcePath: "/tmp/s.ritz")
        let runner = NotebookRunner(evaluator: EchoEvaluator(), journal: journal)
        var seen: [Int] = []
        let failure = try runner.runAll(&notebook, stopOnError: true) { index, cell in
            // Before the next cell starts, the journal already holds this one.
            let rebuilt = Journal.read(journal: journal.path)
            #expect(rebuilt?.completedCells == index + 1)
            #expect(rebuilt?.notebook.cells[index] == cell)
            seen.append(index)
        }
        #expect(failure == 2)
        #expect(seen == [0, 1, 2])
        let session = try #require(Journal.read(journal: journal.path))
        #expect(session.notebook.cells.map(\.source) == ["a", "b", "fail here", "d"])
        #expect(session.notebook.cells[1].outputs == [.result(executionCount: 2, data: [textMIME: "= b"])])
        #expect(session.notebook.cells[3].outputs.isEmpty)
        #expect(session.sourcePath == "/tmp/s.ritz")
        // Our own live journal is not offered for recovery.
        #expect(Journal.recoverable(stateDirectory: dir).isEmpty)
        journal.finish()
        #expect(!FileManager.default.fileExists(atPath: journal.path))
    }

    @Test("a torn last line is skipped and everything before it kept; a dead writer's journal is offered")
    func tornLine() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var notebook = Notebook(percentScript: "# %%\na\n# %%\nb\n")
        let journal = try Journal(stateDirectory: dir, notebook: notebook, sourcePath: nil)
        try NotebookRunner(evaluator: EchoEvaluator(), journal: journal).runAll(&notebook, stopOnError: false)
        // Pretend the writer was a process that is gone, and that it died mid-line.
        let text = try String(contentsOfFile: journal.path, encoding: .utf8)
        let deadPID = 999_999_999
        let moved = text.replacingOccurrences(of: "\"pid\":\(getpid())", with: "\"pid\":\(deadPID)")
            + #"{"kind":"cell","index":1,"cell":{"cell_type":"code","id":"#
        let stale = Journal.journalDirectory(stateDirectory: dir) + "/0000000001-\(deadPID).jsonl"
        try moved.write(toFile: stale, atomically: false, encoding: .utf8)
        journal.finish()
        let sessions = Journal.recoverable(stateDirectory: dir)
        #expect(sessions.count == 1)
        let session = try #require(sessions.first)
        #expect(session.completedCells == 2)
        #expect(session.notebook.cells.map(\.outputs) == notebook.cells.map(\.outputs))
        let out = dir + "/recovered.ipynb"
        try Journal.restore(session, to: out)
        #expect(try Notebook.load(path: out).cells == notebook.cells)
        #expect(Journal.recoverable(stateDirectory: dir).isEmpty)
    }

    @Test("a snapshot replaces the cell list (deletes and reorders survive recovery)")
    func snapshot() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var notebook = Notebook(percentScript: "# %%\na\n# %%\nb\n")
        let journal = try Journal(stateDirectory: dir, notebook: notebook, sourcePath: nil)
        notebook.cells.remove(at: 0)
        try journal.snapshot(notebook)
        notebook.appendCode("c")
        try journal.append(cell: notebook.cells[1], at: 1)
        let session = try #require(Journal.read(journal: journal.path))
        #expect(session.notebook.cells.map(\.source) == ["b", "c"])
        journal.finish()
    }
}
