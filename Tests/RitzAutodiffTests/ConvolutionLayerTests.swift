import Testing
import RitzTensor
@testable import RitzAutodiff

/// The chunked convolution products (`ConvolutionLayer`) against the same products computed
/// whole (`Tensor.im2col`, one `Tensor.gemm`, `Tensor.col2im`), and the fused convolution block
/// (`Var.convolutionBlock`: convolution, max pooling, bias, activation in one node) against the
/// composition of the public primitives, which `ConvolutionTests` checks against JAX.
///
/// Tolerances: both sides add the same products in another order (one `dgemm` per chunk of
/// images against one for the batch), so they differ by rounding only: a few units in the last
/// place of sums of at most a few hundred O(1) terms. 1e-12 relative to the largest entry
/// leaves three digits of margin.
@Suite("Convolution layer: chunked products and the fused block")
struct ConvolutionLayerTests {
    /// max |a − b| / max |b|.
    func deviation(_ a: Tensor, _ b: Tensor) -> Double {
        guard a.shape == b.shape else { return .infinity }
        let worst = zip(a.storage, b.storage).map { Swift.abs($0 - $1) }.max() ?? 0
        return worst / Swift.max(b.storage.map(Swift.abs).max() ?? 0, .leastNormalMagnitude)
    }

    /// A batch large enough for two parts and several chunks per part (64 images of 8×8 with 72
    /// rows of columns and 16 filters: 4.7·10⁶ multiply-adds, 6 images per chunk), with and
    /// without 2×2 pooling.
    @Test("forward, filter and input gradients match the whole-batch products", arguments: [false, true])
    func chunkedProductsMatchWholeBatch(pooled: Bool) throws {
        var rng = RandomGenerator(seed: 3)
        let (c, n, o) = (8, 64, 16)
        let geometry = try WindowGeometry(op: "test", input: [c, n, 8, 8], kernel: (3, 3), stride: (1, 1),
                                          padding: (.same, .same), dilation: (1, 1), layout: .channelMajor)
        let x = try Tensor.randn([c, n, 8, 8], using: &rng), w = try Tensor.randn([o, c, 3, 3], using: &rng)
        let b = try Tensor.randn([o], using: &rng)
        let pooling = pooled ? try WindowGeometry(op: "test", input: [o, n, 8, 8], kernel: (2, 2), stride: (2, 2),
                                                  padding: (.explicit(0), .explicit(0)), dilation: (1, 1)) : nil
        let plain = ConvolutionLayer(geometry: geometry, filters: o, pooling: pooling)
        #expect(plain.parts.count == 2)
        #expect(plain.imagesPerChunk < n / 2)
        let (y, taps) = try plain.forward([(x, w)], bias: b, selecting: pooled)
        let layer = plain.picking(taps)

        // The whole-batch reference: z = W·cols [O, N·64], then S picks the chosen taps.
        let cols = try x.im2col(geometry)
        let z = try Tensor.gemm(try w.reshaped([o, c * 9]), transA: false, cols, transB: false)
        let q = pooled ? 16 : 64
        func pick(_ m: Tensor) -> [Double] {
            (0..<(o * n * q)).map { k in
                let (filter, image, j) = (k / (n * q), k / q % n, k % q)
                return m.storage[filter * n * 64 + image * 64 + (pooled ? taps[k] : j)]
            }
        }
        let expected = try Tensor(shape: [o, n, pooled ? 4 : 8, pooled ? 4 : 8],
                                  storage: zip(pick(z), (0..<(o * n * q)).map { b.storage[$0 / (n * q)] }).map(+))
        #expect(deviation(y, expected) <= 1e-12)
        if pooled {
            // S chose each window's maximum of the product.
            #expect(try z.reshaped([o, n, 8, 8]).windowMaxima(try #require(pooling)).positions
                    == taps.enumerated().map { k, t in (k / q) * 64 + t })
        }

