import Foundation
import Testing
@testable import RitzNotebook

/// Exports of a notebook from someone else: nothing in it may run script in the page.
@Suite("export safety")
struct ExportSafetyTests {
    static let hostileTitle = "<script>alert(1)</script>&#106;avascript:"

    static func hostile() throws -> Notebook {
        try Notebook(ipynb: Fixture.data("hostile.ipynb"))
    }

    /// The hostile plots that are allowed inline (their tricks are text), from the fixture script.
    static func inlineTricks() throws -> [String] {
        String(decoding: try Fixture.data("hostile_inline.txt"), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The trick each plot of the hostile notebook carries, in page order (its text/plain names it).
    static func tricks(_ notebook: Notebook) -> [String] {
        notebook.cells.flatMap(\.outputs).filter { $0.svg != nil }.map {
            String($0.plainText.prefix(while: { $0 != " " }))
        }
    }

    /// The `<div class="plot">` blocks of a page, in order.
    static func plotBlocks(_ page: String) -> [String] {
        page.components(separatedBy: "<div class=\"plot\">\n").dropFirst().map {
            $0.components(separatedBy: "\n</div>\n").first ?? ""
        }
    }

    @Test("the hostile notebook's HTML has no script-capable construct, a CSP, and inlines only clean plots")
    func hostileHTML() throws {
        let notebook = try Self.hostile()
        let page = notebook.html(title: Self.hostileTitle).document
        #expect(HTMLSafetyScan.findings(in: page) == [])
        #expect(page.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:;"))
        #expect(page.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt;&amp;#106;avascript:</title>"))
        let tricks = Self.tricks(notebook), blocks = Self.plotBlocks(page)
        #expect(tricks.count == 34 && blocks.count == tricks.count)
        let inline = try Self.inlineTricks()
        for (trick, block) in zip(tricks, blocks) {
            if inline.contains(trick) {
                #expect(block.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""), "\(trick)")
            } else {
                #expect(block.hasPrefix("<img alt=\"plot "), "\(trick) should be an image")
            }
        }
        // The text of the raw HTML everywhere else is there, escaped.
        #expect(page.contains("&lt;iframe srcdoc=&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;"))
        #expect(page.contains("<pre class=\"error\">error: &lt;/pre&gt;&lt;/code&gt;&lt;script&gt;"))
        #expect(page.contains("<h1>Results &lt;/pre&gt;&lt;/code&gt;&lt;script&gt;"))
    }

    @Test("the scan finds each construct the old filter let through", arguments: [
        "<svg/onload=alert(1)>", "<svg><animate onbegin=alert(1) attributeName=x dur=1s></animate></svg>",
        "<iframe srcdoc=\"x\"></iframe>", "<a href=\"javascript&#58;alert(1)\">x</a>",
        "<a href=\"java&#x09;script:alert(1)\">x</a>", "<meta http-equiv=\"refresh\" content=\"0;url=x\">",
        "<form action=\"https://example.invalid\"><button>x</button></form>", "<style>@import url(x.css);</style>",
        "<object data=x></object>", "<embed src=x>", "<base href=\"https://example.invalid/\">",
        "<svg><a xlink:href=\"javascript:alert(1)\"><rect/></a></svg>", "<svg><use href=\"data:image/svg+xml,x\"/></svg>",
        "<SCRIPT>alert(1)</SCRIPT>", "<img src=x ONERROR=alert(1)>", "<svg><rect style=\"fill:url(//x)\"/></svg>",
        "<img alt=\"plot 1\" src=\"data:text/html;base64,PHNjcmlwdD4=\">",
    ])
    func scanFinds(_ snippet: String) {
        let page = ExportSafetyTests.cleanPage().replacingOccurrences(of: "</body>", with: snippet + "\n</body>")
        #expect(!HTMLSafetyScan.findings(in: page).isEmpty, "\(snippet)")
    }

    static func cleanPage() -> String {
        Notebook(cells: [Cell(id: "a", source: "x", executionCount: 1, outputs: [
            .plot(text: "p", svg: "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect id=\"a\" fill=\"url(#a)\"/></svg>"),
            .plot(text: "q", svg: "<svg onload=\"alert(1)\"/>"),
        ])]).html(title: "clean").document
    }

    @Test("the scan passes the exporter's own page, with an inline plot and an image")
    func scanPassesCleanPage() {
        let page = Self.cleanPage()
        #expect(page.contains("<svg xmlns") && page.contains("<img alt=\"plot 2\""))
        #expect(HTMLSafetyScan.findings(in: page) == [])
    }

    @Test("Markdown: cells as written, and every SVG file sanitised or an image wrapper that runs no script")
    func hostileMarkdown() throws {
        let notebook = try Self.hostile()
        let result = notebook.markdown(stem: "h")
        // Markdown text is Markdown's: the raw HTML of a markdown cell is carried as it is.
        #expect(result.document.contains("# Results </pre></code><script>alert(1)</script>"))
        let inline = try Self.inlineTricks()
        #expect(result.attachments.count == 34)
        for (trick, file) in zip(Self.tricks(notebook), result.attachments) {
            // The wrapper's one data: image is inert (an SVG image runs no script); all else is scanned.
            let scanned = file.contents.replacingOccurrences(
                of: #"<image width="[0-9.]+" height="[0-9.]+" xlink:href="data:image/svg\+xml;base64,[A-Za-z0-9+/]*={0,2}"/>"#,
                with: "<image/>", options: .regularExpression)
            #expect(HTMLSafetyScan.findings(in: scanned, ownStyles: 0) == [], "\(trick)")
            let events = try XMLEvents.of(file.contents)
            let names = Set(events.compactMap { if case .start(let name, _) = $0 { return name } else { return nil } })
            if inline.contains(trick) {
                #expect(!names.contains("image"), "\(trick)")
            } else {
                // The wrapper: an <svg> with one <image> whose only reference is a data: URL.
                #expect(names == ["svg", "image"], "\(trick)")
                #expect(file.contents.contains("xlink:href=\"data:image/svg+xml;base64,"))
            }
        }
    }

    /// The tour and the saved sessions, as shipped.
    static func shippedSessions() throws -> [(String, Notebook)] {
        let root = Fixture.directory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent("sessions")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".ipynb") }.sorted()
        var sessions = try names.map { ($0, try Notebook(ipynb: Data(contentsOf: folder.appendingPathComponent($0)))) }
        sessions.append(("built-in tour", try #require(Tour.notebook())))
        return sessions
    }

    @Test("ritz's own plots stay inline SVG with ids unique across the page and every reference resolved")
    func shippedSessionsInline() throws {
        for (name, notebook) in try Self.shippedSessions() {
            let page = notebook.html(title: name).document
            let plots = notebook.cells.flatMap(\.outputs).filter { $0.svg != nil }.count
            let blocks = Self.plotBlocks(page)
            #expect(plots > 0 && blocks.count == plots, "\(name)")
            #expect(blocks.allSatisfy { $0.hasPrefix("<svg xmlns=") } && !page.contains("<img"), "\(name)")
            #expect(HTMLSafetyScan.findings(in: page) == [], "\(name)")
            let ids = HTMLSafetyScan.matches(#"\bid="[^"]*""#, in: page)
            #expect(Set(ids).count == ids.count, "\(name): repeated ids")
            for (number, block) in blocks.enumerated() {
                let own = Set(HTMLSafetyScan.matches(#"\bid="[^"]*""#, in: block).map { $0.dropFirst(4).dropLast() })
                let references = HTMLSafetyScan.matches(#"url\(#[^)]*\)"#, in: block).map { $0.dropFirst(5).dropLast() }
                #expect(references.allSatisfy { own.contains($0) && $0.hasPrefix("p\(number + 1)-") }, "\(name) plot \(number + 1)")
            }
        }
    }

    @Test("html_safety.py (html5lib) passes the hostile and tour pages and fails the unguarded one",
          .enabled(if: pythonHas("html5lib"), "needs python3 with html5lib"))
    func html5libCheck() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let hostile = dir + "/hostile.html", tour = dir + "/tour.html", bad = dir + "/bad.html"
        try Self.hostile().html(title: Self.hostileTitle).document.write(toFile: hostile, atomically: true, encoding: .utf8)
        try #require(Tour.notebook()).html(title: "tour").document.write(toFile: tour, atomically: true, encoding: .utf8)
        try Self.cleanPage().replacingOccurrences(of: "</body>", with: "<svg/onload=alert(1)>\n</body>")
            .write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(try Self.htmlSafety([hostile]).status == 0)
        #expect(try Self.htmlSafety([tour, "--inline-plots"]).status == 0)
        let failing = try Self.htmlSafety([bad])
        #expect(failing.status == 1 && failing.output.contains("event handler attribute onload"))
    }

    static func htmlSafety(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Fixture.directory.deletingLastPathComponent().appendingPathComponent("html_safety.py").path] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
