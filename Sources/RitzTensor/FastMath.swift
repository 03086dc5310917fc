/// Branch-free `exp`, `tanh` and `sigmoid` that the compiler vectorises.
///
/// libm evaluates one element per call (about 5 ns for `exp` and 12 ns for `tanh` here); these
/// kernels are plain arithmetic and bit operations, so loops over tensors run several elements
/// per instruction. Every path of ritz (scalars, tensors, the tape and the built-in models) uses
/// them, so a value never depends on which path computed it.
public enum FastMath {
    private static let log2e = 1.4426950408889634
    /// ln 2 split so that k·ln2Hi is exact for |k| < 2^11 (Cody–Waite reduction).
    private static let ln2Hi = 0.6931471803691238
    private static let ln2Lo = 1.9082149292705877e-10
    /// 1.5·2^52: adding it rounds to an integer held in the low mantissa bits.
    private static let shifter = 6755399441055744.0

    /// e^x with at most about 1 ulp of error.
    ///
    /// x = k·ln2 + r with |r| ≤ ln2/2; e^r by its Taylor polynomial of degree 13 (truncation
    /// below 4e-18 relative), scaled by 2^k in two halves so subnormal results and overflow to
    /// infinity come out right. NaN propagates.
    @inline(__always)
    public static func exp(_ x: Double) -> Double {
        let xc = x < -746 ? -746 : (x > 710 ? 710 : x)
        var kd = xc * log2e + shifter
        let kbits = Int64(bitPattern: kd.bitPattern) &- Int64(bitPattern: shifter.bitPattern)
        kd -= shifter
        let r = (xc - kd * ln2Hi) - kd * ln2Lo
        var p = 1.0 / 6227020800.0
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        let k1 = kbits >> 1, k2 = kbits &- k1
        let s1 = Double(bitPattern: UInt64(bitPattern: (k1 &+ 1023) << 52))
        let s2 = Double(bitPattern: UInt64(bitPattern: (k2 &+ 1023) << 52))
        let result = p * s1 * s2
        return x != x ? x : result
    }

    /// tanh x: for |x| < 1 the depth-9 convergent of Lambert's continued fraction,
    /// x·P(x²)/Q(x²) (relative error below 1e-19 there before rounding); beyond it
    /// sign(x)·(1 − 2/(e^{2|x|} + 1)), which loses little once |tanh x| > 0.76.
    @inline(__always)
    public static func tanh(_ x: Double) -> Double {
        let y = x * x
        // Q − P = y·D(y), so x·P/Q = x − x·y·D/Q: the correction is below x/3 and its rounding
        // barely reaches the result.
        var d = y + 1430
        d = d * y + 289575
        d = d * y + 16081065
        d = d * y + 218243025
        var q = y + 1485
        q = q * y + 315315
        q = q * y + 18918900
        q = q * y + 310134825
        q = q * y + 654729075
        let small = Double(signOf: x, magnitudeOf: x - x * y * d / q)
        let a = x < 0 ? -x : x
        let big = 1 - 2 / (exp(2 * a) + 1)
        let signed = x < 0 ? -big : big
        return a < 1 ? small : signed
    }

    /// 1/(1 + e^−x); no overflow for any x (e^−x = ∞ gives 0).
    @inline(__always)
    public static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// y[i] = exp(x[i]) for i < n.
    public static func exp(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count n: Int) {
        for i in 0..<n { y[i] = exp(x[i]) }
    }

    /// y[i] = tanh(x[i]) for i < n.
    public static func tanh(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count n: Int) {
        for i in 0..<n { y[i] = tanh(x[i]) }
    }

    /// y[i] = sigmoid(x[i]) for i < n.
    public static func sigmoid(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count n: Int) {
        for i in 0..<n { y[i] = sigmoid(x[i]) }
    }
}
