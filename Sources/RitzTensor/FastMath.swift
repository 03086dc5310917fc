/// The one implementation of `exp`, `tanh` and `sigmoid` in ritz: four lanes at a time.
///
/// libm evaluates one element per call (about 5 ns for `exp` and 12 ns for `tanh` here). These
/// kernels are plain arithmetic on `SIMD4<Double>` with one small table, and every path of ritz
/// (scalars, `Tensor.unary`, the tape, the built-in models' fused layer passes) goes through the
/// same lane function, so a value never depends on which path computed it: the scalar entry
/// points evaluate a splat and keep lane 0, and lanes do not interact.
///
/// Accuracy (checked against glibc over the whole range by the tests): `exp` within 2 ulp,
/// including subnormal results, overflow to infinity and NaN; `tanh` within 2 ulp, odd, exact
/// at 0 and saturating to ±1.
public enum FastMath {
    /// Four lanes.
    public typealias Lanes = SIMD4<Double>
    typealias Bits = SIMD4<UInt64>

    // Cody–Waite split of ln2/32 (fdlibm's split of ln 2): n·hi is exact for |n| < 2^20.
    @usableFromInline static let ln2by32Hi = 6.93147180369123816490e-01 / 32
    @usableFromInline static let ln2by32Lo = 1.90821492927058770002e-10 / 32
    @usableFromInline static let log2eTimes32 = 32 * 1.44269504088896338700e+00
    /// 1.5·2^52: adding and subtracting it rounds to the nearest integer, and the low bits of the
    /// sum hold that integer.
    @usableFromInline static let roundMagic = 6755399441055744.0

    /// 2^(j/32), j = 0..<32, correctly rounded: each literal is Python's `Decimal(2) ** (j/32)`
    /// at 60 digits rounded to double (`float(...).hex()`).
    nonisolated(unsafe) static let table: UnsafeMutablePointer<Double> = {
        let t = UnsafeMutablePointer<Double>.allocate(capacity: 32)
        let values: [Double] = [
            0x1.0000000000000p+0, 0x1.059b0d3158574p+0, 0x1.0b5586cf9890fp+0, 0x1.11301d0125b51p+0,
            0x1.172b83c7d517bp+0, 0x1.1d4873168b9aap+0, 0x1.2387a6e756238p+0, 0x1.29e9df51fdee1p+0,
            0x1.306fe0a31b715p+0, 0x1.371a7373aa9cbp+0, 0x1.3dea64c123422p+0, 0x1.44e086061892dp+0,
            0x1.4bfdad5362a27p+0, 0x1.5342b569d4f82p+0, 0x1.5ab07dd485429p+0, 0x1.6247eb03a5585p+0,
            0x1.6a09e667f3bcdp+0, 0x1.71f75e8ec5f74p+0, 0x1.7a11473eb0187p+0, 0x1.82589994cce13p+0,
            0x1.8ace5422aa0dbp+0, 0x1.93737b0cdc5e5p+0, 0x1.9c49182a3f090p+0, 0x1.a5503b23e255dp+0,
            0x1.ae89f995ad3adp+0, 0x1.b7f76f2fb5e47p+0, 0x1.c199bdd85529cp+0, 0x1.cb720dcef9069p+0,
            0x1.d5818dcfba487p+0, 0x1.dfc97337b9b5fp+0, 0x1.ea4afa2a490dap+0, 0x1.f50765b6e4540p+0,
        ]
        for j in 0..<32 { t[j] = values[j] }
        return t
    }()

    /// The bits of 2^(j/32) minus j·2^47, so that adding k·2^47 (k = 32m + j) gives the bits of
    /// 2^m·2^(j/32).
    nonisolated(unsafe) static let tableBits: UnsafeMutablePointer<UInt64> = {
        let t = UnsafeMutablePointer<UInt64>.allocate(capacity: 32)
        for j in 0..<32 { t[j] = table[j].bitPattern &- (UInt64(j) << 47) }
        return t
    }()

    /// e^x on four lanes, within 2 ulp for every x.
    ///
    /// Table-driven (Tang 1989): x = (32m + j)·ln2/32 + r with |r| ≤ ln2/64, so
    /// e^x = 2^m·2^(j/32)·e^r. e^r − 1 = r + r²(1/2 + r/6 + r²/24 + r³/120 + r⁴/720) (truncation
    /// below r⁷/7! < 3e-18) and the result is formed as S + S·(e^r − 1) with S = 2^m·2^(j/32),
    /// so only the table's rounding and one addition reach it (about 1 ulp). When a lane is
    /// outside [−708, 708] (or NaN) the four lanes take ``expWide(_:)``, which gives the same
    /// bits for every in-range lane.
    @inline(__always)
    public static func exp(_ x: Lanes) -> Lanes {
        if _fastPath(all((x .>= coreLow) .& (x .<= coreHigh))) { return expCore(x) }
        return expWide(x)
    }

