import Foundation
import MLPReference
import Testing
import RitzLearn
import RitzTensor
@testable import RitzAnalysis

/// The curvature tools on the library's mlp (the tape) against the same network evaluated by the
/// hand-derived reference kernels (`MLPReference`): hessian_op and ggn_op, whole and by block,
/// their top eigenvalues, and the sharpness tracked while training.
@Suite("One engine: curvature of the mlp on the tape against the reference kernels")
struct OneEngineCurvatureTests {
    /// ‖a − b‖∞ / ‖a‖∞.
    static func relative(_ a: [Double], _ b: [Double]) -> Double {
        let scale = a.map(abs).max() ?? 0
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) } / max(scale, 1e-300)
    }

    static func problem() throws -> (MLP, Dataset) {
        let digits = try Dataset.digits()
        let data = try digits.subset(Array(0..<300))
        let mlp = try MLP(sizes: [64, 16, 10], activation: .tanh, seed: 2)
        _ = try Trainer.train(model: mlp, data: data, optimizer: try .sgd(lr: 0.5), steps: 20, every: 20)
        return (mlp, data)
    }

    /// H v and G v of the whole network and of blocks, for three seeded directions: both engines are
    /// exact, the same sums in another order, so they agree to a few ulps of the summed terms
    /// (≈ 1e-14 relative at 300 rows); 1e-12 relative is the bar.
    @Test func productsAgree() throws {
        let (mlp, data) = try Self.problem()
        let reference = ReferenceMLP(mlp)
        for blocks in [nil, ["w1"], ["w0", "b1"]] as [[String]?] {
            let pairs = [
                ("hessian", try hessianOperator(model: mlp, data: data, blocks: blocks),
                 try hessianOperator(model: reference, data: data, blocks: blocks)),
                ("gauss-newton", try ggnOperator(model: mlp, data: data, blocks: blocks),
                 try ggnOperator(model: reference, data: data, blocks: blocks)),
            ]
            for (name, tape, kernels) in pairs {
                #expect(tape.n == kernels.n)
                for seed in 0..<3 {
                    var rng = RandomGenerator(seed: UInt64(seed))
                    let v = (0..<tape.n).map { _ in rng.normal() }
                    let (a, b) = (try kernels.apply(vector: v), try tape.apply(vector: v))
                    #expect(Self.relative(a, b) <= 1e-12, "\(name), blocks \(blocks ?? []): \(Self.relative(a, b))")
                }
            }
        }
    }

    /// The top three eigenvalues of H and G by Lanczos (tol 1e-10, the same seed): each engine's are
    /// within 1e-10·‖H‖ of the true ones (the residual bounds |θ − λ|), so they agree to 2e-10 relative.
    @Test func topEigenvaluesAgree() throws {
        let (mlp, data) = try Self.problem()
        let reference = ReferenceMLP(mlp)
        for (tape, kernels) in [(try hessianOperator(model: mlp, data: data), try hessianOperator(model: reference, data: data)),
                                (try ggnOperator(model: mlp, data: data), try ggnOperator(model: reference, data: data))] {
            let a = try eigs(kernels, k: 3, which: .largestAlgebraic, tol: 1e-10, seed: 5)
            let b = try eigs(tape, k: 3, which: .largestAlgebraic, tol: 1e-10, seed: 5)
            #expect(a.converged && b.converged)
            #expect(Self.relative(a.values, b.values) <= 2e-10, "\(a.values) vs \(b.values)")
        }
    }

    /// Sharpness and trace tracked during 30 steps of gradient descent: the runs agree to 1e-12
    /// relative in loss and parameters (see `OneEngineTests`), and the tracked eigenvalue and trace
    /// estimates to 1e-9 relative (Lanczos to its tolerance on operators equal to rounding, and
    /// Hutchinson with the same seeded probes).
    @Test func trackedSharpnessAgrees() throws {
        CurvatureTrackers.register()
        let digits = try Dataset.digits()
        let data = try digits.subset(Array(0..<300))
        let mlp = try MLP(sizes: [64, 16, 10], activation: .tanh, seed: 2)
        let reference = ReferenceMLP(mlp)
        let ra = try Trainer.train(model: reference, data: data, optimizer: try .sgd(lr: 0.5), steps: 30, every: 10,
                                   track: ["sharpness", "trace"], seed: 1)
        let rb = try Trainer.train(model: mlp, data: data, optimizer: try .sgd(lr: 0.5), steps: 30, every: 10,
                                   track: ["sharpness", "trace"], seed: 1)
        #expect(Self.relative(ra.loss, rb.loss) <= 1e-12)
        #expect(Self.relative(reference.parameters, mlp.parameters) <= 1e-12)
        for name in ["sharpness", "trace"] {
            let (a, b) = (ra.tracked[name] ?? [], rb.tracked[name] ?? [])
            #expect(a.count == 4 && Self.relative(a, b) <= 1e-9, "\(name): \(a) vs \(b)")
        }
    }
}
