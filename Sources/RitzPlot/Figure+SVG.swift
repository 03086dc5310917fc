import Foundation

extension Figure {
    /// The figure as a standalone SVG document (SVG 1.1, no external resources).
    ///
    /// White background, framed panels with light grid lines at the ticks, tick labels, title,
    /// axis labels (y rotated), a legend box in the top-right corner of the first panel, and a
    /// colour bar beside heatmaps. Heatmap and contour colours follow the viridis map.
    /// - Parameters:
    ///   - width: Width in pixels (at least 160).
    ///   - height: Height in pixels (at least 120).
    /// - Returns: The SVG text.
    public func svg(width: Int = 720, height: Int = 450) -> String {
        if isGrid { return gridSVG(width: max(160, width), height: max(120, height)) }
        var r = SVGRenderer(figure: self, width: max(160, width), height: max(120, height))
        return r.draw()
    }
}

/// Writes a figure as SVG.
struct SVGRenderer {
    let figure: Figure
    let width: Int, height: Int
    var out = ""
    /// Put before every id this drawing defines and refers to (a grid's `f0-`, `f1-`, …).
    var idPrefix = ""
    static let font = "DejaVu Sans, Helvetica, Arial, sans-serif"
    static let fontSize = 13.0
    static let charWidth = 7.4

    init(figure: Figure, width: Int, height: Int) {
        self.figure = figure
        self.width = width
        self.height = height
    }

    static func n(_ v: Double) -> String { NiceTicks.fixed(v.isFinite ? v : 0, decimals: 2) }

    static func escape(_ s: String) -> String {
        var r = ""
        for ch in s {
            switch ch {
            case "&": r += "&amp;"
            case "<": r += "&lt;"
            case ">": r += "&gt;"
            case "\"": r += "&quot;"
            default:
                // Characters XML 1.0 forbids (control characters) are dropped.
                if let a = ch.asciiValue, a < 0x20, a != 0x09, a != 0x0A, a != 0x0D { continue }
                r.append(ch)
            }
        }
        return r
    }

