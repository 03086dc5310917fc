import Foundation

/// A run of text drawn with one attribute.
public struct StyledRun: Equatable, Sendable {
    public var text: String
    public var attr: TextAttr
}

extension MarkdownRendering {
    /// The attributes of the terminal rendering.
    enum Style {
        static let heading = TextAttr(color: 7, bold: true)
        static let strong = TextAttr(bold: true)
        static let emphasis = TextAttr(italic: true)
        static let code = TextAttr(color: 4)
        static let link = TextAttr(color: 5, underline: true)
        static let math = TextAttr(color: 6)
        static let quote = TextAttr(dim: true)
        static let rule = TextAttr(dim: true)
    }

    /// The cell drawn for a terminal `width` columns wide: headings bold (level 1 underlined),
    /// emphasis italic, code in colour, links underlined, lists with bullets or numbers, block
    /// quotes behind `│`, tables in aligned columns, math as its TeX source in its own colour.
    ///
    /// - Parameter width: Columns available.
    /// - Returns: Lines of runs, each line at most `width` characters.
    public func terminalLines(width: Int) -> [[StyledRun]] {
        var renderer = TerminalMarkdown(width: max(8, width), rendering: self)
        for token in tokens { renderer.take(token) }
        return renderer.finish()
    }
}

/// Walks Ink's tokens and lays them out as terminal lines.
struct TerminalMarkdown {
    let width: Int
    let rendering: MarkdownRendering
    var lines: [[StyledRun]] = []
    /// Runs of the block being collected (a paragraph, heading, list item's text).
    var runs: [StyledRun] = []
    var styles: [TextAttr] = []
    var lists: [(ordered: Bool, next: Int)] = []
    var quoteDepth = 0
    var preformatted = false
    var bullet: String?
    var table: [[String]]? = nil
    var cell: String? = nil
    var headerRows = 0
    var links: [String] = []

    init(width: Int, rendering: MarkdownRendering) {
        self.width = width
        self.rendering = rendering
    }

    var current: TextAttr {
        styles.reduce(TextAttr()) { a, s in
            TextAttr(color: s.color != 0 ? s.color : a.color, bold: a.bold || s.bold, dim: a.dim || s.dim,
                     reverse: false, underline: a.underline || s.underline, italic: a.italic || s.italic)
        }
    }

    mutating func take(_ token: MarkdownRendering.Token) {
        switch token {
        case .text(let text):
            if cell != nil { cell? += text; return }
            if !preformatted && runs.isEmpty && text.allSatisfy(\.isWhitespace) { return }
            rendering.restoreMath(text, plain: { piece in
                if !piece.isEmpty { runs.append(StyledRun(text: piece, attr: current)) }
            }, mathSpan: { tex in
                runs.append(StyledRun(text: tex, attr: preformatted ? current : MarkdownRendering.Style.math))
            })
        case .open(let name, let attributes):
            switch name {
            case "h1", "h2", "h3", "h4", "h5", "h6":
                startBlock()
                styles.append(name == "h1" ? TextAttr(color: 7, bold: true, underline: true) : MarkdownRendering.Style.heading)
            case "p": if bullet == nil { startBlock() }
            case "strong": styles.append(MarkdownRendering.Style.strong)
            case "em": styles.append(MarkdownRendering.Style.emphasis)
            case "del", "s": styles.append(TextAttr(dim: true))
            case "code": styles.append(MarkdownRendering.Style.code)
            case "a": styles.append(MarkdownRendering.Style.link)
            case "pre":
                startBlock()
                preformatted = true
            case "blockquote":
                startBlock()
                quoteDepth += 1
                styles.append(MarkdownRendering.Style.quote)
            case "ul", "ol":
                if lists.isEmpty { startBlock() } else { endBlock() }
                lists.append((name == "ol", attributes["start"].flatMap { Int($0) } ?? 1))
            case "li":
                endBlock()
                if var list = lists.popLast() {
                    bullet = list.ordered ? "\(list.next). " : "• "
                    list.next += 1
                    lists.append(list)
                }
            case "img": runs.append(StyledRun(text: "[image: \(attributes["alt"] ?? "")]", attr: MarkdownRendering.Style.link))
            case "hr":
                startBlock()
                lines.append([StyledRun(text: String(repeating: "─", count: min(width, 40)), attr: MarkdownRendering.Style.rule)])
            case "br": endBlock()
            case "table":
                startBlock()
                table = []
            case "tr": table?.append([])
            case "th", "td": cell = ""
            case "thead": headerRows = 0
            default: break
            }
        case .close(let name):
            switch name {
            case "h1", "h2", "h3", "h4", "h5", "h6":
                endBlock()
                _ = styles.popLast()
            case "strong", "em", "del", "s", "code", "a": _ = styles.popLast()
            case "p": endBlock()
            case "pre":
                endBlock()
                preformatted = false
            case "blockquote":
                endBlock()
                quoteDepth = max(0, quoteDepth - 1)
                _ = styles.popLast()
            case "li":
                endBlock()
                bullet = nil
            case "ul", "ol":
                endBlock()
                _ = lists.popLast()
            case "th", "td":
                if let text = cell, var rows = table, !rows.isEmpty {
                    rows[rows.count - 1].append(text.trimmingCharacters(in: .whitespacesAndNewlines))
                    table = rows
                }
                cell = nil
            case "thead": headerRows = table?.count ?? 0
            case "table":
                if let rows = table { layOut(table: rows) }
                table = nil
            default: break
            }
        }
    }

