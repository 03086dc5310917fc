import Testing
@testable import RitzNotebook
@testable import RitzTUI

/// The REPL's in-place live block, checked as the escape sequences it writes.
@Suite("REPL live block")
struct LiveLinesTests {
    @Test("the first frame is written from the cursor; later frames go back up and rewrite; erase removes it",
          arguments: [("same height", ["a", "b"], ["c", "d"], "\u{1B}[2A\rc\u{1B}[K\nd\u{1B}[K\n"),
                      ("shrinks", ["a", "b", "c"], ["d"], "\u{1B}[3A\rd\u{1B}[K\n\u{1B}[J"),
                      ("grows", ["a"], ["b", "c"], "\u{1B}[1A\rb\u{1B}[K\nc\u{1B}[K\n")])
    func redraw(_ name: String, _ first: [String], _ second: [String], _ expected: String) {
        var block = LiveLines.Block()
        let a = block.redraw(first)
        #expect(a == "\u{1B}[?25l\r" + first.map { $0 + "\u{1B}[K\n" }.joined() + "\u{1B}[?25h")
        let b = block.redraw(second)
        #expect(b == "\u{1B}[?25l" + expected + "\u{1B}[?25h")
        #expect(block.erase() == "\u{1B}[\(second.count)A\r\u{1B}[J")
        #expect(block.erase() == "")
    }

    @Test("a frame shows the newest plot at the terminal width, then the progress line")
    func frame() {
        let items: [OutputItem] = [.text("hello\n"),
                                   .plot(id: 1, renderer: TextPlotRenderer(text: "old"), rows: 2),
                                   .plot(id: 2, renderer: TextPlotRenderer(text: "new\nplot"), rows: 6)]
        let lines = LiveLines.frame(items: items, progress: "step 3/10 · loss 0.5", width: 40, rows: 24)
        #expect(lines == ["new", "plot", "", "", "", "", "step 3/10 · loss 0.5"])
        #expect(LiveLines.frame(items: [.text("x")], progress: nil, width: 40, rows: 24).isEmpty)
        // A short terminal bounds the plot's rows.
        #expect(LiveLines.frame(items: items, progress: nil, width: 40, rows: 7).count == 4)
    }
}
