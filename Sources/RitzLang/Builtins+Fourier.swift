import RitzTensor

extension Builtins {
    /// Complex numbers and Fourier transforms.
    static var fourier: [BuiltinEntry] {
        let g = "Complex and Fourier"
        func axisEntry(_ name: String, _ summary: String, _ example: String,
                       _ f: @escaping (Tensor, Int) throws -> Tensor) -> BuiltinEntry {
            BuiltinEntry(name, [Param("x"), Param("axis", default: .number(-1))], group: g, summary: summary,
                         examples: [example]) { a in
                var t = try a.tensor("x")
                if t.dtype == .bool { t = try t.asFloat() }
                return .tensor(try f(t, try a.int("axis")))
            }
        }
        return [
            BuiltinEntry("real", [Param("x")], group: g, summary: "real part", examples: ["real(1 + 2im)"]) { a in
                Interpreter.wrap(try a.tensor("x").realPart())
            },
            BuiltinEntry("imag", [Param("x")], group: g, summary: "imaginary part", examples: ["imag(1 + 2im)"]) { a in
                Interpreter.wrap(try a.tensor("x").imagPart())
            },
            BuiltinEntry("conj", [Param("x")], group: g, summary: "complex conjugate", examples: ["conj(1 + 2im)"]) { a in
                Interpreter.wrap(try a.tensor("x").conj())
            },
            BuiltinEntry("angle", [Param("x")], group: g, summary: "argument atan2(im, re) in radians",
                         examples: ["angle(1im)"]) { a in
                Interpreter.wrap(try a.tensor("x").angle())
            },
            axisEntry("fft", "discrete Fourier transform along axis (FFTW)", "fft([1, 0, 0, 0])") { try $0.fft(axis: $1) },
            axisEntry("ifft", "inverse discrete Fourier transform along axis", "ifft(fft([1, 2, 3]))") { try $0.ifft(axis: $1) },
            axisEntry("rfft", "Fourier transform of real input, the n/2+1 non-negative frequencies", "rfft([1, 2, 3, 4])") {
                try $0.rfft(axis: $1)
            },
            BuiltinEntry("irfft", [Param("x"), .keyword("n"), Param("axis", default: .number(-1))], group: g,
                         summary: "inverse of rfft; n is the length of the real output",
                         examples: ["irfft(rfft([1, 2, 3, 4]), n=4)"]) { a in
                .tensor(try a.tensor("x").irfft(n: try a.optionalInt("n"), axis: try a.int("axis")))
            },
            BuiltinEntry("fftfreq", [Param("n"), Param("d", default: .number(1))], group: g,
                         summary: "the sample frequencies of an n-point transform with spacing d",
                         examples: ["fftfreq(4)"]) { a in
                .tensor(try Tensor.fftfreq(try a.int("n"), d: try a.double("d")))
            },
            BuiltinEntry("periodogram", [Param("x")], group: g,
                         summary: "power spectrum estimate → (freq=, power=)", examples: ["periodogram(sin(arange(16)))"]) { a in
                let (f, p) = try a.tensor("x").periodogram()
                return .record(Record([("freq", .tensor(f)), ("power", .tensor(p))]))
            },
        ]
    }
}
