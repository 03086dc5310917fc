import Foundation
import Testing
import RitzLang
import RitzPlot
@testable import RitzNotebook

/// `grid(plots, cols=)` from the language to the notebook's outputs and files.
@Suite("grid outputs")
struct GridOutputTests {
    static let source = """
        x = linspace(0, 3, 40)
        p = plot(x, sin(x), title="steps")
        q = plot(100 * x, cos(x), title="seconds")
        g = grid([p, q])
        """

    /// The figure of a plot variable after running `source`.
    func figure(_ session: Session, _ name: String) throws -> Figure {
        guard case .object(let o)? = session.value(of: name), let plot = o as? PlotObject else {
            throw Diagnostic("\(name) is not a plot", span: nil)
        }
        return plot.figure
    }

    @Test("the grid's SVG passes the sanitiser, ids prefixed and still distinct per figure")
    func sanitised() throws {
        let session = Session()
        _ = session.run(cell: Self.source, origin: .cell(1), sink: CollectingSink())
        let g = try figure(session, "g")
        let clean = try SVGSanitizer.sanitize(PlotOutput.svg(g, live: false), idPrefix: "p3-")
        #expect(clean.contains("id=\"p3-f0-clip0\"") && clean.contains("id=\"p3-f1-clip0\""))
        #expect(clean.contains("url(#p3-f1-clip0)"))
    }

    @Test("a displayed grid is one output whose data holds each figure's data")
    func outputData() throws {
        let evaluator = SessionEvaluator()
        let result = evaluator.run(source: Self.source + "\ng", cellNumber: 1, live: LiveCell())
        #expect(!result.failed)
        guard case .result(_, let data)? = result.outputs.last else {
            Issue.record("expected an execute_result, got \(result.outputs)")
            return
        }
        let g = try figure(evaluator.session, "g"), p = try figure(evaluator.session, "p")
        #expect(data[svgMIME] == PlotOutput.svg(g, live: false))
        let saved = try #require(data[plotDataMIME])
        let reference = JSONValue.object(["columns": .number(2), "figures": .array([PlotOutput.data(p), PlotOutput.data(try figure(evaluator.session, "q"))])])
        #expect(saved == reference.serialized(indent: 0))
        // Side by side at its default size: 120 columns, both titles on the first line.
        let text = try #require(data[textMIME])
        let first = try #require(text.split(separator: "\n").first)
        #expect(first.contains("steps") && first.contains("seconds"))
    }

    @Test("savefig round trip: the .txt file is the grid's text, the .svg file its SVG")
    func savefigRoundTrip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ritz-grid-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let txt = dir.appendingPathComponent("g.txt").path, svg = dir.appendingPathComponent("g.svg").path
        let session = Session()
        let sink = CollectingSink()
        _ = session.run(cell: Self.source + "\nsavefig(g, \"\(txt)\", canvas=\"ascii\")\nsavefig(g, \"\(svg)\")", origin: .cell(1), sink: sink)
        let g = try figure(session, "g")
        #expect(try String(contentsOfFile: txt, encoding: .utf8) == g.renderText(width: 120, height: 20, canvas: .ascii, color: false) + "\n")
        #expect(try String(contentsOfFile: svg, encoding: .utf8) == g.svg(width: 120 * 9, height: 20 * 18))
    }

    @Test("what draws in one set of axes refuses a grid", arguments: ["g + p", "overlay(g, p)", "hline(g, 0.5)", "grid([p, 3])", "grid([])", "grid([p], cols=0)"])
    func refused(_ cell: String) {
        let session = Session()
        _ = session.run(cell: Self.source, origin: .cell(1), sink: CollectingSink())
        let sink = CollectingSink()
        let outcome = session.run(cell: cell, origin: .cell(2), sink: sink)
        #expect(sink.events.contains { if case .error = $0 { return true }; return false }, "\(cell): \(outcome)")
    }
}