    /// Viridis colour map sampled at its quartiles (matplotlib's `viridis` anchors), linearly
    /// interpolated in sRGB.
    static func viridis(_ t: Double) -> String {
        let anchors: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
        let u = min(1, max(0, t.isFinite ? t : 0)) * Double(anchors.count - 1)
        let i = min(anchors.count - 2, Int(u))
        let f = u - Double(i)
        let a = anchors[i], b = anchors[i + 1]
        func c(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * f).rounded()) }
        return String(format: "#%02x%02x%02x", c(a.0, b.0), c(a.1, b.1), c(a.2, b.2))
    }

    mutating func text(_ s: String, x: Double, y: Double, anchor: String = "middle", size: Double = fontSize,
                       weight: String? = nil, rotate: Bool = false, fill: String = "#222") {
        out += "<text x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" text-anchor=\"\(anchor)\" font-size=\"\(Self.n(size))\""
        if let weight { out += " font-weight=\"\(weight)\"" }
        if fill != "#222" { out += " fill=\"\(fill)\"" }
        if rotate { out += " transform=\"rotate(-90 \(Self.n(x)) \(Self.n(y)))\"" }
        out += ">\(Self.escape(s))</text>\n"
    }

    /// The XML declaration and the opening `<svg>` tag of a `width × height` document.
    static func header(width: Int, height: Int) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" font-family=\"\(Self.font)\">\n"
    }

    mutating func draw() -> String {
        Self.header(width: width, height: height) + drawBody() + "</svg>\n"
    }

    /// The drawing's elements without the document around them (background first).
    mutating func drawBody() -> String {
        let W = Double(width), H = Double(height)
        let entries = figure.legendEntries()
        let ramps = entries.compactMap { e -> (Double, Double)? in if case let .ramp(lo, hi) = e.sample { return (lo, hi) }; return nil }
        let boxEntries = entries.filter { if case .ramp = $0.sample { return false }; return true }
        let panelCount = figure.panels.count
        let top = figure.title.isEmpty ? 16.0 : 40.0
        let bottom = 34.0 + (figure.xlabel.isEmpty ? 0 : 20)
        let gap = 20.0
        let rightBar = ramps.isEmpty ? 0.0 : 80.0
        let plotHeightTotal = H - top - bottom - gap * Double(panelCount - 1)
        let ph = max(20, plotHeightTotal / Double(panelCount))
        let yTargets = Array(repeating: max(2, Int(ph / 45)), count: panelCount)
        let hasYLabel = figure.panels.contains { !$0.ylabel.isEmpty }
        // First pass for the tick labels' width.
        var axes = figure.axes(xTarget: max(2, Int((W - 120) / 90)), yTargets: yTargets, unicode: true, aspect: (W - 120) / ph)
        let labelWidth = Double(axes.y.flatMap(\.ticks).map(\.label.count).max() ?? 1) * Self.charWidth
        let left = 14 + labelWidth + (hasYLabel ? 22 : 0)
        let right = 20 + rightBar
        let pw = max(20, W - left - right)
        if panelCount == 1, figure.panels[0].equalAspect {
            axes = figure.axes(xTarget: max(2, Int(pw / 90)), yTargets: yTargets, unicode: true, aspect: pw / ph)
        } else {
            axes = figure.axes(xTarget: max(2, Int(pw / 90)), yTargets: yTargets, unicode: true, aspect: pw / ph)
        }

        out = "<rect class=\"background\" x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>\n"
        if !figure.title.isEmpty {
            text(figure.title, x: left + pw / 2, y: 26, size: 16, weight: "bold")
        }
        for (i, panel) in figure.panels.enumerated() {
            let py0 = top + Double(i) * (ph + gap)
            drawPanel(panel, index: i, x0: left, y0: py0, w: pw, h: ph, xAxis: axes.x, yAxis: axes.y[i],
                      showXLabels: i == panelCount - 1)
            if !panel.ylabel.isEmpty {
                text(panel.ylabel, x: 16, y: py0 + ph / 2, rotate: true)
            }
        }
        if !figure.xlabel.isEmpty {
            text(figure.xlabel, x: left + pw / 2, y: H - 10)
        }
        if let (lo, hi) = ramps.first {
            colorBar(lo: lo, hi: hi, x: left + pw + 24, y: top, h: ph)
        }
        if !boxEntries.isEmpty {
            legendBox(boxEntries, right: left + pw - 8, top: top + 8)
        }
        return out
    }

    mutating func drawPanel(_ panel: Panel, index: Int, x0: Double, y0: Double, w: Double, h: Double,
                            xAxis: AxisLayout, yAxis: AxisLayout, showXLabels: Bool) {
        let clip = "\(idPrefix)clip\(index)"
        out += "<defs><clipPath id=\"\(clip)\"><rect x=\"\(Self.n(x0))\" y=\"\(Self.n(y0))\" width=\"\(Self.n(w))\" height=\"\(Self.n(h))\"/></clipPath></defs>\n"
        // Grid lines and ticks.
        out += "<g class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">\n"
        for t in xAxis.ticks {
            let f = xAxis.fraction(t.value)
            guard f.isFinite, f >= -1e-9, f <= 1 + 1e-9 else { continue }
            let x = x0 + f * w
            out += "<line x1=\"\(Self.n(x))\" y1=\"\(Self.n(y0))\" x2=\"\(Self.n(x))\" y2=\"\(Self.n(y0 + h))\"/>\n"
        }
        for t in yAxis.ticks {
            var f = yAxis.fraction(t.value)
            guard f.isFinite, f >= -1e-9, f <= 1 + 1e-9 else { continue }
            if panel.yInverted { f = 1 - f }
            let y = y0 + (1 - f) * h
            out += "<line x1=\"\(Self.n(x0))\" y1=\"\(Self.n(y))\" x2=\"\(Self.n(x0 + w))\" y2=\"\(Self.n(y))\"/>\n"
        }
        out += "</g>\n"
        let map = SVGMap(x: xAxis, y: yAxis, x0: x0, y0: y0, w: w, h: h, inverted: panel.yInverted)
        out += "<g class=\"data\" clip-path=\"url(#\(clip))\">\n"
        let colors = figure.resolvedColors(panel)
        for (layer, color) in zip(panel.layers, colors) {
            switch layer {
            case .heatmap(let g): heatmap(g, map: map)
            case .bars(let b): bars(b, map: map, color: color)
            case .contour(let c):
                for (i, level) in c.levels.enumerated() {
                    let col = Self.viridis(c.levels.count > 1 ? Double(i) / Double(c.levels.count - 1) : 0.5)
                    var d = ""
                    for s in c.segments(level: level) {
                        d += "M\(Self.n(map.x(s.0))) \(Self.n(map.y(s.1)))L\(Self.n(map.x(s.2))) \(Self.n(map.y(s.3)))"
                    }
                    if !d.isEmpty {
                        out += "<path class=\"contour\" d=\"\(d)\" fill=\"none\" stroke=\"\(col)\" stroke-width=\"1.5\" stroke-linecap=\"round\"/>\n"
                    }
                }
            case .series(let s): series(s, map: map, color: color)
            }
        }
        for line in panel.hlines {
            let y = map.y(line.y)
            guard y.isFinite, y >= y0 - 0.5, y <= y0 + h + 0.5 else { continue }
            out += "<line class=\"hline\" x1=\"\(Self.n(x0))\" y1=\"\(Self.n(y))\" x2=\"\(Self.n(x0 + w))\" y2=\"\(Self.n(y))\" stroke=\"\(line.color.hex)\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\"/>\n"
            if !line.label.isEmpty {
                // The label sits 5 px above the line (its 12 px glyphs reach about 12 px above
                // the baseline); a line too near the panel's top takes it below, inside the clip.
                let above = y - 5 - 12 >= y0
                text(line.label, x: x0 + w - 6, y: above ? y - 5 : y + 15, anchor: "end", size: 12, fill: line.color.hex)
            }
        }
        out += "</g>\n"
        // Frame, tick marks and labels.
        out += "<rect class=\"frame\" x=\"\(Self.n(x0))\" y=\"\(Self.n(y0))\" width=\"\(Self.n(w))\" height=\"\(Self.n(h))\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>\n"
        out += "<g class=\"ticks\" stroke=\"#333333\" stroke-width=\"1\">\n"
        var labels: [(String, Double, Double, String)] = []
        for t in yAxis.ticks {
            var f = yAxis.fraction(t.value)
            guard f.isFinite, f >= -1e-9, f <= 1 + 1e-9 else { continue }
            if panel.yInverted { f = 1 - f }
            let y = y0 + (1 - f) * h
            out += "<line x1=\"\(Self.n(x0 - 5))\" y1=\"\(Self.n(y))\" x2=\"\(Self.n(x0))\" y2=\"\(Self.n(y))\"/>\n"
            labels.append((t.label, x0 - 8, y + 4.5, "end"))
        }
        var lastRight = -Double.infinity
        for t in xAxis.ticks {
            let f = xAxis.fraction(t.value)
            guard f.isFinite, f >= -1e-9, f <= 1 + 1e-9 else { continue }
            let x = x0 + f * w
            out += "<line x1=\"\(Self.n(x))\" y1=\"\(Self.n(y0 + h))\" x2=\"\(Self.n(x))\" y2=\"\(Self.n(y0 + h + 5))\"/>\n"
            let half = Double(t.label.count) * Self.charWidth / 2
            if showXLabels, x - half > lastRight + 4 {
                labels.append((t.label, x, y0 + h + 19, "middle"))
                lastRight = x + half
            }
        }
        out += "</g>\n"
        for (s, x, y, anchor) in labels { text(s, x: x, y: y, anchor: anchor, size: 12, fill: "#333333") }
    }

    /// Lines of more points than this that are not sorted by x are drawn as their rasterised
    /// pixels rather than point by point, so the SVG stays bounded by the panel's area.
    static let lineVertexLimit = 20_000
    /// Scatters of up to this many points are drawn point by point; larger ones one mark per
    /// occupied (class and) 1-pixel cell, and when more cells than this are occupied, one dot per
    /// occupied 2×2-pixel cell (markers: one per class and 6×6-pixel cell).
    static let pointCellLimit = 4_000

    mutating func series(_ s: Series, map: SVGMap, color: PlotColor?) {
        let hex = (color ?? .blue).hex
        switch s.mode {
        case .line:
            let n = s.count
            let columns = Int(map.w.rounded(.up))
            let d: String
            if s.xSorted, n > 2 * columns, !s.dashed {
                d = bucketedPath(s, map: map, columns: columns)
            } else if n > Self.lineVertexLimit, !s.dashed {
                rasterLine(s, map: map, hex: hex)
                return
            } else {
                var path = ""
                var penDown = false
                for i in 0..<n {
                    let px = map.x(s.xValue(i)), py = map.y(s.y[i])
                    guard px.isFinite, py.isFinite else { penDown = false; continue }
                    path += (penDown ? "L" : "M") + "\(Self.n(px)) \(Self.n(py))"
                    if let high = s.yHigh?[i] {
                        let ph = map.y(high)
                        if ph.isFinite { path += "L\(Self.n(px)) \(Self.n(ph))M\(Self.n(px)) \(Self.n(py))" }
                    }
                    penDown = true
                }
                d = path
            }
            if d.isEmpty { return }
            let dash = s.dashed ? " stroke-dasharray=\"5 4\"" : ""
            let widthAttr = s.dashed ? "1.2" : "1.8"
            out += "<path class=\"series\" d=\"\(d)\" fill=\"none\" stroke=\"\(hex)\" stroke-width=\"\(widthAttr)\" stroke-linejoin=\"round\" stroke-linecap=\"round\"\(dash)/>\n"
        case .points:
            // Up to `pointCellLimit` points, each as it always was; beyond, one per occupied cell.
            let cells = s.count > Self.pointCellLimit ? PointCells(s, map: map, coarse: 2, classes: nil) : nil
            if cells.map({ $0.fine.count <= Self.pointCellLimit }) ?? true {
                out += "<g class=\"points\" fill=\"\(hex)\" fill-opacity=\"0.75\">\n"
                for i in cells?.fine ?? Array(0..<s.count) {
                    let px = map.x(s.xValue(i)), py = map.y(s.y[i])
                    guard px.isFinite, py.isFinite else { continue }
                    out += "<circle cx=\"\(Self.n(px))\" cy=\"\(Self.n(py))\" r=\"2\"/>\n"
                }
                out += "</g>\n"
            } else if let cells {
                // Dots of diameter 4 two pixels apart merge, so a row of occupied cells is one
                // round-capped stroke (a single cell: a zero-length one, which draws a dot).
                let d = Self.runsPath(cells.coarse, columns: cells.columns, rows: cells.rows,
                                      cell: 2, x0: cells.x0 + 1, y0: cells.y0 + 1)
                out += "<path class=\"points\" d=\"\(d)\" fill=\"none\" stroke=\"\(hex)\" stroke-opacity=\"0.75\" stroke-width=\"4\" stroke-linecap=\"round\"/>\n"
            }
        case .markers:
            var chosen = Array(0..<min(s.count, Self.pointCellLimit))
            if s.count > Self.pointCellLimit {
                let cells = PointCells(s, map: map, coarse: 6, classes: s.marks)
                chosen = cells.fine.count <= Self.pointCellLimit ? cells.fine : cells.coarseFirst
            }
            out += "<g class=\"markers\">\n"
            for i in chosen {
                let px = map.x(s.xValue(i)), py = map.y(s.y[i])
                guard px.isFinite, py.isFinite else { continue }
                let k = s.marks?[i] ?? 0
                out += Self.marker(k, x: px, y: py, color: (Figure.markColor(k, base: color) ?? .blue).hex)
            }
            out += "</g>\n"
        }
    }

    /// A sorted line reduced per pixel column (column c covers x0 + c ≤ x < x0 + c + 1): the
    /// column's first, lowest, highest and last point at its centre, joined to its neighbours, so
    /// the path has at most four vertices a column whatever the number of points, and every spike
    /// reaches its height. Non-finite values (and non-positive ones on a log axis) lift the pen.
    mutating func bucketedPath(_ s: Series, map: SVGMap, columns: Int) -> String {
        let n = s.count
        let fraction = AxisFraction(map.xAxis)
        let starts = SeriesRaster.columnStarts(s, columns: columns) { c in fraction.inverse(Double(c) / map.w) }
        let logy = map.yAxis.log
        var d = ""
        d.reserveCapacity(columns * 60)
        var penDown = false
        func vertex(_ x: Double, _ y: Double) {
            d += (penDown ? "L" : "M") + Self.n(x) + " " + Self.n(y)
            penDown = true
        }
        // The last point left of the panel, so the line enters from its edge.
        if starts[0] > 0 {
            let i = starts[0] - 1, px = map.x(s.xValue(i)), py = map.y(s.y[i])
            if px.isFinite, py.isFinite { vertex(px, py) }
        }
        for c in 0..<columns {
            let start = starts[c], end = starts[c + 1]
            if start >= end { continue }
            let b = Bucket.scan(s, start, end, logy: logy)
            if b.brokenBeforeFirst { penDown = false }
            guard b.firstIndex >= 0 else { continue }
            let x = map.x0 + Double(c) + 0.5
            vertex(x, map.y(s.y[b.firstIndex]))
            vertex(x, map.y(b.min))
            vertex(x, map.y(b.max))
            vertex(x, map.y(s.y[b.lastIndex]))
            if b.brokenAfterLast { penDown = false }
        }
        // The first point right of the panel: leave towards it.
        if penDown, starts[columns] < n {
            let i = starts[columns], px = map.x(s.xValue(i)), py = map.y(s.y[i])
            if px.isFinite, py.isFinite { vertex(px, py) }
        }
        return d
    }

    /// A line of many unsorted points (a trajectory) drawn onto a 1-pixel grid over the panel,
    /// then written as horizontal runs of lit pixels: the SVG grows with the area the line
    /// covers, never with its number of points.
    mutating func rasterLine(_ s: Series, map: SVGMap, hex: String) {
        let columns = Int(map.w.rounded(.up)), rows = Int(map.h.rounded(.up))
        var canvas = PixelCanvas(kind: .braille, columns: (columns + 1) / 2, rows: (rows + 3) / 4)
        // Pixel i of the canvas is the SVG pixel [x0 + i, x0 + i + 1), centred at i + 0.5.
        var previous: (Double, Double)?
        for i in 0..<s.count {
            let px = map.x(s.xValue(i)) - map.x0 - 0.5, py = map.y(s.y[i]) - map.y0 - 0.5
            guard px.isFinite, py.isFinite else { previous = nil; continue }
            if let p = previous { canvas.line(p.0, p.1, px, py, color: nil) } else { canvas.line(px, py, px, py, color: nil) }
            if let high = s.yHigh?[i] {
                let ph = map.y(high) - map.y0 - 0.5
                if ph.isFinite { canvas.line(px, py, px, ph, color: nil) }
            }
            previous = (px, py)
        }
        var lit = [Bool](repeating: false, count: columns * rows)
        for r in 0..<rows { for c in 0..<columns where canvas.isLit(c, r) { lit[r * columns + c] = true } }
        let d = Self.runsPath(lit, columns: columns, rows: rows, cell: 1, x0: map.x0, y0: map.y0 + 0.5)
        if d.isEmpty { return }
        out += "<path class=\"series\" d=\"\(d)\" fill=\"none\" stroke=\"\(hex)\" stroke-width=\"1.8\" stroke-linecap=\"butt\"/>\n"
    }

    /// Horizontal runs of set cells as one path: `M` to the first run, then relative moves, each
    /// run an `h` from its first cell to its last (cells `cell` pixels wide, cell (c, r) at
    /// (x0 + c·cell, y0 + r·cell)); a run of one cell is `h0`. A 1-pixel grid's runs span the
    /// cells' whole width (`h` of the run's length, starting at its left edge).
    static func runsPath(_ set: [Bool], columns: Int, rows: Int, cell: Int, x0: Double, y0: Double) -> String {
        var d = ""
        var at: (Int, Int)?   // pen position in grid units (after the last run)
        for r in 0..<rows {
            var c = 0
            while c < columns {
                guard set[r * columns + c] else { c += 1; continue }
                var e = c
                while e + 1 < columns, set[r * columns + e + 1] { e += 1 }
                let length = cell == 1 ? e - c + 1 : (e - c) * cell
                if let (pc, pr) = at {
                    d += "m\((c - pc) * cell) \((r - pr) * cell)h\(length)"
                } else {
                    d += "M\(Self.n(x0 + Double(c * cell))) \(Self.n(y0 + Double(r * cell)))h\(length)"
                }
                at = (c + (cell == 1 ? e - c + 1 : e - c), r)
                c = e + 1
            }
        }
        return d
    }

    /// One marker glyph: class 0 disc, 1 cross, 2 diamond, 3 triangle, 4 square, 5 plus.
    static func marker(_ k: Int, x: Double, y: Double, color: String, size: Double = 4.5) -> String {
        let s = size
        switch ((k % 6) + 6) % 6 {
        case 0: return "<circle class=\"marker\" cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(s))\" fill=\"\(color)\" stroke=\"#ffffff\" stroke-width=\"0.8\"/>\n"
        case 1: return "<path class=\"marker\" d=\"M\(n(x - s)) \(n(y - s))L\(n(x + s)) \(n(y + s))M\(n(x - s)) \(n(y + s))L\(n(x + s)) \(n(y - s))\" stroke=\"\(color)\" stroke-width=\"2\" fill=\"none\"/>\n"
        case 2: return "<path class=\"marker\" d=\"M\(n(x)) \(n(y - s * 1.2))L\(n(x + s)) \(n(y))L\(n(x)) \(n(y + s * 1.2))L\(n(x - s)) \(n(y))Z\" fill=\"\(color)\"/>\n"
        case 3: return "<path class=\"marker\" d=\"M\(n(x)) \(n(y - s))L\(n(x + s)) \(n(y + s * 0.8))L\(n(x - s)) \(n(y + s * 0.8))Z\" fill=\"\(color)\"/>\n"
        case 4: return "<rect class=\"marker\" x=\"\(n(x - s * 0.8))\" y=\"\(n(y - s * 0.8))\" width=\"\(n(s * 1.6))\" height=\"\(n(s * 1.6))\" fill=\"\(color)\"/>\n"
        default: return "<path class=\"marker\" d=\"M\(n(x - s)) \(n(y))L\(n(x + s)) \(n(y))M\(n(x)) \(n(y - s))L\(n(x)) \(n(y + s))\" stroke=\"\(color)\" stroke-width=\"2\" fill=\"none\"/>\n"
        }
    }

    mutating func bars(_ b: Bars, map: SVGMap, color: PlotColor?) {
        let hex = (color ?? .blue).hex
        let base = map.yAxis.log ? map.y(map.yAxis.lo) : map.y(0)
        out += "<g class=\"bars\" fill=\"\(hex)\" fill-opacity=\"0.85\" stroke=\"#ffffff\" stroke-width=\"0.6\">\n"
        for i in 0..<b.heights.count {
            let xl = map.x(b.left[i]), xr = map.x(b.right[i]), yt = map.y(b.heights[i])
            guard xl.isFinite, xr.isFinite, yt.isFinite, base.isFinite else { continue }
            out += "<rect x=\"\(Self.n(min(xl, xr)))\" y=\"\(Self.n(min(yt, base)))\" width=\"\(Self.n(abs(xr - xl)))\" height=\"\(Self.n(abs(base - yt)))\"/>\n"
        }
        out += "</g>\n"
    }

    mutating func heatmap(_ g: GridData, map: SVGMap) {
        guard let (lo, hi) = g.finiteRange else { return }
        // At most 200 × 200 cells: larger grids are averaged in blocks.
        let br = max(1, (g.rows + 199) / 200), bc = max(1, (g.cols + 199) / 200)
        let rows = (g.rows + br - 1) / br, cols = (g.cols + bc - 1) / bc
        let cw = (g.x.hi - g.x.lo) / Double(g.cols), chh = (g.y.hi - g.y.lo) / Double(g.rows)
        out += "<g class=\"heatmap\" shape-rendering=\"crispEdges\">\n"
        for R in 0..<rows {
            for C in 0..<cols {
                var sum = 0.0, count = 0
                for i in (R * br)..<min(g.rows, (R + 1) * br) {
                    for j in (C * bc)..<min(g.cols, (C + 1) * bc) {
                        let v = g.at(i, j)
                        if v.isFinite { sum += v; count += 1 }
                    }
                }
                guard count > 0 else { continue }
                let t = hi > lo ? (sum / Double(count) - lo) / (hi - lo) : 0.5
                let xa = map.x(g.x.lo + Double(C * bc) * cw), xb = map.x(g.x.lo + Double(min(g.cols, (C + 1) * bc)) * cw)
                let ya = map.y(g.y.lo + Double(R * br) * chh), yb = map.y(g.y.lo + Double(min(g.rows, (R + 1) * br)) * chh)
                guard xa.isFinite, xb.isFinite, ya.isFinite, yb.isFinite else { continue }
                out += "<rect x=\"\(Self.n(min(xa, xb)))\" y=\"\(Self.n(min(ya, yb)))\" width=\"\(Self.n(abs(xb - xa) + 0.3))\" height=\"\(Self.n(abs(yb - ya) + 0.3))\" fill=\"\(Self.viridis(t))\"/>\n"
            }
        }
        out += "</g>\n"
    }

    mutating func colorBar(lo: Double, hi: Double, x: Double, y: Double, h: Double) {
        out += "<defs><linearGradient id=\"\(idPrefix)ramp\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
        for k in 0...8 {
            let t = Double(k) / 8
            out += "<stop offset=\"\(Self.n(t))\" stop-color=\"\(Self.viridis(t))\"/>"
        }
        out += "</linearGradient></defs>\n"
        out += "<rect class=\"colorbar\" x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" width=\"14\" height=\"\(Self.n(h))\" fill=\"url(#\(idPrefix)ramp)\" stroke=\"#333333\" stroke-width=\"1\"/>\n"
        let axis = NiceTicks.linear(lo, hi, target: max(2, Int(h / 50)), expand: false)
        for t in axis.ticks {
            let f = hi > lo ? (t.value - lo) / (hi - lo) : 0.5
            let ty = y + (1 - f) * h
            out += "<line x1=\"\(Self.n(x + 14))\" y1=\"\(Self.n(ty))\" x2=\"\(Self.n(x + 18))\" y2=\"\(Self.n(ty))\" stroke=\"#333333\"/>\n"
            text(t.label, x: x + 21, y: ty + 4, anchor: "start", size: 11, fill: "#333333")
        }
    }

    mutating func legendBox(_ entries: [LegendEntry], right: Double, top: Double) {
        let longest = entries.map(\.name.count).max() ?? 0
        let bw = 44 + Double(longest) * 6.8, bh = 10 + 18 * Double(entries.count)
        let x = right - bw
        out += "<g class=\"legend\">\n"
        out += "<rect x=\"\(Self.n(x))\" y=\"\(Self.n(top))\" width=\"\(Self.n(bw))\" height=\"\(Self.n(bh))\" rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.88\" stroke=\"#bbbbbb\" stroke-width=\"0.8\"/>\n"
        for (i, e) in entries.enumerated() {
            let cy = top + 14 + 18 * Double(i)
            let sx = x + 8
            switch e.sample {
            case let .line(color, dashed):
                let dash = dashed ? " stroke-dasharray=\"5 4\"" : ""
                out += "<line x1=\"\(Self.n(sx))\" y1=\"\(Self.n(cy))\" x2=\"\(Self.n(sx + 22))\" y2=\"\(Self.n(cy))\" stroke=\"\((color ?? .blue).hex)\" stroke-width=\"2\"\(dash)/>\n"
            case let .points(color):
                out += "<circle cx=\"\(Self.n(sx + 11))\" cy=\"\(Self.n(cy))\" r=\"3\" fill=\"\((color ?? .blue).hex)\"/>\n"
            case let .marker(k, color):
                out += Self.marker(k, x: sx + 11, y: cy, color: (color ?? .blue).hex)
            case let .bar(color):
                out += "<rect x=\"\(Self.n(sx + 3))\" y=\"\(Self.n(cy - 6))\" width=\"16\" height=\"12\" fill=\"\((color ?? .blue).hex)\"/>\n"
            case let .level(k, count):
                let col = Self.viridis(count > 1 ? Double(k) / Double(count - 1) : 0.5)
                out += "<line x1=\"\(Self.n(sx))\" y1=\"\(Self.n(cy))\" x2=\"\(Self.n(sx + 22))\" y2=\"\(Self.n(cy))\" stroke=\"\(col)\" stroke-width=\"2\"/>\n"
            case .ramp: break
            }
            text(e.name, x: sx + 30, y: cy + 4.5, anchor: "start", size: 12)
        }
        out += "</g>\n"
    }
}

