import Foundation

/// Which tracked quantities are drawn against an optimizer's linear-stability threshold
/// (``StabilityThreshold``), and which threshold each is compared with.
///
/// Gradient descent with step η on a quadratic is stable iff λ_max ≤ 2/η (the "edge of
/// stability" of Cohen et al., ICLR 2021); for SGD, Wu & Su (ICML 2023) relate linear stability
/// to the trace of the Hessian, compared with the same threshold. An adaptive step
/// p ← p − η·P⁻¹m is stable while the preconditioned sharpness λ_max(P⁻¹H) stays below its own
/// threshold (Cohen et al., "Adaptive Gradient Methods at the Edge of Stability", 2022).
public enum StabilityBound: String, Sendable, Hashable, CaseIterable {
    /// λ_max of H against the threshold of sgd's step.
    case gradientDescent
    /// tr H against the threshold of sgd's step.
    case stochastic
    /// λ_max of P⁻¹(H + λI) (λ a coupled weight decay) against the threshold of a step
    /// preconditioned by the diagonal P (Adam's, AdaHessian's; the identity for sgd).
    case preconditioned
}

/// The largest curvature along a direction at which an optimizer's step stays stable on a
/// quadratic, as c/η − s for step η: the numerator c and the offset s come from the step's
/// momentum and weight decay (``Optimizer/stabilityThreshold(for:)`` derives them).
public struct StabilityThreshold: Sendable, Equatable {
    /// c.
    public let numerator: Double
    /// s: a coupled weight decay λ for sgd's sharpness (it adds λ to every curvature the step
    /// sees); c·λ/2 for a decoupled one (AdamW's p ← p(1 − ηλ)).
    public let offset: Double

    /// Gradient descent's threshold 2/η.
    public static let gradientDescent = StabilityThreshold(numerator: 2, offset: 0)

    public init(numerator: Double, offset: Double) {
        (self.numerator, self.offset) = (numerator, offset)
    }

    /// c/lr − s, nil for a learning rate that is not positive.
    public func value(lr: Double) -> Double? { lr > 0 ? numerator / lr - offset : nil }

    /// The line's label: "2/lr", "3.8/lr" (momentum 0.9), "2/lr − 0.01" (weight decay 0.01),
    /// "38/lr" (Adam with β₁ = 0.9, against the preconditioned sharpness).
    public var label: String {
        func short(_ x: Double) -> String { String(format: "%.3g", x) }
        let base = "\(short(numerator))/lr"
        return offset == 0 ? base : "\(base) − \(short(offset))"
    }
}

/// Which panels a training run draws, what each holds and which carry a stability threshold: the
/// one place the live curves, `plot(run)` and plots of run-like records ask.
///
/// Panel 0 is the loss (with the test loss when there is one), panel 1 the accuracy, then one
/// panel per tracked quantity in the order requested; a tracker registered with a
/// ``StabilityBound`` ("sharpness", "trace", "preconditioned_sharpness") gets the line of the
/// optimizer's ``StabilityThreshold`` for that bound (2/lr for gradient descent) on its panel,
/// when it has one.
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
