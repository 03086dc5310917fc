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

    /// Writes a journal for `script` (run through `EchoEvaluator`) whose writer then "dies":
    /// the journal object is dropped without `finish`, which closes its file and so releases
    /// its lock, as the kernel does for a killed process.
    static func deadJournal(in dir: String, script: String, sourcePath: String?) throws -> String {
        var notebook = Notebook(percentScript: script)
        let journal = try Journal(stateDirectory: dir, notebook: notebook, sourcePath: sourcePath)
        try NotebookRunner(evaluator: EchoEvaluator(), journal: journal).runAll(&notebook, stopOnError: false)
        return journal.path
    }

    @Test("a journal is offered exactly when its lock is free: a live PID in it does not hide it")
    func lockDecides() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let live = try Journal(stateDirectory: dir, notebook: Notebook(percentScript: "a\n"), sourcePath: "/tmp/live.ritz")
        #expect(Journal.recoverable(stateDirectory: dir).isEmpty)
        // Written by this (very much alive) process, but its lock is gone: a dead writer whose
        // PID was reused looks exactly like this.
        let path = try JournalTests.deadJournal(in: dir, script: "# %%\na\n", sourcePath: "/tmp/dead.ritz")
        let sessions = Journal.recoverable(stateDirectory: dir)
        #expect(sessions.map(\.journalPath) == [path])
        #expect(sessions.first?.pid == Int(getpid()))
        live.finish()
    }

    @Test("a writer killed but not yet reaped (a zombie) has released its lock",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/flock")))
    func zombieWriter() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try JournalTests.deadJournal(in: dir, script: "# %%\na\n", sourcePath: "/tmp/z.ritz")
        // Another process takes the journal's lock (flock(1) holds it itself; -o keeps it from
        // the command it runs), as a running ritz would.
        var pid: pid_t = 0
        let command: [String] = ["/usr/bin/flock", "-n", "-o", path, "/bin/sleep", "30"]
        let argv = command.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        #expect(posix_spawn(&pid, "/usr/bin/flock", nil, nil, argv, environ) == 0)
        // Up to 20 s for each state change: a loaded machine may start or kill a process slowly.
        var locked = false
        for _ in 0..<2000 where !locked {
            locked = Journal.ownerIsAlive(journal: path) == true
            if !locked { usleep(10_000) }
        }
        #expect(locked)
        #expect(Journal.recoverable(stateDirectory: dir).isEmpty)
        kill(pid, SIGKILL)
        // Until it is reaped the process is a zombie; its PID still answers kill(pid, 0).
        var zombie = false
        for _ in 0..<2000 where !zombie {
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            zombie = stat.split(separator: ")").last?.split(separator: " ").first == "Z"
            if !zombie { usleep(10_000) }
        }
        #expect(zombie)
        #expect(kill(pid, 0) == 0)
        #expect(Journal.recoverable(stateDirectory: dir).map(\.journalPath) == [path])
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    @Test("the source of a cell is journaled before it runs; killed mid-run it comes back without outputs")
    func runningCell() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var notebook = Notebook(percentScript: "# %%\na\n# %%\nb\n")
        notebook.cells[1].outputs = [.stream(name: "stdout", text: "stale output of an older b\n")]
        let journal = try Journal(stateDirectory: dir, notebook: notebook, sourcePath: "/tmp/r.ritz")
        // The evaluator looks at the journal while each cell runs.
        final class Peek: CellEvaluator {
            let journalPath: String
            var seen: [(source: String?, running: Int?, outputs: Int?)] = []
            init(_ path: String) { journalPath = path }
            func evaluate(source: String, cellNumber: Int) -> CellRun {
                let session = Journal.read(journal: journalPath)
                let index = cellNumber - 1
                seen.append((session?.notebook.cells[safe: index]?.source, session?.runningCellIndex,
                             session?.notebook.cells[safe: index]?.outputs.count))
                return CellRun(outputs: [.result(executionCount: cellNumber, data: [textMIME: source])],
                               executionCount: cellNumber, failed: false)
            }
        }
        notebook.cells[1].source = "b edited"
        let peek = Peek(journal.path)
        try NotebookRunner(evaluator: peek, journal: journal).runAll(&notebook, stopOnError: false)
        #expect(peek.seen.map(\.source) == ["a", "b edited"])
        #expect(peek.seen.map(\.running) == [0, 1])
        #expect(peek.seen.map(\.outputs) == [0, 0])  // the stale output is not restored with the new source
        // A cell that starts and never completes (the process is killed during it).
        notebook.appendCode("while true { }")
        try journal.begin(cell: notebook.cells[2], at: 2)
        let session = try #require(Journal.read(journal: journal.path))
        #expect(session.completedCells == 2)
        #expect(session.runningCellIndex == 2)
        #expect(session.notebook.cells.map(\.source) == ["a", "b edited", "while true { }"])
        #expect(session.notebook.cells[2].outputs.isEmpty && session.notebook.cells[2].executionCount == nil)
        #expect(session.notebook.cells[1].outputs.map(\.plainText) == ["b edited"])
        // SIGTERM during a re-run snapshots the screen's notebook, where the cell still shows
        // the outputs of its earlier run: they are not the running source's, so they go.
        var screen = notebook
        screen.cells[1].source = "b edited again"
        try journal.begin(cell: screen.cells[1], at: 1)
        try journal.snapshot(screen)
        let terminated = try #require(Journal.read(journal: journal.path))
        #expect(terminated.runningCellIndex == 1)
        #expect(terminated.notebook.cells[1].source == "b edited again")
        #expect(terminated.notebook.cells[1].outputs.isEmpty)
        #expect(terminated.notebook.cells[0].outputs.map(\.plainText) == ["a"])
        journal.finish()
    }

    @Test("two crashed sessions of one notebook restore to two fresh names; nothing is overwritten")
    func freshNames() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try JournalTests.deadJournal(in: dir, script: "# %%\nfirst\n", sourcePath: "/work/s.ipynb")
        _ = try JournalTests.deadJournal(in: dir, script: "# %%\nsecond\n", sourcePath: "/work/s.ipynb")
        let sessions = Journal.recoverable(stateDirectory: dir)
        #expect(sessions.count == 2)
        let precious = dir + "/precious.ipynb"
        try "someone's work".write(toFile: precious, atomically: false, encoding: .utf8)
        // An explicit name that exists is refused, and the journal stays.
        #expect(throws: NotebookError.self) { try Journal.restore(sessions[0], to: precious) }
        #expect(try String(contentsOfFile: precious, encoding: .utf8) == "someone's work")
        #expect(Journal.recoverable(stateDirectory: dir).count == 2)
        let first = try Journal.restore(sessions[0], folder: dir)
        let second = try Journal.restore(sessions[1], folder: dir)
        #expect(first == dir + "/s-recovered.ipynb")
        #expect(second == dir + "/s-recovered-2.ipynb")
        #expect(try Notebook.load(path: first).cells.map(\.source) == ["first"])
        #expect(try Notebook.load(path: second).cells.map(\.source) == ["second"])
        // Restored journals are gone, not renamed.
        #expect(Journal.recoverable(stateDirectory: dir).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: Journal.journalDirectory(stateDirectory: dir)).isEmpty)
    }

    @Test("prune removes ended, recovered, unreadable and superseded journals, never a live one")
    func prune() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let folder = Journal.journalDirectory(stateDirectory: dir)
        // Older session of s.ipynb: cells a, b; a newer one ran a, b and c: it holds everything.
        let superseded = try JournalTests.deadJournal(in: dir, script: "# %%\na\n# %%\nb\n", sourcePath: "/w/s.ipynb")
        // A live session of s.ipynb whose cells the newer dead one also holds: it stays.
        let live = try Journal(stateDirectory: dir, notebook: Notebook(percentScript: "# %%\na\n"), sourcePath: "/w/s.ipynb")
        // Same path, a cell the newer one lacks: it stays.
        let different = try JournalTests.deadJournal(in: dir, script: "# %%\nzzz\n", sourcePath: "/w/s.ipynb")
        // Same cells, another file: it stays.
        let otherFile = try JournalTests.deadJournal(in: dir, script: "# %%\na\n", sourcePath: "/w/t.ipynb")
        let newer = try JournalTests.deadJournal(in: dir, script: "# %%\na\n# %%\nb\n# %%\nc\n", sourcePath: "/w/s.ipynb")
        // A clean exit whose removal failed leaves an ended journal.
        let ended = try Journal(stateDirectory: dir, notebook: Notebook(), sourcePath: nil)
        let endedCopy = folder + "/0000000002-1.jsonl"
        ended.finish()
        try (#"{"kind":"start","pid":1,"started":2,"notebook":{"cells":[]}}"# + "\n" + #"{"kind":"end"}"# + "\n")
            .write(toFile: endedCopy, atomically: false, encoding: .utf8)
        let unreadable = folder + "/0000000003-1.jsonl"
        try "not json\n".write(toFile: unreadable, atomically: false, encoding: .utf8)
        let oldRecovered = folder + "/0000000004-1.jsonl.recovered"
        try "{}\n".write(toFile: oldRecovered, atomically: false, encoding: .utf8)

        #expect(Journal.recoverable(stateDirectory: dir).map(\.journalPath) == [different, otherFile, newer])
        let remaining = Journal.prune(stateDirectory: dir)
        #expect(remaining.map(\.journalPath) == [different, otherFile, newer])
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: folder).map { folder + "/" + $0 })
        #expect(files == [live.path, different, otherFile, newer])
        #expect(!files.contains(superseded))
        live.finish()
    }
}
