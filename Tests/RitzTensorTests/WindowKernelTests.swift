import Testing
@testable import RitzTensor

/// The sliding-window kernels (`im2col`, `col2im`, `windowArgmax`) against the definitions written
/// out element by element, and transposes that keep the last axis against the index formula.
/// All comparisons are exact: each side sums the same terms, or copies.
@Suite("Window kernels")
struct WindowKernelTests {
    struct Shape: Sendable, CustomTestStringConvertible {
        let input: [Int], kernel: (Int, Int), stride: (Int, Int), pad: ConvPadding, dilation: (Int, Int)
        var testDescription: String { "\(input) k\(kernel) s\(stride) \(pad) d\(dilation)" }
    }

    static let shapes: [Shape] = [
        Shape(input: [2, 3, 5, 6], kernel: (3, 2), stride: (1, 1), pad: .explicit(0), dilation: (1, 1)),
        Shape(input: [1, 2, 7, 7], kernel: (3, 3), stride: (2, 3), pad: .explicit(2), dilation: (1, 2)),
        Shape(input: [3, 1, 6, 5], kernel: (2, 3), stride: (2, 2), pad: .same, dilation: (2, 1)),
        Shape(input: [1, 1, 1, 9], kernel: (1, 4), stride: (1, 3), pad: .explicit(3), dilation: (1, 3)),
    ]

    func geometry(_ s: Shape) throws -> WindowGeometry {
        try WindowGeometry(op: "test", input: s.input, kernel: s.kernel, stride: s.stride,
                           padding: (s.input[2] == 1 ? .explicit(0) : s.pad, s.pad), dilation: s.dilation)
    }

    /// x[n, c, ih, iw] or 0 in the padding, where the window of output (oh, ow) puts tap (kh, kw).
    func tap(_ x: Tensor, _ g: WindowGeometry, n: Int, c: Int, oh: Int, ow: Int, kh: Int, kw: Int) -> Double {
        let ih = oh * g.strideH - g.padTop + kh * g.dilationH, iw = ow * g.strideW - g.padLeft + kw * g.dilationW
        guard ih >= 0, ih < g.height, iw >= 0, iw < g.width else { return 0 }
        return x.storage[((n * g.channels + c) * g.height + ih) * g.width + iw]
    }

    @Test("im2col is the definition, col2im its adjoint", arguments: shapes)
    func columns(_ s: Shape) throws {
        let g = try geometry(s)
        var rng = RandomGenerator(seed: 7)
        let x = try Tensor.randn(s.input, using: &rng)
        let cols = try x.im2col(g)
        #expect(cols.shape == g.columnShape)
        var mismatches = 0
        for n in 0..<g.batch { for c in 0..<g.channels { for kh in 0..<g.kernelHeight { for kw in 0..<g.kernelWidth {
            for oh in 0..<g.outHeight { for ow in 0..<g.outWidth {
                let row = (c * g.kernelHeight + kh) * g.kernelWidth + kw
                let col = (n * g.outHeight + oh) * g.outWidth + ow
                if cols.storage[row * cols.shape[1] + col] != tap(x, g, n: n, c: c, oh: oh, ow: ow, kh: kh, kw: kw) { mismatches += 1 }
            } }
        } } } }
        #expect(mismatches == 0)
        // ⟨im2col(x), C⟩ = ⟨x, col2im(C)⟩ up to rounding of two sums of ~100 O(1) products.
        let cotangent = try Tensor.randn(g.columnShape, using: &rng)
        let back = try cotangent.col2im(g)
        #expect(back.shape == s.input)
        let lhs = zip(cols.storage, cotangent.storage).reduce(0) { $0 + $1.0 * $1.1 }
        let rhs = zip(x.storage, back.storage).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(Swift.abs(lhs - rhs) <= 1e-12 * Swift.max(1, Swift.abs(lhs)))
    }

    @Test("window maxima pick the first largest tap")
    func argmax() throws {
        let x = try Tensor(shape: [1, 1, 2, 4], storage: [1, 3, 2, 2, 3, 0, 2, .nan])
        let g = try WindowGeometry(op: "test", input: x.shape, kernel: (2, 2), stride: (2, 2),
                                   padding: (.explicit(0), .explicit(0)), dilation: (1, 1))
        // Window 1 holds 1, 3, 3, 0: the first 3 (flat 1). Window 2 holds 2, 2, 2, nan: the nan.
        #expect(try x.windowArgmax(g) == [1, 7])
    }

    @Test("a transpose that keeps the last axis matches the index formula")
    func transposeRuns() throws {
        var rng = RandomGenerator(seed: 3)
        let x = try Tensor.randn([3, 4, 2, 5], using: &rng)
        let y = try x.transposed([2, 0, 1, 3])
        #expect(y.shape == [2, 3, 4, 5])
        var same = true
        for a in 0..<2 { for b in 0..<3 { for c in 0..<4 { for d in 0..<5 {
            same = same && y.storage[((a * 3 + b) * 4 + c) * 5 + d] == x.storage[((b * 4 + c) * 2 + a) * 5 + d]
        } } } }
        #expect(same)
        let re = try Tensor.randn([2, 3, 2], using: &rng), im = try Tensor.randn([2, 3, 2], using: &rng)
        let z = try Tensor.complex(re: re, im: im)
        let zt = try z.transposed([1, 0, 2])
        #expect(zt.shape == [3, 2, 2])
        for i in 0..<3 { for j in 0..<2 { for k in 0..<2 {
            let got = zt.complexElement((i * 2 + j) * 2 + k), want = z.complexElement((j * 3 + i) * 2 + k)
            #expect(got == want)
        } } }
    }
}
