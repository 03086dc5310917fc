import CKernels

/// The one implementation of `exp`, `tanh`, `sigmoid`, `erf` and `erfc` in ritz (and of the
/// exact gelu and Φ built on them), chosen once per process by
/// what the CPU supports.
///
/// libm evaluates one element per call (about 5 ns for `exp` and 12 ns for `tanh` here). These
/// kernels (C, in the `CKernels` target) are table-driven arithmetic built three times: for
/// AVX-512 (eight lanes), for AVX2 with fused multiply-add (four lanes) and for baseline x86-64;
/// the widest one the CPU runs is used, unless `RITZ_CPU_KERNELS` names another one it runs
/// (`avx512`, `avx2+fma` or `baseline`; for tests and comparisons). Every entry point here
/// (scalars, buffers, the fused row pass; hence `Tensor.unary`, the tape and the built-in
/// models) goes through the one selected implementation, and lanes never interact, so on a
/// given machine a value never depends on which path computed it.
///
/// The AVX-512 and AVX2+FMA builds agree bit for bit (the same fused operations in the same
/// order), so a machine with AVX-512 gives the same bytes as one with only AVX2.
///
/// Accuracy (checked against glibc over the whole range by the tests, for every build): `exp`
/// within 2 ulp, including subnormal results, overflow to infinity and NaN; `tanh` within 2 ulp,
/// odd, exact at 0, saturating to ±1, and the quieted argument for a NaN. Results may differ in the last bit between CPUs with
/// and without FMA (fused operations round once where the baseline build rounds twice).
///
/// Algorithms: `exp` after Tang (1989), x = (32m + j)·ln2/32 + r, a degree-6 polynomial for
/// e^r − 1 and a 32-entry table of 2^(j/32); `tanh` by the Cephes rational form for |x| < 0.625
/// and (e^{2|x|} − 1)/(e^{2|x|} + 1) above; `sigmoid` as 1/(1 + e^−x); `erf` and `erfc` by
/// fdlibm's `s_erf.c` (rational approximations on |x| < 0.84375, < 1.25 and beyond, the tail as
/// e^(−z² − 0.5625)·e^((z − x)(z + x) + R/S)/x with this exp). `erf` is within 1 ulp of glibc and
/// `erfc` within 5 ulp in its tail (see the tests), ±1, 0 and 2 at the infinities.
public enum FastMath {
    /// Four lanes.
    public typealias Lanes = SIMD4<Double>

    /// One build of the kernels.
    enum Implementation: String, CaseIterable, Sendable {
        /// Any CPU.
        case baseline
        /// AVX2 with fused multiply-add.
        case avx2FMA
        /// AVX-512 Foundation and DQ.
        case avx512

        /// The kernels of this build, or nil when this CPU cannot run it.
        var kernels: ck_kernels? { table?.pointee }

        /// The C table of this build, or nil when this CPU cannot run it.
        fileprivate var table: UnsafePointer<ck_kernels>? {
            switch self {
            case .baseline: return ck_baseline()
            case .avx2FMA: return ck_avx2_fma()
            case .avx512: return ck_avx512()
            }
        }

        /// The widest build this CPU runs (what runs when `RITZ_CPU_KERNELS` is not set).
        static var widest: Implementation {
            [.avx512, .avx2FMA].first { $0.table != nil } ?? .baseline
        }
    }

    /// The build this process uses.
    static var selected: Implementation {
        let chosen = ck_selected()
        return Implementation.allCases.first { $0.table == chosen } ?? .baseline
    }

    /// The name of the selected build ("avx512", "avx2+fma" or "baseline"), for reports.
    public static var implementationName: String { String(cString: ck_selected().pointee.name) }

    /// e^x on four lanes, within 2 ulp for every x.
    @inline(__always)
    public static func exp(_ x: Lanes) -> Lanes { lanes(x, ck_exp_n) }

    /// tanh x on four lanes, within 2 ulp for every x; odd, exact at 0.
    @inline(__always)
    public static func tanh(_ x: Lanes) -> Lanes { lanes(x, ck_tanh_n) }

    /// 1/(1 + e^−x) on four lanes; no overflow for any x (e^−x = ∞ gives 0).
    @inline(__always)
    public static func sigmoid(_ x: Lanes) -> Lanes { lanes(x, ck_sigmoid_n) }

