import Foundation

// Plots compare by their data and their text rendering, never by SVG bytes.
extension OutputCheck {
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
}
