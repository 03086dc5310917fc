import Foundation

/// Names offered by Tab: variables, builtins and a builtin's keyword parameters.
public protocol CompletionSource: AnyObject {
    /// Variables and builtins whose names start with `prefix`.
    func names(prefix: String) -> [String]
    /// Keyword parameter names of the builtin or function `name`, without `=`.
    func keywords(of name: String) -> [String]
    /// Field names of the value of `base` (a variable name), for `base.` + Tab.
    func fields(of base: String) -> [String]
    /// The entries of a folder (`""` is the working folder), folders ending in `/`.
    func files(in directory: String) -> [String]
}

extension CompletionSource {
    /// No fields by default.
    public func fields(of base: String) -> [String] { [] }

    /// The folder's entries from the file system, hidden ones and names with control
    /// characters left out (a file name must not drive the terminal when candidates are shown).
    public func files(in directory: String) -> [String] {
        let folder = directory.isEmpty ? "." : directory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return names.filter { name in
            !name.hasPrefix(".") && !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
        }.map { name in
            var isDirectory: ObjCBool = false
            let path = (folder as NSString).appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
                ? name + "/" : name
        }
    }
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
        let (word, callee) = context(before)
        if quotes % 2 == 1 {
            // Inside a string: file names for the builtins that take a path.
            guard let callee, pathBuiltins.contains(callee),
                  let quote = before.lastIndex(of: "\"") else { return nil }
            return completePath(String(before[before.index(after: quote)...]), source: source)
        }
        if let first = word.first, first.isNumber { return nil }
        if before.hasSuffix("." + word) {
            // `base.partial`: the fields of the variable `base`.
            let head = Array(before.dropLast(word.count + 1))
            var start = head.count
            while start > 0, TextEditor.isWord(head[start - 1]) { start -= 1 }
            let base = String(head[start...])
            guard let first = base.first, !first.isNumber, start == 0 || head[start - 1] != "." else { return nil }
            let fields = source.fields(of: base).filter { $0.hasPrefix(word) }.sorted()
            guard !fields.isEmpty else { return nil }
            return Result(replacing: word.count, candidates: fields, commonPrefix: commonPrefix(fields))
        }
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

    /// The builtins whose string arguments are file paths.
    static let pathBuiltins: Set<String> = ["load", "save", "savefig"]

    /// File names completing a partial path (`data/x` offers `data/x.npy`, `data/xs/`).
    ///
    /// - Parameters:
    ///   - partial: The path typed so far.
    ///   - source: Lists folders.
    /// - Returns: Candidates that are the whole path, or nil when none.
    static func completePath(_ partial: String, source: any CompletionSource) -> Result? {
        let slash = partial.lastIndex(of: "/")
        let directory = slash.map { String(partial[...$0]) } ?? ""
        let stem = slash.map { String(partial[partial.index(after: $0)...]) } ?? partial
        let candidates = source.files(in: directory).filter { $0.hasPrefix(stem) }.sorted().map { directory + $0 }
        guard !candidates.isEmpty else { return nil }
        return Result(replacing: partial.count, candidates: candidates, commonPrefix: commonPrefix(candidates))
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
