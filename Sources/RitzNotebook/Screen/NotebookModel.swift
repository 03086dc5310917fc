import Foundation


/// What the terminal driver must do after a key.
public enum Effect: Equatable, Sendable {
    /// Start running cell `index` on the worker thread.
    case run(index: Int)
    /// Interrupt the running cell.
    case interrupt
    /// Leave the notebook.
    case quit
}

/// A question asked in the status line.
public enum Prompt: Equatable, Sendable {
    /// Typing a file name to save as; quits afterwards when `thenQuit`.
    case saveAs(TextEditor, thenQuit: Bool)
    /// "Save changes? (y/n/c)".
    case confirmQuit
    /// The file to save over is not as ritz last read or wrote it: overwrite, save as, or
    /// cancel. `reason` says what changed; quits after saving when `thenQuit`.
    case confirmOverwrite(reason: String, thenQuit: Bool)
    /// Ctrl-R reverse history search.
    case search(query: String, match: Int?)
}

/// The notebook screen's state and key handling, with no terminal: the curses driver feeds it
/// keys and draws `render(width:height:)`; tests do the same with no terminal at all.
public final class NotebookModel: @unchecked Sendable {
    /// The session.
    public private(set) var notebook: Notebook
    /// Where it is saved, if anywhere.
    public private(set) var path: String?
    /// Changed since the last save.
    public private(set) var dirty = false
    /// The editor for the current cell.
    public var editor = TextEditor()
    /// Index of the cell being edited, or nil for a new cell at the end.
    public private(set) var editingIndex: Int?
    /// Input history.
    public private(set) var history: History
    /// Help pane text, or nil when closed.
    public private(set) var helpText: String?
    /// A one-off message shown in the status line.
    public private(set) var message: String?
    /// The open question, if any.
    public private(set) var prompt: Prompt?
    /// The cell running now, with its live outputs and start time.
    public private(set) var running: (index: Int, live: LiveCell, started: Double)?
    /// Cells waiting to run (run all).
    public private(set) var queue: [Int] = []
    /// Deleted cells, newest last, with the index they had.
    public private(set) var deleted: [(index: Int, cell: Cell)] = []
    /// Top line of the cell list, or nil to follow the bottom.
    public var scrollTop: Int?
    /// Candidates shown after an ambiguous Tab.
    public private(set) var completions: [String] = []
    /// Screen items of cells run in this process (live plots re-render at any width), by cell id.
    private var liveItems: [String: [OutputItem]] = [:]
    /// Journal of completed cells, if autosave is on.
    public let journal: Journal?
    /// The file this notebook was last read from or saved to, as it was then (nil when it did
    /// not exist), to notice another program or notebook writing it in between.
    private var lastFileState: (path: String, stamp: FileStamp?)?
    /// The evaluator.
    public let evaluator: any LiveEvaluator
    /// Seconds since some fixed point; replaceable in tests.
    public var clock: () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

    /// Creates the model.
    ///
    /// - Parameters:
    ///   - notebook: The session to show.
    ///   - path: Its file, if any.
    ///   - evaluator: Runs cells.
    ///   - history: Input history.
    ///   - journal: Autosave journal.
    ///   - fileStamp: The file at `path` as it was read (`Notebook.loadStamped`), nil when it
    ///     did not exist.
    public init(notebook: Notebook, path: String?, evaluator: any LiveEvaluator, history: History = History(),
                journal: Journal? = nil, fileStamp: FileStamp? = nil) {
        self.notebook = notebook
        self.path = path
        self.evaluator = evaluator
        self.history = history
        self.journal = journal
        lastFileState = path.map { ($0, fileStamp) }
    }

    /// True while a cell runs.
    public var isRunning: Bool { running != nil }

    // MARK: - Keys

