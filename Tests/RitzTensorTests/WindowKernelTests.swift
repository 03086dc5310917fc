import Testing
@testable import RitzTensor

/// The sliding-window kernels (`im2col`, `col2im`, `windowArgmax`) against the definitions written
/// out element by element, and transposes that keep the last axis against the index formula.
/// All comparisons are exact: each side sums the same terms, or copies.
@Suite("Window kernels")
struct WindowKernelTests {
    struct Shape: Sendable, CustomTestStringConvertible {
        let input: [Int], kernel: (Int, Int), stride: (Int, Int), pad: ConvPadding, dilation: (Int, Int)
        var layout = ImageLayout.batchMajor
        var testDescription: String { "\(input) k\(kernel) s\(stride) \(pad) d\(dilation) \(layout)" }
    }

    /// The last four keep the maps' size (stride 1, "same"), where each row of the column matrix
    /// is the maps shifted by one offset, masked at the padding; channel-major inputs `[C, N, H, W]`.
    static let shapes: [Shape] = [
        Shape(input: [2, 3, 5, 6], kernel: (3, 2), stride: (1, 1), pad: .explicit(0), dilation: (1, 1)),
        Shape(input: [1, 2, 7, 7], kernel: (3, 3), stride: (2, 3), pad: .explicit(2), dilation: (1, 2)),
        Shape(input: [3, 1, 6, 5], kernel: (2, 3), stride: (2, 2), pad: .same, dilation: (2, 1)),
        Shape(input: [1, 1, 1, 9], kernel: (1, 4), stride: (1, 3), pad: .explicit(3), dilation: (1, 3)),
        Shape(input: [3, 2, 4, 5], kernel: (3, 3), stride: (1, 1), pad: .same, dilation: (1, 1)),
        Shape(input: [2, 3, 4, 5], kernel: (3, 3), stride: (1, 1), pad: .same, dilation: (1, 1), layout: .channelMajor),
        Shape(input: [2, 4, 6, 3], kernel: (2, 3), stride: (1, 1), pad: .same, dilation: (3, 2), layout: .channelMajor),
        Shape(input: [1, 5, 3, 3], kernel: (5, 5), stride: (1, 1), pad: .explicit(2), dilation: (1, 1), layout: .channelMajor),
    ]

    func geometry(_ s: Shape) throws -> WindowGeometry {
        try WindowGeometry(op: "test", input: s.input, kernel: s.kernel, stride: s.stride,
                           padding: (s.input[2] == 1 ? .explicit(0) : s.pad, s.pad), dilation: s.dilation, layout: s.layout)
    }

    /// x[n, c, ih, iw] (x[c, n, ih, iw] channel-major) or 0 in the padding, where the window of
    /// output (oh, ow) puts tap (kh, kw).
    func tap(_ x: Tensor, _ g: WindowGeometry, n: Int, c: Int, oh: Int, ow: Int, kh: Int, kw: Int) -> Double {
        let ih = oh * g.strideH - g.padTop + kh * g.dilationH, iw = ow * g.strideW - g.padLeft + kw * g.dilationW
        guard ih >= 0, ih < g.height, iw >= 0, iw < g.width else { return 0 }
        let map = g.layout == .batchMajor ? n * g.channels + c : c * g.batch + n
        return x.storage[(map * g.height + ih) * g.width + iw]
    }

    @Test("im2col is the definition, col2im its adjoint", arguments: shapes)
    func columns(_ s: Shape) throws {
        let g = try geometry(s)
        #expect(g.inputShape == s.input)
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

    @Test("col2im drops the entries read from the padding, even NaN ones", arguments: shapes)
    func paddingEntriesAreDropped(_ s: Shape) throws {
        let g = try geometry(s)
        var rng = RandomGenerator(seed: 11)
        let cotangent = try Tensor.randn(g.columnShape, using: &rng)
        // The same matrix with NaN wherever im2col read padding (where it holds 0 for x = 1).
        let ones = try Tensor.ones(s.input).im2col(g)
        let poisoned = try Tensor(shape: g.columnShape, storage: zip(cotangent.storage, ones.storage).map { $1 == 0 ? .nan : $0 })
        #expect(try poisoned.col2im(g).storage == cotangent.col2im(g).storage)
    }

    @Test("window maxima pick the first largest tap")
    func argmax() throws {
        let x = try Tensor(shape: [1, 1, 2, 4], storage: [1, 3, 2, 2, 3, 0, 2, .nan])
        let g = try WindowGeometry(op: "test", input: x.shape, kernel: (2, 2), stride: (2, 2),
                                   padding: (.explicit(0), .explicit(0)), dilation: (1, 1))
        // Window 1 holds 1, 3, 3, 0: the first 3 (flat 1). Window 2 holds 2, 2, 2, nan: the nan.
        #expect(try x.windowArgmax(g) == [1, 7])
        // A NaN beats numbers after it and is not displaced by a later NaN.
        let y = try Tensor(shape: [1, 1, 2, 4], storage: [.nan, 5, 1, .nan, .nan, 7, 9, .nan])
        let (maxima, positions) = try y.windowMaxima(g)
        #expect(positions == [0, 3])
        #expect(maxima.storage.allSatisfy { $0.isNaN })
    }

    @Test("window maxima of larger, strided and padded windows match a scan of every window")
    func maximaAgainstScan() throws {
        var rng = RandomGenerator(seed: 5)
        // Rounded draws give ties, which the first tap in row-major window order must win.
        let x = try Tensor(shape: [2, 3, 7, 6], storage: try Tensor.randn([2, 3, 7, 6], using: &rng).storage.map { ($0 * 2).rounded() })
        for (k, stride, pad) in [(3, 2, 0), (2, 1, 0), (3, 3, 1), (2, 2, 0)] {
            let g = try WindowGeometry(op: "test", input: x.shape, kernel: (k, k), stride: (stride, stride),
                                       padding: (.explicit(pad), .explicit(pad)), dilation: (1, 1))
            let (maxima, positions) = try x.windowMaxima(g)
            var expected = [Int]()
            for map in 0..<6 { for oh in 0..<g.outHeight { for ow in 0..<g.outWidth {
                var best = -1
                for kh in 0..<k { for kw in 0..<k {
                    let ih = oh * stride - pad + kh, iw = ow * stride - pad + kw
                    guard ih >= 0, ih < 7, iw >= 0, iw < 6 else { continue }
                    let at = (map * 7 + ih) * 6 + iw
                    if best < 0 || x.storage[at] > x.storage[best] { best = at }
                } }
                expected.append(best)
            } } }
            #expect(positions == expected, "k \(k) stride \(stride) pad \(pad)")
            #expect(maxima.storage == expected.map { x.storage[$0] })
        }
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

    @Test("a swap of the last two axes of a stack of matrices matches the index formula")
    func transposeLastTwo() throws {
        var rng = RandomGenerator(seed: 4)
        let x = try Tensor.randn([2, 3, 4, 5], using: &rng)
        let y = try x.transposed([0, 1, 3, 2])
        #expect(y.shape == [2, 3, 5, 4])
        var same = true
        for a in 0..<2 { for b in 0..<3 { for c in 0..<5 { for d in 0..<4 {
            same = same && y.storage[((a * 3 + b) * 5 + c) * 4 + d] == x.storage[((a * 3 + b) * 4 + d) * 5 + c]
        } } } }
        #expect(same)
        #expect(try y.transposed([0, 1, 3, 2]) == x)
        #expect(try Tensor.zeros([3, 0, 2]).transposed([0, 2, 1]).shape == [3, 2, 0])
    }
}
