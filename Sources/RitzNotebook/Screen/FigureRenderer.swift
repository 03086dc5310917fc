import Foundation
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
    /// The last drawing and its size: the screen is redrawn at every key, and a figure of 10⁷
    /// points costs tens of milliseconds to draw, so it is drawn again only when its size changes.
    private let last = LastDrawing()

    public init(figure: Figure, canvas: CanvasKind = .braille) {
        self.figure = figure
        self.canvas = canvas
    }

    public func rows(width: Int, preferred: Int) -> Int {
        figure.textHeight(width: width, height: preferred)
    }

    public func render(width: Int, height: Int) -> ScreenBuffer {
        if let buffer = last.buffer(width: width, height: height) { return buffer }
        let buffer = draw(width: width, height: height)
        last.keep(buffer, width: width, height: height)
        return buffer
    }

    /// Draws the figure into a screen buffer.
    private func draw(width: Int, height: Int) -> ScreenBuffer {
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

/// One drawing of a figure kept with its size (a figure is immutable, so only the size decides).
private final class LastDrawing: @unchecked Sendable {
    private let lock = NSLock()
    private var kept: (width: Int, height: Int, buffer: ScreenBuffer)?

    /// The kept drawing when it has this size.
    func buffer(width: Int, height: Int) -> ScreenBuffer? {
        lock.lock(); defer { lock.unlock() }
        guard let kept, kept.width == width, kept.height == height else { return nil }
        return kept.buffer
    }

    /// Keeps a drawing.
    func keep(_ buffer: ScreenBuffer, width: Int, height: Int) {
        lock.lock(); defer { lock.unlock() }
        kept = (width, height, buffer)
    }
}
