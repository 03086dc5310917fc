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
    /// "Restart the session? Its variables are lost (y/n)".
    case confirmRestart
    /// The `:` command line opened from command mode.
    case palette(TextEditor)
}

/// Jupyter's two modes: typing into the selected cell, or acting on cells with single keys.
public enum EditMode: Equatable, Sendable {
    case edit, command
}

/// The notebook screen's state and key handling, with no terminal: the curses driver feeds it
/// keys and draws `render(width:height:)`; tests do the same with no terminal at all.
public final class NotebookModel: @unchecked Sendable {
    /// The session.
    public internal(set) var notebook: Notebook
    /// Where it is saved, if anywhere.
    public private(set) var path: String?
    /// Changed since the last save.
    public internal(set) var dirty = false
    /// The editor for the current cell.
    public var editor = TextEditor()
    /// Index of the cell being edited, or nil for a new cell at the end.
    public internal(set) var editingIndex: Int?
    /// Edit or command mode (Esc enters command mode, Enter leaves it).
    public internal(set) var mode: EditMode = .edit
    /// The first key of a two-key command (`dd`, `00`) waiting for its second.
    var pendingCommandKey: Character?
    /// The cell copied or cut with `c`/`x`, pasted by `v`/`V`.
    public internal(set) var clipboard: Cell?
    /// The text typed into the new cell at the end while another cell is selected.
    var draft = ""
    /// Input history.
    public internal(set) var history: History
    /// Help pane text, or nil when closed.
    public internal(set) var helpText: String?
    /// A one-off message shown in the status line.
    public internal(set) var message: String?

