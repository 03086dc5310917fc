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
            for c in 0...width {
                // Binary search for the first index with px ≥ c − 0.5 (NaN counts as −∞).
                var lo = c == 0 ? 0 : boundary[c - 1], hi = n
                let target = Double(c) - 0.5
                while lo < hi {
                    let mid = (lo + hi) / 2
                    let p = map.px(s.xValue(mid))
                    if p >= target { hi = mid } else { lo = mid + 1 }
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
        s.y.withUnsafeBufferPointer { ys in
            let highs = s.yHigh
            for c in 0..<width {
                let start = boundary[c], end = boundary[c + 1]
                if start >= end { continue }
                var mn = Double.infinity, mx = -Double.infinity
                var firstIndex = -1, lastIndex = -1
                var brokenBeforeFirst = false
                if let highs {
                    for i in start..<end {
                        let v = ys[i], u = highs[i]
                        let ok = v.isFinite && u.isFinite && (!logy || v > 0)
                        if ok {
                            if firstIndex < 0 { firstIndex = i; brokenBeforeFirst = broken }
                            lastIndex = i
                            broken = false
                            if v < mn { mn = v }
                            if u > mx { mx = u }
                        } else {
                            broken = true
                        }
                    }
                } else {
                    for i in start..<end {
                        let v = ys[i]
                        if v.isFinite && (!logy || v > 0) {
                            if firstIndex < 0 { firstIndex = i; brokenBeforeFirst = broken }
                            lastIndex = i
                            broken = false
                            mn = min(mn, v)
                            mx = max(mx, v)
                        } else {
                            broken = true
                        }
                    }
                }
                guard firstIndex >= 0 else { continue }
                let firstY = map.py(ys[firstIndex])
                let firstX = map.px(s.xValue(firstIndex))
                if let l = last, !brokenBeforeFirst {
                    canvas.line(l.0, l.1, firstX, firstY, color: color)
                }
                let a = map.py(mn), b = map.py(mx)
                if a.isFinite, b.isFinite {
                    canvas.vertical(c, Int(max(-1, min(Double(map.height), a)).rounded()),
                                    Int(max(-1, min(Double(map.height), b)).rounded()), color: color)
                }
                last = (map.px(s.xValue(lastIndex)), map.py(ys[lastIndex]))
            }
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