    @inline(__always)
    static func lanes(_ x: Lanes, _ kernel: (UnsafePointer<Double>?, UnsafeMutablePointer<Double>?, Int) -> Void) -> Lanes {
        var x = x
        var y = Lanes.zero
        withUnsafePointer(to: &x) { xp in
            withUnsafeMutablePointer(to: &y) { yp in
                xp.withMemoryRebound(to: Double.self, capacity: 4) { xd in
                    yp.withMemoryRebound(to: Double.self, capacity: 4) { yd in kernel(xd, yd, 4) }
                }
            }
        }
        return y
    }

    /// e^x with at most 2 ulp of error.
    @inline(__always)
    public static func exp(_ x: Double) -> Double { ck_exp(x) }

    /// tanh x with at most 2 ulp of error.
    @inline(__always)
    public static func tanh(_ x: Double) -> Double { ck_tanh(x) }

    /// 1/(1 + e^−x); no overflow for any x (e^−x = ∞ gives 0).
    @inline(__always)
    public static func sigmoid(_ x: Double) -> Double { ck_sigmoid(x) }

    /// erf x on four lanes (fdlibm's algorithm; within 1 ulp of glibc in the tests).
    @inline(__always)
    public static func erf(_ x: Lanes) -> Lanes { lanes(x, ck_erf_n) }

    /// erfc x = 1 − erf x on four lanes, without cancellation for large x.
    @inline(__always)
    public static func erfc(_ x: Lanes) -> Lanes { lanes(x, ck_erfc_n) }

    /// erf x; odd, ±1 at ±∞, NaN kept.
    @inline(__always)
    public static func erf(_ x: Double) -> Double { ck_erf(x) }

    /// erfc x = 1 − erf x, with its relative accuracy kept in the tail (0 at ∞, 2 at −∞).
    @inline(__always)
    public static func erfc(_ x: Double) -> Double { ck_erfc(x) }

    /// y[i] = erf(x[i]) for i < n; `x` may equal `y`.
    public static func erf(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count n: Int) {
        ck_erf_n(x, y, n)
    }

    /// y[i] = erfc(x[i]) for i < n; `x` may equal `y`.
    public static func erfc(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count n: Int) {
        ck_erfc_n(x, y, n)
    }

    /// 1/√2, the scale from x to the argument of erf in Φ(x) = ½(1 + erf(x/√2)).
    public static let inverseSquareRootOfTwo = 0.7071067811865476

    /// The exact gelu ½x(1 + erf(x/√2)) of one number, with the bits of the buffer form.
    @inline(__always)
    public static func gelu(_ x: Double) -> Double { 0.5 * x * (1 + erf(x * inverseSquareRootOfTwo)) }

    /// Elements per block of the gelu and Φ passes (their scratch space sits on the stack).
    private static let block = 256

