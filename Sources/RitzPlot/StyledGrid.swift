/// The look of one cell: a palette colour (or the terminal default) and weight.
public struct CellStyle: Sendable, Hashable {
    /// Foreground colour; nil is the terminal's default colour.
    public var color: PlotColor?
    /// Bold (titles).
    public var bold: Bool

    /// Creates a style.
    ///
    /// - Parameters:
    ///   - color: Foreground colour, nil for the default.
    ///   - bold: Whether the cell is bold.
    public init(color: PlotColor? = nil, bold: Bool = false) {
        self.color = color
        self.bold = bold
    }

    /// The default style.
    public static let plain = CellStyle()
}

/// One character cell of a rendered plot.
public struct StyledCell: Sendable, Hashable {
    /// The character shown (one Unicode scalar, one column wide).
    public var char: Unicode.Scalar
    /// How it is shown.
    public var style: CellStyle

    /// Creates a cell.
    ///
    /// - Parameters:
    ///   - char: The character.
    ///   - style: Its style.
    public init(_ char: Unicode.Scalar, _ style: CellStyle = .plain) {
        self.char = char
        self.style = style
    }
}

/// A rectangle of styled character cells: what a plot renders into before it reaches a screen.
///
/// The notebook draws it with curses; `text(color:)` turns it into plain or ANSI text.
public struct StyledGrid: Sendable, Equatable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// Cells, row-major, `width * height` of them.
    public private(set) var cells: [StyledCell]

    /// Creates a grid of blanks.
    ///
    /// - Parameters:
    ///   - width: Columns (negative counts as zero).
    ///   - height: Rows (negative counts as zero).
    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: StyledCell(" "), count: self.width * self.height)
    }

    /// The cell at a row and column; reads outside the grid give a blank.
    public subscript(row: Int, column: Int) -> StyledCell {
        get {
            guard row >= 0, row < height, column >= 0, column < width else { return StyledCell(" ") }
            return cells[row * width + column]
        }
        set {
            guard row >= 0, row < height, column >= 0, column < width else { return }
            cells[row * width + column] = newValue
        }
    }

    /// Direct access to the cells for bulk writes.
    mutating func withCells<R>(_ body: (UnsafeMutableBufferPointer<StyledCell>) -> R) -> R {
        cells.withUnsafeMutableBufferPointer { body($0) }
    }

    /// One row of cells.
    ///
    /// - Parameters:
    ///   - row: Row index; outside the grid gives an empty array.
    /// - Returns: The cells of that row, left to right.
    public func row(_ row: Int) -> ArraySlice<StyledCell> {
        guard row >= 0, row < height else { return [] }
        return cells[(row * width)..<((row + 1) * width)]
    }

    /// Writes a string starting at a cell, clipped to the grid.
    ///
    /// - Parameters:
    ///   - string: The text; each Unicode scalar takes one column (combining marks are dropped),
    ///     control characters are written as visible escapes (`TerminalText.inert`), so a
    ///     label cannot reach the terminal or break the grid's lines.
    ///   - row: The row.
    ///   - column: The first column.
    ///   - style: The style of every cell written.
    public mutating func put(_ string: String, row: Int, column: Int, style: CellStyle = .plain) {
        guard row >= 0, row < height else { return }
        var c = column
        for ch in TerminalText.inert(string, keepingLineBreaks: false).unicodeScalars {
            if c >= width { break }
            if ch.value >= 0x300, ch.properties.generalCategory == .nonspacingMark { continue }
            if c >= 0 { cells[row * width + c] = StyledCell(ch, style) }
            c += 1
        }
    }

    /// The grid as text, one line a row, trailing blanks trimmed, lines joined by `\n`.
    ///
    /// - Parameters:
    ///   - color: When true, colour and bold are written as ANSI SGR sequences (reset at the
    ///     end of every line); when false the text is plain.
    /// - Returns: The text, without a final newline.
    public func text(color: Bool) -> String {
        var out = ""
        out.reserveCapacity(width * height + height)
        for r in 0..<height {
            let rowCells = row(r)
            var end = rowCells.endIndex
            while end > rowCells.startIndex, rowCells[end - 1].char == " " { end -= 1 }
            var current = CellStyle.plain
            for cell in rowCells[rowCells.startIndex..<end] {
                if color, cell.style != current, cell.char != " " || cell.style.color == nil {
                    out += Self.sgr(cell.style)
                    current = cell.style
                }
                out.unicodeScalars.append(cell.char)
            }
            if color, current != .plain { out += "\u{1B}[0m" }
            if r < height - 1 { out.append("\n") }
        }
        return out
    }

    static func sgr(_ style: CellStyle) -> String {
        var codes = ["0"]
        if style.bold { codes.append("1") }
        if let c = style.color { codes.append(String(c.ansiCode)) }
        return "\u{1B}[" + codes.joined(separator: ";") + "m"
    }
}
