extension Contour {
    /// The line segments of one level, in data coordinates.
    ///
    /// Marching squares (Lorensen & Cline's idea on a 2-D grid): every grid square whose corners
    /// lie on both sides of the level contributes the segment joining the linearly interpolated
    /// crossings of its edges; a saddle (crossings on all four edges) is split by the value at the
    /// square's centre, the mean of its corners. Squares with a non-finite corner are skipped, so
    /// NaN regions leave gaps.
    /// - Parameters:
    ///   - level: The level.
    /// - Returns: Segments as (x0, y0, x1, y1).
    public func segments(level: Double) -> [(Double, Double, Double, Double)] {
        let g = grid
        guard g.rows >= 2, g.cols >= 2 else { return [] }
        let dx = (g.x.hi - g.x.lo) / Double(g.cols - 1), dy = (g.y.hi - g.y.lo) / Double(g.rows - 1)
        var out: [(Double, Double, Double, Double)] = []
        for r in 0..<(g.rows - 1) {
            for c in 0..<(g.cols - 1) {
                let v00 = g.at(r, c), v01 = g.at(r, c + 1), v10 = g.at(r + 1, c), v11 = g.at(r + 1, c + 1)
                guard v00.isFinite, v01.isFinite, v10.isFinite, v11.isFinite else { continue }
                let a00 = v00 >= level, a01 = v01 >= level, a10 = v10 >= level, a11 = v11 >= level
                if a00 == a01, a01 == a10, a10 == a11 { continue }
                let x0 = g.x.lo + Double(c) * dx, y0 = g.y.lo + Double(r) * dy
                func cross(_ va: Double, _ vb: Double) -> Double {
                    let d = vb - va
                    return d == 0 ? 0.5 : min(1, max(0, (level - va) / d))
                }
                // Crossing points on the four edges (nil when the edge is not crossed).
                let bottom: (Double, Double)? = a00 != a01 ? (x0 + cross(v00, v01) * dx, y0) : nil
                let top: (Double, Double)? = a10 != a11 ? (x0 + cross(v10, v11) * dx, y0 + dy) : nil
                let left: (Double, Double)? = a00 != a10 ? (x0, y0 + cross(v00, v10) * dy) : nil
                let right: (Double, Double)? = a01 != a11 ? (x0 + dx, y0 + cross(v01, v11) * dy) : nil
                let points = [bottom, right, top, left].compactMap { $0 }
                if points.count == 2 {
                    out.append((points[0].0, points[0].1, points[1].0, points[1].1))
                } else if points.count == 4, let b = bottom, let rt = right, let t = top, let l = left {
                    let centreAbove = (v00 + v01 + v10 + v11) / 4 >= level
                    if centreAbove == a00 {
                        // v00 and v11 joined through the centre: cut off the other two corners.
                        out.append((b.0, b.1, rt.0, rt.1))
                        out.append((t.0, t.1, l.0, l.1))
                    } else {
                        out.append((b.0, b.1, l.0, l.1))
                        out.append((t.0, t.1, rt.0, rt.1))
                    }
                }
            }
        }
        return out
    }
}
