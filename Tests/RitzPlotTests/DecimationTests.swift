import Foundation
import Testing
@testable import RitzPlot

/// Plots of many points in SVG: sorted lines reduced per pixel column, scatters per occupied
/// cell, unsorted lines rasterised. Each reduction is compared with what drawing every point
/// would show at the pixel (or cell) resolution, computed here from the data.
@Suite struct DecimationTests {
    /// An SVG path's commands with their numbers (absolute M/L, relative m, horizontal h).
    static func commands(_ d: String) -> [(Character, [Double])] {
        var out: [(Character, [Double])] = []
        var number = ""
        func flush() { if !number.isEmpty, let v = Double(number), !out.isEmpty { out[out.count - 1].1.append(v) }; number = "" }
        for ch in d {
            if "MLmh".contains(ch) { flush(); out.append((ch, [])) } else if ch == " " { flush() } else { number.append(ch) }
        }
        flush()
        return out
    }

    /// A panel 100 × 50 pixels at (10, 20) with linear axes over the given limits.
    static func map(x: (Double, Double), y: (Double, Double), logy: Bool = false) -> SVGMap {
        SVGMap(x: AxisLayout(lo: x.0, hi: x.1, log: false, ticks: []), y: AxisLayout(lo: y.0, hi: y.1, log: logy, ticks: []),
               x0: 10, y0: 20, w: 100, h: 50, inverted: false)
    }

    static func render(_ s: Series, _ map: SVGMap) -> String {
        var r = SVGRenderer(figure: Figure(), width: 200, height: 100)
        r.series(s, map: map, color: nil)
        return r.out
    }

    static func attribute(_ name: String, of svg: String) -> String {
        guard let range = svg.range(of: " \(name)=\"") else { return "" }
        return String(svg[range.upperBound...].prefix { $0 != "\"" })
    }

    /// Per pixel column c (x0 + c ≤ x < x0 + c + 1): the range of screen y the points in it reach.
    static func columnExtents(_ s: Series, _ map: SVGMap) -> [Int: (Double, Double)] {
        var out: [Int: (Double, Double)] = [:]
        for i in 0..<s.count {
            let x = map.x(s.xValue(i)), y = map.y(s.y[i])
            guard x.isFinite, y.isFinite, x >= map.x0, x < map.x0 + map.w else { continue }
            let c = Int((x - map.x0).rounded(.down))
            out[c] = out[c].map { (min($0.0, y), max($0.1, y)) } ?? (y, y)
        }
        return out
    }

    /// The vertices of a bucketed path grouped by column (x = x0 + c + 0.5).
    static func vertexExtents(_ d: String, _ map: SVGMap) -> (extents: [Int: (Double, Double)], perColumn: [Int: Int]) {
        var extents: [Int: (Double, Double)] = [:], counts: [Int: Int] = [:]
        for (cmd, v) in commands(d) where (cmd == "M" || cmd == "L") && v.count == 2 {
            let rel = v[0] - map.x0 - 0.5
            guard abs(rel - rel.rounded()) < 1e-6 else { continue }   // entry/exit points off the grid
            let c = Int(rel.rounded())
            extents[c] = extents[c].map { (min($0.0, v[1]), max($0.1, v[1])) } ?? (v[1], v[1])
            counts[c, default: 0] += 1
        }
        return (extents, counts)
    }

