import Testing
@testable import RitzNotebook
@testable import RitzTUI

/// Applies keys to an editor holding `text` with the cursor at `cursor`.
func edit(_ text: String, cursor: Int? = nil, _ keys: [Key]) -> TextEditor {
    var e = TextEditor(text: text)
    if let cursor {
        e.moveTextStart()
        for _ in 0..<cursor { e.moveRight() }
    }
    for key in keys { _ = e.apply(key) }
    return e
}

@Suite("editor")
struct EditorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let cursor: Int?
        let keys: [Key]
        let expected: String
        let expectedCursor: Int
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "typing", text: "", cursor: nil, keys: [.char("a"), .char("b")], expected: "ab", expectedCursor: 2),
        Case(name: "C-a then type", text: "xy", cursor: nil, keys: [.ctrl("a"), .char("a")], expected: "axy", expectedCursor: 1),
        Case(name: "C-e on second line", text: "ab\ncd", cursor: 3, keys: [.ctrl("e")], expected: "ab\ncd", expectedCursor: 5),
        Case(name: "C-k kills to line end", text: "abc\ndef", cursor: 1, keys: [.ctrl("k")], expected: "a\ndef", expectedCursor: 1),
        Case(name: "C-k at line end joins lines", text: "abc\ndef", cursor: 3, keys: [.ctrl("k")], expected: "abcdef", expectedCursor: 3),
        Case(name: "C-u kills to line start", text: "ab\ncdef", cursor: 5, keys: [.ctrl("u")], expected: "ab\nef", expectedCursor: 3),
        Case(name: "C-w kills a word", text: "x = foo_bar", cursor: nil, keys: [.ctrl("w")], expected: "x = ", expectedCursor: 4),
        Case(name: "kill then yank twice", text: "hello world", cursor: nil, keys: [.ctrl("w"), .ctrl("y"), .ctrl("y")], expected: "hello worldworld", expectedCursor: 16),
        Case(name: "M-b M-d", text: "one two three", cursor: nil, keys: [.alt("b"), .alt("b"), .alt("d")], expected: "one  three", expectedCursor: 4),
        Case(name: "M-f moves over a word", text: "ab cd", cursor: 0, keys: [.alt("f"), .char("!")], expected: "ab! cd", expectedCursor: 3),
        Case(name: "C-t transposes", text: "ab", cursor: nil, keys: [.ctrl("t")], expected: "ba", expectedCursor: 2),
        Case(name: "backspace and delete", text: "abcd", cursor: 2, keys: [.backspace, .delete], expected: "ad", expectedCursor: 1),
        Case(name: "Alt-Enter inserts a newline", text: "a", cursor: nil, keys: [.altEnter, .char("b")], expected: "a\nb", expectedCursor: 3),
        Case(name: "paste keeps newlines and CRLF", text: "", cursor: nil, keys: [.paste("x = 1\r\ny = 2\n")], expected: "x = 1\ny = 2\n", expectedCursor: 12),
        Case(name: "typing is one undo step", text: "", cursor: nil, keys: [.char("a"), .char("b"), .char("c"), .ctrl("_")], expected: "", expectedCursor: 0),
        Case(name: "undo a kill", text: "abc", cursor: 0, keys: [.ctrl("k"), .ctrl("_")], expected: "abc", expectedCursor: 0),
        Case(name: "undo then redo", text: "", cursor: nil, keys: [.char("a"), .ctrl("_"), .alt("_")], expected: "a", expectedCursor: 1),
        Case(name: "left at start stays", text: "a", cursor: 0, keys: [.left, .ctrl("b")], expected: "a", expectedCursor: 0),
        Case(name: "Ctrl-Left and Alt-Left move back a word", text: "ab cd ef", cursor: nil, keys: [.ctrlLeft, .altLeft, .char("!")], expected: "ab !cd ef", expectedCursor: 4),
        Case(name: "Ctrl-Right and Alt-Right move on a word", text: "ab cd ef", cursor: 0, keys: [.ctrlRight, .altRight, .char("!")], expected: "ab cd! ef", expectedCursor: 6),
        Case(name: "Ctrl-Home and Ctrl-End reach the ends of the text", text: "ab\ncd", cursor: 4, keys: [.ctrlHome, .char("<"), .ctrlEnd, .char(">")], expected: "<ab\ncd>", expectedCursor: 7),
        Case(name: "Ctrl-Delete kills the next word", text: "one two three", cursor: 3, keys: [.ctrlDelete], expected: "one three", expectedCursor: 3),
    ]

    @Test("emacs keys", arguments: cases)
    func keys(_ c: Case) {
        let e = edit(c.text, cursor: c.cursor, c.keys)
        #expect(e.text == c.expected)
        #expect(e.cursor == c.expectedCursor)
    }

    @Test("up and down keep the goal column across a short line")
    func goalColumn() {
        var e = TextEditor(text: "abcdef\nab\nabcdef")
        #expect(e.cursorPosition == (2, 6))
        var moved = e.moveUp()
        #expect(moved && e.cursorPosition == (1, 2))
        moved = e.moveUp()
        #expect(moved && e.cursorPosition == (0, 6))
        moved = e.moveUp()
        #expect(!moved)
        moved = e.moveDown() && e.moveDown()
        #expect(moved && e.cursorPosition == (2, 6))
        moved = e.moveDown()
        #expect(!moved)
    }
}

