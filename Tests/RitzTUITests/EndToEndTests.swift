import Foundation
import Testing
import RitzNotebook

/// Drives the real `ritz` binary in a detached tmux session on a private socket.
final class TmuxSession {
    let socket: String
    let name = "e2e"
    let directory: String

    static var binary: String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        return ["/.build/debug/ritz", "/.build/release/ritz"].map { root + $0 }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var available: Bool {
        binary != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")
    }

    /// Starts ritz in a new tmux server.
    ///
    /// - Parameters:
    ///   - arguments: ritz's command line.
    ///   - term: The terminal type: tmux's `default-terminal` and the `TERM` ritz runs with.
    ///   - files: Files to write into the working directory first, by name.
    ///   - width: Columns.
    ///   - height: Rows.
    init(arguments: String, term: String = "xterm-256color", files: [String: String] = [:],
         width: Int = 120, height: Int = 40) throws {
        socket = "ritz-e2e-\(getpid())-\(UUID().uuidString.prefix(8))"
        directory = NSTemporaryDirectory() + "ritz-e2e-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8) }
        // The server reads only this file, never a user's ~/.tmux.conf.
        try "set-option -g default-terminal \(term)\n".write(toFile: directory + "/tmux.conf", atomically: true, encoding: .utf8)
        let command = "cd \(directory) && XDG_STATE_HOME=\(directory)/state TERM=\(term) \(TmuxSession.binary ?? "ritz") \(arguments); echo RITZ-EXITED $?; sleep 60"
        tmux(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", command])
    }

    deinit {
        tmux(["kill-server"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs tmux on this session's socket with posix_spawn and waitpid, its output sent to a
    /// file (a pipe would be held open by the server that `new-session` forks).
    @discardableResult
    func tmux(_ args: [String]) -> String {
        let out = directory + "/.tmux-out-\(UUID().uuidString)"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // The test runs on a pool thread with signals blocked; tmux and the programs it starts
        // get an empty signal mask and default dispositions, as from a login shell.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), defaults = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&defaults)
        for sig in [SIGTERM, SIGHUP, SIGINT, SIGWINCH, SIGPIPE] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = (["/usr/bin/tmux", "-L", socket, "-f", directory + "/tmux.conf"] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/usr/bin/tmux", &actions, &attributes, argv, environ) == 0 else { return "" }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        defer { unlink(out) }
        return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    }

    /// Types literal text.
    func type(_ text: String) { tmux(["send-keys", "-t", name, "-l", text]) }
    /// Sends named keys (`Enter`, `C-c`, `F1`).
    func keys(_ keys: String...) { tmux(["send-keys", "-t", name] + keys) }
    /// Sends bytes as a terminal would, given in hex (`"1b 5b 41"` is ESC [ A).
    func bytes(_ hex: String) { tmux(["send-keys", "-t", name, "-H"] + hex.split(separator: " ").map(String.init)) }
    /// The screen now.
    func screen() -> String { tmux(["capture-pane", "-t", name, "-p"]) }
    /// The notebook's editor line (the row above the status line) on a screen.
    static func editorLine(_ screen: String) -> String {
        var rows = screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while rows.last?.isEmpty == true { rows.removeLast() }
        return rows.dropLast().last ?? ""
    }
    /// Waits until the editor line is exactly `text` (trailing blanks aside).
    func waitForEditor(_ text: String, timeout: Double = 20) -> Bool {
        let (ok, last) = waitFor("editor", timeout: timeout) { TmuxSession.editorLine($0) == text }
        if !ok { Issue.record("timed out waiting for the editor to show \"\(text)\"; screen:\n\(last)") }
        return ok
    }

    /// Waits until the screen satisfies `condition`, polling; returns the last screen.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 20, _ condition: (String) -> Bool) -> (Bool, String) {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = screen()
            if condition(last) { return (true, last) }
            usleep(50_000)
        }
        return (false, last)
    }

    /// Waits until no cell is running (cells typed while one runs are refused).
    func waitIdle() -> Bool {
        let (ok, last) = waitFor("idle") { $0.split(separator: "\n").last?.hasPrefix(" idle") == true }
        if !ok { Issue.record("timed out waiting for idle; screen:\n\(last)") }
        return ok
    }

    func waitFor(_ text: String, timeout: Double = 20) -> Bool {
        let (ok, last) = waitFor(text, timeout: timeout) { $0.contains(text) }
        if !ok { Issue.record("timed out waiting for \"\(text)\"; screen:\n\(last)") }
        return ok
    }
}

@Suite("notebook in a real terminal", .serialized, .enabled(if: TmuxSession.available, "needs tmux and a built ritz"))
struct EndToEndTests {
    @Test("type and run cells, interrupt a loop and use its partial state, help, save, quit, reopen")
    func session() throws {
        let t = try TmuxSession(arguments: "s.ipynb")
        #expect(t.waitFor("In [ ]:"))
        t.type("x = [1, 2; ")
        t.keys("Enter")
        #expect(t.waitFor("...:"))  // brackets open: Enter made a new line
        t.type("3, 4]")
        t.keys("Enter")
        #expect(t.waitFor("In [1]: x = [1, 2;"))
        #expect(t.waitIdle())
        t.type("x @ x")
        t.keys("Enter")
        #expect(t.waitFor("[15. 22.]]"))
        #expect(t.waitIdle())
        // A loop that runs until interrupted; its variable keeps the partial progress.
        t.type("i = 0")
        t.keys("Enter")
        #expect(t.waitFor("In [3]: i = 0"))
        #expect(t.waitIdle())
        t.type("while true { i = i + 1 }")
        t.keys("Enter")
        #expect(t.waitFor("running cell 4"))
        // Let the loop run a while first: on a loaded machine the key can otherwise arrive
        // before its first iteration, and `i` would still be 0.
        usleep(500_000)
        t.keys("C-c")
        #expect(t.waitFor("interrupted"))
        #expect(t.waitIdle())
        t.type("i > 0")
        t.keys("Enter")
        #expect(t.waitFor("Out[5]: true"))
        // Ctrl-C while idle does not quit.
        t.keys("C-c")
        #expect(t.waitFor("Ctrl-D or :q quits"))
        // Help pane.
        t.type("?sum")
        t.keys("Enter")
        #expect(t.waitFor("── help"))
        t.keys("Escape")
        let (closed, _) = t.waitFor("help closed") { !$0.contains("── help") }
        #expect(closed)
        // Resize relayouts: the status line moves to the new last row.
        t.tmux(["resize-window", "-t", t.name, "-x", "90", "-y", "30"])
        let (resized, screen) = t.waitFor("resize") { s in
            let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
            return lines.count >= 30 && lines[29].contains("idle")
        }
        #expect(resized, "\(screen)")
        #expect(screen.split(separator: "\n").first?.contains("ritz · s.ipynb") == true, "header on the first row:\n\(screen)")
        // Save and quit, then reopen and see the outputs.
        t.keys("C-s")
        #expect(t.waitFor("saved s.ipynb"))
        t.keys("C-d")
        #expect(t.waitFor("RITZ-EXITED 0"))
        let saved = try Notebook.load(path: t.directory + "/s.ipynb")
        #expect(saved.cells.count == 5)
        let reopened = try TmuxSession(arguments: t.directory + "/s.ipynb")
        #expect(reopened.waitFor("[15. 22.]]"))
        #expect(reopened.waitFor("Out[5]: true"))
        reopened.keys("C-d")
        #expect(reopened.waitFor("RITZ-EXITED 0"))
    }

    /// The terminal types of the navigation test. Their terminfo entries come with Debian's
    /// ncurses-base: xterm's and tmux's define Alt-Up as `kUP3` (curses returns a key code),
    /// screen's does not (curses passes the bytes on and the key decoder reads them).
    static let terminalTypes = ["xterm-256color", "tmux-256color", "screen"]

    @Test("Alt-Up/Alt-Down step through cells, Ctrl-keys edit, Esc then a letter closes help", arguments: terminalTypes)
    func navigation(term: String) throws {
        let t = try TmuxSession(arguments: "nav.ritz", term: term,
                                files: ["nav.ritz": "# %%\na = 1\n# %%\nb = 2\n# %%\nc = 3\n"])
        #expect(t.waitFor("3 cells"))
        #expect(t.waitIdle())
        // tmux sends M-Up as xterm's ESC [1;3A whatever the terminal type.
        t.keys("M-Up")
        #expect(t.waitForEditor("In [ ]: c = 3"))
        t.keys("M-Up")
        #expect(t.waitForEditor("In [ ]: b = 2"))
        t.bytes("1b 5b 31 3b 39 41")  // ESC [1;9A: Option-Up from iTerm2, Meta as Alt
        #expect(t.waitForEditor("In [ ]: a = 1"))
        t.keys("M-Down")
        #expect(t.waitForEditor("In [ ]: b = 2"))
        t.bytes("1b 1b 5b 42")  // ESC ESC [B: Alt-Down from rxvt
        #expect(t.waitForEditor("In [ ]: c = 3"))
        t.keys("M-Down")
        #expect(t.waitForEditor("In [ ]:"))
        // Word and text moves: tmux sends ESC [1;5D, ESC [1;5H, ESC [1;5F.
        t.type("abc def")
        t.keys("C-Left")
        t.type("X")
        t.keys("C-Home")
        t.type("<")
        t.keys("C-End")
        t.type(">")
        #expect(t.waitForEditor("In [ ]: <abc Xdef>"))
        // F1 lists keys that work; Esc and a letter sent together close it and type the letter.
        t.keys("F1")
        #expect(t.waitFor("Alt-Up/Alt-Down move between cells"))
        t.keys("Escape", "x")
        let (closed, screen) = t.waitFor("help closed, x typed") {
            !$0.contains("── help") && TmuxSession.editorLine($0) == "In [ ]: <abc Xdef>x"
        }
        #expect(closed, "\(screen)")
        t.keys("M-Enter")  // a newline, as F1 says
        #expect(t.waitFor("...:"))
        t.keys("C-c")  // clears the input; nothing ran, so Ctrl-D quits at once
        #expect(t.waitForEditor("In [ ]:"))
        t.keys("C-d")
        #expect(t.waitFor("RITZ-EXITED 0"))
    }

    @Test("a terminal type terminfo does not have (a newer terminal's own) draws as xterm-256color and says so")
    func unknownTerminalType() throws {
        // No terminfo anywhere has this type, as Debian's ncurses-base has no `xterm-kitty`.
        let t = try TmuxSession(arguments: "nav.ritz", term: "ritz-test-unlisted-terminal",
                                files: ["nav.ritz": "# %%\na = 1\n# %%\nb = 2\n"])
        #expect(t.waitFor("is not in terminfo here: drawing as xterm-256color"))
        #expect(t.waitFor("2 cells"))
        #expect(t.waitIdle())
        t.keys("M-Up")
        #expect(t.waitForEditor("In [ ]: b = 2"))
        t.keys("M-Up")
        #expect(t.waitForEditor("In [ ]: a = 1"))
        t.keys("M-Down", "M-Down")
        #expect(t.waitForEditor("In [ ]:"))
        t.keys("C-d")
        #expect(t.waitFor("RITZ-EXITED 0"))
    }

    @Test("a notebook whose journal cannot be written says autosave is off in the status line")
    func autosaveOffNotebook() throws {
        // XDG_STATE_HOME is the session folder's `state`, here a file: no journal folder in it.
        let t = try TmuxSession(arguments: "", files: ["state": "x"])
        #expect(t.waitFor("autosave is off"))
        t.keys("C-d")
        #expect(t.waitFor("RITZ-EXITED 0"))
    }

    @Test("TERM=dumb, which cannot move the cursor, ends with a message naming what works instead")
    func dumbTerminal() throws {
        let t = try TmuxSession(arguments: "", term: "dumb")
        let (ended, screen) = t.waitFor("exit") { $0.contains("RITZ-EXITED 1") }
        #expect(ended, "\(screen)")
        #expect(screen.contains("TERM=dumb cannot move the cursor"), "\(screen)")
        #expect(screen.contains("ritz repl"), "\(screen)")
    }

    @Test("a dirty session asks before quitting")
    func quitPrompt() throws {
        let t = try TmuxSession(arguments: "")
        #expect(t.waitFor("In [ ]:"))
        t.type("1 + 1")
        t.keys("Enter")
        #expect(t.waitFor("Out[1]: 2"))
        #expect(t.waitIdle())
        t.type(":q")
        t.keys("Enter")
        #expect(t.waitFor("save changes before quitting?"))
        t.keys("n")
        #expect(t.waitFor("RITZ-EXITED 0"))
    }

    @Test("saving over a file another program wrote asks: cancel keeps theirs, overwrite writes ours")
    func saveOverChangedFile() throws {
        let t = try TmuxSession(arguments: "s.ipynb")
        let path = t.directory + "/s.ipynb"
        #expect(t.waitFor("In [ ]:"))
        t.type("mine = 1")
        t.keys("Enter")
        #expect(t.waitFor("In [1]: mine = 1"))
        #expect(t.waitIdle())
        try Notebook(percentScript: "# %%\ntheirs = 2\n").save(path: path)
        t.keys("C-s")
        #expect(t.waitFor("(o)verwrite (s)ave as (c)ancel"))
        #expect(t.screen().contains("s.ipynb changed on disk"))
        t.keys("c")
        #expect(t.waitFor("not saved"))
        #expect(try Notebook.load(path: path).cells.map(\.source) == ["theirs = 2"])
        t.keys("C-s")
        #expect(t.waitFor("(o)verwrite (s)ave as (c)ancel"))
        t.keys("o")
        #expect(t.waitFor("saved s.ipynb"))
        #expect(try Notebook.load(path: path).cells.map(\.source) == ["mine = 1"])
        t.keys("C-d")
        #expect(t.waitFor("RITZ-EXITED 0"))
    }

    @Test("SIGTERM restores the terminal and leaves the journal for recover")
    func sigterm() throws {
        let t = try TmuxSession(arguments: "t.ipynb")
        #expect(t.waitFor("In [ ]:"))
        t.type("y = 41 + 1")
        t.keys("Enter")
        #expect(t.waitFor("In [1]: y = 41 + 1"))
        let pid = t.tmux(["display-message", "-p", "-t", t.name, "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        // The pane runs a shell whose child is ritz.
        let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        let ritz = try #require(children.split(separator: " ").compactMap { Int32($0) }.first)
        kill(ritz, SIGTERM)
        #expect(t.waitFor("RITZ-EXITED 143", timeout: 5))
        // The terminal is back in its normal mode: the shell's echo shows on the main screen.
        #expect(!t.screen().contains("In [1]: y = 41 + 1"))
        let sessions = Journal.recoverable(stateDirectory: t.directory + "/state/ritz")
        #expect(sessions.count == 1)
        #expect(sessions.first?.notebook.cells.first?.source == "y = 41 + 1")
        #expect(sessions.first?.completedCells == 1)
    }

    @Test("SIGHUP in the middle of training ends the notebook too, keeping the completed cells")
    func sighupWhileRunning() throws {
        let t = try TmuxSession(arguments: "h.ipynb")
        #expect(t.waitFor("In [ ]:"))
        t.type("data = moons(100, seed=1)")
        t.keys("Enter")
        #expect(t.waitFor("In [1]: data"))  // numbered once it has run
        #expect(t.waitIdle())
        t.type("train(mlp([2, 16, 2], seed=1), data, sgd(0.5), steps=1000000, every=1, seed=1)")
        t.keys("Enter")
        #expect(t.waitFor("running cell 2"))
        let pid = t.tmux(["display-message", "-p", "-t", t.name, "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        let ritz = try #require(children.split(separator: " ").compactMap { Int32($0) }.first)
        kill(ritz, SIGHUP)
        #expect(t.waitFor("RITZ-EXITED 129", timeout: 10))
        let sessions = Journal.recoverable(stateDirectory: t.directory + "/state/ritz")
        #expect(sessions.count == 1)
        #expect(sessions.first?.completedCells == 1)
        #expect(sessions.first?.notebook.cells.count == 2)
    }

    @Test("watch a training plot change while it runs, interrupt it with Ctrl-C, use the partial run")
    func livePlot() throws {
        let t = try TmuxSession(arguments: "live.ipynb")
        #expect(t.waitFor("In [ ]:"))
        t.type("data = moons(200, noise=0.1, seed=1)")
        t.keys("Enter")
        #expect(t.waitFor("In [1]: data"))  // numbered once it has run
        #expect(t.waitIdle())
        t.type("run = train(mlp([2, 32, 2], seed=1), data, sgd(0.5), steps=1000000, every=1, seed=1)")
        t.keys("Enter")
        // The plot's rows: every line holding braille dots.
        func plotRows(_ screen: String) -> [Substring] {
            screen.split(separator: "\n").filter { $0.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) } }
        }
        let (drawn, first) = t.waitFor("a live plot") { s in
            s.contains("running cell 2") && s.contains("loss") && plotRows(s).count >= 3
        }
        #expect(drawn, "no live plot while training:\n\(first)")
        let (changed, later) = t.waitFor("the plot to change") { s in
            s.contains("running cell 2") && !plotRows(s).isEmpty && plotRows(s) != plotRows(first)
        }
        #expect(changed, "the plot did not change while training:\n\(later)")
        t.keys("C-c")
        #expect(t.waitFor("training interrupted"))
        #expect(t.waitIdle())
        // The partial run was kept, and its plot stays on the screen.
        t.type("run.step[-1] > 10 and run.step[-1] < 999999")
        t.keys("Enter")
        #expect(t.waitFor("Out[3]: true"))
        #expect(plotRows(t.screen()).count >= 3)
        t.type(":q!")
        t.keys("Enter")
        #expect(t.waitFor("RITZ-EXITED 0"))
    }

    @Test("readline REPL: Tab completes a builtin, a training plot redraws in place, the history file is written")
    func repl() throws {
        let t = try TmuxSession(arguments: "repl")
        #expect(t.waitFor("ritz>"))  // capture-pane drops trailing blanks
        t.type("linsp")
        t.keys("Tab")
        #expect(t.waitFor("ritz> linspace"))
        t.type("(0, 1, 5)")
        t.keys("Enter")
        #expect(t.waitFor("[0.   0.25 0.5  0.75 1.  ]"))
        t.type("data = moons(100, seed=1)")
        t.keys("Enter")
        #expect(t.waitFor("ritz> data = moons(100, seed=1)\nritz>"))
        t.type("run = train(mlp([2, 16, 2], seed=1), data, sgd(0.5), steps=1000000, every=1, seed=1)")
        t.keys("Enter")
        // While it trains: the curves and a progress line, drawn in place (once on the screen).
        let (live, screen) = t.waitFor("live curves") { s in
            s.contains("step ") && s.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) }
        }
        #expect(live, "\(screen)")
        let (_, again) = t.waitFor("a later step", timeout: 5) { $0 != screen && $0.contains("step ") }
        #expect(again.components(separatedBy: "┌─ loss").count == 2, "the live block is redrawn, not repeated:\n\(again)")
        t.keys("C-c")
        #expect(t.waitFor("training interrupted"))
        t.type("run.step[-1] > 0")
        t.keys("Enter")
        #expect(t.waitFor("true"))
        t.keys("C-d")
        #expect(t.waitFor("RITZ-EXITED 0"))
        let history = try String(contentsOfFile: t.directory + "/state/ritz/repl_history", encoding: .utf8)
        #expect(history.contains("linspace(0, 1, 5)"))
        #expect(history.contains("run.step[-1] > 0"))
    }

    @Test("readline REPL: a function over several lines, an error that keeps the session, ?help, Up recalls")
    func replEditing() throws {
        let t = try TmuxSession(arguments: "repl")
        #expect(t.waitFor("ritz>"))
        t.type("fn sq(x) {")
        t.keys("Enter")
        #expect(t.waitFor("...>"))  // brackets open: a continuation line
        t.type("  x * x")
        t.keys("Enter")
        t.type("}")
        t.keys("Enter")
        t.type("sq(7)")
        t.keys("Enter")
        #expect(t.waitFor("ritz> sq(7)\n49"))
        t.type("sq(undefined_name)")
        t.keys("Enter")
        #expect(t.waitFor("unknown name `undefined_name`"))
        t.type("sq(3) + 1")
        t.keys("Enter")
        #expect(t.waitFor("ritz> sq(3) + 1\n10"))  // the session (and sq) survived the error
        t.type("?zeros")
        t.keys("Enter")
        #expect(t.waitFor("example"))
        t.keys("Up")
        t.keys("Up")
        #expect(t.waitFor("ritz> sq(3) + 1"))  // history, newest first; ?zeros was the last entry
        t.keys("C-u")
        t.keys("C-d")
        #expect(t.waitFor("RITZ-EXITED 0"))
    }

    @Test("a batch run killed with SIGKILL loses no completed cell; recover restores them")
    func killAndRecover() throws {
        guard let binary = TmuxSession.binary else { return }
        let dir = NSTemporaryDirectory() + "ritz-kill-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Notebook(percentScript: "# %%\na = 6 * 7\na\n# %%\nb = a + 1\nb\n# %%\nwhile true { b = b + 1 }\n")
            .save(path: dir + "/slow.ipynb")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: binary)
        child.arguments = ["run", dir + "/slow.ipynb"]
        child.environment = ["XDG_STATE_HOME": dir + "/state", "HOME": dir, "PATH": "/usr/bin:/bin"]
        child.standardOutput = FileHandle.nullDevice
        child.currentDirectoryURL = URL(fileURLWithPath: dir)
        try child.run()
        let state = dir + "/state/ritz"
        let deadline = Date().addingTimeInterval(30)
        var completed = 0
        while Date() < deadline {
            let journals = (try? FileManager.default.contentsOfDirectory(atPath: state + "/journal")) ?? []
            completed = journals.compactMap { Journal.read(journal: state + "/journal/" + $0)?.completedCells }.max() ?? 0
            if completed >= 2 { break }
            usleep(20_000)
        }
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        #expect(completed == 2)
        let recover = Process()
        recover.executableURL = URL(fileURLWithPath: binary)
        recover.arguments = ["recover", "1", "-o", dir + "/back.ipynb"]
        recover.environment = child.environment
        recover.currentDirectoryURL = URL(fileURLWithPath: dir)
        recover.standardOutput = FileHandle.nullDevice
        try recover.run()
        recover.waitUntilExit()
        #expect(recover.terminationStatus == 0)
        let back = try Notebook.load(path: dir + "/back.ipynb")
        #expect(back.cells.count == 3)
        #expect(back.cells[0].outputs.map(\.plainText) == ["42"])
        #expect(back.cells[1].outputs.map(\.plainText) == ["43"])
        #expect(back.cells[2].outputs.isEmpty)
    }

    @Test("two killed runs of one file, still unreaped: both are offered and restore to two names")
    func twoKilledRuns() throws {
        guard let binary = TmuxSession.binary else { return }
        let dir = NSTemporaryDirectory() + "ritz-kill2-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let environment = ["XDG_STATE_HOME=" + dir + "/state", "HOME=" + dir, "PATH=/usr/bin:/bin"]
        let state = dir + "/state/ritz"
        /// Starts `ritz ARGS` in `dir` (ARGS without spaces), output to /dev/null; the caller reaps it.
        func spawn(_ args: [String]) -> pid_t {
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            // The shell changes folder and execs ritz, which keeps its PID.
            let command = "cd '\(dir)' && exec '\(binary)' " + args.joined(separator: " ")
            let shell: [String] = ["/bin/sh", "-c", command]
            let argv = shell.map { strdup($0) } + [nil]
            let envp = environment.map { strdup($0) } + [nil]
            defer { for a in argv + envp { free(a) } }
            var pid: pid_t = 0
            return posix_spawn(&pid, "/bin/sh", &actions, nil, argv, envp) == 0 ? pid : -1
        }
        /// Waits until `count` journals each have two completed cells (the third runs forever).
        func waitForJournals(_ count: Int) -> Bool {
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: state + "/journal")) ?? []
                let ready = names.filter { $0.hasSuffix(".jsonl") }
                    .compactMap { Journal.read(journal: state + "/journal/" + $0)?.completedCells }.filter { $0 >= 2 }
                if ready.count >= count { return true }
                usleep(20_000)
            }
            return false
        }
        var killed: [pid_t] = []
        for (n, second) in ["b = a + 1", "b = a - 1"].enumerated() {
            try Notebook(percentScript: "# %%\na = 6 * 7\na\n# %%\n\(second)\nb\n# %%\nwhile true { b = b + 1 }\n")
                .save(path: dir + "/slow.ipynb")
            let pid = spawn(["run", "slow.ipynb"])
            #expect(pid > 0)
            #expect(waitForJournals(n + 1))
            kill(pid, SIGKILL)
            killed.append(pid)
        }
        // SIGKILL is delivered at once, the teardown follows: the thread-group leader turns
        // zombie, and the files (with the lock) close when the last thread is gone. Poll for
        // that; the processes stay unreaped, their PIDs still answering, as a parent that has
        // not waited leaves them.
        func isZombie(_ pid: pid_t) -> Bool {
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
        }
        var listed: [RecoverableSession] = []
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            listed = Journal.recoverable(stateDirectory: state)
            if listed.count == 2 { break }
            usleep(10_000)
        }
        #expect(killed.allSatisfy(isZombie))
        #expect(killed.allSatisfy { kill($0, 0) == 0 })
        #expect(listed.count == 2)
        #expect(listed.allSatisfy { $0.runningCellIndex == 2 })
        for _ in 0..<2 {
            let pid = spawn(["recover", "1"])
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            #expect(status == 0)
        }
        for pid in killed {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        let first = try Notebook.load(path: dir + "/slow-recovered.ipynb")
        let second = try Notebook.load(path: dir + "/slow-recovered-2.ipynb")
        #expect(first.cells.map { $0.outputs.map(\.plainText) } == [["42"], ["43"], []])
        #expect(second.cells.map { $0.outputs.map(\.plainText) } == [["42"], ["41"], []])
        #expect(Journal.recoverable(stateDirectory: state).isEmpty)
    }
}
