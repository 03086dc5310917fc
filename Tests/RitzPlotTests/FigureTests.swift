import Foundation
import Testing
@testable import RitzPlot

@Suite struct FigureTests {
    @Test func lengthMismatchesThrow() {
        #expect(throws: PlotError.lengthMismatch(what: "x of series", expected: 3, got: 2)) { try Figure.line([1, 2, 3], x: [0, 1]) }
        #expect(throws: PlotError.lengthMismatch(what: "grid values", expected: 6, got: 5)) { try Figure.heatmap([1, 2, 3, 4, 5], rows: 2, cols: 3) }
        #expect(throws: PlotError.self) { try Figure.heatmap([], rows: 0, cols: 3) }
        #expect(throws: PlotError.self) { try Figure.heatmap([1], rows: Int.max, cols: 3) }
        #expect(throws: PlotError.empty("histogram")) { try Figure.histogram([.nan, .infinity]) }
        #expect(throws: PlotError.self) { try Figure.histogram([1, 2], bins: 0) }
        #expect(throws: PlotError.self) { try Figure.bar([1, 2], labels: ["a"]) }
        #expect(throws: PlotError.self) { try Figure.contour([1, 2], rows: 1, cols: 2, x: (0, 1), y: (0, 1)) }
        #expect(throws: PlotError.self) { try Figure.spectrum(re: [1], im: [1], residuals: [], tolerance: 1) }
        #expect(throws: PlotError.self) { try Figure.line([1]).fileContents(for: "/tmp/x.png") }
    }

    @Test func histogramMatchesNumPyEdges() throws {
        // numpy.histogram([0, 1, 1, 2, 3, 3, 3, 4], bins=4) → counts [1, 2, 1, 4], edges 0, 1, 2, 3, 4.
        let f = try Figure.histogram([0, 1, 1, 2, 3, 3, 3, 4], bins: 4)
        guard case .bars(let b) = f.panels[0].layers[0] else { Issue.record("not bars"); return }
        #expect(b.heights == [1, 2, 1, 4])
        #expect(b.left == [0, 1, 2, 3])
        #expect(b.right == [1, 2, 3, 4])
        // Sturges: ⌈log₂ 8⌉ + 1 = 4 bins.
        guard case .bars(let s) = try Figure.histogram([0, 1, 1, 2, 3, 3, 3, 4]).panels[0].layers[0] else { return }
        #expect(s.heights.count == 4)
    }

    @Test func overlayMergesPanelsAndRecolours() throws {
        let a = try Figure.line([1, 2, 3], name: "a")
        let b = try Figure.line([3, 2, 1], name: "b").hline(2, label: "mid")
        let f = a.overlay(b)
        #expect(f.panels.count == 1)
        #expect(f.panels[0].layers.count == 2)
        #expect(f.panels[0].hlines.count == 1)
        #expect(f.resolvedColors(f.panels[0]) == [.blue, .red])
        #expect(f.legendEntries().map(\.name) == ["a", "b"])
    }

    @Test func stackedPanelsShareX() throws {
        var top = try Figure.line([1, 2, 3, 4], name: "loss")
        top.ylabel = "loss"
        var bottom = try Figure.line([0, 10], x: [0, 8], name: "sharpness")
        bottom.title = "sharpness"
        let f = Figure.stacked([top, bottom]).hline(5, label: "2/lr", panel: 1)
        #expect(f.panels.map(\.ylabel) == ["loss", "sharpness"])
        let axes = f.axes(xTarget: 4, yTargets: [3, 3], unicode: true, aspect: 1)
        #expect(axes.x.lo == 0 && axes.x.hi == 8)
        let text = f.renderText(width: 50, height: 20, canvas: .ascii, color: false)
        #expect(text.contains("loss") && text.contains("sharpness") && text.contains("2/lr"))
    }

    @Test(arguments: CanvasKind.allCases)
    func tinyAndOddSizesNeverCrash(kind: CanvasKind) throws {
        let figures = try GoldenTests.figures()
        for (_, f) in figures {
            for (w, h) in [(0, 0), (1, 1), (5, 3), (12, 4), (13, 9), (200, 6), (14, 60)] {
                let g = f.render(width: w, height: h, canvas: kind)
                #expect(g.width == max(0, w) && g.height == max(0, h))
            }
        }
    }

