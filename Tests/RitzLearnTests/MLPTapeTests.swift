import Foundation
import MLPReference
import Testing
@testable import RitzLearn
import RitzTensor

/// The library's mlp (the tape, each layer one fused `linear` node) against the hand-derived
/// reference kernels (`MLPReference`), recorded in the same test run: both are exact, so they
/// differ by rounding only — a few ulps of each summed term, far below 1e-12 relative.
@Suite struct MLPTapeTests {
    /// The kernel problems, and one batch large enough that both engines split it in halves.
    static let cases = problems + [
        Problem(name: "tanh ce 8-16-10, 300 rows (split)", sizes: [8, 16, 10], activation: .tanh, loss: .crossEntropy, rows: 300),
    ]

    @Test(arguments: cases)
    func tapeAgreesWithTheKernels(problem: Problem) throws {
        let (mlp, x, y) = try problem.make()
        let reference = ReferenceMLP(mlp)
        let a = reference.makeEvaluation(), b = mlp.makeEvaluation()
        #expect(a is MLPEvaluation && !(b is MLPEvaluation))
        try a.prepare(model: reference, x: x, y: y, loss: problem.loss, withGradient: true)
        try b.prepare(model: mlp, x: x, y: y, loss: problem.loss, withGradient: true)
        #expect(abs(a.loss - b.loss) <= 1e-12 * max(1, abs(a.loss)))
        #expect(a.accuracy == b.accuracy)
        #expect(maxAbsDiff(try a.outputs().storage, try b.outputs().storage) <= 1e-12)
        #expect(maxAbsDiff(try reference.predict(x).storage, try mlp.predict(x).storage) <= 1e-12)
        _ = try expectSameDerivatives(a, b, parameters: mlp.parameterCount)
    }
}
