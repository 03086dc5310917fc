/// Sliding windows over images `[N, C, H, W]`: the im2col / col2im pair that turns a convolution
/// into one matrix product (Chellapilla, Puri & Simard 2006, "High performance convolutional
/// neural networks for document processing"), and the window maxima of max pooling.

/// Zero padding of a convolution: the same number of zeros on every side, or JAX's / TensorFlow's
/// `"SAME"` (output length ⌈L / stride⌉, the padding split with the smaller half first).
public enum ConvPadding: Equatable, Sendable {
    /// `pad` zeros before and after along every spatial axis.
    case explicit(Int)
    /// Enough zeros that the output has ⌈L / stride⌉ positions.
    case same

    /// The zeros before and after one axis.
    ///
    /// JAX's `padtype_to_pads`: total = max((⌈L/s⌉ − 1)·s + extent − L, 0), low = ⌊total/2⌋.
    ///
    /// - Parameters:
    ///   - length: The input length along the axis.
    ///   - extent: The dilated kernel extent (K − 1)·d + 1.
    ///   - stride: The stride (≥ 1).
    /// - Returns: (low, high) padding.
    func pads(length: Int, extent: Int, stride: Int) -> (low: Int, high: Int) {
        switch self {
        case let .explicit(p): return (p, p)
        case .same:
            let out = (length + stride - 1) / stride
            let total = Swift.max((out - 1) * stride + extent - length, 0)
            return (total / 2, total - total / 2)
        }
    }
}

/// The order of a batch of images in memory. Both keep each H×W map contiguous; they differ in
/// which of batch and channel is the outer axis.
public enum ImageLayout: Equatable, Sendable {
    /// `[N, C, H, W]`: each image's maps together (PyTorch's and JAX's NCHW).
    case batchMajor
    /// `[C, N, H, W]`: each channel's maps over the batch together. This is the layout of the
    /// product W·cols (`[O, N·OH·OW]`), so a chain of convolutions in it needs no transposes.
    case channelMajor
}

/// The index arithmetic of a 2-d window (kernel, stride, zero padding, dilation) sliding over a
/// batch of images (`[N, C, H, W]`, or `[C, N, H, W]` channel-major); built only through `init`,
/// which checks every size.
public struct WindowGeometry: Equatable, Sendable {
    public let batch: Int, channels: Int, height: Int, width: Int
    /// How the input images lie in memory.
    public private(set) var layout: ImageLayout
    public let kernelHeight: Int, kernelWidth: Int
    public let strideH: Int, strideW: Int
    public let padTop: Int, padLeft: Int
    public let dilationH: Int, dilationW: Int
    /// Output positions along each axis: ⌊(L + pads − ((K − 1)·d + 1)) / s⌋ + 1.
    public let outHeight: Int, outWidth: Int

    /// Largest stride, padding or dilation accepted, so that no size computed from them overflows.
    public static let largestParameter = 1 << 24

