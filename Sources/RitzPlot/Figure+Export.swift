import Foundation

extension Figure {
    /// What `savefig` writes for a file name: `.svg` as SVG, `.txt` as plain text without
    /// colour, chosen by the extension. The caller writes it (RitzLang's `savefig` through
    /// `SafeFile`), so this module stays free of file I/O.
    ///
    /// - Parameters:
    ///   - path: Destination ending in `.svg` or `.txt` (only its extension is read).
    ///   - width: Columns for text (default the figure's width or 80); SVG uses 9 pixels a column.
    ///   - height: Rows for text (default the figure's height or 24); SVG uses 18 pixels a row.
    ///   - canvas: Canvas of the text rendering.
    /// - Returns: The file's text.
    /// - Throws: `PlotError.invalidOption` for another extension.
    public func fileContents(for path: String, width: Int? = nil, height: Int? = nil, canvas: CanvasKind = .braille) throws -> String {
        let cols = width ?? self.width ?? 80, rows = height ?? self.height ?? 24
        switch (path as NSString).pathExtension.lowercased() {
        case "svg": return svg(width: max(160, cols * 9), height: max(120, rows * 18))
        case "txt": return renderText(width: cols, height: rows, canvas: canvas, color: false) + "\n"
        default: throw PlotError.invalidOption("savefig needs a .svg or .txt path, got \"\(path)\"")
        }
    }
}