@Suite("input complete")
struct InputCompletenessTests {
    @Test("Enter runs complete input", arguments: [
        "x = 1", "f(x)", "[1, 2; 3, 4]", "fn f(x) {\n  x\n}", "s = \"(\"", "# only a comment (", "a]", "x > 1", "",
    ])
    func complete(_ source: String) {
        #expect(InputCompleteness.isComplete(source))
    }

    @Test("Enter inserts a newline while input is open", arguments: [
        "x = [1, 2", "f(", "fn f(x) {", "s = \"abc", "x = 1 +", "y |>", "f = x ->", "g(a,", "for i in 0:3 {\n  print(i)",
    ])
    func incomplete(_ source: String) {
        #expect(!InputCompleteness.isComplete(source))
    }

    @Test("lines fed one at a time get the same answer as the whole text, line after line")
    func linesAgree() {
        let inputs = ["x = [1, 2;\n3, 4]", "fn f(x) {\n  s = \"}\"  # }\n  x +\n  1\n}", "y |>\n  f", "\n\na = 1",
                      "s = \"a\n b\" ,\nc", "f = x ->\n x"]
        for input in inputs {
            var lines = InputCompleteness.Lines()
            var sofar: [Substring] = []
            for line in input.split(separator: "\n", omittingEmptySubsequences: false) {
                sofar.append(line)
                let whole = sofar.joined(separator: "\n")
                let complete = lines.add(String(line))
                #expect(complete == InputCompleteness.isComplete(whole), "\(whole)")
                #expect(lines.text == whole || whole.isEmpty)
                if InputCompleteness.isComplete(whole) {
                    _ = lines.take()
                    sofar = []
                }
            }
        }
    }

    /// The REPL used to re-read the whole pending text per line: 3,000 pasted lines of an open
    /// block took 16 s. Counting characters read (not time) checks each is read once.
    @Test("3,000 lines of an unfinished block are each read once")
    func linearPaste() {
        var lines = InputCompleteness.Lines()
        var total = 0
        var completeEarly = lines.add("fn big(x) {")
        total += "fn big(x) {".count
        for i in 0..<3_000 {
            let line = "  x = x + \(i)  # step \(i)"
            completeEarly = completeEarly || lines.add(line)
            total += 1 + line.count
        }
        #expect(!completeEarly)
        let done = lines.add("}")
        #expect(done)
        total += 2
        #expect(lines.scanner.charactersScanned == total)
        let text = lines.take()
        #expect(text.count == total)
        #expect(lines.isEmpty)
    }
}
