/// A grid of virtual pixels packed into character cells (braille, quadrant blocks or ASCII).
///
/// Pixel (0, 0) is the top-left. Each cell keeps a bit mask of its lit pixels (bit = row·2 +
/// column inside the cell) and the colour of the last pixel lit in it.
struct PixelCanvas {
    let kind: CanvasKind
    /// Size in cells.
    let columns: Int, rows: Int
    /// Size in pixels.
    let pixelWidth: Int, pixelHeight: Int
    private let ppr: Int
    /// Cell row and bit offset (row inside the cell · 2) of every pixel row: no division per pixel.
    private let cellRow: [Int]
    private let rowShift: [UInt8]
    private(set) var bits: [UInt8]
    private(set) var colors: [UInt8]

    init(kind: CanvasKind, columns: Int, rows: Int) {
        self.kind = kind
        self.columns = max(0, columns)
        self.rows = max(0, rows)
        ppr = kind.pixelsPerRow
        pixelWidth = self.columns * 2
        pixelHeight = self.rows * ppr
        cellRow = (0..<pixelHeight).map { $0 / kind.pixelsPerRow }
        rowShift = (0..<pixelHeight).map { UInt8(($0 % kind.pixelsPerRow) * 2) }
        bits = Array(repeating: 0, count: self.columns * self.rows)
        colors = Array(repeating: 0, count: self.columns * self.rows)
    }

    /// Lights one pixel; pixels outside the canvas are ignored.
    @inline(__always)
    mutating func set(_ px: Int, _ py: Int, color: PlotColor?) {
        guard px >= 0, py >= 0, px < pixelWidth, py < pixelHeight else { return }
        let cell = cellRow[py] * columns + (px >> 1)
        bits[cell] |= UInt8(1) << (rowShift[py] + UInt8(px & 1))
        colors[cell] = color?.rawValue ?? 0
    }

    /// Lights a vertical run of pixels in one column (inclusive, in either order).
    mutating func vertical(_ px: Int, _ y0: Int, _ y1: Int, color: PlotColor?) {
        guard px >= 0, px < pixelWidth else { return }
        let a = max(0, min(y0, y1)), b = min(pixelHeight - 1, max(y0, y1))
        guard a <= b else { return }
        // Whole cell rows at a time: OR the bits of the pixel rows inside each cell.
        let column = UInt8(px & 1), cx = px >> 1, c = color?.rawValue ?? 0
        var py = a
        while py <= b {
            let cy = cellRow[py]
            var mask: UInt8 = 0
            while py <= b, cellRow[py] == cy {
                mask |= UInt8(1) << (rowShift[py] + column)
                py += 1
            }
            let cell = cy * columns + cx
            bits[cell] |= mask
            colors[cell] = c
        }
    }

    /// Draws a straight segment between pixel-space points, clipped to the canvas
    /// (Liang–Barsky clipping, then a DDA with one step per pixel of the longer side).
    mutating func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, color: PlotColor?, dashed: Bool = false) {
        guard x0.isFinite, y0.isFinite, x1.isFinite, y1.isFinite else { return }
        let xmin = -0.5, xmax = Double(pixelWidth) - 0.5, ymin = -0.5, ymax = Double(pixelHeight) - 0.5
        if x0 >= xmin, x0 <= xmax, x1 >= xmin, x1 <= xmax, y0 >= ymin, y0 <= ymax, y1 >= ymin, y1 <= ymax {
            raster(x0, y0, x1, y1, color: color, dashed: dashed)
            return
        }
        var t0 = 0.0, t1 = 1.0
        let dx = x1 - x0, dy = y1 - y0
        @inline(__always) func clip(_ p: Double, _ q: Double) -> Bool {
            if p == 0 { return q >= 0 }
            let r = q / p
            if p < 0 { if r > t1 { return false }; if r > t0 { t0 = r } } else { if r < t0 { return false }; if r < t1 { t1 = r } }
            return true
        }
        guard clip(-dx, x0 - xmin), clip(dx, xmax - x0), clip(-dy, y0 - ymin), clip(dy, ymax - y0) else { return }
        raster(x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy, color: color, dashed: dashed)
    }

    /// A DDA through a segment already inside the canvas.
    private mutating func raster(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, color: PlotColor?, dashed: Bool) {
        // After clipping every coordinate is ≥ −0.5, so Int(v + 0.5) rounds to nearest.
        let steps = Int(max(abs(bx - ax), abs(by - ay)) + 0.999_999)
        if steps == 0 { set(Int(ax + 0.5), Int(ay + 0.5), color: color); return }
        let sx = (bx - ax) / Double(steps), sy = (by - ay) / Double(steps)
        for i in 0...steps {
            if dashed, (i / 3) % 2 == 1 { continue }
            set(Int(ax + Double(i) * sx + 0.5), Int(ay + Double(i) * sy + 0.5), color: color)
        }
    }

    /// Whether a pixel is lit (false outside the canvas).
    @inline(__always)
    func isLit(_ px: Int, _ py: Int) -> Bool {
        guard px >= 0, py >= 0, px < pixelWidth, py < pixelHeight else { return false }
        return bits[cellRow[py] * columns + (px >> 1)] & (UInt8(1) << (rowShift[py] + UInt8(px & 1))) != 0
    }

    /// Lit-pixel mask of a cell.
    @inline(__always)
    func mask(_ row: Int, _ column: Int) -> UInt8 { bits[row * columns + column] }

    /// Colour of a cell (nil when the default).
    @inline(__always)
    func color(_ row: Int, _ column: Int) -> PlotColor? { PlotColor(rawValue: colors[row * columns + column]) }

    /// The character showing a cell's pixels.
    @inline(__always)
    func glyph(_ row: Int, _ column: Int) -> Unicode.Scalar {
        Glyphs.character(kind: kind, mask: bits[row * columns + column])
    }
}

