import Foundation

/// Turns source bytes into tokens.
///
/// Newlines are tokens (they end statements) except inside `( )` and `[ ]`, after a token that
/// cannot end an expression (a binary operator, `,`, `=`), and before a line that starts with `|>`.
struct Lexer {
    private let bytes: [UInt8]
    private var i = 0
    /// Open brackets; newlines are ignored while the innermost is `(` or `[`.
    private var brackets: [UInt8] = []
    private(set) var tokens: [Token] = []

    init(_ source: SourceText) { bytes = source.bytes }

    /// Lexes the whole text.
    static func tokenize(_ source: SourceText) -> [Token] {
        var lx = Lexer(source)
        lx.run()
        return lx.tokens
    }

    private static let continuationOps: Set<String> = [
        "+", "-", "*", "/", "%", "^", "@", "=", "==", "!=", "<", "<=", ">", ">=", "->", "|>", ",", ":",
        "+=", "-=", "*=", "/=", "**", "//", "**=", "//=",
    ]
    private static let threeOps: Set<String> = ["**=", "//="]
    private static let twoOps: Set<String> = ["==", "!=", "<=", ">=", "->", "|>", "+=", "-=", "*=", "/=", "**", "//"]
    private static let oneOps: Set<UInt8> = Set("+-*/%^@=<>:,;.()[]{}?!".utf8)

    private mutating func run() {
        while i < bytes.count {
            let c = bytes[i]
            if c == 32 || c == 9 || c == 13 { i += 1; continue }
            if c == 35 { // '#'
                while i < bytes.count && bytes[i] != 10 { i += 1 }
                continue
            }
            if c == 92, i + 1 < bytes.count, bytes[i + 1] == 10 { i += 2; continue } // backslash continuation
            if c == 10 {
                let start = i
                i += 1
                if let top = brackets.last, top != 123 { continue }
                if let last = tokens.last {
                    if case .newline = last.kind { continue }
                    if case let .op(o) = last.kind, Lexer.continuationOps.contains(o) { continue }
                    if case .keyword(let k) = last.kind, k == .and || k == .or || k == .not || k == .else { continue }
                } else { continue }
                if nextLineStartsWithPipe() { continue }
                tokens.append(Token(kind: .newline, start: start, end: start + 1))
                continue
            }
            if isDigit(c) || (c == 46 && i + 1 < bytes.count && isDigit(bytes[i + 1])) { lexNumber(); continue }
            if isIdentStart(c) { lexIdentifier(); continue }
            if c == 34 || c == 39 { lexString(quote: c); continue }
            if c == 46, i + 2 < bytes.count, bytes[i + 1] == 46, bytes[i + 2] == 46 { // `...`, the ellipsis of a subscript
                tokens.append(Token(kind: .op("..."), start: i, end: i + 3)); i += 3; continue
            }
            if i + 2 < bytes.count {
                let three = String(decoding: bytes[i...(i + 2)], as: UTF8.self)
                if Lexer.threeOps.contains(three) {
                    tokens.append(Token(kind: .op(three), start: i, end: i + 3)); i += 3; continue
                }
            }
            if i + 1 < bytes.count {
                let two = String(decoding: bytes[i...(i + 1)], as: UTF8.self)
                if Lexer.twoOps.contains(two) {
                    tokens.append(Token(kind: .op(two), start: i, end: i + 2)); i += 2; continue
                }
            }
            if Lexer.oneOps.contains(c) {
                if c == 40 || c == 91 || c == 123 { brackets.append(c) }
                if c == 41 || c == 93 || c == 125, !brackets.isEmpty { brackets.removeLast() }
                // A newline token right before a closing brace is harmless; drop one before `)`/`]`.
                tokens.append(Token(kind: .op(String(UnicodeScalar(c))), start: i, end: i + 1))
                i += 1
                continue
            }
            // Unknown character: consume one whole UTF-8 scalar.
            let start = i
            i += 1
            while i < bytes.count && bytes[i] & 0xC0 == 0x80 { i += 1 }
            let ch = String(decoding: bytes[start..<i], as: UTF8.self)
            tokens.append(Token(kind: .invalid("unexpected character `\(ch)`"), start: start, end: i))
        }
        tokens.append(Token(kind: .eof, start: bytes.count, end: bytes.count))
    }

