import Foundation

/// Draws line and point series onto a pixel canvas.
///
/// A sorted series with more than two points per pixel column is reduced per column to the
/// minimum and maximum of the points falling in it (and the first and last, to join neighbouring
/// columns), so drawing costs O(points) with a tiny constant and every spike survives: a column
/// containing an extreme value always reaches it.
enum SeriesRaster {
    static func draw(_ s: Series, map: PixelMap, canvas: inout PixelCanvas, color: PlotColor?) {
        let n = s.count
        guard n > 0, map.width > 0, map.height > 0 else { return }
        if s.mode == .line, s.xSorted, !s.dashed, n > 2 * map.width {
            bucketed(s, map: map, canvas: &canvas, color: color)
        } else if s.mode == .points {
            points(s, map: map, canvas: &canvas, color: color)
        } else {
            direct(s, map: map, canvas: &canvas, color: color)
        }
    }

    /// Point by point: segments between consecutive finite points of a line.
    static func direct(_ s: Series, map: PixelMap, canvas: inout PixelCanvas, color: PlotColor?) {
        var previous: (Double, Double)?
        for i in 0..<s.count {
            let px = map.px(s.xValue(i))
            let lowY = s.y[i]
            let py = map.py(lowY)
            guard px.isFinite, py.isFinite else { previous = nil; continue }
            if let p = previous {
                canvas.line(p.0, p.1, px, py, color: color, dashed: s.dashed)
            } else {
                canvas.line(px, py, px, py, color: color)
            }
            if let high = s.yHigh?[i] {
                let ph = map.py(high)
                if ph.isFinite { canvas.line(px, py, px, ph, color: color) }
            }
            previous = (px, py)
        }
    }

    /// One pixel a point, the pixel nearest to it (as `direct` draws points, without its
    /// per-point branches: 10⁷ points are a plain pass over the arrays).
    static func points(_ s: Series, map: PixelMap, canvas: inout PixelCanvas, color: PlotColor?) {
        let right = Double(map.width) - 0.5, bottom = Double(map.height) - 0.5
        s.y.withUnsafeBufferPointer { ys in
            @inline(__always) func put(_ px: Double, _ py: Double) {
                // False for NaN too. Inside, px + 0.5 > 0, so truncation rounds to nearest.
                guard px > -0.5, px < right, py > -0.5, py < bottom else { return }
                canvas.set(Int(px + 0.5), Int(py + 0.5), color: color)
            }
            if let x = s.x {
                x.withUnsafeBufferPointer { xs in
                    for i in 0..<ys.count { put(map.px(xs[i]), map.py(ys[i])) }
                }
            } else {
                for i in 0..<ys.count { put(map.px(Double(i)), map.py(ys[i])) }
            }
        }
    }

    /// Per-column min/max reduction of a series sorted by x.
    static func bucketed(_ s: Series, map: PixelMap, canvas: inout PixelCanvas, color: PlotColor?) {
        let n = s.count
        let width = map.width
        // Column c holds the points whose pixel x rounds to c: x ≥ the data x at pixel c − 0.5.
        let scale = (map.x.hi - map.x.lo) / Double(width - 1)
        let fraction = AxisFraction(map.x)
        let boundary = columnStarts(s, columns: width) { c in
            s.x == nil && !map.x.log ? map.x.lo + (Double(c) - 0.5) * scale
                : fraction.inverse((Double(c) - 0.5) / Double(width - 1))
        }
        let logy = map.y.log
        var last: (Double, Double)?          // last drawn point (pixels)
        var broken = false                   // a non-finite value since `last`
        // The last finite point left of the canvas, so the line enters from the edge.
        if boundary[0] > 0 {
            var i = boundary[0] - 1
            while i >= 0 {
                let py = map.py(s.y[i])
                if py.isFinite { let px = map.px(s.xValue(i)); if px.isFinite { last = (px, py) }; break }
                broken = true
                i -= 1
            }
        }
        for c in 0..<width {
            let start = boundary[c], end = boundary[c + 1]
            if start >= end { continue }
            let b = Bucket.scan(s, start, end, logy: logy)
            let brokenBeforeFirst = broken || b.brokenBeforeFirst
            if b.firstIndex >= 0 { broken = b.brokenAfterLast } else { broken = broken || b.brokenAfterLast; continue }
            let firstY = map.py(s.y[b.firstIndex])
            let firstX = map.px(s.xValue(b.firstIndex))
            if let l = last, !brokenBeforeFirst {
                let from = abs(l.0) < 1e9 ? Int(l.0 + 0.5) : -2
                if from == c - 1, abs(l.1 - firstY) > 4, abs(l.1) < 1e9, abs(firstY) < 1e9 {
                    // A steep join of neighbouring columns is, to the pixel, two half-height vertical runs.
                    let mid = (l.1 + firstY) / 2
                    canvas.vertical(from, Int(l.1 + 0.5), Int(mid + 0.5), color: color)
                    canvas.vertical(c, Int(mid + 0.5), Int(firstY + 0.5), color: color)
                } else {
                    canvas.line(l.0, l.1, firstX, firstY, color: color)
                }
            }
            let a = map.py(b.min), top = map.py(b.max)
            if a.isFinite, top.isFinite {
                canvas.vertical(c, Int(max(-1, min(Double(map.height), a)).rounded()),
                                Int(max(-1, min(Double(map.height), top)).rounded()), color: color)
            }
            last = (map.px(s.xValue(b.lastIndex)), map.py(s.y[b.lastIndex]))
        }
        // The first finite point right of the canvas: leave the canvas towards it.
        if let l = last, !broken, boundary[width] < n {
            var i = boundary[width]
            while i < n {
                let py = map.py(s.y[i])
                if py.isFinite { canvas.line(l.0, l.1, map.px(s.xValue(i)), py, color: color); break }
                i += 1
            }
        }
    }
}

