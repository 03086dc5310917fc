import Foundation
import Ink

/// A markdown cell parsed once by Ink (JohnSundell/Ink), for the terminal and the HTML export.
///
/// TeX math (`$…$`, `$$…$$`) is set aside before the parse, as nbconvert does, so that `_` and
/// `*` inside it are not read as emphasis; it comes back as its source, styled as math on the
/// terminal and left as TeX in the page. Ink's HTML is re-read by `tokens`: only the elements Ink
/// makes for Markdown, with checked attributes, survive; any other markup (raw HTML in the
/// cell) becomes escaped text.
public struct MarkdownRendering: Sendable {
    /// Ink's HTML, math placeholders still in it.
    let inkHTML: String
    /// The math spans set aside, by placeholder number, delimiters included.
    let math: [String]

    /// Parses a markdown cell.
    ///
    /// - Parameter source: The cell's Markdown.
    public init(_ source: String) {
        let (protected, math) = MarkdownRendering.protectMath(source)
        // Ink reads a leading `---` block as metadata; a cell has none, so it is kept as text.
        let body = protected.hasPrefix("---") ? "\u{200B}" + protected : protected
        inkHTML = MarkdownParser().parse(body).html
        self.math = math
    }

    // MARK: - Math

    /// The placeholder for the n-th math span: letters and digits only, which Markdown keeps.
    static func placeholder(_ n: Int) -> String { "RITZMATH\(n)X" }

    /// Replaces `$$…$$` and `$…$` spans (not after a backslash, single ones within a line, none
    /// inside code spans or fences) with placeholders.
    ///
    /// - Parameter source: The Markdown.
    /// - Returns: The text with placeholders and the spans in order.
    static func protectMath(_ source: String) -> (String, [String]) {
        let chars = Array(source)
        var out = "", spans: [String] = []
        var i = 0
        while i < chars.count {
            if chars[i] == "`" {
                // A code span or fence: copied as it is up to the same run of backticks.
                var n = 0
                while i + n < chars.count, chars[i + n] == "`" { n += 1 }
                var j = i + n, close: Int?
                while j < chars.count {
                    if chars[j] == "`" {
                        var m = 0
                        while j + m < chars.count, chars[j + m] == "`" { m += 1 }
                        if m == n { close = j + m; break }
                        j += m
                    } else {
                        j += 1
                    }
                }
                let end = close ?? i + n
                out += String(chars[i..<end])
                i = end
                continue
            }
            if chars[i] == "$", i == 0 || chars[i - 1] != "\\" {
                let double = i + 1 < chars.count && chars[i + 1] == "$"
                let open = double ? 2 : 1
                var j = i + open
                var end: Int?
                while j < chars.count {
                    if !double && chars[j] == "\n" { break }
                    if chars[j] == "$" && chars[j - 1] != "\\" && (!double || (j + 1 < chars.count && chars[j + 1] == "$")) {
                        end = j
                        break
                    }
                    j += 1
                }
                if let end, end > i + open {
                    let span = String(chars[i..<(end + open)])
                    out += placeholder(spans.count)
                    spans.append(span)
                    i = end + open
                    continue
                }
            }
            out.append(chars[i])
            i += 1
        }
        return (out, spans)
    }

    /// A math span with the delimiters MathJax finds by default: `$x$` becomes `\(x\)`,
    /// `$$x$$` stays (the TeX between them is unchanged).
    ///
    /// - Parameter tex: The span, delimiters included.
    /// - Returns: The span for the page.
    static func mathJaxDelimiters(_ tex: String) -> String {
        guard !tex.hasPrefix("$$"), tex.hasPrefix("$"), tex.hasSuffix("$"), tex.count >= 2 else { return tex }
        return "\\(" + tex.dropFirst().dropLast() + "\\)"
    }

