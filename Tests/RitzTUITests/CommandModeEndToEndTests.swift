import Foundation
import Testing
import RitzNotebook

extension TmuxSession {
    /// The status line (the last non-empty row) on a screen.
    static func statusLine(_ screen: String) -> String {
        screen.split(separator: "\n").last.map(String.init) ?? ""
    }

    /// Waits until the status line shows `mode` (`EDIT` or `COMMAND`) at its right end.
    func waitForMode(_ mode: String) -> Bool {
        let (ok, last) = waitFor(mode) { TmuxSession.statusLine($0).hasSuffix(" " + mode) }
        if !ok { Issue.record("timed out waiting for \(mode) mode; screen:\n\(last)") }
        return ok
    }

    /// The cell list's code rows (`In [n]: …` lines and the lines under them) on a screen, the
    /// selection bar and prompts stripped: what the cells hold, top to bottom.
    static func cellSources(_ screen: String) -> [String] {
        let rows = screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let separator = rows.lastIndex(where: { $0.hasPrefix("───") }) else { return [] }
        return rows[1..<separator].compactMap { row in
            guard let colon = row.range(of: "]: ") else { return nil }
            return String(row[colon.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
    }

    /// Waits until the cells read `sources`.
    func waitForCells(_ sources: [String]) -> Bool {
        let (ok, last) = waitFor("cells") { TmuxSession.cellSources($0) == sources }
        if !ok { Issue.record("timed out waiting for cells \(sources); screen:\n\(last)") }
        return ok
    }
}

@Suite("command mode in a real terminal", .serialized, .enabled(if: TmuxSession.available, "needs tmux and a built ritz"))
struct CommandModeEndToEndTests {
    static let script = "# %%\na = 1\n# %%\nb = 2\n# %%\nc = 3\n"

    @Test("insert, delete and undo the delete, cut and paste, move, change type, split and merge")
    func cellActions() throws {
        let t = try TmuxSession(arguments: "cells.ritz", files: ["cells.ritz": CommandModeEndToEndTests.script])
        #expect(t.waitFor("3 cells"))
        #expect(t.waitForMode("EDIT"))
        t.keys("Escape")
        #expect(t.waitForMode("COMMAND"))
        t.type("k")
        #expect(t.waitForEditor("In [ ]: c = 3"))
        t.type("a")  // a new cell above c, selected
        #expect(t.waitFor("4 cells"))
        t.keys("Enter")
        #expect(t.waitForMode("EDIT"))
        t.type("n = 5")
        t.keys("Escape")
        #expect(t.waitForMode("COMMAND"))
        #expect(t.waitForCells(["a = 1", "b = 2", "n = 5", "c = 3"]))
        t.type("dd")
        #expect(t.waitForCells(["a = 1", "b = 2", "c = 3"]))
        t.type("z")  // undo the delete
        #expect(t.waitForCells(["a = 1", "b = 2", "n = 5", "c = 3"]))
        t.type("x")  // cut n, paste it above a
        #expect(t.waitForCells(["a = 1", "b = 2", "c = 3"]))
        t.type("kkV")
        #expect(t.waitForCells(["n = 5", "a = 1", "b = 2", "c = 3"]))
        t.type("J")  // move it down
        #expect(t.waitForCells(["a = 1", "n = 5", "b = 2", "c = 3"]))
        t.type("M")  // merge with b: one prompt over two lines
        #expect(t.waitForCells(["a = 1", "n = 5", "c = 3"]))
        #expect(t.waitFor("3 cells"))
        // Split again at the start of the second line: Ctrl-Shift-minus as modifyOtherKeys sends it.
        t.keys("Enter")
        #expect(t.waitForMode("EDIT"))
        t.keys("C-Home", "Down")
        t.bytes("1b 5b 32 37 3b 36 3b 34 35 7e")  // ESC [27;6;45~
        #expect(t.waitFor("4 cells"))
        #expect(t.waitForCells(["a = 1", "n = 5", "b = 2", "c = 3"]))
        t.keys("Escape")
        #expect(t.waitForMode("COMMAND"))
        t.type("m")  // b becomes markdown: no prompt
        #expect(t.waitForCells(["a = 1", "n = 5", "c = 3"]))
        t.type("y")
        #expect(t.waitForCells(["a = 1", "n = 5", "b = 2", "c = 3"]))
        t.type(":")
        t.type("q!")
        t.keys("Enter")
        #expect(t.waitFor("RITZ-EXITED 0"))
    }

    @Test("run and select next, restart asks first and then forgets every variable")
    func runAndRestart() throws {
        let t = try TmuxSession(arguments: "run.ritz", files: ["run.ritz": "# %%\nv = 41\n# %%\nv + 1\n"])
        #expect(t.waitFor("2 cells"))
        t.keys("Escape")
        #expect(t.waitForMode("COMMAND"))
        t.type("kk")
        #expect(t.waitForEditor("In [ ]: v = 41"))
        t.bytes("1b 5b 31 33 3b 32 75")  // Shift-Enter as ESC [13;2u
        #expect(t.waitForEditor("In [ ]: v + 1"))  // the next cell is selected
        #expect(t.waitIdle())
        t.type("r")
        #expect(t.waitFor("Out[2]: 42"))
        #expect(t.waitIdle())
        t.type("00")
        #expect(t.waitFor("restart the session? every variable is lost (y/n)"))
        t.type("y")
        #expect(t.waitFor("restarted: a fresh session"))
        t.type("k")  // back to `v + 1`: v is gone in the fresh session
        t.type("r")
        #expect(t.waitFor("unknown name `v`"))
        #expect(t.waitFor("In [1]: v + 1"))  // counts start again
        t.keys("C-d")
        #expect(t.waitFor("save changes before quitting?"))
        t.type("n")
        #expect(t.waitFor("RITZ-EXITED 0"))
    }
}

@Suite("REPL history in a real terminal", .serialized, .enabled(if: TmuxSession.available, "needs tmux and a built ritz"))
struct ReplHistoryEndToEndTests {
    @Test("a function typed over three lines is saved as one escaped entry and Up recalls it whole")
    func multiLineEntry() throws {
        let t = try TmuxSession(arguments: "repl")
        #expect(t.waitFor("ritz>"))
        for line in ["fn f(x) {", "x + 1", "}"] {
            t.type(line)
            t.keys("Enter")
        }
        t.type("f(2)")
        t.keys("Enter")
        #expect(t.waitFor("\n3"))
        let file = t.directory + "/state/ritz/repl_history"
        let saved = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        #expect(saved == "fn f(x) {\\nx + 1\\n}\nf(2)\n")
        t.keys("Up", "Up")
        #expect(t.waitFor("ritz> fn f(x) {\nx + 1\n}"))
        t.keys("Enter")  // runs the recalled function definition again, whole
        t.type("f(40)")
        t.keys("Enter")
        #expect(t.waitFor("\n41"))
        t.keys("C-d")
        #expect(t.waitFor("RITZ-EXITED 0"))
    }

    @Test("Tab after a dot completes a record's field; x? shows the value; Tab in load's string completes a file")
    func fieldCompletion() throws {
        let t = try TmuxSession(arguments: "repl", files: ["weights.npy": ""])
        #expect(t.waitFor("ritz>"))
        t.type("cfg = (lr=0.1, steps=5)")
        t.keys("Enter")
        t.type("cfg.st")
        t.keys("Tab")
        #expect(t.waitFor("ritz> cfg.steps"))
        t.keys("Enter")
        #expect(t.waitFor("\n5"))
        t.type("cfg?")
        t.keys("Enter")
        #expect(t.waitFor("fields: lr (number), steps (number)"))
        t.type("load(\"wei")
        t.keys("Tab")
        #expect(t.waitFor("ritz> load(\"weights.npy"))
        t.keys("C-u", "C-d")
        #expect(t.waitFor("RITZ-EXITED 0"))
    }
}
