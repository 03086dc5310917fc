import Foundation
import RitzAnalysis
import RitzLearn
import RitzTensor

/// Curvature figures on the MLP 64-64-10 tanh (4810 parameters) over all 1797 digits, against the
/// reference of the curvature issue measured in the same run (`--peers`): SciPy `eigsh` driving
/// jitted JAX Hessian-vector products for the top 4 eigenvalues to tol 1e-8, on the same weights.
enum CurvatureBench {
    static func run() throws {
        Bench.section("curvature (MLP 64-64-10 tanh, ce, 1797 digits)")
        CurvatureTrackers.register()
        let data = try Dataset.digits()

        // eigs at two points: at initialisation and after 200 steps of gradient descent.
        for (label, steps) in [("init", 0), ("after 200 GD steps", 200)] {
            let model = try MLP(sizes: [64, 64, 10], activation: .tanh, seed: 0)
            if steps > 0 { _ = try Trainer.train(model: model, data: data, optimizer: try .sgd(lr: 0.5), steps: steps, every: steps) }
            var result: EigsResult?
            let weights = try Peer.save(model.parameterTensor, as: "mlp-curvature-\(steps)")
            let c = try PeerComparison.measure("eigs_top", args: [weights, "4", "1e-8"], peerName: "SciPy eigsh + JAX", rounds: 5) {
                let H = try hessianOperator(model: model, data: data)
                result = try eigs(H, k: 4, tol: 1e-8, seed: 0)
            }
            guard let r = result else { continue }
            let checks = r.residualCheck == .recompute ? r.values.count : 0
            let lanczosProducts = r.matvecs - checks
            let worst = zip(r.values, r.residuals).map { $1 / abs($0) }.max() ?? .nan
            // The peer's note: "matvecs=N values=a,b,c,d".
            let peerFields = Dictionary(c.note.split(separator: " ").compactMap { field -> (String, String)? in
                let kv = field.split(separator: "=", maxSplits: 1)
                return kv.count == 2 ? (String(kv[0]), String(kv[1])) : nil
            }, uniquingKeysWith: { $1 })
            let peerMatvecs = c.peer == nil ? nil : peerFields["matvecs"].flatMap { Int($0) }
            let peerText = peerMatvecs.map { String(format: "SciPy eigsh %d (λ = %@), ratio %.2f", $0, peerFields["values"] ?? "?", Double(r.matvecs) / Double($0)) }
                ?? "SciPy eigsh \(c.note)"
            Bench.report("eigs k=4 tol=1e-8, \(label): matvecs", Double(r.matvecs), "products",
                         detail: String(format: "%d Lanczos + %d residual checks (residuals %@); %@; λ = %@; max rel. residual %.1e; converged %@",
                                        lanczosProducts, checks, r.residualCheck == .recompute ? "recomputed" : "from stored products", peerText,
                                        r.values.map { String(format: "%.4f", $0) }.joined(separator: ", "), worst,
                                        r.converged ? "yes" : "no"),
                         bar: peerMatvecs.map { ("<= SciPy's \($0)", r.matvecs <= $0) })
            Bench.report("eigs k=4 tol=1e-8, \(label): time", c.ours * 1e3, "ms",
                         detail: c.detail(scale: 1e3, unit: "ms", withNote: false) + " (incl. the forward pass)",
                         bar: c.bar(timeRatioAtMost: 1))
        }

        // Warm-started tracking of λ_max against cold starts, same run.
        let every = 10, steps = 500
        func tracked(_ warm: SharpnessTracker.WarmStart) throws -> (Run, Double) {
            let model = try MLP(sizes: [64, 64, 10], activation: .tanh, seed: 0)
            let t0 = Bench.now()
            let run = try Trainer.train(model: model, data: data, optimizer: try .sgd(lr: 0.5), steps: steps, every: every,
                                        track: ["sharpness"], seed: 1,
                                        extraTrackers: ["sharpness": SharpnessTracker(warmStart: warm)])
            return (run, Bench.now() - t0)
        }
        let (warmRun, warmTime) = try tracked(.extrapolated)
        let (coldRun, _) = try tracked(.none)
        let measurements = Double(warmRun.steps.count)
        let warmPer = Double(warmRun.trackerMatvecs["sharpness"] ?? 0) / measurements
        let coldPer = Double(coldRun.trackerMatvecs["sharpness"] ?? 0) / measurements
        Bench.report("sharpness tracking: products per measurement", warmPer, "products",
                     detail: String(format: "cold start %.1f, ratio %.2f× fewer (tol %.0e, %d measurements)",
                                    coldPer, coldPer / warmPer, SharpnessTracker.tolerance, warmRun.steps.count),
                     bar: (">= 2× fewer", coldPer / warmPer >= 2))

        // Training speed with tracking every 10 steps against untracked training.
        let tPlain = try Bench.median(repeats: 3) {
            let model = try MLP(sizes: [64, 64, 10], activation: .tanh, seed: 0)
            _ = try Trainer.train(model: model, data: data, optimizer: try .sgd(lr: 0.5), steps: steps, every: every, seed: 1)
        }
        let tTracked = try Bench.median(repeats: 3) { _ = try tracked(.extrapolated) }
        _ = warmTime
        Bench.report("train 500 GD steps, track sharpness every 10", tPlain / tTracked, "× speed",
                     detail: String(format: "untracked %.0f ms, tracked %.0f ms", tPlain * 1e3, tTracked * 1e3),
                     bar: (">= 0.5×", tPlain / tTracked >= 0.5))
        if let last = warmRun.tracked["sharpness"]?.last, let res = warmRun.tracked["sharpness.residual"]?.last {
            Bench.report("final sharpness (2/lr = 4)", last, "", detail: String(format: "residual %.1e", res))
        }

        // An inverse curvature product by conjugate gradients to 1e-8: its products next to what the
        // condition number implies, √κ/2 · ln(2/ε) (the classical CG bound; Saad, "Iterative
        // Methods for Sparse Linear Systems", §6.11), for the damped Gauss–Newton matrix at
        // initialisation, δ = 1e-3 λ_max so κ = (λ_max + δ)/(λ_min + δ) ≈ 10³.
        let model = try MLP(sizes: [64, 64, 10], activation: .tanh, seed: 0)
        let G = try ggnOperator(model: model, data: data)
        let top = try eigs(G, k: 1, which: .largestAlgebraic, tol: 1e-6, seed: 0).values[0]
        let bottom = try eigs(G, k: 1, which: .smallestAlgebraic, tol: 1e-6, maxiter: 2000, seed: 0).values[0]
        let damping = 1e-3 * top
        let kappa = (top + damping) / (max(bottom, 0) + damping)
        var rng = RandomGenerator(seed: 3)
        let v = (0..<G.n).map { _ in rng.normal() }
        let t0 = Bench.now()
        let (_, report) = try KrylovSolvers.solve(G, v, damping: damping, method: .cg, tol: 1e-8, maxiter: 10 * G.n)
        let seconds = Bench.now() - t0
        let bound = kappa.squareRoot() / 2 * Foundation.log(2 / 1e-8)
        Bench.report("CG (G + δI)⁻¹v to 1e-8, δ = 1e-3 λ_max: matvecs", Double(report.iterations), "products",
                     detail: String(format: "κ = %.3g implies ≤ %.0f (√κ/2 · ln(2/ε)); true residual %.1e; %.0f ms",
                                    kappa, bound, report.residual, seconds * 1e3),
                     bar: ("<= the bound", Double(report.iterations) <= bound))
    }
}
