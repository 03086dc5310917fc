import Foundation

/// Comparison of a saved notebook's outputs with a re-run, for `ritz check`.
///
/// Cells are matched by position and outputs by index; execution counts are ignored. In the
/// default (tolerant) mode every text output (stream, value, error, a plot's text rendering) is
/// compared as a stream of tokens, not as columns: numbers (`1.234e-05`, `-0.5`, `inf`, `nan`,
/// the parts of `1+2im`, entries of a `[ … ]` tensor display) agree when
/// |a − b| ≤ atol + rtol·max(|a|, |b|) (NumPy's `isclose` made symmetric), every other token must
/// be equal, and whitespace only separates tokens, so a column that moves because a number's
/// printed width changed is not a difference. Runs of one box-drawing character (a plot frame,
/// tick marks) are one token, so a tick mark one column over is not a difference either.
///
/// A plot is compared by its data (`plotDataMIME`, see `PlotOutput.data`) with the same
/// tolerance, and by its text rendering: labels, ticks and legend as tokens, and the braille
/// canvas by its dots. A value within tolerance can cross a pixel boundary and move a dot by one
/// position, so the canvases agree when every dot of each lies within one dot (across, up, down
/// or diagonally) of a dot of the other; a line through a moved point moves by at most one dot
/// along its length, so the same rule covers the lines between points. The SVG is never
/// compared: its bytes follow from the data and the renderer.
///
/// A code cell whose metadata `tags` contain `ritz:skip-check` or `nbval-ignore-output` (the tag
/// nbval users already write) is run but not compared.
public enum OutputCheck {
    /// How outputs are compared.
    public struct Options: Equatable, Sendable {
        /// Relative tolerance for numbers.
        public var rtol: Double
        /// Absolute tolerance for numbers.
        ///
        /// The default, 1e-12, covers rounding residue where the exact value is zero or tiny, which
        /// a relative tolerance cannot: a sum of n O(1) double-precision terms carries an error of
        /// up to n·ε (ε = 2.2e-16), so 1e-12 absorbs the residue of sums of up to ~4,500 such terms
        /// (e.g. a residual printed as `4.94e-15` under one BLAS kernel and `1.09e-14` under
        /// another), while it stays below the last digit of any number printed with 11 decimals or
        /// fewer, so it hides no visible change of an O(1) quantity.
        public var atol: Double
        /// Byte equality of every output (execution counts still ignored).
        public var exact: Bool

        /// Creates options.
        ///
        /// - Parameters:
        ///   - rtol: Relative tolerance (default 1e-6).
        ///   - atol: Absolute tolerance (default 1e-12).
        ///   - exact: Compare bytes instead.
        public init(rtol: Double = 1e-6, atol: Double = 1e-12, exact: Bool = false) {
            self.rtol = rtol
            self.atol = atol
            self.exact = exact
        }
    }

    /// Cell tags that opt a cell out of the comparison.
    public static let skipTags: Set<String> = ["ritz:skip-check", "nbval-ignore-output"]

    /// One cell whose outputs differ.
    public struct Mismatch: Equatable, Sendable {
        /// 1-based position of the cell in the notebook.
        public var cell: Int
        /// The first line of the cell's source.
        public var firstLine: String
        /// 1-based index of the differing output, or nil when the outputs differ in number.
        public var output: Int?
        /// What kind of output it is (`stream stdout`, `value`, `plot`, `error`, …).
        public var kind: String
        /// What differs: the first differing token with both values and the tolerance it broke.
        public var detail: String
        /// Lines of context: the differing region of the two texts (`-` saved, `+` re-run).
        public var context: [String]
    }

    /// The result of a comparison.
    public struct Report: Equatable, Sendable {
        /// Cells whose outputs differ, in order.
        public var mismatches: [Mismatch]
        /// Code cells compared.
        public var compared: Int
        /// Code cells skipped because of a tag.
        public var skipped: Int
        /// Differences in the notebooks' shape (cell count, cell kinds).
        public var structural: [String]

        /// True when nothing differs.
        public var passed: Bool { mismatches.isEmpty && structural.isEmpty }

