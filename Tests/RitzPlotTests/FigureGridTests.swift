import Foundation
import Testing
@testable import RitzPlot

/// Whole figures side by side (`Figure.grid`): each drawn by the ordinary renderer in its share.
@Suite("figure grids")
struct FigureGridTests {
    /// Two titled figures with different data and their own x labels.
    static func pair() throws -> (Figure, Figure) {
        let x = (0..<40).map { Double($0) * 0.075 }
        var p = try Figure.line(x.map(sin), x: x, name: "sin")
        p.title = "left"; p.xlabel = "steps"
        var q = try Figure.line(x.map { 10 * cos($0) }, x: x.map { $0 * 100 }, name: "cos")
        q.title = "right"; q.xlabel = "seconds"
        return (p, q)
    }

    /// Columns of a text row holding a frame corner.
    static func corners(_ grid: StyledGrid, row: Int) -> [Int] {
        (0..<grid.width).filter { grid[row, $0].char == "┌" }
    }

    @Test("side by side: each figure is its own rendering at its half, frames inside their halves")
    func sideBySide() throws {
        let (p, q) = try Self.pair()
        let g = Figure.grid([p, q], columns: 2)
        let (w, h) = (90, 16)
        let out = g.render(width: w, height: h, canvas: .braille)
        #expect(out.width == w && out.height == h)
        // Reference: each figure rendered alone at its share (45 columns, less the one-column gap
        // on the left figure; the right one ends at the edge).
        let left = p.render(width: 44, height: h, canvas: .braille), right = q.render(width: 45, height: h, canvas: .braille)
        for r in 0..<h {
            for c in 0..<44 { #expect(out[r, c] == left[r, c], "left figure at row \(r), column \(c)") }
            #expect(out[r, 44].char == " ", "gap column at row \(r)")
            for c in 0..<45 { #expect(out[r, 45 + c] == right[r, c], "right figure at row \(r), column \(c)") }
        }
        // One frame in each half, on the same row.
        let frameRow = try #require((0..<h).first { !Self.corners(out, row: $0).isEmpty })
        let cs = Self.corners(out, row: frameRow)
        #expect(cs.count == 2)
        #expect(cs.first.map { $0 < 45 } == true && cs.last.map { $0 >= 45 } == true)
        let text = out.text(color: false)
        #expect(text.contains("steps") && text.contains("seconds"))
    }

    @Test("too narrow for two readable figures: stacked, each keeping the height of the grid's row")
    func stackedWhenNarrow() throws {
        let (p, q) = try Self.pair()
        let g = Figure.grid([p, q], columns: 2)
        let w = 2 * Figure.minimumGridCellWidth - 2
        for (h, each) in [(30, 30), (12, 12), (5, 8)] {
            #expect(g.textHeight(width: w, height: h) == 2 * each)
            let out = g.render(width: w, height: g.textHeight(width: w, height: h), canvas: .ascii)
            #expect(out.width == w && out.height == 2 * each)
            #expect(g.renderText(width: w, height: h, canvas: .ascii, color: false) == out.text(color: false))
            let top = p.render(width: w, height: each, canvas: .ascii), bottom = q.render(width: w, height: each, canvas: .ascii)
            for r in 0..<each {
                for c in 0..<w {
                    #expect(out[r, c] == top[r, c], "top figure at height \(h), row \(r), column \(c)")
                    #expect(out[each + r, c] == bottom[r, c], "bottom figure at height \(h), row \(r), column \(c)")
                }
            }
        }
        // Wide enough for both: the height asked for, unchanged; a single figure is never grown.
        #expect(g.textHeight(width: 2 * Figure.minimumGridCellWidth, height: 12) == 12)
        #expect(p.textHeight(width: 20, height: 5) == 5)
    }

    @Test("grid layout: rows of cols figures, the size from its figures, nested grids flattened")
    func layout() throws {
        let (p, q) = try Self.pair()
        let g = Figure.grid([p, Figure.grid([q, p], columns: 2)], columns: 2)
        #expect(g.gridFigures.count == 3)
        #expect(g.width == 120 && g.height == 40)
        let cells = g.gridCells(width: 121, height: 40, minimumCellWidth: 36)
        #expect(cells.map(\.x) == [0, 61, 0] && cells.map(\.y) == [0, 0, 20])
        #expect(cells.map(\.width) == [61, 60, 61])
        #expect(Figure.grid([p, q], columns: 5).gridColumns == 2)
    }

    @Test("SVG: one well-formed document, each figure in its half with its own frame and ids")
    func svg() throws {
        let (p, q) = try Self.pair()
        let withRamp = try Figure.heatmap([1, 2, 3, 4], rows: 2, cols: 2)
        let g = Figure.grid([p, q, withRamp], columns: 3)
        let svg = g.svg(width: 1200, height: 400)
        let doc = try #require(SVGCollector.parse(svg))
        #expect(doc.elements.first?.attributes["width"] == "1200")
        let groups = doc.withClass("figure")
        #expect(groups.map { $0.attributes["transform"] } == ["translate(0 0)", "translate(400 0)", "translate(800 0)"])
        #expect(doc.withClass("frame").count == 3)
        // Ids are unique and every url(#id) names one of them.
        let ids = doc.elements.compactMap { $0.attributes["id"] }
        #expect(Set(ids).count == ids.count && ids.contains("f0-clip0") && ids.contains("f2-ramp"))
        for e in doc.elements {
            for (_, v) in e.attributes where v.hasPrefix("url(#") {
                #expect(ids.contains(String(v.dropFirst(5).dropLast())), "\(v) refers to a defined id")
            }
        }
        // The frames stay inside their thirds.
        for (i, frame) in doc.withClass("frame").enumerated() {
            let x = try #require(frame.attributes["x"].flatMap(Double.init)), w = try #require(frame.attributes["width"].flatMap(Double.init))
            #expect(x >= 0 && x + w <= 400, "figure \(i) frame at \(x)+\(w)")
        }
        #expect(doc.texts.contains("left") && doc.texts.contains("right"))
    }
}
