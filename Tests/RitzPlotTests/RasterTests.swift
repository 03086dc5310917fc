import Foundation
import Testing
@testable import RitzPlot

@Suite struct RasterTests {
    /// A deterministic rough series: a random walk from a linear congruential generator.
    static func walk(_ n: Int, seed: UInt64) -> [Double] {
        var state = seed, y = 0.0
        return (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            y += Double(Int64(bitPattern: state >> 11) % 1000) / 1000 - 0.5
            return y
        }
    }

    static func canvas(for s: Series, columns: Int, rows: Int, bucketed: Bool) -> (PixelCanvas, PixelMap) {
        var c = PixelCanvas(kind: .braille, columns: columns, rows: rows)
        let x = NiceTicks.linear(s.xRange.lo, s.xRange.hi, target: 5)
        let y = NiceTicks.linear(s.yRange.lo, s.yRange.hi, target: 5)
        let map = PixelMap(x: x, y: y, width: c.pixelWidth, height: c.pixelHeight, yInverted: false)
        if bucketed { SeriesRaster.bucketed(s, map: map, canvas: &c, color: nil) } else { SeriesRaster.direct(s, map: map, canvas: &c, color: nil) }
        return (c, map)
    }

    static func lit(_ c: PixelCanvas, _ px: Int, _ py: Int) -> Bool {
        let mask = c.mask(py / 4, px / 2)
        return mask & (1 << UInt8((py % 4) * 2 + (px % 2))) != 0
    }

    @Test(arguments: [(20_000, 30, 10, 1), (100_000, 50, 12, 2), (5_000, 7, 3, 3)] as [(Int, Int, Int, UInt64)])
    func everyPointIsLitWhenBucketed(n: Int, columns: Int, rows: Int, seed: UInt64) throws {
        let s = try Series(y: Self.walk(n, seed: seed))
        let (c, map) = Self.canvas(for: s, columns: columns, rows: rows, bucketed: true)
        for i in stride(from: 0, to: n, by: 1) {
            let px = Int(map.px(Double(i)).rounded()), py = Int(map.py(s.y[i]).rounded())
            #expect(Self.lit(c, px, py), "point \(i) at (\(px), \(py)) is not drawn")
            if !Self.lit(c, px, py) { return }
        }
    }

    @Test func bucketedKeepsAnIsolatedSpikeInAMillionPoints() throws {
        var y = [Double](repeating: 0, count: 1_000_000)
        y[654_321] = 10
        y[123_456] = -4
        let s = try Series(y: y)
        let (c, map) = Self.canvas(for: s, columns: 100, rows: 20, bucketed: true)
        let spikeX = Int(map.px(654_321).rounded()), dipX = Int(map.px(123_456).rounded())
        #expect(Self.lit(c, spikeX, Int(map.py(10).rounded())))
        #expect(Self.lit(c, dipX, Int(map.py(-4).rounded())))
    }

    @Test func bucketedMatchesDirectOnColumnsItTouches() throws {
        // Both methods light every data pixel; the bucketed one lights nothing outside the
        // vertical hull of each column's points and its neighbours' joins.
        let s = try Series(y: Self.walk(3000, seed: 9))
        let (b, _) = Self.canvas(for: s, columns: 40, rows: 10, bucketed: true)
        let (d, _) = Self.canvas(for: s, columns: 40, rows: 10, bucketed: false)
        var differing = 0
        for i in b.bits.indices where b.bits[i] != d.bits[i] { differing += 1 }
        #expect(differing * 10 < b.bits.count, "bucketed and direct drawings differ in \(differing) cells")
    }

    @Test func nanLeavesAGapAndKeepsTheScale() throws {
        var y = (0..<40).map { Double($0 % 10) }
        y[20] = .nan
        y[21] = .infinity
        let s = try Series(y: y)
        #expect(s.yRange.lo == 0 && s.yRange.hi == 9)
        let (c, map) = Self.canvas(for: s, columns: 20, rows: 5, bucketed: false)
        // Nothing lit strictly between x = 19 and x = 22 (the segments through 20 and 21 are gone).
        let a = Int(map.px(19).rounded()), b = Int(map.px(22).rounded())
        for px in (a + 1)..<b { for py in 0..<c.pixelHeight { #expect(!Self.lit(c, px, py)) } }
        let (cb, mapb) = Self.canvas(for: try Series(y: (0..<4000).map { $0 >= 2000 && $0 < 2400 ? .nan : sin(Double($0) / 100) }),
                                     columns: 40, rows: 8, bucketed: true)
        // Columns whose every point lies in the NaN stretch 2000..<2400 stay empty.
        let gapA = Int((mapb.px(2000) + 0.5).rounded(.up)), gapB = Int((mapb.px(2399) - 0.5).rounded(.down))
        #expect(gapB - gapA >= 5)
        for px in gapA...gapB { for py in 0..<cb.pixelHeight { #expect(!Self.lit(cb, px, py)) } }
    }

    @Test func logAxisDropsNonPositiveValues() throws {
        var f = try Figure.line([1, 10, 0, -5, 100, 1000])
        f.logy = true
        let axes = f.axes(xTarget: 5, yTargets: [4], unicode: false, aspect: 1)
        #expect(axes.y[0].lo == 1 && axes.y[0].hi == 1000)
        _ = f.renderText(width: 40, height: 10, canvas: .ascii, color: false)
    }
}
