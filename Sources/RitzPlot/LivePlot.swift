import Foundation

/// A plot that takes points one at a time (a training run's curves) and yields figures.
///
/// Axis limits only grow, to nice bounds (1-2-5 multiples; x with 20% headroom), so successive
/// frames do not jitter. Each series keeps at most `capacity` entries: when full, neighbouring
/// entries merge pairwise into min/max ranges (block size doubles), so a snapshot costs
/// O(capacity) to draw however long the run, and every spike stays visible.
public struct LivePlot: Sendable {
    /// Entries kept per series before pairs are merged.
    public let capacity: Int
    /// Series names.
    public private(set) var names: [String]
    /// Panel of each series.
    public private(set) var panelOf: [Int]
    /// Title of the figure.
    public var title: String = ""
    /// x label.
    public var xlabel: String = ""
    /// y label of each panel.
    public var panelLabels: [String]
    /// Logarithmic y per panel.
    public var logy: [Bool]
    /// Reference lines per panel.
    public private(set) var hlines: [[ReferenceLine]]

    private var xs: [[Double]]
    private var lows: [[Double]]
    private var highs: [[Double]]
    private var block: [Int]
    private var fill: [Int]
    private var rawCounts: [Int]
    private var xData = FiniteRange()
    /// Per series: x and y ranges of everything appended, and whether x never decreased.
    private var seriesX: [FiniteRange]
    private var seriesY: [FiniteRange]
    private var seriesSorted: [Bool]
    private var yData: [FiniteRange]
    private var xLimits: (lo: Double, hi: Double)?
    private var yLimits: [(lo: Double, hi: Double)?]
    private var yWasDegenerate: [Bool]

    /// Creates a live plot.
    ///
    /// - Parameters:
    ///   - series: Series names.
    ///   - panels: Panel index of each series (nil: all in one panel); panels are stacked and
    ///     share the x axis.
    ///   - panelLabels: y label of each panel (nil: the name of its first series).
    ///   - capacity: Entries kept per series (at least 16); 2048 is eight entries per pixel
    ///     column of a 120-column braille plot.
    /// - Throws: `PlotError.lengthMismatch` when `panels` and `series` differ in length,
    ///   `PlotError.invalidOption` for a negative panel index.
    public init(series: [String], panels: [Int]? = nil, panelLabels: [String]? = nil, capacity: Int = 2048) throws {
        let assignment = panels ?? Array(repeating: 0, count: series.count)
        guard assignment.count == series.count else {
            throw PlotError.lengthMismatch(what: "panels", expected: series.count, got: assignment.count)
        }
        guard assignment.allSatisfy({ $0 >= 0 && $0 < 64 }) else { throw PlotError.invalidOption("panel index must be in 0..<64") }
        let panelCount = (assignment.max() ?? 0) + 1
        self.capacity = max(16, capacity)
        names = series
        panelOf = assignment
        var labels = panelLabels ?? []
        while labels.count < panelCount {
            let p = labels.count
            labels.append(panels == nil ? "" : (zip(series, assignment).first { $0.1 == p }?.0 ?? ""))
        }
        self.panelLabels = labels
        logy = Array(repeating: false, count: panelCount)
        hlines = Array(repeating: [], count: panelCount)
        xs = Array(repeating: [], count: series.count)
        lows = xs
        highs = xs
        block = Array(repeating: 1, count: series.count)
        fill = Array(repeating: 0, count: series.count)
        rawCounts = fill
        seriesX = Array(repeating: FiniteRange(), count: series.count)
        seriesY = seriesX
        seriesSorted = Array(repeating: true, count: series.count)
        yData = Array(repeating: FiniteRange(), count: panelCount)
        yLimits = Array(repeating: nil, count: panelCount)
        yWasDegenerate = Array(repeating: false, count: panelCount)
    }

    /// Number of points appended to a series so far.
    ///
    /// - Parameters:
    ///   - series: Series index.
    /// - Returns: The count (0 for an unknown index).
    public func count(_ series: Int) -> Int { rawCounts.indices.contains(series) ? rawCounts[series] : 0 }

    /// Adds a point to a series.
    ///
    /// - Parameters:
    ///   - series: Series index.
    ///   - x: Abscissa (points of a series should arrive in increasing x).
    ///   - y: Ordinate; NaN leaves a gap.
    /// - Throws: `PlotError.invalidOption` for an unknown series.
    public mutating func append(series: Int, x: Double, y: Double) throws {
        guard names.indices.contains(series) else { throw PlotError.invalidOption("no series \(series)") }
        let s = series
        rawCounts[s] += 1
        if x.isFinite, x < seriesX[s].hi { seriesSorted[s] = false }
        seriesX[s].add(x)
        seriesY[s].add(y)
        if fill[s] > 0, fill[s] < block[s], let last = xs[s].indices.last {
            // Merge into the open block (NaN only where the whole block is NaN).
            if y.isFinite {
                lows[s][last] = lows[s][last].isNaN ? y : min(lows[s][last], y)
                highs[s][last] = highs[s][last].isNaN ? y : max(highs[s][last], y)
            }
            fill[s] += 1
        } else {
            xs[s].append(x)
            lows[s].append(y)
            highs[s].append(y)
            fill[s] = 1
            if xs[s].count > capacity { halve(s) }
        }
        grow(x: x, y: y, panel: panelOf[s])
    }

