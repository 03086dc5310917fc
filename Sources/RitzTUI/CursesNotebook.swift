@preconcurrency import CNcurses
import Foundation
import RitzNotebook
import Synchronization

/// Set while curses owns the terminal, so that exit paths know to restore it.
nonisolated(unsafe) private var cursesActive = false
/// The terminal modes before curses started, restored by the crash handlers with `tcsetattr`
/// (async-signal-safe, unlike `endwin`).
nonisolated(unsafe) private var savedModes = termios()
nonisolated(unsafe) private var savedModesValid = false
/// The SIGTERM or SIGHUP that arrived, 0 while none has: the handler only stores it; the main
/// loop sees it within one key timeout, restores the terminal, keeps the journal and exits.
private let pendingTermination = Atomic<Int32>(0)

/// Puts the terminal back: leaves curses, turns bracketed paste off, shows the cursor.
private func restoreTerminal() {
    guard cursesActive else { return }
    cursesActive = false
    endwin()
    let reset = "\u{1b}[?2004l\u{1b}[?25h"
    _ = reset.withCString { write(STDOUT_FILENO, $0, strlen($0)) }
}

/// Escape sequences that leave the alternate screen, end bracketed paste, reset attributes and
/// show the cursor, as bytes a crash handler can `write` without allocating.
private let crashReset: [UInt8] = Array("\u{1b}[?1049l\u{1b}[?2004l\u{1b}[0m\u{1b}[?25h\r\n".utf8)

/// The ncurses notebook: reads keys on this thread, runs cells on a worker thread, and draws
/// the model at most 30 times a second with `wnoutrefresh`/`doupdate`.
public final class CursesNotebook {
    let model: NotebookModel
    private var decoder: KeyDecoder
    private let finished = FinishedBox()
    private var lastFrame: ScreenBuffer?
    private var lastDraw = 0.0
    private var needsDraw = true
    private var lastLiveVersion = -1

    /// The result of a worker run, handed to the UI thread.
    final class FinishedBox: @unchecked Sendable {
        private let lock = NSLock()
        private var value: (Int, CellRun)?
        func set(_ index: Int, _ run: CellRun) { lock.lock(); value = (index, run); lock.unlock() }
        func take() -> (Int, CellRun)? { lock.lock(); defer { lock.unlock() }; let v = value; value = nil; return v }
    }

    /// Creates the notebook screen for a model.
    ///
    /// - Parameter model: The notebook state.
    public init(model: NotebookModel) {
        self.model = model
        decoder = KeyDecoder()  // replaced in `run` once curses knows the terminal
    }

    /// The key codes curses uses on this terminal, the modified navigation keys included.
    ///
    /// Needs a screen with `keypad` on: the codes of modified keys come from its terminfo entry.
    ///
    /// - Returns: The codes for the key decoder.
    static func keyCodes() -> KeyDecoder.Codes {
        var codes = KeyDecoder.Codes()
        codes.up = Int(KEY_UP); codes.down = Int(KEY_DOWN); codes.left = Int(KEY_LEFT); codes.right = Int(KEY_RIGHT)
        codes.home = Int(KEY_HOME); codes.end = Int(KEY_END); codes.backspace = Int(KEY_BACKSPACE)
        codes.delete = Int(KEY_DC); codes.pageUp = Int(KEY_PPAGE); codes.pageDown = Int(KEY_NPAGE)
        codes.resize = Int(ritz_key_resize()); codes.backTab = Int(KEY_BTAB); codes.enter = Int(KEY_ENTER)
        codes.f0 = Int(ritz_key_f(0))
        codes.modified = modifiedKeyCodes { Int(ritz_key_code_for_capability($0)) }
        return codes
    }

