import RitzTensor

/// Convolution and pooling layers, composed from two linear primitives (`im2col` and its
/// transpose `col2im`), the matrix product `gemm` and a window-maximum gather, so their reverse
/// rules, tangent rules and every higher derivative (the forward-over-reverse HVP) follow from
/// those primitives' rules.
extension Var {
    /// 2-d cross-correlation of images with filters (PyTorch's `conv2d`, JAX's
    /// `conv_general_dilated` in NCHW / OIHW layout), without bias:
    /// y[n, o, i, j] = Σ_{c, a, b} w[o, c, a, b] · x[n, c, i·s − padTop + a·d, j·s − padLeft + b·d],
    /// zero outside x. Computed as W·im2col(x) with W = w reshaped to `[O, C·KH·KW]`; then
    /// x̄ = col2im(Wᵀ·ȳ), w̄ = ȳ·colsᵀ, ẏ = Ẇ·cols + W·im2col(ẋ).
    ///
    /// - Parameters:
    ///   - w: Filters `[O, C, KH, KW]`.
    ///   - bias: One value per filter added to its map (`[O]`), or nil; given here, a
    ///     ``KroneckerCapture`` pairs it with the filters.
    ///   - stride: The step between windows along both axes.
    ///   - padding: Zeros on every side, or `.same`.
    ///   - dilation: The spacing of kernel taps along both axes.
    /// - Returns: `[N, O, OH, OW]`.
    /// - Throws: `ShapeError` for ranks or channels that do not match, `TensorError.invalidArgument`
    ///   for a stride, padding or dilation out of range.
    public func conv2d(_ w: Var, bias: Var? = nil, stride: Int = 1, padding: ConvPadding = .explicit(0),
                       dilation: Int = 1) throws -> Var {
        guard w.ndim == 4 else {
            throw ShapeError.wrongRank(op: "conv2d", expected: "filters [O, C, KH, KW]", got: w.shape)
        }
        let geometry = try WindowGeometry(op: "conv2d", input: shape, kernel: (w.shape[2], w.shape[3]),
                                          stride: (stride, stride), padding: (padding, padding),
                                          dilation: (dilation, dilation))
        if let bias, bias.shape != [w.shape[0]] {
            throw ShapeError.invalid("conv2d: the bias must have one value per filter, shape [\(w.shape[0])], got \(formatShape(bias.shape))")
        }
        let y = try Var.convolve(self, w, geometry, op: "conv2d", bias: bias)
        guard let bias else { return y }
        return try y + bias.reshaped([bias.count, 1, 1])
    }

    /// 1-d cross-correlation of sequences with filters: y[n, o, i] = Σ_{c, k} w[o, c, k] ·
    /// x[n, c, i·s − pad + k·d]; a `conv2d` over images of height 1.
    ///
    /// - Parameters:
    ///   - w: Filters `[O, C, K]`.
    ///   - stride: The step between windows.
    ///   - padding: Zeros at both ends, or `.same`.
    ///   - dilation: The spacing of kernel taps.
    /// - Returns: `[N, O, OL]`.
    /// - Throws: as `conv2d`.
    public func conv1d(_ w: Var, stride: Int = 1, padding: ConvPadding = .explicit(0), dilation: Int = 1) throws -> Var {
        guard ndim == 3 else { throw ShapeError.wrongRank(op: "conv1d", expected: "an input [N, C, L]", got: shape) }
        guard w.ndim == 3 else { throw ShapeError.wrongRank(op: "conv1d", expected: "filters [O, C, K]", got: w.shape) }
        let geometry = try WindowGeometry(op: "conv1d", input: [shape[0], shape[1], 1, shape[2]],
                                          kernel: (1, w.shape[2]), stride: (1, stride),
                                          padding: (.explicit(0), padding), dilation: (1, dilation))
        let x4 = try reshaped(geometry.inputShape)
        let w4 = try w.reshaped([w.shape[0], w.shape[1], 1, w.shape[2]])
        let y = try Var.convolve(x4, w4, geometry, op: "conv1d")
        return try y.reshaped([shape[0], w.shape[0], geometry.outWidth])
    }

