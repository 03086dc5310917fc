/// The result of evaluating one cell.
public struct CellRun: Equatable, Sendable {
    /// The outputs, in the order they were produced (a live plot appears once, at its final state).
    public var outputs: [CellOutput]
    /// `In [n]` assigned to the run.
    public var executionCount: Int?
    /// True when the cell ended with an error or was interrupted.
    public var failed: Bool
    /// True when the cell was interrupted (Ctrl-C).
    public var interrupted: Bool

    /// Creates a result.
    ///
    /// - Parameters:
    ///   - outputs: The outputs.
    ///   - executionCount: `In [n]`.
    ///   - failed: Whether it ended with an error.
    ///   - interrupted: Whether it was interrupted.
    public init(outputs: [CellOutput], executionCount: Int?, failed: Bool, interrupted: Bool = false) {
        self.outputs = outputs
        self.executionCount = executionCount
        self.failed = failed
        self.interrupted = interrupted
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
