/// The linear-stability bound a tracked quantity is drawn against: 2/lr.
///
/// Gradient descent with step η on a quadratic is stable iff λ_max ≤ 2/η (the "edge of
/// stability" of Cohen et al., ICLR 2021); for SGD, Wu & Su (ICML 2023) relate linear stability
/// to the trace of the Hessian, compared with the same 2/η.
public enum StabilityBound: String, Sendable {
    /// λ_max against gradient descent's bound.
    case gradientDescent
    /// tr H against SGD's bound.
    case stochastic

    /// The label of the line.
    public static let label = "2/lr"

    /// 2/lr, nil for a learning rate that is not positive.
    public static func value(lr: Double) -> Double? { lr > 0 ? 2 / lr : nil }
}

/// Which panels a training run draws, what each holds and which carry 2/lr: the one place the
/// live curves, `plot(run)` and plots of run-like records ask.
///
/// Panel 0 is the loss (with the test loss when there is one), panel 1 the accuracy, then one
/// panel per tracked quantity in the order requested; a tracker registered with a
/// ``StabilityBound`` ("sharpness", "trace") gets the line 2/lr on its panel.
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
