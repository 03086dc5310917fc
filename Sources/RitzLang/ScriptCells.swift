import Foundation

/// Splits a `.ritz` script into cells at lines starting with `# %%`.
public enum ScriptCells {
    /// One cell: its text and the number of file lines before it.
    public struct Cell {
        public var text: String
        public var lineOffset: Int
    }

    /// The cells of a script; cells with nothing but blank lines and comments are dropped.
    ///
    /// - Parameter text: The whole script.
    /// - Returns: The cells in order.
    public static func split(_ text: String) -> [Cell] {
        var cells: [Cell] = []
        var current: [Substring] = []
        var start = 0
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, line) in lines.enumerated() {
            if line.hasPrefix("# %%") {
                cells.append(Cell(text: current.joined(separator: "\n"), lineOffset: start))
                current = []
                start = i + 1
            } else {
                current.append(line)
            }
        }
        cells.append(Cell(text: current.joined(separator: "\n"), lineOffset: start))
        return cells.filter { cell in
            cell.text.split(separator: "\n").contains { l in
                let t = l.trimmingCharacters(in: .whitespaces)
                return !t.isEmpty && !t.hasPrefix("#")
            }
        }
    }
}
