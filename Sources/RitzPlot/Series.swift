/// One data series of a panel: a line, a cloud of points, or marked points.
public struct Series: Sendable {
    /// How the points are drawn.
    public enum Mode: Sendable, Hashable {
        /// Consecutive finite points joined by lines; NaN or infinite values break the line.
        case line
        /// One virtual pixel a point.
        case points
        /// One glyph a point (●, ×, …), chosen by the point's mark class.
        case markers
    }

    /// Legend name ("" keeps it out of the legend).
    public var name: String
    /// How the points are drawn.
    public var mode: Mode
    /// Colour; nil takes the next colour of the palette.
    public var color: PlotColor?
    /// Mark class of each point (markers only): class k gets the k-th glyph and colour.
    public private(set) var marks: [Int]?
    /// Legend names of the mark classes.
    public var markNames: [String]
    /// Abscissae; nil means 0, 1, 2, ….
    public private(set) var x: [Double]?
    /// Ordinates (the lower end of each point's range when `yHigh` is given).
    public private(set) var y: [Double]
    /// Upper end of each point's vertical range (a min/max envelope of decimated data).
    public private(set) var yHigh: [Double]?
    /// Whether x is nondecreasing (implicit x always is); sorted series are bucketed per column.
    public let xSorted: Bool
    /// Dashed (reference curves such as the unit circle).
    public var dashed: Bool = false
    /// Finite ranges of the data, computed once: (min, max, smallest positive) of x and y.
    let xRange: FiniteRange, yRange: FiniteRange

    /// Creates a series.
    ///
    /// - Parameters:
    ///   - name: Legend name.
    ///   - x: Abscissae or nil for indices.
    ///   - y: Ordinates.
    ///   - yHigh: Upper ends of vertical ranges, or nil.
    ///   - mode: Line, points or markers.
    ///   - color: Fixed colour or nil.
    ///   - marks: Per-point mark classes, clamped to 0…63, or nil.
    ///   - markNames: Legend names of the mark classes.
    /// - Throws: `PlotError.lengthMismatch` when x, yHigh or marks differ in length from y.
    public init(name: String = "", x: [Double]? = nil, y: [Double], yHigh: [Double]? = nil,
                mode: Mode = .line, color: PlotColor? = nil, marks: [Int]? = nil,
                markNames: [String] = []) throws {
        if let x, x.count != y.count { throw PlotError.lengthMismatch(what: "x of \(name.isEmpty ? "series" : name)", expected: y.count, got: x.count) }
        if let yHigh, yHigh.count != y.count { throw PlotError.lengthMismatch(what: "upper envelope", expected: y.count, got: yHigh.count) }
        if let marks, marks.count != y.count { throw PlotError.lengthMismatch(what: "marks", expected: y.count, got: marks.count) }
        self.name = name
        self.x = x
        self.y = y
        self.yHigh = yHigh
        self.mode = mode
        self.color = color
        self.marks = marks.map { $0.map { min(63, max(0, $0)) } }
        self.markNames = markNames
        if let x {
            var sorted = true
            var previous = -Double.infinity
            for v in x {
                if v.isNaN { continue }
                if v < previous { sorted = false; break }
                previous = v
            }
            xSorted = sorted
            xRange = FiniteRange(x)
        } else {
            xSorted = true
            var r = FiniteRange()
            if !y.isEmpty { r.add(0); r.add(Double(y.count - 1)); if y.count > 1 { r.add(1) } }
            xRange = r
        }
        var r = FiniteRange(y)
        if let yHigh { r.merge(FiniteRange(yHigh)) }
        yRange = r
    }

    /// A series whose ranges and order the caller already knows (live plots keep them as
    /// points arrive); lengths must agree.
    init(name: String, x: [Double], y: [Double], yHigh: [Double]?, xRange: FiniteRange, yRange: FiniteRange, xSorted: Bool) {
        precondition(x.count == y.count && (yHigh?.count ?? y.count) == y.count)
        self.name = name
        self.x = x
        self.y = y
        self.yHigh = yHigh
        mode = .line
        color = nil
        marks = nil
        markNames = []
        self.xRange = xRange
        self.yRange = yRange
        self.xSorted = xSorted
    }

    /// Number of points.
    public var count: Int { y.count }

    /// The abscissa of point `i`.
    @inline(__always)
    func xValue(_ i: Int) -> Double { x?[i] ?? Double(i) }
}

/// Vertical bars: a histogram (contiguous bins) or a bar chart (separated categories).
public struct Bars: Sendable {
    /// Legend name.
    public var name: String
    /// Left edge of each bar.
    public var left: [Double]
    /// Right edge of each bar.
    public var right: [Double]
    /// Height of each bar (bars rise from zero).
    public var heights: [Double]
    /// Colour; nil takes the next palette colour.
    public var color: PlotColor?

