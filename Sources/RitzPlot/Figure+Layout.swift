import Foundation

/// Something the legend shows beside a name.
enum LegendSample: Equatable {
    case line(PlotColor?, dashed: Bool)
    case points(PlotColor?)
    case marker(Int, PlotColor?)
    case bar(PlotColor?)
    /// Contour level `index` of `count` (ramp colour in the terminal, viridis in SVG).
    case level(index: Int, count: Int)
    /// A colour bar from the low to the high value of a heatmap.
    case ramp(lo: Double, hi: Double)
}

/// One legend entry.
struct LegendEntry {
    var sample: LegendSample
    var name: String
}

extension Figure {
    /// Colour of each layer of a panel after automatic assignment: layers without a colour take
    /// the palette in order.
    func resolvedColors(_ panel: Panel) -> [PlotColor?] {
        var next = 0
        return panel.layers.map { layer in
            switch layer {
            case .series(let s):
                if let c = s.color { return c }
                defer { next += 1 }
                return PlotColor.series(next)
            case .bars(let b):
                if let c = b.color { return c }
                defer { next += 1 }
                return PlotColor.series(next)
            case .heatmap, .contour:
                return nil
            }
        }
    }

    /// Colour of mark class `k` of a series whose own colour is `base`.
    static func markColor(_ k: Int, base: PlotColor?) -> PlotColor? {
        if k == 0 { return base }
        let start = PlotColor.cycle.firstIndex(of: base ?? .blue) ?? 0
        return PlotColor.series(start + k)
    }

    /// Colour of contour level `i` of `n`: the heatmap ramp from low to high.
    static func levelColor(_ i: Int, of n: Int) -> PlotColor {
        let ramp = PlotColor.ramp
        guard n > 1 else { return ramp[0] }
        return ramp[min(ramp.count - 1, max(0, Int((Double(i) / Double(n - 1) * Double(ramp.count - 1)).rounded())))]
    }

    /// Legend entries of every panel, and whether the legend is shown.
    func legendEntries() -> [LegendEntry] {
        var entries: [LegendEntry] = []
        for panel in panels {
            let colors = resolvedColors(panel)
            for (layer, color) in zip(panel.layers, colors) {
                switch layer {
                case .series(let s):
                    switch s.mode {
                    case .line: if !s.name.isEmpty { entries.append(LegendEntry(sample: .line(color, dashed: s.dashed), name: s.name)) }
                    case .points: if !s.name.isEmpty { entries.append(LegendEntry(sample: .points(color), name: s.name)) }
                    case .markers:
                        if !s.markNames.isEmpty {
                            let present = Set(s.marks ?? [])
                            for (k, name) in s.markNames.enumerated() where present.contains(k) {
                                entries.append(LegendEntry(sample: .marker(k, Self.markColor(k, base: color)), name: name))
                            }
                        } else if !s.name.isEmpty {
                            entries.append(LegendEntry(sample: .marker(0, color), name: s.name))
                        }
                    }
                case .bars(let b):
                    if !b.name.isEmpty { entries.append(LegendEntry(sample: .bar(color), name: b.name)) }
                case .heatmap(let g):
                    if let (lo, hi) = g.finiteRange { entries.append(LegendEntry(sample: .ramp(lo: lo, hi: hi), name: "")) }
                case .contour(let c):
                    for (i, label) in c.labels.enumerated() {
                        entries.append(LegendEntry(sample: .level(index: i, count: c.levels.count), name: label))
                    }
                }
            }
        }
        if legend == false { return [] }
        if legend == true { return entries }
        let named = entries.filter { if case .ramp = $0.sample { return false }; return true }
        let hasRamp = entries.count != named.count
        let hasMarks = panels.contains { $0.layers.contains { if case .series(let s) = $0 { return s.mode == .markers && !s.markNames.isEmpty }; return false } }
        let hasContour = panels.contains { $0.layers.contains { if case .contour = $0 { return true }; return false } }
        if named.count >= 2 || hasRamp || hasMarks || hasContour { return entries }
        return []
    }

    /// The finite data range along x of all panels.
    func xDataRange() -> FiniteRange {
        var r = FiniteRange()
        for panel in panels {
            for layer in panel.layers {
                switch layer {
                case .series(let s): r.merge(s.xRange)
                case .bars(let b):
                    for v in b.left { r.add(v) }
                    for v in b.right { r.add(v) }
                case .heatmap(let g): r.add(g.x.lo); r.add(g.x.hi)
                case .contour(let c): r.add(c.grid.x.lo); r.add(c.grid.x.hi)
                }
            }
        }
        return r
    }

