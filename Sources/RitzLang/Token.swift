/// The kinds of token of the ritz language.
enum TokenKind: Equatable {
    case number(Double)
    case imaginary(Double)
    case string(String)
    case identifier(String)
    case keyword(Keyword)
    case op(String)
    case newline
    case eof
    /// A character the lexer does not know, or an unterminated literal; carries the message.
    case invalid(String)
}

/// Reserved words.
enum Keyword: String, CaseIterable {
    case fn, `if`, `else`, `for`, `in`, `while`, `return`, `break`, `continue`
    case and, or, not, `true`, `false`, none
}

/// One token with its byte range.
struct Token {
    var kind: TokenKind
    var start: Int
    var end: Int

    /// A short description for error messages.
    var describe: String {
        switch kind {
        case let .number(v): return "number `\(formatNumber(v))`"
        case .imaginary: return "imaginary number"
        case .string: return "string"
        case let .identifier(s): return "name `\(s)`"
        case let .keyword(k): return "`\(k.rawValue)`"
        case let .op(s): return "`\(s)`"
        case .newline: return "end of line"
        case .eof: return "end of input"
        case let .invalid(m): return m
        }
    }

    func isOp(_ s: String) -> Bool { if case let .op(o) = kind { return o == s }; return false }
    func isKeyword(_ k: Keyword) -> Bool { if case let .keyword(x) = kind { return x == k }; return false }
}
