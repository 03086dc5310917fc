import Foundation

extension Notebook {
    /// Reads a `.ritz` script in the percent format: lines starting with `# %%` separate cells.
    ///
    /// `# %% [markdown]` starts a markdown cell whose lines are comments (`# ` is removed); a
    /// marker may end in jupytext's `tags=["a", "b"]`, which become the cell's metadata `tags`; a
    /// file without any `# %%` line is one code cell. Blank lines at the end of a cell are the
    /// separator written between cells and are not part of the cell.
    ///
    /// - Parameter text: The script.
    /// - Returns: The notebook, without outputs.
    public init(percentScript text: String) {
        self = Notebook.percentScript(text).notebook
    }

    /// Reads a percent-format script as `init(percentScript:)` does, and where each cell starts.
    ///
    /// - Parameter text: The script.
    /// - Returns: The notebook and, for each cell, the number of script lines before its first
    ///   line (so a diagnostic's line in the cell plus this is its line in the file).
    public static func percentScript(_ text: String) -> (notebook: Notebook, lineOffsets: [Int]) {
        var notebook = Notebook()
        var lineOffsets: [Int] = []
        var start = 0
        var kind: CellKind = .code
        var tags: JSONValue?
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
                                       source: body.joined(separator: "\n"),
                                       metadata: tags.map { ["tags": $0] } ?? [:]))
            lineOffsets.append(start)
        }
        var first = true
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("# %%") {
                if !first || !lines.isEmpty { flush() }
                sawMarker = true
                first = false
                lines = []
                start = number + 1
                let rest = line.dropFirst(4).trimmingPrefix(" ")
                kind = rest.hasPrefix("[markdown]") || rest.hasPrefix("[md]") ? .markdown
                    : rest.hasPrefix("[raw]") ? .raw : .code
                tags = Notebook.percentTags(String(rest))
                continue
            }
            lines.append(line)
        }
        if !lines.isEmpty || sawMarker { flush() }
        if !sawMarker && notebook.cells.isEmpty {
            notebook.cells.append(Cell(id: notebook.freshCellID(), source: ""))
            lineOffsets.append(0)
        }
        return (notebook, lineOffsets)
    }

    /// The `tags=[…]` of a cell marker (the text after `# %%`), when it holds a JSON list of strings.
    ///
    /// - Parameter marker: The rest of the marker line.
    /// - Returns: The tags as a JSON array, or nil.
    static func percentTags(_ marker: String) -> JSONValue? {
        guard let at = marker.range(of: "tags=") else { return nil }
        guard let list = try? JSONValue.parse(Data(marker[at.upperBound...].utf8)),
              let items = list.arrayValue, !items.isEmpty, items.allSatisfy({ $0.stringValue != nil }) else { return nil }
        return list
    }

    /// The notebook as a percent-format `.ritz` script (outputs are not kept).
    ///
    /// - Returns: Each cell after a `# %%` line (with ` tags=[…]` when the cell has tags), cells
    ///   separated by one blank line.
    public func percentScript() -> String {
        var out = ""
        for (i, cell) in cells.enumerated() {
            if i > 0 { out += "\n" }
            let tags = cell.metadata["tags"].flatMap { Notebook.percentTags("tags=" + $0.serialized(indent: 0)) }
            let suffix = tags.map { " tags=" + $0.serialized(indent: 0) } ?? ""
            switch cell.kind {
            case .code:
                out += "# %%" + suffix + "\n"
                if !cell.source.isEmpty { out += cell.source + "\n" }
            case .markdown, .raw:
                out += (cell.kind == .markdown ? "# %% [markdown]" : "# %% [raw]") + suffix + "\n"
                for line in cell.source.split(separator: "\n", omittingEmptySubsequences: false) {
                    out += line.isEmpty ? "#\n" : "# " + line + "\n"
                }
            }
        }
        return out
    }
}