        /// The report as printable lines: one heading a mismatch, then its context indented.
        public var lines: [String] {
            var out = structural
            for m in mismatches {
                let which = m.output.map { "output \($0) (\(m.kind))" } ?? "outputs"
                out.append("cell \(m.cell) `\(m.firstLine)`, \(which): \(m.detail)")
                out.append(contentsOf: m.context.map { "    " + $0 })
            }
            return out
        }

        /// The one-line summary: how many cells were compared, skipped and differ.
        public var summary: String {
            let skippedNote = skipped > 0 ? ", \(skipped) skipped by tag" : ""
            if passed { return "\(compared) cells, all outputs match\(skippedNote)" }
            return "\(compared) cells, \(mismatches.count) differ\(skippedNote)"
        }
    }

    /// Compares every code cell of `saved` with the same cell of `rerun`.
    ///
    /// - Parameters:
    ///   - saved: The notebook as saved.
    ///   - rerun: The same notebook after running it again.
    ///   - options: Tolerances, or byte equality.
    /// - Returns: The report.
    public static func compare(saved: Notebook, rerun: Notebook, options: Options = Options()) -> Report {
        var report = Report(mismatches: [], compared: 0, skipped: 0, structural: [])
        if saved.cells.count != rerun.cells.count {
            report.structural.append("cell count differs: saved \(saved.cells.count), re-run \(rerun.cells.count)")
        }
        for index in 0..<min(saved.cells.count, rerun.cells.count) {
            let a = saved.cells[index], b = rerun.cells[index]
            guard a.kind == .code else { continue }
            if isSkipped(a) {
                report.skipped += 1
                continue
            }
            report.compared += 1
            let first = a.source.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
            func mismatch(_ output: Int?, _ kind: String, _ detail: String, _ context: [String] = []) {
                report.mismatches.append(Mismatch(cell: index + 1, firstLine: first, output: output, kind: kind,
                                                  detail: detail, context: context))
            }
            guard b.kind == .code else {
                mismatch(nil, "cell", "the re-run cell is \(b.kind.rawValue), not code")
                continue
            }
            for k in 0..<min(a.outputs.count, b.outputs.count) {
                if let (detail, context) = compare(a.outputs[k], b.outputs[k], options: options) {
                    mismatch(k + 1, kindName(a.outputs[k]), detail, context)
                    break
                }
            }
            if !report.mismatches.contains(where: { $0.cell == index + 1 }), a.outputs.count != b.outputs.count {
                let extra = a.outputs.count > b.outputs.count ? a.outputs[b.outputs.count] : b.outputs[a.outputs.count]
                let side = a.outputs.count > b.outputs.count ? "missing from the re-run" : "new in the re-run"
                mismatch(nil, "outputs", "saved \(a.outputs.count) outputs, re-run \(b.outputs.count); "
                            + "output \(min(a.outputs.count, b.outputs.count) + 1) (\(kindName(extra))) is \(side)",
                         firstLines(of: extra.plainText, sign: a.outputs.count > b.outputs.count ? "-" : "+"))
            }
        }
        return report
    }