    /// The geometry of a window over an input shape.
    ///
    /// - Parameters:
    ///   - op: The operation, named in errors.
    ///   - input: The input shape `[N, C, H, W]`.
    ///   - kernel: (KH, KW).
    ///   - stride: Strides along H and W (≥ 1).
    ///   - padding: Zero padding of H and W (a conv1d passes `.explicit(0)` for its unit H axis).
    ///   - dilation: Dilations along H and W (≥ 1).
    ///   - layout: How the input lies in memory; `input` is `[C, N, H, W]` when channel-major.
    /// - Throws: `ShapeError.wrongRank` for an input that is not 4-d, `TensorError.invalidArgument`
    ///   for a parameter out of range, `ShapeError.invalid` when the window does not fit.
    public init(op: String, input: [Int], kernel: (Int, Int), stride: (Int, Int),
                padding: (ConvPadding, ConvPadding), dilation: (Int, Int), layout: ImageLayout = .batchMajor) throws {
        guard input.count == 4 else {
            let expected = layout == .batchMajor ? "a 4-d input [N, C, H, W]" : "a 4-d channel-major input [C, N, H, W]"
            throw ShapeError.wrongRank(op: op, expected: expected, got: input)
        }
        let limit = WindowGeometry.largestParameter
        for (name, v) in [("stride", stride.0), ("stride", stride.1), ("dilation", dilation.0), ("dilation", dilation.1)]
            where v < 1 || v > limit {
            throw TensorError.invalidArgument("\(op): \(name) must be between 1 and \(limit), got \(v)")
        }
        for p in [padding.0, padding.1] {
            if case let .explicit(v) = p, v < 0 || v > limit {
                throw TensorError.invalidArgument("\(op): pad must be between 0 and \(limit), got \(v)")
            }
        }
        guard kernel.0 >= 1, kernel.1 >= 1 else {
            throw ShapeError.invalid("\(op): the kernel must be at least 1×1, got \(kernel.0)×\(kernel.1)")
        }
        self.layout = layout
        (batch, channels) = layout == .batchMajor ? (input[0], input[1]) : (input[1], input[0])
        (height, width) = (input[2], input[3])
        (kernelHeight, kernelWidth) = kernel
        (strideH, strideW) = stride
        (dilationH, dilationW) = dilation
        // Kernel sizes are dimensions of an allocated tensor, dilation ≤ 2²⁴: no overflow below.
        let extentH = (kernel.0 - 1) * dilation.0 + 1, extentW = (kernel.1 - 1) * dilation.1 + 1
        let (top, bottom) = padding.0.pads(length: height, extent: extentH, stride: stride.0)
        let (left, right) = padding.1.pads(length: width, extent: extentW, stride: stride.1)
        (padTop, padLeft) = (top, left)
        let paddedH = height + top + bottom, paddedW = width + left + right
        guard paddedH >= extentH, paddedW >= extentW else {
            // A window along one axis (a conv1d's) is a length, not a 1×K rectangle.
            let (window, image) = extentH == 1 && paddedH == 1
                ? ("window spanning \(extentW)", "\(paddedW) input positions")
                : ("\(extentH)×\(extentW) window", "\(paddedH)×\(paddedW) input")
            throw ShapeError.invalid("\(op): a \(window) does not fit the \(image) (after padding)")
        }
        outHeight = (paddedH - extentH) / stride.0 + 1
        outWidth = (paddedW - extentW) / stride.1 + 1
        _ = try Tensor.elementCount([channels, kernelHeight, kernelWidth, batch, outHeight, outWidth])
    }

    /// The same window over the same images laid out as `layout`.
    public func laidOut(_ layout: ImageLayout) -> WindowGeometry {
        var g = self
        g.layout = layout
        return g
    }

    /// The input shape: `[N, C, H, W]`, or `[C, N, H, W]` channel-major.
    public var inputShape: [Int] { layout == .batchMajor ? [batch, channels, height, width] : [channels, batch, height, width] }
    /// The distances between the maps of consecutive images and of consecutive channels.
    var planeStrides: (image: Int, channel: Int) {
        let plane = height * width
        return layout == .batchMajor ? (channels * plane, plane) : (plane, batch * plane)
    }
    /// Output positions per image and channel, OH·OW.
    public var outPositions: Int { outHeight * outWidth }
    /// The shape of the column matrix, `[C·KH·KW, N·OH·OW]`.
    public var columnShape: [Int] { [channels * kernelHeight * kernelWidth, batch * outPositions] }

    /// Input row (or column) read by output position `o` and kernel tap `k` along one axis, which
    /// may fall in the padding (outside 0..<length).
    @inline(__always) func source(_ o: Int, _ k: Int, stride: Int, pad: Int, dilation: Int) -> Int {
        o * stride - pad + k * dilation
    }

    /// The output columns whose kernel tap `kw` reads inside the image (not the padding):
    /// iw = ow·sW − padLeft + kw·dW ∈ [0, W).
    @inline(__always) func insideColumns(_ kw: Int) -> Range<Int> {
        let first = padLeft - kw * dilationW, last = width - 1 + padLeft - kw * dilationW
        let lo = first <= 0 ? 0 : (first + strideW - 1) / strideW
        let hi = last < 0 ? 0 : Swift.min(last / strideW + 1, outWidth)
        return Swift.min(lo, hi)..<hi
    }

