import CNcurses
import Foundation
import Testing
@testable import RitzNotebook
@testable import RitzTUI

/// Esc, for writing key sequences (`"\(esc)[1;3A"`).
private let esc = "\u{1b}"

@Suite("key decoding")
struct KeyDecoderTests {
    static func decode(_ text: String, flush: Bool = false, codes: KeyDecoder.Codes = KeyDecoder.Codes()) -> [Key] {
        var d = KeyDecoder(codes: codes)
        var keys = text.unicodeScalars.flatMap { d.feed(.character($0.value)) }
        if flush { keys += d.flush() }
        return keys
    }

    @Test("plain, control and Alt keys")
    func basic() {
        #expect(Self.decode("a\u{01}\r\t\u{7f}") == [.char("a"), .ctrl("a"), .enter, .tab, .backspace])
        #expect(Self.decode("\(esc)b\(esc)\r") == [.alt("b"), .altEnter])
        #expect(Self.decode(esc, flush: true) == [.escape])
        #expect(Self.decode("\(esc)[A\(esc)[1;3A\(esc)OP\(esc)[15~") == [.up, .altUp, .function(1), .function(5)])
    }

    @Test("bracketed paste arrives as one event; its newlines never run")
    func paste() {
        #expect(Self.decode("\(esc)[200~x = [1,\r2]\ny\(esc)[201~z") == [.paste("x = [1,\n2]\ny"), .char("z")])
    }

    /// xterm's table of modifier parameters (ctlseqs, "PC-Style Function Keys"), written out.
    @Test("modifier parameters are numbered as xterm numbers them")
    func modifierParameters() {
        let table: [Int: Key.Modifiers] = [
            1: [], 2: .shift, 3: .alt, 4: [.shift, .alt], 5: .control, 6: [.shift, .control],
            7: [.alt, .control], 8: [.shift, .alt, .control], 9: .meta, 10: [.meta, .shift],
            11: [.meta, .alt], 12: [.meta, .alt, .shift], 13: [.meta, .control],
            14: [.meta, .control, .shift], 15: [.meta, .control, .alt], 16: [.meta, .control, .alt, .shift],
        ]
        for parameter in 0...17 {
            #expect(Key.Modifiers(xtermParameter: parameter) == table[parameter], "parameter \(parameter)")
        }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let input: String
        let keys: [Key]
        var testDescription: String { name }
    }

