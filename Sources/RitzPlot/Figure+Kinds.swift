import Foundation

extension Figure {
    /// A line plot of one series.
    ///
    /// - Parameters:
    ///   - y: Ordinates; NaN and infinite values leave gaps.
    ///   - x: Abscissae, or nil for 0, 1, ….
    ///   - name: Legend name.
    /// - Returns: The figure.
    /// - Throws: `PlotError.lengthMismatch` when x and y differ in length.
    public static func line(_ y: [Double], x: [Double]? = nil, name: String = "") throws -> Figure {
        var f = Figure()
        try f.addLine(y, x: x, name: name)
        return f
    }

    /// A line plot of several series sharing the axes.
    ///
    /// - Parameters:
    ///   - series: (name, x or nil, y) of each series.
    /// - Returns: The figure (legend shown when more than one series is named).
    /// - Throws: `PlotError.lengthMismatch` when a series' x and y differ in length.
    public static func lines(_ series: [(name: String, x: [Double]?, y: [Double])]) throws -> Figure {
        var f = Figure()
        for s in series { try f.addLine(s.y, x: s.x, name: s.name) }
        return f
    }

    /// A scatter plot.
    ///
    /// - Parameters:
    ///   - x: Abscissae.
    ///   - y: Ordinates.
    ///   - name: Legend name.
    ///   - marks: Optional mark class of each point; when given every point is drawn as a glyph
    ///     (class 0 ●, 1 ×, 2 ◆, …) in its class colour, otherwise as a dot.
    ///   - markNames: Legend names of the classes.
    /// - Returns: The figure.
    /// - Throws: `PlotError.lengthMismatch` on differing lengths.
    public static func scatter(x: [Double], y: [Double], name: String = "", marks: [Int]? = nil,
                               markNames: [String] = []) throws -> Figure {
        var f = Figure()
        f.add(.series(try Series(name: name, x: x, y: y, mode: marks == nil ? .points : .markers,
                                 marks: marks, markNames: markNames)))
        return f
    }

    /// A histogram with equal-width bins over the finite values (NumPy's `histogram` edges: the
    /// last bin includes its right edge; a single distinct value v gets the range [v-0.5, v+0.5]).
    ///
    /// - Parameters:
    ///   - values: The sample; non-finite values are ignored.
    ///   - bins: Number of bins; nil uses Sturges' rule ⌈log₂ n⌉ + 1.
    ///   - name: Legend name.
    /// - Returns: The figure, y labelled "count".
    /// - Throws: `PlotError.invalidOption` for fewer than one bin, `PlotError.empty` when no value is finite.
    public static func histogram(_ values: [Double], bins: Int? = nil, name: String = "") throws -> Figure {
        let finite = values.filter { $0.isFinite }
        guard !finite.isEmpty else { throw PlotError.empty("histogram") }
        let n = bins ?? (Int(log2(Double(finite.count)).rounded(.up)) + 1)
        guard n >= 1, n <= 100_000 else { throw PlotError.invalidOption("bins must be between 1 and 100000, got \(n)") }
        var lo = finite.min() ?? 0, hi = finite.max() ?? 1
        if lo == hi { lo -= 0.5; hi += 0.5 }
        let width = (hi - lo) / Double(n)
        var counts = [Double](repeating: 0, count: n)
        for v in finite {
            let t = (v - lo) / width
            let k = t.isFinite ? min(n - 1, max(0, Int(min(Double(n), max(0, t))))) : (v > lo ? n - 1 : 0)
            counts[k] += 1
        }
        let left = (0..<n).map { lo + Double($0) * width }
        let right = (0..<n).map { $0 == n - 1 ? hi : lo + Double($0 + 1) * width }
        var f = Figure()
        f.add(.bars(try Bars(name: name, left: left, right: right, heights: counts)))
        f.ylabel = "count"
        return f
    }

