import Foundation
import Testing
import RitzPlot
@testable import RitzLang

/// `influence(...)` draws its bar chart for test point 0 as a plot event followed by the plot's
/// text (the pairing `EvalEvent` specifies), and returns the scores with the solves' certificate.
@Suite struct InfluenceObjectTests {
    @Test func drawsHelpfulAndHarmfulPointsAndReturnsScores() throws {
        let session = Session()
        let sink = CollectingSink()
        let out = session.run(cell: """
            m = mlp([2, 4, 2], seed=0)
            r = influence(m, moons(6, seed=0), moons(2, seed=1), damping=1, method="minres", top=2)
            (shape=shape(r.scores), solves=r.solves, ok=r.residual < 1e-10, helpful=r.helpful, harmful=r.harmful,
             order=r.scores[0, r.helpful[0]] <= r.scores[0, r.harmful[0]])
            """, origin: .cell(1), sink: sink)
        #expect(out.status == .ok, "\(out.diagnostics.map { $0.render() })")
        let plots = sink.events.enumerated().compactMap { i, e -> (Int, Figure)? in
            if case let .plot(_, f) = e { return (i, f) } else { return nil }
        }
        let (index, figure) = try #require(plots.first)
        #expect(plots.count == 1 && figure.title.contains("test point 0"))
        if case .value = sink.events[index + 1] {} else { Issue.record("the plot is not followed by its text") }
        // Two helpful and two harmful points: four bars, most helpful first.
        #expect(figure.xTickLabels?.count == 4)
        #expect(out.display?.contains("shape=[2 6], solves=2, ok=true") == true, "\(out.display ?? "")")
        #expect(out.display?.contains("order=true") == true)
    }
}
