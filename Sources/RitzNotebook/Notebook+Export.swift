import Foundation

/// A converted session: the main document and the files that go beside it.
public struct ExportResult: Equatable, Sendable {
    /// The document text (Markdown, HTML or a script).
    public var document: String
    /// Files to write beside it, as (path relative to the document's folder, contents).
    public var attachments: [(path: String, contents: String)]

    public static func == (a: ExportResult, b: ExportResult) -> Bool {
        a.document == b.document && a.attachments.map(\.path) == b.attachments.map(\.path)
            && a.attachments.map(\.contents) == b.attachments.map(\.contents)
    }
}

extension Notebook {
    /// Markdown: code in ```` ```ritz ```` blocks, text outputs and text plots in plain code blocks,
    /// and each plot's SVG as a file in `<stem>_files/` linked as an image.
    ///
    /// Markdown cells are written as they are (Markdown may hold HTML; that is the reader's to
    /// render). A plot's SVG file is the sanitiser's re-serialisation when it passes
    /// (`SVGSanitizer.sanitize`), else a ritz-made SVG that shows it as an embedded image
    /// (`SVGSanitizer.imageDocument`), so no file written here runs script when opened, whether
    /// a Markdown viewer shows it as an image or a browser opens it as a document.
    ///
    /// - Parameter stem: The document's name without extension, naming the attachment folder.
    /// - Returns: The Markdown and the SVG files.
    public func markdown(stem: String) -> ExportResult {
        var out = ""
        var files: [(String, String)] = []
        var plotNumber = 0
        func fence(_ text: String, _ info: String = "") -> String {
            var ticks = "```"
            while text.contains(ticks) { ticks += "`" }
            let body = text.hasSuffix("\n") ? text : text + "\n"
            return ticks + info + "\n" + body + ticks + "\n"
        }
        for cell in cells {
            if !out.isEmpty { out += "\n" }
            switch cell.kind {
            case .markdown: out += cell.source + "\n"
            case .raw: out += fence(cell.source)
            case .code:
                out += fence(cell.source, "ritz")
                for output in cell.outputs {
                    let text = output.plainText
                    if let svg = output.svg {
                        plotNumber += 1
                        let name = "\(stem)_files/plot-\(plotNumber).svg"
                        files.append((name, Notebook.plotFile(svg, number: plotNumber)))
                        out += "\n" + fence(text) + "\n![plot \(plotNumber)](\(Notebook.urlPath(name)))\n"
                    } else if !text.isEmpty {
                        out += "\n" + fence(text)
                    }
                }
            }
        }
        return ExportResult(document: out, attachments: files)
    }

