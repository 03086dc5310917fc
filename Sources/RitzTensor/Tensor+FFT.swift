import CFFTW
import Foundation

/// Discrete Fourier transforms through FFTW, along any axis, with NumPy's conventions:
/// forward unscaled, Y_k = Σ_j x_j e^{−2πijk/n}; inverse scaled by 1/n. Accuracy is FFTW's,
/// O(ε log n) relative to ‖x‖ (agrees with NumPy's pocketfft to ~1e-15·‖x‖·log n).
extension Tensor {
    /// Complex DFT along `axis` (real input is promoted to complex).
    ///
    /// - Parameter axis: the axis to transform; negative counts from the end.
    /// - Returns: A complex128 tensor of the same shape.
    /// - Throws: `ShapeError.badAxis`, `TensorError.invalidArgument` for an empty axis.
    public func fft(axis: Int = -1) throws -> Tensor {
        try complexTransform(axis: axis, kind: .forward, op: "fft")
    }

    /// Inverse complex DFT along `axis`, scaled by 1/n.
    ///
    /// - Parameter axis: the axis to transform.
    /// - Returns: A complex128 tensor of the same shape.
    /// - Throws: as `fft`.
    public func ifft(axis: Int = -1) throws -> Tensor {
        try complexTransform(axis: axis, kind: .backward, op: "ifft")
    }

    /// DFT of real input along `axis`, keeping the n/2 + 1 non-negative frequencies.
    ///
    /// - Parameter axis: the axis to transform.
    /// - Returns: A complex128 tensor whose `axis` has length n/2 + 1.
    /// - Throws: `TensorError.unsupportedDType` for complex input; as `fft`.
    public func rfft(axis: Int = -1) throws -> Tensor {
        guard !isComplex else { throw TensorError.unsupportedDType(op: "rfft", dtype: .complex128) }
        let ax = try normalizedAxis(axis)
        let n = shape[ax]
        guard n > 0 else { throw TensorError.invalidArgument("rfft: invalid number of data points (0) along axis \(axis)") }
        let m = n / 2 + 1
        var outShape = shape
        outShape[ax] = m
        let total = try Tensor.elementCount(outShape, complex: true)
        let plan = try FFTPlanCache.shared.plan(n: n, kind: .realToComplex)
        let (outer, _, inner) = axisSplit(ax)
        var out = [Double](repeating: 0, count: 2 * total)
        var line = [Double](repeating: 0, count: n)
        var spectrum = [Double](repeating: 0, count: 2 * m)
        for o in 0..<outer {
            for i in 0..<inner {
                for k in 0..<n { line[k] = storage[(o * n + k) * inner + i] }
                plan.executeRealToComplex(&line, &spectrum)
                for k in 0..<m {
                    let dst = (o * m + k) * inner + i
                    out[2 * dst] = spectrum[2 * k]; out[2 * dst + 1] = spectrum[2 * k + 1]
                }
            }
        }
        return Tensor(unchecked: outShape, out, dtype: .complex128)
    }

    /// Inverse of `rfft`: a real signal of length `n` from its n/2 + 1 non-negative frequencies.
    ///
    /// The input along `axis` is truncated or zero-padded to n/2 + 1 entries; the imaginary parts
    /// of the zero-frequency (and, for even n, the Nyquist) entries are ignored, as NumPy.
    /// - Parameters:
    ///   - n: output length; default 2(m − 1) for m input entries.
    ///   - axis: the axis to transform.
    /// - Returns: A float64 tensor whose `axis` has length n.
    /// - Throws: `TensorError.invalidArgument` when n < 1; `ShapeError.badAxis`.
    public func irfft(n: Int? = nil, axis: Int = -1) throws -> Tensor {
        let ax = try normalizedAxis(axis)
        let m = shape[ax]
        let len = n ?? 2 * (m - 1)
        guard len >= 1 else { throw TensorError.invalidArgument("irfft: invalid number of data points (\(len)) along axis \(axis)") }
        let src = asComplex()
        let half = len / 2 + 1
        var outShape = shape
        outShape[ax] = len
        let total = try Tensor.elementCount(outShape)
        let plan = try FFTPlanCache.shared.plan(n: len, kind: .complexToReal)
        let (outer, _, inner) = axisSplit(ax)
        var out = [Double](repeating: 0, count: total)
        var spectrum = [Double](repeating: 0, count: 2 * half)
        var line = [Double](repeating: 0, count: len)
        let scale = 1 / Double(len)
        let used = Swift.min(m, half)
        for o in 0..<outer {
            for i in 0..<inner {
                for k in 0..<(2 * half) { spectrum[k] = 0 }
                for k in 0..<used {
                    let j = (o * m + k) * inner + i
                    spectrum[2 * k] = src.storage[2 * j]; spectrum[2 * k + 1] = src.storage[2 * j + 1]
                }
                plan.executeComplexToReal(&spectrum, &line)
                for k in 0..<len { out[(o * len + k) * inner + i] = line[k] * scale }
            }
        }
        return Tensor(unchecked: outShape, out)
    }

