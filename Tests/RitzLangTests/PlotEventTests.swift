import Foundation
import Testing
import RitzPlot
@testable import RitzLang

/// Plot events as `EvalEvent` specifies them: a plotted value is `.plot` then its `.value`; a
/// live plot repeats one id with growing data, each frame followed by `.progress`.
@Suite struct PlotEventTests {
    /// Runs cells in one session and returns each cell's events.
    static func events(_ cells: [String]) -> [[EvalEvent]] {
        let session = Session()
        return cells.enumerated().map { i, cell in
            let sink = CollectingSink()
            _ = session.run(cell: cell, origin: .cell(i + 1), sink: sink)
            return sink.events
        }
    }

    /// Points drawn in a figure's first series of each panel.
    static func pointCounts(_ f: Figure) -> [Int] {
        f.panels.map { panel in
            for layer in panel.layers { if case let .series(s) = layer { return s.count } }
            return 0
        }
    }

    static func kind(_ e: EvalEvent) -> String {
        switch e {
        case .text: return "text"
        case .value: return "value"
        case .display: return "display"
        case .clearOutput: return "clear"
        case .plot: return "plot"
        case .progress: return "progress"
        case .error: return "error"
        }
    }

    struct ValueCase: CustomTestStringConvertible, Sendable {
        let name: String
        let source: String
        let plots: Int
        var testDescription: String { name }
    }

    static let valueCases: [ValueCase] = [
        ValueCase(name: "line plot", source: "plot([1, 3, 2])", plots: 1),
        ValueCase(name: "plot of a run", source: "r = train(mlp([2, 4, 2], seed=0), moons(50, seed=0), sgd(0.1), steps=5, every=1)\nplot(r)", plots: 1),
        ValueCase(name: "overlay by +", source: "plot([1, 2]) + scatter([0, 1], [2, 1])", plots: 1),
        ValueCase(name: "suppressed by ;", source: "plot([1, 3, 2]);", plots: 0),
        ValueCase(name: "assigned, not shown", source: "p = plot([1, 3, 2])", plots: 0),
        ValueCase(name: "a number", source: "1 + 2", plots: 0),
        ValueCase(name: "a Koopman result shows its summary", source: "dmd(simulate(\"logistic\", [0.2], 30), rank=1)", plots: 0),
    ]

    @Test("a cell whose value is a plot emits one plot event, then its text as the value", arguments: valueCases)
    func valuePlot(_ c: ValueCase) throws {
        let events = PlotEventTests.events([c.source])[0]
        let plotIndices = events.indices.filter { PlotEventTests.kind(events[$0]) == "plot" }
        // `train` in a cell adds its live frames; count only plots followed by a value.
        let valuePlots = plotIndices.filter { $0 + 1 < events.count && PlotEventTests.kind(events[$0 + 1]) == "value" }
        #expect(valuePlots.count == c.plots, "\(events.map(PlotEventTests.kind))")
        if let i = valuePlots.first, case let .plot(_, figure) = events[i], case let .value(text) = events[i + 1] {
            // The value is the same plot's text rendering.
            #expect(text == figure.renderText(width: figure.width ?? 72, height: figure.height ?? 20, canvas: .braille, color: false))
        }
        #expect(!events.contains { if case .error = $0 { return true } else { return false } })
    }

    @Test("plot ids are unique within a session and new for each display")
    func uniqueIDs() {
        let all = PlotEventTests.events(["p = plot([1, 2, 3])", "p", "p", "plot([4, 5])"]).flatMap { $0 }
        let ids = all.compactMap { e -> Int? in if case let .plot(id, _) = e { return id } else { return nil } }
        #expect(ids.count == 3)
        #expect(Set(ids).count == 3)
    }

