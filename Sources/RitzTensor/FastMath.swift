import CKernels

/// The one implementation of `exp`, `tanh` and `sigmoid` in ritz, chosen once per process by
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
/// and (e^{2|x|} − 1)/(e^{2|x|} + 1) above; `sigmoid` as 1/(1 + e^−x).
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

    /// y[i] = exp(x[i]) for i < n; `x` may equal `y`.
    public static func exp(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count n: Int) {
        ck_exp_n(x, y, n)
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
