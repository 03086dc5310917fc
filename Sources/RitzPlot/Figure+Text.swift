extension Figure {
    /// Renders the figure into a grid of styled cells.
    ///
    /// The grid holds title, framed panels with ticks and labels, x tick labels, x label and
    /// legend; the notebook draws it with curses. Sizes too small to hold a plot give a grid with
    /// a short note instead. A grid (`Figure.grid`) draws each figure in its share of the
    /// width, stacked when the shares would be too narrow to read (a caller that wants each
    /// stacked figure as tall as a row of the grid asks ``textHeight(width:height:)`` first, as
    /// ``renderText(width:height:canvas:color:)`` and the notebook do).
    /// - Parameters:
    ///   - width: Columns of the whole figure.
    ///   - height: Rows of the whole figure.
    ///   - canvas: Braille, block or ASCII pixels (ASCII also keeps the frame and labels ASCII).
    /// - Returns: A `width × height` grid.
    public func render(width: Int, height: Int, canvas: CanvasKind) -> StyledGrid {
        if isGrid { return renderGrid(width: width, height: height, canvas: canvas) }
        var renderer = TextRenderer(figure: self, width: width, height: height, kind: canvas)
        renderer.draw()
        return renderer.grid
    }

    /// Renders the figure as text.
    ///
    /// - Parameters:
    ///   - width: Columns.
    ///   - height: Rows asked for; a grid stacked at this width takes ``textHeight(width:height:)``.
    ///   - canvas: Braille, block or ASCII.
    ///   - color: Whether to include ANSI colour sequences.
    /// - Returns: Lines joined by `\n` with trailing blanks removed.
    public func renderText(width: Int, height: Int, canvas: CanvasKind, color: Bool) -> String {
        render(width: width, height: textHeight(width: width, height: height), canvas: canvas).text(color: color)
    }
}

/// Lays a figure out on a character grid and draws it.
struct TextRenderer {
    let figure: Figure
    let kind: CanvasKind
    let unicode: Bool
    var grid: StyledGrid

    init(figure: Figure, width: Int, height: Int, kind: CanvasKind) {
        self.figure = figure
        self.kind = kind
        unicode = kind.unicode
        grid = StyledGrid(width: width, height: height)
    }

    /// Text as this canvas may show it: control characters as visible escapes (so widths are
    /// measured on what is shown), then unchanged in Unicode mode, transliterated in ASCII mode.
    private func txt(_ s: String) -> String {
        let shown = TerminalText.inert(s, keepingLineBreaks: false)
        return unicode ? shown : TextRenderer.ascii(shown)
    }

    /// An ASCII rendering of a label: common symbols spelled out, other characters as `?`.
    static func ascii(_ s: String) -> String {
        if s.allSatisfy(\.isASCII) { return s }
        let table: [Character: String] = [
            "≤": "<=", "≥": ">=", "≠": "!=", "±": "+-", "×": "x", "·": ".", "−": "-", "–": "-", "—": "-",
            "ε": "eps", "λ": "lambda", "σ": "sigma", "θ": "theta", "μ": "mu", "α": "alpha", "β": "beta",
            "γ": "gamma", "δ": "delta", "η": "eta", "ω": "omega", "π": "pi", "‖": "||", "→": "->",
            "⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9", "⁻": "-",
        ]
        var out = ""
        for ch in s { out += ch.isASCII ? String(ch) : (table[ch] ?? "?") }
        return out
    }

    // Frame characters.
    private var horizontal: Unicode.Scalar { unicode ? "─" : "-" }
    private var vertical: Unicode.Scalar { unicode ? "│" : "|" }