    /// Whether a cell's metadata tags opt it out of the comparison.
    ///
    /// - Parameter cell: The saved cell.
    /// - Returns: True when `tags` holds one of `skipTags`.
    public static func isSkipped(_ cell: Cell) -> Bool {
        let tags = cell.metadata["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return tags.contains(where: skipTags.contains)
    }

    /// A short name for an output's kind.
    static func kindName(_ output: CellOutput) -> String {
        switch output {
        case .stream(let name, _): return "stream \(name)"
        case .result(_, let data): return data[svgMIME] != nil || data[plotDataMIME] != nil ? "plot" : "value"
        case .display(let data): return data[svgMIME] != nil || data[plotDataMIME] != nil ? "plot" : "display"
        case .error: return "error"
        }
    }

    /// The first difference between two outputs, or nil when they agree.
    ///
    /// - Returns: What differs and lines of context.
    static func compare(_ a: CellOutput, _ b: CellOutput, options: Options) -> (String, [String])? {
        if options.exact { return compareExact(a, b) }
        switch (a, b) {
        case (.stream(let na, let ta), .stream(let nb, let tb)):
            if na != nb { return ("stream \(na) became \(nb)", []) }
            return compareText(ta, tb, options: options)
        case (.error(let na, _, _), .error(let nb, _, _)):
            if na != nb { return ("error \(na) became \(nb)", []) }
            return compareText(a.plainText, b.plainText, options: options)
        case (.result(_, let da), .result(_, let db)), (.display(let da), .display(let db)):
            return compareBundle(da, db, options: options)
        default:
            return ("a \(typeName(a)) output became a \(typeName(b)) output", [])
        }
    }

    /// The kind of an output, with its nbformat type when the kind alone does not tell two apart
    /// (a plotted value is an `execute_result`, a live plot `display_data`).
    static func typeName(_ output: CellOutput) -> String {
        switch output {
        case .result: return kindName(output) == "plot" ? "plot (execute_result)" : kindName(output)
        case .display: return kindName(output) == "plot" ? "plot (display_data)" : kindName(output)
        default: return kindName(output)
        }
    }

    /// Byte equality of two outputs, ignoring a value's execution count.
    static func compareExact(_ a: CellOutput, _ b: CellOutput) -> (String, [String])? {
        var left = a, right = b
        if case .result(_, let d) = a { left = .result(executionCount: nil, data: d) }
        if case .result(_, let d) = b { right = .result(executionCount: nil, data: d) }
        if left == right { return nil }
        if kindName(a) != kindName(b) { return ("a \(kindName(a)) output became a \(kindName(b)) output", []) }
        let ta = a.plainText, tb = b.plainText
        if ta == tb {
            let mimes = Set(bundle(of: a).keys).union(bundle(of: b).keys).sorted()
            let differing = mimes.filter { bundle(of: a)[$0] != bundle(of: b)[$0] }
            return ("bytes differ (--exact) in \(differing.joined(separator: ", ")); the text is the same", [])
        }
        let la = lines(ta), lb = lines(tb)
        let line = firstDifferingLine(la, lb)
        return ("bytes differ (--exact) from line \(line + 1)", regionDiff(la, lb))
    }

    static func bundle(of output: CellOutput) -> [String: String] {
        switch output {
        case .result(_, let d), .display(let d): return d
        default: return [:]
        }
    }

    /// Compares MIME bundles: a plot by its data and text rendering, anything else by its text.
    static func compareBundle(_ a: [String: String], _ b: [String: String], options: Options) -> (String, [String])? {
        let textA = a[textMIME] ?? "", textB = b[textMIME] ?? ""
        let isPlot = a[svgMIME] != nil || a[plotDataMIME] != nil
        if isPlot != (b[svgMIME] != nil || b[plotDataMIME] != nil) {
            return (isPlot ? "the plot became a value" : "the value became a plot", [])
        }
        if isPlot {
            if let ja = a[plotDataMIME].flatMap({ try? JSONValue.parse(Data($0.utf8)) }),
               let jb = b[plotDataMIME].flatMap({ try? JSONValue.parse(Data($0.utf8)) }),
               let difference = compareJSON(ja, jb, path: "", options: options) {
                return ("plot data " + difference, [])
            }
            return comparePlotText(textA, textB, options: options)
        }
        for mime in Set(a.keys).union(b.keys).sorted() where mime != textMIME && a[mime] != b[mime] {
            return ("\(mime) differs", [])
        }
        return compareText(textA, textB, options: options)
    }

    // MARK: Tokens

    /// A token of printed text: a number with its value, or any other piece compared as written.
    struct Token: Equatable {
        /// The text as printed.
        var text: String
        /// The value when the token is a number.
        var value: Double?
        /// 0-based line of the text the token starts on.
        var line: Int
    }

    /// Whether a character continues an identifier (so digits after it are not a number).
    static func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }

    static func isDigit(_ c: Character) -> Bool { c.isASCII && c.isNumber }