    /// The range of ``expCore(_:)``: there 2^m·2^(j/32)·q is a normal number or below 2^-13
    /// ulp of the result.
    static let coreLow = -700.0
    static let coreHigh = 708.0

    /// The range reduction of ``exp(_:)``: r and the bits of the rounded 32·x/ln2.
    @inline(__always)
    static func reduce(_ x: Lanes) -> (r: Lanes, q: Lanes, k: Bits) {
        let shifted = x * log2eTimes32 + roundMagic
        let n = shifted - roundMagic
        let r = (x - n * ln2by32Hi) - n * ln2by32Lo
        let r2 = r * r
        let c0: Lanes = 0.5 + r * (1.0 / 6)
        let c1: Lanes = (1.0 / 24) + r * (1.0 / 120)
        let c2: Lanes = (1.0 / 720) * r2
        let poly: Lanes = c0 + r2 * (c1 + c2)
        let q: Lanes = r + r2 * poly
        // The low bits of `shifted` hold k = 32m + j in two's complement.
        return (r, q, unsafeBitCast(shifted, to: Bits.self))
    }

    /// e^x for lanes in [−700, 708]: 2^m·2^(j/32) is built by adding k·2^47 (m into the
    /// exponent field, j's share cancelled by the table of bits) to the table entry's bits.
    @inline(__always)
    static func expCore(_ x: Lanes) -> Lanes {
        let (_, q, k) = reduce(x)
        let j = k & 31
        let t = tableBits
        let tail = Bits(t[Int(j[0])], t[Int(j[1])], t[Int(j[2])], t[Int(j[3])])
        let scale = unsafeBitCast(tail &+ (k &<< 47), to: Lanes.self)
        return scale + scale * q
    }

    /// e^x for any lanes: lanes inside the core range take ``expCore(_:)`` (so a lane's bits
    /// never depend on its neighbours); the others are clamped to [−746, 710] (e^x is 0 below and
    /// ∞ above in double precision) and get 2^m in two halves, so subnormal results round once
    /// and large x overflows to infinity; NaN propagates.
    @inline(never)
    static func expWide(_ xIn: Lanes) -> Lanes {
        let inCore = (xIn .>= coreLow) .& (xIn .<= coreHigh)
        let core = expCore(Lanes.zero.replacing(with: xIn, where: inCore))
        let x = xIn.replacing(with: 710, where: xIn .> 710).replacing(with: -746, where: xIn .< -746)
        let (_, q, kb) = reduce(x)
        let k = unsafeBitCast(kb &- roundMagic.bitPattern, to: SIMD4<Int64>.self)
        let j = k & 31
        let t = table
        let tj = Lanes(t[Int(j[0])], t[Int(j[1])], t[Int(j[2])], t[Int(j[3])])
        let m = k &>> 5
        let m1 = m &>> 1
        let m2 = m &- m1
        let s1 = unsafeBitCast((m1 &+ 1023) &<< 52, to: Lanes.self)
        let s2 = unsafeBitCast((m2 &+ 1023) &<< 52, to: Lanes.self)
        let result = ((tj + tj * q) * s1) * s2
        return result.replacing(with: xIn, where: .!(xIn .== xIn)).replacing(with: core, where: inCore)
    }

