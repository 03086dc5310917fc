@preconcurrency import CReadline
import Foundation
import RitzNotebook
import RitzPlot

/// The evaluator the REPL's C callbacks reach (readline and signal handlers cannot capture).
nonisolated(unsafe) private var replEvaluator: (any LiveEvaluator)?
/// True while a cell runs, so Ctrl-C interrupts it instead of clearing the input line.
nonisolated(unsafe) private var replBusy = false
/// Completion candidates of the current Tab press, handed out one by one to readline.
nonisolated(unsafe) private var replMatches: [String] = []

/// `ritz repl`: a line REPL on GNU readline, and the plain fallback without a terminal.
public enum ReplRunner {
    /// Prints a cell's outputs: text and values to stdout, plots as their text rendering,
    /// errors to stderr, each made inert (`TerminalText.inert`: saved outputs come from a file).
    ///
    /// - Parameters:
    ///   - run: The finished cell.
    ///   - plots: Print plots (false for `--no-plots`).
    public static func printOutputs(_ run: CellRun, plots: Bool = true) {
        for output in run.outputs {
            switch output {
            case .stream(_, let text):
                FileHandle.standardOutput.write(Data(TerminalText.inert(text).utf8))
            case .error:
                FileHandle.standardError.write(Data((TerminalText.inert(output.plainText) + "\n").utf8))
            default:
                if output.svg != nil && !plots { continue }
                var text = TerminalText.inert(output.plainText)
                if !text.hasSuffix("\n") { text += "\n" }
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }

    /// Prints the help for `?name` / `name?`: the topic list for an empty name.
    ///
    /// - Parameters:
    ///   - name: The name asked about.
    ///   - evaluator: The session.
    static func printHelp(_ name: String, evaluator: any LiveEvaluator) {
        let text = name.isEmpty ? evaluator.topics() : evaluator.help(name) ?? "no help for `\(name)`"
        // Through the same unbuffered handle as the outputs, so the two stay in order.
        FileHandle.standardOutput.write(Data((TerminalText.inert(text) + "\n").utf8))
    }

    /// Completion candidates as readline wants them: each the whole of readline's word.
    ///
    /// Readline replaces its own word (split at blanks, quotes and brackets, not at `.` or `/`),
    /// while a `Completer` candidate replaces its last `replacing` characters; the part of the
    /// word before those is kept in front (`run.lo` + `loss` gives `run.loss`).
    ///
    /// - Parameters:
    ///   - result: The completion.
    ///   - word: Readline's word before the cursor.
    /// - Returns: The candidates that fit the word.
    static func readlineMatches(_ result: Completer.Result, word: String) -> [String] {
        guard word.count >= result.replacing else { return result.candidates.filter { $0.hasPrefix(word) } }
        let kept = String(word.dropLast(result.replacing))
        return result.candidates.map { kept + $0 }.filter { $0.hasPrefix(word) }
    }

    /// The interactive REPL with history under the state folder, Tab completion from the
    /// evaluator, `...:` continuation while brackets are open, and Ctrl-C that interrupts a
    /// running cell or clears the line.
    ///
    /// - Parameters:
    ///   - evaluator: Runs cells.
    ///   - stateDirectory: Where `repl_history` lives.
    /// - Returns: The exit status.
    public static func interactive(evaluator: any LiveEvaluator, stateDirectory: String) -> Int32 {
        CursesNotebook.setUpLocale()
        replEvaluator = evaluator
        let historyPath = History.path(stateDirectory: stateDirectory, name: "repl_history")
        // The history file is the notebook's format (`History`: one entry a line, newlines
        // escaped), so an entry typed over several lines comes back whole on Up; readline's own
        // file would split it into lines.
        var history = History.load(path: historyPath)
        using_history()
        stifle_history(Int32(history.limit))
        for entry in history.entries { add_history(entry) }
        ritz_rl_install_completion { text, state in
            guard let text else { return nil }
            if state == 0 {
                rl_completion_append_character = 0  // `linsp⇥` gives `linspace`, ready for `(`
                let line = rl_line_buffer.map { String(cString: $0) } ?? ""
                let end = Int(rl_point)
                let before = String(line.utf8.prefix(end)) ?? line
                let prefix = String(cString: text)
                if let source = replEvaluator?.completion,
                   let result = Completer.complete(before, source: source) {
                    replMatches = ReplRunner.readlineMatches(result, word: prefix)
                } else {
                    replMatches = []
                }
            }
            guard !replMatches.isEmpty else { return nil }
            return strdup(replMatches.removeFirst())
        }
        signal(SIGINT) { _ in
            if replBusy {
                replEvaluator?.interrupt()
            } else {
                ritz_rl_reset_line()
            }
        }
        print("ritz — help() lists topics, ?name shows one, Ctrl-D quits")
        var cellNumber = 0
        var pending = InputCompleteness.Lines()
        while true {
            let prompt = pending.isEmpty ? "ritz> " : "  ...> "
            guard let raw = readline(prompt) else {
                print("")
                break
            }
            let line = String(cString: raw)
            free(raw)
            guard pending.add(line) else { continue }
            let source = pending.take()
            let trimmed = source.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            add_history(source)
            history.add(source)
            try? history.save(path: historyPath)  // on disk at once: a killed REPL keeps its history
            if let name = HelpRequest.name(in: trimmed) {
                printHelp(name, evaluator: evaluator)
                continue
            }
            cellNumber += 1
            replBusy = true
            let result = LiveLines.run(evaluator: evaluator, source: source, cellNumber: cellNumber)
            replBusy = false
            printOutputs(result)
        }
        return 0
    }

    /// REPL semantics without a terminal: reads stdin, runs each complete input as a cell and
    /// prints its outputs with no prompts and no escape codes.
    ///
    /// - Parameter evaluator: Runs cells.
    /// - Returns: 1 when any cell failed, else 0.
    public static func plain(evaluator: any LiveEvaluator) -> Int32 {
        var pending = InputCompleteness.Lines()
        var cellNumber = 0
        var status: Int32 = 0
        func flush() {
            let source = pending.take()
            let trimmed = source.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { return }
            if let name = HelpRequest.name(in: trimmed) {
                printHelp(name, evaluator: evaluator)
                return
            }
            cellNumber += 1
            let result = evaluator.run(source: source, cellNumber: cellNumber, live: LiveCell())
            printOutputs(result)
            if result.failed { status = 1 }
        }
        while let line = readLine(strippingNewline: true) {
            if pending.add(line) { flush() }
        }
        flush()
        return status
    }
}