    /// Runs `body` over pieces of 0..<rows (rows of the column matrix, or channels), on two
    /// threads when the whole pass is large enough; pieces must write disjoint memory.
    func forEachPiece(rows: Int, _ body: (Range<Int>) -> Void) {
        let perRow = Swift.max(batch * outPositions * kernelHeight * kernelWidth * channels / Swift.max(rows, 1), 1)
        Parallel.forEachPiece(rows, minimum: Swift.max(Parallel.minimumElements / perRow, 2), body)
    }
}

extension WindowGeometry {
    /// The column matrix's rows `rows` restricted to the columns of images `images` (im2col of
    /// those images alone): row (c, kh, kw), column (n, oh, ow) gets
    /// x[n, c, oh·sH − padTop + kh·dH, ow·sW − padLeft + kw·dW], 0 in the padding.
    ///
    /// - Parameters:
    ///   - rows: Rows of the column matrix, within 0..<C·KH·KW.
    ///   - images: Images, within 0..<N.
    ///   - src: The whole input, of `inputShape`.
    ///   - dst: Row r is written at dst + (r − rows.lowerBound)·rowStride, its `images.count`·OH·OW
    ///     entries in order (they need not be initialised).
    ///   - rowStride: The distance between rows of `dst`.
    public func writeColumns(rows: Range<Int>, images: Range<Int>, from src: UnsafePointer<Double>,
                             into dst: UnsafeMutablePointer<Double>, rowStride: Int) {
        let strides = planeStrides
        if keepsSize {
            // Each row is the maps shifted by one offset, the taps in the padding masked to 0.
            withTapMasks(images) { masks, span, run in
                for row in rows {
                    let line = dst + (row - rows.lowerBound) * rowStride
                    let mask = masks + row % (kernelHeight * kernelWidth) * span
                    forEachRun(images, longest: run) { first, count in
                        let from = src + first * strides.image + tapChannel(row) * strides.channel
                        let to = line + (first - images.lowerBound) * outPositions
                        let (shift, valid) = shiftedRange(row, count: count)
                        for i in 0..<valid.lowerBound { to[i] = 0 }
                        let shifted = from + shift
                        for i in valid { to[i] = Double(bitPattern: shifted[i].bitPattern & mask[i]) }
                        for i in valid.upperBound..<(count * outPositions) { to[i] = 0 }
                    }
                }
            }
            return
        }
        for row in rows {
            let line = dst + (row - rows.lowerBound) * rowStride
            let c = tapChannel(row)
            let kh = row / kernelWidth % kernelHeight, kw = row % kernelWidth
            let inside = insideColumns(kw)
            let (lo, hi) = (inside.lowerBound, inside.upperBound)
            let shift = kw * dilationW - padLeft
            var out = line
            for n in images {
                let plane = src + n * strides.image + c * strides.channel
                for oh in 0..<outHeight {
                    let ih = source(oh, kh, stride: strideH, pad: padTop, dilation: dilationH)
                    if ih < 0 || ih >= height {
                        for ow in 0..<outWidth { out[ow] = 0 }
                    } else {
                        // Columns lo..<hi read inside the image: iw = ow·sW + shift ∈ [0, W).
                        let from = plane + ih * width
                        for ow in 0..<lo { out[ow] = 0 }
                        if strideW == 1 {
                            for ow in lo..<hi { out[ow] = from[ow + shift] }
                        } else {
                            for ow in lo..<hi { out[ow] = from[ow * strideW + shift] }
                        }
                        for ow in hi..<outWidth { out[ow] = 0 }
                    }
                    out += outWidth
                }
            }
        }
    }