    /// A convolutional block on channel-major images: y = maxpool_p(f(conv2d(x, w) + b)), x
    /// `[C, N, H, W]` → y `[O, N, OH', OW']`, with p×p max pooling of stride p (p = 1: none).
    ///
    /// In this layout the product W·im2col(x) is already the result (`[O, N·OH·OW]`), so a chain
    /// of blocks needs no transposes. When f is nondecreasing (relu, tanh, sigmoid, the identity)
    /// the block is computed as f(maxpool_p(conv2d(x, w)) + b): a per-map constant and f commute
    /// with the window maximum, max f(z + b) = f(max z + b), the first maximal tap of z being a
    /// first maximal tap of f(z + b); where f is flat (relu below 0) the derivative is 0 either
    /// way. The bias and f then touch the pooled maps only, a p²-th of the convolution's output.
    ///
    /// - Parameters:
    ///   - x: Channel-major images `[C, N, H, W]`.
    ///   - w: Filters `[O, C, KH, KW]`.
    ///   - b: One bias per filter, `[O]`; a ``KroneckerCapture`` pairs it with the filters.
    ///   - padding: Zeros on every side, or `.same`.
    ///   - activation: f, nil for the identity.
    ///   - pool: The pooling window p (≥ 1).
    /// - Returns: `[O, N, OH', OW']`, OH' = ⌊(OH − p)/p⌋ + 1.
    /// - Throws: `ShapeError` for ranks, channels or a bias that do not match, or maps smaller
    ///   than the pooling window; `TensorError.invalidArgument` for a padding or pool out of range.
    public static func convolutionBlock(_ x: Var, _ w: Var, _ b: Var, padding: ConvPadding = .explicit(0),
                                        activation: UnaryOp?, pool: Int) throws -> Var {
        guard w.ndim == 4 else {
            throw ShapeError.wrongRank(op: "conv2d", expected: "filters [O, C, KH, KW]", got: w.shape)
        }
        guard b.shape == [w.shape[0]] else {
            throw ShapeError.invalid("conv2d: the bias must have one value per filter, shape [\(w.shape[0])], got \(formatShape(b.shape))")
        }
        guard pool >= 1, pool <= WindowGeometry.largestParameter else {
            throw TensorError.invalidArgument("maxpool2d: the window size must be between 1 and \(WindowGeometry.largestParameter), got \(pool)")
        }
        let geometry = try WindowGeometry(op: "conv2d", input: x.shape, kernel: (w.shape[2], w.shape[3]),
                                          stride: (1, 1), padding: (padding, padding), dilation: (1, 1),
                                          layout: .channelMajor)
        let z = try convolve(x, w, geometry, op: "conv2d", bias: b)
        let perMap = try b.reshaped([b.count, 1, 1, 1])
        func activate(_ v: Var) throws -> Var { try activation.map { try v.unary($0) } ?? v }
        guard pool > 1 else { return try activate(z + perMap) }
        if activation.map(Var.nondecreasing.contains) ?? true {
            return try activate(z.maxPool2d(pool) + perMap)
        }
        return try activate(z + perMap).maxPool2d(pool)
    }

    /// The elementwise functions that never decrease, so commute with a window maximum.
    static let nondecreasing: Set<UnaryOp> = [.relu, .tanh, .sigmoid]

    /// W·im2col(x): `[N, O, OH, OW]` for batch-major x (the product rearranged), `[O, N, OH, OW]`
    /// for channel-major x (the product itself).
    private static func convolve(_ x: Var, _ w: Var, _ geometry: WindowGeometry, op: String, bias: Var? = nil) throws -> Var {
        let g = geometry
        guard w.shape[1] == g.channels else {
            throw ShapeError.invalid("\(op): the input has \(g.channels) channels but the filters \(formatShape(w.shape)) expect \(w.shape[1])")
        }
        let filters = w.shape[0]
        let cols = try x.im2col(g)
        let wMatrix = try w.reshaped([filters, g.channels * g.kernelHeight * g.kernelWidth])
        let product = try gemm(wMatrix, transA: false, cols, transB: false)
        let y = try KroneckerCapture.convolution(cols, w, bias: bias, product: product) ?? product
        let maps = try y.reshaped([filters, g.batch, g.outHeight, g.outWidth])
        return g.layout == .channelMajor ? maps : try maps.transposed([1, 0, 2, 3])
    }

