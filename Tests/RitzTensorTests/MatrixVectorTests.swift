import Foundation
import Testing
@testable import RitzTensor

/// `matrixVector` (dgemv) against a scalar loop, within twice the inner-product bound
/// |ŷ − y| ≤ γₖ₊₁ (|beta·y| + |alpha| Σ |a||x|), γₙ = n u / (1 − n u) (Higham, §3.1); and the
/// empty sum, which BLAS is not asked for.
@Suite struct MatrixVectorTests {
    @Test(arguments: [false, true])
    func agreesWithTheLoop(transposed: Bool) {
        var rng = RandomGenerator(seed: transposed ? 4 : 3)
        for (rows, cols) in [(1, 1), (32, 4810), (7, 3), (64, 65)] {
            let a = (0..<(rows * cols)).map { _ in rng.normal() }
            let (inputs, outputs) = transposed ? (rows, cols) : (cols, rows)
            let x = (0..<inputs).map { _ in rng.normal() }
            let start = (0..<outputs).map { _ in rng.normal() }
            for (alpha, beta) in [(1.0, 0.0), (-1.0, 1.0), (0.5, 2.0)] {
                var y = start
                a.withUnsafeBufferPointer { pa in
                    x.withUnsafeBufferPointer { px in
                        y.withUnsafeMutableBufferPointer { py in
                            guard let ap = pa.baseAddress, let xp = px.baseAddress, let yp = py.baseAddress else { return }
                            matrixVector(transposed: transposed, rows: rows, cols: cols, alpha: alpha, ap, xp, beta: beta, yp)
                        }
                    }
                }
                let u = Double.ulpOfOne / 2, gamma = Double(inputs + 1) * u / (1 - Double(inputs + 1) * u)
                for i in 0..<outputs {
                    var sum = 0.0, magnitude = 0.0
                    for j in 0..<inputs {
                        let aij = transposed ? a[j * cols + i] : a[i * cols + j]
                        sum += aij * x[j]
                        magnitude += abs(aij * x[j])
                    }
                    let exact = alpha * sum + beta * start[i]
                    let bound = 2 * gamma * (abs(beta * start[i]) + abs(alpha) * magnitude)
                    #expect(abs(y[i] - exact) <= bound, "\(rows)×\(cols) y[\(i)]")
                }
            }
        }
    }

    @Test func anEmptySumScalesTheOutput() {
        var y = [3.0, -1.0]
        let one = [1.0]
        one.withUnsafeBufferPointer { p in
            y.withUnsafeMutableBufferPointer { py in
                guard let a = p.baseAddress, let yp = py.baseAddress else { return }
                matrixVector(transposed: false, rows: 2, cols: 0, a, a, beta: 2, yp)
            }
        }
        #expect(y == [6, -2])
        one.withUnsafeBufferPointer { p in
            y.withUnsafeMutableBufferPointer { py in
                guard let a = p.baseAddress, let yp = py.baseAddress else { return }
                matrixVector(transposed: true, rows: 0, cols: 2, a, a, yp)
            }
        }
        #expect(y == [0, 0])
    }
}
