import RitzPlot

/// Draws a RitzPlot figure into the notebook screen at whatever size the layout gives it.
public struct FigureRenderer: PlotRenderer {
    /// The figure (a live plot's latest snapshot).
    public let figure: Figure
    /// Braille, block or ASCII.
    public let canvas: CanvasKind

    /// Creates a renderer.
    ///
    /// - Parameters:
    ///   - figure: The plot.
    ///   - canvas: The character canvas.
    public init(figure: Figure, canvas: CanvasKind = .braille) {
        self.figure = figure
        self.canvas = canvas
    }

    public func render(width: Int, height: Int) -> ScreenBuffer {
        let grid = figure.render(width: width, height: height, canvas: canvas)
        var buffer = ScreenBuffer(width: width, height: height)
        for r in 0..<min(height, grid.height) {
            for c in 0..<min(width, grid.width) {
                let cell = grid[r, c]
                buffer.set(row: r, column: c, Character(cell.char),
                           TextAttr(color: cell.style.color.map(FigureRenderer.cursesPair) ?? 0, bold: cell.style.bold))
            }
        }
        return buffer
    }

    /// The notebook's colour pair for a plot colour (pair n shows curses colour n − 1).
    static func cursesPair(_ color: PlotColor) -> UInt8 {
        switch color {
        case .red: return 2
        case .green: return 3
        case .yellow: return 4
        case .blue: return 5
        case .magenta: return 6
        case .cyan: return 7
        case .gray: return 8
        }
    }
}
