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
        } else {
            direct(s, map: map, canvas: &canvas, color: color)
        }
    }

    /// Point by point: segments between consecutive finite points (lines) or single pixels.
    static func direct(_ s: Series, map: PixelMap, canvas: inout PixelCanvas, color: PlotColor?) {
        var previous: (Double, Double)?
        for i in 0..<s.count {
            let px = map.px(s.xValue(i))
            let lowY = s.y[i]
            let py = map.py(lowY)
            guard px.isFinite, py.isFinite else { previous = nil; continue }
            if s.mode == .points {
                canvas.set(Int(px.rounded()), Int(py.rounded()), color: color)
            } else {
                if let p = previous {
                    canvas.line(p.0, p.1, px, py, color: color, dashed: s.dashed)
                } else {
                    canvas.line(px, py, px, py, color: color)
                }
                if let high = s.yHigh?[i] {
                    let ph = map.py(high)
                    if ph.isFinite { canvas.line(px, py, px, ph, color: color) }
                }
            }
            previous = (px, py)
        }
    }

    /// Per-column min/max reduction of a series sorted by x.
    static func bucketed(_ s: Series, map: PixelMap, canvas: inout PixelCanvas, color: PlotColor?) {
        let n = s.count
        let width = map.width
        // boundary[c] = first index whose pixel column (rounded) is ≥ c, for c in 0...width.
        var boundary = [Int](repeating: n, count: width + 1)
        if s.x == nil, !map.x.log {
            // Implicit x = index: px(i) = (i − lo)/(hi − lo)·(W − 1), so the boundary is closed-form.
            let scale = (map.x.hi - map.x.lo) / Double(width - 1)
            for c in 0...width {
                let v = (map.x.lo + (Double(c) - 0.5) * scale).rounded(.up)
                boundary[c] = v <= 0 ? 0 : (v >= Double(n) ? n : Int(v))
            }
        } else {
            // The data x at which each column starts (inverse of the axis map), then a binary
            // search on raw x values per column (NaN compares as −∞).
            let xs = s.x ?? []
            let span = map.x.log ? log10(map.x.hi) - log10(map.x.lo) : map.x.hi - map.x.lo
            for c in 0...width {
                let f = (Double(c) - 0.5) / Double(width - 1)
                let threshold = map.x.log ? pow(10, log10(map.x.lo) + f * span) : map.x.lo + f * span
                var lo = c == 0 ? 0 : boundary[c - 1], hi = n
                if n < 16 * width {
                    // Few points a column: walking forward beats bisection.
                    while lo < n, !((s.x == nil ? Double(lo) : xs[lo]) >= threshold) { lo += 1 }
                } else {
                    while lo < hi {
                        let mid = (lo + hi) / 2
                        let v = s.x == nil ? Double(mid) : xs[mid]
                        if v >= threshold { hi = mid } else { lo = mid + 1 }
                    }
                }
                boundary[c] = lo
            }
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
        let highs = s.yHigh
        for c in 0..<width {
            let start = boundary[c], end = boundary[c + 1]
            if start >= end { continue }
            let b = s.y.withUnsafeBufferPointer { ys in
                if let highs {
                    return highs.withUnsafeBufferPointer { hs in Bucket.scan(ys, hs, start, end, logy: logy) }
                }
                return Bucket.scan(ys, ys, start, end, logy: logy)
            }
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

/// The reduction of one pixel column's points.
struct Bucket {
    var min = Double.infinity, max = -Double.infinity
    var firstIndex = -1, lastIndex = -1
    /// A non-finite value came before the first finite one / after the last finite one.
    var brokenBeforeFirst = false, brokenAfterLast = false

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