    /// Sample frequencies of an n-point DFT with spacing d, in NumPy's order:
    /// [0, 1, …, ⌈n/2⌉ − 1, −⌊n/2⌋, …, −1] / (d·n).
    ///
    /// - Parameters:
    ///   - n: number of points, ≥ 1.
    ///   - d: sample spacing, non-zero and finite.
    /// - Returns: A 1-d tensor of n frequencies.
    /// - Throws: `TensorError.invalidArgument` for n < 1 or a bad d.
    public static func fftfreq(_ n: Int, d: Double = 1) throws -> Tensor {
        guard n >= 1 else { throw TensorError.invalidArgument("fftfreq needs n ≥ 1, got \(n)") }
        guard d != 0, d.isFinite else { throw TensorError.invalidArgument("fftfreq needs a finite non-zero spacing d, got \(d)") }
        try AllocationLimit.check(elements: n)
        let scale = 1 / (Double(n) * d)
        let positive = (n - 1) / 2 + 1
        return Tensor(unchecked: [n], (0..<n).map { k in Double(k < positive ? k : k - n) * scale })
    }

    /// Power spectral density along the last axis, as `scipy.signal.periodogram` with its
    /// defaults: fs = 1, boxcar window, constant detrend (the mean is removed), density scaling
    /// P = |X_k|²/(fs·n), one-sided for real input (interior bins doubled, frequencies
    /// k/n for k = 0…n/2) and two-sided for complex input (frequencies in `fftfreq` order).
    ///
    /// - Returns: `freq` (1-d) and `power` (the input's shape with the last axis replaced).
    /// - Throws: `ShapeError.wrongRank` for a 0-d tensor, `TensorError.invalidArgument` for an
    ///   empty last axis.
    public func periodogram() throws -> (freq: Tensor, power: Tensor) {
        guard ndim >= 1 else { throw ShapeError.wrongRank(op: "periodogram", expected: "at least one dimension", got: shape) }
        let n = shape[ndim - 1]
        guard n > 0 else { throw TensorError.invalidArgument("periodogram of an empty signal") }
        let detrended = try binary(.sub, reduce(.mean, axis: -1, keepDims: true))
        let scale = 1 / Double(n)
        if isComplex {
            let spectrum = try detrended.fft(axis: -1)
            let power = try spectrum.unary(.abs)
            return (try Tensor.fftfreq(n), Tensor(unchecked: power.shape, power.storage.map { $0 * $0 * scale }))
        }
        let spectrum = try detrended.rfft(axis: -1)
        let m = n / 2 + 1
        var power = try spectrum.unary(.abs).storage.map { $0 * $0 * scale }
        // One-sided: every bin except DC (and Nyquist for even n) carries its negative twin.
        let lastDoubled = n % 2 == 0 ? m - 2 : m - 1
        let rows = power.count / m
        if lastDoubled >= 1 {
            for r in 0..<rows { for k in 1...lastDoubled { power[r * m + k] *= 2 } }
        }
        let freq = Tensor(unchecked: [m], (0..<m).map { Double($0) / Double(n) })
        var outShape = shape
        outShape[ndim - 1] = m
        return (freq, Tensor(unchecked: outShape, power))
    }

    private func complexTransform(axis: Int, kind: FFTPlanCache.Kind, op: String) throws -> Tensor {
        let ax = try normalizedAxis(axis)
        let n = shape[ax]
        guard n > 0 else { throw TensorError.invalidArgument("\(op): invalid number of data points (0) along axis \(axis)") }
        let src = asComplex()
        let plan = try FFTPlanCache.shared.plan(n: n, kind: kind)
        let (outer, _, inner) = axisSplit(ax)
        var out = [Double](repeating: 0, count: src.storage.count)
        var line = [Double](repeating: 0, count: 2 * n)
        var result = [Double](repeating: 0, count: 2 * n)
        let scale = kind == .backward ? 1 / Double(n) : 1
        for o in 0..<outer {
            for i in 0..<inner {
                for k in 0..<n {
                    let j = (o * n + k) * inner + i
                    line[2 * k] = src.storage[2 * j]; line[2 * k + 1] = src.storage[2 * j + 1]
                }
                plan.executeComplex(&line, &result)
                for k in 0..<n {
                    let j = (o * n + k) * inner + i
                    out[2 * j] = result[2 * k] * scale; out[2 * j + 1] = result[2 * k + 1] * scale
                }
            }
        }
        return Tensor(unchecked: shape, out, dtype: .complex128)
    }
}

