/// Names offered by Tab: variables, builtins and a builtin's keyword parameters.
public protocol CompletionSource: AnyObject {
    /// Variables and builtins whose names start with `prefix`.
    func names(prefix: String) -> [String]
    /// Keyword parameter names of the builtin or function `name`, without `=`.
    func keywords(of name: String) -> [String]
}

/// Tab completion on the text before the cursor.
public enum Completer {
    /// What Tab offers at a cursor.
    public struct Result: Equatable, Sendable {
        /// Characters before the cursor that the completion replaces.
        public var replacing: Int
        /// The candidates, sorted, each the full replacement text.
        public var candidates: [String]
        /// The longest common prefix of the candidates (what one Tab inserts).
        public var commonPrefix: String
    }

    /// The identifier being typed and the callee when inside a call's parentheses.
    ///
    /// - Parameter before: The text before the cursor.
    /// - Returns: The partial word and the innermost enclosing call's function name, if any.
    public static func context(_ before: String) -> (word: String, callee: String?) {
        let chars = Array(before)
        var start = chars.count
        while start > 0, TextEditor.isWord(chars[start - 1]) { start -= 1 }
        let word = String(chars[start...])
        // Walk back to the innermost unclosed `(` outside strings, then read the name before it.
        var depth = 0
        var i = start - 1
        var callee: String?
        var inString = false
        // Strings are scanned from the start to know which quotes are open.
        var quoteOpen = [Bool](repeating: false, count: chars.count + 1)
        for (k, c) in chars.enumerated() {
            quoteOpen[k] = inString
            if c == "\"" { inString.toggle() }
        }
        while i >= 0 {
            let c = chars[i]
            if quoteOpen[i] || c == "\"" { i -= 1; continue }
            if c == ")" || c == "]" { depth += 1 } else if c == "(" || c == "[" {
                if depth == 0 {
                    if c == "(" {
                        var j = i
                        while j > 0, chars[j - 1] == " " { j -= 1 }
                        var k = j
                        while k > 0, TextEditor.isWord(chars[k - 1]) || chars[k - 1] == "." { k -= 1 }
                        if k < j { callee = String(chars[k..<j]).split(separator: ".").last.map(String.init) }
                    }
                    break
                }
                depth -= 1
            }
            i -= 1
        }
        return (word, callee)
    }

    /// Completions at the end of `before`.
    ///
    /// Inside a call, keyword names of the callee come first as `name=`, then variables and
    /// builtins. Nothing is offered inside a string, after a digit, or for an empty word
    /// outside a call.
    ///
    /// - Parameters:
    ///   - before: The text before the cursor.
    ///   - source: Where names come from.
    /// - Returns: The completion, or nil when there is nothing to offer.
    public static func complete(_ before: String, source: any CompletionSource) -> Result? {
        let quotes = before.filter { $0 == "\"" }.count
        if quotes % 2 == 1 { return nil }
        let (word, callee) = context(before)
        if let first = word.first, first.isNumber { return nil }
        if before.hasSuffix("." + word) { return nil }  // fields need the value; not offered
        var candidates: [String] = []
        if let callee {
            candidates += source.keywords(of: callee).filter { $0.hasPrefix(word) }.sorted().map { $0 + "=" }
        }
        if !word.isEmpty {
            candidates += source.names(prefix: word).filter { $0.hasPrefix(word) }.sorted()
        }
        var seen = Set<String>()
        candidates = candidates.filter { seen.insert($0).inserted }
        guard !candidates.isEmpty else { return nil }
        return Result(replacing: word.count, candidates: candidates, commonPrefix: commonPrefix(candidates))
    }

    static func commonPrefix(_ words: [String]) -> String {
        guard var prefix = words.first.map(Array.init) else { return "" }
        for w in words.dropFirst() {
            let a = Array(w)
            var n = 0
            while n < prefix.count, n < a.count, prefix[n] == a[n] { n += 1 }
            prefix = Array(prefix[..<n])
        }
        return String(prefix)
    }
}
