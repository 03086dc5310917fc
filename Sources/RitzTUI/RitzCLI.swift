import Foundation
import RitzNotebook
import RitzPlot

/// An evaluator for every front end: live cells for the notebook and REPL, plain runs for batch.
public typealias NotebookEvaluator = LiveEvaluator & CellEvaluator

/// The notebook side of the `ritz` command line: the notebook, `repl`, `check`, `export` and
/// `recover`, each taking arguments already parsed.
public enum RitzCLI {
    /// `ritz repl`: readline on a terminal, plain lines otherwise.
    ///
    /// - Parameter evaluator: The language session.
    /// - Returns: The exit status.
    public static func repl(evaluator: any NotebookEvaluator) -> Int32 {
        if isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 {
            return ReplRunner.interactive(evaluator: evaluator, stateDirectory: Journal.stateDirectory())
        }
        return ReplRunner.plain(evaluator: evaluator)
    }

    static func fail(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data(("ritz: " + TerminalText.inert(message) + "\n").utf8))
        return 1
    }

    /// `ritz [FILE]`: the notebook on a terminal; REPL semantics without one.
    ///
    /// - Parameters:
    ///   - path: The session to open (created on save when missing); nil opens the tour.
    ///   - evaluator: The language session.
    ///   - makeEvaluator: A fresh session for `:restart`; nil disables restarting.
    public static func notebook(path: String?, evaluator: any NotebookEvaluator,
                                makeEvaluator: (() -> any NotebookEvaluator)? = nil) -> Int32 {
        var notebook = Notebook()
        var stamp: FileStamp?
        var savePath = path
        if let path {
            if FileManager.default.fileExists(atPath: path) {
                do { (notebook, stamp) = try Notebook.loadStamped(path: path) } catch { return fail("\(error)") }
            }
        } else if let tour = Tour.notebook() {
            notebook = tour
            savePath = nil
        }
        guard isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 else {
            if path != nil {
                var copy = notebook
                let runner = NotebookRunner(evaluator: evaluator)
                do {
                    if try runner.runAll(&copy, stopOnError: true, onCell: { _, cell in
                        ReplRunner.printOutputs(CellRun(outputs: cell.outputs, executionCount: nil, failed: false))
                    }) != nil { return 1 }
                } catch { return fail("\(error)") }
            }
            return ReplRunner.plain(evaluator: evaluator)
        }
        let terminal = TerminalCapabilities.notebookTerminal(ProcessInfo.processInfo.environment["TERM"])
        guard let terminalType = terminal.type else {
            if case .unusable(let reason) = terminal { return fail(reason) }
            return 1
        }
        let state = Journal.stateDirectory()
        var notes = TerminalCapabilities.note(terminal).map { [$0] } ?? []
        var journal: Journal?
        do {
            journal = try Journal(stateDirectory: state, notebook: notebook, sourcePath: savePath)
        } catch {
            notes.append("autosave is off: \(error)")
        }
        let historyPath = History.path(stateDirectory: state, name: "notebook_history")
        let model = NotebookModel(notebook: notebook, path: savePath, evaluator: evaluator,
                                  history: History.load(path: historyPath), journal: journal, fileStamp: stamp,
                                  makeEvaluator: makeEvaluator.map { make in { make() } })
        if !notes.isEmpty { model.notify(notes.joined(separator: " · ")) }
        let screen = CursesNotebook(model: model)
        let ending = screen.run(terminalType: terminalType)
        try? model.history.save(path: historyPath)
        var status: Int32 = 0
        if case .signal(let sig) = ending {
            status = 128 + sig  // the journal stays for `ritz recover`
        } else {
            journal?.finish()
        }
        if screen.cellStillRunning {
            // A cell that would not stop still runs on its thread: leave without exit's handlers.
            fflush(nil)
            _exit(status)
        }
        return status
    }

    /// `ritz export FILE --to md|html|ritz|ipynb [-o OUT] [--run]`.
    ///
    /// With `runWith`, every code cell runs first, top to bottom, stopping at the first error
    /// (the page then holds the outputs so far and the status is 1), as `jupyter nbconvert
    /// --execute` does. Without it, a session with no outputs at all is exported with a note
    /// on stderr that `--run` would fill them.
    ///
    /// - Parameters:
    ///   - file: The session or script.
    ///   - format: The format to write.
    ///   - output: The destination (default: `file` with the format's extension).
    ///   - runWith: A fresh session to run the cells in first, or nil.
    /// - Returns: The exit status.
    public static func export(path file: String, format: SessionFormat, output: String?,
                              runWith evaluator: (any CellEvaluator)? = nil) -> Int32 {
        let out = output
            ?? URL(fileURLWithPath: file).deletingPathExtension().appendingPathExtension(format.rawValue).path
        guard out != file else { return fail("the output would overwrite \(file); give -o OUT") }
        do {
            var notebook = try Notebook.load(path: file)
            var status: Int32 = 0
            if let evaluator {
                if let failed = try NotebookRunner(evaluator: evaluator).runAll(&notebook, stopOnError: true) {
                    _ = fail("cell \(failed + 1) failed; the export holds the outputs up to it")
                    status = 1
                }
            } else if format != .ritz, notebook.cells.contains(where: { $0.kind == .code }),
                      notebook.cells.allSatisfy({ $0.outputs.isEmpty }) {
                FileHandle.standardError.write(Data("ritz: note: \(TerminalText.inert(file)) has no outputs; --run runs it first\n".utf8))
            }
            try notebook.export(to: out)
            print("wrote \(out)")
            return status
        } catch {
            return fail("\(error)")
        }
    }

    /// `ritz recover [N] [-o OUT]`: lists sessions that did not end cleanly; restores one.
    ///
    /// Journals with nothing to recover are deleted first (`Journal.prune`). A restored session
    /// goes to `-o OUT` or to the first free `NAME-recovered[-k].ipynb`; no file is overwritten.
    ///
    /// - Parameters:
    ///   - choice: The 1-based number of the session to restore; asked for on a terminal when nil.
    ///   - output: Where to write it.
    /// - Returns: The exit status.
    public static func recover(choice: Int?, output: String?) -> Int32 {
        let sessions = Journal.prune(stateDirectory: Journal.stateDirectory())
        guard !sessions.isEmpty else {
            print("nothing to recover")
            return 0
        }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        for (i, s) in sessions.enumerated() {
            let when = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(s.started)))
            let name = s.sourcePath.map { ($0 as NSString).lastPathComponent } ?? "untitled"
            var line = "\(i + 1). \(when)  \(name)  \(s.notebook.cells.count) cells, \(s.completedCells) completed runs"
            if let running = s.runningCellIndex { line += "; cell \(running + 1) was running (source kept, no outputs)" }
            print(TerminalText.inert(line))
        }
        var choice = choice
        if choice == nil && isatty(STDIN_FILENO) == 1 {
            print("restore which? (number, Enter for none) ", terminator: "")
            choice = readLine().flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        }
        guard let n = choice else { return 0 }
        guard n >= 1, n <= sessions.count else { return fail("no session \(n)") }
        let session = sessions[n - 1]
        do {
            let out = try Journal.restore(session, to: output)
            print("restored \(session.notebook.cells.count) cells to \(out)")
            return 0
        } catch {
            return fail("\(error)")
        }
    }
}
