import Foundation
@testable import RitzNotebook

/// A strict scan of an exported page for anything that could run script, navigate or load.
///
/// The scan reads the page's markup (tags, with their attributes, comments and the content of
/// `<style>`; text between tags is escaped by the exporter and left out), decodes HTML character
/// references in it, and looks for script-capable constructs: `<script`, `<iframe`, `<frame`,
/// `<form`, `<object`, `<embed`, `<base`, `<applet`, `<link`, `<foreignObject`, `<animate`,
/// `<set`, an `on…=` attribute, `srcdoc`, `http-equiv=refresh`, `@import`, `expression(`, a
/// `url(` that is not `url(#…)`, `javascript:` / `vbscript:` (after removing whitespace and
/// control characters, as URL parsers do), and any `data:` that is not a base64 SVG in an
/// `<img src>`. `html_safety.py` checks the same page with the HTML5 parsing algorithm.
enum HTMLSafetyScan {
    /// The constructs found, one line each; empty for a safe page.
    ///
    /// - Parameters:
    ///   - page: The HTML text.
    ///   - ownStyles: `<style>` elements the page itself has (the exporter's one). The
    ///     exporter's Content-Security-Policy `<meta>` is the one `data:` allowed outside `<img>`.
    /// - Returns: Findings naming the construct.
    static func findings(in page: String, ownStyles: Int = 1) -> [String] {
        var markup = decodeReferences(markupView(of: page)).lowercased()
        // The exporter's own Content-Security-Policy names `data:` as an image source.
        let policy = "<meta http-equiv=\"content-security-policy\" content=\"\(Notebook.htmlContentSecurityPolicy.lowercased())\">"
        markup = markup.replacingOccurrences(of: policy, with: "<meta policy>")
        // Base64 SVG data URLs in <img src> are inert; set them aside before the pattern scan.
        let dataImage = #"<img alt="[^"<>]*" src="data:image/svg\+xml;base64,[a-z0-9+/]*={0,2}">"#
        markup = markup.replacingOccurrences(of: dataImage, with: "<img data-image>", options: .regularExpression)
        var found: [String] = []
        let patterns: [(String, String)] = [
            (#"<\s*/?\s*(script|iframe|frame|frameset|form|object|embed|base|applet|link|portal|foreignobject|animate|set|handler|listener)\b"#, "element"),
            (#"(^|[^a-z0-9_-])on[a-z0-9_-]+\s*="#, "event handler"),
            (#"srcdoc"#, "srcdoc"),
            (#"http-equiv\s*=\s*["']?\s*refresh"#, "meta refresh"),
            (#"@import"#, "@import"),
            (#"expression\s*\("#, "expression()"),
            (#"url\(\s*["']?\s*[^#\s"']"#, "url() to something other than #id"),
            (#"data:"#, "data: URL outside an <img src>"),
            (#"(href|src|action|formaction|poster|background)\s*=\s*["']?\s*[^#"'\s]"#, "reference that is not #id"),
        ]
        for (pattern, name) in patterns {
            for match in matches(pattern, in: markup) { found.append("\(name): \(match)") }
        }
        let stripped = String(markup.unicodeScalars.filter { $0.value > 0x20 && $0.value != 0x7F }.map(Character.init))
        for scheme in ["javascript:", "vbscript:"] where stripped.contains(scheme) {
            found.append("\(scheme) in markup")
        }
        let styles = matches(#"<style\b"#, in: markup).count
        if styles > ownStyles { found.append("\(styles) <style> elements, the page has \(ownStyles)") }
        return found
    }

    /// The page with text between tags left out: tags (quoted attribute values kept whole),
    /// comments, and the content of `<style>` and `<script>`, which are not text.
    static func markupView(of page: String) -> String {
        let chars = Array(page)
        var out = ""
        var i = 0
        var rawTextEnd: String?
        while i < chars.count {
            if let end = rawTextEnd {
                // Inside <style>/<script>: everything up to the closing tag is markup.
                let rest = String(chars[i...]).lowercased()
                let stop = rest.range(of: end).map { rest.distance(from: rest.startIndex, to: $0.lowerBound) } ?? rest.count
                out += String(chars[i..<(i + stop)]) + " "
                i += stop
                rawTextEnd = nil
                continue
            }
            guard chars[i] == "<", i + 1 < chars.count,
                  chars[i + 1].isLetter || chars[i + 1] == "/" || chars[i + 1] == "!" || chars[i + 1] == "?"
            else { i += 1; continue }
            var j = i + 1
            var quote: Character?
            while j < chars.count {
                let c = chars[j]
                if let q = quote {
                    if c == q { quote = nil }
                } else if c == "\"" || c == "'" {
                    quote = c
                } else if c == ">" {
                    break
                }
                j += 1
            }
            let tag = String(chars[i..<min(j + 1, chars.count)])
            out += tag + " "
            let name = tag.dropFirst().prefix(while: { $0.isLetter }).lowercased()
            if name == "style" || name == "script" { rawTextEnd = "</" + name }
            i = j + 1
        }
        return out
    }

    /// Decodes `&#N;`, `&#xH;` (semicolon optional, as browsers accept) and the named
    /// references that can spell markup or a scheme (`&colon;`, `&Tab;`, `&lt;`…).
    static func decodeReferences(_ text: String) -> String {
        let named: [String: String] = [
            "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "colon": ":", "tab": "\t",
            "newline": "\n", "lpar": "(", "rpar": ")", "sol": "/", "bsol": "\\", "equals": "=",
            "num": "#", "period": ".", "semi": ";", "commat": "@", "nbsp": " ",
        ]
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if after.first == "#" {
                let digits = after.dropFirst()
                let hex = digits.first == "x" || digits.first == "X"
                let body = hex ? digits.dropFirst() : digits
                let number = body.prefix(while: { hex ? $0.isHexDigit : $0.isNumber })
                if !number.isEmpty, number.count <= 8, let value = UInt32(number, radix: hex ? 16 : 10),
                   let scalar = Unicode.Scalar(value) {
                    out.unicodeScalars.append(scalar)
                    var next = number.endIndex
                    if next < after.endIndex, after[next] == ";" { next = after.index(after: next) }
                    rest = after[next...]
                    continue
                }
            } else {
                let word = after.prefix(while: { $0.isLetter })
                if let value = named[word.lowercased()] {
                    out += value
                    var next = word.endIndex
                    if next < after.endIndex, after[next] == ";" { next = after.index(after: next) }
                    rest = after[next...]
                    continue
                }
            }
            out += "&"
            rest = after
        }
        return out + rest
    }

    static func matches(_ pattern: String, in text: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) else {
            return ["bad pattern \(pattern)"]
        }
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map {
            ns.substring(with: $0.range)
        }
    }
}
