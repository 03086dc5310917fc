import Testing
@testable import RitzLearn

/// The stability threshold each optimizer reports, checked against its own update rule: on the
/// loss a·p²/2 the iteration must settle for a curvature 2% below the threshold and blow up for
/// one 2% above it. The margin leaves the slowest stable case (momentum 0.99) a contraction of
/// 0.995 a step, so 3000 steps shrink |p| below 1e-2 and the unstable ones (growth ≥ 1.04 a step)
/// pass 1e2 long before.
struct StabilityThresholdTests {
    static let configurations: [(name: String, kind: Optimizer.Kind, numerator: Double)] = [
        ("gradient descent", .sgd(momentum: 0, nesterov: false, weightDecay: 0, dampening: 0), 2),
        ("weight decay", .sgd(momentum: 0, nesterov: false, weightDecay: 0.5, dampening: 0), 2),
        ("momentum 0.5", .sgd(momentum: 0.5, nesterov: false, weightDecay: 0, dampening: 0), 3),
        ("momentum 0.9", .sgd(momentum: 0.9, nesterov: false, weightDecay: 0, dampening: 0), 3.8),
        ("momentum 0.99", .sgd(momentum: 0.99, nesterov: false, weightDecay: 0, dampening: 0), 3.98),
        ("momentum and weight decay", .sgd(momentum: 0.9, nesterov: false, weightDecay: 0.5, dampening: 0), 3.8),
        ("dampening", .sgd(momentum: 0.5, nesterov: false, weightDecay: 0, dampening: 0.3), 3 / 0.7),
        ("nesterov 0.5", .sgd(momentum: 0.5, nesterov: true, weightDecay: 0, dampening: 0), 1.5),
        ("nesterov 0.9", .sgd(momentum: 0.9, nesterov: true, weightDecay: 0, dampening: 0), 3.8 / 2.8),
    ]

    /// |p| after `steps` steps of the optimizer on a·p²/2 from p = 1.
    static func magnitude(_ kind: Optimizer.Kind, lr: Double, curvature a: Double, steps: Int) throws -> Double {
        let opt = try Optimizer(kind, lr: lr)
        var p = [1.0]
        for _ in 0..<steps {
            try opt.step(parameters: &p, gradient: [a * p[0]])
            if !p[0].isFinite || abs(p[0]) > 1e6 { return .infinity }
        }
        return abs(p[0])
    }

    @Test(arguments: 0..<configurations.count)
    func thresholdSeparatesStableFromUnstable(_ i: Int) throws {
        let (name, kind, numerator) = Self.configurations[i]
        let lr = 0.1
        let threshold = try #require(try Optimizer(kind, lr: lr).stabilityThreshold, "\(name)")
        #expect(abs(threshold.numerator - numerator) <= 1e-12 * numerator, "\(name)")
        let a = try #require(threshold.value(lr: lr))
        #expect(try Self.magnitude(kind, lr: lr, curvature: 0.98 * a, steps: 3000) < 1e-2, "\(name): below the threshold")
        #expect(try Self.magnitude(kind, lr: lr, curvature: 1.02 * a, steps: 3000) > 1e2, "\(name): above the threshold")
    }

    @Test func preconditionedStepsHaveNone() throws {
        #expect(try Optimizer.adam(lr: 0.1).stabilityThreshold == nil)
        #expect(try Optimizer.adamw(lr: 0.1).stabilityThreshold == nil)
        #expect(try Optimizer.adahessian().stabilityThreshold == nil)
        #expect(try Optimizer.kfac(lr: 0.1).stabilityThreshold == nil)
        // Momentum 1 keeps every curvature's oscillation from decaying: no stable curvature.
        #expect(try Optimizer.sgd(lr: 0.1, momentum: 1).stabilityThreshold == nil)
    }

    @Test func labels() {
        #expect(StabilityThreshold.gradientDescent.label == "2/lr")
        #expect(StabilityThreshold(numerator: 3.8, weightDecay: 0).label == "3.8/lr")
        #expect(StabilityThreshold(numerator: 2, weightDecay: 0.01).label == "2/lr − 0.01")
        #expect(StabilityThreshold(numerator: 3.8 / 2.8, weightDecay: 0).label == "1.36/lr")
        #expect(StabilityThreshold.gradientDescent.value(lr: 0) == nil)
        #expect(StabilityThreshold(numerator: 3, weightDecay: 1).value(lr: 0.5) == 5)
    }
}