    @Test func extremeDataNeverCrashes() throws {
        let tiny = [0, Double.leastNonzeroMagnitude, .leastNonzeroMagnitude, 0]
        let huge = [-1e308, 1e308, 0, .nan, .infinity]
        var figures = [try Figure.histogram(tiny, bins: 10), try Figure.histogram(huge),
                       try Figure.line(huge), try Figure.scatter(x: huge, y: huge, marks: [Int.max, -5, 0, 1, 2]),
                       try Figure.bar(huge), try Figure.heatmap(huge + [1], rows: 2, cols: 3)]
        var narrow = try Figure.line((0..<5000).map { Double($0) }, x: (0..<5000).map { Double($0) * 1e300 })
        narrow.xlim = (0, 1)
        figures.append(narrow)
        var bars = try Figure.bar([1, 2, 3])
        bars.xlim = (1e-300, 2e-300)
        figures.append(bars)
        for f in figures {
            for kind in CanvasKind.allCases { _ = f.renderText(width: 40, height: 12, canvas: kind, color: true) }
            #expect(SVGCollector.parse(f.svg()) != nil)
        }
    }

    @Test func heatmapShadesFollowValues() throws {
        // A 2×2 matrix [[0, 1], [2, 3]] in a 4×2 interior: top-left lightest, bottom-right darkest.
        let f = try Figure.heatmap([0, 1, 2, 3], rows: 2, cols: 2)
        let g = f.render(width: 30, height: 12, canvas: .block)
        let ramp = Glyphs.ramp(unicode: true)
        var seen: [Int] = []
        for r in 0..<g.height { for c in 0..<g.width { if let k = ramp.firstIndex(of: g[r, c].char), k > 0 { seen.append(k) } } }
        #expect(seen.contains(ramp.count - 1))
        #expect(seen.contains { $0 < ramp.count - 1 })
    }

    @Test func spectrumUsesEqualAspect() throws {
        let f = try Figure.spectrum(re: [1, -1], im: [0, 0])
        let axes = f.axes(xTarget: 5, yTargets: [4], unicode: true, aspect: 2)
        // A ratio of two spans of O(1) limits: a few roundings, below 1e-12.
        #expect(abs((axes.x.hi - axes.x.lo) / (axes.y[0].hi - axes.y[0].lo) - 2) < 1e-12)
    }

    @Test func contourSegmentsLieOnTheLevel() throws {
        // f(x, y) = x² + y² on a 41×41 grid over [-1, 1]²: level 0.5 is the circle of radius √0.5;
        // linear interpolation along grid edges puts crossings within h²/4-ish of it.
        let n = 41
        var v: [Double] = []
        for r in 0..<n { for c in 0..<n { let x = -1 + 2 * Double(c) / Double(n - 1), y = -1 + 2 * Double(r) / Double(n - 1); v.append(x * x + y * y) } }
        let f = try Figure.contour(v, rows: n, cols: n, x: (-1, 1), y: (-1, 1), levels: [0.5])
        guard case .contour(let c) = f.panels[0].layers[0] else { Issue.record("no contour"); return }
        let segs = c.segments(level: 0.5)
        #expect(segs.count > 40)
        for s in segs {
            for (x, y) in [(s.0, s.1), (s.2, s.3)] { #expect(abs(sqrt(x * x + y * y) - sqrt(0.5)) < 2e-3) }
        }
    }

    @Test func fileContentsFollowTheExtension() throws {
        let f = try Figure.line([1, 3, 2], name: "y")
        let txt = try f.fileContents(for: "dir/a.TXT", width: 40, height: 10)
        #expect(txt == f.renderText(width: 40, height: 10, canvas: .braille, color: false) + "\n")
        let svg = try f.fileContents(for: "a.svg")
        #expect(svg.hasPrefix("<?xml"))
        #expect(svg == f.svg(width: 80 * 9, height: 24 * 18))
    }
}
