import Foundation
import RitzNotebook
import RitzPlot

/// Runs a REPL cell on a worker thread and, while it runs, redraws its latest plot and progress
/// in place on the terminal (cursor up, rewrite each line, no clearing: no flicker), about 20
/// times a second. When the cell ends the live block is erased and the REPL prints the outputs.
public enum LiveLines {
    /// Runs `source`, showing live plots while it runs.
    ///
    /// - Parameters:
    ///   - evaluator: Runs the cell.
    ///   - source: The cell text.
    ///   - cellNumber: 1-based cell number for diagnostics.
    ///   - write: Where the escape sequences go (stdout).
    /// - Returns: The finished run.
    public static func run(evaluator: any LiveEvaluator, source: String, cellNumber: Int,
                           write: @escaping (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) }) -> CellRun {
        let live = LiveCell()
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        let thread = Thread {
            box.value = evaluator.run(source: source, cellNumber: cellNumber, live: live)
            done.signal()
        }
        thread.stackSize = 64 << 20
        thread.start()
        var block = Block()
        var version = -1
        while done.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
            let snapshot = live.snapshot()
            guard snapshot.version != version else { continue }
            version = snapshot.version
            let size = CursesNotebook.terminalSize() ?? (rows: 24, columns: 80)
            let lines = frame(items: snapshot.items, progress: snapshot.progress, width: size.columns, rows: size.rows)
            if !lines.isEmpty { write(block.redraw(lines)) }
        }
        write(block.erase())
        return box.value ?? CellRun(outputs: [], executionCount: nil, failed: true)
    }

    final class ResultBox: @unchecked Sendable { var value: CellRun? }

    /// The lines of the live block: the newest plot drawn at the terminal's width, then the
    /// progress line. Empty when there is nothing live to show.
    ///
    /// - Parameters:
    ///   - items: The running cell's items.
    ///   - progress: Its progress text.
    ///   - width: Terminal columns.
    ///   - rows: Terminal rows (the plot leaves room for the prompt and status).
    /// - Returns: Lines without newlines, each at most `width - 1` columns.
    static func frame(items: [OutputItem], progress: String?, width: Int, rows: Int) -> [String] {
        var lines: [String] = []
        for item in items.reversed() {
            guard case .plot(_, let renderer, let preferred, _) = item else { continue }
            let height = max(4, min(preferred, rows - 3))
            lines = renderer.render(width: max(20, min(width - 1, 100)), height: height).lines
            break
        }
        if let progress { lines.append(String(TerminalText.inert(progress, keepingLineBreaks: false).prefix(max(1, width - 1)))) }
        return lines
    }

    /// A block of lines drawn in place.
    struct Block {
        var lines = 0

        /// Escape sequences that rewrite the block with `new` (the cursor ends below it).
        mutating func redraw(_ new: [String]) -> String {
            var out = "\u{1B}[?25l"
            if lines > 0 { out += "\u{1B}[\(lines)A" }
            out += "\r"
            for line in new { out += line + "\u{1B}[K\n" }
            if new.count < lines { out += "\u{1B}[J" }
            out += "\u{1B}[?25h"
            lines = new.count
            return out
        }

        /// Escape sequences that remove the block, leaving the cursor where it began.
        mutating func erase() -> String {
            guard lines > 0 else { return "" }
            defer { lines = 0 }
            return "\u{1B}[\(lines)A\r\u{1B}[J"
        }
    }
}