    mutating func draw() {
        let width = grid.width, height = grid.height
        let panelCount = figure.panels.count
        let titleRows = figure.title.isEmpty ? 0 : 1
        let xlabelRows = figure.xlabel.isEmpty ? 0 : 1
        let entries = figure.legendEntries()
        // Vertical budget: title, frame (1 + Σ(h_i + 1)), tick labels, x label, legend.
        let legendLines = legendLayout(entries, width: max(1, width - 2))
        var legendRows = legendLines.count
        var inner = height - titleRows - xlabelRows - 1 - legendRows - 1 - panelCount
        if inner < panelCount * 2, legendRows > 0 {
            inner += legendRows
            legendRows = 0
        }
        guard width >= 12, inner >= panelCount else {
            grid.put("(plot too small)", row: 0, column: 0)
            return
        }
        var heights = Array(repeating: inner / panelCount, count: panelCount)
        for i in 0..<(inner % panelCount) { heights[i] += 1 }

        // y ticks first (they set the left margin), then x ticks from the remaining width.
        let yTargets = heights.map { $0 >= 4 ? max(2, $0 / 3) : 1 }
        let roughInner = max(4, width - 10)
        var xTarget = max(2, roughInner / 8)
        var axes = figure.axes(xTarget: xTarget, yTargets: yTargets, unicode: unicode,
                               aspect: Double(roughInner) / Double(2 * max(1, heights[0])))
        // Fewer x ticks while their labels would not fit side by side with two blanks between.
        while xTarget > 1 {
            let widest = axes.x.ticks.map(\.label.count).max() ?? 1
            if (widest + 2) * axes.x.ticks.count <= roughInner { break }
            xTarget = max(1, min(xTarget - 1, roughInner / (widest + 2)))
            axes = figure.axes(xTarget: xTarget, yTargets: yTargets, unicode: unicode,
                               aspect: Double(roughInner) / Double(2 * max(1, heights[0])))
        }
        var labelWidth = axes.y.flatMap(\.ticks).map(\.label.count).max() ?? 1
        let firstX = axes.x.ticks.first?.label.count ?? 1
        let lastX = axes.x.ticks.last?.label.count ?? 1
        var left = max(labelWidth + 1, (firstX - 1) / 2)
        var right = max(1, lastX / 2)
        var w = width - left - 2 - right
        if w < 4 { left = 0; right = 0; w = width - 2; labelWidth = 0 }
        if figure.panels.count == 1, figure.panels[0].equalAspect {
            // Equal aspect depends on the final width: choose the axes again.
            axes = figure.axes(xTarget: xTarget, yTargets: yTargets, unicode: unicode,
                               aspect: Double(w) / Double(2 * heights[0]))
        }
        let frameLeft = left, frameRight = left + w + 1

        var row = 0
        if titleRows > 0 {
            let t = txt(figure.title)
            let start = frameLeft + 1 + max(0, (w - t.count) / 2)
            grid.put(t, row: 0, column: start, style: CellStyle(bold: true))
            row = 1
        }
        let xTickColumns = axes.x.ticks.map { tick -> Int? in
            let f = axes.x.fraction(tick.value)
            guard f.isFinite, f >= -1e-9, f <= 1 + 1e-9 else { return nil }
            return Int((f * Double(2 * w - 1)).rounded()) / 2
        }
        for (i, panel) in figure.panels.enumerated() {
            let h = heights[i]
            let top = row
            // Border above the panel.
            let isFirst = i == 0
            grid.put(String(isFirst ? (unicode ? "┌" : "+") : (unicode ? "├" : "+")), row: top, column: frameLeft)
            for c in 0..<w { grid[top, frameLeft + 1 + c] = StyledCell(horizontal) }
            grid.put(String(isFirst ? (unicode ? "┐" : "+") : (unicode ? "┤" : "+")), row: top, column: frameRight)
            if !isFirst {
                for case let c? in xTickColumns { grid[top, frameLeft + 1 + c] = StyledCell(unicode ? "┼" : "+") }
            }
            if !panel.ylabel.isEmpty, w >= 4 {
                let label = " " + String(txt(panel.ylabel).prefix(max(0, w - 3))) + " "
                grid.put(label, row: top, column: frameLeft + 1 + (unicode ? 1 : 1))
            }
            for r in 0..<h {
                grid[top + 1 + r, frameLeft] = StyledCell(vertical)
                grid[top + 1 + r, frameRight] = StyledCell(vertical)
            }
            drawPanel(panel, rowOffset: top + 1, colOffset: frameLeft + 1, w: w, h: h, xAxis: axes.x, yAxis: axes.y[i])
            // y ticks.
            var usedRows = Set<Int>()
            for tick in axes.y[i].ticks {
                var f = axes.y[i].fraction(tick.value)
                guard f.isFinite, f >= -1e-9, f <= 1 + 1e-9 else { continue }
                if panel.yInverted { f = 1 - f }
                let py = (1 - f) * Double(h * kind.pixelsPerRow - 1)
                let r = min(h - 1, max(0, Int(py.rounded()) / kind.pixelsPerRow))
                if usedRows.contains(r) { continue }
                usedRows.insert(r)
                grid[top + 1 + r, frameLeft] = StyledCell(unicode ? "┤" : "+")
                if labelWidth > 0 {
                    let label = String(tick.label.prefix(labelWidth))
                    grid.put(label, row: top + 1 + r, column: frameLeft - 1 - label.count)
                }
            }
            row = top + 1 + h
        }
        // Bottom border with x ticks.
        grid.put(String(unicode ? "└" : "+"), row: row, column: frameLeft)
        for c in 0..<w { grid[row, frameLeft + 1 + c] = StyledCell(horizontal) }
        grid.put(String(unicode ? "┘" : "+"), row: row, column: frameRight)
        for case let c? in xTickColumns { grid[row, frameLeft + 1 + c] = StyledCell(unicode ? "┬" : "+") }
        row += 1
        // x tick labels, skipping any that would touch the previous one.
        var lastEnd = -2
        for (tick, col) in zip(axes.x.ticks, xTickColumns) {
            guard let col else { continue }
            let label = txt(tick.label)
            var start = frameLeft + 1 + col - (label.count - 1) / 2
            start = min(start, width - label.count)
            start = max(0, start)
            if start <= lastEnd + 1 { continue }
            grid.put(label, row: row, column: start)
            lastEnd = start + label.count - 1
        }
        row += 1
        if xlabelRows > 0 {
            let t = txt(figure.xlabel)
            grid.put(t, row: row, column: frameLeft + 1 + max(0, (w - t.count) / 2))
            row += 1
        }
        if legendRows > 0 {
            for line in legendLines {
                var col = frameLeft + 1
                for e in line {
                    for cell in legendCells(e) {
                        grid[row, col] = cell
                        col += 1
                    }
                    col += 3
                }
                row += 1
            }
        }
    }