    /// col2im of images `images` alone (the transpose of ``writeColumns(rows:images:from:into:rowStride:)``
    /// over every row): the maps (n, c) of those images and channels `channels` are set to the sum
    /// of the column entries read from each position, added row by row and image by image in
    /// order (entries read from the padding are dropped).
    ///
    /// - Parameters:
    ///   - channels: Channels, within 0..<C; only their rows are read.
    ///   - images: Images, within 0..<N.
    ///   - cols: Row r of the column matrix (those images' columns) at cols + r·rowStride.
    ///   - rowStride: The distance between rows of `cols`.
    ///   - dst: The whole output, of `inputShape`; only the maps of `channels` × `images` are written.
    public func writeImages(channels: Range<Int>, images: Range<Int>, from cols: UnsafePointer<Double>, rowStride: Int,
                            into dst: UnsafeMutablePointer<Double>) {
        let strides = planeStrides
        let taps = kernelHeight * kernelWidth
        if keepsSize {
            // Each row adds onto the shifted maps, its padding entries masked to +0.
            withTapMasks(images) { masks, span, run in
                for c in channels {
                    forEachRun(images, longest: run) { first, count in
                        let to = dst + first * strides.image + c * strides.channel
                        to.initialize(repeating: 0, count: count * height * width)
                        for row in (c * taps)..<((c + 1) * taps) {
                            let from = cols + row * rowStride + (first - images.lowerBound) * outPositions
                            let mask = masks + row % taps * span
                            let (shift, valid) = shiftedRange(row, count: count)
                            let shifted = to + shift
                            for i in valid { shifted[i] += Double(bitPattern: from[i].bitPattern & mask[i]) }
                        }
                    }
                }
            }
            return
        }
        for c in channels {
            forEachRun(images) { first, count in
                (dst + first * strides.image + c * strides.channel).initialize(repeating: 0, count: count * height * width)
            }
            for row in (c * taps)..<((c + 1) * taps) {
                let kh = row / kernelWidth % kernelHeight, kw = row % kernelWidth
                let inside = insideColumns(kw)
                let (lo, hi) = (inside.lowerBound, inside.upperBound)
                let shift = kw * dilationW - padLeft
                var line = cols + row * rowStride
                for n in images {
                    let plane = dst + n * strides.image + c * strides.channel
                    for oh in 0..<outHeight {
                        let ih = source(oh, kh, stride: strideH, pad: padTop, dilation: dilationH)
                        if ih >= 0 && ih < height {
                            let to = plane + ih * width
                            if strideW == 1 {
                                for ow in lo..<hi { to[ow + shift] += line[ow] }
                            } else {
                                for ow in lo..<hi { to[ow * strideW + shift] += line[ow] }
                            }
                        }
                        line += outWidth
                    }
                }
            }
        }
    }

    /// Whether the output maps have the input's size with stride 1 (a "same" convolution): then
    /// row (c, kh, kw) of the column matrix is channel c's maps shifted by one flat offset.
    var keepsSize: Bool { strideH == 1 && strideW == 1 && outHeight == height && outWidth == width }

    /// The channel of the column matrix's row (c, kh, kw).
    @inline(__always) func tapChannel(_ row: Int) -> Int { row / (kernelHeight * kernelWidth) }

    /// `body(first, count)` over runs of consecutive images whose maps of one channel follow each
    /// other in memory, at most `longest` images each: the range in pieces channel-major, one
    /// image at a time batch-major.
    @inline(__always) func forEachRun(_ images: Range<Int>, longest: Int = .max, _ body: (Int, Int) -> Void) {
        guard layout == .channelMajor else {
            for n in images { body(n, 1) }
            return
        }
        var first = images.lowerBound
        while first < images.upperBound {
            let count = Swift.min(longest, images.upperBound - first)
            body(first, count)
            first += count
        }
    }

    /// For a size-keeping window (`keepsSize`): the flat offset of row (c, kh, kw)'s taps,
    /// (kh·dH − padTop)·W + kw·dW − padLeft, and the positions i of `count` consecutive maps whose
    /// tap i + offset lies within those maps (the others are in the padding).
    @inline(__always) func shiftedRange(_ row: Int, count: Int) -> (shift: Int, valid: Range<Int>) {
        let kh = row / kernelWidth % kernelHeight, kw = row % kernelWidth
        let shift = (kh * dilationH - padTop) * width + kw * dilationW - padLeft
        let total = count * height * width
        let lo = Swift.min(Swift.max(0, -shift), total), hi = Swift.max(Swift.min(total, total - shift), lo)
        return (shift, lo..<hi)
    }