    /// Terminfo's name stem for each navigation key's modified forms: `kUP` is Shift-Up and
    /// `kUP3`…`kUP16` carry xterm's modifier parameter (ncurses' user_caps(5); `kLFT`, `kRIT`,
    /// `kHOM`, `kEND`, `kPRV`, `kNXT` and `kDC` are the standard shifted keys).
    static let terminfoStems: [(Key.Navigation, String)] = [
        (.up, "kUP"), (.down, "kDN"), (.left, "kLFT"), (.right, "kRIT"), (.home, "kHOM"),
        (.end, "kEND"), (.pageUp, "kPRV"), (.pageDown, "kNXT"), (.delete, "kDC"),
    ]

    /// Resolves the terminfo name of every modified navigation key to the code curses returns
    /// for it, and that code to the key it stands for.
    ///
    /// - Parameter resolve: The key code for a capability name, 0 when there is none.
    /// - Returns: Code → key, for the combinations that are keys (see `Key.init?(_:_:)`).
    static func modifiedKeyCodes(resolve: (String) -> Int) -> [Int: Key] {
        var table: [Int: Key] = [:]
        for (navigation, stem) in terminfoStems {
            for parameter in 2...16 {
                guard let modifiers = Key.Modifiers(xtermParameter: parameter),
                      let key = Key(navigation, modifiers) else { continue }
                // Shift is the bare stem; a `2` suffix is accepted too.
                let names = parameter == 2 ? [stem, stem + "2"] : [stem + String(parameter)]
                for code in names.map(resolve) where code > 0 { table[code] = key }
            }
        }
        return table
    }

    /// Chooses a UTF-8 character type so braille and box lines draw correctly.
    public static func setUpLocale() {
        setlocale(LC_ALL, "")
        if ritz_codeset_is_utf8() == 0 {
            if setlocale(LC_CTYPE, "C.UTF-8") == nil { _ = setlocale(LC_CTYPE, "en_US.UTF-8") }
        }
    }

    /// How the notebook ended.
    public enum Ending: Equatable, Sendable {
        /// The user quit.
        case quit
        /// SIGTERM or SIGHUP arrived; the journal is left for `ritz recover`.
        case signal(Int32)
    }

    /// Runs until the user quits or a termination signal arrives. The terminal is restored on
    /// return, on SIGTERM/SIGHUP (by the main loop, not in the handler) and on a crash signal.
    ///
    /// - Parameter terminalType: The terminfo type to draw with
    ///   (``TerminalCapabilities/notebookTerminal(_:)``).
    /// - Returns: How it ended; `.quit` at once when curses cannot open the terminal.
    @discardableResult
    public func run(terminalType: String) -> Ending {
        CursesNotebook.setUpLocale()
        savedModesValid = tcgetattr(STDIN_FILENO, &savedModes) == 0
        CursesNotebook.unblockSignals()
        guard let screen = ritz_newterm(terminalType) else { return .quit }
        set_term(screen)
        cursesActive = true
        installSignalHandlers()
        raw()
        noecho()
        nonl()
        keypad(ritz_stdscr(), true)
        decoder = KeyDecoder(codes: CursesNotebook.keyCodes())
        set_escdelay(25)
        if has_colors() {
            start_color()
            use_default_colors()
            for i in 1...8 { init_pair(Int16(i), Int16(i - 1), -1) }
        }
        _ = "\u{1b}[?2004h".withCString { write(STDOUT_FILENO, $0, strlen($0)) }
        defer { restoreTerminal() }
        let ending = loop()
        settleRunningCell()
        return ending
    }

    /// True when the notebook ended while a cell kept running past the wait of
    /// `settleRunningCell`: the caller must then leave with `_exit`, not `exit`, since exit's
    /// handlers (OpenBLAS frees its buffers) would run under that cell's thread.
    public private(set) var cellStillRunning = false

