/// The result of evaluating one cell.
public struct CellRun: Equatable, Sendable {
    /// The outputs, in the order they were produced (a live plot appears once, at its final state).
    public var outputs: [CellOutput]
    /// `In [n]` assigned to the run.
    public var executionCount: Int?
    /// True when the cell ended with an error or was interrupted.
    public var failed: Bool

    /// Creates a result.
    ///
    /// - Parameters:
    ///   - outputs: The outputs.
    ///   - executionCount: `In [n]`.
    ///   - failed: Whether it ended with an error.
    public init(outputs: [CellOutput], executionCount: Int?, failed: Bool) {
        self.outputs = outputs
        self.executionCount = executionCount
        self.failed = failed
    }
}

/// Something that runs cell sources: the language session, or a stand-in in tests.
public protocol CellEvaluator: AnyObject {
    /// Runs one cell.
    ///
    /// - Parameters:
    ///   - source: The cell's text.
    ///   - cellNumber: 1-based position of the cell, for diagnostics (`cell 7`).
    /// - Returns: The outputs and whether it failed.
    func evaluate(source: String, cellNumber: Int) -> CellRun
}

/// Runs a notebook's code cells top to bottom, journaling each cell as it starts and completes.
public struct NotebookRunner {
    /// The evaluator.
    public let evaluator: any CellEvaluator
    /// Where completed cells are journaled, if anywhere.
    public let journal: Journal?

    /// Creates a runner.
    ///
    /// - Parameters:
    ///   - evaluator: Runs each cell.
    ///   - journal: Receives each cell's source before it runs and the completed cell before
    ///     the next starts.
    public init(evaluator: any CellEvaluator, journal: Journal? = nil) {
        self.evaluator = evaluator
        self.journal = journal
    }

    /// Runs every code cell in order, replacing its outputs.
    ///
    /// - Parameters:
    ///   - notebook: The notebook, updated in place.
    ///   - stopOnError: Stop after the first failing cell.
    ///   - onCell: Called after each cell with its index and the updated cell.
    /// - Returns: The index of the first failing cell, or nil when all succeeded.
    /// - Throws: `NotebookError.io` when the journal cannot be written (the run stops: nothing
    ///   completed may go unrecorded).
    @discardableResult
    public func runAll(_ notebook: inout Notebook, stopOnError: Bool,
                       onCell: (Int, Cell) -> Void = { _, _ in }) throws -> Int? {
        var firstFailure: Int?
        for index in notebook.cells.indices where notebook.cells[index].kind == .code {
            try journal?.begin(cell: notebook.cells[index], at: index)
            let run = evaluator.evaluate(source: notebook.cells[index].source, cellNumber: index + 1)
            notebook.cells[index].outputs = run.outputs
            notebook.cells[index].executionCount = run.executionCount
            try journal?.append(cell: notebook.cells[index], at: index)
            onCell(index, notebook.cells[index])
            if run.failed {
                if firstFailure == nil { firstFailure = index }
                if stopOnError { break }
            }
        }
        return firstFailure
    }
}

/// Comparison of saved outputs with a re-run, for `ritz check`.
public enum OutputCheck {
    /// The differences between the outputs of `saved` and `rerun`, as printable lines.
    ///
    /// Cells are matched by position; for each code cell whose outputs differ, a heading
    /// `cell N (In [n]):` is followed by a line diff (`-` saved, `+` re-run) of the text
    /// renderings, and a note when only the SVG of a plot differs.
    ///
    /// - Parameters:
    ///   - saved: The notebook as saved.
    ///   - rerun: The same notebook after running it again.
    /// - Returns: Empty when every output matches.
    public static func differences(saved: Notebook, rerun: Notebook) -> [String] {
        var out: [String] = []
        if saved.cells.count != rerun.cells.count {
            out.append("cell count differs: saved \(saved.cells.count), re-run \(rerun.cells.count)")
        }
        for index in 0..<min(saved.cells.count, rerun.cells.count) {
            let a = saved.cells[index], b = rerun.cells[index]
            guard a.kind == .code, a.outputs != b.outputs else { continue }
            let label = a.executionCount.map { "In [\($0)]" } ?? "not run"
            out.append("cell \(index + 1) (\(label)):")
            let textA = render(a.outputs), textB = render(b.outputs)
            if textA == textB {
                out.append("  plot SVG differs (text renderings agree)")
            } else {
                out.append(contentsOf: lineDiff(textA, textB).map { "  " + $0 })
            }
        }
        return out
    }

    static func render(_ outputs: [CellOutput]) -> [String] {
        var lines: [String] = []
        for output in outputs {
            let kind: String
            switch output {
            case .stream: kind = "[text]"
            case .result: kind = "[value]"
            case .display: kind = output.svg != nil ? "[plot]" : "[display]"
            case .error: kind = "[error]"
            }
            lines.append(kind)
            var text = output.plainText
            if text.hasSuffix("\n") { text.removeLast() }
            lines.append(contentsOf: text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
        }
        return lines
    }

    /// A line diff by longest common subsequence: unchanged lines prefixed `  `, removed `- `,
    /// added `+ `; runs of unchanged lines longer than 2 are elided as `…`.
    ///
    /// - Parameters:
    ///   - a: Old lines.
    ///   - b: New lines.
    /// - Returns: The diff lines.
    public static func lineDiff(_ a: [String], _ b: [String]) -> [String] {
        let n = a.count, m = b.count
        var lcs = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var raw: [(Character, String)] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, a[i] == b[j] {
                raw.append((" ", a[i])); i += 1; j += 1
            } else if i < n, j == m || lcs[i + 1][j] >= lcs[i][j + 1] {
                raw.append(("-", a[i])); i += 1
            } else {
                raw.append(("+", b[j])); j += 1
            }
        }
        var out: [String] = []
        var k = 0
        while k < raw.count {
            if raw[k].0 == " " {
                var end = k
                while end < raw.count, raw[end].0 == " " { end += 1 }
                if end - k > 2 {
                    out.append("  " + raw[k].1)
                    out.append("  …")
                    if end < raw.count { out.append("  " + raw[end - 1].1) }
                } else {
                    for t in k..<end { out.append("  " + raw[t].1) }
                }
                k = end
            } else {
                out.append("\(raw[k].0) " + raw[k].1)
                k += 1
            }
        }
        return out
    }
}