    /// Shows `text` in the status line until the next key (the front end's notes, such as the
    /// terminal type it draws with).
    ///
    /// - Parameter text: The message.
    public func notify(_ text: String) { message = text }
    /// The open question, if any.
    public internal(set) var prompt: Prompt?
    /// The cell running now, with its live outputs and start time.
    public private(set) var running: (index: Int, live: LiveCell, started: Double)?
    /// Cells waiting to run (run all).
    public internal(set) var queue: [Int] = []
    /// Deleted cells, newest last, with the index they had.
    public private(set) var deleted: [(index: Int, cell: Cell)] = []
    /// Top line of the cell list, or nil to follow the bottom.
    public var scrollTop: Int?
    /// Candidates shown after an ambiguous Tab.
    public internal(set) var completions: [String] = []
    /// Screen items of cells run in this process (live plots re-render at any width), by cell id.
    var liveItems: [String: [OutputItem]] = [:]
    /// Journal of completed cells, if autosave is on.
    public let journal: Journal?
    /// The file this notebook was last read from or saved to, as it was then (nil when it did
    /// not exist), to notice another program or notebook writing it in between.
    private var lastFileState: (path: String, stamp: FileStamp?)?
    /// The evaluator; `restart()` replaces it with a fresh one.
    public internal(set) var evaluator: any LiveEvaluator
    /// Makes a fresh evaluator for a restart, or nil when restarting is not possible.
    let makeEvaluator: (() -> any LiveEvaluator)?
    /// True once a cell has run in the current evaluator: a restart would lose its state.
    public internal(set) var sessionHasState = false
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
    ///   - makeEvaluator: Makes a fresh evaluator for `:restart`; nil disables restarting.
    public init(notebook: Notebook, path: String?, evaluator: any LiveEvaluator, history: History = History(),
                journal: Journal? = nil, fileStamp: FileStamp? = nil,
                makeEvaluator: (() -> any LiveEvaluator)? = nil) {
        self.notebook = notebook
        self.path = path
        self.evaluator = evaluator
        self.makeEvaluator = makeEvaluator
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
            if mode == .command {
                message = "Ctrl-D or :q quits"
                return []
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
            if editor.text.isEmpty || mode == .command { return requestQuit() }
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
        case .escape where helpText != nil:
            helpText = nil
            return []
        case .shiftEnter:
            return runAndSelectNext()
        case .pageUp:
            scrollTop = max(0, (scrollTop ?? max(0, lastTotalLines - lastListHeight)) - max(1, lastListHeight - 2))
            return []
        case .pageDown:
            if let top = scrollTop {
                let next = top + max(1, lastListHeight - 2)
                scrollTop = next + lastListHeight >= lastTotalLines ? nil : next
            }
            return []
        default:
            break
        }
        if mode == .command { return handleCommandKey(key) }
        switch key {
        case .escape:
            enterCommandMode()
            return []
        case .ctrlShiftMinus, .alt("-"):
            splitCell()
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
        case .confirmRestart:
            prompt = nil
            if key == .char("y") || key == .char("Y") { restart() } else { message = "restart cancelled" }
            return []
        case .palette(var field):
            switch key {
            case .enter:
                prompt = nil
                return command(field.text.trimmingCharacters(in: .whitespaces))
            case .escape, .ctrl("c"), .ctrl("g"):
                prompt = nil
                return []
            case .backspace where field.text.isEmpty:
                prompt = nil
                return []
            case .tab:
                let typed = field.text
                let matches = NotebookModel.commandNames.filter { $0.hasPrefix(typed) }
                if matches.count == 1, let only = matches.first { field.setText(only + " ") }
                completions = matches.count > 1 ? matches : []
                prompt = .palette(field)
                return []
            default:
                _ = field.apply(key)
                prompt = .palette(field)
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
        if let name = HelpRequest.name(in: text) {
            history.add(text)
            showHelp(for: name)
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
            draft = ""
        }
        dirty = true
        editingIndex = nil
        editor = TextEditor(text: draft)
        scrollTop = nil
        // A markdown cell is shown, not run.
        return notebook.cells[index].kind == .code ? [.run(index: index)] : []
    }

    private func command(_ line: String) -> [Effect] {
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        let name = parts.first ?? ""
        let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : nil
        if mode == .edit { editor.setText("") }
        if let effects = cellCommand(name) { return effects }
        switch name {
        case "q", "quit": return requestQuit()
        case "q!": return [.quit]
        case "w", "save":
            if let argument { path = argument }
            save(thenQuit: false)
        case "wq":
            if let argument { path = argument }
            if save(thenQuit: true) { return [.quit] }
        case "help": showHelp(for: argument ?? "")
        default: message = "unknown command :\(name) (F1 lists them)"
        }
        return []
    }

    // MARK: - Cells

    /// Selects the cell `offset` places from the selected one; past the last cell is the new
    /// cell at the end. Edits to the cell left behind are kept in it.
    func selectCell(offset: Int) {
        guard !notebook.cells.isEmpty else { return }
        let next = (editingIndex ?? notebook.cells.count) + offset
        select(next >= notebook.cells.count ? nil : max(0, next))
    }

    /// Selects cell `index` (nil: the new cell at the end) and loads it into the editor, after
    /// keeping the editor's text in the cell it leaves.
    ///
    /// - Parameters:
    ///   - index: The cell, or nil.
    ///   - commit: Keep the editor's text first; false when the caller already has.
    func select(_ index: Int?, commit: Bool = true) {
        if commit { commitEditor() }
        if let index, index >= 0, index < notebook.cells.count {
            editingIndex = index
            editor = TextEditor(text: notebook.cells[index].source)
        } else {
            editingIndex = nil
            editor = TextEditor(text: draft)
        }
        history.resetBrowsing()
        scrollTop = nil
    }

    /// Keeps the editor's text: in the selected cell (marking the notebook changed when it
    /// differs), or as the draft of the new cell at the end.
    func commitEditor() {
        guard let index = editingIndex, index < notebook.cells.count else {
            draft = editor.text
            return
        }
        if notebook.cells[index].source != editor.text {
            notebook.cells[index].source = editor.text
            dirty = true
        }
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

    /// Deletes the selected cell (or the last one in edit mode); `z` or `:undelete` brings it
    /// back. In command mode the cell that takes its place is selected, as in Jupyter.
    ///
    /// - Returns: The deleted cell, or nil when there was none.
    @discardableResult
    func deleteCell() -> Cell? {
        guard !isRunning else { message = "a cell is running"; return nil }
        let fallback = mode == .edit && !notebook.cells.isEmpty ? notebook.cells.count - 1 : nil
        guard let index = editingIndex ?? fallback, index < notebook.cells.count else {
            message = "no cell selected"
            return nil
        }
        commitEditor()
        let cell = notebook.cells.remove(at: index)
        deleted.append((index, cell))
        editingIndex = nil
        editor = TextEditor(text: draft)
        if mode == .command && index < notebook.cells.count { select(index) }
        cellsRearranged()
        message = "deleted cell \(index + 1) (z or :undelete restores it)"
        return cell
    }

    /// Restores the most recently deleted cell at its old position and selects it.
    func undeleteCell() {
        guard !isRunning else { message = "a cell is running"; return }
        guard let (index, cell) = deleted.popLast() else { message = "nothing to undelete"; return }
        let at = min(index, notebook.cells.count)
        commitEditor()
        notebook.cells.insert(cell, at: at)
        if let selected = editingIndex, selected >= at { editingIndex = selected + 1 }
        if mode == .command { select(at) }
        cellsRearranged()
        message = "restored cell \(at + 1)"
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
        sessionHasState = true
        if result.interrupted {
            // Where it stopped: the last progress step, when the cell reported one.
            let step = live?.snapshot().progress?.components(separatedBy: " · ").first
            message = "interrupted" + (step.map { " at \($0)" } ?? "")
        } else if message == "interrupting…" {
            message = nil
        }
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
        guard let cell = notebook.cells[safe: index] else { return [] }
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
            if (try? SessionFormat.of(path: path)) == .ritz, notebook.cells.contains(where: { !$0.outputs.isEmpty }) {
                // A script holds sources only: say so rather than drop the outputs silently.
                let session = URL(fileURLWithPath: path).deletingPathExtension().appendingPathExtension("ipynb").lastPathComponent
                message = "saved \(path) without outputs (a script keeps none): F2 saves as \(session)"
            }
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
    edit mode: Enter runs (a newline while brackets are open) · Alt-Enter newline · Tab completes
    Up/Down history by prefix · Ctrl-R search history · Alt-Up/Alt-Down move between cells
    Shift-Enter run and select next · Ctrl-Shift-minus or Alt-minus split at the cursor · Esc command mode
    command mode: Enter edit · Up/k Down/j select · a/b insert above/below · dd delete · z undo delete
    c copy · x cut · v paste below · V above · K/J move up/down · M merge with below · m markdown · y code
    r or Shift-Enter run and select next · 00 restart · s save · L link addresses · : command line
    commands: :above :below :delete :undelete :copy :cut :paste :up :down :split :merge :markdown :code
    :run :runall :runabove :runbelow :clear (outputs) :restart :links :w [FILE] :wq :q :q! :help [NAME]
    F5 run all · F8 delete · F9 undelete · Ctrl-S save · F2 save as · Esc closes help
    Ctrl-C interrupts a running cell · Ctrl-D or :q quits · ?name or F1 help
    emacs: C-a C-e C-f C-b M-f M-b C-k C-u C-w C-y C-t, C-_ undo, M-_ redo · PgUp/PgDn scroll
    Ctrl- or Alt-Left/Right move by words · Ctrl-Home/End to the start/end · Ctrl-Delete kills a word
    """

    // Sizes from the last render, for paging.
    var lastListHeight = 10
    var lastTotalLines = 0
}