    static let sequences: [Case] = [
        Case(name: "xterm Alt-Up", input: "\(esc)[1;3A", keys: [.altUp]),
        Case(name: "xterm Alt-Down", input: "\(esc)[1;3B", keys: [.altDown]),
        Case(name: "Alt-Left and Alt-Right", input: "\(esc)[1;3D\(esc)[1;3C", keys: [.altLeft, .altRight]),
        Case(name: "Meta-Up as iTerm2 sends Option-Up", input: "\(esc)[1;9A", keys: [.altUp]),
        Case(name: "Meta-Alt-Down", input: "\(esc)[1;11B", keys: [.altDown]),
        Case(name: "Shift-Alt-Up is Alt-Up", input: "\(esc)[1;4A", keys: [.altUp]),
        Case(name: "Meta-Shift-Down is Alt-Down", input: "\(esc)[1;10B", keys: [.altDown]),
        Case(name: "Ctrl-Left and Ctrl-Right", input: "\(esc)[1;5D\(esc)[1;5C", keys: [.ctrlLeft, .ctrlRight]),
        Case(name: "Ctrl-Shift-Left is Ctrl-Left", input: "\(esc)[1;6D", keys: [.ctrlLeft]),
        Case(name: "Shift-Up is Up", input: "\(esc)[1;2A", keys: [.up]),
        Case(name: "Ctrl-Home and Ctrl-End", input: "\(esc)[1;5H\(esc)[1;5F", keys: [.ctrlHome, .ctrlEnd]),
        Case(name: "Ctrl-Delete", input: "\(esc)[3;5~", keys: [.ctrlDelete]),
        Case(name: "Shift-PgUp is PgUp", input: "\(esc)[5;2~", keys: [.pageUp]),
        Case(name: "Ctrl-Up means nothing", input: "\(esc)[1;5A", keys: []),
        Case(name: "Ctrl-Alt-Up means nothing", input: "\(esc)[1;7A", keys: []),
        Case(name: "Alt-PgDn means nothing", input: "\(esc)[6;3~", keys: []),
        Case(name: "parameter 17 is no modifier", input: "\(esc)[1;17A", keys: []),
        Case(name: "Shift-F1 means nothing", input: "\(esc)[1;2P", keys: []),
        Case(name: "Ctrl-F5 means nothing", input: "\(esc)[15;5~", keys: []),
        Case(name: "F6 and F12 by number", input: "\(esc)[17~\(esc)[24~", keys: [.function(6), .function(12)]),
        Case(name: "Home and End by number", input: "\(esc)[1~\(esc)[7~\(esc)[4~\(esc)[8~", keys: [.home, .home, .end, .end]),
        Case(name: "SS3 with a modifier", input: "\(esc)O5C", keys: [.ctrlRight]),
        Case(name: "CSI with only a modifier", input: "\(esc)[5D", keys: [.ctrlLeft]),
        Case(name: "Esc before CSI: rxvt's Alt-Up", input: "\(esc)\(esc)[A", keys: [.altUp]),
        Case(name: "Esc before SS3: Alt-Down", input: "\(esc)\(esc)OB", keys: [.altDown]),
        Case(name: "Esc before a letter after Esc", input: "\(esc)\(esc)x", keys: [.escape, .alt("x")]),
        Case(name: "Esc, then Esc before a sequence", input: "\(esc)\(esc)\(esc)[A", keys: [.escape, .altUp]),
        Case(name: "rxvt Shift-Up is Up", input: "\(esc)[a", keys: [.up]),
        Case(name: "rxvt Ctrl-Left and Ctrl-Right", input: "\(esc)Od\(esc)Oc", keys: [.ctrlLeft, .ctrlRight]),
        Case(name: "rxvt Ctrl-Delete and Ctrl-Home", input: "\(esc)[3^\(esc)[7^", keys: [.ctrlDelete, .ctrlHome]),
        Case(name: "rxvt Shift-Delete is Delete", input: "\(esc)[3$", keys: [.delete]),
        Case(name: "rxvt Ctrl-Shift-End is Ctrl-End", input: "\(esc)[8@", keys: [.ctrlEnd]),
        Case(name: "Shift-Tab", input: "\(esc)[Z", keys: [.backTab]),
        Case(name: "keypad in application mode", input: "\(esc)OM\(esc)Oq\(esc)Ok\(esc)On", keys: [.enter, .char("1"), .char("+"), .char(".")]),
        Case(name: "sub-parameters are no key", input: "\(esc)[1;5:1A", keys: []),
        Case(name: "a terminal's report is no key", input: "\(esc)[?1;2c", keys: []),
        Case(name: "a sequence broken off by Enter", input: "\(esc)[1;\r", keys: [.enter]),
        Case(name: "a sequence broken off by text", input: "\(esc)[1é", keys: [.char("é")]),
        Case(name: "a sequence broken off by another", input: "\(esc)[1;\(esc)[B", keys: [.down]),
    ]

    @Test("key sequences, then a letter that still arrives", arguments: sequences)
    func sequence(_ c: Case) {
        #expect(Self.decode(c.input + "x") == c.keys + [.char("x")])
    }