    /// Ends the block before and leaves one blank line after it (none at the top).
    mutating func startBlock() {
        endBlock()
        if !lines.isEmpty && lists.isEmpty && lines.last?.isEmpty == false { lines.append([]) }
    }

    /// The prefix of every line of the current block: quote bars and list indentation.
    func prefix(first: Bool) -> String {
        var p = String(repeating: "│ ", count: quoteDepth)
        if !lists.isEmpty {
            p += String(repeating: "  ", count: lists.count - 1)
            p += first ? (bullet ?? "  ") : String(repeating: " ", count: (bullet ?? "  ").count)
        }
        return p
    }

    /// Lays the collected runs out as wrapped lines (or as they are, in a code block).
    mutating func endBlock() {
        guard !runs.isEmpty else { return }
        let blockRuns = runs
        runs = []
        if preformatted {
            var line: [StyledRun] = [StyledRun(text: prefix(first: false) + "  ", attr: MarkdownRendering.Style.quote)]
            for run in blockRuns {
                let parts = run.text.split(separator: "\n", omittingEmptySubsequences: false)
                for (i, part) in parts.enumerated() {
                    if i > 0 {
                        lines.append(line)
                        line = [StyledRun(text: prefix(first: false) + "  ", attr: MarkdownRendering.Style.quote)]
                    }
                    if !part.isEmpty { line.append(StyledRun(text: String(part.prefix(max(1, width - 2))), attr: MarkdownRendering.Style.code)) }
                }
            }
            if line.count > 1 || lines.last?.isEmpty == false { lines.append(line) }
            while lines.last.map({ $0.count == 1 && $0[0].text.allSatisfy(\.isWhitespace) }) == true { lines.removeLast() }
            return
        }
        // Words keep their run's attribute; lines break between words.
        var words: [(String, TextAttr, Bool)] = []  // text, attr, space before
        var space = false
        for run in blockRuns {
            var word = ""
            for ch in run.text {
                if ch.isWhitespace {
                    if !word.isEmpty { words.append((word, run.attr, space)); word = "" }
                    space = true
                } else {
                    word.append(ch)
                }
            }
            if !word.isEmpty { words.append((word, run.attr, space)); space = false }
        }
        var first = true
        var line: [StyledRun] = []
        var used = 0
        func newLine(_ lead: String) {
            line = lead.isEmpty ? [] : [StyledRun(text: lead, attr: quoteDepth > 0 ? MarkdownRendering.Style.quote : TextAttr())]
            used = lead.count
        }
        newLine(prefix(first: true))
        let start = used
        for (text, attr, spaced) in words {
            var piece = text
            let gap = spaced && used > start ? 1 : 0
            if used + gap + piece.count > width && used > start {
                lines.append(line)
                first = false
                newLine(prefix(first: first))
            } else if gap == 1 {
                append(" ", attr.underline ? attr : TextAttr(), to: &line)
                used += 1
            }
            while used + piece.count > width {
                let room = max(1, width - used)
                append(String(piece.prefix(room)), attr, to: &line)
                lines.append(line)
                piece = String(piece.dropFirst(room))
                newLine(prefix(first: false))
            }
            append(piece, attr, to: &line)
            used += piece.count
        }
        if !line.isEmpty { lines.append(line) }
    }

    /// Appends text to a line, joining it to the last run when the attribute is the same.
    func append(_ text: String, _ attr: TextAttr, to line: inout [StyledRun]) {
        if let last = line.last, last.attr == attr {
            line[line.count - 1].text += text
        } else {
            line.append(StyledRun(text: text, attr: attr))
        }
    }

    /// A table as aligned columns: `│` between cells, a rule under the header row.
    mutating func layOut(table rows: [[String]]) {
        let columns = rows.map(\.count).max() ?? 0
        guard columns > 0 else { return }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        // Shrink the widest columns until the table fits.
        while widths.reduce(0, +) + 3 * (columns - 1) > width, let widest = widths.indices.max(by: { widths[$0] < widths[$1] }), widths[widest] > 3 {
            widths[widest] -= 1
        }
        for (r, row) in rows.enumerated() {
            var line: [StyledRun] = []
            for i in 0..<columns {
                let text = i < row.count ? row[i] : ""
                let shown = text.count > widths[i] ? String(text.prefix(widths[i] - 1)) + "…" : text
                let padded = shown + String(repeating: " ", count: widths[i] - shown.count)
                if i > 0 { line.append(StyledRun(text: " │ ", attr: MarkdownRendering.Style.rule)) }
                line.append(StyledRun(text: padded, attr: r < headerRows ? MarkdownRendering.Style.strong : TextAttr()))
            }
            lines.append(line)
            if r + 1 == headerRows {
                let rule = widths.map { String(repeating: "─", count: $0) }.joined(separator: "─┼─")
                lines.append([StyledRun(text: rule, attr: MarkdownRendering.Style.rule)])
            }
        }
    }

    mutating func finish() -> [[StyledRun]] {
        endBlock()
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }
}
