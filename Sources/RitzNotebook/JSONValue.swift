import Foundation

/// A JSON document as a value, read and written without Foundation's number ambiguity.
///
/// Objects keep their keys in a dictionary and are written with sorted keys, one space of
/// indentation per level and no ASCII escaping of non-ASCII text, as Jupyter writes notebooks,
/// so that the same notebook always gives the same bytes.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The member `key` of an object, or nil for anything else.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string, or nil.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The number as an integer when it is integral and in range, else nil.
    public var intValue: Int? {
        if case .number(let d) = self, d.rounded() == d, abs(d) < 9.0e15 { return Int(d) }
        return nil
    }

    /// The elements of an array, or nil.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The members of an object, or nil.
    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// Text that Jupyter may store either as one string or as an array of line strings.
    ///
    /// - Returns: The joined text, or nil when the value is neither form.
    public var multilineText: String? {
        switch self {
        case .string(let s): return s
        case .array(let parts):
            var out = ""
            for part in parts {
                guard case .string(let s) = part else { return nil }
                out += s
            }
            return out
        default: return nil
        }
    }

    /// Splits text into Jupyter's line array: every line keeps its `\n`, the last may lack one.
    ///
    /// - Parameter text: The text to split.
    /// - Returns: An array value of line strings (empty for empty text).
    public static func lines(_ text: String) -> JSONValue {
        var parts: [JSONValue] = []
        var current = ""
        for ch in text {
            current.append(ch)
            if ch == "\n" {
                parts.append(.string(current))
                current = ""
            }
        }
        if !current.isEmpty { parts.append(.string(current)) }
        return .array(parts)
    }
}

/// A malformed JSON text.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Byte offset where reading failed.
    public let offset: Int
    /// What was wrong.
    public let message: String
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

extension JSONValue {
    /// Parses a JSON text (RFC 8259).
    ///
    /// - Parameter data: UTF-8 bytes.
    /// - Returns: The value.
    /// - Throws: `JSONParseError` for malformed input, including nesting deeper than 512.
    public static func parse(_ data: Data) throws -> JSONValue {
        var parser = JSONParser(bytes: [UInt8](data))
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.pos == parser.bytes.count else { throw parser.error("trailing characters") }
        return value
    }

    /// Parses a JSON string.
    ///
    /// - Parameter text: The JSON text.
    /// - Returns: The value.
    /// - Throws: `JSONParseError` for malformed input.
    public static func parse(_ text: String) throws -> JSONValue {
        try parse(Data(text.utf8))
    }

    /// Serialises with sorted keys and `indent` spaces per level (0: compact, one line).
    ///
    /// - Parameter indent: Spaces per nesting level; 0 writes everything on one line.
    /// - Returns: The JSON text, without a trailing newline.
    public func serialized(indent: Int = 1) -> String {
        var out = ""
        write(into: &out, level: 0, indent: indent)
        return out
    }

    private func write(into out: inout String, level: Int, indent: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let d): out += JSONValue.format(d)
        case .string(let s): JSONValue.quote(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                newline(&out, level + 1, indent)
                item.write(into: &out, level: level + 1, indent: indent)
            }
            newline(&out, level, indent)
            out += "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{"
            for (i, key) in members.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                newline(&out, level + 1, indent)
                JSONValue.quote(key, into: &out)
                out += indent > 0 ? ": " : ":"
                members[key]?.write(into: &out, level: level + 1, indent: indent)
            }
            newline(&out, level, indent)
            out += "}"
        }
    }

    private func newline(_ out: inout String, _ level: Int, _ indent: Int) {
        guard indent > 0 else { return }
        out += "\n" + String(repeating: " ", count: level * indent)
    }

    static func format(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d.rounded() == d && abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }

    static func quote(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

/// A recursive-descent reader over UTF-8 bytes.
struct JSONParser {
    let bytes: [UInt8]
    var pos = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func error(_ message: String) -> JSONParseError { JSONParseError(offset: pos, message: message) }

    mutating func skipSpace() {
        while pos < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[pos]) { pos += 1 }
    }

    mutating func value(depth: Int) throws -> JSONValue {
        guard depth < 512 else { throw error("nesting too deep") }
        guard pos < bytes.count else { throw error("unexpected end") }
        switch bytes[pos] {
        case UInt8(ascii: "{"):
            pos += 1
            var members: [String: JSONValue] = [:]
            skipSpace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
            while true {
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw error("expected a key") }
                let key = try string()
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw error("expected ':'") }
                pos += 1
                skipSpace()
                members[key] = try value(depth: depth + 1)
                skipSpace()
                guard pos < bytes.count else { throw error("unterminated object") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
                throw error("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            pos += 1
            var items: [JSONValue] = []
            skipSpace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard pos < bytes.count else { throw error("unterminated array") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
                throw error("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            return .number(try number())
        }
    }

    mutating func literal(_ word: String) throws {
        let w = Array(word.utf8)
        guard pos + w.count <= bytes.count, Array(bytes[pos..<pos + w.count]) == w else {
            throw error("unexpected character")
        }
        pos += w.count
    }

    mutating func number() throws -> Double {
        let start = pos
        while pos < bytes.count, "+-0123456789.eE".utf8.contains(bytes[pos]) { pos += 1 }
        guard pos > start, let text = String(bytes: bytes[start..<pos], encoding: .utf8),
              let d = Double(text) else {
            pos = start
            throw error("unexpected character")
        }
        return d
    }

    mutating func hex4() throws -> UInt32 {
        guard pos + 4 <= bytes.count,
              let text = String(bytes: bytes[pos..<pos + 4], encoding: .ascii),
              let v = UInt32(text, radix: 16) else { throw error("bad \\u escape") }
        pos += 4
        return v
    }

    mutating func string() throws -> String {
        pos += 1  // opening quote
        var raw: [UInt8] = []
        while true {
            guard pos < bytes.count else { throw error("unterminated string") }
            let b = bytes[pos]
            pos += 1
            if b == UInt8(ascii: "\"") { break }
            if b != UInt8(ascii: "\\") { raw.append(b); continue }
            guard pos < bytes.count else { throw error("unterminated escape") }
            let e = bytes[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): raw.append(0x22)
            case UInt8(ascii: "\\"): raw.append(0x5C)
            case UInt8(ascii: "/"): raw.append(0x2F)
            case UInt8(ascii: "b"): raw.append(0x08)
            case UInt8(ascii: "f"): raw.append(0x0C)
            case UInt8(ascii: "n"): raw.append(0x0A)
            case UInt8(ascii: "r"): raw.append(0x0D)
            case UInt8(ascii: "t"): raw.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code), pos + 6 <= bytes.count,
                   bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") {
                    pos += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        code = 0xFFFD
                    }
                }
                let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                raw.append(contentsOf: Array(String(scalar).utf8))
            default: throw error("bad escape")
            }
        }
        return String(decoding: raw, as: UTF8.self)
    }
}
