import RitzPlot

/// How a plot becomes a saved output and a notebook item: its size, its text rendering and its SVG.
///
/// A plot is shown at the figure's own size when it sets one, else at 72 columns by 20 rows, as
/// the language displays a plot value; a live plot (a run's curves, often several panels) gets
/// 6 rows a panel and 4 more when that is taller. The SVG is drawn at 9×18 pixels a character cell,
/// the same as a plot value's `.svg` field in the language.
public enum PlotOutput {
    /// Columns and rows a figure's text rendering takes.
    ///
    /// - Parameters:
    ///   - figure: The plot.
    ///   - live: A live plot (panel-aware height) rather than a plotted value.
    /// - Returns: The width and height in character cells.
    public static func size(of figure: Figure, live: Bool = true) -> (width: Int, height: Int) {
        (figure.width ?? 72, figure.height ?? (live ? max(20, 6 * figure.panels.count + 4) : 20))
    }

    /// The figure drawn as plain text (braille, no colour) at its size.
    ///
    /// - Parameters:
    ///   - figure: The plot.
    ///   - live: A live plot rather than a plotted value.
    /// - Returns: The text rendering saved as `text/plain`.
    public static func text(_ figure: Figure, live: Bool = true) -> String {
        let (w, h) = size(of: figure, live: live)
        return figure.renderText(width: w, height: h, canvas: .braille, color: false)
    }

    /// The figure as an SVG document at 9×18 pixels a character cell.
    ///
    /// - Parameters:
    ///   - figure: The plot.
    ///   - live: A live plot rather than a plotted value.
    /// - Returns: The SVG saved as `image/svg+xml`.
    public static func svg(_ figure: Figure, live: Bool = true) -> String {
        let (w, h) = size(of: figure, live: live)
        return figure.svg(width: w * 9, height: h * 18)
    }

    /// The MIME bundle of a plot output.
    ///
    /// - Parameters:
    ///   - figure: The plot.
    ///   - text: The text rendering the language gave a plotted value; nil for a live plot.
    /// - Returns: `text/plain` and `image/svg+xml`.
    public static func bundle(_ figure: Figure, text: String? = nil) -> [String: String] {
        let live = text == nil
        return [textMIME: text ?? self.text(figure, live: true), svgMIME: svg(figure, live: live)]
    }
}