/// Maps data to SVG coordinates of a panel.
struct SVGMap {
    let xAxis: AxisLayout, yAxis: AxisLayout
    let x0: Double, y0: Double, w: Double, h: Double
    let inverted: Bool
    private let fx: AxisFraction, fy: AxisFraction

    init(x: AxisLayout, y: AxisLayout, x0: Double, y0: Double, w: Double, h: Double, inverted: Bool) {
        xAxis = x; yAxis = y
        self.x0 = x0; self.y0 = y0; self.w = w; self.h = h
        self.inverted = inverted
        fx = AxisFraction(x)
        fy = AxisFraction(y)
    }

    @inline(__always) func x(_ v: Double) -> Double { x0 + fx(v) * w }
    @inline(__always) func y(_ v: Double) -> Double {
        let f = fy(v)
        return y0 + (inverted ? f : 1 - f) * h
    }
}

/// The occupied cells of a scatter over a panel (with a margin of 4 pixels for marks reaching in
/// from outside), per mark class: the first point of each occupied 1-pixel cell while there are
/// at most `SVGRenderer.pointCellLimit` of them, and the first point of each occupied
/// `coarse`-pixel cell, with which coarse cells any class occupies.
struct PointCells {
    /// Indices of the first point of each occupied (class, 1-pixel cell), in data order; once
    /// there are more than `pointCellLimit`, no more are recorded.
    var fine: [Int] = []
    /// Indices of the first point of each occupied (class, coarse cell), in data order.
    var coarseFirst: [Int] = []
    /// Coarse cells occupied by any class, row-major `columns × rows`.
    var coarse: [Bool]
    let columns: Int, rows: Int
    /// SVG position of the grids' top-left corner.
    let x0: Double, y0: Double