    private func nextLineStartsWithPipe() -> Bool {
        var j = i
        while j < bytes.count {
            let c = bytes[j]
            if c == 32 || c == 9 || c == 13 || c == 10 { j += 1; continue }
            if c == 35 { while j < bytes.count && bytes[j] != 10 { j += 1 }; continue }
            return c == 124 && j + 1 < bytes.count && bytes[j + 1] == 62
        }
        return false
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    private func isIdentStart(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c >= 0xC0 }
    private func isIdentChar(_ c: UInt8) -> Bool { isIdentStart(c) || isDigit(c) || (c >= 0x80) }

    private mutating func lexNumber() {
        let start = i
        while i < bytes.count && (isDigit(bytes[i]) || bytes[i] == 95) { i += 1 }
        // A '.' starts a fraction unless it is followed by a letter (field access like `2.T` is odd but `x.T` is not a number).
        if i < bytes.count && bytes[i] == 46 && !(i + 1 < bytes.count && isIdentStart(bytes[i + 1]) && bytes[i + 1] != 101 && bytes[i + 1] != 69) {
            i += 1
            while i < bytes.count && (isDigit(bytes[i]) || bytes[i] == 95) { i += 1 }
        }
        if i < bytes.count && (bytes[i] == 101 || bytes[i] == 69) {
            var j = i + 1
            if j < bytes.count && (bytes[j] == 43 || bytes[j] == 45) { j += 1 }
            if j < bytes.count && isDigit(bytes[j]) {
                i = j
                while i < bytes.count && isDigit(bytes[i]) { i += 1 }
            }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self).replacingOccurrences(of: "_", with: "")
        guard let value = Double(text) else {
            tokens.append(Token(kind: .invalid("malformed number `\(text)`"), start: start, end: i))
            return
        }
        if i + 1 < bytes.count && bytes[i] == 105 && bytes[i + 1] == 109 && !(i + 2 < bytes.count && isIdentChar(bytes[i + 2])) {
            i += 2
            tokens.append(Token(kind: .imaginary(value), start: start, end: i))
            return
        }
        if i < bytes.count && isIdentStart(bytes[i]) {
            let s = i
            while i < bytes.count && isIdentChar(bytes[i]) { i += 1 }
            let suffix = String(decoding: bytes[s..<i], as: UTF8.self)
            tokens.append(Token(kind: .invalid("malformed number: unexpected `\(suffix)` after `\(text)`"), start: start, end: i))
            return
        }
        tokens.append(Token(kind: .number(value), start: start, end: i))
    }

    private mutating func lexIdentifier() {
        let start = i
        while i < bytes.count && isIdentChar(bytes[i]) { i += 1 }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if let k = Keyword(rawValue: text) {
            tokens.append(Token(kind: .keyword(k), start: start, end: i))
        } else {
            tokens.append(Token(kind: .identifier(text), start: start, end: i))
        }
    }

    private mutating func lexString(quote: UInt8) {
        let start = i
        i += 1
        var out = [UInt8]()
        while i < bytes.count {
            let c = bytes[i]
            if c == quote { i += 1; tokens.append(Token(kind: .string(String(decoding: out, as: UTF8.self)), start: start, end: i)); return }
            if c == 10 { break }
            if c == 92, i + 1 < bytes.count {
                let e = bytes[i + 1]
                i += 2
                switch e {
                case 110: out.append(10)
                case 116: out.append(9)
                case 114: out.append(13)
                case 48: out.append(0)
                case 92, 34, 39: out.append(e)
                case 117 where i < bytes.count && bytes[i] == 123: // \u{XXXX}
                    var j = i + 1, code: UInt32 = 0, ok = true, digits = 0
                    while j < bytes.count && bytes[j] != 125 {
                        guard let d = hexValue(bytes[j]), digits < 8 else { ok = false; break }
                        code = code * 16 + d; digits += 1; j += 1
                    }
                    if ok, j < bytes.count, let scalar = UnicodeScalar(code) {
                        out.append(contentsOf: Array(String(Character(scalar)).utf8)); i = j + 1
                    } else {
                        tokens.append(Token(kind: .invalid("malformed \\u{…} escape"), start: i - 2, end: Swift.min(j + 1, bytes.count)))
                        skipToLineEnd(); return
                    }
                default:
                    tokens.append(Token(kind: .invalid("unknown escape `\\\(String(UnicodeScalar(e)))`"), start: i - 2, end: i))
                    skipToLineEnd(); return
                }
                continue
            }
            out.append(c)
            i += 1
        }
        tokens.append(Token(kind: .invalid("unterminated string"), start: start, end: start + 1))
    }

    private mutating func skipToLineEnd() { while i < bytes.count && bytes[i] != 10 { i += 1 } }

    private func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case 48...57: return UInt32(c - 48)
        case 97...102: return UInt32(c - 87)
        case 65...70: return UInt32(c - 55)
        default: return nil
        }
    }
}
