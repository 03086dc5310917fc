/// A plot: one or more panels sharing an x axis, with title, axis labels and legend.
///
/// A figure is plain data (`Sendable`): build it with the kind constructors (`Figure.line`,
/// `.scatter`, `.histogram`, `.density`, `.heatmap`, `.bar`, `.spectrum`, `.contour`,
/// `.stacked`), adjust options, combine with `hline` and `overlay`, then render it with
/// `render(width:height:canvas:)`, `renderText(width:height:canvas:color:)` or `svg(width:height:)`.
public struct Figure: Sendable {
    /// The panels, top to bottom. Never empty.
    public var panels: [Panel]
    /// Title above the plot.
    public var title: String = ""
    /// Label of the shared x axis.
    public var xlabel: String = ""
    /// Logarithmic x axis.
    public var logx: Bool = false
    /// Fixed x limits; nil chooses them from the data.
    public var xlim: (lo: Double, hi: Double)?
    /// Labels at given x positions in place of numeric ticks (bar charts).
    public var xTickLabels: [Tick]?
    /// Preferred width in terminal columns (nil: the caller's width).
    public var width: Int?
    /// Preferred height in terminal rows (nil: the caller's height).
    public var height: Int?
    /// Show the legend: true, false, or nil to show it when there is more than one named entry.
    public var legend: Bool?
    /// Whole figures laid out in rows of `gridColumns` (see `Figure.grid`); empty for a
    /// figure drawn from its own panels.
    public internal(set) var gridFigures: [Figure] = []
    /// Figures in each row of a grid.
    public internal(set) var gridColumns: Int = 1

    /// Creates a figure from panels.
    ///
    /// - Parameters:
    ///   - panels: Panels top to bottom; an empty list gives one empty panel.
    public init(panels: [Panel] = [Panel()]) {
        self.panels = panels.isEmpty ? [Panel()] : panels
    }

    /// The y label of the first panel (setting it labels the first panel).
    public var ylabel: String {
        get { panels.first?.ylabel ?? "" }
        set { if !panels.isEmpty { panels[0].ylabel = newValue } }
    }

    /// Whether the y axes are logarithmic (setting it sets every panel).
    public var logy: Bool {
        get { panels.first?.logy ?? false }
        set { for i in panels.indices { panels[i].logy = newValue } }
    }

    /// Adds a layer to a panel.
    ///
    /// - Parameters:
    ///   - layer: The layer.
    ///   - panel: Panel index; out of range adds to the last panel.
    public mutating func add(_ layer: Layer, panel: Int = 0) {
        let p = panels.indices.contains(panel) ? panel : panels.count - 1
        panels[p].layers.append(layer)
    }

    /// Adds a line series.
    ///
    /// - Parameters:
    ///   - y: Ordinates.
    ///   - x: Abscissae or nil for 0, 1, ….
    ///   - name: Legend name.
    ///   - panel: Panel index.
    /// - Throws: `PlotError.lengthMismatch` when x and y differ in length.
    public mutating func addLine(_ y: [Double], x: [Double]? = nil, name: String = "", panel: Int = 0) throws {
        add(.series(try Series(name: name, x: x, y: y, mode: .line)), panel: panel)
    }

    /// Adds a horizontal reference line.
    ///
    /// - Parameters:
    ///   - y: Height.
    ///   - label: Label at the right end (e.g. "2/lr").
    ///   - panel: Panel index; nil puts it in every panel.
    public mutating func addHLine(_ y: Double, label: String = "", panel: Int? = nil) {
        let line = ReferenceLine(y: y, label: label, color: .gray)
        if let panel {
            let p = panels.indices.contains(panel) ? panel : panels.count - 1
            panels[p].hlines.append(line)
        } else {
            for i in panels.indices { panels[i].hlines.append(line) }
        }
    }

    /// This figure with a horizontal reference line added.
    ///
    /// - Parameters:
    ///   - y: Height.
    ///   - label: Label at its right end.
    ///   - panel: Panel index; nil puts it in every panel.
    /// - Returns: The new figure.
    public func hline(_ y: Double, label: String = "", panel: Int? = nil) -> Figure {
        var f = self
        f.addHLine(y, label: label, panel: panel)
        return f
    }

    /// This figure with another drawn on top: panel i of `other` joins panel i of this one
    /// (extra panels are appended). Options (title, labels, scales) are this figure's, except
    /// that empty labels are taken from `other`.
    ///
    /// - Parameters:
    ///   - other: The figure drawn on top.
    /// - Returns: The combined figure.
    public func overlay(_ other: Figure) -> Figure {
        var f = self
        for (i, p) in other.panels.enumerated() {
            if i < f.panels.count {
                f.panels[i].layers += p.layers
                f.panels[i].hlines += p.hlines
                if f.panels[i].ylabel.isEmpty { f.panels[i].ylabel = p.ylabel }
                f.panels[i].equalAspect = f.panels[i].equalAspect || p.equalAspect
            } else {
                f.panels.append(p)
            }
        }
        if f.title.isEmpty { f.title = other.title }
        if f.xlabel.isEmpty { f.xlabel = other.xlabel }
        if f.xTickLabels == nil { f.xTickLabels = other.xTickLabels }
        return f
    }
}
