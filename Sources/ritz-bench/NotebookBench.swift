import Foundation
import RitzNotebook
import RitzPlot

/// A stand-in evaluator: the bench only draws, it never runs cells.
final class IdleEvaluator: LiveEvaluator, @unchecked Sendable {
    final class NoNames: CompletionSource {
        func names(prefix: String) -> [String] { [] }
        func keywords(of name: String) -> [String] { [] }
    }
    let completion: any CompletionSource = NoNames()
    func run(source: String, cellNumber: Int, live: LiveCell) -> CellRun { CellRun(outputs: [], executionCount: nil, failed: false) }
    func interrupt() {}
    func help(_ name: String) -> String? { nil }
    func topics() -> String { "" }
}

/// Full redraw of the notebook screen (issue 8): 200×60 with two live plots, into the
/// terminal-free screen model the curses driver copies from.
enum NotebookBench {
    static func run() throws {
        Bench.section("notebook")
        var notebook = Notebook()
        for i in 0..<12 {
            notebook.cells.append(Cell(id: "c\(i)", source: "x\(i) = randn(4, 4)\nx\(i) @ x\(i).T", executionCount: i + 1,
                                       outputs: [.result(executionCount: i + 1, data: [textMIME: "4×4 tensor\n 1 2 3 4\n 5 6 7 8"])]))
        }
        notebook.appendCode("run = train(model, data, sgd(0.1), steps=2000)")
        let model = NotebookModel(notebook: notebook, path: "bench.ipynb", evaluator: IdleEvaluator())
        guard let (_, live) = model.beginRun(index: notebook.cells.count - 1) else { return }
        var loss: [Double] = [], sharp: [Double] = []
        var step = 0
        func advance() throws {
            // Two live curves growing by 5 points a frame, as a training run with every=1 would.
            for _ in 0..<5 {
                step += 1
                loss.append(exp(-Double(step) / 300) + 0.05 * sin(Double(step) / 7))
                sharp.append(2 - exp(-Double(step) / 200))
            }
            var a = Figure(), b = Figure()
            try a.addLine(loss, name: "loss")
            try b.addLine(sharp, name: "sharpness")
            live.put(.plot(id: 1, renderer: FigureRenderer(figure: a), rows: 16))
            live.put(.plot(id: 2, renderer: FigureRenderer(figure: b), rows: 16))
            live.setProgress("step \(step)/2000 · loss \(loss.last ?? 0)")
        }
        try advance()
        var checksum = 0
        let t = try Bench.median(repeats: 21, warmup: 3) {
            try advance()
            let frame = model.render(width: 200, height: 60)
            checksum &+= frame.screen.lines.count
        }
        let ms = t * 1e3
        Bench.report("full redraw 200×60, two live plots", ms, "ms",
                     detail: String(format: "%.0f frames/s possible; ratio to bar %.2f", 1 / t, ms / 2.0),
                     bar: ("<= 2 ms", ms <= 2.0))
        if checksum == 0 { print("  (no frames)") }
    }
}
