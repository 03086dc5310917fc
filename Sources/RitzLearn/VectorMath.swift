import Foundation

/// Vectorised exp and tanh over buffers, for the activation and softmax passes of the kernels.
///
/// glibc's scalar `tanh` costs about 18 ns here, more than all matrix products of an MLP
/// gradient together, so the hot loops use these four-lane versions instead. They are
/// accurate to a few units in the last place (tests compare them with the C library over
/// many decades); each promises a relative error below 1e-15.
enum VectorMath {
    typealias V = SIMD4<Double>
    typealias U = SIMD4<UInt64>

    // Cody–Waite split of ln 2 (fdlibm e_exp.c): n·ln2Hi is exact for |n| < 2^20.
    static let ln2Hi = 6.93147180369123816490e-01
    static let ln2Lo = 1.90821492927058770002e-10
    static let log2e = 1.44269504088896338700e+00
    /// 1.5·2^52: adding and subtracting it rounds to the nearest integer, and the low bits of
    /// the sum hold that integer.
    static let roundMagic = 6755399441055744.0

    /// e^x for x in [−708, 708]; arguments below −708 give 0 and above 708 are clamped.
    ///
    /// x = n·ln2 + r with |r| ≤ ln2/2, e^r by its Taylor polynomial of degree 13 (truncation
    /// error r^14/14! < 5e-18), evaluated by Estrin's scheme, then scaled by 2^n built from the exponent bits.
    @inline(__always)
    static func exp(_ xIn: V) -> V {
        let x = xIn.replacing(with: 708, where: xIn .> 708)
        let underflow = x .< -708
        let xc = x.replacing(with: 0, where: underflow)
        let shifted = xc * log2e + roundMagic
        let n = shifted - roundMagic
        let r = (xc - n * ln2Hi) - n * ln2Lo
        // Estrin's scheme: the same polynomial with a dependency chain of depth 4, not 13.
        let r2 = r * r, r4 = r2 * r2, r8 = r4 * r4
        let q0 = 1 + r, q1 = 0.5 + r * (1.0 / 6)
        let q2 = 1.0 / 24 + r * (1.0 / 120), q3 = 1.0 / 720 + r * (1.0 / 5040)
        let q4 = 1.0 / 40320 + r * (1.0 / 362880), q5 = 1.0 / 3628800 + r * (1.0 / 39916800)
        let q6 = 1.0 / 479001600 + r * (1.0 / 6227020800)
        let s0 = q0 + q1 * r2, s1 = q2 + q3 * r2, s2 = q4 + q5 * r2
        let p = (s0 + s1 * r4) + (s2 + q6 * r4) * r8
        let k = unsafeBitCast(shifted, to: U.self) &- roundMagic.bitPattern
        let scale = unsafeBitCast((k &+ 1023) &<< 52, to: V.self)
        return (p * scale).replacing(with: 0, where: underflow)
    }

    /// tanh(x), odd and exact at 0.
    ///
    /// For |x| < 0.625 the rational form x + x³·P(x²)/Q(x²) of Cephes `tanh.c` (Moshier; peak
    /// relative error 2.5e-16 there); otherwise 1 − 2/(e^{2|x|} + 1) with the sign restored,
    /// which equals 1 in double precision from |x| > 19.1 on, so 2|x| is clamped at 40.
    @inline(__always)
    static func tanh(_ x: V) -> V {
        let bits = unsafeBitCast(x, to: U.self)
        let sign = bits & 0x8000_0000_0000_0000
        let ax = unsafeBitCast(bits & 0x7FFF_FFFF_FFFF_FFFF, to: V.self)
        // Large branch.
        let twice = (ax + ax).replacing(with: 40, where: ax .> 20)
        let e = exp(twice)
        let large = 1 - 2 / (e + 1)
        // Small branch (Cephes P, Q; Q monic).
        let s = x * x
        var pn: V = V(repeating: -9.64399179425052238628e-1)
        pn = pn * s - 9.92877231001918586564e1
        pn = pn * s - 1.61468768441708447952e3
        var qd: V = s + 1.12811678491632931402e2
        qd = qd * s + 2.23548839060100448583e3
        qd = qd * s + 4.84406305325125486048e3
        let small = x + x * s * (pn / qd)
        let largeSigned = unsafeBitCast(unsafeBitCast(large, to: U.self) | sign, to: V.self)
        return largeSigned.replacing(with: small, where: ax .< 0.625)
    }

    /// out[i] = tanh(x[i] + bias[i mod width]) for a row-major `rows × width` block.
    ///
    /// - Parameters:
    ///   - x: Input block; may alias `out`.
    ///   - bias: `width` values added to each row, or nil.
    ///   - out: Output block.
    static func tanhRows(_ x: UnsafePointer<Double>, bias: UnsafePointer<Double>?, rows: Int, width: Int,
                         out: UnsafeMutablePointer<Double>) {
        if width % 4 == 0, let bias {
            for r in 0..<rows {
                let base = r * width
                var j = 0
                while j < width {
                    let v = V(x[base + j], x[base + j + 1], x[base + j + 2], x[base + j + 3])
                        + V(bias[j], bias[j + 1], bias[j + 2], bias[j + 3])
                    let t = tanh(v)
                    out[base + j] = t[0]; out[base + j + 1] = t[1]; out[base + j + 2] = t[2]; out[base + j + 3] = t[3]
                    j += 4
                }
            }
            return
        }
        let n = rows * width
        var i = 0
        var col = 0
        while i + 4 <= n {
            var v = V(x[i], x[i + 1], x[i + 2], x[i + 3])
            if let bias {
                var b = V()
                for l in 0..<4 { b[l] = bias[col]; col += 1; if col == width { col = 0 } }
                v += b
            }
            let t = tanh(v)
            out[i] = t[0]; out[i + 1] = t[1]; out[i + 2] = t[2]; out[i + 3] = t[3]
            i += 4
        }
        while i < n {
            var v = V(repeating: x[i])
            if let bias { v += V(repeating: bias[col]); col += 1; if col == width { col = 0 } }
            out[i] = tanh(v)[0]
            i += 1
        }
    }

    /// out[i] = exp(x[i]) for `n` values; `x` may alias `out`.
    static func exp(_ x: UnsafePointer<Double>, count n: Int, out: UnsafeMutablePointer<Double>) {
        var i = 0
        while i + 4 <= n {
            let t = exp(V(x[i], x[i + 1], x[i + 2], x[i + 3]))
            out[i] = t[0]; out[i + 1] = t[1]; out[i + 2] = t[2]; out[i + 3] = t[3]
            i += 4
        }
        while i < n {
            out[i] = exp(V(repeating: x[i]))[0]
            i += 1
        }
    }
}
