import Foundation

// Printed text as tokens: numbers compare within the tolerance, everything else as written.
extension OutputCheck {
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
}
