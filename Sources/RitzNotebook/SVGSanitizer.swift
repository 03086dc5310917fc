import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Why an SVG output was not let through the sanitiser.
///
/// The cases name what was refused, never quote the refused text, so a reason is safe to show.
public enum SVGRejection: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text is not well-formed XML (the parser's error code).
    case notXML(code: Int)
    /// A document type declaration, entity declaration, non-UTF-8 encoding or control character.
    case declaration
    /// The root element is not `svg`.
    case root(String)
    /// An element outside the allow-list, or an element where it may not stand.
    case element(String)
    /// An attribute outside the allow-list of its element.
    case attribute(element: String, name: String)
    /// An allowed attribute whose value is not allowed (a non-local reference, a function, CSS syntax).
    case value(element: String, name: String)

    public var description: String {
        switch self {
        case .notXML(let code): return "not well-formed XML (parser error \(code))"
        case .declaration: return "a DTD, entity, non-UTF-8 encoding or control character"
        case .root(let name): return "the root element is <\(name)>, not <svg>"
        case .element(let name): return "element <\(name)> is not allowed"
        case .attribute(let element, let name): return "attribute \(name) on <\(element)> is not allowed"
        case .value(let element, let name): return "the value of \(name) on <\(element)> is not allowed"
        }
    }
}

/// Lets through only SVG that cannot run script or load anything, re-serialised from its parse.
///
/// The input is parsed as XML (libxml2 through Foundation's `XMLParser`, with no DTD allowed, so
/// no entity can expand and nothing external is read) and every element and attribute is checked
/// against an allow-list that covers what ritz's own plots use plus the plain drawing vocabulary
/// of SVG 1.1: shapes, text, groups, clip paths, gradients, markers, patterns, masks and `<use>`.
/// Refused outright: event handlers (`on*`), `<script>`, `<style>` (its rules would apply to the
/// whole page), `<foreignObject>`, `<a>`, `<image>`, animation (`<animate*>`, `<set>`), filters,
/// any reference that is not a local `#id`, any CSS function other than `url(#id)`, colours and
/// transforms, and CSS escapes or at-rules. Comments and processing instructions are dropped.
///
/// What passes is written out again from the parse (never spliced from the input) with every id
/// and every reference to one given a per-output prefix, so several plots in one page keep their
/// own `clip0`. Policy after OWASP's and DOMPurify's SVG profiles: allow-list, not block-list.
public enum SVGSanitizer {
    static let svgNamespace = "http://www.w3.org/2000/svg"
    static let xlinkNamespace = "http://www.w3.org/1999/xlink"

    /// Elements that may appear (names are case-sensitive, as in XML).
    static let elements: Set<String> = [
        "svg", "g", "defs", "symbol", "use", "title", "desc",
        "path", "line", "polyline", "polygon", "rect", "circle", "ellipse",
        "text", "tspan",
        "clipPath", "mask", "marker", "pattern", "linearGradient", "radialGradient", "stop",
    ]

    /// Elements whose content the HTML parser reads as HTML (integration points): text only.
    static let textOnlyElements: Set<String> = ["title", "desc"]

    /// Elements that may carry `href` / `xlink:href`, and then only to a local `#id`.
    static let referringElements: Set<String> = ["use", "linearGradient", "radialGradient", "pattern"]

    /// Presentation properties, allowed both as attributes and inside `style`.
    static let presentation: Set<String> = [
        "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity",
        "stroke-dasharray", "stroke-dashoffset", "stroke-linecap", "stroke-linejoin",
        "stroke-miterlimit", "opacity", "color", "visibility", "display", "vector-effect",
        "paint-order", "clip-path", "clip-rule", "mask", "marker-start", "marker-mid", "marker-end",
        "font-family", "font-size", "font-weight", "font-style", "font-variant", "font-stretch",
        "text-anchor", "dominant-baseline", "alignment-baseline", "baseline-shift",
        "letter-spacing", "word-spacing", "text-decoration", "writing-mode",
        "shape-rendering", "text-rendering", "color-interpolation", "stop-color", "stop-opacity",
    ]

    /// Geometry and structure attributes.
    static let geometry: Set<String> = [
        "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "fr",
        "width", "height", "d", "points", "pathLength", "dx", "dy", "rotate", "textLength",
        "lengthAdjust", "viewBox", "preserveAspectRatio", "transform", "version",
        "gradientUnits", "gradientTransform", "spreadMethod", "offset",
        "clipPathUnits", "maskUnits", "maskContentUnits",
        "patternUnits", "patternContentUnits", "patternTransform",
        "markerWidth", "markerHeight", "markerUnits", "refX", "refY", "orient",
        "class", "xml:space",
    ]

