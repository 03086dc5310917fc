import Foundation
import RitzLearn
import RitzTensor

/// The curvature trackers of training runs, registered in the learning module's
/// `TrackerRegistry` as "sharpness", "trace" and "preconditioned_sharpness".
public enum CurvatureTrackers {
    private static let once: Void = {
        TrackerRegistry.shared.register("sharpness",
                                        summary: "largest Hessian eigenvalue on the measurement subset (Lanczos, warm-started)",
                                        bound: .gradientDescent) {
            SharpnessTracker()
        }
        TrackerRegistry.shared.register("trace", summary: "Hessian trace on the measurement subset (Hutchinson)",
                                        bound: .stochastic) {
            TraceTracker()
        }
        TrackerRegistry.shared.register("preconditioned_sharpness",
                                        summary: "largest eigenvalue of P⁻¹(H + λI): the Hessian as the optimizer's step sees it, "
                                            + "P its diagonal preconditioner (adam's (1 − β₁ᵗ)(√v̂ + ε); the identity for sgd), "
                                            + "λ a coupled weight decay; NaN before an adaptive optimizer's first step",
                                        bound: .preconditioned) {
            SharpnessTracker(operator: .preconditioned)
        }
    }()

    /// Registers "sharpness", "trace" and "preconditioned_sharpness" (idempotent; call before
    /// training).
    public static func register() { _ = once }
}

/// λ_max of the Hessian on the run's measurement subset, by Lanczos warm-started from the
/// previous measurements' top Ritz vectors.
///
/// Between two measurements the parameters move a little, so the previous top eigenvector is
/// close to the new one and Lanczos from it converges in fewer products than from a random
/// vector; the first measurement starts from a seeded random vector. With `.extrapolated`, the
/// start is the linear extrapolation u_t + (u_t − u_{t−1}) of the last two top vectors (signs
/// aligned), which follows the smooth drift of the eigenvector under gradient descent. Residuals
/// come from the stored products (no extra product per measurement). Each row also records
/// `sharpness.residual` (the true residual ‖Hv − λv‖, which bounds the error of λ) and
/// `sharpness.matvecs`.
///
/// With `.preconditioned` it measures λ_max(P⁻¹(H + λI)) instead, for the optimizer's diagonal
/// preconditioner P of the step just taken and its coupled weight decay λ
/// (``Optimizer/preconditioning``), as the largest eigenvalue of the symmetric
/// P^{-1/2}(H + λI)P^{-1/2}, which has the same eigenvalues: the quantity an adaptive step is
/// stable against (Cohen et al., "Adaptive Gradient Methods at the Edge of Stability", 2022).
public final class SharpnessTracker: Tracker {
    /// Which matrix's top eigenvalue is measured.
    public enum Operator: Sendable {
        /// The Hessian H.
        case hessian
        /// P^{-1/2}(H + λI)P^{-1/2}.
        case preconditioned
    }

    /// How a measurement starts.
    public enum WarmStart: String, Sendable, CaseIterable {
        /// A fresh seeded random vector every time (for comparing costs).
        case none
        /// The previous top Ritz vector.
        case previous
        /// u_t + (u_t − u_{t−1}) from the last two top Ritz vectors.
        case extrapolated
    }

    /// Relative residual tolerance of each measurement: λ is certified to within
    /// `tolerance`·λ by its residual.
    nonisolated(unsafe) public static var tolerance = 1e-4
    /// The start of each measurement.
    public let warmStart: WarmStart
    /// The matrix measured.
    public let matrix: Operator
    private var previous: [Double]?
    private var beforePrevious: [Double]?

    /// A tracker.
    ///
    /// - Parameters:
    ///   - operator: The matrix measured.
    ///   - warmStart: How each measurement starts.
    public init(operator: Operator = .hessian, warmStart: WarmStart = .extrapolated) {
        (self.matrix, self.warmStart) = (`operator`, warmStart)
    }

