import Testing
@testable import RitzLearn
import RitzTensor

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
        let threshold = try #require(try Optimizer(kind, lr: lr).stabilityThreshold(for: .gradientDescent), "\(name)")
        #expect(abs(threshold.numerator - numerator) <= 1e-12 * numerator, "\(name)")
        let a = try #require(threshold.value(lr: lr))
        #expect(try Self.magnitude(kind, lr: lr, curvature: 0.98 * a, steps: 3000) < 1e-2, "\(name): below the threshold")
        #expect(try Self.magnitude(kind, lr: lr, curvature: 1.02 * a, steps: 3000) > 1e2, "\(name): above the threshold")
    }

    @Test func preconditionedStepsHaveNoneOnTheHessian() throws {
        #expect(try Optimizer.adam(lr: 0.1).stabilityThreshold(for: .gradientDescent) == nil)
        #expect(try Optimizer.adamw(lr: 0.1).stabilityThreshold(for: .gradientDescent) == nil)
        #expect(try Optimizer.adahessian().stabilityThreshold(for: .gradientDescent) == nil)
        #expect(try Optimizer.kfac(lr: 0.1).stabilityThreshold(for: .gradientDescent) == nil)
        #expect(try Optimizer.kfac(lr: 0.1).stabilityThreshold(for: .preconditioned) == nil)
        #expect(try Optimizer.kfac(lr: 0.1).preconditioning == nil)
        // Momentum 1 keeps every curvature's oscillation from decaying: no stable curvature.
        #expect(try Optimizer.sgd(lr: 0.1, momentum: 1).stabilityThreshold(for: .gradientDescent) == nil)
    }

    @Test func labels() {
        #expect(StabilityThreshold.gradientDescent.label == "2/lr")
        #expect(StabilityThreshold(numerator: 3.8, offset: 0).label == "3.8/lr")
        #expect(StabilityThreshold(numerator: 2, offset: 0.01).label == "2/lr − 0.01")
        #expect(StabilityThreshold(numerator: 3.8 / 2.8, offset: 0).label == "1.36/lr")
        #expect(StabilityThreshold.gradientDescent.value(lr: 0) == nil)
        #expect(StabilityThreshold(numerator: 3, offset: 1).value(lr: 0.5) == 5)
    }

    /// The adaptive steps' thresholds against the frozen-preconditioner iteration they come from,
    /// simulated here independently of the closed form: with q = P⁻¹-scaled momentum,
    /// m ← β₁m + (1 − β₁)a·p and p ← (1 − ηλ)p − η·m for one eigenvalue a of P⁻¹H, stable 2%
    /// below the threshold and divergent 2% above.
    @Test(arguments: [(0.9, 0.0), (0.5, 0.0), (0.9, 1.0), (0.95, 0.3)])
    func adaptiveThresholdMatchesTheFrozenIteration(_ beta1: Double, _ decay: Double) throws {
        let lr = 0.01
        let opt = try decay == 0 ? Optimizer.adam(lr: lr, beta1: beta1) : Optimizer.adamw(lr: lr, beta1: beta1, weightDecay: decay)
        let threshold = try #require(opt.stabilityThreshold(for: .preconditioned))
        let a = try #require(threshold.value(lr: lr))
        func magnitude(_ curvature: Double) -> Double {
            var (p, m) = (1.0, 0.0)
            for _ in 0..<4000 {
                m = beta1 * m + (1 - beta1) * curvature * p
                p = (1 - lr * decay) * p - lr * m
                if !p.isFinite || abs(p) > 1e6 { return .infinity }
            }
            return abs(p)
        }
        #expect(magnitude(0.98 * a) < 1e-2)
        #expect(magnitude(1.02 * a) > 1e2)
        if decay == 0, beta1 == 0.9 { #expect(abs(a - 38 / lr) <= 1e-9 * a) }
    }

    /// The diagonal P the preconditioned sharpness uses is the one the step divides by: after
    /// each step, the change of every parameter is −η·m/P (AdamW: besides its decay p·ηλ).
    @Test(arguments: ["adam", "adamw", "adahessian"])
    func preconditionerIsTheStepsDivisor(_ rule: String) throws {
        let lr = 0.05, decay = 0.1
        let opt: Optimizer
        switch rule {
        case "adam": opt = try .adam(lr: lr, beta1: 0.8, beta2: 0.99)
        case "adamw": opt = try .adamw(lr: lr, beta1: 0.8, beta2: 0.99, weightDecay: decay)
        default: opt = try .adahessian(lr: lr, beta1: 0.8, beta2: 0.99, hessianPower: 0.5)
        }
        #expect(opt.preconditioning == nil)  // no second moments before the first step
        var rng = RandomGenerator(seed: 7)
        var p = (0..<6).map { _ in rng.normal() }
        // AdaHessian's diagonal estimate: H = diag(1…6), so z ⊙ Hz is exact for every probe.
        let hvp: ([Double], inout [Double]) throws -> Void = { z, out in for i in 0..<6 { out[i] = Double(i + 1) * z[i] } }
        for _ in 0..<5 {
            let g = (0..<6).map { _ in rng.normal() }
            let before = p
            try opt.step(parameters: &p, gradient: g, hvp: hvp)
            let P = try #require(opt.preconditioning?.diagonal)
            for i in 0..<6 {
                let decayed = rule == "adam" ? before[i] : before[i] * (1 - lr * (rule == "adamw" ? decay : 0))
                let expected = decayed - lr * opt.m[i] / P[i]
                #expect(abs(p[i] - expected) <= 1e-12 * max(1, abs(p[i])), "\(rule) parameter \(i)")
            }
        }
        #expect(try Optimizer.sgd(lr: 0.1, weightDecay: 0.3).preconditioning?.coupledDecay == 0.3)
        #expect(try Optimizer.adam(lr: 0.1, weightDecay: 0.3).stabilityThreshold(for: .preconditioned)?.offset == 0)
    }
}