    /// Text with the math placeholders put back, each span given to `math`.
    ///
    /// - Parameters:
    ///   - text: Text that may hold placeholders.
    ///   - plain: Called with the text between spans.
    ///   - mathSpan: Called with each span's TeX, delimiters included.
    func restoreMath(_ text: String, plain: (String) -> Void, mathSpan: (String) -> Void) {
        var rest = Substring(text)
        while let start = rest.range(of: "RITZMATH") {
            let digits = rest[start.upperBound...].prefix { $0.isNumber }
            let after = rest.index(start.upperBound, offsetBy: digits.count)
            guard let n = Int(digits), n < math.count, after < rest.endIndex, rest[after] == "X" else {
                plain(String(rest[..<start.upperBound]))
                rest = rest[start.upperBound...]
                continue
            }
            plain(String(rest[..<start.lowerBound]))
            mathSpan(math[n])
            rest = rest[rest.index(after: after)...]
        }
        plain(String(rest))
    }

    // MARK: - Reading Ink's HTML

    /// A piece of Ink's HTML: text (entities decoded) or an allowed tag.
    enum Token: Equatable {
        case text(String)
        case open(String, [String: String])
        case close(String)
    }

    /// The elements Ink makes from Markdown; anything else is shown as text.
    static let allowedTags: Set<String> = [
        "h1", "h2", "h3", "h4", "h5", "h6", "p", "em", "strong", "del", "s", "code", "pre", "a", "img",
        "ul", "ol", "li", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "hr", "br",
    ]

    /// Elements with no content and no closing tag.
    static let voidTags: Set<String> = ["img", "hr", "br"]

    /// Ink's HTML as tokens: allowed tags with their checked attributes; other markup as text.
    /// Elements nest properly: a closing tag that does not close the innermost open element
    /// (a stray `</pre>` in raw HTML) is text, and elements left open are closed at the end.
    var tokens: [Token] {
        var tokens: [Token] = []
        var open: [String] = []
        var text = ""
        var rest = Substring(inkHTML)
        func flush() {
            if !text.isEmpty { tokens.append(.text(MarkdownRendering.decodeEntities(text))) }
            text = ""
        }
        while let lt = rest.firstIndex(of: "<") {
            text += rest[..<lt]
            rest = rest[lt...]
            guard let (token, length) = MarkdownRendering.tag(at: rest) else {
                text += "<"
                rest = rest.dropFirst()
                continue
            }
            switch token {
            case .close(let name) where open.last != name:
                text += rest.prefix(length)  // decoded as text, escaped again on output
                rest = rest.dropFirst(length)
                continue
            case .close:
                open.removeLast()
            case .open(let name, _):
                if !MarkdownRendering.voidTags.contains(name) { open.append(name) }
            case .text:
                break
            }
            flush()
            tokens.append(token)
            rest = rest.dropFirst(length)
        }
        text += rest
        flush()
        tokens += open.reversed().map { .close($0) }
        return tokens
    }

    /// An allowed tag at the start of `html`, and its length; nil when it is not one.
    static func tag(at html: Substring) -> (Token, Int)? {
        guard let gt = html.firstIndex(of: ">") else { return nil }
        let inner = html[html.index(after: html.startIndex)..<gt]
        let length = html.distance(from: html.startIndex, to: gt) + 1
        if inner.hasPrefix("/") {
            let name = String(inner.dropFirst())
            return allowedTags.contains(name) ? (.close(name), length) : nil
        }
        var body = inner
        if body.hasSuffix("/") { body = body.dropLast() }
        let name = String(body.prefix { $0.isLetter || $0.isNumber })
        guard allowedTags.contains(name) else { return nil }
        let attributes = parseAttributes(body.dropFirst(name.count))
        guard let attributes else { return nil }
        return (.open(name, checked(attributes, for: name)), length)
    }

    /// `name="value"` pairs; nil when the text is not made of them.
    static func parseAttributes(_ text: Substring) -> [String: String]? {
        var result: [String: String] = [:]
        var rest = text.drop { $0 == " " }
        while !rest.isEmpty {
            let name = rest.prefix { $0.isLetter || $0 == "-" }
            guard !name.isEmpty else { return nil }
            rest = rest.dropFirst(name.count)
            guard rest.hasPrefix("=\"") else { return nil }
            rest = rest.dropFirst(2)
            guard let quote = rest.firstIndex(of: "\"") else { return nil }
            result[String(name).lowercased()] = decodeEntities(String(rest[..<quote]))
            rest = rest[rest.index(after: quote)...].drop { $0 == " " }
        }
        return result
    }

