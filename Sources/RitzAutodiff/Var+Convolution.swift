import RitzTensor

/// Convolution and pooling layers. A convolution is three bilinear primitives — the product
/// S(W·cols(x)), its filter gradient and its input gradient (``ConvolutionLayer``) — each the
/// others' derivative, so reverse rules, tangent rules and every higher derivative (the
/// forward-over-reverse HVP) are made of them; pooling is a window-maximum gather.
extension Var {
    /// 2-d cross-correlation of images with filters (PyTorch's `conv2d`, JAX's
    /// `conv_general_dilated` in NCHW / OIHW layout), without bias:
    /// y[n, o, i, j] = Σ_{c, a, b} w[o, c, a, b] · x[n, c, i·s − padTop + a·d, j·s − padLeft + b·d],
    /// zero outside x. Computed as W·im2col(x) with W = w reshaped to `[O, C·KH·KW]`, on the
    /// images channel-major (``convolved(_:_:_:)``); then x̄ = col2im(Wᵀ·ȳ), w̄ = ȳ·colsᵀ,
    /// ẏ = Ẇ·cols + W·im2col(ẋ).
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
        if let bias { try Var.checkBias(bias, w) }
        return try Var.convolve(self, w, geometry, op: "conv2d", bias: bias)
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
        try checkBias(b, w)
        guard pool >= 1, pool <= WindowGeometry.largestParameter else {
            throw TensorError.invalidArgument("maxpool2d: the window size must be between 1 and \(WindowGeometry.largestParameter), got \(pool)")
        }
        let geometry = try WindowGeometry(op: "conv2d", input: x.shape, kernel: (w.shape[2], w.shape[3]),
                                          stride: (1, 1), padding: (padding, padding), dilation: (1, 1),
                                          layout: .channelMajor)
        func activate(_ v: Var) throws -> Var { try activation.map { try v.unary($0) } ?? v }
        let poolsFirst = pool > 1 && activation.map(Var.nondecreasing.contains) ?? true
        if poolsFirst && !KroneckerCapture.isRecording {
            // The convolution and the pooling in one primitive: the unpooled maps never exist.
            guard w.shape[1] == geometry.channels else { throw channelMismatch("conv2d", geometry, w) }
            let filters = w.shape[0]
            let pooling = try WindowGeometry(op: "maxpool2d", input: [filters, geometry.batch, geometry.outHeight, geometry.outWidth],
                                             kernel: (pool, pool), stride: (pool, pool),
                                             padding: (.explicit(0), .explicit(0)), dilation: (1, 1))
            let layer = ConvolutionLayer(geometry: geometry, filters: filters, pooling: pooling)
            let (maxima, taps) = try layer.forward([(x.value, w.value)], bias: b.value, selecting: true)
            return try activate(convolutionNode(x, w, b, layer.picking(taps), value: maxima))
        }
        if poolsFirst {
            let z = try convolve(x, w, geometry, op: "conv2d", bias: b, addingBias: false)
            return try activate(z.maxPool2d(pool) + b.reshaped([b.count, 1, 1, 1]))
        }
        let y = try activate(convolve(x, w, geometry, op: "conv2d", bias: b))
        return pool > 1 ? try y.maxPool2d(pool) : y
    }

    /// Refuses a bias that is not one value per filter.
    ///
    /// - Throws: `ShapeError.invalid`.
    private static func checkBias(_ b: Var, _ w: Var) throws {
        guard b.shape == [w.shape[0]] else {
            throw ShapeError.invalid("conv2d: the bias must have one value per filter, shape [\(w.shape[0])], got \(formatShape(b.shape))")
        }
    }

    /// The elementwise functions that never decrease, so commute with a window maximum.
    static let nondecreasing: Set<UnaryOp> = [.relu, .tanh, .sigmoid]

    /// The error for filters whose input channels are not the images'.
    private static func channelMismatch(_ op: String, _ g: WindowGeometry, _ w: Var) -> ShapeError {
        .invalid("\(op): the input has \(g.channels) channels but the filters \(formatShape(w.shape)) expect \(w.shape[1])")
    }

    /// W·im2col(x) + b: `[N, O, OH, OW]` for batch-major x, `[O, N, OH, OW]` for channel-major x.
    /// Batch-major images are made channel-major first and the result made batch-major after
    /// (a reshape when there is one channel, one filter); while a ``KroneckerCapture`` records,
    /// the product `[O, N·OH·OW]` gets its probe and the bias is paired with the filters.
    ///
    /// - Parameters:
    ///   - bias: `[O]`, or nil.
    ///   - addingBias: False to leave the bias out of the result (only pair it with the filters).
    private static func convolve(_ x: Var, _ w: Var, _ geometry: WindowGeometry, op: String, bias: Var? = nil,
                                 addingBias: Bool = true) throws -> Var {
        let g = geometry
        guard w.shape[1] == g.channels else { throw channelMismatch(op, g, w) }
        let filters = w.shape[0]
        let byChannel = g.laidOut(.channelMajor)
        let input = g.layout == .channelMajor ? x : try swapLeadingAxes(x)
        var y = try convolved(input, w, bias: addingBias ? bias : nil, ConvolutionLayer(geometry: byChannel, filters: filters))
        if KroneckerCapture.isRecording {
            let product = try y.reshaped([filters, g.batch * g.outPositions])
            if let probed = try KroneckerCapture.convolution({ try input.value.im2col(byChannel) }, w, bias: bias, product: product) {
                y = try probed.reshaped(y.shape)
            }
        }
        return g.layout == .channelMajor ? y : try swapLeadingAxes(y)
    }

    /// `[A, B, H, W]` → `[B, A, H, W]`: a reshape when A or B is 1, else a transpose.
    private static func swapLeadingAxes(_ v: Var) throws -> Var {
        let s = v.shape
        return s[0] == 1 || s[1] == 1 ? try v.reshaped([s[1], s[0], s[2], s[3]]) : try v.transposed([1, 0, 2, 3])
    }

    /// The forward product of a ``ConvolutionLayer``, S(W·cols(x)), as a primitive.
    ///
    /// Bilinear in (x, w), so ẏ = S(Ẇ·cols(x)) + S(W·cols(ẋ)) (one fused pass outside a
    /// recording), and x̄ = col2im(Wᵀ·Sᵀ(ȳ)), w̄ = Sᵀ(ȳ)·cols(x)ᵀ: the layer's other products.
    ///
    /// - Parameters:
    ///   - x: Channel-major images `[C, N, H, W]`.
    ///   - w: Filters `[O, C, KH, KW]`.
    ///   - layer: The layer (its S fixed).
    /// - Returns: `[O, N, OH', OW']`.
    /// - Throws: `ShapeError` for operands of other shapes.
    static func convolved(_ x: Var, _ w: Var, bias: Var? = nil, _ layer: ConvolutionLayer) throws -> Var {
        try convolutionNode(x, w, bias, layer, value: layer.forward([(x.value, w.value)], bias: bias?.value).y)
    }

    /// The node of ``convolved(_:_:bias:_:)`` with its value already computed: S(W·cols(x)) + b.
    ///
    /// The bias's cotangent is the sum of each map's: b̄[o] = Σ ȳ[o, …]; its tangent adds ḃ to
    /// every map (in the same fused pass outside a recording).
    private static func convolutionNode(_ x: Var, _ w: Var, _ b: Var?, _ layer: ConvolutionLayer, value: Tensor) throws -> Var {
        try apply("conv2d", b.map { [x, w, $0] } ?? [x, w], value: value, rule: Rule(
            vjp: { g, c in
                let (x, w) = (c.inputs[0], c.inputs[1])
                let filters = layer.filters
                return [c.needs[0] ? try convolutionInputGradient(g, w, layer) : nil,
                        c.needs[1] ? try convolutionFilterGradient(g, x, layer) : nil,
                        c.needs.count > 2 && c.needs[2] ? try g.reshaped([filters, g.count / Swift.max(filters, 1)]).sum(axis: 1) : nil]
            },
            jvp: { t, c in
                let (x, w) = (c.inputs[0], c.inputs[1])
                let terms = try bilinearTerms(t[0].map { ($0, w) }, t[1].map { (x, $0) },
                                              shapes: (layer.geometry.inputShape, layer.filterShape))
                let bias = t.count > 2 ? t[2] : nil
                if !(bias?.isTraced ?? false), !terms.contains(where: { $0.0.isTraced || $0.1.isTraced }) {
                    guard !terms.isEmpty || bias != nil else { return nil }
                    return Var(try layer.forward(terms.map { ($0.0.value, $0.1.value) }, bias: bias?.value).y)
                }
                let product = try recordedSum(terms) { try convolved($0, $1, layer) }
                guard let bias else { return product }
                let perMap = try bias.reshaped([layer.filters, 1, 1, 1])
                return try product.map { try $0 + perMap } ?? perMap.broadcast(to: layer.outputShape)
            }))
    }

    /// w̄ = Sᵀ(g)·cols(x)ᵀ, the filters' cotangent of a ``ConvolutionLayer``, as a primitive.
    ///
    /// Bilinear in (g, x): its own cotangent h gives ḡ = S(h·cols(x)) (the forward product with
    /// filters h) and x̄ = col2im(hᵀ·Sᵀ(g)) (the input gradient with filters h).
    ///
    /// - Parameters:
    ///   - g: A cotangent of the layer's output `[O, N, OH', OW']`.
    ///   - x: Channel-major images `[C, N, H, W]`.
    ///   - layer: The layer.
    /// - Returns: `[O, C, KH, KW]`.
    /// - Throws: `ShapeError` for operands of other shapes.
    static func convolutionFilterGradient(_ g: Var, _ x: Var, _ layer: ConvolutionLayer) throws -> Var {
        try apply("conv2d_filter_grad", [g, x], value: layer.filterGradient([(g.value, x.value)]), rule: Rule(
            vjp: { h, c in
                let (g, x) = (c.inputs[0], c.inputs[1])
                return [c.needs[0] ? try convolved(x, h, layer) : nil,
                        c.needs[1] ? try convolutionInputGradient(g, h, layer) : nil]
            },
            jvp: { t, c in
                let (g, x) = (c.inputs[0], c.inputs[1])
                return try bilinearSum(t[0].map { ($0, x) }, t[1].map { (g, $0) },
                                       shapes: (layer.outputShape, layer.geometry.inputShape),
                                       fused: layer.filterGradient, recorded: { try convolutionFilterGradient($0, $1, layer) })
            }))
    }

    /// x̄ = col2im(Wᵀ·Sᵀ(g)), the images' cotangent of a ``ConvolutionLayer``, as a primitive.
    ///
    /// Bilinear in (g, w): its own cotangent h gives ḡ = S(W·cols(h)) (the forward product of
    /// images h) and w̄ = Sᵀ(g)·cols(h)ᵀ (the filter gradient at images h).
    ///
    /// - Parameters:
    ///   - g: A cotangent of the layer's output `[O, N, OH', OW']`.
    ///   - w: Filters `[O, C, KH, KW]`.
    ///   - layer: The layer.
    /// - Returns: `[C, N, H, W]`.
    /// - Throws: `ShapeError` for operands of other shapes.
    static func convolutionInputGradient(_ g: Var, _ w: Var, _ layer: ConvolutionLayer) throws -> Var {
        try apply("conv2d_input_grad", [g, w], value: layer.inputGradient([(g.value, w.value)]), rule: Rule(
            vjp: { h, c in
                let (g, w) = (c.inputs[0], c.inputs[1])
                return [c.needs[0] ? try convolved(h, w, layer) : nil,
                        c.needs[1] ? try convolutionFilterGradient(g, h, layer) : nil]
            },
            jvp: { t, c in
                let (g, w) = (c.inputs[0], c.inputs[1])
                return try bilinearSum(t[0].map { ($0, w) }, t[1].map { (g, $0) },
                                       shapes: (layer.outputShape, layer.filterShape),
                                       fused: layer.inputGradient, recorded: { try convolutionInputGradient($0, $1, layer) })
            }))
    }

    /// The tangent of a bilinear f(a, b): f(ȧ, b) + f(a, ḃ) over the terms present (nil for
    /// none). Outside a recording both terms go to one fused pass of f on the values; recorded,
    /// each is a node of its own.
    private static func bilinearSum(_ first: (Var, Var)?, _ second: (Var, Var)?, shapes: ([Int], [Int]),
                                    fused: ([(Tensor, Tensor)]) throws -> Tensor,
                                    recorded: (Var, Var) throws -> Var) throws -> Var? {
        let terms = try bilinearTerms(first, second, shapes: shapes)
        guard !terms.isEmpty else { return nil }
        if !terms.contains(where: { $0.0.isTraced || $0.1.isTraced }) {
            return Var(try fused(terms.map { ($0.0.value, $0.1.value) }))
        }
        return try recordedSum(terms, recorded)
    }

    /// The terms present, a tangent smaller than its operand broadcast to the operand's shape.
    private static func bilinearTerms(_ first: (Var, Var)?, _ second: (Var, Var)?, shapes: ([Int], [Int])) throws -> [(Var, Var)] {
        func fit(_ v: Var, _ shape: [Int]) throws -> Var { v.shape == shape ? v : try v.broadcast(to: shape) }
        return try [first, second].compactMap { $0 }.map { (try fit($0.0, shapes.0), try fit($0.1, shapes.1)) }
    }

    /// Σ f(a, b) over the terms, each recorded as a node of its own; nil for no terms.
    private static func recordedSum(_ terms: [(Var, Var)], _ f: (Var, Var) throws -> Var) throws -> Var? {
        var out: Var?
        for (a, b) in terms {
            let term = try f(a, b)
            out = try out.map { try $0 + term } ?? term
        }
        return out
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
