import Foundation
import Testing
import RitzPlot
@testable import RitzLang

/// The pseudospectrum of a matrix as a figure: level lines of σ_min(zI − A) and the eigenvalues,
/// without the unit circle of the Koopman plots, in the terminal and in SVG.
@Suite struct StateSpacePlotTests {
    static func figure(_ source: String) throws -> Figure {
        let sink = CollectingSink()
        let out = Session().run(cell: source, origin: .cell(1), sink: sink)
        #expect(out.status == .ok, "\(out.diagnostics.map { $0.render() })")
        for e in sink.events { if case let .plot(_, f) = e { return f } }
        throw Diagnostic("no plot", span: nil)
    }

    @Test func matrixPseudospectrumDrawsLevelsAndEigenvalues() throws {
        let f = try Self.figure("plot(pseudospectrum(hippo(6).A, eps=0.1))")
        #expect(f.title == "σ_min(zI − A) levels, ε = 0.1")
        let svg = f.svg()
        // Six eigenvalues −1 … −6 as markers plus the legend's, and the levels as contour paths.
        #expect(svg.components(separatedBy: "<circle").count - 1 == 7)
        #expect(svg.contains("<path"))
        // No dashed unit circle (the Koopman plots draw one).
        #expect(!svg.contains("stroke-dasharray"))
        let koopman = try Self.figure("r = resdmd(simulate(\"henon\", [0.1, 0.1], 300), dict=poly(2))\nplot(pseudospectrum(r, eps=0.1))")
        #expect(koopman.svg().contains("stroke-dasharray"))
    }
}