    /// y[i] = gelu(x[i]) = ½x(1 + erf(x/√2)) for i < n, the scalar `gelu`'s bits; `x` may equal `y`.
    public static func gelu(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count n: Int) {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: block) { scratch in
            guard let e = scratch.baseAddress else { return }
            var start = 0
            while start < n {
                let m = Swift.min(block, n - start)
                let (xs, ys) = (x + start, y + start)
                for i in 0..<m { e[i] = xs[i] * inverseSquareRootOfTwo }
                ck_erf_n(e, e, m)
                for i in 0..<m { ys[i] = 0.5 * xs[i] * (1 + e[i]) }
                start += m
            }
        }
    }

    /// y[i] = Φ(x[i]) = ½ erfc(−x/√2) for i < n, the standard normal CDF with its relative
    /// accuracy kept in the lower tail; `x` may equal `y`.
    public static func normalCDF(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count n: Int) {
        for i in 0..<n { y[i] = -x[i] * inverseSquareRootOfTwo }
        ck_erfc_n(y, y, n)
        for i in 0..<n { y[i] *= 0.5 }
    }

    /// gelu(x) (the bits of `gelu`) and Φ(x) in one pass: Φ = ½(1 + erf(x/√2)) from gelu's own
    /// erf where that keeps its relative accuracy (x ≥ −1, Φ ≥ 0.15) and ½ erfc(−x/√2) below,
    /// where erfc runs only on the elements that need it.
    ///
    /// - Parameters:
    ///   - x: n inputs.
    ///   - value: n outputs gelu(x); must not overlap `x`.
    ///   - cdf: n outputs Φ(x); must not overlap `x`.
    ///   - n: Element count.
    public static func geluAndCDF(_ x: UnsafePointer<Double>, value: UnsafeMutablePointer<Double>,
                                  cdf: UnsafeMutablePointer<Double>, count n: Int) {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * block) { scratch in
            guard let e = scratch.baseAddress else { return }
            let lower = e + block
            var start = 0
            while start < n {
                let m = Swift.min(block, n - start)
                let (xs, ys, cs) = (x + start, value + start, cdf + start)
                for i in 0..<m { e[i] = xs[i] * inverseSquareRootOfTwo }
                ck_erf_n(e, e, m)
                var tail = 0
                for i in 0..<m {
                    ys[i] = 0.5 * xs[i] * (1 + e[i])
                    cs[i] = 0.5 * (1 + e[i])
                    if xs[i] < -1 {
                        lower[tail] = -xs[i] * inverseSquareRootOfTwo
                        tail += 1
                    }
                }
                if tail > 0 {
                    ck_erfc_n(lower, lower, tail)
                    var k = 0
                    for i in 0..<m where xs[i] < -1 {
                        cs[i] = 0.5 * lower[k]
                        k += 1
                    }
                }
                start += m
            }
        }
    }

    /// y[i] = exp(x[i]) for i < n; `x` may equal `y`.
    public static func exp(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count n: Int) {
        ck_exp_n(x, y, n)
    }

    /// The softmax of each row of a row-major `rows × k` block and the row's log-sum-exp:
    /// p[i·k + j] = e_ij·(1/s_i) with e_ij = exp(z_ij − shift_i), s_i = Σ_j e_ij in column order
    /// and lse[i] = log(s_i) + shift_i, shift_i the row's largest number (NaN skipped), or 0 when
    /// that is not finite. The bytes are a plain loop's with ``exp(_:_:count:)``.
    ///
    /// - Parameters:
    ///   - z: Input block; may equal `p`.
    ///   - rows: Rows of the block.
    ///   - k: Columns of the block.
    ///   - p: Output block of probabilities.
    ///   - lse: `rows` outputs, the rows' log-sum-exp.
    public static func softmaxRows(_ z: UnsafePointer<Double>, rows: Int, k: Int, _ p: UnsafeMutablePointer<Double>,
                                   logSumExp lse: UnsafeMutablePointer<Double>) {
        ck_softmax_rows(z, rows, k, p, lse)
    }

    /// out[i] = g[i]·(1 − y[i]²) for i < n, a tanh layer's backward pass; `out` may be an input.
    public static func tanhBackward(_ g: UnsafePointer<Double>, _ y: UnsafePointer<Double>,
                                    _ out: UnsafeMutablePointer<Double>, count n: Int) {
        ck_tanh_backward(g, y, out, n)
    }

    /// out[r·width + j] = (g[r·width + j] + v[j])·(1 − y[r·width + j]²) for a row-major rows × width
    /// block: a row vector added to g, then ``tanhBackward(_:_:_:count:)``, in one pass with the
    /// same bytes; `out` may be `g`.
    public static func tanhBackward(_ g: UnsafePointer<Double>, addingRow v: UnsafePointer<Double>,
                                    _ y: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>,
                                    rows: Int, width: Int) {
        ck_tanh_backward_rows(g, v, y, out, rows, width)
    }

    /// out[i] = ġ[i]·(1 − y[i]²) + (−2·g[i])·y[i]·ẏ[i], the tangent of tanh's backward pass along
    /// (ġ, ẏ); `out` may be an input.
    public static func tanhBackwardTangent(_ tg: UnsafePointer<Double>, _ ty: UnsafePointer<Double>,
                                           _ g: UnsafePointer<Double>, _ y: UnsafePointer<Double>,
                                           _ out: UnsafeMutablePointer<Double>, count n: Int) {
        ck_tanh_backward_tangent(tg, ty, g, y, out, n)
    }

    /// out[i] = (−2·a[i])·b[i]·c[i], tanh's second-derivative term (∂/∂y of g·(1 − y²) is −2·g·y).
    public static func tanhCurvature(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ c: UnsafePointer<Double>,
                                     _ out: UnsafeMutablePointer<Double>, count n: Int) {
        ck_tanh_curvature(a, b, c, out, n)
    }

    /// y[i] = tanh(x[i]) for i < n; `x` may equal `y`.
    public static func tanh(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count n: Int) {
        ck_tanh_n(x, y, n)
    }

    /// y[i] = sigmoid(x[i]) for i < n; `x` may equal `y`.
    public static func sigmoid(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count n: Int) {
        ck_sigmoid_n(x, y, n)
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
        ck_tanh_rows(x, bias, rows, width, out)
    }
}