    /// CSS and SVG functions a value may call; `url` only as `url(#id)`.
    static let functions: Set<String> = [
        "url", "rgb", "rgba", "hsl", "hsla",
        "matrix", "translate", "scale", "rotate", "skewx", "skewy",
    ]

    /// The SVG with ids prefixed, or why it was refused.
    ///
    /// - Parameters:
    ///   - svg: An SVG document from an output (untrusted).
    ///   - idPrefix: Put before every id and every `#id` reference (e.g. `p3-`); letters,
    ///     digits, `-`, `_` and `.` only.
    /// - Returns: A standalone `<svg>` element in the SVG namespace, safe to inline in HTML.
    /// - Throws: `SVGRejection` naming the first construct that is not allowed.
    public static func sanitize(_ svg: String, idPrefix: String) throws(SVGRejection) -> String {
        precondition(idPrefix.isEmpty || isPlainID(idPrefix[...]), "an id prefix is letters, digits, -, _ or .")
        // An XML declaration must open the document: leading blank lines would make it an error.
        let document = String(svg.drop(while: \.isWhitespace))
        try precheck(document)
        let parser = XMLParser(data: Data(document.utf8))
        let writer = SanitizingWriter(idPrefix: idPrefix)
        parser.delegate = writer
        parser.shouldProcessNamespaces = false
        parser.shouldReportNamespacePrefixes = false
        parser.shouldResolveExternalEntities = false
        // libxml2 recovers from errors and may still report success: any reported error refuses.
        let finished = parser.parse()
        if let rejection = writer.rejection { throw rejection }
        if let error = parser.parserError { throw SVGRejection.notXML(code: (error as NSError).code) }
        guard finished, writer.sawRoot, writer.open.isEmpty else { throw SVGRejection.notXML(code: 0) }
        return writer.out
    }

    /// A `data:` URL of the SVG, for an `<img>` (an SVG shown as an image runs no script and
    /// loads nothing).
    ///
    /// - Parameter svg: The SVG text, as it is.
    /// - Returns: `data:image/svg+xml;base64,…`.
    public static func dataURL(_ svg: String) -> String {
        "data:image/svg+xml;base64," + Data(svg.utf8).base64EncodedString()
    }

    /// A ritz-made SVG file that shows `svg` as an embedded image, so opening the file runs none
    /// of `svg`'s script even when the browser opens it as a document.
    ///
    /// - Parameter svg: An SVG that did not pass `sanitize`.
    /// - Returns: An SVG document with one `<image>` of `svg` as a `data:` URL, sized as `svg`
    ///   declares (its `width`/`height`, else its `viewBox`, else 720×450).
    public static func imageDocument(wrapping svg: String) -> String {
        let (w, h) = declaredSize(svg) ?? (720, 450)
        let ws = number(w), hs = number(h)
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"\(svgNamespace)\" xmlns:xlink=\"\(xlinkNamespace)\" width=\"\(ws)\" height=\"\(hs)\" viewBox=\"0 0 \(ws) \(hs)\">\n"
            + "<image width=\"\(ws)\" height=\"\(hs)\" xlink:href=\"\(dataURL(svg))\"/>\n</svg>\n"
    }