    /// tanh x on four lanes, within 2 ulp for every x; odd, exact at 0.
    ///
    /// For |x| < 0.625 the rational form x + x·y·P(y)/Q(y), y = x², of Cephes `tanh.c` (Moshier;
    /// peak relative error 2.5e-16 there), whose correction (below 0.12·x) carries little
    /// rounding; otherwise
    /// 0 + (e − 1)/(e + 1) with e = e^{2|x|} (e − 1 is exact for e ≥ 2) and the sign restored,
    /// which equals 1 in double precision from |x| > 19.1 on, so 2|x| is clamped at 40. Both
    /// branches share one division.
    @inline(__always)
    public static func tanh(_ x: Lanes) -> Lanes {
        let bits = unsafeBitCast(x, to: Bits.self)
        let sign = bits & 0x8000_0000_0000_0000
        let ax = unsafeBitCast(bits & 0x7FFF_FFFF_FFFF_FFFF, to: Lanes.self)
        let isSmall = ax .< 0.625
        // NaN stays NaN here and so in the result.
        let twice = (ax + ax).replacing(with: 40, where: ax .> 20)
        let e = expCore(twice)
        let y = ax * ax
        var p = Lanes(repeating: -9.64399179425052238628e-1)
        p = p * y - 9.92877231001918586564e1
        p = p * y - 1.61468768441708447952e3
        var q: Lanes = y + 1.12811678491632931402e2
        q = q * y + 2.23548839060100448583e3
        q = q * y + 4.84406305325125486048e3
        let num = (e - 1).replacing(with: (ax * y) * p, where: isSmall)
        let den = (e + 1).replacing(with: q, where: isSmall)
        let magnitude = Lanes.zero.replacing(with: ax, where: isSmall) + num / den
        return unsafeBitCast(unsafeBitCast(magnitude, to: Bits.self) | sign, to: Lanes.self)
    }

    /// 1/(1 + e^−x) on four lanes; no overflow for any x (e^−x = ∞ gives 0).
    @inline(__always)
    public static func sigmoid(_ x: Lanes) -> Lanes { 1 / (1 + exp(-x)) }

    /// e^x with at most 2 ulp of error (lane 0 of the four-lane kernel).
    @inline(__always)
    public static func exp(_ x: Double) -> Double { exp(Lanes(repeating: x))[0] }

    /// tanh x with at most 2 ulp of error (lane 0 of the four-lane kernel).
    @inline(__always)
    public static func tanh(_ x: Double) -> Double { tanh(Lanes(repeating: x))[0] }

    /// 1/(1 + e^−x); no overflow for any x (e^−x = ∞ gives 0).
    @inline(__always)
    public static func sigmoid(_ x: Double) -> Double { sigmoid(Lanes(repeating: x))[0] }

    @inline(__always)
    static func load(_ p: UnsafePointer<Double>) -> Lanes { Lanes(p[0], p[1], p[2], p[3]) }

    @inline(__always)
    static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Double>) {
        p[0] = v[0]; p[1] = v[1]; p[2] = v[2]; p[3] = v[3]
    }

    /// Applies a lane function to `n` values, four at a time, the tail through splats.
    @inline(__always)
    static func map(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count n: Int,
                    _ f: (Lanes) -> Lanes) {
        var i = 0
        while i + 4 <= n {
            store(f(load(x + i)), y + i)
            i += 4
        }
        while i < n {
            y[i] = f(Lanes(repeating: x[i]))[0]
            i += 1
        }
    }

    /// y[i] = exp(x[i]) for i < n; `x` may equal `y`.
    public static func exp(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count n: Int) {
        map(x, y, count: n) { exp($0) }
    }

    /// y[i] = tanh(x[i]) for i < n; `x` may equal `y`.
    public static func tanh(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count n: Int) {
        map(x, y, count: n) { tanh($0) }
    }

    /// y[i] = sigmoid(x[i]) for i < n; `x` may equal `y`.
    public static func sigmoid(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count n: Int) {
        map(x, y, count: n) { sigmoid($0) }
    }

    /// out[i·width + j] = tanh(x[i·width + j] + bias[j]) for a row-major `rows × width` block: a
    /// layer's bias and activation in one pass.
    ///
    /// - Parameters:
    ///   - x: Input block; may equal `out`.
    ///   - bias: `width` values added to each row.
    ///   - rows: Rows of the block.
    ///   - width: Columns of the block.
    ///   - out: Output block.
    public static func tanhRows(_ x: UnsafePointer<Double>, bias: UnsafePointer<Double>, rows: Int, width: Int,
                                out: UnsafeMutablePointer<Double>) {
        if width % 4 == 0 {
            for r in 0..<rows {
                let base = r * width
                var j = 0
                while j < width {
                    store(tanh(load(x + base + j) + load(bias + j)), out + base + j)
                    j += 4
                }
            }
            return
        }
        for r in 0..<rows {
            let base = r * width
            var j = 0
            while j + 4 <= width {
                store(tanh(load(x + base + j) + load(bias + j)), out + base + j)
                j += 4
            }
            while j < width {
                out[base + j] = tanh(Lanes(repeating: x[base + j] + bias[j]))[0]
                j += 1
            }
        }
    }
}
