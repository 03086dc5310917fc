import Foundation
import Testing
@testable import RitzPlot

@Suite struct CanvasTests {
    // Braille dots: pixel (column, row) inside a cell → Unicode dot number (1–8) → bit.
    @Test(arguments: [(0, 0, 0x2801), (0, 1, 0x2802), (0, 2, 0x2804), (1, 0, 0x2808), (1, 1, 0x2810),
                      (1, 2, 0x2820), (0, 3, 0x2840), (1, 3, 0x2880)])
    func brailleDots(px: Int, py: Int, scalar: UInt32) {
        var c = PixelCanvas(kind: .braille, columns: 1, rows: 1)
        c.set(px, py, color: nil)
        #expect(c.glyph(0, 0).value == scalar)
    }

    @Test func brailleFullAndEmpty() {
        var c = PixelCanvas(kind: .braille, columns: 2, rows: 1)
        for x in 0..<2 { for y in 0..<4 { c.set(x, y, color: nil) } }
        #expect(c.glyph(0, 0) == "⣿")
        #expect(Glyphs.character(kind: .braille, mask: 0) == "\u{2800}")
    }

    @Test(arguments: [([(0, 0)], "▘"), ([(1, 0)], "▝"), ([(0, 1)], "▖"), ([(1, 1)], "▗"),
                      ([(0, 0), (1, 0)], "▀"), ([(0, 1), (1, 1)], "▄"), ([(0, 0), (0, 1)], "▌"),
                      ([(0, 0), (1, 0), (0, 1), (1, 1)], "█")] as [([(Int, Int)], Unicode.Scalar)])
    func blockQuadrants(pixels: [(Int, Int)], expected: Unicode.Scalar) {
        var c = PixelCanvas(kind: .block, columns: 1, rows: 1)
        for (x, y) in pixels { c.set(x, y, color: nil) }
        #expect(c.glyph(0, 0) == expected)
    }

    @Test(arguments: [([(0, 0), (0, 1), (0, 2)], "|"), ([(0, 1), (1, 1)], "-"), ([(0, 2), (1, 2)], "_"),
                      ([(1, 0), (0, 2)], "/"), ([(0, 0), (1, 2)], "\\"), ([(0, 0)], "'"), ([(1, 2)], ".")] as [([(Int, Int)], Unicode.Scalar)])
    func asciiShapes(pixels: [(Int, Int)], expected: Unicode.Scalar) {
        var c = PixelCanvas(kind: .ascii, columns: 1, rows: 1)
        for (x, y) in pixels { c.set(x, y, color: nil) }
        #expect(c.glyph(0, 0) == expected)
    }

    @Test func asciiTableIsPureASCII() {
        #expect(Glyphs.ascii.allSatisfy { $0.isASCII })
        #expect(Glyphs.ascii.count == 64)
    }

    @Test func outOfRangePixelsAndSegmentsAreClipped() {
        var c = PixelCanvas(kind: .braille, columns: 3, rows: 2)
        c.set(-1, 0, color: nil); c.set(6, 0, color: nil); c.set(0, 8, color: nil)
        #expect(c.bits.allSatisfy { $0 == 0 })
        c.line(-1e12, 3, 1e12, 3, color: .red)   // a huge segment costs only the visible pixels
        #expect((0..<3).allSatisfy { c.mask(0, $0) != 0 })
        c.line(.nan, 0, 1, 1, color: nil)
    }

    struct EnvCase: CustomTestStringConvertible, Sendable {
        let name: String, env: [String: String], kind: CanvasKind
        var testDescription: String { name }
    }

    static let envCases: [EnvCase] = [
        .init(name: "LANG UTF-8", env: ["LANG": "en_US.UTF-8"], kind: .braille),
        .init(name: "LC_ALL wins", env: ["LC_ALL": "C", "LANG": "en_US.UTF-8"], kind: .ascii),
        .init(name: "LC_CTYPE utf8", env: ["LC_CTYPE": "de_DE.utf8", "LANG": "C"], kind: .braille),
        .init(name: "empty LC_ALL skipped", env: ["LC_ALL": "", "LANG": "C.UTF-8"], kind: .braille),
        .init(name: "POSIX", env: ["LANG": "POSIX"], kind: .ascii),
        .init(name: "nothing", env: [:], kind: .ascii),
    ]

    @Test(arguments: envCases)
    func canvasFromLocale(_ c: EnvCase) {
        #expect(CanvasKind.detect(environment: c.env) == c.kind)
    }

    @Test(arguments: [(["TERM": "xterm-256color"], true), (["TERM": "xterm", "NO_COLOR": ""], false),
                      (["TERM": "dumb"], false), ([:], false)] as [([String: String], Bool)])
    func colorFromEnvironment(env: [String: String], expected: Bool) {
        #expect(ColorSupport.detect(environment: env) == expected)
    }

    @Test func ansiOnlyWhenAsked() throws {
        let f = try Figure.lines([("a", nil, [0, 1, 2]), ("b", nil, [2, 1, 0])])
        let plain = f.renderText(width: 40, height: 12, canvas: .braille, color: false)
        let ansi = f.renderText(width: 40, height: 12, canvas: .braille, color: true)
        #expect(!plain.contains("\u{1B}"))
        #expect(ansi.contains("\u{1B}[0;34m") && ansi.contains("\u{1B}[0;31m"))
        // Stripping the escapes gives the plain text back.
        let stripped = ansi.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
        #expect(stripped == plain)
    }

    @Test func styledGridAccessIsSafe() {
        var g = StyledGrid(width: 3, height: 2)
        g[5, 5] = StyledCell("x")
        g.put("abcdef", row: 1, column: -2)
        #expect(g[-1, 0].char == " ")
        #expect(g.text(color: false) == "\ncde")
        #expect(StyledGrid(width: -4, height: 3).cells.isEmpty)
    }
}