    /// The finite data range along y of one panel, with its reference lines (and zero for bars).
    func yDataRange(_ panel: Panel) -> FiniteRange {
        var r = FiniteRange()
        for layer in panel.layers {
            switch layer {
            case .series(let s): r.merge(s.yRange)
            case .bars(let b):
                for v in b.heights { r.add(v) }
                if !panel.logy { r.add(0) }
            case .heatmap(let g): r.add(g.y.lo); r.add(g.y.hi)
            case .contour(let c): r.add(c.grid.y.lo); r.add(c.grid.y.hi)
            }
        }
        for h in panel.hlines { r.add(h.y) }
        return r
    }

    /// Chooses the limits and ticks of every axis.
    ///
    /// - Parameters:
    ///   - xTarget: About how many x tick intervals fit.
    ///   - yTargets: About how many y tick intervals fit, per panel.
    ///   - unicode: Whether labels may use superscripts.
    ///   - aspect: Physical width over height of the first panel's plotting area (for equal aspect).
    /// - Returns: The x axis and one y axis per panel.
    func axes(xTarget: Int, yTargets: [Int], unicode: Bool, aspect: Double) -> (x: AxisLayout, y: [AxisLayout]) {
        let exactX = panels.contains { $0.hasGrid } || xTickLabels != nil
        var xr = xDataRange()
        if let xlim { xr = FiniteRange(); xr.add(xlim.lo); xr.add(xlim.hi); xr.minPositive = max(xlim.lo, Double.leastNormalMagnitude); xr.maxPositive = xlim.hi }
        let xTarget = max(1, xTarget)

        if panels.count == 1, panels[0].equalAspect, !logx, !panels[0].logy {
            let yr = yDataRange(panels[0])
            var (a, b) = NiceTicks.sanitize(xr.lo, xr.hi)
            var (c, d) = NiceTicks.sanitize(yr.lo, yr.hi)
            if let ylim = panels[0].ylim { (c, d) = NiceTicks.sanitize(ylim.lo, ylim.hi) }
            let padX = (b - a) * 0.06, padY = (d - c) * 0.06
            a -= padX; b += padX; c -= padY; d += padY
            let ratio = (b - a) / (d - c)
            if aspect > 0, aspect.isFinite {
                if ratio < aspect {
                    let mid = (a + b) / 2, half = aspect * (d - c) / 2
                    (a, b) = (mid - half, mid + half)
                } else {
                    let mid = (c + d) / 2, half = (b - a) / aspect / 2
                    (c, d) = (mid - half, mid + half)
                }
            }
            let x = xTickLabels.map { AxisLayout(lo: a, hi: b, log: false, ticks: $0) }
                ?? NiceTicks.linear(a, b, target: xTarget, expand: false)
            return (x, [NiceTicks.linear(c, d, target: max(1, yTargets.first ?? 4), expand: false)])
        }

        let x: AxisLayout
        if let labels = xTickLabels {
            let (a, b) = NiceTicks.sanitize(xr.lo, xr.hi)
            x = AxisLayout(lo: a, hi: b, log: false, ticks: labels.filter { $0.value >= a && $0.value <= b })
        } else if logx {
            x = NiceTicks.logarithmic(xr.minPositive, xr.maxPositive, target: xTarget, unicode: unicode, expand: !exactX)
        } else {
            x = NiceTicks.linear(xr.lo, xr.hi, target: xTarget, expand: !exactX && xlim == nil)
        }
        var ys: [AxisLayout] = []
        for (i, panel) in panels.enumerated() {
            let target = max(1, i < yTargets.count ? yTargets[i] : 4)
            var yr = yDataRange(panel)
            let fixed = panel.ylim != nil
            if let ylim = panel.ylim {
                yr = FiniteRange(); yr.add(ylim.lo); yr.add(ylim.hi)
                if ylim.lo > 0 { yr.minPositive = ylim.lo }
            }
            if panel.logy {
                var lo = yr.minPositive, hi = yr.maxPositive
                if let decades = panel.yDecades, hi.isFinite, lo < hi / pow(10, decades) { lo = hi / pow(10, decades) }
                if fixed, let ylim = panel.ylim, ylim.lo > 0 { lo = ylim.lo; hi = ylim.hi }
                ys.append(NiceTicks.logarithmic(lo, hi, target: target * 3 / 2, unicode: unicode, expand: !panel.hasGrid && !fixed))
            } else {
                ys.append(NiceTicks.linear(yr.lo, yr.hi, target: target, expand: !panel.hasGrid && !fixed))
            }
        }
        return (x, ys)
    }
}
