/// Decides whether Enter should run the input or start a new line.
public enum InputCompleteness {
    /// True when no bracket is open, no string is unterminated and the last line does not end
    /// with a binary operator, a comma or `->` that asks for more.
    ///
    /// Comments (`#` to the end of the line) and the inside of strings are ignored; a closing
    /// bracket without an opener counts as complete, so the evaluator reports the error.
    ///
    /// - Parameter source: The text typed so far.
    /// - Returns: Whether it is ready to run.
    public static func isComplete(_ source: String) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        var inComment = false
        var lastSignificant: [Character] = []
        for c in source {
            if inComment {
                if c == "\n" { inComment = false }
                continue
            }
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
                if c == "\n" { lastSignificant = [] }
                continue
            }
            switch c {
            case "#": inComment = true; continue
            case "\"": inString = true
            case "(", "[", "{": depth += 1
            case ")", "]", "}": depth = max(0, depth - 1)
            default: break
            }
            if c == "\n" {
                continue
            }
            if !c.isWhitespace {
                lastSignificant.append(c)
                if lastSignificant.count > 2 { lastSignificant.removeFirst() }
            }
        }
        if inString || depth > 0 { return false }
        let tail = String(lastSignificant)
        if tail.hasSuffix("|>") || tail.hasSuffix("->") { return false }
        if let last = lastSignificant.last, ",+*/@^=|&".contains(last) {
            if tail == "==" || tail == "<=" || tail == ">=" || tail == "!=" { return false }
            return false
        }
        return true
    }
}
