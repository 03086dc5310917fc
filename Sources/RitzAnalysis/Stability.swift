import RitzLearn
import RitzTensor

/// How one curvature trace of a training run behaved against its optimizer's linear-stability
/// threshold (2/lr for gradient descent).
public struct StabilityCrossing: Sendable, Equatable {
    /// Which trace: `"sharpness"` (λ_max against sgd's threshold), `"trace"` (tr H against the
    /// same) or `"preconditioned_sharpness"` (λ_max(P⁻¹(H + λI)) against the adaptive step's).
    public let name: String
    /// The first sampled step whose value reached the bound, nil if never.
    public let firstStep: Int?
    /// Steps from `firstStep` until the first later sample below the bound (to the last sample
    /// when it never fell below); 0 when never crossed.
    public let firstStay: Int
    /// Total steps spent at or above the bound, counting each sample as holding until the next.
    public let stepsAbove: Int
    /// Of the samples from `firstStep` on, the fraction within ±10% of the bound ("hovering").
    public let fractionNearBound: Double
    /// The largest ratio value/bound seen.
    public let maxRatio: Double
}

/// The stability analysis of a run: sampled curvature traces, each against its optimizer's
/// linear-stability threshold (``StabilityThreshold``): c/lr − s, 2/lr for gradient descent.
///
/// Gradient descent with step η on a quadratic is stable iff λ_max ≤ 2/η (so the "edge of
/// stability" of Cohen et al., ICLR 2021, is λ_max ≈ 2/η; with heavy-ball momentum μ the edge is
/// (2 + 2μ)/η); for SGD, "The Implicit Regularization of Dynamical Stability in Stochastic
/// Gradient Descent" (Wu & Su, ICML 2023) relates linear stability to the trace of the Hessian,
/// compared here with the same threshold; Adam's edge is its preconditioned sharpness at
/// (2 + 2β₁)/((1 − β₁)η) (Cohen et al., 2022).
public struct Stability: Sendable {
    /// One sampled trace and the threshold it is held against.
    public struct Trace: Sendable {
        /// `"sharpness"`, `"trace"` or `"preconditioned_sharpness"`.
        public let name: String
        /// One value per sampled step (NaN where nothing was measured).
        public let values: [Double]
        /// The threshold.
        public let threshold: StabilityThreshold

        public init(name: String, values: [Double], threshold: StabilityThreshold = .gradientDescent) {
            (self.name, self.values, self.threshold) = (name, values, threshold)
        }
    }

    /// The sampled steps (ascending).
    public let steps: [Int]
    /// The learning rate at each sampled step.
    public let lr: [Double]
    /// The traces, in the order given.
    public let traces: [Trace]
    /// One entry per trace, in the same order.
    public let crossings: [StabilityCrossing]

    /// Analyses sampled traces.
    ///
    /// - Parameters:
    ///   - steps: Sampled steps, strictly increasing.
    ///   - lr: Learning rate per sample (positive).
    ///   - traces: The traces, one value per sample each; each threshold's c/lr − s must be
    ///     positive.
    ///   - lastStep: The run's final step (the last sample holds until it); defaults to the last sample.
    /// - Throws: `ShapeError.invalid` when lengths differ, `TensorError.invalidArgument` for
    ///   unordered steps, non-positive learning rates or a bound that is not positive (a weight
    ///   decay beyond c/lr, under which no curvature is stable).
    public init(steps: [Int], lr: [Double], traces: [Trace], lastStep: Int? = nil) throws {
        guard lr.count == steps.count, traces.allSatisfy({ $0.values.count == steps.count }) else {
            throw ShapeError.invalid("stability needs one learning rate and one value per sampled step")
        }
        for i in 1..<max(steps.count, 1) where steps[i] <= steps[i - 1] {
            throw TensorError.invalidArgument("stability needs increasing steps")
        }
        guard lr.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw TensorError.invalidArgument("stability needs positive learning rates")
        }
        let end = max(lastStep ?? steps.last ?? 0, steps.last ?? 0)
        var crossings = [StabilityCrossing]()
        for trace in traces {
            let bound = Stability.bound(trace.threshold, lr: lr)
            guard bound.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw TensorError.invalidArgument("stability needs a positive bound \(trace.threshold.label); the weight decay leaves none")
            }
            crossings.append(Stability.analyse(trace.name, steps, bound, trace.values, end))
        }
        self.steps = steps
        self.lr = lr
        self.traces = traces
        self.crossings = crossings
    }

    /// The bound c/lr − s of `trace` per sample.
    public func bound(of trace: Trace) -> [Double] { Stability.bound(trace.threshold, lr: lr) }

    static func bound(_ threshold: StabilityThreshold, lr: [Double]) -> [Double] {
        lr.map { threshold.value(lr: $0) ?? .nan }
    }

    static func analyse(_ name: String, _ steps: [Int], _ bound: [Double], _ values: [Double], _ end: Int) -> StabilityCrossing {
        let ratio = zip(values, bound).map { $0 / $1 }
        let maxRatio = ratio.filter { $0.isFinite }.max() ?? .nan
        func span(_ from: Int, _ to: Int) -> Int {
            let (d, overflow) = to.subtractingReportingOverflow(from)
            return overflow ? Int.max : d
        }
        func holds(_ i: Int) -> Int { span(steps[i], i + 1 < steps.count ? steps[i + 1] : end) }
        var stepsAbove = 0
        for i in ratio.indices where ratio[i] >= 1 {
            let (total, overflow) = stepsAbove.addingReportingOverflow(max(holds(i), 0))
            stepsAbove = overflow ? Int.max : total
        }
        guard let first = ratio.firstIndex(where: { $0 >= 1 }) else {
            return StabilityCrossing(name: name, firstStep: nil, firstStay: 0, stepsAbove: 0,
                                     fractionNearBound: 0, maxRatio: maxRatio)
        }
        let below = ratio[(first + 1)...].firstIndex { $0 < 1 }
        let stay = span(steps[first], below.map { steps[$0] } ?? end)
        let later = ratio[first...]
        let near = later.filter { abs($0 - 1) <= 0.1 }.count
        return StabilityCrossing(name: name, firstStep: steps[first], firstStay: stay, stepsAbove: stepsAbove,
                                 fractionNearBound: Double(near) / Double(later.count), maxRatio: maxRatio)
    }

    /// A few lines describing each crossing, for the language's display.
    public func summary() -> String {
        var lines = [String]()
        for (c, trace) in zip(crossings, traces) {
            let line = trace.threshold.label
            if let s = c.firstStep {
                lines.append("\(c.name) crossed \(line) at step \(s), stayed above for \(c.firstStay) steps "
                             + "(\(c.stepsAbove) steps above in all; \(percent(c.fractionNearBound)) of later samples within 10% of \(line))")
            } else if c.maxRatio.isNaN {
                lines.append("\(c.name) has no measured sample to compare with \(line)")
            } else {
                lines.append("\(c.name) stayed below \(line) (at most \(percent(c.maxRatio)) of it)")
            }
        }
        return lines.joined(separator: "\n")
    }

    private func percent(_ x: Double) -> String {
        guard x.isFinite, abs(x) < 1e12 else { return "\(x)" }
        return "\(Int((x * 100).rounded()))%"
    }
}
