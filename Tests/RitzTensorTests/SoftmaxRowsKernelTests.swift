import Foundation
import Testing
@testable import RitzTensor

/// The rows' softmax and log-sum-exp (`FastMath.softmaxRows`, a classifier's cross-entropy): on
/// every kernel set (`RITZ_CPU_KERNELS`; CI runs this suite under each) the bytes of the plain
/// loop with the same exp (`FastMath.exp`) and libm's log, written in place too, for row lengths
/// below, at and past each vector width, and rows holding NaN, ±∞ or only −∞.
@Suite struct SoftmaxRowsKernelTests {
    /// The plain loop: shift by the row's largest number (NaN skipped; 0 when not finite),
    /// exponentials, their sum in column order, p = e·(1/s), lse = log s + shift.
    static func plain(_ z: [Double], rows: Int, k: Int) -> (p: [Double], lse: [Double]) {
        var p = [Double](repeating: 0, count: rows * k)
        var lse = [Double](repeating: 0, count: rows)
        for i in 0..<rows {
            var m = -Double.infinity
            for j in 0..<k where z[i * k + j] > m { m = z[i * k + j] }
            let shift = m.isFinite ? m : 0
            var e = (0..<k).map { z[i * k + $0] - shift }
            e.withUnsafeMutableBufferPointer { b in
                guard let base = b.baseAddress else { return }
                FastMath.exp(base, base, count: k)
            }
            var s = 0.0
            for v in e { s += v }
            lse[i] = Foundation.log(s) + shift
            let inv = 1 / s
            for j in 0..<k { p[i * k + j] = e[j] * inv }
        }
        return (p, lse)
    }

    /// Bit-for-bit equality, NaN equal to NaN.
    static func same(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
    }

    @Test(arguments: [1, 2, 3, 4, 7, 8, 9, 10, 16, 17, 64])
    func rowsEqualThePlainLoop(k: Int) {
        var rng = RandomGenerator(seed: UInt64(k))
        let rows = 37
        var z = (0..<(rows * k)).map { _ in 20 * rng.uniform() - 10 }
        // Special rows: a NaN among numbers, +∞, only −∞, and large magnitudes.
        z[k] = .nan
        z[2 * k + k / 2] = .infinity
        for j in 0..<k { z[3 * k + j] = -.infinity }
        for j in 0..<k { z[4 * k + j] = 700 + Double(j) }
        let (expected, expectedLSE) = Self.plain(z, rows: rows, k: k)
        var p = [Double](repeating: .nan, count: rows * k)
        var lse = [Double](repeating: .nan, count: rows)
        var inPlace = z
        var lseInPlace = [Double](repeating: .nan, count: rows)
        z.withUnsafeBufferPointer { zp in
            guard let zb = zp.baseAddress else { return }
            p.withUnsafeMutableBufferPointer { pp in
                lse.withUnsafeMutableBufferPointer { lp in
                    guard let pb = pp.baseAddress, let lb = lp.baseAddress else { return }
                    FastMath.softmaxRows(zb, rows: rows, k: k, pb, logSumExp: lb)
                }
            }
        }
        inPlace.withUnsafeMutableBufferPointer { ip in
            lseInPlace.withUnsafeMutableBufferPointer { lp in
                guard let ib = ip.baseAddress, let lb = lp.baseAddress else { return }
                FastMath.softmaxRows(ib, rows: rows, k: k, ib, logSumExp: lb)
            }
        }
        #expect(Self.same(p, expected) && Self.same(lse, expectedLSE))
        #expect(Self.same(inPlace, expected) && Self.same(lseInPlace, expectedLSE))
        // Rows of numbers sum to one within k + 2 roundings; the row holding NaN is NaN
        // throughout, and the row of −∞ has log-sum-exp −∞ (its sum is 0).
        let ordinary = (0..<rows).filter { ![1, 2, 3].contains($0) }
        for i in ordinary {
            let s = (0..<k).reduce(0.0) { $0 + p[i * k + $1] }
            #expect(abs(s - 1) <= 4 * Double(k) * Double.ulpOfOne, "row \(i) sums to \(s)")
        }
        #expect((0..<k).allSatisfy { p[k + $0].isNaN } && lse[1].isNaN)
        #expect(lse[3] == -.infinity)
    }
}