/// Characters for pixel masks of each canvas kind.
enum Glyphs {
    /// Braille dot bits, indexed by (row·2 + column) inside the 2×4 cell (Unicode 2800–28FF:
    /// dots 1 2 3 7 down the left column, 4 5 6 8 down the right).
    static let brailleBit: [UInt8] = [0x01, 0x08, 0x02, 0x10, 0x04, 0x20, 0x40, 0x80]

    static let braille: [Unicode.Scalar] = (0..<256).map { mask in
        var code: UInt32 = 0
        for b in 0..<8 where mask & (1 << b) != 0 { code |= UInt32(brailleBit[b]) }
        return Unicode.Scalar(0x2800 + code) ?? " "
    }

    /// Quadrant blocks for masks with bits top-left 1, top-right 2, bottom-left 4, bottom-right 8.
    static let block: [Unicode.Scalar] = [" ", "▘", "▝", "▀", "▖", "▌", "▞", "▛", "▗", "▚", "▐", "▜", "▄", "▙", "▟", "█"]

    /// ASCII characters for the 64 masks of a 2×3 cell: the character whose hand-drawn 2×3
    /// template differs from the mask in the fewest pixels (ties: the earlier template).
    static let ascii: [Unicode.Scalar] = {
        // Templates as rows top to bottom, each two pixels ("x." = left lit).
        let templates: [(Unicode.Scalar, [String])] = [
            (" ", [".. .. .."]),
            ("'", ["x. .. ..", ".x .. ..", "xx .. .."]),
            ("-", [".. xx ..", ".. x. ..", ".. .x .."]),
            (".", [".. .. x.", ".. .. .x"]),
            ("_", [".. .. xx"]),
            (":", ["x. .. x.", ".x .. .x"]),
            ("|", ["x. x. x.", ".x .x .x", "x. x. ..", ".x .x ..", ".. x. x.", ".. .x .x"]),
            ("/", [".x .. x.", ".x .x x.", ".x x. x.", ".. .x x.", ".x x. ..", ".. .x x."]),
            ("\\", ["x. .. .x", "x. x. .x", "x. .x .x", ".. x. .x", "x. .x ..", ".. x. .x"]),
            ("=", ["xx xx ..", ".. xx xx", "xx .. xx"]),
            ("#", ["xx xx xx", "xx x. xx", "xx .x xx"]),
        ]
        var entries: [(Unicode.Scalar, UInt8)] = []
        for (ch, shapes) in templates {
            for shape in shapes {
                let pixels = shape.filter { $0 == "x" || $0 == "." }
                var m: UInt8 = 0
                for (i, p) in pixels.prefix(6).enumerated() where p == "x" { m |= 1 << UInt8(i) }
                entries.append((ch, m))
            }
        }
        return (0..<64).map { (mask: Int) -> Unicode.Scalar in
            if mask == 0 { return " " }
            var best: Unicode.Scalar = "#", bestDistance = Int.max
            for (ch, m) in entries where ch != " " {
                let d = (UInt8(mask) ^ m).nonzeroBitCount
                if d < bestDistance { bestDistance = d; best = ch }
            }
            return best
        }
    }()

    /// The glyph table of a canvas kind, indexed by pixel mask (masked to the kind's bits).
    static func table(_ kind: CanvasKind) -> [Unicode.Scalar] {
        switch kind {
        case .braille: return braille
        case .block: return block + block + block + block + block + block + block + block + block + block + block + block + block + block + block + block
        case .ascii: return ascii + ascii + ascii + ascii
        }
    }

    @inline(__always)
    static func character(kind: CanvasKind, mask: UInt8) -> Unicode.Scalar {
        switch kind {
        case .braille: return braille[Int(mask)]
        case .block: return block[Int(mask & 0x0F)]
        case .ascii: return ascii[Int(mask & 0x3F)]
        }
    }

    /// Marker glyphs by class.
    static func marker(_ k: Int, unicode: Bool) -> Unicode.Scalar {
        let set: [Unicode.Scalar] = unicode ? ["●", "×", "◆", "▲", "■", "+"] : ["o", "x", "*", "^", "#", "+"]
        return set[((k % set.count) + set.count) % set.count]
    }

    /// Shading ramp for heatmaps, light to dark.
    static func ramp(unicode: Bool) -> [Unicode.Scalar] {
        unicode ? [" ", "░", "▒", "▓", "█"] : [" ", ".", ":", "-", "=", "+", "*", "#", "%", "@"]
    }
}
