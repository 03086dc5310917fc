import Foundation
import Testing
@testable import RitzPlot

@Suite struct LivePlotTests {
    @Test func limitsGrowMonotonicallyToNiceBounds() throws {
        var live = try LivePlot(series: ["y"])
        var previous: (AxisLayout, AxisLayout)?
        var changes = 0
        for i in 0..<2000 {
            let y = sin(Double(i) / 50) * Double(i) / 100
            try live.append(series: 0, x: Double(i), y: y)
            let f = live.figure()
            let axes = f.axes(xTarget: 6, yTargets: [5], unicode: false, aspect: 1)
            let x = axes.x, yAxis = axes.y[0]
            #expect(x.lo <= Double(i) && x.hi >= Double(i) && yAxis.lo <= y && yAxis.hi >= y)
            // From the second value on (before it, limits are padding around a single value).
            if let (px, py) = previous, i >= 2 {
                #expect(x.lo <= px.lo && x.hi >= px.hi && yAxis.lo <= py.lo && yAxis.hi >= py.hi, "step \(i): \(yAxis.lo)...\(yAxis.hi) after \(py.lo)...\(py.hi)")
                if x.hi != px.hi || yAxis.lo != py.lo || yAxis.hi != py.hi { changes += 1 }
            }
            // Limits are multiples of a 1-2-5 step that divides the span into at most 12 parts.
            for (lo, hi) in [(x.lo, x.hi), (yAxis.lo, yAxis.hi)] {
                let nice = (-8...8).flatMap { e in [1.0, 2.0, 5.0].map { $0 * pow(10, Double(e)) } }.contains { s in
                    // A limit k·s divided by s is an integer to a few ulps of k ≤ 1e3: 1e-9 is loose.
                    let a = lo / s, b = hi / s
                    return abs(a - a.rounded()) < 1e-9 && abs(b - b.rounded()) < 1e-9 && (b - a) <= 12.5
                }
                #expect(nice, "limits \(lo) \(hi)")
            }
            previous = (x, yAxis)
        }
        // The amplitude grows 10⁴-fold over 2000 points, yet the frame changes only at nice bounds.
        #expect(changes < 100, "limits changed \(changes) times")
    }

    @Test func decimationKeepsEnvelopeAndCount() throws {
        var live = try LivePlot(series: ["a"], capacity: 64)
        let n = 10_000
        for i in 0..<n { try live.append(series: 0, x: Double(i), y: i == 7777 ? 50 : (i == 1234 ? -20 : sin(Double(i)))) }
        #expect(live.count(0) == n)
        let f = live.figure()
        guard case .series(let s) = f.panels[0].layers[0] else { Issue.record("no series"); return }
        #expect(s.count <= 64 && s.count >= 32)
        #expect(s.yHigh?.max() == 50)
        #expect(s.y.min() == -20)
        #expect(s.x?.first == 0)
        // Blocks cover consecutive, equal stretches of x.
        if let x = s.x { let d = x[1] - x[0]; for i in 1..<(x.count) { #expect(x[i] - x[i - 1] == d) } }
    }

    @Test func nanPointsLeaveGapsWithoutBreakingLimits() throws {
        var live = try LivePlot(series: ["a"], capacity: 16)
        for i in 0..<10 { try live.append(series: 0, x: Double(i), y: i == 5 ? .nan : Double(i)) }
        let axes = live.figure().axes(xTarget: 5, yTargets: [4], unicode: true, aspect: 1)
        #expect(axes.y[0].lo == 0 && axes.y[0].hi >= 9 && axes.y[0].hi <= 10)
    }

    @Test func unknownSeriesThrows() throws {
        var live = try LivePlot(series: ["a", "b"], panels: [0, 1])
        #expect(throws: PlotError.self) { try live.append(series: 2, x: 0, y: 0) }
        #expect(throws: PlotError.self) { try live.append("c", x: 0, y: 0) }
        #expect(throws: PlotError.self) { try LivePlot(series: ["a"], panels: [0, 1]) }
        #expect(throws: PlotError.self) { try LivePlot(series: ["a"], panels: [-1]) }
        try live.append("b", x: 1, y: 2)
        #expect(live.figure().panels.map(\.ylabel) == ["a", "b"])
    }
}
