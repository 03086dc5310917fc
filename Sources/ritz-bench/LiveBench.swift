import Foundation
import RitzLang
import RitzLearn
import RitzPlot
import RitzTensor

/// Live training plots: `train` through the language with a sink that ignores plot events
/// against one that draws every live frame (braille, 120×30), as a front end does; and the
/// language's `train` against the trainer called directly (curves, progress and frames all
/// included). Digits, MLP 64-64-10 tanh, full-batch gradient descent, a history row every step.
enum LiveBench {
    /// Drops every event.
    final class NullSink: EventSink, @unchecked Sendable {
        func emit(_ event: EvalEvent) {}
    }

    /// Renders each plot event to text, as the REPL or `ritz run` on a terminal would.
    final class DrawingSink: EventSink, @unchecked Sendable {
        var frames = 0
        var bytes = 0
        func emit(_ event: EvalEvent) {
            guard case let .plot(_, figure) = event else { return }
            frames += 1
            bytes += figure.renderText(width: 120, height: 30, canvas: .braille, color: true).utf8.count
        }
    }

    static let steps = 300
    static let source = "train(mlp([64, 64, 10], seed=0), data, sgd(0.1), steps=\(steps), every=1, seed=0);"

    static func run() throws {
        Bench.section("live (train on digits, \(steps) full-batch steps, a history row every step)")
        let session = Session()
        _ = session.run(cell: "data = digits()", origin: .cell(0), sink: NullSink())
        let data = try Dataset.digits()
        func language(_ sink: EventSink) -> Double {
            let t0 = Bench.now()
            _ = session.run(cell: source, origin: .cell(1), sink: sink)
            return Bench.now() - t0
        }
        func direct() throws -> Double {
            let model = try MLP(sizes: [64, 64, 10], activation: .tanh, seed: 0)
            let t0 = Bench.now()
            _ = try Trainer.train(model: model, data: data, optimizer: try .sgd(lr: 0.1), steps: steps, batch: 0, every: 1,
                                  track: [], test: nil, seed: 0)
            return Bench.now() - t0
        }
        // Alternate the three so changes in machine load fall on each alike; medians of 5 rounds.
        var null: [Double] = [], drawing: [Double] = [], plain: [Double] = []
        var frames = 0
        _ = language(NullSink())
        for _ in 0..<5 {
            null.append(language(NullSink()))
            let sink = DrawingSink()
            drawing.append(language(sink))
            frames = sink.frames
            plain.append(try direct())
        }
        func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        let (n, d, p) = (median(null), median(drawing), median(plain))
        Bench.report("train, sink ignoring plots", Double(steps) / n, "steps/s")
        Bench.report("train, sink drawing every live frame", Double(steps) / d, "steps/s",
                     detail: "\(frames) frames drawn in the last round")
        Bench.report("drawing / ignoring (time)", d / n, "ratio", bar: ("≤ 1.05", d / n <= 1.05))
        Bench.report("language train / trainer alone (time)", n / p, "ratio", detail: "curves, progress and frames included")
    }
}
