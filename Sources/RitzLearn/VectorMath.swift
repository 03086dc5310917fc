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

    // Cody–Waite split of ln2/32 (from fdlibm's split of ln 2): n·hi is exact for |n| < 2^20.
    static let ln2by32Hi = 6.93147180369123816490e-01 / 32
    static let ln2by32Lo = 1.90821492927058770002e-10 / 32
    static let log2eTimes32 = 32 * 1.44269504088896338700e+00
    /// 1.5·2^52: adding and subtracting it rounds to the nearest integer, and the low bits of
    /// the sum hold that integer.
    static let roundMagic = 6755399441055744.0
    /// 2^(j/32), j = 0..<32, correctly rounded.
    nonisolated(unsafe) static let table: UnsafeMutablePointer<Double> = {
        let t = UnsafeMutablePointer<Double>.allocate(capacity: 32)
        for j in 0..<32 { t[j] = Foundation.exp2(Double(j) / 32) }
        return t
    }()

    /// e^x for x in [−708, 708]; arguments below −708 give 0 and above 708 are clamped.
    ///
    /// Table-driven (Tang 1989): x = (32m + j)·ln2/32 + r with |r| ≤ ln2/64, e^x = 2^m·2^(j/32)·e^r,
    /// e^r by its Taylor polynomial of degree 6 (truncation error r⁷/7! < 4e-18) evaluated by
    /// Estrin's scheme; 2^m is built from the exponent bits.
    @inline(__always)
    static func exp(_ xIn: V, table t: UnsafePointer<Double>) -> V {
        let x = xIn.replacing(with: 708, where: xIn .> 708)
        let underflow = x .< -708
        let xc = x.replacing(with: 0, where: underflow)
        return expCore(xc, table: t).replacing(with: 0, where: underflow)
    }

    /// e^x for x already in [−708, 708] (no clamping), as in ``exp(_:table:)``.
    @inline(__always)
    static func expCore(_ xc: V, table t: UnsafePointer<Double>) -> V {
        let shifted = xc * log2eTimes32 + roundMagic
        let n = shifted - roundMagic
        let r = (xc - n * ln2by32Hi) - n * ln2by32Lo
        let r2 = r * r, r4 = r2 * r2
        let q0: V = 1 + r
        let q1: V = 0.5 + r * (1.0 / 6)
        let q2: V = 1.0 / 24 + r * (1.0 / 120)
        let q3: V = (1.0 / 720) * r2
        let low: V = q0 + q1 * r2
        let high: V = q2 + q3
        let p: V = low + high * r4
        let k = unsafeBitCast(unsafeBitCast(shifted, to: U.self) &- roundMagic.bitPattern, to: SIMD4<Int64>.self)
        let j = k & 31
        let tj = V(t[Int(j[0])], t[Int(j[1])], t[Int(j[2])], t[Int(j[3])])
        let scale = unsafeBitCast(((k &>> 5) &+ 1023) &<< 52, to: V.self)
        return p * tj * scale
    }

    /// tanh(x), odd and exact at 0.
    ///
    /// For |x| < 0.625 the rational form x + x³·P(x²)/Q(x²) of Cephes `tanh.c` (Moshier; peak
    /// relative error 2.5e-16 there); otherwise (e − 1)/(e + 1) with e = e^{2|x|} and the sign
    /// restored, which equals 1 in double precision from |x| > 19.1 on, so 2|x| is clamped at
    /// 40. Both branches are formed as a numerator and a denominator and share one division.
    @inline(__always)
    static func tanh(_ x: V, table: UnsafePointer<Double>) -> V {
        let bits = unsafeBitCast(x, to: U.self)
        let sign = bits & 0x8000_0000_0000_0000
        let ax = unsafeBitCast(bits & 0x7FFF_FFFF_FFFF_FFFF, to: V.self)
        let isSmall = ax .< 0.625
        // Large branch: e^{2|x|} (computed for small x too and then not used).
        let twice = (ax + ax).replacing(with: 40, where: ax .> 20)
        let e = expCore(twice, table: table)
        // Small branch (Cephes P, Q; Q monic): x + x·s·P/Q = x·(Q + s·P)/Q.
        let s = ax * ax
        var pn: V = V(repeating: -9.64399179425052238628e-1)
        pn = pn * s - 9.92877231001918586564e1
        pn = pn * s - 1.61468768441708447952e3
        var qd: V = s + 1.12811678491632931402e2
        qd = qd * s + 2.23548839060100448583e3
        qd = qd * s + 4.84406305325125486048e3
        let num = (e - 1).replacing(with: ax * (qd + s * pn), where: isSmall)
        let den = (e + 1).replacing(with: qd, where: isSmall)
        let magnitude = num / den
        return unsafeBitCast(unsafeBitCast(magnitude, to: U.self) | sign, to: V.self)
    }

    /// out[i] = tanh(x[i] + bias[i mod width]) for a row-major `rows × width` block.
    ///
    /// - Parameters:
    ///   - x: Input block; may alias `out`.
    ///   - bias: `width` values added to each row, or nil.
    ///   - out: Output block.
    static func tanhRows(_ x: UnsafePointer<Double>, bias: UnsafePointer<Double>?, rows: Int, width: Int,
                         out: UnsafeMutablePointer<Double>) {
        let table = UnsafePointer(VectorMath.table)
        if width % 4 == 0, let bias {
            for r in 0..<rows {
                let base = r * width
                var j = 0
                while j < width {
                    let v = V(x[base + j], x[base + j + 1], x[base + j + 2], x[base + j + 3])
                        + V(bias[j], bias[j + 1], bias[j + 2], bias[j + 3])
                    let t = tanh(v, table: table)
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
            let t = tanh(v, table: table)
            out[i] = t[0]; out[i + 1] = t[1]; out[i + 2] = t[2]; out[i + 3] = t[3]
            i += 4
        }
        while i < n {
            var v = V(repeating: x[i])
            if let bias { v += V(repeating: bias[col]); col += 1; if col == width { col = 0 } }
            out[i] = tanh(v, table: table)[0]
            i += 1
        }
    }

    /// out[i] = exp(x[i]) for `n` values; `x` may alias `out`.
    static func exp(_ x: UnsafePointer<Double>, count n: Int, out: UnsafeMutablePointer<Double>) {
        let table = UnsafePointer(VectorMath.table)
        var i = 0
        while i + 4 <= n {
            let t = exp(V(x[i], x[i + 1], x[i + 2], x[i + 3]), table: table)
            out[i] = t[0]; out[i + 1] = t[1]; out[i + 2] = t[2]; out[i + 3] = t[3]
            i += 4
        }
        while i < n {
            out[i] = exp(V(repeating: x[i]), table: table)[0]
            i += 1
        }
    }
}