    /// Uniform values on [0, 1) from a linear congruential generator.
    static func uniform(_ n: Int, seed: UInt64) -> [Double] {
        var state = seed
        return (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
    }

    @Test(arguments: [(200_000, UInt64(1)), (3_000, UInt64(2))])
    func sortedLineKeepsEveryColumnsExtent(n: Int, seed: UInt64) throws {
        var y = RasterTests.walk(n, seed: seed)
        y[n / 3] = 500                                  // a spike one point wide
        let s = try Series(x: (0..<n).map { Double($0) * 0.5 }, y: y)
        let map = Self.map(x: (0, Double(n - 1) * 0.5), y: (y.min() ?? 0, y.max() ?? 1))
        let svg = Self.render(s, map)
        let d = Self.attribute("d", of: svg)
        let (drawn, counts) = Self.vertexExtents(d, map)
        let full = Self.columnExtents(s, map)
        #expect(drawn.count == full.count)
        // Coordinates are written with two decimals: equal to 0.005.
        for (c, e) in full {
            guard let got = drawn[c] else { Issue.record("column \(c) is not drawn"); continue }
            #expect(abs(got.0 - e.0) <= 0.005 && abs(got.1 - e.1) <= 0.005, "column \(c): \(got) vs \(e)")
        }
        #expect(counts.values.allSatisfy { $0 <= 4 })
        // The spike's column reaches the top of the panel (y of 500 is y0).
        #expect(drawn.values.contains { abs($0.0 - 20) <= 0.005 })
    }

    @Test func nanStretchLiftsThePenAndLogAxisDropsNonPositiveValues() throws {
        let n = 10_000
        var y = (0..<n).map { 2 + sin(Double($0) / 300) }
        for i in 4_000..<5_000 { y[i] = .nan }          // columns 40…49 hold only NaN
        for i in stride(from: 7_000, to: 7_100, by: 3) { y[i] = -1 }
        let s = try Series(y: y)
        // Column boundaries (multiples of 100 − 0.37) never meet a point's x.
        let map = Self.map(x: (-0.37, Double(n) - 0.37), y: (0.5, 4), logy: true)
        let d = Self.attribute("d", of: Self.render(s, map))
        let (drawn, _) = Self.vertexExtents(d, map)
        for c in 40..<50 { #expect(drawn[c] == nil, "column \(c) is drawn") }
        #expect(d.filter { $0 == "M" }.count >= 2)
        for (c, e) in Self.columnExtents(s, map) where drawn[c] != nil {
            #expect(abs(drawn[c]!.0 - e.0) <= 0.005 && abs(drawn[c]!.1 - e.1) <= 0.005, "column \(c): \(drawn[c]!) vs \(e)")
        }
        #expect(!d.contains("nan") && !d.contains("inf"))
    }

    /// The cells a path of runs covers: each run from its start over its `h` length.
    static func runCells(_ d: String, cell: Double, origin: (Double, Double)) -> Set<[Int]> {
        var cells = Set<[Int]>()
        var at = (0.0, 0.0)
        for (cmd, v) in commands(d) {
            switch cmd {
            case "M": at = (v[0], v[1])
            case "m": at = (at.0 + v[0], at.1 + v[1])
            case "h":
                let r = Int(((at.1 - origin.1) / cell).rounded(.down))
                let first = Int(((at.0 - origin.0) / cell).rounded(.down)), steps = Int((v[0] / cell).rounded())
                for k in 0...max(0, cell == 1 ? steps - 1 : steps) { cells.insert([first + k, r]) }
                at.0 += v[0]
            default: break
            }
        }
        return cells
    }

    @Test func denseScatterDrawsEveryOccupiedCellOnce() throws {
        let n = 60_000
        // Uniform on [−66, 66)²: the panel's cells all but filled, some points in the margin and beyond.
        let xs = Self.uniform(n, seed: 5).map { $0 * 132 - 66 }, ys = Self.uniform(n, seed: 6).map { $0 * 132 - 66 }
        let s = try Series(x: xs, y: ys, mode: .points)
        let map = Self.map(x: (-60, 60), y: (-60, 60))
        let svg = Self.render(s, map)
        #expect(!svg.contains("<circle"))
        // The 2×2-pixel cells (grid from (x0 − 4, y0 − 4)) holding at least one point.
        var expected = Set<[Int]>()
        for i in 0..<n {
            let u = map.x(s.x![i]) - 6, v = map.y(s.y[i]) - 16
            guard u >= 0, v >= 0, u < 108, v < 58 else { continue }
            expected.insert([Int(u) / 2, Int(v) / 2])
        }
        // Dots sit at cell centres: a run from the centre of its first cell.
        let drawn = Self.runCells(Self.attribute("d", of: svg), cell: 2, origin: (6, 16))
        #expect(drawn == expected)
        #expect(svg.utf8.count < 60 * 1024)
    }

    @Test func smallScatterIsDrawnPointByPoint() throws {
        let s = try Series(x: (0..<500).map { Double($0 % 7) }, y: (0..<500).map { Double($0 % 11) }, mode: .points)
        let svg = Self.render(s, Self.map(x: (0, 6), y: (0, 10)))
        #expect(svg.components(separatedBy: "<circle").count - 1 == 500)
    }

    @Test func manyMarkersKeepOnePerClassAndCell() throws {
        let n = 20_000
        let s = try Series(x: Self.uniform(n, seed: 7).map { $0 * 100 }, y: Self.uniform(n, seed: 8).map { $0 * 50 }, mode: .markers,
                           marks: (0..<n).map { $0 % 3 == 0 ? 1 : 0 })
        let svg = Self.render(s, Self.map(x: (0, 100), y: (0, 50)))
        let markers = svg.components(separatedBy: "class=\"marker\"").count - 1
        // At most one marker per class and 6×6 cell of the 108×58 grid; both classes present.
        #expect(markers > 0 && markers <= 2 * 18 * 10, "\(markers) markers")
        #expect(svg.contains("<circle") && svg.contains("stroke-width=\"2\" fill=\"none\""))
    }

    @Test func longUnsortedLineIsRasterised() throws {
        let n = 100_000
        let t = (0..<n).map { Double($0) * 2 * Double.pi / Double(n) }
        let s = try Series(x: t.map { sin(3 * $0) }, y: t.map { sin(4 * $0) })
        #expect(!s.xSorted)
        let map = Self.map(x: (-1.1, 1.1), y: (-1.1, 1.1))
        let svg = Self.render(s, map)
        let d = Self.attribute("d", of: svg)
        #expect(svg.utf8.count < 64 * 1024)
        // Every point's pixel is lit (pixel (i, j) spans x0 + i ≤ x < x0 + i + 1).
        let lit = Self.runCells(d, cell: 1, origin: (10, 20))
        for i in stride(from: 0, to: n, by: 7) {
            let px = Int((map.x(s.x![i]) - 10).rounded(.down)), py = Int((map.y(s.y[i]) - 20).rounded(.down))
            #expect(lit.contains([px, py]) || lit.contains([px - 1, py]) || lit.contains([px, py - 1]) || lit.contains([px - 1, py - 1]),
                    "point \(i) at pixel (\(px), \(py))")
        }
    }

    @Test func figuresOfMillionsOfPointsStayBelowAMegabyte() throws {
        let n = 1_000_000
        let walk = RasterTests.walk(n, seed: 3)
        var f = try Figure.lines([("a", nil, walk), ("b", nil, walk.map { -$0 })])
        f = f.overlay(try Figure.scatter(x: (0..<n).map { Double($0) }, y: walk.map { $0 / 2 }))
        let svg = f.svg(width: 720, height: 450)
        #expect(svg.utf8.count < 1_000_000)
        #expect(SVGCollector.parse(svg) != nil)
        let doc = SVGCollector.parse(svg)
        #expect(doc?.withClass("series").count == 2)
        #expect(doc?.withClass("points").count == 1)
    }
}