    /// Splits text into tokens: numbers, words, and single other characters (a run of one
    /// box-drawing character, U+2500–U+257F, is one token). Whitespace separates tokens.
    ///
    /// A number is `digits[.digits][e±digits]` or `.digits`, optionally signed; `inf`, `nan` and
    /// `infinity` (any case, optionally signed) are numbers too. A sign belongs to the number
    /// unless it follows a letter, `_`, `)` or `]` (then it is an operator: `x-1`, `f(x)-1`); so
    /// `1+2im` gives `1`, `+2`, `im`. Digits inside a word (`x1`, `conv2d`) are part of the word.
    ///
    /// - Parameter text: The text.
    /// - Returns: The tokens in order.
    static func tokens(_ text: String) -> [Token] {
        let chars = Array(text)
        var out: [Token] = []
        var i = 0, line = 0
        func previous(_ at: Int) -> Character? { at > 0 ? chars[at - 1] : nil }
        /// The end of a number starting at `start` (after any sign), or nil.
        func numberEnd(_ start: Int) -> Int? {
            var j = start
            var digits = 0
            while j < chars.count, isDigit(chars[j]) { j += 1; digits += 1 }
            if j < chars.count, chars[j] == "." {
                var k = j + 1, fraction = 0
                while k < chars.count, isDigit(chars[k]) { k += 1; fraction += 1 }
                if digits + fraction == 0 { return nil }
                j = k
            } else if digits == 0 {
                return nil
            }
            if j < chars.count, chars[j] == "e" || chars[j] == "E" {
                var k = j + 1
                if k < chars.count, chars[k] == "+" || chars[k] == "-" { k += 1 }
                if k < chars.count, isDigit(chars[k]) {
                    while k < chars.count, isDigit(chars[k]) { k += 1 }
                    j = k
                }
            }
            return j
        }
        /// The end of a word of identifier characters starting at `start`.
        func wordEnd(_ start: Int) -> Int {
            var j = start
            while j < chars.count, isWordCharacter(chars[j]) { j += 1 }
            return j
        }
        func special(_ word: String) -> Double? {
            switch word.lowercased() {
            case "inf", "infinity": return .infinity
            case "nan": return .nan
            default: return nil
            }
        }
        while i < chars.count {
            let c = chars[i]
            if c == "\n" { line += 1; i += 1; continue }
            if c.isWhitespace { i += 1; continue }
            let afterWord = previous(i).map(isWordCharacter) ?? false
            if (c == "+" || c == "-"), i + 1 < chars.count {
                let p = previous(i)
                let operatorPosition = p.map { $0.isLetter || $0 == "_" || $0 == ")" || $0 == "]" } ?? false
                if !operatorPosition {
                    if let end = numberEnd(i + 1) {
                        let text = String(chars[i..<end])
                        out.append(Token(text: text, value: parseNumber(text), line: line))
                        i = end
                        continue
                    }
                    if chars[i + 1].isLetter {
                        let end = wordEnd(i + 1)
                        if let v = special(String(chars[(i + 1)..<end])) {
                            out.append(Token(text: String(chars[i..<end]), value: c == "-" ? -v : v, line: line))
                            i = end
                            continue
                        }
                    }
                }
            }
            if !afterWord, isDigit(c) || c == ".", let end = numberEnd(i) {
                let text = String(chars[i..<end])
                out.append(Token(text: text, value: parseNumber(text), line: line))
                i = end
                continue
            }
            if isWordCharacter(c) {
                let end = wordEnd(i)
                let word = String(chars[i..<end])
                out.append(Token(text: word, value: afterWord ? nil : special(word), line: line))
                i = end
                continue
            }
            var end = i + 1
            if let scalar = c.unicodeScalars.first, c.unicodeScalars.count == 1, (0x2500...0x257F).contains(scalar.value) {
                while end < chars.count, chars[end] == c { end += 1 }
            }
            out.append(Token(text: String(c), value: nil, line: line))
            i = end
        }
        return out
    }

