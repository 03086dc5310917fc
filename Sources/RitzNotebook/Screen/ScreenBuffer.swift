import RitzPlot

/// How a screen cell is drawn: a colour (0 = terminal default, 1…8 = the curses colours
/// black, red, green, yellow, blue, magenta, cyan, white plus one) and weight.
public struct TextAttr: Equatable, Hashable, Sendable {
    public var color: UInt8
    public var bold: Bool
    public var dim: Bool
    public var reverse: Bool
    public var underline: Bool
    public var italic: Bool

    public init(color: UInt8 = 0, bold: Bool = false, dim: Bool = false, reverse: Bool = false,
                underline: Bool = false, italic: Bool = false) {
        self.color = color
        self.bold = bold
        self.dim = dim
        self.reverse = reverse
        self.underline = underline
        self.italic = italic
    }

    public static let plain = TextAttr()
    public static let bold = TextAttr(bold: true)
    public static let dim = TextAttr(dim: true)
    public static let reverse = TextAttr(reverse: true)
    public static let error = TextAttr(color: 2)
    public static let prompt = TextAttr(color: 5, bold: true)
    public static let output = TextAttr(color: 4)
}

/// A rectangle of characters with attributes: a frame of the notebook before curses draws it.
///
/// Every character is taken as one column wide; wider characters are replaced by `?` when
/// written, so columns never drift.
public struct ScreenBuffer: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var chars: [Character]
    public private(set) var attrs: [TextAttr]

    /// A blank buffer.
    ///
    /// - Parameters:
    ///   - width: Columns (negative counts as 0).
    ///   - height: Rows (negative counts as 0).
    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        chars = Array(repeating: " ", count: self.width * self.height)
        attrs = Array(repeating: .plain, count: self.width * self.height)
    }

    /// The character at a position (blank outside).
    public subscript(row: Int, column: Int) -> Character {
        guard row >= 0, row < height, column >= 0, column < width else { return " " }
        return chars[row * width + column]
    }

    /// The attribute at a position (plain outside).
    public func attr(row: Int, column: Int) -> TextAttr {
        guard row >= 0, row < height, column >= 0, column < width else { return .plain }
        return attrs[row * width + column]
    }

    /// Sets one cell; writes outside are ignored.
    public mutating func set(row: Int, column: Int, _ c: Character, _ attr: TextAttr = .plain) {
        guard row >= 0, row < height, column >= 0, column < width else { return }
        chars[row * width + column] = ScreenBuffer.narrow(c)
        attrs[row * width + column] = attr
    }

    /// Writes text from a position, clipped at the right edge; tabs become spaces.
    ///
    /// - Returns: The column after the last character written.
    @discardableResult
    public mutating func put(row: Int, column: Int, _ text: String, _ attr: TextAttr = .plain) -> Int {
        var col = column
        guard row >= 0, row < height else { return col }
        for c in text {
            if col >= width { break }
            if c == "\t" {
                repeat { set(row: row, column: col, " ", attr); col += 1 } while col % 4 != 0 && col < width
                continue
            }
            if c == "\n" || c == "\r" { continue }
            set(row: row, column: col, c, attr)
            col += 1
        }
        return col
    }

    /// Fills a row range with blanks in `attr`.
    public mutating func fill(row: Int, from: Int = 0, to: Int? = nil, _ attr: TextAttr) {
        for col in from..<min(to ?? width, width) { set(row: row, column: col, " ", attr) }
    }

    /// Copies another buffer in at an offset, clipped.
    public mutating func blit(_ other: ScreenBuffer, row: Int, column: Int) {
        for r in 0..<other.height {
            for c in 0..<other.width {
                set(row: row + r, column: column + c, other[r, c], other.attr(row: r, column: c))
            }
        }
    }

    /// The rows as text with trailing blanks removed.
    public var lines: [String] {
        (0..<height).map { r in
            var s = String(chars[(r * width)..<((r + 1) * width)])
            while s.last == " " { s.removeLast() }
            return s
        }
    }

    /// All rows joined by newlines.
    public var text: String { lines.joined(separator: "\n") }

    /// Characters wider than one column are shown as `?` (East Asian wide ranges and emoji);
    /// control characters (C0, DEL and C1) as blanks, so none reaches the terminal.
    static func narrow(_ c: Character) -> Character {
        guard let s = c.unicodeScalars.first else { return " " }
        let v = s.value
        if TerminalText.isControl(s) { return " " }
        if (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1FAFF).contains(v) || (0x20000...0x3FFFD).contains(v) {
            return "?"
        }
        return c
    }
}