/// FFTW plans shared by all threads, one per (size, kind).
///
/// Planning is not thread-safe in FFTW, so it happens under a lock; execution through the
/// new-array interface (`fftw_execute_dft` etc.) is thread-safe. Plans are made with
/// `FFTW_ESTIMATE | FFTW_UNALIGNED` for out-of-place use, so any pair of distinct buffers of the
/// right length may be passed. Plans live for the life of the process.
final class FFTPlanCache: @unchecked Sendable {
    enum Kind: Hashable { case forward, backward, realToComplex, complexToReal }

    struct Plan: @unchecked Sendable {
        let raw: OpaquePointer
        let n: Int

        func executeComplex(_ input: inout [Double], _ output: inout [Double]) {
            input.withUnsafeMutableBufferPointer { i in
                output.withUnsafeMutableBufferPointer { o in
                    i.baseAddress.unsafelyUnwrapped.withMemoryRebound(to: fftw_complex.self, capacity: n) { ic in
                        o.baseAddress.unsafelyUnwrapped.withMemoryRebound(to: fftw_complex.self, capacity: n) { oc in
                            fftw_execute_dft(raw, ic, oc)
                        }
                    }
                }
            }
        }

        func executeRealToComplex(_ input: inout [Double], _ output: inout [Double]) {
            input.withUnsafeMutableBufferPointer { i in
                output.withUnsafeMutableBufferPointer { o in
                    o.baseAddress.unsafelyUnwrapped.withMemoryRebound(to: fftw_complex.self, capacity: n / 2 + 1) { oc in
                        fftw_execute_dft_r2c(raw, i.baseAddress, oc)
                    }
                }
            }
        }

        /// Destroys `input` (FFTW's c2r transforms always may).
        func executeComplexToReal(_ input: inout [Double], _ output: inout [Double]) {
            input.withUnsafeMutableBufferPointer { i in
                output.withUnsafeMutableBufferPointer { o in
                    i.baseAddress.unsafelyUnwrapped.withMemoryRebound(to: fftw_complex.self, capacity: n / 2 + 1) { ic in
                        fftw_execute_dft_c2r(raw, ic, o.baseAddress)
                    }
                }
            }
        }
    }

    struct Key: Hashable { let n: Int; let kind: Kind }

    static let shared = FFTPlanCache()

    private let lock = NSLock()
    private var plans: [Key: Plan] = [:]

    /// The cached plan for (n, kind), made on first use.
    ///
    /// - Throws: `TensorError.invalidArgument` when n is outside FFTW's `int` range or FFTW
    ///   cannot make a plan.
    func plan(n: Int, kind: Kind) throws -> Plan {
        guard n >= 1, n <= Int(Int32.max) / 2 else { throw TensorError.invalidArgument("FFT length \(n) is out of range") }
        lock.lock()
        defer { lock.unlock() }
        let key = Key(n: n, kind: kind)
        if let p = plans[key] { return p }
        let flags = UInt32(1 << 6) | UInt32(1 << 1)   // FFTW_ESTIMATE | FFTW_UNALIGNED
        let complexCount = kind == .forward || kind == .backward ? n : n / 2 + 1
        guard let a = fftw_malloc(MemoryLayout<fftw_complex>.stride * Swift.max(n, complexCount)),
              let b = fftw_malloc(MemoryLayout<fftw_complex>.stride * Swift.max(n, complexCount)) else {
            throw TensorError.invalidArgument("FFTW could not allocate planning buffers for length \(n)")
        }
        defer { fftw_free(a); fftw_free(b) }
        let ca = a.assumingMemoryBound(to: fftw_complex.self), cb = b.assumingMemoryBound(to: fftw_complex.self)
        let ra = a.assumingMemoryBound(to: Double.self), rb = b.assumingMemoryBound(to: Double.self)
        let raw: OpaquePointer?
        switch kind {
        case .forward: raw = fftw_plan_dft_1d(Int32(n), ca, cb, -1, flags)
        case .backward: raw = fftw_plan_dft_1d(Int32(n), ca, cb, 1, flags)
        case .realToComplex: raw = fftw_plan_dft_r2c_1d(Int32(n), ra, cb, flags)
        case .complexToReal: raw = fftw_plan_dft_c2r_1d(Int32(n), ca, rb, flags)
        }
        guard let raw else { throw TensorError.invalidArgument("FFTW could not plan a transform of length \(n)") }
        let plan = Plan(raw: raw, n: n)
        plans[key] = plan
        return plan
    }
}