    init(_ s: Series, map: SVGMap, coarse size: Int, classes: [Int]?) {
        let margin = 4.0
        x0 = map.x0 - margin
        y0 = map.y0 - margin
        let fineColumns = Int((map.w + 2 * margin).rounded(.up)), fineRows = Int((map.h + 2 * margin).rounded(.up))
        columns = (fineColumns + size - 1) / size
        rows = (fineRows + size - 1) / size
        coarse = [Bool](repeating: false, count: columns * rows)
        // Per class (0…63, as `Series` clamps marks), allocated when the class first occurs.
        var fineSeen = [[Bool]](repeating: [], count: 64), coarseSeen = [[Bool]](repeating: [], count: 64)
        let limit = SVGRenderer.pointCellLimit
        for i in 0..<s.count {
            let u = map.x(s.xValue(i)) - x0, v = map.y(s.y[i]) - y0
            // Also false for NaN: points off the panel and its margin are clipped anyway.
            guard u >= 0, v >= 0, u < Double(fineColumns), v < Double(fineRows) else { continue }
            let fc = Int(u), fr = Int(v)
            let m = classes?[i] ?? 0
            if fine.count <= limit {
                if fineSeen[m].isEmpty { fineSeen[m] = [Bool](repeating: false, count: fineColumns * fineRows) }
                let f = fr * fineColumns + fc
                if !fineSeen[m][f] { fineSeen[m][f] = true; fine.append(i) }
            }
            if coarseSeen[m].isEmpty { coarseSeen[m] = [Bool](repeating: false, count: columns * rows) }
            let k = (fr / size) * columns + fc / size
            if !coarseSeen[m][k] {
                coarseSeen[m][k] = true
                coarse[k] = true
                coarseFirst.append(i)
            }
        }
    }
}