    /// Measures λ_max at the model's current parameters on the measurement subset.
    ///
    /// - Parameters:
    ///   - model: The network (not modified).
    ///   - data: The run's fixed measurement subset.
    ///   - state: The tracker's state; receives the products used and the residual.
    /// - Returns: λ_max; NaN for the preconditioned sharpness before an adaptive optimizer's
    ///   first step.
    /// - Throws: Errors of the Hessian products and of `eigs`; `LearnError.invalidArgument` for
    ///   the preconditioned sharpness under an optimizer without a diagonal preconditioner.
    public func measure(model: any Model, data: Dataset, state: TrackerState) throws -> Double {
        let H: LinearOperator
        switch matrix {
        case .hessian:
            H = try trackedHessian(model: model, data: data, state: state)
        case .preconditioned:
            guard let optimizer = state.optimizer, optimizer.stabilityThreshold(for: .preconditioned) != nil else {
                throw LearnError.invalidArgument("\(state.name) needs sgd, adam, adamw or adahessian, whose steps are "
                                                 + "preconditioned by a diagonal (or not at all)")
            }
            guard let preconditioning = optimizer.preconditioning else {
                state.lastMatvecs = 0
                state.extras["residual"] = .nan
                state.extras["matvecs"] = 0
                return .nan
            }
            H = try preconditionedHessian(model: model, data: data, state: state, preconditioning: preconditioning)
        }
        let n = H.n
        var start: [Double]?
        switch warmStart {
        case .none: start = nil
        case .previous: start = previous
        case .extrapolated:
            if let u = previous, let w = beforePrevious, u.count == n, w.count == n {
                let sign: Double = Blas.dot(u, w) < 0 ? -1 : 1
                let x = (0..<n).map { 2 * u[$0] - sign * w[$0] }
                start = Blas.norm(x) > 1e-8 ? x : u
            } else {
                start = previous
            }
        }
        let r = try eigs(H, k: 1, which: .largestAlgebraic, tol: SharpnessTracker.tolerance,
                         start: start.map { Tensor($0) }, seed: state.rng.next(), residualCheck: .storedProducts)
        var top = r.vectors.storage
        // Keep the sign continuous from one measurement to the next.
        if let u = previous, u.count == n, Blas.dot(u, top) < 0 { top = top.map { -$0 } }
        beforePrevious = previous
        previous = top
        state.warmStart = top
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

    /// Estimates tr H at the model's current parameters on the measurement subset.
    ///
    /// - Parameters:
    ///   - model: The network (not modified).
    ///   - data: The run's fixed measurement subset.
    ///   - state: The tracker's state; receives the products used and the standard error.
    /// - Returns: The trace estimate.
    /// - Throws: Errors of the Hessian products.
    public func measure(model: any Model, data: Dataset, state: TrackerState) throws -> Double {
        let H = try trackedHessian(model: model, data: data, state: state)
        let r = try hutchinson(H, probes: TraceTracker.probes, seed: state.rng.next())
        state.lastMatvecs = r.matvecs
        state.matvecs += r.matvecs
        state.extras["stderr"] = r.stderr
        return r.trace
    }
}

/// P^{-1/2}(H + λI)P^{-1/2} on a tracker's measurement subset, for the optimizer's diagonal P
/// (the identity when nil) and coupled weight decay λ.
///
/// - Throws: Errors of the forward pass; `LearnError.shape` for a diagonal of another length
///   or with an entry that is not positive.
private func preconditionedHessian(model: any Model, data: Dataset, state: TrackerState,
                                   preconditioning: Optimizer.Preconditioning) throws -> LinearOperator {
    let H = try trackedHessian(model: model, data: data, state: state)
    let n = H.n
    let scale = try preconditioning.diagonal.map { p -> [Double] in
        guard p.count == n, p.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw LearnError.shape("the preconditioner has \(p.count) entries for \(n) parameters, or one not positive")
        }
        return p.map { 1 / $0.squareRoot() }
    }
    let decay = preconditioning.coupledDecay
    return try LinearOperator(n: n, symmetric: true, label: "preconditioned hessian") { v in
        let x = scale.map { s in zip(s, v).map { $0 * $1 } } ?? v
        var out = try H.apply(vector: x)
        for i in 0..<n { out[i] += decay * x[i] }
        if let scale { for i in 0..<n { out[i] *= scale[i] } }
        return out
    }
}

/// The Hessian of the loss on a tracker's measurement subset, at the current parameters, as an
/// operator over the forward pass that every tracker of the row shares.
///
/// - Throws: Errors of the forward pass.
private func trackedHessian(model: any Model, data: Dataset, state: TrackerState) throws -> LinearOperator {
    let e = try state.evaluation(model: model, data: data)
    let n = model.parameterCount
    return try LinearOperator(n: n, symmetric: true, label: "hessian") { v in
        var out = [Double](repeating: 0, count: n)
        try e.hvp(v, into: &out)
        return out
    }
}