    /// The attributes kept for an element: link and image addresses that are web, mail or
    /// relative (never `javascript:` or `data:`), an image's alt text, a list's start number, a
    /// code block's language class; nothing else (no event handlers, no styles).
    static func checked(_ attributes: [String: String], for tag: String) -> [String: String] {
        func safeURL(_ url: String) -> Bool {
            let lower = url.lowercased().trimmingCharacters(in: .whitespaces)
            guard let colon = lower.firstIndex(of: ":") else { return true }
            if let slash = lower.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }), slash < colon { return true }
            return ["http", "https", "mailto"].contains(String(lower[..<colon]))
        }
        var kept: [String: String] = [:]
        switch tag {
        case "a": if let href = attributes["href"], safeURL(href) { kept["href"] = href }
        case "img":
            if let src = attributes["src"], safeURL(src) { kept["src"] = src }
            if let alt = attributes["alt"] { kept["alt"] = alt }
        case "ol": if let start = attributes["start"], Int(start) != nil { kept["start"] = start }
        case "code":
            if let cls = attributes["class"], cls.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) { kept["class"] = cls }
        default: break
        }
        return kept
    }

    /// Decodes the entities Ink writes (`&amp;` `&lt;` `&gt;` `&quot;` `&#39;` and numeric ones).
    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = "", rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            rest = rest[amp...]
            if let semi = rest.prefix(10).firstIndex(of: ";") {
                let name = rest[rest.index(after: rest.startIndex)..<semi]
                var decoded: String?
                switch name {
                case "amp": decoded = "&"
                case "lt": decoded = "<"
                case "gt": decoded = ">"
                case "quot": decoded = "\""
                case "apos": decoded = "'"
                default:
                    if name.hasPrefix("#x"), let v = UInt32(name.dropFirst(2), radix: 16), let s = Unicode.Scalar(v) {
                        decoded = String(Character(s))
                    } else if name.hasPrefix("#"), let v = UInt32(name.dropFirst()), let s = Unicode.Scalar(v) {
                        decoded = String(Character(s))
                    }
                }
                if let decoded {
                    out += decoded
                    rest = rest[rest.index(after: semi)...]
                    continue
                }
            }
            out += "&"
            rest = rest.dropFirst()
        }
        return out + rest
    }

    // MARK: - HTML

    /// Safe HTML for the export: the allowed elements with checked attributes, every text
    /// escaped, math as escaped TeX in `<span class="math">` (outside code) for MathJax.
    public var html: String {
        var out = ""
        var codeDepth = 0
        for token in tokens {
            switch token {
            case .text(let text):
                restoreMath(text, plain: { out += Notebook.escapeHTML($0) }, mathSpan: { tex in
                    out += codeDepth > 0 ? Notebook.escapeHTML(tex)
                        : "<span class=\"math\">\(Notebook.escapeHTML(MarkdownRendering.mathJaxDelimiters(tex)))</span>"
                })
            case .open(let name, let attributes):
                if name == "code" || name == "pre" { codeDepth += 1 }
                out += "<" + name
                for key in attributes.keys.sorted() {
                    out += " \(key)=\"\(Notebook.escapeHTML(attributes[key] ?? ""))\""
                }
                out += ">"
            case .close(let name):
                if name == "code" || name == "pre" { codeDepth = max(0, codeDepth - 1) }
                out += "</\(name)>"
            }
        }
        return out + "\n"
    }

    /// The cell's links in order: their text and address (only addresses that pass `checked`).
    public var links: [(text: String, url: String)] {
        var found: [(text: String, url: String)] = []
        var current: (text: String, url: String)?
        var depth = 0
        for token in tokens {
            switch token {
            case .open("a", let attributes):
                depth += 1
                if depth == 1, let href = attributes["href"] { current = ("", href) }
            case .close("a"):
                depth -= 1
                if depth == 0, let link = current { found.append(link); current = nil }
            case .text(let text):
                if current != nil { restoreMath(text, plain: { current?.text += $0 }, mathSpan: { current?.text += $0 }) }
            default:
                break
            }
        }
        return found
    }

    /// True when the cell holds TeX math.
    public var hasMath: Bool { !math.isEmpty }
}