    /// Handles one key.
    ///
    /// - Parameter key: The key.
    /// - Returns: What the driver must do.
    public func handle(_ key: Key) -> [Effect] {
        if key != .tab { completions = [] }
        // Esc and then a character arrive as Alt-character when they come within the escape
        // delay, or within tmux's escape-time (500 ms by default), after which tmux sends them
        // in one write. Where Esc closes something, that is what was meant: close it, then
        // take the character.
        if case .alt(let c) = key, prompt != nil || helpText != nil,
           c.unicodeScalars.allSatisfy({ $0.properties.generalCategory != .control }) {
            return handle(.escape) + handle(.char(c))
        }
        if let prompt { return handlePrompt(prompt, key) }
        message = nil
        switch key {
        case .ctrl("c"):
            if isRunning {
                queue = []
                message = "interrupting…"
                return [.interrupt]
            }
            if editor.text.isEmpty {
                message = "Ctrl-D or :q quits"
            } else {
                editor.setText("")
                editingIndex = nil
            }
            history.resetBrowsing()
            return []
        case .ctrl("d"):
            if editor.text.isEmpty { return requestQuit() }
            editor.deleteForward()
            return []
        case .ctrl("s"):
            save(thenQuit: false)
            return []
        case .function(2):
            prompt = .saveAs(TextEditor(text: path ?? "session.ipynb"), thenQuit: false)
            return []
        case .function(1):
            showHelp(for: wordAtCursor())
            return []
        case .function(5):
            return runAll()
        case .function(8):
            deleteCell()
            return []
        case .function(9):
            undeleteCell()
            return []
        case .escape:
            helpText = nil
            return []
        case .ctrl("r"):
            prompt = .search(query: "", match: nil)
            return []
        case .enter:
            if InputCompleteness.isComplete(editor.text) || editor.text.hasSuffix("\n\n") { return submit() }
            editor.insert("\n")
            return []
        case .up, .ctrl("p"):
            if editor.onFirstLine {
                if let entry = history.previous(current: editor.text) { editor.setText(entry) }
            } else {
                editor.moveUp()
            }
            return []
        case .down, .ctrl("n"):
            if editor.onLastLine {
                if let entry = history.next() { editor.setText(entry) }
            } else {
                editor.moveDown()
            }
            return []
        case .altUp, .alt("p"):
            selectCell(offset: -1)
            return []
        case .altDown, .alt("n"):
            selectCell(offset: 1)
            return []
        case .pageUp:
            scrollTop = max(0, (scrollTop ?? max(0, lastTotalLines - lastListHeight)) - max(1, lastListHeight - 2))
            return []
        case .pageDown:
            if let top = scrollTop {
                let next = top + max(1, lastListHeight - 2)
                scrollTop = next + lastListHeight >= lastTotalLines ? nil : next
            }
            return []
        case .tab:
            complete()
            return []
        default:
            history.resetBrowsing()
            _ = editor.apply(key)
            return []
        }
    }

    private func handlePrompt(_ current: Prompt, _ key: Key) -> [Effect] {
        switch current {
        case .confirmQuit:
            switch key {
            case .char("y"), .char("Y"):
                prompt = nil
                if path == nil {
                    prompt = .saveAs(TextEditor(text: "session.ipynb"), thenQuit: true)
                    return []
                }
                return save(thenQuit: true) ? [.quit] : []
            case .char("n"), .char("N"):
                prompt = nil
                return [.quit]
            default:
                prompt = nil
                message = "quit cancelled"
                return []
            }
        case .confirmOverwrite(_, let thenQuit):
            prompt = nil
            switch key {
            case .char("o"), .char("O"):
                return write() && thenQuit ? [.quit] : []
            case .char("s"), .char("S"):
                prompt = .saveAs(TextEditor(text: path ?? "session.ipynb"), thenQuit: thenQuit)
            default:
                message = "not saved"
            }
            return []
        case .saveAs(var field, let thenQuit):
            switch key {
            case .enter:
                prompt = nil
                let target = field.text.trimmingCharacters(in: .whitespaces)
                guard !target.isEmpty else { message = "not saved: no file name"; return [] }
                path = target
                return save(thenQuit: thenQuit) && thenQuit ? [.quit] : []
            case .escape, .ctrl("c"), .ctrl("g"):
                prompt = nil
                message = "not saved"
                return []
            default:
                _ = field.apply(key)
                prompt = .saveAs(field, thenQuit: thenQuit)
                return []
            }
        case .search(var query, let match):
            switch key {
            case .char(let c):
                query.append(c)
                prompt = .search(query: query, match: history.search(query)?.index)
            case .backspace:
                if !query.isEmpty { query.removeLast() }
                prompt = .search(query: query, match: history.search(query)?.index)
            case .ctrl("r"):
                let older = history.search(query, before: match)?.index ?? match
                prompt = .search(query: query, match: older)
            case .enter, .right, .left, .ctrl("e"), .ctrl("a"):
                prompt = nil
                if let match, match < history.entries.count { editor.setText(history.entries[match]) }
                if key == .enter { return handle(.enter) }
            default:
                prompt = nil
            }
            return []
        }
    }

    private func requestQuit() -> [Effect] {
        if isRunning {
            message = "a cell is running: Ctrl-C interrupts it first"
            return []
        }
        if dirty {
            prompt = .confirmQuit
            return []
        }
        return [.quit]
    }

