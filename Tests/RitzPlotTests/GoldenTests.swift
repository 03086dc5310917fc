import Foundation
import Testing
@testable import RitzPlot

/// Text renderings of every plot kind on every canvas compared with files in `Golden/`.
///
/// The files are written only deliberately: run with `RITZ_PLOT_REGENERATE=1` after a change
/// that is meant to alter the renderings, then look at the diff before committing it.
@Suite struct GoldenTests {
    static let width = 64, height = 20

    /// The figures, from closed-form data (no randomness).
    static func figures() throws -> [(String, Figure)] {
        let t = (0..<300).map { Double($0) / 30 }
        var sine = t.map { sin($0) }
        sine[140] = .nan                                   // a gap
        var line = try Figure.lines([("sin", t, sine), ("damped", t, t.map { exp(-$0 / 4) * cos(2 * $0) })])
        line.title = "Two series"
        line.xlabel = "t"
        line.ylabel = "value"

        let u: [Double] = (0..<80).map { Double($0) * 0.37 }
        let sx: [Double] = u.map { (v: Double) -> Double in sin(v * 1.7) * (1 + v / 30) }
        let sy: [Double] = u.map { (v: Double) -> Double in cos(v * 2.3) * (1 + v / 30) }
        var scatter = try Figure.scatter(x: sx, y: sy, name: "points")
        scatter.title = "Scatter"

        // A fixed sample: quantiles of a standard normal via a rational approximation of its
        // inverse CDF would be heavier than needed; a sum of sines is deterministic and spread.
        let sample = (0..<2000).map { i -> Double in let u = Double(i); return sin(u * 0.7) + sin(u * 1.3) + sin(u * 2.9) }
        var hist = try Figure.histogram(sample, bins: 24, name: "sum of sines")
        hist.xlabel = "value"

        let ex = (0..<400).map { -1 + 6 * Double($0) / 399 }
        let ey = ex.map { x in 0.7 * exp(-x * x * 8) + 0.3 * exp(-(x - 4) * (x - 4) * 20) + 1e-14 }
        let density = try Figure.density(x: ex, y: ey, name: "SLQ")

        var m: [Double] = []
        for i in 0..<12 { for j in 0..<16 { m.append(Double(i - j) / 4 + cos(Double(i * j) / 10)) } }
        var heat = try Figure.heatmap(m, rows: 12, cols: 16)
        heat.title = "Matrix"

        var bar = try Figure.bar([3, 7.5, 2.25, 5, 6], labels: ["sgd", "adam", "adamw", "lion", "ada"])
        bar.ylabel = "steps (k)"

        let angles = (0..<10).map { Double($0) * 0.6 }
        let spectrum = try Figure.spectrum(re: angles.map { cos($0) * (0.6 + 0.05 * $0) },
                                           im: angles.map { sin($0) * (0.6 + 0.05 * $0) },
                                           residuals: angles.map { $0 > 4 ? 0.2 : 1e-6 }, tolerance: 1e-3)

        var grid: [Double] = []
        let n = 30
        for r in 0..<n { for c in 0..<n {
            let x = -1.5 + 3 * Double(c) / Double(n - 1), y = -1.5 + 3 * Double(r) / Double(n - 1)
            grid.append(log10(min(hypot(x - 0.5, y), hypot(x + 0.5, y)) + 1e-3))
        } }
        var contour = try Figure.contour(grid, rows: n, cols: n, x: (-1.5, 1.5), y: (-1.5, 1.5),
                                         levels: [-1, -0.5, 0], labels: ["ε=1e-1", "ε=10^-0.5", "ε=1"])
        contour.title = "Pseudospectrum"

        let steps = (0..<500).map(Double.init)
        var loss = try Figure.line(steps.map { 2 * exp(-$0 / 80) + 0.1 }, x: steps, name: "loss")
        loss.ylabel = "loss"
        loss.logy = true
        var sharp = try Figure.line(steps.map { min(20, 2 + $0 / 20) + ($0 > 380 ? sin($0) : 0) }, x: steps, name: "sharpness")
        sharp.ylabel = "sharpness"
        var stacked = Figure.stacked([loss, sharp]).hline(20, label: "2/lr", panel: 1)
        stacked.xlabel = "step"

        var live = try LivePlot(series: ["loss", "acc"], panels: [0, 1], capacity: 64)
        for i in 0..<300 {
            try live.append(series: 0, x: Double(i), y: 1 / (1 + Double(i) / 20))
            try live.append(series: 1, x: Double(i), y: 1 - 0.5 * exp(-Double(i) / 60))
        }
        live.setHLine(0.9, label: "target", panel: 1)

        return [("line", line), ("scatter", scatter), ("histogram", hist), ("density", density), ("heatmap", heat),
                ("bar", bar), ("spectrum", spectrum), ("contour", contour), ("stacked", stacked), ("live", live.figure())]
    }

    static var goldenDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let kind: String
        let canvas: CanvasKind
        var testDescription: String { "\(kind) \(canvas.rawValue)" }
    }

    static let cases: [Case] = ["line", "scatter", "histogram", "density", "heatmap", "bar", "spectrum", "contour",
                                "stacked", "live"].flatMap { k in CanvasKind.allCases.map { Case(kind: k, canvas: $0) } }

    @Test(arguments: cases)
    func matchesGolden(_ c: Case) throws {
        guard let figure = try Self.figures().first(where: { $0.0 == c.kind })?.1 else {
            Issue.record("no figure \(c.kind)"); return
        }
        let text = figure.renderText(width: Self.width, height: Self.height, canvas: c.canvas, color: false) + "\n"
        let url = Self.goldenDirectory.appendingPathComponent("\(c.kind)-\(c.canvas.rawValue).txt")
        if ProcessInfo.processInfo.environment["RITZ_PLOT_REGENERATE"] == "1" {
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        let a = text.split(separator: "\n", omittingEmptySubsequences: false)
        let b = expected.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(a.count == b.count, "line count \(a.count) vs golden \(b.count)")
        for (i, (x, y)) in zip(a, b).enumerated() where x != y {
            Issue.record("line \(i + 1) differs:\n  got    \(x)\n  golden \(y)")
            break
        }
        if c.canvas == .ascii { #expect(text.allSatisfy { $0.isASCII }, "ASCII canvas leaked a non-ASCII character") }
    }
}
