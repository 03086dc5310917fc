import Foundation

/// Which tracked quantities are drawn against the optimizer's linear-stability threshold
/// (``StabilityThreshold``), and what the comparison means for each.
///
/// Gradient descent with step η on a quadratic is stable iff λ_max ≤ 2/η (the "edge of
/// stability" of Cohen et al., ICLR 2021); for SGD, Wu & Su (ICML 2023) relate linear stability
/// to the trace of the Hessian, compared with the same threshold.
public enum StabilityBound: String, Sendable {
    /// λ_max against gradient descent's bound.
    case gradientDescent
    /// tr H against SGD's bound.
    case stochastic
}

/// The largest curvature along a direction at which an optimizer's step stays stable on a
/// quadratic: c/η − λ, for step η and coupled weight decay λ (which adds λ to every curvature the
/// step sees).
///
/// For the update rules of ``Optimizer`` (PyTorch's SGD), found where the iteration matrix of
/// (parameter, momentum buffer) on a curvature a has the eigenvalue −1:
/// * gradient descent: c = 2;
/// * heavy-ball momentum μ with dampening τ: c = 2(1 + μ)/(1 − τ) — (2 + 2μ)/η, Cohen et al.
///   2021, appendix on momentum;
/// * Nesterov momentum (never dampened): c = 2(1 + μ)/(1 + 2μ).
/// Adaptive and preconditioned steps (Adam, AdaHessian, K-FAC, …) have no such threshold on the
/// Hessian itself (theirs is on the preconditioned Hessian), so they have none here.
public struct StabilityThreshold: Sendable, Equatable {
    /// c.
    public let numerator: Double
    /// λ, the coupled (L2) weight decay.
    public let weightDecay: Double

    /// Gradient descent's threshold 2/η.
    public static let gradientDescent = StabilityThreshold(numerator: 2, weightDecay: 0)

    public init(numerator: Double, weightDecay: Double) {
        (self.numerator, self.weightDecay) = (numerator, weightDecay)
    }

    /// c/lr − λ, nil for a learning rate that is not positive.
    public func value(lr: Double) -> Double? { lr > 0 ? numerator / lr - weightDecay : nil }

    /// The line's label: "2/lr", "3.8/lr" (momentum 0.9), "2/lr − 0.01" (weight decay 0.01).
    public var label: String {
        func short(_ x: Double) -> String { String(format: "%.3g", x) }
        let base = "\(short(numerator))/lr"
        return weightDecay == 0 ? base : "\(base) − \(short(weightDecay))"
    }
}

/// Which panels a training run draws, what each holds and which carry 2/lr: the one place the
/// live curves, `plot(run)` and plots of run-like records ask.
///
/// Panel 0 is the loss (with the test loss when there is one), panel 1 the accuracy, then one
/// panel per tracked quantity in the order requested; a tracker registered with a
/// ``StabilityBound`` ("sharpness", "trace") gets the line of the optimizer's
/// ``StabilityThreshold`` (2/lr for gradient descent) on its panel, when it has one.
public struct RunLayout: Sendable {
    /// One panel.
    public struct Panel: Sendable, Equatable {
        /// The panel's label.
        public let label: String
        /// The series drawn in it (names of run fields).
        public let series: [String]
        /// The bound drawn with it, if any.
        public let bound: StabilityBound?
    }

    /// The panels, top to bottom.
    public let panels: [Panel]

    /// The layout of a run.
    ///
    /// - Parameters:
    ///   - tracked: Tracked quantities, in the order requested.
    ///   - hasTest: Whether a test loss is drawn.
    public init(tracked: [String], hasTest: Bool) {
        panels = [Panel(label: "loss", series: hasTest ? ["loss", "test_loss"] : ["loss"], bound: nil),
                  Panel(label: "acc", series: ["acc"], bound: nil)]
            + tracked.map { Panel(label: $0, series: [$0], bound: TrackerRegistry.shared.entry($0)?.bound) }
    }
}
