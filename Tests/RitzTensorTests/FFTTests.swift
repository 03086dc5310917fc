import Foundation
import Testing
@testable import RitzTensor

/// FFTW transforms against NumPy's pocketfft and `scipy.signal.periodogram`
/// (`reference.json` → "fft", "periodogram"). Both are accurate to O(ε log n)·‖x‖: atol 1e-13
/// on inputs of order one.
@Suite struct FFTTests {
    static func f(_ key: String) throws -> Tensor { try Fixture.tensor("fft", key) }

    @Test func complexTransforms() throws {
        let x = try Self.f("x"), z = try Self.f("z")
        expectClose(try x.fft(), try Self.f("fft_last"), rtol: 1e-13, atol: 1e-13)
        expectClose(try x.fft(axis: 0), try Self.f("fft_axis0"), rtol: 1e-13, atol: 1e-13)
        expectClose(try x.fft(axis: -2), try Self.f("fft_axis0"), rtol: 1e-13, atol: 1e-13)
        expectClose(try z.fft(), try Self.f("fft_z"), rtol: 1e-13, atol: 1e-13)
        expectClose(try z.ifft(), try Self.f("ifft_z"), rtol: 1e-13, atol: 1e-14)
        expectClose(try x.ifft(axis: 0), try Self.f("ifft_axis0"), rtol: 1e-13, atol: 1e-14)
        expectClose(try z.fft().ifft(), z, rtol: 1e-13, atol: 1e-14, "round trip")
    }

    @Test func realTransforms() throws {
        let x = try Self.f("x")
        expectClose(try x.rfft(), try Self.f("rfft_last"), rtol: 1e-13, atol: 1e-13)
        expectClose(try x.rfft(axis: 0), try Self.f("rfft_axis0"), rtol: 1e-13, atol: 1e-13)
        expectClose(try Self.f("odd").rfft(), try Self.f("rfft_odd"), rtol: 1e-13, atol: 1e-13)
        let half = try x.rfft()
        expectClose(try half.irfft(), try Self.f("irfft_default"), rtol: 1e-13, atol: 1e-14)
        expectClose(try half.irfft(), x, rtol: 1e-13, atol: 1e-14, "round trip")
        expectClose(try half.irfft(n: 7), try Self.f("irfft_n7"), rtol: 1e-13, atol: 1e-14, "zero-padded")
        expectClose(try half.irfft(n: 3), try Self.f("irfft_n3"), rtol: 1e-13, atol: 1e-14, "truncated")
        expectClose(try x.rfft(axis: 0).irfft(n: 4, axis: 0), try Self.f("irfft_axis0"), rtol: 1e-13, atol: 1e-14)
    }

    @Test(arguments: [("fftfreq_7_01", 7, 0.1), ("fftfreq_8", 8, 1.0), ("fftfreq_1", 1, 1.0)])
    func fftfreq(key: String, n: Int, d: Double) throws {
        // k/(n·d): one or two roundings (rtol 1e-15 ≈ 4.5ε).
        expectClose(try Tensor.fftfreq(n, d: d), try Self.f(key), rtol: 1e-15)
    }

    @Test(arguments: ["even", "odd", "matrix", "complex"])
    func periodogramMatchesSciPy(name: String) throws {
        let c = try Fixture.dict("periodogram", name)
        let x = try Fixture.tensor(from: c["x"] as Any)
        let (freq, power) = try x.periodogram()
        expectClose(freq, try Fixture.tensor(from: c["freq"] as Any), rtol: 1e-15, atol: 0, name)
        // |FFT|² scaled: twice the FFT's relative error, larger for bins far below the peak power.
        expectClose(power, try Fixture.tensor(from: c["power"] as Any), rtol: 1e-12, atol: 1e-14, name)
    }

    @Test func badArgumentsThrow() throws {
        let x = try Tensor.zeros([2, 3])
        #expect(throws: ShapeError.badAxis(axis: 2, ndim: 2)) { try x.fft(axis: 2) }
        #expect(throws: ShapeError.badAxis(axis: -3, ndim: 2)) { try x.rfft(axis: -3) }
        #expect(throws: TensorError.self) { try Tensor.zeros([0]).fft() }
        #expect(throws: TensorError.self) { try x.irfft(n: 0) }
        #expect(throws: TensorError.self) { try Tensor.zeros([1]).irfft() }
        #expect(throws: TensorError.unsupportedDType(op: "rfft", dtype: .complex128)) { try x.asComplex().rfft() }
        #expect(throws: TensorError.self) { try Tensor.fftfreq(0) }
        #expect(throws: TensorError.self) { try Tensor.fftfreq(4, d: 0) }
        #expect(throws: ShapeError.self) { try Tensor(1).periodogram() }
    }

    /// Plans are made once per (size, kind) and shared by concurrent transforms.
    @Test func plansAreCachedAndThreadSafe() async throws {
        let x = try Tensor.arange(0, 37)
        let expected = try x.fft()
        // Other suites run concurrently and may add plans, so compare the plan itself, not the count.
        let before = try FFTPlanCache.shared.plan(n: 37, kind: .forward)
        _ = try x.fft()
        #expect(try FFTPlanCache.shared.plan(n: 37, kind: .forward).raw == before.raw, "no new plan for a cached size")
        try await withThrowingTaskGroup(of: Tensor.self) { group in
            for k in 0..<8 {
                group.addTask { try Tensor.arange(0, Double(37 + k)).rfft().irfft(n: 37 + k) }
            }
            for try await t in group {
                // A round trip of values up to 44: O(ε log n)·‖x‖ ≈ 1e-13 per entry; 1e-12 for margin.
                expectClose(t, try Tensor.arange(0, Double(t.count)), rtol: 1e-12, atol: 1e-12)
            }
        }
        expectClose(try x.fft(), expected, rtol: 0, atol: 0)
    }
}