    /// The size an SVG's root element declares.
    ///
    /// - Parameter svg: SVG text (untrusted; refused by `precheck` means no size).
    /// - Returns: `width`/`height` when both are positive numbers (unitless or px), else the
    ///   `viewBox` width and height, else nil; each at most 100,000.
    static func declaredSize(_ svg: String) -> (Double, Double)? {
        let document = String(svg.drop(while: \.isWhitespace))
        guard (try? precheck(document)) != nil else { return nil }
        let parser = XMLParser(data: Data(document.utf8))
        let reader = RootAttributesReader()
        parser.delegate = reader
        parser.shouldResolveExternalEntities = false
        _ = parser.parse()
        guard let attributes = reader.attributes else { return nil }
        func length(_ key: String) -> Double? {
            guard var text = attributes[key]?.trimmingCharacters(in: .whitespaces) else { return nil }
            if text.hasSuffix("px") { text.removeLast(2) }
            guard let v = Double(text), v.isFinite, v > 0, v <= 100_000 else { return nil }
            return v
        }
        if let w = length("width"), let h = length("height") { return (w, h) }
        let box = (attributes["viewBox"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { Double($0) }
        if box.count == 4, box[2].isFinite, box[3].isFinite, box[2] > 0, box[3] > 0, box[2] <= 100_000, box[3] <= 100_000 {
            return (box[2], box[3])
        }
        return nil
    }

    /// A length as SVG text: an integer without a decimal point, else Swift's shortest form.
    static func number(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(v)
    }

    /// Refuses, before parsing, what the parser would act on unseen: a DTD (entities, external
    /// subsets), an encoding other than UTF-8 (UTF-7 hides markup from any text check), and
    /// control characters (a NUL makes libxml2 guess UTF-16).
    static func precheck(_ svg: String) throws(SVGRejection) {
        for scalar in svg.unicodeScalars where scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r" {
            throw .declaration
        }
        var rest = Substring(svg)
        while let bang = rest.range(of: "<!") {
            let after = rest[bang.upperBound...]
            guard after.hasPrefix("--") || after.hasPrefix("[CDATA[") else { throw .declaration }
            rest = after
        }
        let body = svg.drop(while: { $0.isWhitespace || $0 == "\u{FEFF}" })
        if body.hasPrefix("<?xml"), let end = body.range(of: "?>") {
            let declaration = body[..<end.lowerBound].lowercased()
            if declaration.contains("encoding"),
               !declaration.contains("encoding=\"utf-8\""), !declaration.contains("encoding='utf-8'") {
                throw .declaration
            }
        }
    }

    /// An id the sanitiser keeps: 1 to 256 ASCII letters, digits, `_`, `-` or `.` (no quotes,
    /// parentheses or spaces, so it stays inert inside `url(#…)` and attribute values).
    static func isPlainID(_ id: Substring) -> Bool {
        !id.isEmpty && id.utf8.count <= 256 && id.unicodeScalars.allSatisfy {
            $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-" || $0 == ".")
        }
    }

    /// `value` with each `url(#id)` given the prefix, or nil when it holds anything but plain
    /// tokens and allowed function calls (no `:`, `;`, braces, angle brackets, backslashes, `@`,
    /// comments, or a parenthesis that does not belong to an allowed function).
    static func rewriteValue(_ value: String, idPrefix: String) -> String? {
        if value.unicodeScalars.contains(where: { ":;{}<>\\@!`".unicodeScalars.contains($0) }) || value.contains("/*") {
            return nil
        }
        var out = ""
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "(") {
            let head = rest[..<open]
            let name = head.reversed().prefix(while: { $0.isLetter }).reversed()
            let function = String(name).lowercased()
            guard !function.isEmpty, functions.contains(function) else { return nil }
            guard let close = rest[open...].firstIndex(of: ")") else { return nil }
            let argument = rest[rest.index(after: open)..<close]
            if function == "url" {
                var target = argument.trimmingCharacters(in: .whitespaces)[...]
                if let q = target.first, q == "\"" || q == "'" {
                    guard target.count >= 2, target.last == q else { return nil }
                    target = target.dropFirst().dropLast()
                }
                guard target.hasPrefix("#"), isPlainID(target.dropFirst()) else { return nil }
                out += head + "(#" + idPrefix + target.dropFirst() + ")"
            } else {
                guard !argument.contains("(") else { return nil }
                out += head + "(" + argument + ")"
            }
            rest = rest[rest.index(after: close)...]
        }
        guard !rest.contains(")") else { return nil }
        return out + rest
    }

    /// A `style` attribute re-written as `property:value;…` with allowed properties only.
    static func rewriteStyle(_ style: String, idPrefix: String) -> String? {
        var declarations: [String] = []
        for part in style.split(separator: ";") where !part.allSatisfy(\.isWhitespace) {
            guard let colon = part.firstIndex(of: ":") else { return nil }
            let property = part[..<colon].trimmingCharacters(in: .whitespaces)
            let raw = part[part.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard presentation.contains(property), !raw.isEmpty,
                  let value = rewriteValue(raw, idPrefix: idPrefix) else { return nil }
            declarations.append(property + ":" + value)
        }
        return declarations.joined(separator: ";")
    }
}

/// The parser delegate that checks each event and writes the allowed document.
private final class SanitizingWriter: NSObject, XMLParserDelegate {
    let idPrefix: String
    var out = ""
    var open: [String] = []
    var sawRoot = false
    var startTagPending = false
    var rejection: SVGRejection?

