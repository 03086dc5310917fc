import Foundation
import RitzLang
import RitzTensor

/// `ritz run FILE.ritz [--no-plots]`: runs the cells of a script top to bottom, printing text,
/// values and plots (see `BatchOutput`).
enum RunCommand {
    static func main(_ args: [String]) -> Int32 {
        var path: String?
        var noPlots = false
        var keepGoing = false
        var cellTimeout: Double?
        var pending: String?
        for a in args {
            if pending == "--cell-timeout" { cellTimeout = Double(a); pending = nil; continue }
            switch a {
            case "--no-plots": noPlots = true
            // Testing aids: run every cell even after errors; interrupt a cell after SECONDS.
            case "--keep-going": keepGoing = true
            case "--cell-timeout": pending = a
            default:
                if a.hasPrefix("-") { printError("ritz run: unknown option \(a)"); return 2 }
                path = a
            }
        }
        guard let path else { printError("usage: ritz run FILE.ritz [--no-plots]"); return 2 }
        if path.hasSuffix(".ipynb") { return notAvailable("run FILE.ipynb") }
        guard let data = FileManager.default.contents(atPath: path) else {
            printError("ritz run: cannot read \(path)")
            return 1
        }
        let text: String
        do { text = try ScriptCells.decode(data) } catch {
            printError("ritz run: \(path): \(error)")
            return 1
        }
        let session = Session()
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { session.interrupt() }
        source.resume()
        if let problem = AllocationLimit.environmentProblem { printError("ritz: \(problem)") }
        let terminal = BatchTerminal.detect(environment: ProcessInfo.processInfo.environment)
        let sink = BatchOutput(terminal: terminal, showPlots: !noPlots) { FileHandle.standardOutput.write(Data($0.utf8)) }
        var failed = false
        for cell in ScriptCells.split(text) {
            sink.count = session.executionCount + 1
            var timer: DispatchSourceTimer?
            if let cellTimeout {
                let t = DispatchSource.makeTimerSource(queue: .global())
                t.schedule(deadline: .now() + cellTimeout)
                t.setEventHandler { session.interrupt() }
                t.resume()
                timer = t
            }
            let outcome = session.run(cell: cell.text, origin: .file(path, lineOffset: cell.lineOffset), sink: sink)
            timer?.cancel()
            sink.endCell()
            switch outcome.status {
            case .ok: continue
            case .error:
                for d in outcome.diagnostics { printError(d.render()) }
                if keepGoing { failed = true; continue }
                return 1
            case .interrupted:
                if keepGoing { failed = true; continue }
                let d = outcome.diagnostics.first
                printError("interrupted" + (d?.line.map { " at \(path), line \($0)" } ?? ""))
                return 130
            }
        }
        return failed ? 1 : 0
    }
}

