import Foundation

extension Figure {
    /// Writes the figure to a file: `.svg` as SVG, `.txt` as plain text without colour,
    /// chosen by the extension. The file is written atomically.
    ///
    /// - Parameters:
    ///   - path: Destination ending in `.svg` or `.txt`.
    ///   - width: Columns for text (default the figure's width or 80); SVG uses 9 pixels a column.
    ///   - height: Rows for text (default the figure's height or 24); SVG uses 18 pixels a row.
    ///   - canvas: Canvas of the text rendering.
    /// - Throws: `PlotError.invalidOption` for another extension, `PlotError.io` when writing fails.
    public func save(to path: String, width: Int? = nil, height: Int? = nil, canvas: CanvasKind = .braille) throws {
        let cols = width ?? self.width ?? 80, rows = height ?? self.height ?? 24
        let ext = (path as NSString).pathExtension.lowercased()
        let content: String
        switch ext {
        case "svg": content = svg(width: max(160, cols * 9), height: max(120, rows * 18))
        case "txt": content = renderText(width: cols, height: rows, canvas: canvas, color: false) + "\n"
        default: throw PlotError.invalidOption("savefig needs a .svg or .txt path, got \"\(path)\"")
        }
        do {
            try content.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw PlotError.io("\(path): \(error.localizedDescription)")
        }
    }
}
