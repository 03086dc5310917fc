import Foundation
import RitzNotebook

/// An evaluator for every front end: live cells for the notebook and REPL, plain runs for batch.
public typealias NotebookEvaluator = LiveEvaluator & CellEvaluator

/// The notebook side of the `ritz` command line: the notebook, `repl`, `run` of sessions,
/// `check`, `export` and `recover`.
public enum RitzCLI {
    /// Handles `arguments` (without the program name) when they name a notebook-side command.
    ///
    /// - Parameters:
    ///   - arguments: The command line after `ritz`.
    ///   - makeEvaluator: Creates a fresh language session.
    /// - Returns: The exit status, or nil when the command is not one of these (e.g. `ritz run
    ///   script.ritz` without `--save`, left to the language's batch runner).
    public static func main(arguments: [String], makeEvaluator: () -> any NotebookEvaluator) -> Int32? {
        let command = arguments.first ?? ""
        let rest = Array(arguments.dropFirst())
        switch command {
        case "repl":
            let evaluator = makeEvaluator()
            if isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 {
                return ReplRunner.interactive(evaluator: evaluator, stateDirectory: Journal.stateDirectory())
            }
            return ReplRunner.plain(evaluator: evaluator)
        case "run":
            guard let file = rest.first(where: { !$0.hasPrefix("-") }),
                  file.hasSuffix(".ipynb") || rest.contains("--save") else { return nil }
            return runSession(rest, evaluator: makeEvaluator())
        case "check": return check(rest, evaluator: makeEvaluator())
        case "export": return export(rest)
        case "recover": return recover(rest)
        case "", _ where command.hasSuffix(".ipynb") || command.hasSuffix(".ritz") || command == "notebook":
            let path = command == "notebook" ? rest.first : (command.isEmpty ? nil : command)
            return notebook(path: path, evaluator: makeEvaluator())
        default:
            return nil
        }
    }

