import Foundation

/// Command mode and the cell actions it shares with `:` commands, after Jupyter's keyboard
/// shortcuts (Help → Keyboard Shortcuts in JupyterLab and the classic notebook).
extension NotebookModel {
    /// The `:` commands that act on cells, for the palette's Tab completion; F1 lists them.
    static let commandNames = [
        "above", "below", "clear", "code", "copy", "cut", "delete", "down", "help", "links", "markdown",
        "merge", "paste", "q", "restart", "run", "runabove", "runall", "runbelow", "split",
        "undelete", "up", "w", "wq",
    ]

    /// Leaves edit mode: the editor's text stays in the selected cell.
    func enterCommandMode() {
        commitEditor()
        mode = .command
        pendingCommandKey = nil
        history.resetBrowsing()
    }

    /// Handles a key in command mode.
    ///
    /// - Parameter key: The key.
    /// - Returns: What the driver must do.
    func handleCommandKey(_ key: Key) -> [Effect] {
        let pending = pendingCommandKey
        pendingCommandKey = nil
        switch key {
        case .enter:
            mode = .edit
        case .escape:
            break
        case .up, .char("k"), .altUp, .alt("p"):
            selectCell(offset: -1)
        case .down, .char("j"), .altDown, .alt("n"):
            selectCell(offset: 1)
        case .char(":"):
            prompt = .palette(TextEditor())
        case .char("d") where pending == "d":
            deleteCell()
        case .char("0") where pending == "0":
            requestRestart()
        case .char("d"), .char("0"):
            pendingCommandKey = key == .char("d") ? "d" : "0"
            message = key == .char("d") ? "d: press d again to delete the cell" : "0: press 0 again to restart"
        default:
            if case .char(let c) = key, let name = NotebookModel.commandKeys[c] {
                return cellCommand(name) ?? []
            }
            message = "command mode: Enter edits the cell, : runs a command, F1 lists keys"
        }
        return []
    }

    /// The single keys of command mode and the `:` command each stands for.
    static let commandKeys: [Character: String] = [
        "a": "above", "b": "below", "z": "undelete", "c": "copy", "x": "cut", "v": "paste",
        "V": "paste-above", "K": "up", "J": "down", "M": "merge", "m": "markdown", "y": "code",
        "s": "w", "r": "run", "L": "links",
    ]

    /// Carries out a cell command by its `:` name.
    ///
    /// - Parameter name: The command (`above`, `merge`, `runall`, …).
    /// - Returns: The effects, or nil when `name` is not a cell command.
    func cellCommand(_ name: String) -> [Effect]? {
        switch name {
        case "above": insertCell(offset: 0)
        case "below": insertCell(offset: 1)
        case "d", "delete": deleteCell()
        case "u", "undelete", "undo": undeleteCell()
        case "copy": copyCell()
        case "cut":
            if let cell = deleteCell() {
                clipboard = cell
                message = "cut cell (v pastes it, z restores it)"
            }
        case "paste": pasteCell(offset: 1)
        case "paste-above": pasteCell(offset: 0)
        case "up": moveCell(by: -1)
        case "down": moveCell(by: 1)
        case "merge": mergeWithNext()
        case "split": splitCell()
        case "markdown": setKind(.markdown)
        case "code": setKind(.code)
        case "clear": clearOutputs()
        case "restart": requestRestart()
        case "links": showLinks()
        case "run": return runAndSelectNext()
        case "runall": return runAll()
        case "runabove": return runCells { $0 < (editingIndex ?? notebook.cells.count) }
        case "runbelow": return runCells { $0 >= (editingIndex ?? notebook.cells.count) }
        default: return nil
        }
        return []
    }

    /// The selected cell in command mode, with a message when there is none.
    private func selectedCell() -> Int? {
        guard let index = editingIndex, index < notebook.cells.count else {
            message = "no cell selected (Up or k selects one)"
            return nil
        }
        return index
    }

