import ArgumentParser
import Foundation
import RitzNotebook
import RitzPlot
import RitzTUI

/// A session or script path's kind, checked before anything is read.
enum SessionPath {
    /// Throws a usage error unless `path` names a session (`.ipynb`) or script (`.ritz`).
    ///
    /// - Parameters:
    ///   - path: The path given.
    ///   - allowed: The formats the command takes.
    /// - Throws: `ValidationError` naming the path and the formats.
    static func validate(_ path: String, allowed: [SessionFormat] = [.ipynb, .ritz]) throws {
        let names = allowed.map { ".\($0.rawValue)" }.joined(separator: " or ")
        guard let format = try? SessionFormat.of(path: path), allowed.contains(format) else {
            let ext = URL(fileURLWithPath: path).pathExtension
            if ext.isEmpty && !path.contains("/") {
                throw ValidationError("`\(path)` is neither a ritz command nor a file ritz opens (\(names)); see `ritz --help`")
            }
            throw ValidationError("`\(path)`: ritz opens \(names) files, not `.\(ext)`")
        }
    }
}

/// `ritz [FILE]`: the notebook (REPL semantics without a terminal).
struct NotebookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notebook",
        abstract: "Open the notebook on a session (.ipynb), a script (.ritz), or the tour.",
        discussion: "Enter runs a cell, F1 shows the keys, Ctrl-D quits. Without a terminal, a FILE's cells run and a plain REPL reads the rest from standard input.")

    @Argument(help: "A session (.ipynb) or script (.ritz) to open; created on save when missing.")
    var file: String?

    func validate() throws {
        if let file { try SessionPath.validate(file) }
    }

    func run() throws {
        throw ExitCode(RitzCLI.notebook(path: file, evaluator: SessionEvaluator(), makeEvaluator: { SessionEvaluator() }))
    }
}

/// `ritz repl`.
struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "A line REPL with history, emacs keys and Tab completion.")

    func run() throws {
        throw ExitCode(RitzCLI.repl(evaluator: SessionEvaluator()))
    }
}

/// `ritz check FILE.ipynb`.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Re-run a saved session and compare every output with the saved one.",
        discussion: """
            Numbers in outputs compare within |a − b| ≤ atol + rtol·max(|a|, |b|); plots compare by \
            their data and text rendering, never by SVG bytes; execution counts are ignored. Cells \
            tagged `ritz:skip-check` or `nbval-ignore-output` run but are not compared. Prints the \
            first difference of each cell and exits 1 on any difference, 130 when interrupted.
            """)

    @Argument(help: "The saved session (.ipynb).")
    var file: String

    @Option(help: "Relative tolerance for numbers in outputs and plot data.")
    var rtol = OutputCheck.Options().rtol

    @Option(help: "Absolute tolerance for numbers (covers rounding residue where the value is zero).")
    var atol = OutputCheck.Options().atol

    @Flag(help: "Compare outputs byte for byte (execution counts are still ignored).")
    var exact = false

    func validate() throws {
        try SessionPath.validate(file, allowed: [.ipynb])
        guard rtol >= 0, rtol.isFinite, atol >= 0, atol.isFinite else {
            throw ValidationError("--rtol and --atol take finite numbers >= 0")
        }
    }

    func run() throws {
        var options = OutputCheck.Options(exact: exact)
        options.rtol = rtol
        options.atol = atol
        // A check has nothing to save: Ctrl-C says so and ends it at once.
        signal(SIGINT) { _ in
            let message = "ritz check: interrupted; no comparison was made\n"
            _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
            _exit(130)
        }
        throw ExitCode(OutputCheck.command(path: file, options: options, evaluator: SessionEvaluator(),
                                           print: { print(TerminalText.inert($0)) }))
    }
}

/// `ritz export FILE --to FORMAT [-o OUT]`.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Convert a session or script to Markdown, HTML, a script or a session.")

    @Argument(help: "The session (.ipynb) or script (.ritz) to convert.")
    var file: String

    @Option(help: "The format: md, html, ritz or ipynb.")
    var to: String

    @Option(name: .shortAndLong, help: "Where to write (default: FILE with the format's extension).")
    var output: String?

    @Flag(name: .customLong("run"), help: "Run every code cell first, in a fresh session, and export with the new outputs.")
    var runFirst = false

    func validate() throws {
        try SessionPath.validate(file)
        guard SessionFormat(rawValue: to) != nil else {
            throw ValidationError("--to takes md, html, ritz or ipynb, not `\(to)`")
        }
    }

    func run() throws {
        guard let format = SessionFormat(rawValue: to) else { throw ExitCode(2) }
        throw ExitCode(RitzCLI.export(path: file, format: format, output: output,
                                      runWith: runFirst ? SessionEvaluator() : nil))
    }
}

/// `ritz recover [N] [-o OUT]`.
struct RecoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "List sessions whose process did not end cleanly, and restore one.")

    @Argument(help: "The number of the session to restore (asked for on a terminal when missing).")
    var number: Int?

    @Option(name: .shortAndLong, help: "Where to write the restored session (.ipynb).")
    var output: String?

    func run() throws {
        throw ExitCode(RitzCLI.recover(choice: number, output: output))
    }
}

/// `ritz doctor`: what `ritz --version --verbose` prints.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Print the version, BLAS library and kernel, CPU features, threads and terminal.")

    func run() throws {
        print(VersionReport.verbose())
    }
}
