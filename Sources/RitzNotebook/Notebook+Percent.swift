extension Notebook {
    /// Reads a `.ritz` script in the percent format: lines starting with `# %%` separate cells.
    ///
    /// `# %% [markdown]` starts a markdown cell whose lines are comments (`# ` is removed); a
    /// file without any `# %%` line is one code cell. Blank lines at the end of a cell are the
    /// separator written between cells and are not part of the cell.
    ///
    /// - Parameter text: The script.
    /// - Returns: The notebook, without outputs.
    public init(percentScript text: String) {
        var notebook = Notebook()
        var kind: CellKind = .code
        var lines: [Substring] = []
        var sawMarker = false
        func flush() {
            while let last = lines.last, last.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) {
                lines.removeLast()
            }
            if !sawMarker && lines.isEmpty { return }
            var body = lines.map(String.init)
            if kind != .code {
                body = body.map { line in
                    if line.hasPrefix("# ") { return String(line.dropFirst(2)) }
                    if line.hasPrefix("#") { return String(line.dropFirst()) }
                    return line
                }
            }
            // The cells so far are cell-1 … cell-k, so cell-(k+1) is fresh; `freshCellID` would
            // gather every id per cell, quadratic in a script of 20,000 cells.
            notebook.cells.append(Cell(id: Notebook.cellID(notebook.cells.count + 1), kind: kind,
                                       source: body.joined(separator: "\n")))
        }
        var first = true
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# %%") {
                if !first || !lines.isEmpty { flush() }
                sawMarker = true
                first = false
                lines = []
                let rest = line.dropFirst(4).trimmingPrefix(" ")
                kind = rest.hasPrefix("[markdown]") || rest.hasPrefix("[md]") ? .markdown
                    : rest.hasPrefix("[raw]") ? .raw : .code
                continue
            }
            lines.append(line)
        }
        if !lines.isEmpty || sawMarker { flush() }
        if !sawMarker && notebook.cells.isEmpty {
            notebook.cells.append(Cell(id: notebook.freshCellID(), source: ""))
        }
        self = notebook
    }

    /// The notebook as a percent-format `.ritz` script (outputs are not kept).
    ///
    /// - Returns: Each cell after a `# %%` line, cells separated by one blank line.
    public func percentScript() -> String {
        var out = ""
        for (i, cell) in cells.enumerated() {
            if i > 0 { out += "\n" }
            switch cell.kind {
            case .code:
                out += "# %%\n"
                if !cell.source.isEmpty { out += cell.source + "\n" }
            case .markdown, .raw:
                out += cell.kind == .markdown ? "# %% [markdown]\n" : "# %% [raw]\n"
                for line in cell.source.split(separator: "\n", omittingEmptySubsequences: false) {
                    out += line.isEmpty ? "#\n" : "# " + line + "\n"
                }
            }
        }
        return out
    }
}