    /// Every modifier parameter on every navigation key, in the letter form and the numbered
    /// form, against the modifiers written out in `modifierParameters`.
    @Test("every modifier parameter on every navigation key")
    func everyParameter() {
        let letters: [(String, Key.Navigation)] = [("A", .up), ("B", .down), ("C", .right), ("D", .left), ("H", .home), ("F", .end)]
        let numbers: [(Int, Key.Navigation)] = [(1, .home), (4, .end), (3, .delete), (5, .pageUp), (6, .pageDown)]
        for parameter in 1...16 {
            guard let modifiers = Key.Modifiers(xtermParameter: parameter) else { Issue.record("no modifiers for \(parameter)"); continue }
            let expected = { (n: Key.Navigation) in [Key(n, modifiers)].compactMap { $0 } + [.char("x")] }
            for (letter, navigation) in letters {
                #expect(Self.decode("\(esc)[1;\(parameter)\(letter)x") == expected(navigation), "CSI 1;\(parameter)\(letter)")
            }
            for (number, navigation) in numbers {
                #expect(Self.decode("\(esc)[\(number);\(parameter)~x") == expected(navigation), "CSI \(number);\(parameter)~")
            }
        }
    }

    @Test("Alt is Shift-free and Meta is Alt: the keys each combination stands for")
    func combinations() {
        #expect(Key(.up, [.alt]) == .altUp)
        #expect(Key(.up, [.meta, .shift]) == .altUp)
        #expect(Key(.down, [.alt, .meta]) == .altDown)
        #expect(Key(.left, [.control, .shift]) == .ctrlLeft)
        #expect(Key(.delete, [.control]) == .ctrlDelete)
        #expect(Key(.pageDown, [.shift]) == .pageDown)
        #expect(Key(.up, [.control]) == nil)
        #expect(Key(.left, [.control, .alt]) == nil)
        for navigation in Key.Navigation.allCases { #expect(Key(navigation, []) == navigation.key) }
    }

    @Test("an unfinished Esc ends on the timeout")
    func flushing() {
        #expect(Self.decode(esc, flush: true) == [.escape])
        #expect(Self.decode("\(esc)\(esc)", flush: true) == [.escape, .escape])
        #expect(Self.decode("\(esc)[", flush: true) == [.alt("[")])
        #expect(Self.decode("\(esc)[1;", flush: true) == [])
        var d = KeyDecoder()
        #expect(d.feed(.character(27)).isEmpty && d.hasLoneEscape)
        #expect(d.feed(.character(91)).isEmpty && !d.hasLoneEscape && d.hasPending)
        #expect(d.feed(.character(65)) == [.up] && !d.hasPending)
    }

    @Test("an overlong sequence is dropped and input goes on")
    func overlong() {
        let keys = Self.decode("\(esc)[" + String(repeating: "1", count: 40) + "Ax")
        #expect(keys.last == .char("x"))
        #expect(!keys.contains(.up))
    }

    @Test("curses key codes map to keys")
    func codes() {
        var c = KeyDecoder.Codes()
        c.modified = [0o1000: .altUp, 0o1001: .ctrlRight]
        var d = KeyDecoder(codes: c)
        #expect(d.feed(.code(c.up)) == [.up])
        #expect(d.feed(.code(c.f0 + 1)) == [.function(1)])
        #expect(d.feed(.code(c.resize)) == [.resize])
        #expect(d.feed(.code(0o1000)) == [.altUp])
        #expect(d.feed(.code(0o1001)) == [.ctrlRight])
        #expect(d.feed(.code(0o1002)) == [])
        // Esc with a navigation key is Alt held with it; with another key it is Esc first.
        #expect(d.feed(.character(27)) == [] && d.feed(.code(c.down)) == [.altDown])
        #expect(d.feed(.character(27)) == [] && d.feed(.code(c.pageUp)) == [])
        #expect(d.feed(.character(27)) == [] && d.feed(.code(c.f0 + 2)) == [.escape, .function(2)])
    }
}

/// Resolves key codes the way the notebook does, on a curses screen over /dev/null for each
/// terminal type, and checks them against the decoder's reading of the raw sequences: the
/// terminfo names (`kUP3`) and the xterm modifier parameters (`ESC [1;3A`) are two independent
/// descriptions of the same keys, so they must agree.
@Suite("terminfo key codes", .serialized)
struct TerminfoKeyCodeTests {
    /// Every xterm-style modified navigation sequence with parameters 2 (Shift) … 8.
    static var modifiedSequences: [String] {
        (2...8).flatMap { p in
            ["A", "B", "C", "D", "H", "F"].map { "\(esc)[1;\(p)\($0)" } + [3, 5, 6].map { "\(esc)[\($0);\(p)~" }
        }
    }