    /// Runs the editor's text: a `:` command, a `?name` help request, or a cell.
    func submit() -> [Effect] {
        let text = editor.text
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix(":") { return command(String(trimmed.dropFirst())) }
        if trimmed.hasPrefix("?") {
            history.add(text)
            showHelp(for: String(trimmed.dropFirst()).trimmingCharacters(in: .whitespaces))
            editor.setText("")
            return []
        }
        if trimmed.isEmpty { return [] }
        if isRunning {
            message = "a cell is running (Ctrl-C interrupts it)"
            return []
        }
        history.add(text)
        let index: Int
        if let editing = editingIndex, editing < notebook.cells.count {
            notebook.cells[editing].source = text
            index = editing
        } else {
            index = notebook.appendCode(text)
        }
        dirty = true
        editingIndex = nil
        editor = TextEditor()
        scrollTop = nil
        return [.run(index: index)]
    }

    private func command(_ line: String) -> [Effect] {
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        let name = parts.first ?? ""
        let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : nil
        editor.setText("")
        switch name {
        case "q", "quit": return requestQuit()
        case "q!": return [.quit]
        case "w", "save":
            if let argument { path = argument }
            save(thenQuit: false)
        case "wq":
            if let argument { path = argument }
            if save(thenQuit: true) { return [.quit] }
        case "run", "runall": return runAll()
        case "d", "delete": deleteCell()
        case "u", "undelete": undeleteCell()
        case "clear": clearOutputs()
        case "help": showHelp(for: argument ?? "")
        default: message = "unknown command :\(name) (try :w :q :wq :runall :delete :undelete :clear :help)"
        }
        return []
    }

    // MARK: - Cells

    private func selectCell(offset: Int) {
        guard !notebook.cells.isEmpty else { return }
        let current = editingIndex ?? notebook.cells.count
        let next = current + offset
        if next >= notebook.cells.count {
            editingIndex = nil
            editor = TextEditor()
        } else {
            let target = max(0, next)
            editingIndex = target
            editor = TextEditor(text: notebook.cells[target].source)
        }
        history.resetBrowsing()
        scrollTop = nil
    }

    /// Queues every code cell from the top; returns the effect that starts the first.
    func runAll() -> [Effect] {
        guard !isRunning else {
            message = "a cell is running"
            return []
        }
        queue = notebook.cells.indices.filter { notebook.cells[$0].kind == .code }
        guard !queue.isEmpty else { return [] }
        return [.run(index: queue.removeFirst())]
    }

    /// Deletes the selected cell (or the last one); `:undelete` brings it back.
    func deleteCell() {
        guard !isRunning else { message = "a cell is running"; return }
        guard let index = editingIndex ?? (notebook.cells.isEmpty ? nil : notebook.cells.count - 1) else {
            message = "no cell to delete"
            return
        }
        let cell = notebook.cells.remove(at: index)
        deleted.append((index, cell))
        editingIndex = nil
        editor = TextEditor()
        dirty = true
        try? journal?.snapshot(notebook)
        message = "deleted cell \(index + 1) (:undelete restores it)"
    }

    /// Restores the most recently deleted cell at its old position.
    func undeleteCell() {
        guard let (index, cell) = deleted.popLast() else { message = "nothing to undelete"; return }
        notebook.cells.insert(cell, at: min(index, notebook.cells.count))
        dirty = true
        try? journal?.snapshot(notebook)
        message = "restored cell \(min(index, notebook.cells.count - 1) + 1)"
    }

    /// Clears every cell's outputs and execution count.
    func clearOutputs() {
        for i in notebook.cells.indices {
            notebook.cells[i].outputs = []
            notebook.cells[i].executionCount = nil
        }
        liveItems = [:]
        dirty = true
        message = "outputs cleared"
    }

    // MARK: - Running

    /// Marks cell `index` as running (called by the driver before it starts the worker); its
    /// source is journaled first, so a kill during the run keeps it.
    ///
    /// - Parameter index: The cell.
    /// - Returns: The source to run and the sink for live outputs, or nil for a bad index.
    public func beginRun(index: Int) -> (source: String, live: LiveCell)? {
        guard index >= 0, index < notebook.cells.count else { return nil }
        do {
            try journal?.begin(cell: notebook.cells[index], at: index)
        } catch {
            message = "autosave failed: \(error)"
        }
        let live = LiveCell()
        running = (index, live, clock())
        return (notebook.cells[index].source, live)
    }

    /// Records a finished run (called on the UI thread); returns the next queued cell, if any.
    ///
    /// The cell is journaled before anything else runs.
    ///
    /// - Parameters:
    ///   - index: The cell that ran.
    ///   - result: Its outputs.
    /// - Returns: The effect that starts the next queued cell.
    public func finishRun(index: Int, result: CellRun) -> [Effect] {
        let live = running?.live
        running = nil
        guard index < notebook.cells.count else { return [] }
        notebook.cells[index].outputs = result.outputs
        notebook.cells[index].executionCount = result.executionCount
        dirty = true
        if let live {
            // Keep the live items (plots redraw at any width); without any, show the saved outputs.
            let items = live.snapshot().items
            liveItems[notebook.cells[index].id] = items.isEmpty ? OutputItem.items(for: result.outputs) : items
        }
        do {
            try journal?.append(cell: notebook.cells[index], at: index)
        } catch {
            message = "autosave failed: \(error)"
        }
        if result.failed { queue = [] }
        if !queue.isEmpty { return [.run(index: queue.removeFirst())] }
        return []
    }