    /// The value of a printed number (`1.`, `.5`, `-2e-05`).
    static func parseNumber(_ text: String) -> Double? {
        var t = text
        if t.hasSuffix(".") { t += "0" }
        if let dot = t.firstIndex(of: "."), dot == t.startIndex || !isDigit(t[t.index(before: dot)]) {
            t.insert("0", at: dot)
        }
        return Double(t)
    }

    /// Whether two numbers agree: |a − b| ≤ atol + rtol·max(|a|, |b|); NaN agrees with NaN and
    /// an infinity only with itself.
    ///
    /// - Parameters:
    ///   - a: The saved value.
    ///   - b: The re-run value.
    ///   - options: The tolerances.
    /// - Returns: True when they agree.
    public static func close(_ a: Double, _ b: Double, options: Options) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a.isInfinite || b.isInfinite { return a == b }
        return abs(a - b) <= options.atol + options.rtol * max(abs(a), abs(b))
    }

    /// "saved X, re-run Y (|Δ| = … > atol … + rtol·max = …)".
    static func describe(_ saved: String, _ rerun: String, _ a: Double?, _ b: Double?, options: Options) -> String {
        var s = "saved \(saved), re-run \(rerun)"
        if let a, let b, a.isFinite, b.isFinite {
            let bound = options.atol + options.rtol * max(abs(a), abs(b))
            s += " (|Δ| = \(short(abs(a - b))) > atol \(short(options.atol)) + rtol \(short(options.rtol))·\(short(max(abs(a), abs(b)))) = \(short(bound)))"
        }
        return s
    }

    static func short(_ d: Double) -> String { String(format: "%.3g", d) }

    /// The first differing token of two texts, or nil when they agree.
    ///
    /// - Returns: The index of the token in each stream and the description.
    static func firstDifference(_ ta: [Token], _ tb: [Token], options: Options) -> (Int, String)? {
        for k in 0..<min(ta.count, tb.count) {
            let x = ta[k], y = tb[k]
            if x.text == y.text { continue }
            if let a = x.value, let b = y.value {
                if close(a, b, options: options) { continue }
                return (k, "token \(k + 1) differs: " + describe(x.text, y.text, a, b, options: options))
            }
            return (k, "token \(k + 1) differs: saved `\(x.text)`, re-run `\(y.text)`")
        }
        if ta.count != tb.count {
            let k = min(ta.count, tb.count)
            let extra = ta.count > tb.count ? "saved has `\(ta[k].text)` where the re-run ends"
                                            : "re-run has `\(tb[k].text)` where the saved text ends"
            return (k, "token \(k + 1) differs: \(extra)")
        }
        return nil
    }

    /// Compares two texts as token streams.
    static func compareText(_ a: String, _ b: String, options: Options) -> (String, [String])? {
        if a == b { return nil }
        let ta = tokens(a), tb = tokens(b)
        guard let (k, detail) = firstDifference(ta, tb, options: options) else { return nil }
        let la = lines(a), lb = lines(b)
        let lineA = k < ta.count ? ta[k].line : la.count, lineB = k < tb.count ? tb[k].line : lb.count
        return ("line \(lineA + 1), " + detail, regionDiff(la, lb, around: (lineA, lineB)))
    }

    static func lines(_ text: String) -> [String] {
        var t = text
        if t.hasSuffix("\n") { t.removeLast() }
        return t.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    // MARK: Plots

    /// Compares two JSON values: numbers within tolerance, everything else equal.
    ///
    /// - Returns: The path of the first difference and both values, or nil.
    static func compareJSON(_ a: JSONValue, _ b: JSONValue, path: String, options: Options) -> String? {
        switch (a, b) {
        case (.number(let x), .number(let y)):
            return close(x, y, options: options) ? nil
                : "\(path.isEmpty ? "value" : path) differs: " + describe(JSONValue.format(x), JSONValue.format(y), x, y, options: options)
        case (.array(let xs), .array(let ys)):
            if xs.count != ys.count { return "\(path) has \(ys.count) values, saved \(xs.count)" }
            for (k, (x, y)) in zip(xs, ys).enumerated() {
                if let d = compareJSON(x, y, path: "\(path)[\(k)]", options: options) { return d }
            }
            return nil
        case (.object(let xs), .object(let ys)):
            for key in Set(xs.keys).union(ys.keys).sorted() {
                let sub = path.isEmpty ? key : "\(path).\(key)"
                guard let x = xs[key], let y = ys[key] else { return "\(sub) is \(xs[key] == nil ? "new" : "missing")" }
                if let d = compareJSON(x, y, path: sub, options: options) { return d }
            }
            return nil
        default:
            return a == b ? nil : "\(path) differs: saved \(a.serialized(indent: 0)), re-run \(b.serialized(indent: 0))"
        }
    }

    /// The braille dot bits of a character, or nil when it is not a braille pattern.
    static func brailleBits(_ c: Character) -> UInt32? {
        guard c.unicodeScalars.count == 1, let s = c.unicodeScalars.first, (0x2800...0x28FF).contains(s.value) else { return nil }
        return s.value - 0x2800
    }

    /// Dot offsets (column 0–1, row 0–3) of the eight braille bits, in bit order (Unicode's
    /// dot numbering 1, 2, 3, 4, 5, 6, 7, 8).
    static let brailleDots: [(x: Int, y: Int)] = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (0, 3), (1, 3)]

    /// Compares two plot text renderings: the braille canvas by its dots within one dot, the
    /// rest (ticks, labels, legend, markers) as tokens.
    static func comparePlotText(_ a: String, _ b: String, options: Options) -> (String, [String])? {
        if a == b { return nil }
        let la = lines(a), lb = lines(b)
        if la.count != lb.count {
            return ("the text rendering has \(lb.count) lines, saved \(la.count)", regionDiff(la, lb))
        }
        /// The text with braille cells blanked, and the set dots as (x, y) in dot units.
        func split(_ rows: [String]) -> (String, Set<Int64>) {
            var dots = Set<Int64>()
            var text: [String] = []
            for (r, row) in rows.enumerated() {
                var blanked = ""
                for (c, ch) in row.enumerated() {
                    if let bits = brailleBits(ch) {
                        blanked.append(" ")
                        for (bit, d) in brailleDots.enumerated() where bits & (1 << UInt32(bit)) != 0 {
                            dots.insert(key(2 * c + d.x, 4 * r + d.y))
                        }
                    } else {
                        blanked.append(ch)
                    }
                }
                text.append(blanked)
            }
            return (text.joined(separator: "\n"), dots)
        }
        let (textA, dotsA) = split(la), (textB, dotsB) = split(lb)
        if let (detail, _) = compareText(textA, textB, options: options) {
            let line = firstDifferingLine(la, lb)
            return ("text rendering: " + detail, regionDiff(la, lb, around: (line, line)))
        }
        for (from, to, name) in [(dotsA, dotsB, "saved"), (dotsB, dotsA, "re-run")] {
            for dot in from.sorted() where !hasNeighbour(dot, in: to) {
                let (x, y) = unkey(dot)
                let row = y / 4
                return ("the canvas differs by more than one dot: a dot of the \(name) rendering at line \(row + 1), "
                        + "column \(x / 2 + 1) has no dot within one position in the other",
                        regionDiff(la, lb, around: (row, row)))
            }
        }
        return nil
    }

    static func key(_ x: Int, _ y: Int) -> Int64 { Int64(y) << 32 | Int64(UInt32(truncatingIfNeeded: x)) }

    static func unkey(_ k: Int64) -> (Int, Int) { (Int(Int32(truncatingIfNeeded: k & 0xFFFF_FFFF)), Int(k >> 32)) }

    static func hasNeighbour(_ dot: Int64, in set: Set<Int64>) -> Bool {
        let (x, y) = unkey(dot)
        for dy in -1...1 {
            for dx in -1...1 where set.contains(key(x + dx, y + dy)) { return true }
        }
        return false
    }

    // MARK: Context

    static func firstDifferingLine(_ a: [String], _ b: [String]) -> Int {
        var line = 0
        while line < a.count, line < b.count, a[line] == b[line] { line += 1 }
        return line
    }

    /// The first region where two line lists differ, as diff lines, in memory linear in the input.
    ///
    /// Common leading and trailing lines are stripped (the last `context` of the leading ones are
    /// shown); of the region left, at most `limit` lines of each side are shown (`-` saved,
    /// `+` re-run), with a count of the rest. When `around` names the lines where the first
    /// differing token lies, the region starts there instead (tokens may agree on lines whose
    /// bytes differ).
    ///
    /// - Parameters:
    ///   - a: Saved lines.
    ///   - b: Re-run lines.
    ///   - around: Lines (saved, re-run) to start the region at, if known.
    ///   - context: Unchanged lines shown before the region.
    ///   - limit: Lines shown of each side of the region.
    /// - Returns: The diff lines.
    public static func regionDiff(_ a: [String], _ b: [String], around: (Int, Int)? = nil,
                                  context: Int = 2, limit: Int = 6) -> [String] {
        var start = 0
        while start < a.count, start < b.count, a[start] == b[start] { start += 1 }
        var endA = a.count, endB = b.count
        while endA > start, endB > start, a[endA - 1] == b[endB - 1] { endA -= 1; endB -= 1 }
        var startA = start, startB = start
        if let (la, lb) = around, la >= start, lb >= start, la <= endA, lb <= endB {
            startA = la
            startB = lb
        }
        var out: [String] = []
        let shared = min(startA, startB)
        if shared > context { out.append("  …") }
        for i in max(0, shared - context)..<shared { out.append("  " + a[i]) }
        func side(_ lines: [String], _ from: Int, _ to: Int, _ sign: String) {
            let shown = min(to, from + limit)
            for i in from..<shown { out.append(sign + " " + lines[i]) }
            if to > shown { out.append(sign + " … \(to - shown) more lines") }
        }
        side(a, startA, endA, "-")
        side(b, startB, endB, "+")
        return out
    }

    static func firstLines(of text: String, sign: String, limit: Int = 6) -> [String] {
        let all = lines(text)
        var out = all.prefix(limit).map { sign + " " + $0 }
        if all.count > limit { out.append(sign + " … \(all.count - limit) more lines") }
        return out
    }

    // MARK: Running

    /// Runs every code cell of a saved session and compares the outputs with the saved ones.
    ///
    /// Cells run in order whether or not earlier ones failed (an error output is compared like
    /// any other output); tagged cells run too, so later cells see their variables.
    ///
    /// - Parameters:
    ///   - saved: The session as saved.
    ///   - evaluator: A fresh language session.
    ///   - options: Tolerances, or byte equality.
    /// - Returns: The report.
    /// - Throws: `NotebookError` when a journal write fails (none is used here, so in practice never).
    public static func run(_ saved: Notebook, evaluator: any CellEvaluator, options: Options = Options()) throws -> Report {
        var rerun = saved
        try NotebookRunner(evaluator: evaluator).runAll(&rerun, stopOnError: false)
        return compare(saved: saved, rerun: rerun, options: options)
    }

    /// `ritz check FILE`: loads a session, re-runs it, prints the report; the command's exit status.
    ///
    /// - Parameters:
    ///   - path: The `.ipynb` file.
    ///   - options: Tolerances, or byte equality.
    ///   - evaluator: A fresh language session.
    ///   - print: Where report lines go (standard output by default).
    /// - Returns: 0 when every compared output matches, 1 on any difference or when the file
    ///   cannot be read (the reason is printed).
    public static func command(path: String, options: Options, evaluator: any CellEvaluator,
                               print: (String) -> Void = { Swift.print($0) }) -> Int32 {
        let report: Report
        do {
            report = try run(try Notebook.load(path: path), evaluator: evaluator, options: options)
        } catch {
            FileHandle.standardError.write(Data("ritz: \(error)\n".utf8))
            return 1
        }
        if report.passed {
            print("\(path): \(report.summary)")
            return 0
        }
        print("\(path): outputs differ (\(report.summary))")
        for line in report.lines { print(line) }
        return 1
    }
}
