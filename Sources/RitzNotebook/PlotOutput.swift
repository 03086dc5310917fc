import RitzPlot

/// How a plot becomes a saved output and a notebook item: its size, its text rendering, its SVG
/// and its data.
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
    /// - Returns: `text/plain`, `image/svg+xml` and the figure's data as `plotDataMIME`.
    public static func bundle(_ figure: Figure, text: String? = nil) -> [String: String] {
        let live = text == nil
        return [textMIME: text ?? self.text(figure, live: true), svgMIME: svg(figure, live: live),
                plotDataMIME: data(figure).serialized(indent: 0)]
    }

    /// Values kept of each array in a plot's saved data; longer arrays keep this many evenly
    /// spaced entries. A 72-column plot has 144 dot columns, so 500 samples of a curve still pin
    /// its shape, while a 20,000-point density does not add 20,000 lines to the notebook.
    public static let savedValuesPerArray = 500

    /// The numbers a figure draws, as JSON: what `ritz check` compares a plot by.
    ///
    /// Panels in order, each with its y label, fixed limits, reference lines and layers; a layer
    /// keeps its kind, name, `count` of values and arrays (series `x`/`y`/`yHigh`, bars
    /// `left`/`right`/`heights`, grids `rows`/`cols`/`values` with their extent, contour
    /// `levels`). An array longer than `savedValuesPerArray` keeps the entries at indices
    /// round(i·(n−1)/(m−1)), i = 0…m−1 (first and last included; the same indices for arrays of
    /// the same length, so x and y stay paired). Non-finite numbers are the strings `"nan"`,
    /// `"inf"`, `"-inf"` (JSON has no such numbers). A grid of figures (`Figure.grid`) is
    /// `{"columns": c, "figures": [...]}`, each figure's data as above.
    ///
    /// - Parameter figure: The plot.
    /// - Returns: A JSON object.
    public static func data(_ figure: Figure) -> JSONValue {
        if figure.isGrid {
            return .object(["columns": .number(Double(figure.gridColumns)), "figures": .array(figure.gridFigures.map(data))])
        }
        func number(_ d: Double) -> JSONValue {
            if d.isNaN { return .string("nan") }
            if d.isInfinite { return .string(d > 0 ? "inf" : "-inf") }
            return .number(d)
        }
        func numbers(_ values: [Double]) -> JSONValue {
            let n = values.count, m = savedValuesPerArray
            guard n > m else { return .array(values.map(number)) }
            return .array((0..<m).map { i in number(values[min(n - 1, Int((Double(i) * Double(n - 1) / Double(m - 1)).rounded()))]) })
        }
        func range(_ r: (lo: Double, hi: Double)) -> JSONValue { .array([number(r.lo), number(r.hi)]) }
        func grid(_ g: GridData, kind: String) -> [String: JSONValue] {
            ["kind": .string(kind), "rows": .number(Double(g.rows)), "cols": .number(Double(g.cols)),
             "values": numbers(g.values), "x": range(g.x), "y": range(g.y)]
        }
        func layer(_ layer: Layer) -> JSONValue {
            switch layer {
            case .series(let s):
                var o: [String: JSONValue] = ["kind": .string("series"), "name": .string(s.name),
                                              "count": .number(Double(s.count)), "y": numbers(s.y)]
                if let x = s.x { o["x"] = numbers(x) }
                if let high = s.yHigh { o["yHigh"] = numbers(high) }
                if let marks = s.marks { o["marks"] = numbers(marks.map(Double.init)) }
                return .object(o)
            case .bars(let b):
                return .object(["kind": .string("bars"), "name": .string(b.name),
                                "count": .number(Double(b.heights.count)), "left": numbers(b.left),
                                "right": numbers(b.right), "heights": numbers(b.heights)])
            case .heatmap(let g):
                return .object(grid(g, kind: "heatmap"))
            case .contour(let c):
                var o = grid(c.grid, kind: "contour")
                o["levels"] = numbers(c.levels)
                return .object(o)
            }
        }
        let panels: [JSONValue] = figure.panels.map { p in
            var o: [String: JSONValue] = [
                "ylabel": .string(p.ylabel), "layers": .array(p.layers.map(layer)),
                "hlines": .array(p.hlines.map { .object(["y": number($0.y), "label": .string($0.label)]) }),
            ]
            if let ylim = p.ylim { o["ylim"] = range(ylim) }
            return .object(o)
        }
        var root: [String: JSONValue] = ["title": .string(figure.title), "xlabel": .string(figure.xlabel),
                                         "panels": .array(panels)]
        if let xlim = figure.xlim { root["xlim"] = range(xlim) }
        return .object(root)
    }
}
