import Foundation
import RitzLang
import RitzPlot

/// How `ritz run` shows plots on its standard output.
struct BatchTerminal {
    /// Standard output is a terminal: live plots redraw in place, progress shows on a status line.
    var isTTY: Bool
    /// Columns available (80 when not a terminal).
    var width: Int
    /// Rows available (nil when not a terminal: no limit).
    var rows: Int?
    /// Braille on a UTF-8 locale, ASCII otherwise.
    var canvas: CanvasKind
    /// ANSI colour: only on a terminal and without `NO_COLOR`.
    var color: Bool

    /// The settings for this process's standard output.
    ///
    /// - Parameter environment: The process environment (`LC_ALL`/`LC_CTYPE`/`LANG`, `TERM`, `NO_COLOR`).
    /// - Returns: Terminal size, canvas and colour.
    static func detect(environment: [String: String]) -> BatchTerminal {
        let tty = isatty(STDOUT_FILENO) == 1
        var width = 80
        var rows: Int?
        if tty {
            var size = winsize()
            if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
                width = Int(size.ws_col)
                rows = size.ws_row > 0 ? Int(size.ws_row) : nil
            }
        }
        var canvas = CanvasKind.detect(environment: environment)
        // Terminals whose fonts lack braille even in a UTF-8 locale.
        let term = environment["TERM"] ?? ""
        if tty, ["dumb", "linux", "vt100", "vt220"].contains(term) { canvas = .ascii }
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
        return BatchTerminal(isTTY: tty, width: width, rows: rows, canvas: canvas,
                             color: tty && !noColor && term != "dumb")
    }
}

/// Prints a script's events as batch output.
///
/// Printed text, values and the status line are made inert (`TerminalText.inert`) before the
/// escape codes of live plots and colour are added, so only ritz's own codes reach the terminal.
///
/// Values follow an `Out[n]:` marker. Plots are drawn as text at the terminal's width; with
/// `showPlots` false they are left out. The pairing of events follows `EvalEvent`: a `.plot`
/// directly followed by `.value` is a plotted value (drawn in place of the value's text); a
/// `.plot` followed by `.progress` is a frame of a live plot. On a terminal live frames redraw
/// in place with the status line under them; otherwise only a live plot's last frame is
/// printed, once, when something else is printed or the cell ends, so the output does not
/// depend on timing.
final class BatchOutput: EventSink, @unchecked Sendable {
    /// The execution count of the running cell.
    var count = 0
    private let terminal: BatchTerminal
    private let showPlots: Bool
    private let write: (String) -> Void
    private let writeError: (String) -> Void
    /// A plot event whose kind the next event decides.
    private var held: (id: Int, figure: Figure)?
    /// Not a terminal: the latest frame of the live plot not yet printed.
    private var latestLive: (id: Int, figure: Figure)?
    /// A terminal: the live block on screen (plot id, plot lines) and whether a status line follows it.
    private var block: (id: Int, lines: Int)?
    private var status: String?

    /// A printer.
    ///
    /// - Parameters:
    ///   - terminal: Size, canvas and colour of the output.
    ///   - showPlots: False for `--no-plots`.
    ///   - write: Where output goes (standard output in `ritz run`).
    ///   - writeError: Where diagnostics go (standard error).
    init(terminal: BatchTerminal, showPlots: Bool, write: @escaping (String) -> Void,
         writeError: @escaping (String) -> Void) {
        self.terminal = terminal
        self.showPlots = showPlots
        self.write = write
        self.writeError = writeError
    }

    func emit(_ event: EvalEvent) {
        switch event {
        case let .plot(id, figure):
            if let h = held { live(h) }
            held = (id, figure)
        case let .value(s), let .display(s):
            if let h = held {
                held = nil
                finishLive()
                if showPlots { write("Out[\(count)]:\n" + render(h.figure) + "\n") }
            } else {
                finishLive()
                let shown = TerminalText.inert(s)
                write(shown.contains("\n") ? "Out[\(count)]:\n\(shown)\n" : "Out[\(count)]: \(shown)\n")
            }
        case let .progress(p):
            if let h = held { held = nil; live(h) }
            if terminal.isTTY { showStatus(p.statusText) }
        case let .text(s):
            endCell()
            write(TerminalText.inert(s))
        case .clearOutput:
            break  // printed lines cannot be taken back; the saved outputs are cleared (OutputSink)
        case let .error(diagnostic):
            endCell()
            if diagnostic.severity == "interrupted" {
                let place = diagnostic.line.map { " at \(diagnostic.origin?.name ?? "cell \(count)"), line \($0)" } ?? ""
                writeError(TerminalText.inert("interrupted\(place)") + "\n")
            } else {
                writeError(diagnostic.render() + "\n")
            }
        }
    }

    /// Prints what a finished cell still holds: the final frame of a live plot, and clears the status line.
    func endCell() {
        if let h = held { held = nil; live(h) }
        finishLive()
    }

    /// The figure as text at the output's width and a height for its panels.
    private func render(_ figure: Figure) -> String {
        let width = min(figure.width ?? terminal.width, terminal.width)
        var height = figure.height ?? max(20, 6 * figure.panels.count + 4)
        if let rows = terminal.rows { height = min(height, max(8, rows - 2)) }
        return figure.renderText(width: max(20, width), height: height, canvas: terminal.canvas, color: terminal.color)
    }

    /// A frame of a live plot.
    private func live(_ frame: (id: Int, figure: Figure)) {
        guard showPlots else { return }
        guard terminal.isTTY else {
            if let l = latestLive, l.id != frame.id { finishLive() }
            latestLive = frame
            return
        }
        let text = render(frame.figure)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var out = "\u{1B}[?25l\r"
        if let b = block, b.id == frame.id {
            // Back to the top of the block and rewrite it line by line (no clearing: no flicker).
            if b.lines > 0 { out += "\u{1B}[\(b.lines)A" }
        } else {
            if block != nil { finishLive() }
            out = "\u{1B}[?25l\r\u{1B}[K"
        }
        for line in lines { out += line + "\u{1B}[K\n" }
        if let status { out += status + "\u{1B}[K" }
        out += "\u{1B}[?25h"
        write(out)
        block = (frame.id, lines.count)
    }

    /// Ends the live plot: prints its last frame when not on a terminal; on a terminal leaves
    /// the drawn block and clears the status line.
    private func finishLive() {
        if let l = latestLive {
            latestLive = nil
            write(render(l.figure) + "\n")
        }
        if terminal.isTTY, status != nil { write("\r\u{1B}[K") }
        status = nil
        block = nil
    }

    /// Shows a progress line on the terminal's last line (under a live block, if any).
    private func showStatus(_ line: String) {
        let fitted = String(TerminalText.inert(line, keepingLineBreaks: false).prefix(max(1, terminal.width - 1)))
        status = fitted
        write("\r" + fitted + "\u{1B}[K")
    }
}