    /// Splits legend entries into lines that fit.
    private func legendLayout(_ entries: [LegendEntry], width: Int) -> [[LegendEntry]] {
        var lines: [[LegendEntry]] = []
        var current: [LegendEntry] = []
        var used = 0
        for e in entries {
            let n = legendCells(e).count
            if !current.isEmpty, used + 3 + n > width {
                lines.append(current)
                current = []
                used = 0
            }
            used += (current.isEmpty ? 0 : 3) + n
            current.append(e)
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// The cells of one legend entry: sample then name.
    private func legendCells(_ e: LegendEntry) -> [StyledCell] {
        var cells: [StyledCell] = []
        func add(_ s: String, _ color: PlotColor?) { for ch in s.unicodeScalars { cells.append(StyledCell(ch, CellStyle(color: color))) } }
        switch e.sample {
        case let .line(color, dashed): add(unicode ? (dashed ? "╌╌" : "──") : (dashed ? "- " : "--"), color)
        case let .points(color): add(unicode ? "⠤⠤" : "..", color)
        case let .marker(k, color): add(String(Glyphs.marker(k, unicode: unicode)), color)
        case let .bar(color): add(unicode ? "██" : "##", color)
        case let .level(i, n): add(unicode ? "──" : "--", Figure.levelColor(i, of: n))
        case let .ramp(lo, hi):
            add(NiceTicks.compact(lo) + " ", nil)
            let ramp = Glyphs.ramp(unicode: unicode)
            for (i, ch) in ramp.enumerated().dropFirst() {
                let f = Double(i) / Double(ramp.count - 1)
                cells.append(StyledCell(ch, CellStyle(color: rampColor(f))))
            }
            add(" " + NiceTicks.compact(hi), nil)
        }
        if !e.name.isEmpty { add(" " + txt(e.name), nil) }
        return cells
    }

    private func rampColor(_ f: Double) -> PlotColor {
        let ramp = PlotColor.ramp
        guard f.isFinite else { return ramp[ramp.count / 2] }
        return ramp[min(ramp.count - 1, max(0, Int((f * Double(ramp.count - 1)).rounded())))]
    }

    /// Draws the layers and reference lines of a panel into its `w × h` interior.
    private mutating func drawPanel(_ panel: Panel, rowOffset: Int, colOffset: Int, w: Int, h: Int,
                                    xAxis: AxisLayout, yAxis: AxisLayout) {
        var canvas = PixelCanvas(kind: kind, columns: w, rows: h)
        var under = [StyledCell?](repeating: nil, count: w * h)
        var over = [StyledCell?](repeating: nil, count: w * h)
        let map = PixelMap(x: xAxis, y: yAxis, width: canvas.pixelWidth, height: canvas.pixelHeight, yInverted: panel.yInverted)
        let colors = figure.resolvedColors(panel)
        for (layer, color) in zip(panel.layers, colors) {
            switch layer {
            case .series(let s):
                switch s.mode {
                case .line, .points:
                    SeriesRaster.draw(s, map: map, canvas: &canvas, color: color)
                case .markers:
                    for i in 0..<s.count {
                        let px = map.px(s.xValue(i)), py = map.py(s.y[i])
                        guard px.isFinite, py.isFinite, px > -0.5, py > -0.5,
                              px < Double(map.width) - 0.5, py < Double(map.height) - 0.5 else { continue }
                        let c = Int(px.rounded()) / 2, r = Int(py.rounded()) / kind.pixelsPerRow
                        guard c >= 0, c < w, r >= 0, r < h else { continue }
                        let k = s.marks?[i] ?? 0
                        over[r * w + c] = StyledCell(Glyphs.marker(k, unicode: unicode),
                                                     CellStyle(color: Figure.markColor(k, base: color)))
                    }
                }
            case .bars(let b):
                drawBars(b, map: map, w: w, h: h, color: color, cells: &under)
            case .heatmap(let g):
                drawHeatmap(g, xAxis: xAxis, yAxis: yAxis, inverted: panel.yInverted, w: w, h: h, cells: &under)
            case .contour(let c):
                for (i, level) in c.levels.enumerated() {
                    let lc = Figure.levelColor(i, of: c.levels.count)
                    for seg in c.segments(level: level) {
                        canvas.line(map.px(seg.0), map.py(seg.1), map.px(seg.2), map.py(seg.3), color: lc)
                    }
                }
            }
        }
        for line in panel.hlines {
            let py = map.py(line.y)
            guard py.isFinite, py > -0.5, py < Double(map.height) - 0.5 else { continue }
            canvas.line(0, py, Double(map.width - 1), py, color: line.color, dashed: true)
            if !line.label.isEmpty {
                let r0 = Int(py.rounded()) / kind.pixelsPerRow
                let r = r0 > 0 ? r0 - 1 : min(h - 1, r0 + 1)
                let label = Array(txt(line.label).unicodeScalars.prefix(w))
                for (j, ch) in label.enumerated() {
                    let c = w - label.count + j
                    if c >= 0, r >= 0, r < h { over[r * w + c] = StyledCell(ch, CellStyle(color: line.color)) }
                }
            }
        }
        let empty: Unicode.Scalar = kind == .braille ? "\u{2800}" : " "
        let table = kind == .braille ? Glyphs.braille : Glyphs.table(kind)
        let gridWidth = grid.width, gridHeight = grid.height
        let bits = canvas.bits, cellColors = canvas.colors
        grid.withCells { cells in
            for r in 0..<h where rowOffset + r >= 0 && rowOffset + r < gridHeight {
                let rowBase = (rowOffset + r) * gridWidth
                for c in 0..<w where colOffset + c >= 0 && colOffset + c < gridWidth {
                    let i = r * w + c
                    let cell: StyledCell
                    if let o = over[i] {
                        cell = o
                    } else if bits[i] != 0 {
                        cell = StyledCell(table[Int(bits[i])], CellStyle(color: PlotColor(rawValue: cellColors[i])))
                    } else if let u = under[i] {
                        cell = u
                    } else {
                        cell = StyledCell(empty)
                    }
                    cells[rowBase + colOffset + c] = cell
                }
            }
        }
    }

    /// Bars as cells: full blocks, with eighth blocks (▁…▇) for the top of upward bars.
    private func drawBars(_ b: Bars, map: PixelMap, w: Int, h: Int, color: PlotColor?, cells: inout [StyledCell?]) {
        let ppr = Double(kind.pixelsPerRow)
        let base = map.y.log ? map.y.lo : 0
        let baseRow = (map.py(base) + 0.5) / ppr    // continuous rows from the top
        let eighths: [Unicode.Scalar] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        for i in 0..<b.heights.count {
            let v = b.heights[i]
            // Clamped a little beyond the canvas so far-away edges convert to Int safely.
            let limit = Double(map.width) + 4
            let pl = max(-4, min(limit, map.px(b.left[i]))), pr = max(-4, min(limit, map.px(b.right[i])))
            guard v.isFinite, pl.isFinite, pr.isFinite else { continue }
            let topPy = map.py(v)
            guard topPy.isFinite else { continue }
            let top = (topPy + 0.5) / ppr
            // Cells whose centre lies inside the bar; a narrow bar keeps at least its centre cell.
            var c0 = Int(((min(pl, pr) + 0.5) / 2 - 0.5).rounded(.up))
            var c1 = Int(((max(pl, pr) + 0.5) / 2 - 0.5).rounded(.down))
            if c1 < c0 { c0 = Int((((pl + pr) / 2 + 0.5) / 2).rounded(.down)); c1 = c0 }
            c0 = max(0, c0); c1 = min(w - 1, c1)
            guard c0 <= c1 else { continue }
            let lo = min(top, baseRow), hi = max(top, baseRow)
            for c in c0...c1 {
                for r in 0..<h {
                    let overlap = min(Double(r + 1), hi) - max(Double(r), lo)
                    guard overlap > 0 else { continue }
                    var ch: Unicode.Scalar?
                    if overlap >= 0.999 {
                        ch = unicode ? "█" : "#"
                    } else if top < baseRow, top > Double(r), top < Double(r + 1) {
                        if unicode {
                            let k = Int((overlap * 8).rounded())
                            ch = k > 0 ? eighths[k] : nil
                        } else {
                            ch = overlap >= 0.5 ? "#" : (overlap >= 0.2 ? "_" : nil)
                        }
                    } else if overlap >= 0.5 {
                        ch = unicode ? "█" : "#"
                    }
                    if let ch { cells[r * w + c] = StyledCell(ch, CellStyle(color: color)) }
                }
            }
        }
    }

    /// A heatmap as shaded cells: each cell shows the mean of the finite grid values it covers.
    private func drawHeatmap(_ g: GridData, xAxis: AxisLayout, yAxis: AxisLayout, inverted: Bool, w: Int, h: Int,
                             cells: inout [StyledCell?]) {
        guard let (vlo, vhi) = g.finiteRange else { return }
        let ramp = Glyphs.ramp(unicode: unicode)
        let span = vhi - vlo
        // Data interval covered by cell column c and the grid columns inside it.
        func range(_ a: Double, _ b: Double, lo: Double, hi: Double, n: Int) -> (Int, Int)? {
            let ja = (min(a, b) - lo) / (hi - lo) * Double(n), jb = (max(a, b) - lo) / (hi - lo) * Double(n)
            guard ja.isFinite, jb.isFinite else { return nil }
            var j0 = Int(max(-1, min(Double(n), ja.rounded()))), j1 = Int(max(-1, min(Double(n), jb.rounded())))
            if j1 <= j0 { let mid = (ja + jb) / 2; j0 = Int(max(-1, min(Double(n), mid.rounded(.down)))); j1 = j0 + 1 }
            j0 = max(0, j0); j1 = min(n, j1)
            return j0 < j1 ? (j0, j1) : nil
        }
        let xs = (0..<w).map { c -> (Int, Int)? in
            let a = xAxis.lo + Double(c) / Double(w) * (xAxis.hi - xAxis.lo)
            let b = xAxis.lo + Double(c + 1) / Double(w) * (xAxis.hi - xAxis.lo)
            return range(a, b, lo: g.x.lo, hi: g.x.hi, n: g.cols)
        }
        for r in 0..<h {
            // Rows count from the top; on an inverted axis the top is the low end.
            let f0 = Double(r) / Double(h), f1 = Double(r + 1) / Double(h)
            let (a, b) = inverted
                ? (yAxis.lo + f0 * (yAxis.hi - yAxis.lo), yAxis.lo + f1 * (yAxis.hi - yAxis.lo))
                : (yAxis.hi - f1 * (yAxis.hi - yAxis.lo), yAxis.hi - f0 * (yAxis.hi - yAxis.lo))
            guard let (i0, i1) = range(a, b, lo: g.y.lo, hi: g.y.hi, n: g.rows) else { continue }
            for c in 0..<w {
                guard let (j0, j1) = xs[c] else { continue }
                var sum = 0.0, n = 0
                for i in i0..<i1 { for j in j0..<j1 { let v = g.at(i, j); if v.isFinite { sum += v; n += 1 } } }
                guard n > 0 else { continue }
                // Sums or spans beyond the Double range shade as the middle of the ramp.
                let raw = span > 0 ? (sum / Double(n) - vlo) / span : 0.5
                let t = raw.isFinite ? min(1, max(0, raw)) : 0.5
                let k = min(ramp.count - 1, max(0, Int((t * Double(ramp.count - 1)).rounded())))
                cells[r * w + c] = StyledCell(ramp[k], CellStyle(color: rampColor(t)))
            }
        }
    }
}

/// Maps data coordinates to pixel coordinates of a panel (pixel 0 at the left / top).
struct PixelMap {
    let x: AxisLayout, y: AxisLayout
    let width: Int, height: Int
    let yInverted: Bool
    private let fx: AxisFraction, fy: AxisFraction

    init(x: AxisLayout, y: AxisLayout, width: Int, height: Int, yInverted: Bool) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.yInverted = yInverted
        fx = AxisFraction(x)
        fy = AxisFraction(y)
    }

    @inline(__always)
    func px(_ v: Double) -> Double { fx(v) * Double(width - 1) }

    @inline(__always)
    func py(_ v: Double) -> Double {
        let f = fy(v)
        return (yInverted ? f : 1 - f) * Double(height - 1)
    }
}