    /// Inserts an empty code cell above (`offset` 0) or below (1) the selected cell and selects
    /// it; with no cell selected, at the end.
    ///
    /// - Parameter offset: 0 above, 1 below.
    func insertCell(offset: Int) {
        commitEditor()
        let at = editingIndex.map { $0 + offset } ?? notebook.cells.count
        notebook.cells.insert(Cell(id: notebook.freshCellID(), kind: .code, source: ""), at: at)
        select(at, commit: false)  // the text was kept above
        cellsRearranged()
    }

    /// Marks the notebook changed and journals the new cell list, so that the journal's cell
    /// indices stay those of the screen (`ritz recover` puts outputs back by index).
    func cellsRearranged() {
        dirty = true
        try? journal?.snapshot(notebook)
    }

    /// Copies the selected cell (source, kind and outputs) for `v`.
    func copyCell() {
        guard let index = selectedCell() else { return }
        commitEditor()
        clipboard = notebook.cells[index]
        message = "copied cell \(index + 1)"
    }

    /// Pastes the copied cell, with a fresh id, above (`offset` 0) or below (1) the selection.
    ///
    /// - Parameter offset: 0 above, 1 below.
    func pasteCell(offset: Int) {
        guard var cell = clipboard else { message = "nothing to paste (c copies a cell)"; return }
        commitEditor()
        cell.id = notebook.freshCellID()
        let at = editingIndex.map { $0 + offset } ?? notebook.cells.count
        notebook.cells.insert(cell, at: at)
        select(at, commit: false)
        cellsRearranged()
    }

    /// Moves the selected cell up (`by` -1) or down (1), keeping it selected.
    ///
    /// - Parameter step: -1 or 1.
    func moveCell(by step: Int) {
        guard !isRunning else { message = "a cell is running"; return }
        guard let index = selectedCell() else { return }
        let target = index + step
        guard target >= 0, target < notebook.cells.count else { return }
        commitEditor()
        notebook.cells.swapAt(index, target)
        editingIndex = target
        cellsRearranged()
    }

    /// Joins the selected cell with the one below it, their sources separated by a newline;
    /// the merged cell keeps the first one's kind and loses its outputs.
    func mergeWithNext() {
        guard !isRunning else { message = "a cell is running"; return }
        guard let index = selectedCell() else { return }
        guard index + 1 < notebook.cells.count else { message = "no cell below to merge with"; return }
        commitEditor()
        let next = notebook.cells.remove(at: index + 1)
        notebook.cells[index].source += "\n" + next.source
        notebook.cells[index].outputs = []
        notebook.cells[index].executionCount = nil
        liveItems[notebook.cells[index].id] = nil
        editor = TextEditor(text: notebook.cells[index].source)
        cellsRearranged()
        message = "merged cells \(index + 1) and \(index + 2)"
    }

    /// Splits the selected cell at the editor's cursor: the text before stays, the text after
    /// becomes a new cell of the same kind below, which is then selected. Blank lines at the cut
    /// are dropped, as Jupyter does.
    func splitCell() {
        guard !isRunning else { message = "a cell is running"; return }
        let chars = editor.chars
        guard let index = editingIndex, index < notebook.cells.count else {
            // The new cell at the end: the text before the cursor becomes a cell of its own.
            let head = String(chars[..<editor.cursor]).trimmingTrailingNewlines()
            guard !head.isEmpty else { return }
            notebook.cells.append(Cell(id: notebook.freshCellID(), kind: .code, source: head))
            editor = TextEditor(text: String(String(chars[editor.cursor...]).drop { $0 == "\n" }))
            editor.moveTextStart()
            cellsRearranged()
            return
        }
        let cursor = editor.cursor
        let head = String(chars[..<cursor]).trimmingTrailingNewlines()
        let tail = String(String(chars[cursor...]).drop { $0 == "\n" })
        notebook.cells[index].source = head
        notebook.cells[index].outputs = []
        notebook.cells[index].executionCount = nil
        liveItems[notebook.cells[index].id] = nil
        let kind = notebook.cells[index].kind
        notebook.cells.insert(Cell(id: notebook.freshCellID(), kind: kind, source: tail), at: index + 1)
        select(index + 1, commit: false)
        editor.moveTextStart()
        cellsRearranged()
    }