    init(idPrefix: String) {
        self.idPrefix = idPrefix
    }

    func refuse(_ parser: XMLParser, _ reason: SVGRejection) {
        if rejection == nil { rejection = reason }
        parser.abortParsing()
    }

    func closePendingStartTag() {
        if startTagPending { out += ">"; startTagPending = false }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        guard rejection == nil else { return }
        if open.isEmpty {
            guard !sawRoot, name == "svg" else { return refuse(parser, sawRoot ? .notXML(code: 0) : .root(name)) }
            sawRoot = true
        }
        guard SVGSanitizer.elements.contains(name),
              open.last.map({ !SVGSanitizer.textOnlyElements.contains($0) }) ?? true
        else { return refuse(parser, .element(name)) }
        var written: [(String, String)] = []
        for (key, value) in attributes.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "xmlns":
                guard value == SVGSanitizer.svgNamespace else { return refuse(parser, .value(element: name, name: key)) }
            case "xmlns:xlink":
                guard value == SVGSanitizer.xlinkNamespace else { return refuse(parser, .value(element: name, name: key)) }
            case "id":
                guard SVGSanitizer.isPlainID(value[...]) else { return refuse(parser, .value(element: name, name: key)) }
                written.append((key, idPrefix + value))
            case "href", "xlink:href":
                guard SVGSanitizer.referringElements.contains(name) else { return refuse(parser, .attribute(element: name, name: key)) }
                guard value.hasPrefix("#"), SVGSanitizer.isPlainID(value.dropFirst()),
                      !written.contains(where: { $0.0 == "href" })
                else { return refuse(parser, .value(element: name, name: key)) }
                written.append(("href", "#" + idPrefix + value.dropFirst()))
            case "style":
                guard let style = SVGSanitizer.rewriteStyle(value, idPrefix: idPrefix) else {
                    return refuse(parser, .value(element: name, name: key))
                }
                written.append((key, style))
            default:
                guard SVGSanitizer.presentation.contains(key) || SVGSanitizer.geometry.contains(key) else {
                    return refuse(parser, .attribute(element: name, name: key))
                }
                guard let rewritten = SVGSanitizer.rewriteValue(value, idPrefix: idPrefix) else {
                    return refuse(parser, .value(element: name, name: key))
                }
                written.append((key, rewritten))
            }
        }
        closePendingStartTag()
        out += "<" + name
        if open.isEmpty { out += " xmlns=\"\(SVGSanitizer.svgNamespace)\"" }
        for (key, value) in written.sorted(by: { $0.0 < $1.0 }) {
            out += " " + key + "=\"" + Notebook.escapeHTML(value) + "\""
        }
        startTagPending = true
        open.append(name)
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        guard rejection == nil else { return }
        guard open.last == name else { return refuse(parser, .notXML(code: 0)) }
        open.removeLast()
        if startTagPending {
            out += "/>"
            startTagPending = false
        } else {
            out += "</" + name + ">"
        }
    }

    func parser(_ parser: XMLParser, foundCharacters text: String) {
        writeText(parser, text)
    }

    func parser(_ parser: XMLParser, foundCDATA block: Data) {
        writeText(parser, String(decoding: block, as: UTF8.self))
    }

    func writeText(_ parser: XMLParser, _ text: String) {
        guard rejection == nil else { return }
        guard !open.isEmpty else {
            if !text.allSatisfy(\.isWhitespace) { refuse(parser, .notXML(code: 0)) }
            return
        }
        closePendingStartTag()
        out += Notebook.escapeHTML(text)
    }

    func parser(_ parser: XMLParser, parseErrorOccurred error: Error) {
        refuse(parser, .notXML(code: (error as NSError).code))
    }

    func parser(_ parser: XMLParser, validationErrorOccurred error: Error) {
        refuse(parser, .notXML(code: (error as NSError).code))
    }

    func parser(_ parser: XMLParser, foundInternalEntityDeclarationWithName name: String, value: String?) {
        refuse(parser, .declaration)
    }

    func parser(_ parser: XMLParser, foundExternalEntityDeclarationWithName name: String, publicID: String?, systemID: String?) {
        refuse(parser, .declaration)
    }

    func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
        refuse(parser, .declaration)
        return nil
    }
}

/// Reads the root element's attributes and stops.
private final class RootAttributesReader: NSObject, XMLParserDelegate {
    var attributes: [String: String]?

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        if self.attributes == nil { self.attributes = attributes }
        parser.abortParsing()
    }
}
