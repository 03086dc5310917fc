import Testing
@testable import RitzTUI

/// The terminal type the notebook draws with, against this system's terminfo (Debian's
/// ncurses-base has `xterm-256color`, `screen` and `dumb`).
@Suite("terminal type")
struct TerminalTypeTests {
    @Test("a type terminfo has with cursor movement is used as it is")
    func ownType() {
        #expect(TerminalCapabilities.notebookTerminal("xterm-256color") == .own("xterm-256color"))
        #expect(TerminalCapabilities.notebookTerminal("screen") == .own("screen"))
        #expect(TerminalCapabilities.note(.own("screen")) == nil)
    }

    @Test("an unlisted or unset type is drawn as the first substitute terminfo has, and the note says so")
    func substitute() {
        let unlisted = TerminalCapabilities.notebookTerminal("ritz-test-unlisted-terminal")
        #expect(unlisted == .substitute(for: "ritz-test-unlisted-terminal", type: "xterm-256color"))
        #expect(TerminalCapabilities.note(unlisted) == "TERM=ritz-test-unlisted-terminal is not in terminfo here: drawing as xterm-256color")
        for unset in [nil, ""] as [String?] {
            let choice = TerminalCapabilities.notebookTerminal(unset)
            #expect(choice == .substitute(for: "", type: "xterm-256color"))
            #expect(TerminalCapabilities.note(choice) == "TERM is not set: drawing as xterm-256color")
        }
    }

    @Test("a type that cannot move the cursor is refused with what to use instead")
    func dumb() {
        guard case .unusable(let reason) = TerminalCapabilities.notebookTerminal("dumb") else {
            Issue.record("TERM=dumb was accepted")
            return
        }
        #expect(reason.hasPrefix("TERM=dumb cannot move the cursor"))
        #expect(reason.contains("ritz repl") && reason.contains("ritz run FILE"))
        #expect(TerminalCapabilities.notebookTerminal("dumb").type == nil)
    }

    @Test("control characters in TERM reach the status line inert")
    func inertNote() {
        let note = TerminalCapabilities.note(.substitute(for: "x\u{1b}[2J", type: "xterm"))
        #expect(note?.contains("\u{1b}") == false)
    }
}
