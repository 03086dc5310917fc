import RitzLearn
import RitzTensor

/// How one curvature trace of a training run behaved against its optimizer's linear-stability
/// threshold (2/lr for gradient descent).
public struct StabilityCrossing: Sendable, Equatable {
    /// Which trace: `"sharpness"` (λ_max against gradient descent's bound) or `"trace"`
    /// (tr H against SGD's bound).
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

/// The stability analysis of a run: sampled curvature traces against the optimizer's
/// linear-stability threshold (``StabilityThreshold``): c/lr − λ, 2/lr for gradient descent.
///
/// Gradient descent with step η on a quadratic is stable iff λ_max ≤ 2/η (so the "edge of
/// stability" of Cohen et al., ICLR 2021, is λ_max ≈ 2/η; with heavy-ball momentum μ the edge is
/// (2 + 2μ)/η); for SGD, "The Implicit Regularization of Dynamical Stability in Stochastic
/// Gradient Descent" (Wu & Su, ICML 2023) relates linear stability to the trace of the Hessian,
/// compared here with the same threshold.
public struct Stability: Sendable {
    /// The sampled steps (ascending).
    public let steps: [Int]
    /// The learning rate at each sampled step.
    public let lr: [Double]
    /// The threshold the traces are compared with.
    public let threshold: StabilityThreshold
    /// λ_max at each sampled step, when tracked.
    public let sharpness: [Double]?
    /// tr H at each sampled step, when tracked.
    public let trace: [Double]?
    /// One entry per tracked trace.
    public let crossings: [StabilityCrossing]

    /// Analyses sampled traces.
    ///
    /// - Parameters:
    ///   - steps: Sampled steps, strictly increasing.
    ///   - lr: Learning rate per sample (positive).
    ///   - threshold: The optimizer's threshold; the bound c/lr − λ must be positive.
    ///   - sharpness: λ_max per sample, or nil.
    ///   - trace: tr H per sample, or nil.
    ///   - lastStep: The run's final step (the last sample holds until it); defaults to the last sample.
    /// - Throws: `ShapeError.invalid` when lengths differ, `TensorError.invalidArgument` for
    ///   unordered steps, non-positive learning rates or a bound that is not positive (a weight
    ///   decay beyond c/lr, under which no curvature is stable).
    public init(steps: [Int], lr: [Double], threshold: StabilityThreshold = .gradientDescent, sharpness: [Double]?,
                trace: [Double]?, lastStep: Int? = nil) throws {
        guard lr.count == steps.count, sharpness.map({ $0.count == steps.count }) ?? true,
              trace.map({ $0.count == steps.count }) ?? true else {
            throw ShapeError.invalid("stability needs one learning rate and one value per sampled step")
        }
        for i in 1..<max(steps.count, 1) where steps[i] <= steps[i - 1] {
            throw TensorError.invalidArgument("stability needs increasing steps")
        }
        guard lr.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw TensorError.invalidArgument("stability needs positive learning rates")
        }
        let bound = lr.map { threshold.value(lr: $0) ?? .nan }
        guard bound.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw TensorError.invalidArgument("stability needs a positive bound \(threshold.label); the weight decay leaves none")
        }
        self.steps = steps
        self.lr = lr
        self.threshold = threshold
        self.sharpness = sharpness
        self.trace = trace
        let end = max(lastStep ?? steps.last ?? 0, steps.last ?? 0)
        var crossings = [StabilityCrossing]()
        if let sharpness { crossings.append(Stability.analyse("sharpness", steps, bound, sharpness, end)) }
        if let trace { crossings.append(Stability.analyse("trace", steps, bound, trace, end)) }
        self.crossings = crossings
    }

    /// The bound c/lr − λ per sample.
    public var bound: [Double] { lr.map { threshold.value(lr: $0) ?? .nan } }

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
        let line = threshold.label
        for c in crossings {
            if let s = c.firstStep {
                lines.append("\(c.name) crossed \(line) at step \(s), stayed above for \(c.firstStay) steps "
                             + "(\(c.stepsAbove) steps above in all; \(percent(c.fractionNearBound)) of later samples within 10% of \(line))")
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
