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

    /// Scalars, loops (four lanes and the tail), the fused row pass and `Tensor.unary` give the
    /// same bits, also when lanes of one vector fall on different sides of the range limits of
    /// exp's fast path (−700, 708), overflow, underflow or are NaN.
    @Test(arguments: [("exp", UnaryOp.exp), ("tanh", .tanh), ("sigmoid", .sigmoid)])
    func loopsScalarsAndTensorsAgreeBitForBit(name: String, op: UnaryOp) throws {
        var rng = RandomGenerator(seed: 13)
        var xs = [Double]()
        for _ in 0..<4001 { xs.append((rng.uniform() * 2 - 1) * 30) }
        for _ in 0..<4001 { xs.append(-760 + rng.uniform() * 1480) }
        xs += [-700, -700.0000001, 708, 708.0000001, 710, -746, .infinity, -.infinity, .nan, 0, -0.0, 0.625, -0.625, 20, 20.5]
        var rows = [Double](repeating: 0, count: xs.count)
        xs.withUnsafeBufferPointer { x in
            rows.withUnsafeMutableBufferPointer { y in
                guard let xb = x.baseAddress, let yb = y.baseAddress else { return }
                switch op {
                case .exp: FastMath.exp(xb, yb, count: xs.count)
                case .tanh: FastMath.tanh(xb, yb, count: xs.count)
                default: FastMath.sigmoid(xb, yb, count: xs.count)
                }
            }
        }
        let tensor = try Tensor(xs).unary(op)
        func same(_ a: Double, _ b: Double) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }
        for (i, x) in xs.enumerated() {
            let scalar: Double
            switch op {
            case .exp: scalar = FastMath.exp(x)
            case .tanh: scalar = FastMath.tanh(x)
            default: scalar = FastMath.sigmoid(x)
            }
            #expect(same(scalar, rows[i]), "\(name)(\(x)): scalar \(scalar), loop \(rows[i])")
            #expect(same(scalar, tensor.storage[i]), "\(name)(\(x)): scalar \(scalar), tensor \(tensor.storage[i])")
        }
    }

    @Test(arguments: [("width 8", 8), ("width 7", 7), ("width 1", 1)])
    func tanhRowsAddsTheBiasAndMatchesScalars(name: String, width: Int) {
        var rng = RandomGenerator(seed: 14)
        let rows = 9
        let x = (0..<(rows * width)).map { _ in rng.normal() * 3 }
        let bias = (0..<width).map { _ in rng.normal() }
        var out = [Double](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xp in
            bias.withUnsafeBufferPointer { bp in
                out.withUnsafeMutableBufferPointer { op in
                    guard let xb = xp.baseAddress, let bb = bp.baseAddress, let ob = op.baseAddress else { return }
                    FastMath.tanhRows(xb, bias: bb, rows: rows, width: width, out: ob)
                }
            }
        }
        for i in 0..<rows {
            for j in 0..<width {
                let expected = FastMath.tanh(x[i * width + j] + bias[j])
                #expect(out[i * width + j].bitPattern == expected.bitPattern, "\(name) [\(i), \(j)]")
            }
        }
    }
}
