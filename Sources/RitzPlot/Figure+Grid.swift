import Foundation

extension Figure {
    /// Columns a figure needs beside another to stay readable (tick labels, frame and about
    /// 20 columns of plot); a grid narrower than this per figure is drawn stacked instead.
    public static let minimumGridCellWidth = 36

    /// Whole figures side by side, each with its own axes, labels and legend, `columns` to a
    /// row (more figures continue on further rows).
    ///
    /// The grid's preferred size is the sum of its figures' widths along a row (60 columns
    /// each when they set none) and of their heights down the columns (20 rows each).
    /// - Parameters:
    ///   - figures: The figures, row by row. Grids among them are flattened into their figures.
    ///   - columns: Figures in a row; clamped to 1…figures.count.
    /// - Returns: The grid figure.
    public static func grid(_ figures: [Figure], columns: Int) -> Figure {
        let members = figures.flatMap { $0.isGrid ? $0.gridFigures : [$0] }
        var f = Figure()
        f.gridFigures = members
        f.gridColumns = max(1, min(columns, members.count))
        let rows = f.gridRows(columns: f.gridColumns)
        f.width = f.gridColumns * (members.compactMap(\.width).max() ?? 60)
        f.height = rows * (members.compactMap(\.height).max() ?? 20)
        return f
    }

    /// Whether this figure is a grid of whole figures.
    public var isGrid: Bool { !gridFigures.isEmpty }

    /// Rows a grid takes at `columns` figures a row: ⌈n / columns⌉.
    func gridRows(columns: Int) -> Int {
        (gridFigures.count + columns - 1) / max(1, columns)
    }

    /// Rows a text rendering `width` columns wide takes when `height` rows are asked for.
    ///
    /// A grid whose shares at this width would be narrower than ``minimumGridCellWidth`` stacks
    /// its figures one to a row; each keeps the rows a row of the grid had (`height` ÷ its rows,
    /// at least 8), so the rendering grows to that times the number of figures. Any other
    /// figure takes `height`.
    /// - Parameters:
    ///   - width: Columns of the rendering.
    ///   - height: Rows asked for.
    /// - Returns: The rows the rendering takes.
    public func textHeight(width: Int, height: Int) -> Int {
        guard isGrid, gridColumns > 1, width / gridColumns < Self.minimumGridCellWidth else { return height }
        let perFigure = max(8, height / max(1, gridRows(columns: gridColumns)))
        return max(height, perFigure * gridFigures.count)
    }

    /// Where each figure of a grid goes in a `width × height` area: the width split evenly
    /// among the columns (the first columns take the remainder) and the height among the rows.
    /// When a column would be narrower than `minimumCellWidth`, the figures are stacked one to
    /// a row.
    ///
    /// - Parameters:
    ///   - width: Width of the area (columns or pixels).
    ///   - height: Height of the area.
    ///   - minimumCellWidth: Narrowest readable column, in the same unit.
    /// - Returns: One rectangle per figure, in order.
    func gridCells(width: Int, height: Int, minimumCellWidth: Int) -> [(x: Int, y: Int, width: Int, height: Int)] {
        var columns = gridColumns
        if width / max(1, columns) < minimumCellWidth { columns = 1 }
        let rows = gridRows(columns: columns)
        func spans(_ total: Int, _ parts: Int) -> [(start: Int, length: Int)] {
            let base = max(0, total) / parts, extra = max(0, total) % parts
            var start = 0
            return (0..<parts).map { i in
                let length = base + (i < extra ? 1 : 0)
                defer { start += length }
                return (start, length)
            }
        }
        let xs = spans(width, columns), ys = spans(height, rows)
        return gridFigures.indices.map { i in
            let (c, r) = (xs[i % columns], ys[i / columns])
            return (c.start, r.start, c.length, r.length)
        }
    }

    /// A grid drawn as character cells: each figure rendered at its share by `render`.
    func renderGrid(width: Int, height: Int, canvas: CanvasKind) -> StyledGrid {
        var out = StyledGrid(width: width, height: height)
        for (figure, cell) in zip(gridFigures, gridCells(width: width, height: height, minimumCellWidth: Self.minimumGridCellWidth)) {
            // One blank column between neighbours keeps the frames apart.
            let w = cell.x + cell.width < width ? cell.width - 1 : cell.width
            let part = figure.render(width: w, height: cell.height, canvas: canvas)
            for r in 0..<part.height {
                for c in 0..<part.width { out[cell.y + r, cell.x + c] = part[r, c] }
            }
        }
        return out
    }

    /// A grid drawn as one SVG document: each figure's drawing in a group translated to its
    /// place, its ids prefixed `f<i>-` so the figures' clip paths and gradients stay their own.
    func gridSVG(width: Int, height: Int) -> String {
        var out = SVGRenderer.header(width: width, height: height)
        out += "<rect class=\"background\" x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>\n"
        // 160 pixels is the smallest figure `svg` draws.
        let cells = gridCells(width: width, height: height, minimumCellWidth: 160)
        for (i, (figure, cell)) in zip(gridFigures, cells).enumerated() {
            var r = SVGRenderer(figure: figure, width: max(160, cell.width), height: max(120, cell.height))
            r.idPrefix = "f\(i)-"
            out += "<g class=\"figure\" transform=\"translate(\(cell.x) \(cell.y))\">\n"
            out += r.drawBody()
            out += "</g>\n"
        }
        out += "</svg>\n"
        return out
    }
}
