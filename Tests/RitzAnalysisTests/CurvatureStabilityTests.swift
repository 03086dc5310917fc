import Testing
import RitzLearn
import RitzTensor
@testable import RitzAnalysis

@Suite("Curvature: stability analysis of sampled traces against the optimizer's threshold")
struct CurvatureStabilityTests {
    @Test("progressive sharpening: first crossing, first stay, time above, hovering")
    func edgeOfStability() throws {
        // lr = 0.1, bound 20. Sharpness rises 5, 10, 15, 20.5, 19.8, 20.3, 20.1 at steps 0, 10, ..., 60.
        let steps = [0, 10, 20, 30, 40, 50, 60]
        let sharp = [5.0, 10, 15, 20.5, 19.8, 20.3, 20.1]
        let s = try Stability(steps: steps, lr: Array(repeating: 0.1, count: 7),
                              traces: [.init(name: "sharpness", values: sharp), .init(name: "trace", values: [1, 2, 3, 4, 5, 6, 7])],
                              lastStep: 70)
        let c = s.crossings[0]
        #expect(c.name == "sharpness")
        #expect(c.firstStep == 30)
        #expect(c.firstStay == 10)              // fell below at step 40
        #expect(c.stepsAbove == 10 + 10 + 10)   // samples at 30, 50, 60 each hold 10 steps
        #expect(c.fractionNearBound == 1)       // 20.5, 19.8, 20.3, 20.1 all within 10% of 20
        #expect(abs(c.maxRatio - 1.025) <= 1e-12)
        let t = s.crossings[1]
        #expect(t.firstStep == nil && t.stepsAbove == 0 && t.firstStay == 0)
        #expect(s.summary().contains("sharpness crossed 2/lr at step 30"))
        #expect(s.summary().contains("trace stayed below 2/lr (at most 35% of it)"))
    }

    @Test("a learning-rate schedule moves the bound")
    func schedule() throws {
        // Bound 2/lr: 10, 10, 20, 20. Value 12 is above only while lr = 0.2.
        let s = try Stability(steps: [0, 1, 2, 3], lr: [0.2, 0.2, 0.1, 0.1], traces: [.init(name: "sharpness", values: [12, 12, 12, 12])])
        #expect(s.crossings.count == 1)
        #expect(s.crossings[0].firstStep == 0 && s.crossings[0].firstStay == 2 && s.crossings[0].stepsAbove == 2)
        #expect(s.bound(of: s.traces[0]) == [10, 10, 20, 20])
    }

    @Test("momentum and weight decay move the threshold: c/lr − λ")
    func momentum() throws {
        // Heavy ball μ = 0.9 at lr 0.1 with weight decay 1: bound 3.8/0.1 − 1 = 37.
        let threshold = try #require(try Optimizer.sgd(lr: 0.1, momentum: 0.9, weightDecay: 1).stabilityThreshold(for: .gradientDescent))
        let s = try Stability(steps: [0, 1, 2], lr: [0.1, 0.1, 0.1],
                              traces: [.init(name: "sharpness", values: [20, 36.9, 37.5], threshold: threshold)], lastStep: 3)
        #expect(s.bound(of: s.traces[0]).allSatisfy { abs($0 - 37) <= 1e-12 })
        #expect(s.crossings[0].firstStep == 2)
        #expect(abs(s.crossings[0].maxRatio - 37.5 / 37) <= 1e-12)
        #expect(s.summary().contains("sharpness crossed 3.8/lr − 1 at step 2"))
        // A weight decay beyond c/lr leaves no stable curvature: refused, not a negative bound.
        #expect(throws: TensorError.self) {
            try Stability(steps: [0], lr: [0.1],
                          traces: [.init(name: "sharpness", values: [1], threshold: StabilityThreshold(numerator: 2, offset: 30))])
        }
    }

    @Test("bad series throw")
    func bad() throws {
        #expect(throws: ShapeError.self) { try Stability(steps: [0, 1], lr: [0.1], traces: []) }
        #expect(throws: TensorError.self) { try Stability(steps: [1, 0], lr: [0.1, 0.1], traces: []) }
        #expect(throws: TensorError.self) { try Stability(steps: [0], lr: [0], traces: [.init(name: "sharpness", values: [1])]) }
        let empty = try Stability(steps: [], lr: [], traces: [.init(name: "sharpness", values: [])])
        #expect(empty.crossings[0].firstStep == nil)
        let nan = try Stability(steps: [0], lr: [0.1], traces: [.init(name: "sharpness", values: [.nan])])
        #expect(nan.summary() == "sharpness has no measured sample to compare with 2/lr")
    }
}