    /// `body(masks, span, run)` with, for every tap (kh, kw) of a size-keeping window, the mask
    /// of its row over runs of `run` images (`span` = run·OH·OW entries from masks + tap·span):
    /// all ones at the positions whose tap lies inside the image, 0 where it is in the padding,
    /// so an AND with a value's bits passes it or makes it +0 without a branch. Runs are cut so
    /// the masks stay within 2¹⁶ entries.
    @inline(__always) func withTapMasks(_ images: Range<Int>, _ body: (UnsafePointer<UInt64>, Int, Int) -> Void) {
        let taps = kernelHeight * kernelWidth, plane = outPositions
        let longest = layout == .channelMajor ? Swift.max(1, (1 << 16) / Swift.max(taps * plane, 1)) : 1
        let run = Swift.max(1, Swift.min(longest, images.count)), span = run * plane
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: Swift.max(taps * span, 1)) { buffer in
            guard let masks = buffer.baseAddress else { return }
            for tap in 0..<taps {
                let dh = tap / kernelWidth * dilationH - padTop, dw = tap % kernelWidth * dilationW - padLeft
                let mask = masks + tap * span
                for oh in 0..<outHeight {
                    let rowInside = oh + dh >= 0 && oh + dh < height
                    for ow in 0..<outWidth {
                        mask[oh * outWidth + ow] = rowInside && ow + dw >= 0 && ow + dw < width ? ~0 : 0
                    }
                }
                for k in 1..<run { (mask + k * plane).update(from: mask, count: plane) }
            }
            body(masks, span, run)
        }
    }

    /// True when every window lies inside the image (no tap reads padding).
    var windowsInside: Bool {
        padTop == 0 && padLeft == 0
            && (outHeight - 1) * strideH + (kernelHeight - 1) * dilationH < height
            && (outWidth - 1) * strideW + (kernelWidth - 1) * dilationW < width
    }
}

extension Tensor {
    /// The column matrix of a windowed product: row (c, kh, kw), column (n, oh, ow) holds
    /// x[n, c, oh·sH − padTop + kh·dH, ow·sW − padLeft + kw·dW], or 0 in the padding. A
    /// convolution is then W·cols with W reshaped to `[O, C·KH·KW]` — `[O, N, OH, OW]`, the
    /// channel-major layout.
    ///
    /// - Parameters:
    ///   - geometry: The window; the tensor's shape must be its input shape (in its layout).
    /// - Returns: A `[C·KH·KW, N·OH·OW]` matrix.
    /// - Throws: `ShapeError.mismatch` for another shape, `TensorError.tooLarge`.
    public func im2col(_ geometry: WindowGeometry) throws -> Tensor {
        let g = geometry
        guard shape == g.inputShape else { throw ShapeError.mismatch(op: "im2col", lhs: shape, rhs: g.inputShape) }
        let x = try asFloat()
        let outShape = g.columnShape
        let total = try Tensor.elementCount(outShape)
        let columns = outShape[1]
        let out = try makeStorage(total) { dst in
            let box = UncheckedSendable(dst)
            x.storage.withUnsafeBufferPointer { src in
                guard let src = src.baseAddress else {
                    // No input elements: every tap is padding.
                    dst.initialize(repeating: 0, count: total)
                    return
                }
                // Row by row, so the column matrix is written in order; rows are disjoint.
                g.forEachPiece(rows: outShape[0]) { rows in
                    g.writeColumns(rows: rows, images: 0..<g.batch, from: src, into: box.value + rows.lowerBound * columns,
                                   rowStride: columns)
                }
            }
        }
        return Tensor(unchecked: outShape, out)
    }