    /// Interrupts a cell still running when the notebook ends (a quit, SIGTERM or SIGHUP) and
    /// waits up to five seconds for it to reach its next safe point (a training step, a Krylov
    /// iteration), so the process does not exit under a thread in the middle of a library call.
    private func settleRunningCell() {
        guard model.isRunning else { return }
        model.evaluator.interrupt()
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if finished.take() != nil { return }
            usleep(10_000)
        }
        cellStillRunning = true
    }

    /// Milliseconds a key read waits: the loop's tick, about one frame at 30 Hz.
    static let keyTimeout: Int32 = 33

    private func loop() -> Ending {
        var wch: wint_t = 0
        while true {
            let sig = pendingTermination.load(ordering: .relaxed)
            if sig != 0 { return terminate(signal: sig) }
            // Curses hands over a lone Esc after its escape delay, or together with what followed
            // it: for a lone Esc take only input already queued, then end it.
            wtimeout(ritz_stdscr(), decoder.hasLoneEscape ? 0 : CursesNotebook.keyTimeout)
            let status = wget_wch(ritz_stdscr(), &wch)
            var keys: [Key] = []
            if status == OK {
                keys = decoder.feed(.character(UInt32(wch)))
            } else if status == ritz_key_code_yes() {
                keys = decoder.feed(.code(Int(wch)))
            } else if decoder.hasPending {
                keys = decoder.flush()
            }
            for key in keys {
                needsDraw = true
                if key == .resize {
                    relayout()
                    continue
                }
                if perform(model.handle(key)) { return .quit }
            }
            if let (index, result) = finished.take() {
                needsDraw = true
                if perform(model.finishRun(index: index, result: result)) { return .quit }
            }
            // A size change whose SIGWINCH curses did not turn into KEY_RESIZE (it can arrive
            // while another thread has it blocked) is caught here: one ioctl a tick.
            if let size = CursesNotebook.terminalSize(),
               size.rows != Int(ritz_getmaxy(ritz_stdscr())) || size.columns != Int(ritz_getmaxx(ritz_stdscr())) {
                relayout()
            }
            let now = model.clock()
            if let running = model.running {
                let version = running.live.snapshot().version
                if version != lastLiveVersion || now - lastDraw >= 0.1 {
                    lastLiveVersion = version
                    needsDraw = true
                }
            }
            if needsDraw && now - lastDraw >= 1.0 / 30 {
                draw()
                lastDraw = now
                needsDraw = false
            }
        }
    }

    /// Takes the terminal's current size: tells curses when it does not know it yet, forgets the
    /// last frame and makes the next refresh repaint every row from a cleared screen.
    private func relayout() {
        if let size = CursesNotebook.terminalSize(), size.rows > 0, size.columns > 0,
           size.rows != Int(ritz_getmaxy(ritz_stdscr())) || size.columns != Int(ritz_getmaxx(ritz_stdscr())) {
            resizeterm(Int32(size.rows), Int32(size.columns))
        }
        lastFrame = nil
        wclear(ritz_stdscr())  // erase, and clear the whole terminal at the next refresh
        needsDraw = true
        lastDraw = -1  // draw now, not at the next 30 Hz slot
    }

    /// The terminal's rows and columns from the kernel, or nil when stdout is not a terminal.
    static func terminalSize() -> (rows: Int, columns: Int)? {
        var ws = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_row > 0, ws.ws_col > 0 else { return nil }
        return (Int(ws.ws_row), Int(ws.ws_col))
    }

    /// Unblocks the signals the notebook handles, in this thread and the threads it starts: a
    /// parent that spawned ritz from a thread with signals blocked (a thread pool does) would
    /// otherwise leave SIGWINCH and SIGTERM pending forever.
    static func unblockSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGWINCH, SIGTERM, SIGHUP, SIGINT, SIGCONT, SIGTSTP] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Ends on a termination signal, in the main loop: the running cell is asked to stop, the
    /// cell list is written to the journal (so `ritz recover` finds edits not yet run), and the
    /// terminal is restored by `run`'s return path.
    private func terminate(signal sig: Int32) -> Ending {
        if model.isRunning { model.evaluator.interrupt() }
        try? model.journal?.snapshot(model.notebook)
        return .signal(sig)
    }

    /// Carries out effects; returns true to quit.
    private func perform(_ effects: [Effect]) -> Bool {
        for effect in effects {
            switch effect {
            case .quit: return true
            case .interrupt: model.evaluator.interrupt()
            case .run(let index):
                guard let (source, live) = model.beginRun(index: index) else { continue }
                let evaluator = model.evaluator
                let box = finished
                let thread = Thread {
                    let result = evaluator.run(source: source, cellNumber: index + 1, live: live)
                    box.set(index, result)
                }
                thread.stackSize = 64 << 20
                thread.start()
            }
        }
        return false
    }

    /// Draws the model into the curses screen, changing only rows that differ from the last frame.
    private func draw() {
        let win = ritz_stdscr()
        let height = Int(ritz_getmaxy(win)), width = Int(ritz_getmaxx(win))
        let frame = model.render(width: width, height: height)
        let screen = frame.screen
        let previous = lastFrame?.width == width && lastFrame?.height == height ? lastFrame : nil
        var buffer = [wchar_t](repeating: 0, count: width + 1)
        for row in 0..<height {
            if let previous, rowEqual(previous, screen, row) { continue }
            var col = 0
            // The bottom-right cell is never written: on terminals with automatic margins that
            // write can scroll the whole screen up by one line.
            let rowWidth = row == height - 1 ? width - 1 : width
            while col < rowWidth {
                let attr = screen.attr(row: row, column: col)
                var end = col
                var n = 0
                while end < rowWidth, screen.attr(row: row, column: end) == attr {
                    buffer[n] = wchar_t(bitPattern: screen[row, end].unicodeScalars.first?.value ?? 32)
                    n += 1
                    end += 1
                }
                var a = ritz_a_normal()
                if attr.bold { a |= ritz_a_bold() }
                if attr.dim { a |= ritz_a_dim() }
                if attr.reverse { a |= ritz_a_reverse() }
                if attr.underline { a |= ritz_a_underline() }
                if attr.italic { a |= ritz_a_italic() }
                _ = ritz_wattrset(win, a, Int32(attr.color))
                // The last cell of the last row is written too; curses may report an error for
                // the scroll it would cause, which is harmless because scrolling is off.
                buffer.withUnsafeBufferPointer { p in
                    _ = ritz_mvwaddnwstr(win, Int32(row), Int32(col), p.baseAddress, Int32(n))
                }
                col = end
            }
        }
        _ = ritz_wattrset(win, ritz_a_normal(), 0)
        if let cursor = frame.cursor {
            curs_set(1)
            wmove(win, Int32(cursor.row), Int32(cursor.column))
        } else {
            curs_set(0)
        }
        wnoutrefresh(win)
        doupdate()
        lastFrame = screen
    }

    private func rowEqual(_ a: ScreenBuffer, _ b: ScreenBuffer, _ row: Int) -> Bool {
        for col in 0..<a.width where a[row, col] != b[row, col] || a.attr(row: row, column: col) != b.attr(row: row, column: col) {
            return false
        }
        return true
    }

    private func installSignalHandlers() {
        // Globals are initialised lazily; do it now, not inside a handler.
        _ = pendingTermination.load(ordering: .relaxed)
        _ = crashReset.count
        // SIGTERM and SIGHUP: only record the signal; the main loop does the rest.
        for sig in [SIGTERM, SIGHUP] {
            signal(sig) { s in pendingTermination.store(s, ordering: .relaxed) }
        }
        // Crashes: put the terminal modes back with async-signal-safe calls, then die of the
        // same signal.
        for sig in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT] {
            signal(sig) { s in
                if savedModesValid { _ = tcsetattr(STDIN_FILENO, TCSANOW, &savedModes) }
                crashReset.withUnsafeBufferPointer { p in _ = write(STDOUT_FILENO, p.baseAddress, p.count) }
                signal(s, SIG_DFL)
                raise(s)
            }
        }
    }
}