    /// A spectral density: a line on a logarithmic y axis showing at most ten decades below
    /// its peak.
    ///
    /// - Parameters:
    ///   - x: Abscissae (eigenvalue axis).
    ///   - y: Density values; zeros leave gaps on the log axis.
    ///   - name: Legend name.
    /// - Returns: The figure.
    /// - Throws: `PlotError.lengthMismatch` on differing lengths.
    public static func density(x: [Double], y: [Double], name: String = "") throws -> Figure {
        var f = try line(y, x: x, name: name)
        f.logy = true
        f.panels[0].yDecades = 10
        f.ylabel = "density"
        f.xlabel = "eigenvalue"
        return f
    }

    /// A heatmap of a matrix: row 0 at the top, column 0 at the left, axes counting entries.
    ///
    /// - Parameters:
    ///   - values: `rows * cols` values, row-major; non-finite entries are left blank.
    ///   - rows: Rows.
    ///   - cols: Columns.
    /// - Returns: The figure.
    /// - Throws: `PlotError` when the count is wrong or the matrix is empty.
    public static func heatmap(_ values: [Double], rows: Int, cols: Int) throws -> Figure {
        let grid = try GridData(rows: rows, cols: cols, values: values,
                                x: (-0.5, Double(cols) - 0.5), y: (-0.5, Double(rows) - 0.5), rowZeroAtTop: true)
        var p = Panel(layers: [.heatmap(grid)])
        p.yInverted = true
        return Figure(panels: [p])
    }

    /// A bar chart: one bar per value at x = 0, 1, …, labelled by `labels` when given.
    ///
    /// - Parameters:
    ///   - heights: Bar heights (bars rise from zero; negative ones hang below).
    ///   - labels: Category names, or nil for numeric ticks.
    ///   - name: Legend name.
    /// - Returns: The figure.
    /// - Throws: `PlotError.lengthMismatch` when labels and heights differ in count.
    public static func bar(_ heights: [Double], labels: [String]? = nil, name: String = "") throws -> Figure {
        if let labels, labels.count != heights.count {
            throw PlotError.lengthMismatch(what: "bar labels", expected: heights.count, got: labels.count)
        }
        let centers = heights.indices.map(Double.init)
        var f = Figure()
        f.add(.bars(try Bars(name: name, left: centers.map { $0 - 0.35 }, right: centers.map { $0 + 0.35 },
                             heights: heights)))
        f.xlim = (-0.5, Double(max(1, heights.count)) - 0.5)
        if let labels { f.xTickLabels = zip(centers, labels).map { Tick($0, $1) } }
        return f
    }

    /// Eigenvalues in the complex plane with the unit circle, equal scales on both axes.
    ///
    /// - Parameters:
    ///   - re: Real parts.
    ///   - im: Imaginary parts.
    ///   - marks: Mark class per eigenvalue (e.g. 0 accurate, 1 spurious), or nil for one class.
    ///   - markNames: Legend names of the classes.
    ///   - unitCircle: Whether to draw |z| = 1.
    /// - Returns: The figure, axes labelled Re and Im.
    /// - Throws: `PlotError.lengthMismatch` on differing lengths.
    public static func spectrum(re: [Double], im: [Double], marks: [Int]? = nil, markNames: [String] = [],
                                unitCircle: Bool = true) throws -> Figure {
        var p = Panel()
        if unitCircle {
            let n = 256
            let t = (0...n).map { 2 * Double.pi * Double($0) / Double(n) }
            var circle = try Series(name: "", x: t.map { cos($0) }, y: t.map { sin($0) }, mode: .line, color: .gray)
            circle.dashed = true
            p.layers.append(.series(circle))
        }
        p.layers.append(.series(try Series(name: "eigenvalues", x: re, y: im, mode: .markers,
                                           marks: marks ?? Array(repeating: 0, count: re.count),
                                           markNames: markNames)))
        p.equalAspect = true
        p.ylabel = "Im"
        var f = Figure(panels: [p])
        f.xlabel = "Re"
        return f
    }

