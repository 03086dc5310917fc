import Foundation
import RitzLang

/// `ritz run FILE.ritz [--no-plots]`: runs the cells of a script top to bottom.
enum RunCommand {
    /// Prints events as they come, in batch form.
    final class PrintSink: EventSink, @unchecked Sendable {
        var count = 0
        func emit(_ event: EvalEvent) {
            switch event {
            case let .text(s): FileHandle.standardOutput.write(Data(s.utf8))
            case let .value(s):
                let line = s.contains("\n") ? "Out[\(count)]:\n\(s)\n" : "Out[\(count)]: \(s)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            case .progress: break
            case .error: break
            }
        }
    }

    static func main(_ args: [String]) -> Int32 {
        var path: String?
        var noPlots = false
        for a in args {
            switch a {
            case "--no-plots": noPlots = true
            default:
                if a.hasPrefix("-") { printError("ritz run: unknown option \(a)"); return 2 }
                path = a
            }
        }
        _ = noPlots
        guard let path else { printError("usage: ritz run FILE.ritz [--no-plots]"); return 2 }
        if path.hasSuffix(".ipynb") { return notAvailable("run FILE.ipynb") }
        guard let data = FileManager.default.contents(atPath: path) else {
            printError("ritz run: cannot read \(path)")
            return 1
        }
        let text = String(decoding: data, as: UTF8.self)
        let session = Session()
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { session.interrupt() }
        source.resume()
        let sink = PrintSink()
        for cell in ScriptCells.split(text) {
            sink.count = session.executionCount + 1
            let outcome = session.run(cell: cell.text, origin: .file(path, lineOffset: cell.lineOffset), sink: sink)
            switch outcome.status {
            case .ok: continue
            case .error:
                for d in outcome.diagnostics { printError(d.render()) }
                return 1
            case .interrupted:
                let d = outcome.diagnostics.first
                printError("interrupted" + (d?.line.map { " at \(path), line \($0)" } ?? ""))
                return 130
            }
        }
        return 0
    }
}