    /// Makes the selected cell a markdown or code cell; a markdown cell has no outputs.
    ///
    /// - Parameter kind: The new kind.
    func setKind(_ kind: CellKind) {
        guard let index = selectedCell(), notebook.cells[index].kind != kind else { return }
        guard !(isRunning && running?.index == index) else { message = "the cell is running"; return }
        commitEditor()
        notebook.cells[index].kind = kind
        if kind != .code {
            notebook.cells[index].outputs = []
            notebook.cells[index].executionCount = nil
            liveItems[notebook.cells[index].id] = nil
        }
        cellsRearranged()
    }

    /// Shift-Enter: runs the selected cell (a markdown cell just shows) and selects the next one,
    /// staying in the current mode; at the new cell at the end it runs that as Enter does.
    ///
    /// - Returns: The effect that starts the cell.
    func runAndSelectNext() -> [Effect] {
        guard let index = editingIndex, index < notebook.cells.count else {
            if mode == .command { message = "no cell selected (Up or k selects one)"; return [] }
            return submit()
        }
        if isRunning {
            message = "a cell is running (Ctrl-C interrupts it)"
            return []
        }
        commitEditor()
        let source = notebook.cells[index].source
        if notebook.cells[index].kind == .code && !source.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            history.add(source)
        }
        select(index + 1 < notebook.cells.count ? index + 1 : nil, commit: false)
        let runnable = notebook.cells[index].kind == .code
        return runnable ? [.run(index: index)] : []
    }

    /// Queues the code cells whose index passes `include`, top to bottom.
    ///
    /// - Parameter include: Which indices to run.
    /// - Returns: The effect that starts the first.
    func runCells(_ include: (Int) -> Bool) -> [Effect] {
        guard !isRunning else {
            message = "a cell is running"
            return []
        }
        commitEditor()
        queue = notebook.cells.indices.filter { notebook.cells[$0].kind == .code && include($0) }
        guard !queue.isEmpty else { message = "no code cells to run"; return [] }
        return [.run(index: queue.removeFirst())]
    }

    /// Shows the addresses of the selected markdown cell's links in the help pane (the cell
    /// shows only their underlined text).
    func showLinks() {
        guard let index = selectedCell() else { return }
        let links = MarkdownRendering(notebook.cells[index].source).links
        guard notebook.cells[index].kind == .markdown, !links.isEmpty else { message = "no links in this cell"; return }
        helpText = "links in cell \(index + 1):\n" + links.map { "  \($0.text) → \($0.url)" }.joined(separator: "\n")
    }

    /// Asks before a restart that would lose variables; restarts at once otherwise.
    func requestRestart() {
        guard makeEvaluator != nil else { message = "restart is not available here"; return }
        guard !isRunning else { message = "a cell is running: Ctrl-C interrupts it first"; return }
        if sessionHasState { prompt = .confirmRestart } else { restart() }
    }

    /// Replaces the evaluator with a fresh one: every variable is gone and counts start at 1.
    /// Outputs stay on screen, as in Jupyter.
    func restart() {
        guard let makeEvaluator else { message = "restart is not available here"; return }
        guard !isRunning else { message = "a cell is running: Ctrl-C interrupts it first"; return }
        evaluator = makeEvaluator()
        sessionHasState = false
        queue = []
        message = "restarted: a fresh session"
    }
}

extension String {
    /// The string without the newlines at its end.
    func trimmingTrailingNewlines() -> String {
        var s = Substring(self)
        while s.last == "\n" { s = s.dropLast() }
        return String(s)
    }
}
