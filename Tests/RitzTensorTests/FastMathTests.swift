import Foundation
import Testing
@testable import RitzTensor

/// FastMath against glibc's libm (correctly rounded in practice for exp and tanh).
@Suite struct FastMathTests {
    private func ulps(_ a: Double, _ b: Double) -> Double {
        if a == b { return 0 }
        return abs(a - b) / b.ulp
    }

    @Test func expWithinTwoUlpsOverTheWholeRange() {
        var rng = RandomGenerator(seed: 11)
        var worst = 0.0
        for _ in 0..<200_000 {
            let x = (rng.uniform() * 2 - 1) * 708
            worst = max(worst, ulps(FastMath.exp(x), Foundation.exp(x)))
        }
        #expect(worst <= 2, "worst error \(worst) ulps")
    }

    @Test func tanhWithinTwoUlpsAcrossMagnitudes() {
        var rng = RandomGenerator(seed: 12)
        var worst = 0.0, at = 0.0
        for _ in 0..<200_000 {
            let x = (rng.uniform() * 2 - 1) * Foundation.pow(10, rng.uniform() * 12 - 9)
            let e = ulps(FastMath.tanh(x), Foundation.tanh(x))
            if e > worst { worst = e; at = x }
        }
        #expect(worst <= 2, "worst error \(worst) ulps at \(at)")
    }

    @Test(arguments: [
        ("zero", 0.0, 1.0), ("one", 1.0, M_E), ("overflow", 710.0, Double.infinity),
        ("inf", Double.infinity, Double.infinity), ("-inf", -Double.infinity, 0.0),
        ("underflow", -746.0, 0.0),
    ])
    func expSpecialValues(name: String, x: Double, expected: Double) {
        #expect(ulps(FastMath.exp(x), expected) <= 1, "\(name)")
    }

    @Test func expSubnormalResultsAndNaN() {
        for x in [-708.5, -720.0, -740.0, -745.0] {
            let e = Foundation.exp(x)
            #expect(abs(FastMath.exp(x) - e) <= e.ulp * 2 + Double.leastNonzeroMagnitude, "\(x)")
        }
        #expect(FastMath.exp(.nan).isNaN)
        #expect(FastMath.tanh(.nan).isNaN)
    }

    @Test func tanhSaturatesAndKeepsSign() {
        #expect(FastMath.tanh(40) == 1)
        #expect(FastMath.tanh(-40) == -1)
        #expect(FastMath.tanh(.infinity) == 1)
        #expect(FastMath.tanh(-0.0).sign == .minus)
        #expect(FastMath.sigmoid(-800) == 0)
        #expect(FastMath.sigmoid(800) == 1)
    }
}