    /// The transpose of `im2col`: each column entry added back into the input position it was
    /// read from (entries read from the padding are dropped). Sums run in a fixed order per image.
    ///
    /// - Parameters:
    ///   - geometry: The window; the tensor's shape must be its column shape.
    /// - Returns: A tensor of the input shape (in the geometry's layout).
    /// - Throws: `ShapeError.mismatch` for another shape.
    public func col2im(_ geometry: WindowGeometry) throws -> Tensor {
        let g = geometry
        guard shape == g.columnShape else { throw ShapeError.mismatch(op: "col2im", lhs: shape, rhs: g.columnShape) }
        let cols = try asFloat()
        let total = try Tensor.elementCount(g.inputShape)
        let columns = shape[1]
        let out = try makeStorage(total) { dst in
            let box = UncheckedSendable(dst)
            cols.storage.withUnsafeBufferPointer { src in
                guard let src = src.baseAddress else {
                    dst.initialize(repeating: 0, count: total)
                    return
                }
                // Channel by channel (the rows of one channel write only its maps); each sum runs
                // in the same order for any split.
                g.forEachPiece(rows: g.channels) { channels in
                    g.writeImages(channels: channels, images: 0..<g.batch, from: src, rowStride: columns, into: box.value)
                }
            }
        }
        return Tensor(unchecked: g.inputShape, out)
    }

    /// Flat positions of the window maxima of max pooling, one per output element `[N, C, OH, OW]`
    /// in row-major order (`windowMaxima(_:)`'s positions).
    ///
    /// - Parameters:
    ///   - geometry: The window; the tensor's shape must be its input shape.
    /// - Returns: Indices into the row-major storage of this tensor.
    /// - Throws: `ShapeError.mismatch` for another shape.
    public func windowArgmax(_ geometry: WindowGeometry) throws -> [Int] {
        try windowMaxima(geometry).positions
    }

    /// The maximum of every window of max pooling and its flat position, one per output element
    /// (`[N, C, OH, OW]`, or `[C, N, OH, OW]` channel-major: every H×W map is pooled alone) in
    /// row-major order. Within a window the taps are scanned row by row and the first maximum
    /// wins a tie (a NaN counts as a maximum, so it propagates); padding is never chosen.
    ///
    /// - Parameters:
    ///   - geometry: The window; the tensor's shape must be its input shape.
    /// - Returns: The maxima and their indices into the row-major storage of this tensor.
    /// - Throws: `ShapeError.mismatch` for another shape.
    public func windowMaxima(_ geometry: WindowGeometry) throws -> (values: Tensor, positions: [Int]) {
        let g = geometry
        guard shape == g.inputShape else { throw ShapeError.mismatch(op: "maxpool2d", lhs: shape, rhs: g.inputShape) }
        let x = try asFloat()
        let planes = g.batch * g.channels, perPlane = g.outPositions, plane = g.height * g.width
        let total = planes * perPlane
        var values = [Double]()
        let positions = [Int](unsafeUninitializedCapacity: total) { positions, initialized in
            values = [Double](unsafeUninitializedCapacity: total) { maxima, written in
                x.storage.withUnsafeBufferPointer { src in
                    // No output without input elements: the geometry refuses empty maps.
                    guard let src = src.baseAddress, let at = positions.baseAddress, let top = maxima.baseAddress else { return }
                    let box = UncheckedSendable((at, top))
                    // Maps are independent: two threads take halves of them once the pass is large.
                    Parallel.forEachPiece(planes, minimum: Swift.max(Parallel.minimumElements / Swift.max(plane, 1), 2)) { piece in
                        let (positions, maxima) = box.value
                        let first = piece.lowerBound * perPlane
                        g.maxima(ofMaps: src + piece.lowerBound * plane, count: piece.count,
                                 positions: positions + first, values: maxima + first)
                        // Positions within each map, made positions within the tensor.
                        for p in piece {
                            for j in (p * perPlane)..<((p + 1) * perPlane) { positions[j] += p * plane }
                        }
                    }
                }
                written = total
            }
            initialized = total
        }
        return (Tensor(unchecked: g.outputShapeOfPooling, values), positions)
    }
}

extension WindowGeometry {
    /// The pooled shape: the input's two leading axes (in its layout) and OH, OW.
    public var outputShapeOfPooling: [Int] {
        let lead = inputShape
        return [lead[0], lead[1], outHeight, outWidth]
    }

