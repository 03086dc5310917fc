import Foundation
import Testing
@testable import RitzNotebook

@Suite("exports")
struct ExportTests {
    @Test("Markdown: code fences, text plots in code blocks, SVG files beside it")
    func markdown() throws {
        let result = sampleNotebook().markdown(stem: "tour")
        let md = result.document
        #expect(md.contains("```ritz\nx = [1, 2; 3, 4]\nx @ x\n```"))
        #expect(md.contains("```\n2×2 tensor\n 7  10\n15  22\n```"))
        #expect(md.contains("```\n⠁⠂⠄⡀\n⣿ axis\n```"))
        #expect(md.contains("![plot 1](tour_files/plot-1.svg)"))
        #expect(result.attachments.map(\.path) == ["tour_files/plot-1.svg"])
        #expect(result.attachments.first?.contents.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg") == true)
        #expect(md.hasPrefix("# Tour\n"))
    }

    @Test("a fence inside a cell gets a longer fence")
    func nestedFence() {
        let nb = Notebook(cells: [Cell(id: "a", source: "s = \"```\"")])
        #expect(nb.markdown(stem: "x").document.contains("````ritz\ns = \"```\"\n````"))
    }

    @Test("HTML: self-contained, escaped text, inline SVG")
    func html() throws {
        let page = sampleNotebook().html(title: "t<1>").document
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("<title>t&lt;1&gt;</title>"))
        #expect(page.contains("a\tb &quot;q&quot; &lt;script&gt;"))
        #expect(!page.contains("<script"))
        #expect(page.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(page.contains("<b>") == false)
        #expect(page.contains("<h1>Tour</h1>"))
        #expect(page.contains("<code>plots</code>"))
        #expect(page.contains("class=\"error\""))
        // No external resources: nothing fetched by src= or href=.
        #expect(!page.contains("src=") && !page.contains("href="))
    }

    @Test("an SVG output with script or handlers is an <img> of a data: URL, never inlined",
          arguments: ["<svg><script>alert(1)</script></svg>", "<svg onload=\"x()\"></svg>", "<div>not svg</div>"])
    func unsafeSVG(_ svg: String) {
        let nb = Notebook(cells: [Cell(id: "a", source: "p", executionCount: 1, outputs: [.plot(text: "plot", svg: svg)])])
        let page = nb.html(title: "x").document
        #expect(!page.contains(svg))
        let base64 = Data(svg.utf8).base64EncodedString()
        #expect(page.contains("<img alt=\"plot 1\" src=\"data:image/svg+xml;base64,\(base64)\">"))
    }

    @Test("export writes the document and its attachments")
    func exportFiles() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try sampleNotebook().export(to: dir + "/out.md")
        #expect(FileManager.default.fileExists(atPath: dir + "/out_files/plot-1.svg"))
        try sampleNotebook().export(to: dir + "/out.html")
        try sampleNotebook().save(path: dir + "/out.ritz")
        let script = try String(contentsOfFile: dir + "/out.ritz", encoding: .utf8)
        #expect(script.hasPrefix("# %% [markdown]\n# # Tour"))
        #expect(throws: NotebookError.self) { try sampleNotebook().save(path: dir + "/out.docx") }
    }
}

@Suite("atomic writes")
struct AtomicFileTests {
    @Test("an existing file is replaced, never truncated in place")
    func replacesByRename() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/s.ipynb", link = dir + "/old-link"
        try AtomicFile.write("old contents", to: path)
        // A hard link shares the inode: in-place truncation would change what it shows.
        try FileManager.default.linkItem(atPath: path, toPath: link)
        try AtomicFile.write("new contents", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new contents")
        #expect(try String(contentsOfFile: link, encoding: .utf8) == "old contents")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test("a write into a missing folder throws and leaves nothing")
    func missingFolder() throws {
        #expect(throws: NotebookError.self) { try AtomicFile.write("x", to: "/nonexistent-ritz-dir/a.ipynb") }
    }
}