    @Test("training emits live frames under one id with growing data, each followed by progress")
    func liveTraining() throws {
        let source = """
        r = train(mlp([2, 8, 2], seed=0), moons(100, noise=0.1, seed=0), sgd(0.5), steps=200, every=2, track=["grad_norm"])
        r
        """
        let events = PlotEventTests.events([source])[0]
        let frames = events.enumerated().compactMap { i, e -> (index: Int, id: Int, figure: Figure)? in
            if case let .plot(id, f) = e { return (i, id, f) }
            return nil
        }
        let progress = events.filter { PlotEventTests.kind($0) == "progress" }.count
        // 101 history rows (step 0, 2, …, 200); at most one frame per row plus the final one,
        // and progress only with a frame.
        #expect(!frames.isEmpty)
        #expect(frames.count <= 102)
        #expect(progress == frames.count)
        let last = events.reversed().compactMap { e -> Int? in if case let .progress(p) = e { return p.step } else { return nil } }.first
        #expect(last == 200)
        #expect(Set(frames.map(\.id)).count == 1)
        for f in frames {
            #expect(f.index + 1 < events.count && PlotEventTests.kind(events[f.index + 1]) == "progress")
        }
        // Panels: loss, accuracy, grad_norm; data only grows, and the last frame has every row.
        let counts = frames.map { PlotEventTests.pointCounts($0.figure) }
        #expect(counts.allSatisfy { $0.count == 3 })
        for (a, b) in zip(counts, counts.dropFirst()) { #expect(zip(a, b).allSatisfy { $0 <= $1 }) }
        #expect(counts.last == [101, 101, 101])
        // The cell's value is the run's summary, not another plot.
        guard case let .value(text)? = events.last else { Issue.record("no value"); return }
        #expect(text.hasPrefix("run: 200/200 steps"))
    }

    @Test("the last live frame does not depend on timing: it equals plot(run)'s figure")
    func finalFrameMatchesRun() throws {
        let events = PlotEventTests.events([
            "r = train(mlp([2, 8, 2], seed=0), moons(100, noise=0.1, seed=0), sgd(0.5), steps=40, every=4)\nplot(r)",
        ])[0]
        let plots = events.compactMap { e -> (Int, Figure)? in if case let .plot(id, f) = e { return (id, f) } else { return nil } }
        #expect(plots.count >= 2)
        guard let live = plots.dropLast().last, let value = plots.last else { return }
        #expect(live.0 != value.0)
        #expect(live.1.renderText(width: 80, height: 24, canvas: .ascii, color: false)
                == value.1.renderText(width: 80, height: 24, canvas: .ascii, color: false))
    }

    struct ClockCase: CustomTestStringConvertible, Sendable {
        let name: String
        /// Clock readings in milliseconds, one per history row.
        let times: [UInt64]
        let due: [Bool]
        let pendingAtEnd: Bool
        var testDescription: String { name }
    }

    static let clockCases: [ClockCase] = [
        ClockCase(name: "first row always", times: [0], due: [true], pendingAtEnd: false),
        ClockCase(name: "rows 10 ms apart: every fifth", times: stride(from: 0, through: 100, by: 10).map { UInt64($0) },
                  due: [true, false, false, false, false, true, false, false, false, false, true], pendingAtEnd: false),
        ClockCase(name: "a burst ends pending", times: [0, 1, 2, 3], due: [true, false, false, false], pendingAtEnd: true),
        ClockCase(name: "slow rows: every one", times: [0, 60, 200, 1000], due: [true, true, true, true], pendingAtEnd: false),
    ]

    @Test("live frames: at most one per 50 ms, the final state pending", arguments: clockCases)
    func limiter(_ c: ClockCase) {
        final class Clock: @unchecked Sendable { var now: UInt64 = 0 }
        let clock = Clock()
        var frames = LiveFrames(clock: { clock.now })
        var due: [Bool] = []
        for t in c.times {
            clock.now = t * 1_000_000
            due.append(frames.due())
        }
        #expect(due == c.due)
        #expect(frames.pending == c.pendingAtEnd)
    }
}
