import Foundation


/// A drawn frame: the screen and where the terminal cursor goes.
public struct Frame: Sendable {
    public var screen: ScreenBuffer
    public var cursor: (row: Int, column: Int)?
}

extension NotebookModel {
    /// The smallest screen the notebook draws itself on.
    public static let minimumSize = (width: 40, height: 10)

    /// One line of the cell list.
    enum ListLine {
        case text(String, TextAttr, indent: Int, marker: Bool)
        /// A line of styled runs (a rendered markdown cell).
        case styled([StyledRun], indent: Int, marker: Bool)
        case plot(any PlotRenderer, rows: Int, indent: Int, marker: Bool)
    }

    /// Draws the whole screen: header, cell list, help pane, editor, status line.
    ///
    /// - Parameters:
    ///   - width: Columns.
    ///   - height: Rows.
    /// - Returns: The frame.
    public func render(width: Int, height: Int) -> Frame {
        var screen = ScreenBuffer(width: width, height: height)
        guard width >= NotebookModel.minimumSize.width, height >= NotebookModel.minimumSize.height else {
            let lines = ["terminal too small", "\(width)×\(height), need at least",
                         "\(NotebookModel.minimumSize.width)×\(NotebookModel.minimumSize.height)"]
            for (i, line) in lines.enumerated() where i < height {
                screen.put(row: i, column: 0, line, i == 0 ? .bold : .plain)
            }
            return Frame(screen: screen, cursor: nil)
        }
        // Header.
        screen.fill(row: 0, .reverse)
        let name = path.map { ($0 as NSString).lastPathComponent } ?? "untitled"
        screen.put(row: 0, column: 1, "ritz · \(name)\(dirty ? " [+]" : "")", TextAttr(bold: true, reverse: true))
        let count = "\(notebook.cells.count) cell\(notebook.cells.count == 1 ? "" : "s")"
        screen.put(row: 0, column: max(0, width - count.count - 1), count, .reverse)

        // Editor height: its lines, at most a third of the screen.
        let editorLines = editor.lines
        let editorHeight = max(1, min(editorLines.count, height / 3))
        let statusRow = height - 1
        let editorTop = statusRow - editorHeight
        let separatorRow = editorTop - 1
        var listBottom = separatorRow  // exclusive

        // Help pane above the editor.
        if let helpText {
            let helpLines = helpText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let paneHeight = min(helpLines.count + 1, max(3, (separatorRow - 1) / 2))
            let top = separatorRow - paneHeight
            screen.fill(row: top, .dim)
            screen.put(row: top, column: 0, "── help " + String(repeating: "─", count: max(0, width - 26)) + " Esc closes", .dim)
            for (i, line) in helpLines.prefix(paneHeight - 1).enumerated() {
                screen.put(row: top + 1 + i, column: 1, line)
            }
            listBottom = top
        }

        // Cell list.
        let listTop = 1
        let listHeight = max(0, listBottom - listTop)
        let lines = listLines(width: width, listHeight: listHeight)
        let total = lines.reduce(0) { $0 + $1.rows }
        lastListHeight = listHeight
        lastTotalLines = total
        var top = scrollTop ?? max(0, total - listHeight)
        if let editing = editingIndex, scrollTop == nil, let span = cellSpans(lines)[editing] {
            // Keep the cell being edited in view.
            if span.lowerBound < top || span.upperBound > top + listHeight {
                top = max(0, min(span.lowerBound, total - listHeight))
            }
        }
        top = max(0, min(top, max(0, total - listHeight)))
        // The selected cell's bar: thin in edit mode, full and reversed in command mode.
        let markerGlyph = mode == .command ? "█" : "▌"
        let markerAttr: TextAttr = mode == .command ? TextAttr(color: 5, bold: true) : .prompt
        var y = 0  // line index in the whole list
        var row = listTop
        for entry in lines {
            let rows = entry.rows
            if y + rows <= top && !(rows == 0 && y == top) { y += rows; continue }
            if row >= listBottom { break }
            switch entry.line {
            case .text(let text, let attr, let indent, let marker):
                if marker { screen.put(row: row, column: 0, markerGlyph, markerAttr) }
                screen.put(row: row, column: indent, text, attr)
                row += rows
            case .styled(let runs, let indent, let marker):
                if marker { screen.put(row: row, column: 0, markerGlyph, markerAttr) }
                var column = indent
                for run in runs { column = screen.put(row: row, column: column, run.text, run.attr) }
                row += rows
            case .plot(let renderer, let plotRows, let indent, let marker):
                let grid = renderer.render(width: max(1, width - indent - 1), height: plotRows)
                let skip = max(0, top - y)
                for r in skip..<plotRows where row < listBottom {
                    if marker { screen.put(row: row, column: 0, markerGlyph, markerAttr) }
                    for c in 0..<grid.width {
                        screen.set(row: row, column: indent + c, grid[r, c], grid.attr(row: r, column: c))
                    }
                    row += 1
                }
            }
            y += rows
        }
        if scrollTop != nil && top + listHeight < total {
            let more = "↓ \(total - top - listHeight) more lines (PgDn)"
            screen.put(row: listBottom - 1, column: max(0, width - more.count - 1), more, .dim)
        }

        // Separator and completion candidates.
        let rule = String(repeating: "─", count: width)
        screen.put(row: separatorRow, column: 0, rule, .dim)
        if !completions.isEmpty {
            screen.put(row: separatorRow, column: 1, " " + completions.joined(separator: "  ") + " ", .bold)
        }

        // Editor: a markdown cell has no prompt; in command mode the text is dimmed and the
        // terminal cursor hidden, so the two modes look different.
        let label: String
        let selected = editingIndex.flatMap { notebook.cells[safe: $0] }
        if let selected, selected.kind != .code {
            label = String(repeating: " ", count: 8)
        } else {
            label = "In [\(selected?.executionCount.map(String.init) ?? " ")]: "
        }
        let editorAttr: TextAttr = mode == .command ? .dim : .plain
        let pos = editor.cursorPosition
        let firstVisible = max(0, min(pos.line - editorHeight + 1, editorLines.count - editorHeight))
        let textWidth = max(1, width - label.count)
        let hScroll = pos.column >= textWidth ? pos.column - textWidth + 1 : 0
        for i in 0..<editorHeight {
            let lineIndex = firstVisible + i
            guard lineIndex < editorLines.count else { break }
            let prefix = lineIndex == 0 ? label : String(repeating: " ", count: label.count - 5) + "...: "
            screen.put(row: editorTop + i, column: 0, selected?.kind == .markdown ? "" : prefix, .prompt)
            let text = String(editorLines[lineIndex].dropFirst(hScroll))
            screen.put(row: editorTop + i, column: label.count, text, editorAttr)
        }
        var cursor: (Int, Int)? = mode == .command ? nil
            : (editorTop + pos.line - firstVisible, min(width - 1, label.count + pos.column - hScroll))

        // Status line.
        screen.fill(row: statusRow, .reverse)
        var left: String
        if let running {
            let elapsed = clock() - running.started
            left = " ● running cell \(running.index + 1) · \(String(format: "%.1f", elapsed))s"
            if let progress = running.live.snapshot().progress { left += " · " + progress }
        } else {
            left = " idle"
        }
        var right = mode == .command
            ? "Enter edit · a/b insert · dd delete · z undo · : command · F1 help "
            : "Enter run · Esc command mode · F1 help · ^S save · ^D quit "
        switch prompt {
        case .confirmQuit?:
            left = " save changes before quitting? (y)es (n)o (c)ancel"
            right = ""
        case .confirmOverwrite(let reason, _)?:
            // The choices stay visible on a narrow screen: the reason is cut, not them.
            let choices = " — (o)verwrite (s)ave as (c)ancel"
            let room = max(1, width - choices.count - 2)
            left = " " + (reason.count > room ? String(reason.prefix(room - 1)) + "…" : reason) + choices
            right = ""
        case .saveAs(let field, _)?:
            left = " save as: "
            screen.put(row: statusRow, column: 0, left, .reverse)
            screen.put(row: statusRow, column: left.count, field.text, .reverse)
            cursor = (statusRow, min(width - 1, left.count + field.cursor))
            left = ""
            right = "Enter save · Esc cancel "
        case .search(let query, let match)?:
            let found = match.flatMap { history.entries[safe: $0] }?.split(separator: "\n").first.map(String.init) ?? ""
            left = " (reverse-i-search)`\(query)': \(found)"
            right = ""
        case .confirmRestart?:
            left = " restart the session? every variable is lost (y/n)"
            right = ""
        case .palette(let field)?:
            left = " :"
            screen.put(row: statusRow, column: 0, left, .reverse)
            screen.put(row: statusRow, column: left.count, field.text, .reverse)
            cursor = (statusRow, min(width - 1, left.count + field.cursor))
            left = ""
            right = "Enter run · Tab complete · Esc cancel "
        case nil:
            if let message { right = message + " " }
        }
        // The mode, always at the right end of the status line.
        let modeTag = mode == .command ? " COMMAND " : " EDIT "
        right += modeTag
        if !left.isEmpty { screen.put(row: statusRow, column: 0, left, .reverse) }
        let rightStart = max(left.count + 2, width - right.count)
        screen.put(row: statusRow, column: rightStart, right, .reverse)
        screen.put(row: statusRow, column: max(rightStart, width - modeTag.count), modeTag,
                   TextAttr(bold: true, reverse: mode == .edit))
        return Frame(screen: screen, cursor: cursor)
    }

