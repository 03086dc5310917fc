import Foundation
import RitzLearn
import RitzTensor

/// The curvature trackers of training runs, registered in the learning module's
/// `TrackerRegistry` as "sharpness" and "trace".
public enum CurvatureTrackers {
    private static let once: Void = {
        TrackerRegistry.shared.register("sharpness",
                                        summary: "largest Hessian eigenvalue on the measurement subset (Lanczos, warm-started)") {
            SharpnessTracker()
        }
        TrackerRegistry.shared.register("trace", summary: "Hessian trace on the measurement subset (Hutchinson)") {
            TraceTracker()
        }
    }()

    /// Registers "sharpness" and "trace" (idempotent; call before training).
    public static func register() { _ = once }
}

/// λ_max of the Hessian on the run's measurement subset, by Lanczos warm-started from the
/// previous measurement's top Ritz vector.
///
/// Between two measurements the parameters move a little, so the previous top eigenvector is
/// already close to the new one and Lanczos from it converges in a few products; the first
/// measurement starts from a seeded random vector. Each row also records `sharpness.residual`
/// (the true residual ‖Hv − λv‖) and `sharpness.matvecs`.
public final class SharpnessTracker: Tracker {
    /// Relative residual tolerance of each measurement.
    nonisolated(unsafe) public static var tolerance = 1e-6
    /// When false, every measurement starts cold (for comparing costs).
    public var warmStart: Bool

    /// A tracker.
    ///
    /// - Parameter warmStart: Start each measurement from the previous top Ritz vector.
    public init(warmStart: Bool = true) { self.warmStart = warmStart }

    public func measure(model: MLP, data: Dataset, state: TrackerState) throws -> Double {
        let e = try state.evaluation(model: model, data: data)
        let n = model.parameterCount
        let H = try LinearOperator(n: n, symmetric: true, label: "hessian") { v in
            var out = [Double](repeating: 0, count: n)
            try e.hvp(v, into: &out)
            return out
        }
        let start = warmStart ? state.warmStart.map { Tensor($0) } : nil
        let r = try eigs(H, k: 1, which: .largestAlgebraic, tol: SharpnessTracker.tolerance, start: start,
                         seed: state.rng.next())
        state.warmStart = r.vectors.storage
        state.lastMatvecs = r.matvecs
        state.matvecs += r.matvecs
        state.extras["residual"] = r.residuals[0]
        state.extras["matvecs"] = Double(r.matvecs)
        return r.values[0]
    }
}

/// tr H on the run's measurement subset by Hutchinson's estimator; rows also record
/// `trace.stderr`.
public final class TraceTracker: Tracker {
    /// Rademacher probes per measurement.
    nonisolated(unsafe) public static var probes = 30

    /// A tracker.
    public init() {}

    public func measure(model: MLP, data: Dataset, state: TrackerState) throws -> Double {
        let e = try state.evaluation(model: model, data: data)
        let n = model.parameterCount
        let H = try LinearOperator(n: n, symmetric: true, label: "hessian") { v in
            var out = [Double](repeating: 0, count: n)
            try e.hvp(v, into: &out)
            return out
        }
        let r = try hutchinson(H, probes: TraceTracker.probes, seed: state.rng.next())
        state.lastMatvecs = r.matvecs
        state.matvecs += r.matvecs
        state.extras["stderr"] = r.stderr
        return r.trace
    }
}
