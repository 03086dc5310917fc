import Foundation

// The lines shown around a difference: only the first differing region, so memory stays linear.
extension OutputCheck {
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
}
