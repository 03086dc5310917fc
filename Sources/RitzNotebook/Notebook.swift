/// A session: an ordered list of cells with their outputs, saved as a Jupyter notebook.
///
/// The model is plain data, independent of the language and of plots, so that files can be
/// read, written, exported and recovered without running anything.
public struct Notebook: Equatable, Sendable {
    /// The cells, top to bottom.
    public var cells: [Cell]
    /// Notebook metadata other than `kernelspec` and `language_info`, kept as read.
    public var metadata: [String: JSONValue]

    /// Creates a notebook.
    ///
    /// - Parameters:
    ///   - cells: The cells, top to bottom.
    ///   - metadata: Extra notebook metadata to preserve.
    public init(cells: [Cell] = [], metadata: [String: JSONValue] = [:]) {
        self.cells = cells
        self.metadata = metadata
    }

    /// A cell id not used by any cell of this notebook (`cell-N`, N counting up).
    ///
    /// - Returns: An id matching nbformat's `^[a-zA-Z0-9-_]+$`, at most 64 characters.
    public func freshCellID() -> String {
        let used = Set(cells.map(\.id))
        var n = cells.count + 1
        while used.contains(Notebook.cellID(n)) { n += 1 }
        return Notebook.cellID(n)
    }

    /// The `n`-th id of the `cell-N` sequence that `freshCellID` draws from.
    ///
    /// - Parameter n: The number.
    /// - Returns: `cell-N`.
    static func cellID(_ n: Int) -> String { "cell-\(n)" }

    /// Appends a new code cell with a fresh id.
    ///
    /// - Parameter source: The cell's text.
    /// - Returns: The index of the new cell.
    @discardableResult
    public mutating func appendCode(_ source: String) -> Int {
        cells.append(Cell(id: freshCellID(), kind: .code, source: source))
        return cells.count - 1
    }

    /// The code cells' sources joined as one script, in order.
    public var codeSources: [String] { cells.filter { $0.kind == .code }.map(\.source) }
}

/// The kind of a notebook cell.
public enum CellKind: String, Equatable, Sendable {
    case code, markdown, raw
}

/// One cell: source text, and for code cells the execution count and outputs.
public struct Cell: Equatable, Sendable {
    /// Stable id (nbformat 4.5).
    public var id: String
    /// Code, markdown or raw.
    public var kind: CellKind
    /// The text of the cell.
    public var source: String
    /// `In [n]` of the last run, or nil when never run.
    public var executionCount: Int?
    /// Outputs of the last run.
    public var outputs: [CellOutput]
    /// Cell metadata, kept as read.
    public var metadata: [String: JSONValue]

    /// Creates a cell.
    ///
    /// - Parameters:
    ///   - id: Stable id matching `^[a-zA-Z0-9-_]+$`.
    ///   - kind: Code, markdown or raw.
    ///   - source: The text.
    ///   - executionCount: `In [n]`, nil when never run.
    ///   - outputs: Outputs of the last run.
    ///   - metadata: Cell metadata.
    public init(id: String, kind: CellKind = .code, source: String, executionCount: Int? = nil,
                outputs: [CellOutput] = [], metadata: [String: JSONValue] = [:]) {
        self.id = id
        self.kind = kind
        self.source = source
        self.executionCount = executionCount
        self.outputs = outputs
        self.metadata = metadata
    }
}

/// The MIME type of an SVG image in a notebook output.
public let svgMIME = "image/svg+xml"
/// The MIME type of plain text in a notebook output.
public let textMIME = "text/plain"
/// The MIME type of a plot's data (`PlotOutput.data`), beside its text and SVG: nbformat lets an
/// `application/…+json` type hold any JSON, and Jupyter front ends show the SVG and skip this.
public let plotDataMIME = "application/vnd.ritz.plot+json"

/// One output of a code cell, as nbformat 4 stores it.
public enum CellOutput: Equatable, Sendable {
    /// Printed text (`stream`, name `stdout` or `stderr`).
    case stream(name: String, text: String)
    /// The value of the cell (`execute_result`), by MIME type.
    case result(executionCount: Int?, data: [String: String])
    /// A display such as a plot (`display_data`): `text/plain` rendering plus `image/svg+xml`.
    case display(data: [String: String])
    /// An error (`error`): its name, message and the rendered diagnostic lines.
    case error(name: String, value: String, traceback: [String])

    /// A plot output: the text rendering and the same plot as SVG.
    ///
    /// - Parameters:
    ///   - text: The plot drawn as text (braille, block or ASCII).
    ///   - svg: The plot as an SVG document.
    /// - Returns: A `display_data` output.
    public static func plot(text: String, svg: String) -> CellOutput {
        .display(data: [textMIME: text, svgMIME: svg])
    }

    /// The text a terminal shows for this output.
    public var plainText: String {
        switch self {
        case .stream(_, let text): return text
        case .result(_, let data), .display(let data): return data[textMIME] ?? ""
        case .error(_, _, let traceback): return traceback.joined(separator: "\n")
        }
    }

    /// The SVG of a plot output, if any.
    public var svg: String? {
        switch self {
        case .result(_, let data), .display(let data): return data[svgMIME]
        default: return nil
        }
    }

    /// True for an `error` output.
    public var isError: Bool {
        if case .error = self { return true }
        return false
    }
}
