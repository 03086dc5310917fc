

/// Draws a plot into a rectangle of the screen; made from a live figure or saved text.
public protocol PlotRenderer: Sendable {
    /// The plot drawn into `width` × `height` cells.
    func render(width: Int, height: Int) -> ScreenBuffer
    /// Rows the plot takes at `width` columns when it asked for `preferred` (a grid of figures
    /// stacked on a narrow screen grows).
    func rows(width: Int, preferred: Int) -> Int
}

extension PlotRenderer {
    public func rows(width: Int, preferred: Int) -> Int { preferred }
}

/// A plot saved as text: drawn as its lines, clipped.
public struct TextPlotRenderer: PlotRenderer {
    public let text: String
    public init(text: String) { self.text = text }
    public func render(width: Int, height: Int) -> ScreenBuffer {
        var buffer = ScreenBuffer(width: width, height: height)
        for (r, line) in text.split(separator: "\n", omittingEmptySubsequences: false).prefix(height).enumerated() {
            buffer.put(row: r, column: 0, String(line))
        }
        return buffer
    }
}

/// One output as the notebook screen shows it.
public enum OutputItem: Sendable {
    /// Printed text.
    case text(String)
    /// The cell's value (`Out[n]`).
    case value(String)
    /// An error diagnostic.
    case error(String)
    /// A plot with its id (a live plot re-emits the same id) and preferred height in rows;
    /// `isValue` when it is the cell's value (shown under `Out[n]:`).
    case plot(id: Int, renderer: any PlotRenderer, rows: Int, isValue: Bool = false)

    /// Items for outputs read from a file: plots draw their saved text rendering.
    ///
    /// - Parameter outputs: A cell's saved outputs.
    /// - Returns: The items.
    public static func items(for outputs: [CellOutput]) -> [OutputItem] {
        outputs.enumerated().map { index, output in
            switch output {
            case .stream(_, let text): return .text(text)
            case .result(_, let data) where data[svgMIME] == nil: return .value(data[textMIME] ?? "")
            case .result(_, let data), .display(let data):
                let text = data[textMIME] ?? ""
                if data[svgMIME] != nil {
                    let rows = text.split(separator: "\n", omittingEmptySubsequences: false).count
                    var isValue = false
                    if case .result = output { isValue = true }
                    return .plot(id: -1 - index, renderer: TextPlotRenderer(text: text), rows: rows, isValue: isValue)
                }
                return .value(text)
            case .error: return .error(output.plainText)
            }
        }
    }
}
