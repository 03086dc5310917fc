import Foundation
import Testing
@testable import RitzNotebook

/// The terminal rendering as plain text, one string a line, trailing blanks removed.
private func text(_ markdown: String, width: Int = 40) -> [String] {
    MarkdownRendering(markdown).terminalLines(width: width).map { line in
        var s = line.map(\.text).joined()
        while s.last == " " { s.removeLast() }
        return s
    }
}

/// The attribute of the run holding `word` in the rendering.
private func attr(of word: String, in markdown: String) -> TextAttr? {
    MarkdownRendering(markdown).terminalLines(width: 60).joined().first { $0.text.contains(word) }?.attr
}

@Suite("markdown cells")
struct MarkdownRenderingTests {
    @Test("golden text: headings, paragraphs, lists, code, quotes, tables, rules")
    func golden() {
        let source = """
        # Sharpness

        Training with **gradient descent** at *step size* η: see [the paper](https://arxiv.org/abs/2103.00065)
        and `eigs(H)`.

        1. train
        2. measure
           - top eigenvalue
           - trace

        > edge of stability

        ```
        run = train(m, d)
        stability(run)
        ```

        | lr | bound |
        |----|------:|
        | 0.1 | 20 |
        | 0.01 | 200 |

        ---
        """
        #expect(text(source) == [
            "Sharpness",
            "",
            "Training with gradient descent at step",
            "size η: see the paper and eigs(H).",
            "",
            "1. train",
            "2. measure",
            "  • top eigenvalue",
            "  • trace",
            "",
            "│ edge of stability",
            "",
            "  run = train(m, d)",
            "  stability(run)",
            "",
            "lr   │ bound",
            "─────┼──────",
            "0.1  │ 20",
            "0.01 │ 200",
            "",
            "────────────────────────────────────────",
        ])
    }

    @Test("styles: bold, italic, code, underlined links, headings, math in its own colour")
    func styles() {
        let source = "# Title\n\n**bold** *slanted* `code` [link](https://x.org) $\\lambda_{max}$ plain"
        #expect(attr(of: "Title", in: source)?.bold == true)
        #expect(attr(of: "bold", in: source) == TextAttr(bold: true))
        #expect(attr(of: "slanted", in: source)?.italic == true)
        #expect(attr(of: "code", in: source) == MarkdownRendering.Style.code)
        #expect(attr(of: "link", in: source)?.underline == true)
        #expect(attr(of: "\\lambda", in: source) == MarkdownRendering.Style.math)
        #expect(attr(of: "plain", in: source) == TextAttr())
    }

    @Test("TeX math is shown as its source: underscores and stars inside it are not emphasis")
    func math() {
        #expect(text("energy $E = m_1 c^2 * a_2$ and $$\\sum_i x_i$$ end", width: 80)
                == ["energy $E = m_1 c^2 * a_2$ and $$\\sum_i x_i$$ end"])
        #expect(text("costs \\$5 and $6") == ["costs $5 and $6"])  // an escaped dollar opens no math
    }

    @Test("raw HTML in a markdown cell is shown as text and escaped in the page")
    func rawHTML() {
        let source = "hi <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n<b onclick=\"x()\">b</b>"
        let html = MarkdownRendering(source).html
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b"))
        #expect(html.contains("&lt;script&gt;"))
        #expect(text(source).joined(separator: " ").contains("<script>alert(1)</script>"))
    }

    @Test("links keep web and mail addresses only")
    func linkSchemes() {
        let html = MarkdownRendering("[a](javascript:alert(1)) [b](https://x.org/p?q=1) [c](notes.md)").html
        #expect(!html.contains("javascript"))
        #expect(html.contains("<a href=\"https://x.org/p?q=1\">b</a>"))
        #expect(html.contains("<a href=\"notes.md\">c</a>"))
    }

    @Test("the HTML export renders markdown through the same parse, math kept as TeX")
    func htmlExport() {
        var notebook = Notebook()
        notebook.cells.append(Cell(id: "m", kind: .markdown, source: "## Run\n\n**bold** and *it*, $x_1$\n\n- one\n- two"))
        let page = notebook.html(title: "t").document
        #expect(page.contains("<h2>Run</h2>"))
        #expect(page.contains("<strong>bold</strong> and <em>it</em>, <span class=\"math\">\\(x_1\\)</span>"))
        #expect(page.contains("<ul><li>one</li><li>two</li></ul>"))
        // MathJax from its CDN, allowed by the page's policy; a page without math loads nothing.
        #expect(page.contains("<script src=\"\(Notebook.mathJaxURL)\" async></script>"))
        #expect(page.contains("content=\"\(Notebook.htmlMathContentSecurityPolicy)\""))
        var plain = Notebook()
        plain.cells.append(Cell(id: "m", kind: .markdown, source: "costs \\$5, and `$x$` is code"))
        let page2 = plain.html(title: "t").document
        #expect(!page2.contains("<script") && page2.contains("content=\"\(Notebook.htmlContentSecurityPolicy)\""))
        #expect(page2.contains("<code>$x$</code>"))
    }

    @Test("a stray closing tag in raw HTML is text; open elements are closed")
    func nesting() {
        let html = MarkdownRendering("a </pre></code> *b").html
        #expect(html == "<p>a &lt;/pre&gt;&lt;/code&gt; *b</p>\n")
    }

    @Test("the notebook shows a markdown cell rendered, with no prompt; the editor holds its source")
    func inTheNotebook() {
        var notebook = Notebook()
        notebook.cells.append(Cell(id: "m", kind: .markdown, source: "# Title\n\nsome **bold** text"))
        let m = NotebookModel(notebook: notebook, path: nil, evaluator: FakeEvaluator())
        _ = m.handle(.altUp)
        let lines = m.render(width: 60, height: 14).screen.lines
        #expect(lines.contains("▌        Title"))
        #expect(lines.contains("▌        some bold text"))
        #expect(!lines.joined().contains("# Title") || m.editor.text.hasPrefix("# Title"))
        #expect(m.editor.text == "# Title\n\nsome **bold** text")
        #expect(!lines.contains { $0.contains("In [") && $0.contains("Title") })
    }

    @Test("L shows the selected markdown cell's link addresses; the cell shows only their text")
    func linkAddresses() {
        var notebook = Notebook()
        notebook.cells.append(Cell(id: "m", kind: .markdown, source: "see [the paper](https://arxiv.org/abs/2103.00065) and [$x_1$ notes](notes.md)"))
        let m = NotebookModel(notebook: notebook, path: nil, evaluator: FakeEvaluator())
        #expect(!m.render(width: 80, height: 14).screen.text.contains("arxiv"))
        _ = m.handle(.escape)
        _ = m.handle(.char("k"))
        _ = m.handle(.char("L"))
        #expect(m.helpText == "links in cell 1:\n  the paper → https://arxiv.org/abs/2103.00065\n  $x_1$ notes → notes.md")
    }
}
