/// A multi-line text editor with emacs keys, a kill buffer and undo; no terminal involved.
///
/// The text is kept as an array of characters and the cursor as an offset into it, so every
/// operation is simple to state and test. Consecutive typed characters form one undo step.
public struct TextEditor: Equatable, Sendable {
    /// The text.
    public private(set) var chars: [Character] = []
    /// Cursor offset in `0...chars.count`.
    public private(set) var cursor = 0
    /// The last killed text (Ctrl-K, Ctrl-U, Ctrl-W, Alt-D), yanked by Ctrl-Y.
    public private(set) var killBuffer = ""
    private var undoStack: [Snapshot] = []
    private var redoStack: [Snapshot] = []
    private var lastWasTyping = false
    /// Column the cursor tries to keep when moving up and down.
    private var goalColumn: Int?

    struct Snapshot: Equatable, Sendable {
        var chars: [Character]
        var cursor: Int
    }

    /// Creates an editor holding `text` with the cursor at its end.
    ///
    /// - Parameter text: The initial text.
    public init(text: String = "") {
        chars = Array(text)
        cursor = chars.count
    }

    /// The text as a string.
    public var text: String { String(chars) }

    /// The lines of the text (at least one).
    public var lines: [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    /// The cursor's line and column (0-based, in characters).
    public var cursorPosition: (line: Int, column: Int) {
        var line = 0, column = 0
        for c in chars[..<cursor] {
            if c == "\n" { line += 1; column = 0 } else { column += 1 }
        }
        return (line, column)
    }

    /// True when the cursor is on the first line.
    public var onFirstLine: Bool { !chars[..<cursor].contains("\n") }
    /// True when the cursor is on the last line.
    public var onLastLine: Bool { !chars[cursor...].contains("\n") }

    // MARK: - Undo

    private mutating func checkpoint(typing: Bool = false) {
        if !(typing && lastWasTyping) {
            undoStack.append(Snapshot(chars: chars, cursor: cursor))
            if undoStack.count > 500 { undoStack.removeFirst() }
        }
        redoStack.removeAll()
        lastWasTyping = typing
    }

    /// Undoes the last change (Ctrl-_ or Ctrl-Z).
    ///
    /// - Returns: False when there is nothing to undo.
    @discardableResult
    public mutating func undo() -> Bool {
        guard let last = undoStack.popLast() else { return false }
        redoStack.append(Snapshot(chars: chars, cursor: cursor))
        chars = last.chars
        cursor = last.cursor
        lastWasTyping = false
        goalColumn = nil
        return true
    }

    /// Redoes the last undone change.
    ///
    /// - Returns: False when there is nothing to redo.
    @discardableResult
    public mutating func redo() -> Bool {
        guard let next = redoStack.popLast() else { return false }
        undoStack.append(Snapshot(chars: chars, cursor: cursor))
        chars = next.chars
        cursor = next.cursor
        lastWasTyping = false
        return true
    }

    // MARK: - Editing

    /// Replaces the whole text (an undoable step), cursor at the end.
    ///
    /// - Parameter text: The new text.
    public mutating func setText(_ text: String) {
        checkpoint()
        chars = Array(text)
        cursor = chars.count
        goalColumn = nil
    }

    /// Inserts text at the cursor.
    ///
    /// - Parameters:
    ///   - text: What to insert.
    ///   - typing: True for a typed character (merged with neighbouring typing into one undo step).
    public mutating func insert(_ text: String, typing: Bool = false) {
        checkpoint(typing: typing && text != "\n")
        let new = Array(text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n"))
        chars.insert(contentsOf: new, at: cursor)
        cursor += new.count
        goalColumn = nil
    }

    /// Deletes the character before the cursor (Backspace, Ctrl-H).
    public mutating func backspace() {
        guard cursor > 0 else { return }
        checkpoint()
        cursor -= 1
        chars.remove(at: cursor)
        goalColumn = nil
    }

    /// Deletes the character under the cursor (Delete, Ctrl-D on non-empty text).
    public mutating func deleteForward() {
        guard cursor < chars.count else { return }
        checkpoint()
        chars.remove(at: cursor)
        goalColumn = nil
    }

    private mutating func kill(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        checkpoint()
        killBuffer = String(chars[range])
        chars.removeSubrange(range)
        cursor = range.lowerBound
        goalColumn = nil
    }

    /// Kills to the end of the line, or the newline itself at a line end (Ctrl-K).
    public mutating func killToLineEnd() {
        let end = lineEnd(from: cursor)
        kill(cursor..<(end == cursor && end < chars.count ? end + 1 : end))
    }

    /// Kills to the start of the line (Ctrl-U).
    public mutating func killToLineStart() { kill(lineStart(from: cursor)..<cursor) }

    /// Kills the word before the cursor (Ctrl-W, Alt-Backspace).
    public mutating func killWordBackward() { kill(wordStartBackward(from: cursor)..<cursor) }

    /// Kills the word after the cursor (Alt-D, Ctrl-Delete).
    public mutating func killWordForward() { kill(cursor..<wordEndForward(from: cursor)) }

    /// Inserts the kill buffer (Ctrl-Y).
    public mutating func yank() {
        if !killBuffer.isEmpty { insert(killBuffer) }
    }

    /// Swaps the two characters around the cursor (Ctrl-T).
    public mutating func transpose() {
        guard cursor > 0, chars.count >= 2 else { return }
        checkpoint()
        let at = cursor == chars.count ? cursor - 1 : cursor
        chars.swapAt(at - 1, at)
        cursor = min(at + 1, chars.count)
    }

    // MARK: - Movement

    func lineStart(from i: Int) -> Int {
        var j = i
        while j > 0, chars[j - 1] != "\n" { j -= 1 }
        return j
    }

    func lineEnd(from i: Int) -> Int {
        var j = i
        while j < chars.count, chars[j] != "\n" { j += 1 }
        return j
    }

    static func isWord(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }

    func wordStartBackward(from i: Int) -> Int {
        var j = i
        while j > 0, !TextEditor.isWord(chars[j - 1]) { j -= 1 }
        while j > 0, TextEditor.isWord(chars[j - 1]) { j -= 1 }
        return j
    }

    func wordEndForward(from i: Int) -> Int {
        var j = i
        while j < chars.count, !TextEditor.isWord(chars[j]) { j += 1 }
        while j < chars.count, TextEditor.isWord(chars[j]) { j += 1 }
        return j
    }

    private mutating func move(to i: Int, keepGoal: Bool = false) {
        cursor = max(0, min(chars.count, i))
        if !keepGoal { goalColumn = nil }
        lastWasTyping = false
    }

    public mutating func moveLeft() { move(to: cursor - 1) }
    public mutating func moveRight() { move(to: cursor + 1) }
    public mutating func moveLineStart() { move(to: lineStart(from: cursor)) }
    public mutating func moveLineEnd() { move(to: lineEnd(from: cursor)) }
    public mutating func moveWordLeft() { move(to: wordStartBackward(from: cursor)) }
    public mutating func moveWordRight() { move(to: wordEndForward(from: cursor)) }
    public mutating func moveTextStart() { move(to: 0) }
    public mutating func moveTextEnd() { move(to: chars.count) }

    /// Moves up one line keeping the column; returns false on the first line.
    @discardableResult
    public mutating func moveUp() -> Bool {
        guard !onFirstLine else { return false }
        let column = goalColumn ?? (cursor - lineStart(from: cursor))
        let prevEnd = lineStart(from: cursor) - 1
        let prevStart = lineStart(from: prevEnd)
        move(to: min(prevStart + column, prevEnd), keepGoal: true)
        goalColumn = column
        return true
    }

    /// Moves down one line keeping the column; returns false on the last line.
    @discardableResult
    public mutating func moveDown() -> Bool {
        guard !onLastLine else { return false }
        let column = goalColumn ?? (cursor - lineStart(from: cursor))
        let nextStart = lineEnd(from: cursor) + 1
        move(to: min(nextStart + column, lineEnd(from: nextStart)), keepGoal: true)
        goalColumn = column
        return true
    }

    /// Replaces `count` characters before the cursor with `text` (completion).
    ///
    /// - Parameters:
    ///   - count: Characters to remove before the cursor.
    ///   - text: The replacement.
    public mutating func replaceBeforeCursor(_ count: Int, with text: String) {
        checkpoint()
        let n = max(0, min(count, cursor))
        chars.replaceSubrange((cursor - n)..<cursor, with: Array(text))
        cursor += text.count - n
        goalColumn = nil
    }

    /// The text before the cursor.
    public var textBeforeCursor: String { String(chars[..<cursor]) }

    /// Applies an editing key; returns false when the key is not an editing key.
    ///
    /// - Parameter key: The key.
    /// - Returns: Whether the editor handled it.
    public mutating func apply(_ key: Key) -> Bool {
        switch key {
        case .char(let c): insert(String(c), typing: true)
        case .paste(let text): insert(text)
        case .backspace, .ctrl("h"): backspace()
        case .delete: deleteForward()
        case .left, .ctrl("b"): moveLeft()
        case .right, .ctrl("f"): moveRight()
        case .home, .ctrl("a"): moveLineStart()
        case .end, .ctrl("e"): moveLineEnd()
        case .alt("b"), .ctrlLeft, .altLeft: moveWordLeft()
        case .alt("f"), .ctrlRight, .altRight: moveWordRight()
        case .alt("<"), .ctrlHome: moveTextStart()
        case .alt(">"), .ctrlEnd: moveTextEnd()
        case .ctrl("k"): killToLineEnd()
        case .ctrl("u"): killToLineStart()
        case .ctrl("w"), .alt("\u{7f}"), .alt("\u{08}"): killWordBackward()
        case .alt("d"), .ctrlDelete: killWordForward()
        case .ctrl("y"): yank()
        case .ctrl("t"): transpose()
        case .ctrl("_"), .ctrl("z"): undo()
        case .alt("_"): redo()
        case .altEnter, .ctrl("j"): insert("\n")
        default: return false
        }
        return true
    }
}