    /// Creates bars.
    ///
    /// - Parameters:
    ///   - name: Legend name.
    ///   - left: Left edges.
    ///   - right: Right edges.
    ///   - heights: Heights.
    ///   - color: Colour or nil.
    /// - Throws: `PlotError.lengthMismatch` when the arrays differ in length.
    public init(name: String = "", left: [Double], right: [Double], heights: [Double], color: PlotColor? = nil) throws {
        guard left.count == heights.count else { throw PlotError.lengthMismatch(what: "bar edges", expected: heights.count, got: left.count) }
        guard right.count == heights.count else { throw PlotError.lengthMismatch(what: "bar edges", expected: heights.count, got: right.count) }
        self.name = name
        self.left = left
        self.right = right
        self.heights = heights
        self.color = color
    }
}

/// A matrix of values on a grid, shown as shaded cells (heatmap) or level lines (contour).
public struct GridData: Sendable {
    /// Rows.
    public let rows: Int
    /// Columns.
    public let cols: Int
    /// Values, row-major.
    public let values: [Double]
    /// Extent of the x axis covered (left edge of column 0 to right edge of the last column for
    /// a heatmap; first to last grid point for a contour).
    public var x: (lo: Double, hi: Double)
    /// Extent of the y axis covered, bottom to top.
    public var y: (lo: Double, hi: Double)
    /// Whether row 0 is drawn at the top (matrices) rather than at the bottom (grids).
    public var rowZeroAtTop: Bool

    /// Creates grid data.
    ///
    /// - Parameters:
    ///   - rows: Rows (≥ 1).
    ///   - cols: Columns (≥ 1).
    ///   - values: `rows * cols` values, row-major.
    ///   - x: Extent in x.
    ///   - y: Extent in y.
    ///   - rowZeroAtTop: Matrix orientation when true.
    /// - Throws: `PlotError.empty` for no rows or columns, `lengthMismatch` when the count is wrong.
    public init(rows: Int, cols: Int, values: [Double], x: (lo: Double, hi: Double), y: (lo: Double, hi: Double),
                rowZeroAtTop: Bool) throws {
        guard rows > 0, cols > 0 else { throw PlotError.empty("grid") }
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard !overflow, values.count == count else {
            throw PlotError.lengthMismatch(what: "grid values", expected: overflow ? Int.max : count, got: values.count)
        }
        self.rows = rows
        self.cols = cols
        self.values = values
        self.x = x
        self.y = y
        self.rowZeroAtTop = rowZeroAtTop
    }

    /// Value at a row and column (callers keep indices in range).
    @inline(__always)
    func at(_ r: Int, _ c: Int) -> Double { values[r * cols + c] }

    /// Smallest and largest finite value, or nil when there is none.
    var finiteRange: (Double, Double)? {
        var lo = Double.infinity, hi = -Double.infinity
        for v in values where v.isFinite {
            lo = min(lo, v)
            hi = max(hi, v)
        }
        return lo <= hi ? (lo, hi) : nil
    }
}

/// Level lines of a grid.
public struct Contour: Sendable {
    /// The grid (row 0 at the bottom, y.lo).
    public var grid: GridData
    /// Levels drawn, ascending.
    public var levels: [Double]
    /// Legend label of each level.
    public var labels: [String]
}

/// A horizontal reference line, such as the stability bound 2/lr.
public struct ReferenceLine: Sendable {
    /// Its height.
    public var y: Double
    /// Label printed at its right end.
    public var label: String
    /// Colour (gray by default).
    public var color: PlotColor
}

/// One thing drawn in a panel.
public enum Layer: Sendable {
    /// A line, points or markers.
    case series(Series)
    /// Vertical bars.
    case bars(Bars)
    /// Shaded cells.
    case heatmap(GridData)
    /// Level lines.
    case contour(Contour)
}

/// Smallest and largest finite value and smallest positive value seen.
struct FiniteRange: Sendable {
    var lo = Double.infinity, hi = -Double.infinity
    var minPositive = Double.infinity
    var maxPositive = -Double.infinity

    init() {}

    init(_ values: [Double]) {
        for v in values { add(v) }
    }

    @inline(__always)
    mutating func add(_ v: Double) {
        guard v.isFinite else { return }
        if v < lo { lo = v }
        if v > hi { hi = v }
        if v > 0 {
            if v < minPositive { minPositive = v }
            if v > maxPositive { maxPositive = v }
        }
    }

    mutating func merge(_ o: FiniteRange) {
        lo = min(lo, o.lo); hi = max(hi, o.hi)
        minPositive = min(minPositive, o.minPositive); maxPositive = max(maxPositive, o.maxPositive)
    }

    var isEmpty: Bool { lo > hi }

    /// The range a linear (false) or log (true) axis can show, or nil.
    func limits(log: Bool) -> (Double, Double)? {
        if log { return minPositive <= maxPositive ? (minPositive, maxPositive) : nil }
        return lo <= hi ? (lo, hi) : nil
    }
}