        // Sᵀ(g) scattered back into [O, N·64], then the two gradients whole.
        let g = try Tensor.randn(layer.outputShape, using: &rng)
        var unpooled = [Double](repeating: 0, count: o * n * 64)
        for k in 0..<(o * n * q) {
            let (filter, image, j) = (k / (n * q), k / q % n, k % q)
            unpooled[filter * n * 64 + image * 64 + (pooled ? taps[k] : j)] += g.storage[k]
        }
        let gz = try Tensor(shape: [o, n * 64], storage: unpooled)
        let wbar = try Tensor.gemm(gz, transA: false, cols, transB: true).reshaped([o, c, 3, 3])
        #expect(deviation(try layer.filterGradient([(g, x)]), wbar) <= 1e-12)
        let xbar = try Tensor.gemm(try w.reshaped([o, c * 9]), transA: true, gz, transB: false).col2im(geometry)
        #expect(deviation(try layer.inputGradient([(g, w)]), xbar) <= 1e-12)
        // Two terms are the sum of one each.
        let x2 = try Tensor.randn(x.shape, using: &rng), w2 = try Tensor.randn(w.shape, using: &rng)
        let pair = try layer.forward([(x, w), (x2, w2)]).y
        let sum = try layer.forward([(x, w)]).y.binary(.add, try layer.forward([(x2, w2)]).y)
        #expect(deviation(pair, sum) <= 1e-12)
    }

    /// The cnn's block against conv2d → + b → relu → maxpool2d written with the public
    /// primitives on batch-major images: value, gradient and HVP of a quadratic loss of two
    /// blocks, at inputs that are whole numbers with many zeros and zero biases (the digits'
    /// case, where many windows tie at 0 before the relu).
    @Test("two fused blocks match the composed primitives: value, gradient and HVP")
    func fusedBlocksMatchComposition() throws {
        var rng = RandomGenerator(seed: 9)
        let n = 7
        let pixels = try Tensor.randn([n, 1, 8, 8], using: &rng).storage.map { Swift.max(0, ($0 * 6).rounded()) }
        let images = try Tensor(shape: [n, 1, 8, 8], storage: pixels)
        let sizes = [4 * 9, 4, 6 * 4 * 9, 6]
        let theta = try Tensor.randn([sizes.reduce(0, +)], using: &rng).storage.enumerated().map { k, v in
            // The biases (entries 36..<40 and 256..<262) start at 0.
            (36..<40).contains(k) || (256..<262).contains(k) ? 0 : v
        }
        let weights = try Tensor.randn([n * 6 * 2 * 2], using: &rng)
        func blocks(_ p: Var) throws -> [Var] {
            var offset = 0
            return try zip(sizes, [[4, 1, 3, 3], [4], [6, 4, 3, 3], [6]]).map { size, shape in
                defer { offset += size }
                return try p.index([.slice(start: offset, stop: offset + size, step: 1)]).reshaped(shape)
            }
        }
        let fused: (Var) throws -> Var = { p in
            let b = try blocks(p)
            var y = try Var(images).reshaped([1, n, 8, 8])
            y = try Var.convolutionBlock(y, b[0], b[1], padding: .same, activation: .relu, pool: 2)
            y = try Var.convolutionBlock(y, b[2], b[3], padding: .same, activation: .relu, pool: 2)
            let rows = try y.transposed([1, 0, 2, 3]).reshaped([n * 6 * 2 * 2])
            return try (rows * rows * Var(weights)).sum()
        }
        let composed: (Var) throws -> Var = { p in
            let b = try blocks(p)
            var y = Var(images)
            y = try y.conv2d(b[0], bias: b[1], padding: .same).relu().maxPool2d(2)
            y = try y.conv2d(b[2], bias: b[3], padding: .same).relu().maxPool2d(2)
            let rows = try y.reshaped([n * 6 * 2 * 2])
            return try (rows * rows * Var(weights)).sum()
        }
        let p = Var(Tensor(theta)), v = Var(try Tensor.randn([theta.count], using: &rng))
        #expect(deviation(try fused(p).value, try composed(p).value) <= 1e-12)
        #expect(deviation(try grad(fused)(p).value, try grad(composed)(p).value) <= 1e-12)
        for mode in [HVPMode.reverseOverReverse, .forwardOverReverse] {
            #expect(deviation(try hvp(fused, at: p, v, mode: mode).value, try hvp(composed, at: p, v, mode: mode).value) <= 1e-12)
        }
    }
}