    @Test("modified keys resolved from terminfo decode as their sequences do",
          arguments: ["xterm-256color", "tmux-256color", "screen"])
    func resolved(term: String) throws {
        let output = try #require(fopen("/dev/null", "w"))
        let input = try #require(fopen("/dev/null", "r"))
        defer { fclose(output); fclose(input) }
        let screen = try #require(newterm(term, output, input), "no terminfo entry for \(term)")
        defer { endwin(); delscreen(screen) }
        keypad(ritz_stdscr(), true)
        let codes = CursesNotebook.keyCodes()
        var resolved = 0
        for sequence in Self.modifiedSequences {
            let code = Int(key_defined(sequence))
            guard code > 0 else { continue }
            resolved += 1
            var decoder = KeyDecoder(codes: codes)
            let label = sequence.dropFirst()
            #expect(decoder.feed(.code(code)) == KeyDecoderTests.decode(sequence), "\(term): \(label) is code \(code)")
        }
        // xterm's and tmux's entries define the modifier parameters 2…7 for all nine keys
        // (`infocmp -x`); screen's defines none, and its keys arrive as raw sequences.
        if term == "screen" {
            #expect(resolved == 0)
        } else {
            #expect(resolved >= 9 * 6)
            #expect(codes.modified.values.contains(.altUp) && codes.modified.values.contains(.altDown))
        }
    }
}

/// Esc and then a letter typed quickly (within the escape delay, or tmux's escape-time) reach
/// the notebook as one Alt-letter.
@Suite("Esc before a letter")
struct EscapeThenLetterTests {
    static let escX = KeyDecoderTests.decode("\(esc)x")

    @Test("closes the help pane, and the letter is typed")
    func helpPane() {
        #expect(Self.escX == [.alt("x")])
        let model = NotebookModel(notebook: Notebook(), path: nil, evaluator: FakeEvaluator())
        _ = drive(model, typed("ab") + [.function(1)])
        #expect(model.helpText != nil)
        _ = drive(model, Self.escX)
        #expect(model.helpText == nil)
        #expect(model.editor.text == "abx")
    }

    @Test("cancels save-as, and the letter goes to the cell")
    func saveAs() {
        let model = NotebookModel(notebook: Notebook(), path: nil, evaluator: FakeEvaluator())
        _ = drive(model, [.function(2)])
        guard case .saveAs? = model.prompt else { Issue.record("expected save-as"); return }
        _ = drive(model, Self.escX)
        #expect(model.prompt == nil)
        #expect(model.path == nil && model.dirty == false)
        #expect(model.editor.text == "x")
    }

    @Test("ends a history search and cancels a quit question, keeping the letter")
    func otherPrompts() {
        let model = NotebookModel(notebook: Notebook(), path: nil, evaluator: FakeEvaluator(),
                                  history: History(entries: ["train(m)"]))
        _ = drive(model, [.ctrl("r")] + typed("tr") + Self.escX)
        #expect(model.prompt == nil)
        #expect(model.editor.text == "x")
        _ = drive(model, [.ctrl("u")] + typed("y = 1") + [.enter, .ctrl("d")])
        #expect(model.prompt == .confirmQuit)
        #expect(drive(model, Self.escX).isEmpty)
        #expect(model.prompt == nil)
        #expect(model.editor.text == "x")
    }

    @Test("with no dialog open, Alt keys keep their meaning")
    func noDialog() {
        let model = NotebookModel(notebook: Notebook(), path: nil, evaluator: FakeEvaluator())
        _ = drive(model, typed("ab cd") + KeyDecoderTests.decode("\(esc)b") + typed("!"))
        #expect(model.editor.text == "ab !cd")
        _ = drive(model, [.enter] + KeyDecoderTests.decode("\(esc)p"))
        #expect(model.editingIndex == 0)
    }
}