    /// Adds a point to the series with a name.
    ///
    /// - Parameters:
    ///   - name: Series name.
    ///   - x: Abscissa.
    ///   - y: Ordinate.
    /// - Throws: `PlotError.invalidOption` for an unknown name.
    public mutating func append(_ name: String, x: Double, y: Double) throws {
        guard let i = names.firstIndex(of: name) else { throw PlotError.invalidOption("no series named \(name)") }
        try append(series: i, x: x, y: y)
    }

    /// Adds (or replaces, by label) a horizontal reference line in a panel.
    ///
    /// - Parameters:
    ///   - y: Height.
    ///   - label: Label; a line with the same label in the panel is replaced.
    ///   - panel: Panel index.
    public mutating func setHLine(_ y: Double, label: String, panel: Int = 0) {
        guard hlines.indices.contains(panel) else { return }
        hlines[panel].removeAll { $0.label == label }
        hlines[panel].append(ReferenceLine(y: y, label: label, color: .gray))
        grow(x: .nan, y: y, panel: panel)
    }

    /// Merges neighbouring entries of a series pairwise.
    private mutating func halve(_ s: Int) {
        let n = xs[s].count
        var nx: [Double] = [], nl: [Double] = [], nh: [Double] = []
        nx.reserveCapacity(capacity)
        nl.reserveCapacity(capacity)
        nh.reserveCapacity(capacity)
        var i = 0
        while i < n {
            if i + 1 < n {
                nx.append(xs[s][i])
                nl.append(Self.nanMin(lows[s][i], lows[s][i + 1]))
                nh.append(Self.nanMax(highs[s][i], highs[s][i + 1]))
            } else {
                nx.append(xs[s][i]); nl.append(lows[s][i]); nh.append(highs[s][i])
            }
            i += 2
        }
        // The last entry held `fill` points of the old block size; after merging it holds
        // a full old block plus that (or only that, when n was odd).
        fill[s] = n % 2 == 0 ? block[s] + fill[s] : fill[s]
        block[s] *= 2
        xs[s] = nx; lows[s] = nl; highs[s] = nh
    }

    private static func nanMin(_ a: Double, _ b: Double) -> Double { a.isNaN ? b : (b.isNaN ? a : min(a, b)) }
    private static func nanMax(_ a: Double, _ b: Double) -> Double { a.isNaN ? b : (b.isNaN ? a : max(a, b)) }

    /// Grows the limits to include a point: never shrinking, always to nice bounds.
    private mutating func grow(x: Double, y: Double, panel: Int) {
        xData.add(x)
        if x.isFinite, !(xLimits.map { x >= $0.lo && x <= $0.hi } ?? false) {
            var lo = xData.lo, hi = xData.hi
            if hi == lo { hi = lo + 1 }
            hi = lo + (hi - lo) * 1.2
            let nice = NiceTicks.linear(lo, hi, target: 5)
            lo = min(nice.lo, xLimits?.lo ?? nice.lo)
            hi = max(nice.hi, xLimits?.hi ?? nice.hi)
            xLimits = (lo, hi)
        }
        guard y.isFinite, yData.indices.contains(panel) else { return }
        let log = logy[panel]
        if log, y <= 0 { return }
        yData[panel].add(y)
        if let l = yLimits[panel], y >= l.lo, y <= l.hi, !yWasDegenerate[panel] { return }
        let nice = log
            ? NiceTicks.logarithmic(yData[panel].minPositive, yData[panel].maxPositive, target: 5, unicode: false)
            : NiceTicks.linear(yData[panel].lo, yData[panel].hi, target: 5)
        // Limits padded around a single value are replaced, not kept, once a second value arrives.
        let degenerate = yData[panel].lo == yData[panel].hi
        let old = yWasDegenerate[panel] ? nil : yLimits[panel]
        yWasDegenerate[panel] = degenerate
        yLimits[panel] = (min(nice.lo, old?.lo ?? nice.lo), max(nice.hi, old?.hi ?? nice.hi))
    }

    /// The current state as a figure (limits fixed to the grown nice bounds).
    ///
    /// - Returns: A figure with one panel per panel index, stacked.
    public func figure() -> Figure {
        var panels = (0..<panelLabels.count).map { p -> Panel in
            var panel = Panel()
            panel.ylabel = panelLabels[p]
            panel.logy = logy[p]
            panel.hlines = hlines[p]
            if let l = yLimits[p], !(logy[p] && l.lo <= 0) { panel.ylim = l }
            return panel
        }
        for s in names.indices {
            let merged = block[s] > 1
            let series = Series(name: names[s], x: xs[s], y: lows[s], yHigh: merged ? highs[s] : nil,
                                xRange: seriesX[s], yRange: seriesY[s], xSorted: seriesSorted[s])
            panels[panelOf[s]].layers.append(.series(series))
        }
        var f = Figure(panels: panels)
        f.title = title
        f.xlabel = xlabel
        f.xlim = xLimits
        return f
    }
}
