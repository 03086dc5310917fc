import ArgumentParser
import Foundation
import RitzLang
import RitzNotebook
import RitzTensor

/// `ritz run FILE [--save OUT] [--no-plots]`: runs a script or session top to bottom.
///
/// Scripts and sessions print alike: text as it comes, values after `Out[n]:`, plots as text
/// (live on a terminal), diagnostics on standard error. Exit 1 after the first error, 130 after
/// Ctrl-C; either way the cells that finished are kept, and saved when `--save` asks.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a script (.ritz) or session (.ipynb) top to bottom, printing each cell's output.",
        discussion: "Exits 1 on the first error (with the diagnostic) and 130 when interrupted by Ctrl-C; the cells that finished are saved when --save is given. Under `mpirun -n N` the script runs data-parallel: datasets are sharded, sums over examples are MPI allreduces, rank 0 alone prints and saves, and an error on any rank ends them all.")

    @Argument(help: "The script (.ritz) or session (.ipynb).")
    var file: String

    @Option(help: "Save the session with its new outputs (.ipynb, or .ritz without outputs); may be FILE itself.")
    var save: String?

    @Flag(help: "Leave plots out of the printed output.")
    var noPlots = false

    /// Testing aid: run every cell even after errors.
    @Flag(help: .hidden)
    var keepGoing = false

    /// Testing aid: interrupt a cell after this many seconds.
    @Option(help: .hidden)
    var cellTimeout: Double?

    func validate() throws {
        try SessionPath.validate(file)
        if let save { try SessionPath.validate(save) }
    }

    func run() throws {
        throw ExitCode(BatchRun(path: file, savePath: save, showPlots: !noPlots,
                                keepGoing: keepGoing, cellTimeout: cellTimeout).run())
    }
}

/// One batch run of a file: the loop behind `ritz run`.
struct BatchRun {
    var path: String
    var savePath: String?
    var showPlots: Bool
    var keepGoing: Bool
    var cellTimeout: Double?

    /// Runs every code cell and returns the exit status (0, 1 or 130).
    func run() -> Int32 {
        let notebookAndLines: (notebook: Notebook, lineOffsets: [Int]?)
        do {
            notebookAndLines = try Self.load(path)
        } catch {
            printError("ritz: \(error)")
            return 1
        }
        var notebook = notebookAndLines.notebook
        let evaluator = SessionEvaluator()
        let stop = StopRequest(session: evaluator.session)
        let terminal = BatchTerminal.detect(environment: ProcessInfo.processInfo.environment)
        // In a data-parallel run a cell's diagnostic waits for the ranks to agree who prints it.
        let parallel = World.size > 1
        var heldDiagnostic = ""
        let sink = BatchOutput(terminal: terminal, showPlots: showPlots,
                               write: { FileHandle.standardOutput.write(Data($0.utf8)) },
                               writeError: { parallel ? heldDiagnostic += $0 : FileHandle.standardError.write(Data($0.utf8)) })
        // Rank 0 alone journals and saves.
        var journal: Journal?
        if World.isLead {
            do {
                journal = try Journal(stateDirectory: Journal.stateDirectory(), notebook: notebook, sourcePath: path)
            } catch {
                printError("ritz: autosave is off, `ritz recover` will have nothing of this run: \(error)")
            }
        }
        let savePath = World.isLead ? savePath : nil
        // The save target as it was when the run began: the save is refused if anything else
        // writes it meanwhile (another notebook, another run).
        let targetAtStart = savePath.flatMap { FileStamp.current(path: $0) }
        var status: Int32 = 0
        for index in notebook.cells.indices where notebook.cells[index].kind == .code {
            if stop.requested {
                status = 130
                break
            }
            sink.count = evaluator.session.executionCount + 1
            let origin: SourceOrigin = notebookAndLines.lineOffsets.map { .file(path, lineOffset: $0[index]) }
                ?? .cell(index + 1)
            let timer = cellTimeout.map { seconds in
                let t = DispatchSource.makeTimerSource(queue: .global())
                t.schedule(deadline: .now() + seconds)
                t.setEventHandler { evaluator.interrupt() }
                t.resume()
                return t
            }
            do {
                try journal?.begin(cell: notebook.cells[index], at: index)
            } catch {
                printError("ritz: \(error)")
                return 1
            }
            let cell = evaluator.evaluate(source: notebook.cells[index].source, origin: origin, echo: sink)
            timer?.cancel()
            sink.endCell()
            notebook.cells[index].outputs = cell.outputs
            notebook.cells[index].executionCount = cell.executionCount
            do {
                try journal?.append(cell: notebook.cells[index], at: index)
            } catch {
                printError("ritz: \(error)")
                return 1
            }
            if parallel {
                let stopping = DataParallel.afterCell(failed: cell.failed, diagnostic: heldDiagnostic) {
                    FileHandle.standardError.write(Data($0.utf8))
                }
                heldDiagnostic = ""
                if stopping {
                    // Every rank stops together; a rank whose cell did not fail still reports failure.
                    status = cell.interrupted ? 130 : 1
                    break
                }
                continue
            }
            if cell.failed {
                status = max(status, 1)
                if keepGoing { continue }
                if cell.interrupted { status = 130 }
                break
            }
        }
        if stop.requested, status == 0 { status = 130 }
        if status == 130, !keepGoing, World.isLead {
            printError("interrupted: the cells that finished are kept" + (savePath == nil ? "" : " and saved"))
        }
        if let savePath {
            if let changed = FileStamp.change(since: targetAtStart, path: savePath) {
                // The journal stays, so `ritz recover` still has this run.
                printError("ritz: not saved: \(savePath) changed on disk while the run went on (\(changed.summary));"
                           + " `ritz recover` has this run")
                return 1
            }
            do {
                try notebook.save(path: savePath)
            } catch {
                printError("ritz: \(error)")
                return 1
            }
        }
        journal?.finish()
        return status
    }

    /// Reads a session, or a script with each cell's first line in the file.
    static func load(_ path: String) throws -> (notebook: Notebook, lineOffsets: [Int]?) {
        guard try SessionFormat.of(path: path) == .ritz else { return (try Notebook.load(path: path), nil) }
        let script = try Notebook.loadScript(path: path)
        return (script.notebook, script.lineOffsets)
    }
}

/// Ctrl-C during a batch run: interrupts the running cell at its next safe point and stops the
/// run before the next cell, even when the cell ended before it looked (a builtin that does not
/// poll, as a long `eigh`).
final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    private let source: DispatchSourceSignal

    /// Installs the SIGINT handler for `session`.
    init(session: Session) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [weak self, weak session] in
            self?.raise()
            session?.interrupt()
        }
        source.resume()
    }

    private func raise() {
        lock.lock()
        raised = true
        lock.unlock()
    }

    /// Whether Ctrl-C was pressed since the run began.
    var requested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return raised
    }
}