    /// The screen items of a cell: live ones from this process, else from its saved outputs.
    public func items(for index: Int) -> [OutputItem] {
        if let running, running.index == index { return running.live.snapshot().items }
        let cell = notebook.cells[index]
        return liveItems[cell.id] ?? OutputItem.items(for: cell.outputs)
    }

    // MARK: - Saving and help

    /// Saves to `path`: asks for a name when there is none, and asks before overwriting a file
    /// that is not as this notebook last read or wrote it (another notebook or program wrote
    /// it, or it is some other existing file).
    ///
    /// - Parameter thenQuit: Quit after a save-as or overwrite prompt.
    /// - Returns: True when saved.
    @discardableResult
    public func save(thenQuit: Bool) -> Bool {
        guard let path else {
            prompt = .saveAs(TextEditor(text: "session.ipynb"), thenQuit: thenQuit)
            return false
        }
        if let reason = externalChange(at: path) {
            prompt = .confirmOverwrite(reason: reason, thenQuit: thenQuit)
            return false
        }
        return write()
    }

    /// Why saving to `target` could lose someone else's work, or nil when it cannot.
    ///
    /// - Parameter target: The file to save to.
    /// - Returns: "NAME changed on disk since it was opened or saved (…)" or "NAME exists (…)".
    func externalChange(at target: String) -> String? {
        if let last = lastFileState, last.path == target {
            return FileStamp.change(since: last.stamp, path: target).map {
                "\(target) changed on disk since it was opened or saved (\($0.summary))"
            }
        }
        return FileStamp.current(path: target).map { "\(target) exists (\($0.summary))" }
    }

    /// Writes the notebook to `path` without asking.
    ///
    /// - Returns: True when saved.
    private func write() -> Bool {
        guard let path else { return false }
        do {
            lastFileState = (path, try notebook.save(path: path))
            dirty = false
            message = "saved \(path)"
            try? journal?.snapshot(notebook)
            return true
        } catch {
            message = "save failed: \(error)"
            return false
        }
    }

    /// Opens the help pane for a name, or the topic list and keys for an empty name.
    public func showHelp(for name: String) {
        if name.isEmpty {
            helpText = NotebookModel.keyHelp + "\n\n" + evaluator.topics()
        } else {
            helpText = evaluator.help(name) ?? "no help for `\(name)` (help() lists topics)"
        }
    }

    /// The identifier around the cursor.
    func wordAtCursor() -> String {
        let chars = editor.chars
        var start = editor.cursor, end = editor.cursor
        while start > 0, TextEditor.isWord(chars[start - 1]) { start -= 1 }
        while end < chars.count, TextEditor.isWord(chars[end]) { end += 1 }
        return String(chars[start..<end])
    }

    private func complete() {
        guard let result = Completer.complete(editor.textBeforeCursor, source: evaluator.completion) else {
            if editor.textBeforeCursor.last.map({ $0 == " " || $0 == "\n" }) ?? true { editor.insert("  ") }
            return
        }
        if result.candidates.count == 1, let only = result.candidates.first {
            editor.replaceBeforeCursor(result.replacing, with: only)
        } else if result.commonPrefix.count > result.replacing {
            editor.replaceBeforeCursor(result.replacing, with: result.commonPrefix)
        } else {
            completions = result.candidates
        }
    }

    /// The key summary shown by F1 and `help()`.
    public static let keyHelp = """
    keys: Enter runs (a newline while brackets are open) · Alt-Enter newline · Tab completes
    Up/Down history by prefix · Ctrl-R search history · Alt-Up/Alt-Down move between cells
    F5 or :runall run all · F8/:delete F9/:undelete · :clear outputs · Ctrl-S or :w save · F2 save as
    Ctrl-C interrupts a running cell · Ctrl-D or :q quits · ?name or F1 help · Esc closes help
    emacs: C-a C-e C-f C-b M-f M-b C-k C-u C-w C-y C-t, C-_ undo, M-_ redo · PgUp/PgDn scroll
    Ctrl- or Alt-Left/Right move by words · Ctrl-Home/End to the start/end · Ctrl-Delete kills a word
    """

    // Sizes from the last render, for paging.
    var lastListHeight = 10
    var lastTotalLines = 0
}
