/// Help for what other languages write and ritz spells differently: Python's dictionaries,
/// lambdas and statements, MATLAB's and Julia's transpose `A'`, loops `for i = 1:n` and rows
/// `[1 2 3]`, C's `i++`, and characters ritz has no operator for (`\`, `&&`, `||`, `!`, `~`).
/// Each looks at the tokens around a parse error and returns the help lines it adds, or none.
extension Parser {
    /// Help for a `'` written right after a value (`A'`, the transpose of MATLAB and Julia),
    /// which ritz reads as the start of a string: how ritz writes a transpose.
    func transposeQuoteHelp(_ t: Token) -> [String] {
        guard source.slice(t.start, t.start + 1) == "'", let i = tokens.firstIndex(where: { $0.start == t.start }),
              i > 0, tokens[i - 1].end == t.start else { return [] }
        let value: String
        switch tokens[i - 1].kind {
        case let .identifier(name): value = name
        case .op(")"): value = "(…)"
        case .number, .op("]"): value = "x"
        default: return []
        }
        return ["a `'` after a value starts a string in ritz; the transpose is `\(value).T` (or `transpose(\(value))`)"]
    }

    /// Help at a character ritz has no operator for (`\`, `&&`, `||`, `!x`, `~x`): what it writes.
    func characterHelp(_ t: Token) -> [String] {
        switch t.kind {
        case .invalid, .op("!"):
            return ForeignSpellings.characters[source.slice(t.start, t.start + 1)].map { [$0] } ?? []
        default:
            return []
        }
    }

    /// Help at a missing operand right after `++` or `--` (C's `i++`, which ritz reads as a sum
    /// with a sign and nothing after it): how ritz adds one.
    func incrementHelp() -> [String] {
        guard pos >= 2, atNewline || atEOF || atOp(";") || atOp(")") || atOp("}") else { return [] }
        let (a, b) = (tokens[pos - 2], tokens[pos - 1])
        for op in ["+", "-"] where a.isOp(op) && b.isOp(op) && a.end == b.start {
            return ["ritz has no `\(op)\(op)`: write `x \(op)= 1`"]
        }
        return []
    }

    /// Help for a statement that starts with a word of Python (`def f(x):`, `import numpy`):
    /// what ritz writes instead (`ForeignSpellings`); empty for other statements.
    static func foreignStatementHelp(_ statement: Node?) -> [String] {
        var word: String?
        switch statement?.kind {
        case let .name(w)?: word = w
        // `f = lambda x: …`: the lambda is the assigned value.
        case let .assign(_, value)?: if case let .name(w) = value.kind, w == "lambda" { word = w }
        default: break
        }
        return word.flatMap { ForeignSpellings.statementWords[$0] }.map { [$0] } ?? []
    }

    /// Help at `for i =`: MATLAB's and Julia's loop.
    func loopHelp() -> [String] {
        atOp("=") ? ["a loop is `for i in a:b { … }` (i runs from a to b − 1)"] : []
    }

    /// Help at a value after a space in a bracket literal: MATLAB's and Julia's row, `[1 2 3]`.
    func spacedElementsHelp() -> [String] {
        switch current.kind {
        case .number, .identifier, .imaginary, .op("("), .op("["):
            return ["ritz separates elements with commas, `[1, 2, 3]`, and rows with `;`, `[1, 2; 3, 4]`"]
        default:
            return []
        }
    }

    /// True at a `{` that opens what Python or JavaScript would read as a dictionary: a string
    /// key and a colon (`{"a": 1}`), or `name: value` pairs separated by commas (`{a: 1, b: 2}`).
    /// A block holding a range (`{a:b}`) has no such comma.
    var looksLikeDictionary: Bool {
        func key(_ t: Token) -> Bool {
            switch t.kind {
            case .identifier, .string: return true
            default: return false
            }
        }
        var first = 1  // a dictionary written over several lines opens with a newline
        while case .newline = peek(first).kind, pos + first < tokens.count - 1 { first += 1 }
        if case .string = peek(first).kind, peek(first + 1).isOp(":") { return true }
        guard key(peek(first)), peek(first + 1).isOp(":") else { return false }
        var depth = 0
        var k = first + 2
        while pos + k < tokens.count {
            let t = peek(k)
            if t.isOp("(") || t.isOp("[") || t.isOp("{") { depth += 1 }
            if t.isOp(")") || t.isOp("]") || t.isOp("}") {
                if depth == 0 { return false }
                depth -= 1
            }
            if case .eof = t.kind { return false }
            if depth == 0, t.isOp(",") {
                var next = k + 1
                while case .newline = peek(next).kind, pos + next < tokens.count - 1 { next += 1 }
                if key(peek(next)), peek(next + 1).isOp(":") { return true }
            }
            k += 1
        }
        return false
    }
}
