import Foundation
import Testing
import RitzLang
import RitzPlot
@testable import RitzNotebook

/// Plots from the language reach the notebook as figures and are saved as text plus SVG.
@Suite("plot outputs")
struct PlotOutputTests {
    /// Runs `source` in a fresh session, returning the saved outputs and the live items.
    func run(_ source: String, setup: String? = nil) -> (CellRun, [OutputItem], Session) {
        let evaluator = SessionEvaluator()
        if let setup { _ = evaluator.run(source: setup, cellNumber: 1, live: LiveCell()) }
        let live = LiveCell()
        let result = evaluator.run(source: source, cellNumber: 2, live: live)
        return (result, live.snapshot().items, evaluator.session)
    }

    @Test("a plotted value is one execute_result: the language's text and the figure's SVG; shown once",
          arguments: [("line", "plot([1, 4, 9, 16])"), ("titled scatter", "scatter([1, 2, 3], [3, 1, 2], title=\"s\")"),
                      ("sized histogram", "hist([1, 2, 2, 3, 3, 3], bins=3, width=50, height=12)")])
    func plottedValue(_ name: String, _ source: String) throws {
        let (result, items, _) = run(source)
        #expect(!result.failed)
        #expect(result.outputs.count == 1)
        guard case .result(let count, let data)? = result.outputs.first else {
            Issue.record("expected an execute_result, got \(result.outputs)")
            return
        }
        #expect(count == result.executionCount)
        // The reference: the plot value's own `.svg` field and its display text, from a plain session.
        let reference = Session()
        _ = reference.run(cell: "p = " + source, origin: .cell(1), sink: CollectingSink())
        let plotSink = CollectingSink()
        _ = reference.run(cell: "p", origin: .cell(2), sink: plotSink)
        let svgText = try #require(reference.value(of: "p").flatMap { v -> String? in
            if case .object(let o) = v, case .string(let svg)? = try? o.field("svg") { return svg }
            return nil
        })
        #expect(data[svgMIME] == svgText)
        #expect(data[textMIME].map { $0 + "\n" } == plotSink.transcript)
        // On screen: the figure once, no second copy as value text.
        #expect(items.count == 1)
        if case .plot? = items.first {} else { Issue.record("expected a plot item, got \(items)") }
    }

    @Test("a live training plot is saved once, at its final state, as display_data; its frames replace each other")
    func livePlot() throws {
        let setup = "data = moons(60, noise=0.1, seed=1)\nmodel = mlp([2, 8, 2], seed=1)"
        let (result, items, session) = run("run = train(model, data, sgd(0.5), steps=30, every=5, seed=1)", setup: setup)
        #expect(!result.failed)
        let plots = result.outputs.filter { $0.svg != nil }
        #expect(plots.count == 1)
        guard case .display(let data)? = plots.first else {
            Issue.record("expected display_data, got \(result.outputs)")
            return
        }
        #expect(items.filter { if case .plot = $0 { return true } else { return false } }.count == 1)
        // The final figure is the one `plot(run)` draws from the finished run's curves.
        let sink = CollectingSink()
        _ = session.run(cell: "plot(run)", origin: .cell(3), sink: sink)
        let final = try #require(sink.plots.last?.figure)
        #expect(data[svgMIME] == PlotOutput.svg(final))
        #expect(data[textMIME] == PlotOutput.text(final))
        #expect(data[textMIME]?.contains("loss") == true)
    }

    @Test("re-running gives byte-identical plot outputs (what `ritz check` compares)")
    func deterministic() {
        let source = "data = moons(40, seed=2)\nrun = train(mlp([2, 6, 2], seed=2), data, sgd(0.3), steps=20, every=2, seed=2)\nplot(run.loss)"
        let (a, _, _) = run(source)
        let (b, _, _) = run(source)
        #expect(a.outputs == b.outputs)
        #expect(a.outputs.filter { $0.svg != nil }.count == 2)
    }

    @Test("plot outputs export as inline SVG in HTML and as SVG files beside Markdown")
    func exports() throws {
        var notebook = Notebook()
        notebook.appendCode("plot([3, 1, 2])")
        let (result, _, _) = run("plot([3, 1, 2])")
        notebook.cells[0].outputs = result.outputs
        let html = notebook.html(title: "t").document
        #expect(html.contains("<div class=\"plot\">\n<svg"))
        let md = notebook.markdown(stem: "t")
        #expect(md.attachments.map(\.path) == ["t_files/plot-1.svg"])
        // The file is the plot as the sanitiser re-writes it: the same elements, ids prefixed.
        let svg = try #require(result.outputs.first?.svg)
        #expect(try XMLEvents.of(md.attachments.first?.contents ?? "") == XMLEvents.prefixed(svg, "p1-"))
        #expect(md.document.contains("![plot 1](t_files/plot-1.svg)"))
    }
}