    static func fail(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data(("ritz: " + message + "\n").utf8))
        return 1
    }

    /// The value after `flag` in `args`, if any.
    static func option(_ flag: String, in args: [String]) -> String? {
        guard let i = args.firstIndex(of: flag), i + 1 < args.count else { return nil }
        return args[i + 1]
    }

    /// `ritz [FILE]`: the notebook on a terminal; REPL semantics without one.
    ///
    /// - Parameters:
    ///   - path: The session to open (created on save when missing); nil opens the tour.
    ///   - evaluator: The language session.
    /// - Returns: The exit status.
    public static func notebook(path: String?, evaluator: any NotebookEvaluator) -> Int32 {
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
        let state = Journal.stateDirectory()
        let journal = try? Journal(stateDirectory: state, notebook: notebook, sourcePath: savePath)
        let historyPath = History.path(stateDirectory: state, name: "notebook_history")
        let model = NotebookModel(notebook: notebook, path: savePath, evaluator: evaluator,
                                  history: History.load(path: historyPath), journal: journal, fileStamp: stamp)
        let ending = CursesNotebook(model: model).run()
        try? model.history.save(path: historyPath)
        if case .signal(let sig) = ending { return 128 + sig }  // the journal stays for `ritz recover`
        journal?.finish()
        return 0
    }

    /// `ritz run FILE [--save OUT] [--no-plots]`: runs every cell, printing outputs; exit 1 on
    /// the first error. Cells are journaled while it runs (under `stateDirectory`); `--save`
    /// refuses to write over a file that something else wrote while the run went on.
    static func runSession(_ args: [String], evaluator: any NotebookEvaluator,
                           stateDirectory: String = Journal.stateDirectory()) -> Int32 {
        guard let file = args.first(where: { !$0.hasPrefix("-") && $0 != option("--save", in: args) }) else {
            return fail("usage: ritz run FILE [--save OUT.ipynb] [--no-plots]")
        }
        let plots = !args.contains("--no-plots")
        var notebook: Notebook
        do { notebook = try Notebook.load(path: file) } catch { return fail("\(error)") }
        let saveTarget = option("--save", in: args)
        // The save target as it was when the run began: the save is refused if anything else
        // writes it meanwhile (another notebook, another run).
        let targetAtStart = saveTarget.flatMap { FileStamp.current(path: $0) }
        let journal = try? Journal(stateDirectory: stateDirectory, notebook: notebook, sourcePath: file)
        let runner = NotebookRunner(evaluator: evaluator, journal: journal)
        let failure: Int?
        do {
            failure = try runner.runAll(&notebook, stopOnError: true) { _, cell in
                ReplRunner.printOutputs(CellRun(outputs: cell.outputs, executionCount: cell.executionCount, failed: false),
                                        plots: plots)
            }
        } catch {
            return fail("\(error)")
        }
        if let out = saveTarget {
            if let changed = FileStamp.change(since: targetAtStart, path: out) {
                // The journal stays, so `ritz recover` still has this run.
                return fail("not saved: \(out) changed on disk while the run went on (\(changed.summary));"
                            + " `ritz recover` has this run")
            }
            do { try notebook.save(path: out) } catch { return fail("\(error)") }
        }
        journal?.finish()
        return failure == nil ? 0 : 1
    }

    /// `ritz check FILE.ipynb`: re-runs and compares every output; exit 1 on any difference.
    static func check(_ args: [String], evaluator: any NotebookEvaluator) -> Int32 {
        guard let file = args.first else { return fail("usage: ritz check FILE.ipynb") }
        let saved: Notebook
        do { saved = try Notebook.load(path: file) } catch { return fail("\(error)") }
        var rerun = saved
        do {
            try NotebookRunner(evaluator: evaluator).runAll(&rerun, stopOnError: false)
        } catch {
            return fail("\(error)")
        }
        let differences = OutputCheck.differences(saved: saved, rerun: rerun)
        if differences.isEmpty {
            let cells = saved.cells.filter { $0.kind == .code }.count
            print("\(file): \(cells) cells, all outputs match")
            return 0
        }
        print("\(file): outputs differ")
        for line in differences { print(line) }
        return 1
    }

    /// `ritz export FILE --to md|html|ritz|ipynb [-o OUT]`.
    static func export(_ args: [String]) -> Int32 {
        guard let file = args.first(where: { !$0.hasPrefix("-") && $0 != option("--to", in: args) && $0 != option("-o", in: args) }),
              let to = option("--to", in: args), let format = SessionFormat(rawValue: to) else {
            return fail("usage: ritz export FILE --to md|html|ritz|ipynb [-o OUT]")
        }
        let out = option("-o", in: args)
            ?? URL(fileURLWithPath: file).deletingPathExtension().appendingPathExtension(format.rawValue).path
        guard out != file else { return fail("the output would overwrite \(file); give -o OUT") }
        do {
            let notebook = try Notebook.load(path: file)
            try notebook.export(to: out)
            print("wrote \(out)")
            return 0
        } catch {
            return fail("\(error)")
        }
    }

    /// `ritz recover [N] [-o OUT]`: lists sessions that did not end cleanly; restores one.
    ///
    /// Journals with nothing to recover are deleted first (`Journal.prune`). A restored session
    /// goes to `-o OUT` or to the first free `NAME-recovered[-k].ipynb`; no file is overwritten.
    static func recover(_ args: [String]) -> Int32 {
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
            print(line)
        }
        var choice = args.first(where: { Int($0) != nil }).flatMap { Int($0) }
        if choice == nil && isatty(STDIN_FILENO) == 1 {
            print("restore which? (number, Enter for none) ", terminator: "")
            choice = readLine().flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        }
        guard let n = choice else { return 0 }
        guard n >= 1, n <= sessions.count else { return fail("no session \(n)") }
        let session = sessions[n - 1]
        do {
            let out = try Journal.restore(session, to: option("-o", in: args))
            print("restored \(session.notebook.cells.count) cells to \(out)")
            return 0
        } catch {
            return fail("\(error)")
        }
    }
}