extension SeriesRaster {
    /// Where each column's points begin in a series sorted by x: `starts[c]` is the first index
    /// whose x is at least `threshold(c)` (NaN x counts as −∞), for c in 0...columns, so column c
    /// holds the indices `starts[c]..<starts[c + 1]`. O(columns · log n) by bisection, O(n) by a
    /// forward walk when there are few points a column; closed form for implicit x (x_i = i).
    ///
    /// - Parameters:
    ///   - s: A series with `xSorted`.
    ///   - columns: Number of columns.
    ///   - threshold: The data x at which column c begins, nondecreasing in c.
    /// - Returns: `columns + 1` nondecreasing indices in 0...n.
    static func columnStarts(_ s: Series, columns: Int, threshold: (Int) -> Double) -> [Int] {
        let n = s.count
        var starts = [Int](repeating: n, count: columns + 1)
        var previous = 0
        for c in 0...columns {
            let t = threshold(c)
            var lo = previous
            if t.isNaN {
                lo = n
            } else if let xs = s.x {
                if n < 16 * columns {
                    // Few points a column: walking forward beats bisection.
                    while lo < n, !(xs[lo] >= t) { lo += 1 }
                } else {
                    var hi = n
                    while lo < hi {
                        let mid = (lo + hi) / 2
                        if xs[mid] >= t { hi = mid } else { lo = mid + 1 }
                    }
                }
            } else {
                let v = t.rounded(.up)
                lo = max(previous, v <= 0 ? 0 : (v >= Double(n) ? n : Int(v)))
            }
            starts[c] = lo
            previous = lo
        }
        return starts
    }
}

/// The reduction of one pixel column's points.
struct Bucket {
    var min = Double.infinity, max = -Double.infinity
    var firstIndex = -1, lastIndex = -1
    /// A non-finite value came before the first finite one / after the last finite one.
    var brokenBeforeFirst = false, brokenAfterLast = false

    /// Scans the points `start..<end` of a series (its `yHigh` for the maxima when it has one).
    static func scan(_ s: Series, _ start: Int, _ end: Int, logy: Bool) -> Bucket {
        s.y.withUnsafeBufferPointer { ys in
            if let highs = s.yHigh {
                return highs.withUnsafeBufferPointer { hs in scan(ys, hs, start, end, logy: logy) }
            }
            return scan(ys, ys, start, end, logy: logy)
        }
    }

    /// Scans `low[start..<end]` (and `high` for the maxima; pass `low` again when there is none).
    @inline(__always)
    static func scan(_ low: UnsafeBufferPointer<Double>, _ high: UnsafeBufferPointer<Double>, _ start: Int, _ end: Int,
                     logy: Bool) -> Bucket {
        var b = Bucket()
        var mn = Double.infinity, mx = -Double.infinity
        var first = -1, lastIndex = -1
        var i = start
        // Leading non-finite values.
        while i < end {
            let v = low[i], u = high[i]
            if v.isFinite && u.isFinite && (!logy || v > 0) { break }
            b.brokenBeforeFirst = true
            i += 1
        }
        if i < end { first = i }
        while i < end {
            let v = low[i], u = high[i]
            if v.isFinite && u.isFinite && (!logy || v > 0) {
                mn = Swift.min(mn, v)
                mx = Swift.max(mx, u)
                lastIndex = i
            }
            i += 1
        }
        b.min = mn; b.max = mx
        b.firstIndex = first; b.lastIndex = lastIndex
        b.brokenAfterLast = lastIndex >= 0 ? lastIndex < end - 1 : b.brokenBeforeFirst
        return b
    }
}