    /// The window maxima of `count` consecutive H×W maps and their positions within each map
    /// (0..<H·W), OH·OW per map in output order. The taps of a window are scanned row by row and
    /// the first maximum wins a tie; a NaN beats a number (so it propagates), never another NaN;
    /// padding is never chosen.
    ///
    /// - Parameters:
    ///   - maps: The maps.
    ///   - count: How many.
    ///   - positions: count·OH·OW positions, written.
    ///   - values: count·OH·OW maxima, written.
    public func maxima(ofMaps maps: UnsafePointer<Double>, count: Int, positions: UnsafeMutablePointer<Int>,
                       values: UnsafeMutablePointer<Double>) {
        let plane = height &* width, perMap = outPositions
        /// Whether v displaces the best so far: larger, or a NaN over a number (without branches,
        /// which random data would mispredict).
        @inline(__always) func displaces(_ v: Double, _ best: Double) -> Bool {
            ((v > best ? 1 : 0) | ((v != v ? 1 : 0) & (best == best ? 1 : 0))) != 0
        }
        if windowsInside && kernelHeight == 2 && kernelWidth == 2 && strideW == 2 && dilationH == 1 && dilationW == 1 {
            // 2×2 windows side by side along a row: two windows at once as SIMD lanes, their
            // top and bottom rows' even and odd entries the four taps in scan order.
            /// Lanes where v displaces the best so far take v and its position.
            @inline(__always) func consider(_ v: SIMD2<Double>, _ at: SIMD2<Int64>, _ best: inout SIMD2<Double>,
                                            _ where_: inout SIMD2<Int64>) {
                let wins = (v .> best) .| ((v .!= v) .& (best .== best))
                best.replace(with: v, where: wins)
                where_.replace(with: at, where: wins)
            }
            for m in 0..<count {
                let map = maps + m &* plane
                var k = m &* perMap
                for oh in 0..<outHeight {
                    let line = oh &* strideH &* width
                    var ow = 0
                    while ow &+ 2 <= outWidth {
                        let first = line &+ ow &* 2
                        let top = UnsafeRawPointer(map + first).loadUnaligned(as: SIMD4<Double>.self)
                        let bottom = UnsafeRawPointer(map + (first &+ width)).loadUnaligned(as: SIMD4<Double>.self)
                        let at = SIMD2<Int64>(Int64(first), Int64(first &+ 2))
                        var best = top.evenHalf, position = at
                        consider(top.oddHalf, at &+ 1, &best, &position)
                        consider(bottom.evenHalf, at &+ Int64(width), &best, &position)
                        consider(bottom.oddHalf, at &+ Int64(width &+ 1), &best, &position)
                        (values[k], values[k &+ 1]) = (best[0], best[1])
                        (positions[k], positions[k &+ 1]) = (Int(position[0]), Int(position[1]))
                        k &+= 2
                        ow &+= 2
                    }
                    if ow < outWidth {
                        let first = line &+ ow &* 2
                        var best = first, top = map[first]
                        @inline(__always) func take(_ at: Int) {
                            let v = map[at], wins = displaces(v, top)
                            best = wins ? at : best
                            top = wins ? v : top
                        }
                        take(first &+ 1)
                        take(first &+ width)
                        take(first &+ width &+ 1)
                        (values[k], positions[k]) = (top, best)
                        k &+= 1
                    }
                }
            }
            return
        }
        let inside = windowsInside
        for m in 0..<count {
            let map = maps + m &* plane
            var k = m &* perMap
            for oh in 0..<outHeight {
                for ow in 0..<outWidth {
                    var best = -1, top = -Double.infinity
                    for kh in 0..<kernelHeight {
                        let ih = source(oh, kh, stride: strideH, pad: padTop, dilation: dilationH)
                        guard inside || (ih >= 0 && ih < height) else { continue }
                        for kw in 0..<kernelWidth {
                            let iw = source(ow, kw, stride: strideW, pad: padLeft, dilation: dilationW)
                            guard inside || (iw >= 0 && iw < width) else { continue }
                            let at = ih &* width &+ iw, v = map[at]
                            let wins = best < 0 || displaces(v, top)
                            best = wins ? at : best
                            top = wins ? v : top
                        }
                    }
                    // A window always holds at least one input tap (checked by the geometry).
                    positions[k] = Swift.max(best, 0)
                    values[k] = best < 0 ? 0 : top
                    k &+= 1
                }
            }
        }
    }
}