    /// Eigenvalues in the complex plane, marked by their residuals: residual ≤ tolerance is
    /// drawn as ● and larger residuals as × (spurious in residual DMD).
    ///
    /// - Parameters:
    ///   - re: Real parts.
    ///   - im: Imaginary parts.
    ///   - residuals: Residual of each eigenpair.
    ///   - tolerance: The threshold.
    /// - Returns: The figure.
    /// - Throws: `PlotError.lengthMismatch` on differing lengths.
    public static func spectrum(re: [Double], im: [Double], residuals: [Double], tolerance: Double) throws -> Figure {
        guard residuals.count == re.count else { throw PlotError.lengthMismatch(what: "residuals", expected: re.count, got: residuals.count) }
        let marks = residuals.map { $0 <= tolerance ? 0 : 1 }
        let t = NiceTicks.label(tolerance, step: tolerance)
        return try spectrum(re: re, im: im, marks: marks, markNames: ["residual ≤ \(t)", "residual > \(t)"])
    }

    /// Level lines of values on a regular grid (pseudospectra: log₁₀ of the smallest singular
    /// value of zI − A on a grid of z).
    ///
    /// - Parameters:
    ///   - values: `rows * cols` values, row-major, row 0 at y.lo, column 0 at x.lo.
    ///   - rows: Grid rows (≥ 2).
    ///   - cols: Grid columns (≥ 2).
    ///   - x: First and last grid abscissa.
    ///   - y: First and last grid ordinate.
    ///   - levels: Levels to draw; nil picks about six nice levels inside the value range.
    ///   - labels: Legend label per level; nil formats the level.
    /// - Returns: The figure.
    /// - Throws: `PlotError` for a grid smaller than 2×2 or a wrong count.
    public static func contour(_ values: [Double], rows: Int, cols: Int, x: (lo: Double, hi: Double),
                               y: (lo: Double, hi: Double), levels: [Double]? = nil,
                               labels: [String]? = nil) throws -> Figure {
        guard rows >= 2, cols >= 2 else { throw PlotError.invalidOption("contour grid must be at least 2×2") }
        let grid = try GridData(rows: rows, cols: cols, values: values, x: x, y: y, rowZeroAtTop: false)
        var lv: [Double]
        var names: [String]
        if let levels {
            lv = levels.filter { $0.isFinite }.sorted()
            names = labels ?? lv.map { NiceTicks.label($0, step: Swift.abs($0) > 0 ? Swift.abs($0) / 10 : 1) }
        } else {
            let (lo, hi) = grid.finiteRange ?? (0, 1)
            let axis = NiceTicks.linear(lo, hi, target: 6, expand: false)
            lv = axis.ticks.map(\.value).filter { $0 > lo && $0 < hi }
            names = axis.ticks.filter { $0.value > lo && $0.value < hi }.map(\.label)
        }
        if names.count != lv.count { throw PlotError.lengthMismatch(what: "contour labels", expected: lv.count, got: names.count) }
        var f = Figure(panels: [Panel(layers: [.contour(Contour(grid: grid, levels: lv, labels: names))])])
        f.panels[0].equalAspect = false
        return f
    }

    /// Small multiples: the panels of several figures stacked, sharing one x axis.
    ///
    /// Each figure's first panel label is its y label, or its title when that is empty.
    /// - Parameters:
    ///   - figures: Figures, top to bottom.
    /// - Returns: The stacked figure (x label and log x of the last figure that has them).
    public static func stacked(_ figures: [Figure]) -> Figure {
        var panels: [Panel] = []
        var xlabel = "", logx = false
        for fig in figures {
            for (i, var p) in fig.panels.enumerated() {
                if i == 0, p.ylabel.isEmpty { p.ylabel = fig.title }
                panels.append(p)
            }
            if !fig.xlabel.isEmpty { xlabel = fig.xlabel }
            logx = logx || fig.logx
        }
        var f = Figure(panels: panels)
        f.xlabel = xlabel
        f.logx = logx
        return f
    }
}