    /// Max pooling over k×k windows of images `[N, C, H, W]` (no padding; windows that do not fit
    /// are dropped, as JAX's `reduce_window` with `"VALID"`). The maxima and their positions come
    /// from one pass; the positions are kept for the rules, so ȳ flows to the maximum only (a
    /// scatter) and ẏ gathers the tangent there. On ties the first in row-major window order
    /// wins, as XLA's `select_and_scatter` with `ge` (JAX's gradient of `reduce_window` max).
    /// Every H×W map is pooled alone, so channel-major images `[C, N, H, W]` pool the same way.
    ///
    /// - Parameters:
    ///   - k: The window size.
    ///   - stride: The step between windows, `k` when nil.
    /// - Returns: `[N, C, OH, OW]` with OH = ⌊(H − k)/s⌋ + 1.
    /// - Throws: `ShapeError` for a rank other than 4 or a window larger than the image,
    ///   `TensorError.invalidArgument` for k or stride out of range.
    public func maxPool2d(_ k: Int, stride: Int? = nil) throws -> Var {
        let g = try poolGeometry("maxpool2d", k, stride)
        let (maxima, positions) = try value.windowMaxima(g)
        let (inShape, outShape) = (shape, maxima.shape)
        return try Var.apply("maxpool2d", [self], value: maxima,
                             rule: .linear(apply: { try $0.gather(positions, shape: outShape) },
                                           transpose: { try $0.scatterAdd(positions, shape: inShape) }))
    }

    /// Average pooling over k×k windows of images `[N, C, H, W]` (no padding): the mean of each
    /// window, a linear map whose transpose spreads ȳ/k² over the window.
    ///
    /// - Parameters:
    ///   - k: The window size.
    ///   - stride: The step between windows, `k` when nil.
    /// - Returns: `[N, C, OH, OW]`.
    /// - Throws: as `maxPool2d`.
    public func avgPool2d(_ k: Int, stride: Int? = nil) throws -> Var {
        let g = try poolGeometry("avgpool2d", k, stride)
        // Each channel as its own one-channel image: the columns are [k·k, N·C·OH·OW].
        let planes = try WindowGeometry(op: "avgpool2d", input: [g.batch * g.channels, 1, g.height, g.width],
                                        kernel: (k, k), stride: (g.strideH, g.strideW),
                                        padding: (.explicit(0), .explicit(0)), dilation: (1, 1))
        let cols = try reshaped(planes.inputShape).im2col(planes)
        return try cols.mean(axis: 0).reshaped([g.batch, g.channels, g.outHeight, g.outWidth])
    }

    /// The geometry of a k×k pooling window with the given stride (k when nil), no padding.
    private func poolGeometry(_ op: String, _ k: Int, _ stride: Int?) throws -> WindowGeometry {
        let limit = WindowGeometry.largestParameter
        guard k >= 1, k <= limit else {
            throw TensorError.invalidArgument("\(op): the window size must be between 1 and \(limit), got \(k)")
        }
        let s = stride ?? k
        return try WindowGeometry(op: op, input: shape, kernel: (k, k), stride: (s, s),
                                  padding: (.explicit(0), .explicit(0)), dilation: (1, 1))
    }

    /// The column matrix of `Tensor.im2col`: linear, with `col2im` as its transpose.
    func im2col(_ geometry: WindowGeometry) throws -> Var {
        try Var.apply("im2col", [self], value: value.im2col(geometry),
                      rule: .linear(apply: { try $0.im2col(geometry) }, transpose: { try $0.col2im(geometry) }))
    }

    /// `Tensor.col2im`: linear, with `im2col` as its transpose.
    func col2im(_ geometry: WindowGeometry) throws -> Var {
        try Var.apply("col2im", [self], value: value.col2im(geometry),
                      rule: .linear(apply: { try $0.col2im(geometry) }, transpose: { try $0.im2col(geometry) }))
    }
}