    struct PlacedLine {
        var cell: Int
        var line: ListLine
        var rows: Int
    }

    /// The cell list as lines, each tagged with its cell.
    func listLines(width: Int, listHeight: Int) -> [PlacedLine] {
        var out: [PlacedLine] = []
        let indent = NotebookModel.promptIndent(for: notebook)
        let textWidth = max(1, width - indent)
        /// Jupyter's prompt: right-aligned in the column before the code, then a space.
        func label(_ text: String) -> String {
            String(repeating: " ", count: max(0, indent - 1 - text.count)) + text
        }
        for (index, cell) in notebook.cells.enumerated() {
            let marker = index == editingIndex
            let isRunningCell = running?.index == index
            switch cell.kind {
            case .markdown:
                let rendered = MarkdownRendering(cell.source).terminalLines(width: textWidth)
                for runs in rendered.isEmpty ? [[]] : rendered {
                    out.append(PlacedLine(cell: index, line: .styled(runs, indent: indent, marker: marker), rows: 1))
                }
            case .raw:
                for line in cell.source.split(separator: "\n", omittingEmptySubsequences: false) {
                    for piece in NotebookModel.wrap(String(line), width: textWidth) {
                        out.append(PlacedLine(cell: index, line: .text(piece, .plain, indent: indent, marker: marker), rows: 1))
                    }
                }
            case .code:
                let n = isRunningCell ? "*" : cell.executionCount.map(String.init) ?? " "
                let prompt = label("In [\(n)]:")
                for (i, line) in cell.source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    if i == 0 {
                        out.append(PlacedLine(cell: index, line: .text(prompt, .prompt, indent: 0, marker: marker), rows: 0))
                    }
                    for piece in NotebookModel.wrap(String(line), width: textWidth) {
                        out.append(PlacedLine(cell: index, line: .text(piece, .plain, indent: indent, marker: marker), rows: 1))
                    }
                }
                let outLabel = PlacedLine(cell: index, line: .text(label("Out[\(cell.executionCount.map(String.init) ?? " ")]:"), .output, indent: 0, marker: marker), rows: 0)
                for item in items(for: index) {
                    switch item {
                    case .text(let text), .value(let text), .error(let text):
                        var attr: TextAttr = .plain
                        if case .error = item { attr = .error }
                        var body = text
                        if body.hasSuffix("\n") { body.removeLast() }
                        if case .value = item {
                            out.append(outLabel)
                        }
                        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
                            for piece in NotebookModel.wrap(String(line), width: textWidth) {
                                out.append(PlacedLine(cell: index, line: .text(piece, attr, indent: indent, marker: marker), rows: 1))
                            }
                        }
                    case .plot(_, let renderer, let rows, let isValue):
                        if isValue {
                            out.append(outLabel)
                        }
                        let wanted = renderer.rows(width: max(1, width - indent - 1), preferred: rows)
                        let shown = max(4, min(wanted, max(4, listHeight - 2)))
                        out.append(PlacedLine(cell: index, line: .plot(renderer, rows: shown, indent: indent, marker: marker), rows: shown))
                    }
                }
            }
            out.append(PlacedLine(cell: index, line: .text("", .plain, indent: 0, marker: false), rows: 1))
        }
        return out
    }

    /// The column where cell text starts: one for the selection bar, the widest prompt
    /// (`In [123]:`; `Out[n]:` has the same width), and a space; at least 9 (`In [ ]:`).
    ///
    /// - Parameter notebook: The cells.
    /// - Returns: The column.
    static func promptIndent(for notebook: Notebook) -> Int {
        let widest = notebook.cells.lazy.filter { $0.kind == .code }
            .map { "In [\($0.executionCount.map(String.init) ?? "*")]:".count }.max() ?? 0
        return max(7, widest) + 2
    }

    func cellSpans(_ lines: [PlacedLine]) -> [Int: Range<Int>] {
        var spans: [Int: Range<Int>] = [:]
        var y = 0
        for line in lines {
            let range = spans[line.cell].map { $0.lowerBound..<(y + line.rows) } ?? y..<(y + line.rows)
            spans[line.cell] = range
            y += line.rows
        }
        return spans
    }

    /// Splits a line into pieces at most `width` characters long.
    static func wrap(_ line: String, width: Int) -> [String] {
        guard width > 0, line.count > width else { return [line] }
        var pieces: [String] = []
        var rest = Substring(line)
        while rest.count > width {
            pieces.append(String(rest.prefix(width)))
            rest = rest.dropFirst(width)
        }
        pieces.append(String(rest))
        return pieces
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { index >= 0 && index < count ? self[index] : nil }
}