    /// A self-contained HTML page: escaped code and text, plots as inline SVG.
    ///
    /// Safe for a notebook from anyone: every text (title, sources, outputs, errors, markdown) is
    /// HTML-escaped; a plot's SVG is inlined only as `SVGSanitizer` re-writes it, its ids
    /// prefixed `p<N>-` for the N-th plot of the page, and an SVG that does not pass is shown as
    /// `<img src="data:image/svg+xml;base64,…">`, where it runs no script. The page's
    /// Content-Security-Policy (`Notebook.htmlContentSecurityPolicy`) forbids script, frames,
    /// forms and every fetch but `data:` images, as a second line of defence.
    ///
    /// - Parameter title: The page title.
    /// - Returns: The HTML (no attachments).
    public func html(title: String) -> ExportResult {
        let markdown = Dictionary(uniqueKeysWithValues: cells.indices.filter { cells[$0].kind == .markdown }
            .map { ($0, MarkdownRendering(cells[$0].source)) })
        let hasMath = markdown.values.contains { $0.hasMath }
        let policy = hasMath ? Notebook.htmlMathContentSecurityPolicy : Notebook.htmlContentSecurityPolicy
        // TeX is typeset by MathJax from its CDN, as nbconvert's pages do; only pages with math load it.
        let mathJax = hasMath ? "<script src=\"\(Notebook.mathJaxURL)\" async></script>\n" : ""
        var out = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="\(policy)">
        <title>\(Notebook.escapeHTML(title))</title>
        <style>
        body { font-family: sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; }
        pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; }
        .cell { margin: 1.2em 0; }
        .prompt { color: #888; font-family: monospace; font-size: 0.85em; }
        .error { color: #a00; }
        .plot svg, .plot img { max-width: 100%; height: auto; }
        </style>
        \(mathJax)</head>
        <body>

        """
        var plotNumber = 0
        for (index, cell) in cells.enumerated() {
            out += "<div class=\"cell\">\n"
            switch cell.kind {
            case .markdown: out += markdown[index]?.html ?? ""
            case .raw: out += "<pre>\(Notebook.escapeHTML(cell.source))</pre>\n"
            case .code:
                let n = cell.executionCount.map(String.init) ?? " "
                out += "<div class=\"prompt\">In [\(n)]:</div>\n"
                out += "<pre class=\"code\"><code>\(Notebook.escapeHTML(cell.source))</code></pre>\n"
                for output in cell.outputs {
                    if let svg = output.svg {
                        plotNumber += 1
                        out += "<div class=\"plot\">\n\(Notebook.plotHTML(svg, number: plotNumber))\n</div>\n"
                    } else if output.isError {
                        out += "<pre class=\"error\">\(Notebook.escapeHTML(output.plainText))</pre>\n"
                    } else if !output.plainText.isEmpty {
                        out += "<pre class=\"output\">\(Notebook.escapeHTML(output.plainText))</pre>\n"
                    }
                }
            }
            out += "</div>\n"
        }
        out += "</body>\n</html>\n"
        return ExportResult(document: out, attachments: [])
    }

    /// Converts to `format` for a document named `stem`.
    ///
    /// - Parameters:
    ///   - format: md, html, ritz or ipynb.
    ///   - stem: The output name without extension (titles, attachment folder).
    /// - Returns: The document and attachments.
    public func exported(as format: SessionFormat, stem: String) -> ExportResult {
        switch format {
        case .md: return markdown(stem: stem)
        case .html: return html(title: stem)
        case .ritz: return ExportResult(document: percentScript(), attachments: [])
        case .ipynb: return ExportResult(document: ipynbText(), attachments: [])
        }
    }

    /// Writes the export for `path`'s extension, with attachments beside it, each atomically.
    ///
    /// - Parameter path: The destination document.
    /// - Throws: `NotebookError` for an unknown extension or a failed write.
    public func export(to path: String) throws {
        let path = try AtomicFile.checkedPath(path)
        let url = URL(fileURLWithPath: path)
        let stem = url.deletingPathExtension().lastPathComponent
        let result = exported(as: try SessionFormat.of(path: path), stem: stem)
        let dir = url.deletingLastPathComponent()
        for (relative, contents) in result.attachments {
            let target = dir.appendingPathComponent(relative)
            do {
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(),
                                                        withIntermediateDirectories: true)
            } catch {
                throw NotebookError.io(path: target.path, message: "cannot create the folder")
            }
            try AtomicFile.write(contents, to: target.path)
        }
        try AtomicFile.write(result.document, to: path)
    }

    /// Escapes `& < > " '` for HTML text and attributes.
    ///
    /// - Parameter text: Raw text.
    /// - Returns: Escaped text.
    public static func escapeHTML(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// The page's Content-Security-Policy: nothing loads or runs but inline styles and `data:`
    /// images (the plots that are not inlined); no script, frame, form target or `<base>`.
    public static let htmlContentSecurityPolicy =
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'none'; "
        + "object-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'"

    /// MathJax 3's TeX-to-HTML component at its usual CDN address.
    public static let mathJaxURL = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"

    /// The policy of a page with math: as `htmlContentSecurityPolicy`, but MathJax's script
    /// and fonts may load from its CDN folder (and nothing else may).
    public static let htmlMathContentSecurityPolicy =
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        + "script-src https://cdn.jsdelivr.net/npm/mathjax@3/es5/; font-src https://cdn.jsdelivr.net/npm/mathjax@3/es5/; "
        + "object-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'"

    /// The N-th plot of a page as HTML: its SVG sanitised and inlined, or as a `data:` image.
    ///
    /// - Parameters:
    ///   - svg: The output's `image/svg+xml` (untrusted).
    ///   - number: The plot's number in the page, 1-based, giving its id prefix `p<N>-`.
    /// - Returns: An `<svg>` element or an `<img>` element.
    static func plotHTML(_ svg: String, number: Int) -> String {
        if let inline = try? SVGSanitizer.sanitize(svg, idPrefix: "p\(number)-") { return inline }
        return "<img alt=\"plot \(number)\" src=\"\(SVGSanitizer.dataURL(svg))\">"
    }

    /// The N-th plot as an SVG file: sanitised, or wrapped as an image when it does not pass.
    ///
    /// - Parameters:
    ///   - svg: The output's `image/svg+xml` (untrusted).
    ///   - number: The plot's number in the document, 1-based, giving its id prefix `p<N>-`.
    /// - Returns: An SVG document that runs no script.
    static func plotFile(_ svg: String, number: Int) -> String {
        if let clean = try? SVGSanitizer.sanitize(svg, idPrefix: "p\(number)-") {
            return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + clean + "\n"
        }
        return SVGSanitizer.imageDocument(wrapping: svg)
    }

    static func urlPath(_ path: String) -> String {
        path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path
    }
}
