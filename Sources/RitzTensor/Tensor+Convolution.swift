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
    public let layout: ImageLayout
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
            throw ShapeError.invalid("\(op): a \(extentH)×\(extentW) window does not fit the \(paddedH)×\(paddedW) input (after padding)")
        }
        outHeight = (paddedH - extentH) / stride.0 + 1
        outWidth = (paddedW - extentW) / stride.1 + 1
        _ = try Tensor.elementCount([channels, kernelHeight, kernelWidth, batch, outHeight, outWidth])
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
    /// Writes row (c, kh, kw) of the column matrix: for every image n and output position
    /// (oh, ow) in order, x[n, c, oh·sH − padTop + kh·dH, ow·sW − padLeft + kw·dW], 0 in the padding.
    ///
    /// - Parameters:
    ///   - row: The row, below C·KH·KW.
    ///   - src: The input images, of `inputShape`.
    ///   - line: The row's N·OH·OW entries, written (they need not be initialised).
    func writeColumnRow(_ row: Int, from src: UnsafePointer<Double>, into line: UnsafeMutablePointer<Double>) {
        let c = row / (kernelHeight * kernelWidth)
        let kh = row / kernelWidth % kernelHeight, kw = row % kernelWidth
        let inside = insideColumns(kw)
        let (lo, hi) = (inside.lowerBound, inside.upperBound)
        let strides = planeStrides
        let shift = kw * dilationW - padLeft
        var dst = line
        for n in 0..<batch {
            let plane = src + n * strides.image + c * strides.channel
            for oh in 0..<outHeight {
                let ih = source(oh, kh, stride: strideH, pad: padTop, dilation: dilationH)
                if ih < 0 || ih >= height {
                    for ow in 0..<outWidth { dst[ow] = 0 }
                } else {
                    // Columns lo..<hi read inside the image: iw = ow·sW + shift ∈ [0, W).
                    let from = plane + ih * width
                    for ow in 0..<lo { dst[ow] = 0 }
                    if strideW == 1 {
                        for ow in lo..<hi { dst[ow] = from[ow + shift] }
                    } else {
                        for ow in lo..<hi { dst[ow] = from[ow * strideW + shift] }
                    }
                    for ow in hi..<outWidth { dst[ow] = 0 }
                }
                dst += outWidth
            }
        }
    }

    /// Adds row (c, kh, kw) of a column matrix back into the input positions it was read from
    /// (the transpose of ``writeColumnRow(_:from:into:)``), image by image in order.
    ///
    /// - Parameters:
    ///   - row: The row, below C·KH·KW.
    ///   - line: The row's N·OH·OW entries.
    ///   - dst: Images of `inputShape`, added into.
    func addColumnRow(_ row: Int, from line: UnsafePointer<Double>, into dst: UnsafeMutablePointer<Double>) {
        let c = row / (kernelHeight * kernelWidth)
        let kh = row / kernelWidth % kernelHeight, kw = row % kernelWidth
        let inside = insideColumns(kw)
        let (lo, hi) = (inside.lowerBound, inside.upperBound)
        let strides = planeStrides
        let shift = kw * dilationW - padLeft
        var src = line
        for n in 0..<batch {
            let plane = dst + n * strides.image + c * strides.channel
            for oh in 0..<outHeight {
                let ih = source(oh, kh, stride: strideH, pad: padTop, dilation: dilationH)
                if ih >= 0 && ih < height {
                    let to = plane + ih * width
                    if strideW == 1 {
                        for ow in lo..<hi { to[ow + shift] += src[ow] }
                    } else {
                        for ow in lo..<hi { to[ow * strideW + shift] += src[ow] }
                    }
                }
                src += outWidth
            }
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
                    for row in rows { g.writeColumnRow(row, from: src, into: box.value + row * columns) }
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
        let columns = shape[1], plane = g.height * g.width
        let taps = g.kernelHeight * g.kernelWidth
        let strides = g.planeStrides
        let out = try makeStorage(total) { dst in
            let box = UncheckedSendable(dst)
            cols.storage.withUnsafeBufferPointer { src in
                guard let src = src.baseAddress else {
                    dst.initialize(repeating: 0, count: total)
                    return
                }
                // Channel by channel (the rows of one channel write only its maps, zeroed just
                // before, while they are in cache), reading the column matrix in order; each sum
                // runs in the same order for any split.
                g.forEachPiece(rows: g.channels) { channels in
                    let dst = box.value
                    for c in channels {
                        for n in 0..<g.batch {
                            (dst + n * strides.image + c * strides.channel).initialize(repeating: 0, count: plane)
                        }
                        for row in (c * taps)..<((c + 1) * taps) {
                            g.addColumnRow(row, from: src + row * columns, into: dst)
                        }
                    }
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
                        for p in piece {
                            let base = p * plane
                            g.maxima(of: src + base, offset: base, positions: positions + p * perPlane, values: maxima + p * perPlane)
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
    var outputShapeOfPooling: [Int] {
        let lead = inputShape
        return [lead[0], lead[1], outHeight, outWidth]
    }

    /// The window maxima of one H×W map and their positions (plus `offset`), in output order.
    ///
    /// - Parameters:
    ///   - map: The map.
    ///   - offset: Added to every position (the map's start in the whole tensor).
    ///   - positions: OH·OW positions, written.
    ///   - values: OH·OW maxima, written.
    func maxima(of map: UnsafePointer<Double>, offset: Int, positions: UnsafeMutablePointer<Int>,
                values: UnsafeMutablePointer<Double>) {
        var k = 0
        if windowsInside {
            // Every tap is inside: start from the first and scan the rest.
            for oh in 0..<outHeight {
                for ow in 0..<outWidth {
                    let first = oh * strideH * width + ow * strideW
                    var best = first, bestValue = map[first]
                    for kh in 0..<kernelHeight {
                        let line = first + kh * dilationH * width
                        for kw in 0..<kernelWidth {
                            let at = line + kw * dilationW, v = map[at]
                            if v > bestValue || (v.isNaN && !bestValue.isNaN) { (best, bestValue) = (at, v) }
                        }
                    }
                    positions[k] = offset + best
                    values[k] = bestValue
                    k += 1
                }
            }
            return
        }
        for oh in 0..<outHeight {
            for ow in 0..<outWidth {
                var best = -1, bestValue = -Double.infinity
                for kh in 0..<kernelHeight {
                    let ih = source(oh, kh, stride: strideH, pad: padTop, dilation: dilationH)
                    guard ih >= 0, ih < height else { continue }
                    for kw in 0..<kernelWidth {
                        let iw = source(ow, kw, stride: strideW, pad: padLeft, dilation: dilationW)
                        guard iw >= 0, iw < width else { continue }
                        let at = ih * width + iw, v = map[at]
                        if best < 0 || v > bestValue || (v.isNaN && !bestValue.isNaN) { (best, bestValue) = (at, v) }
                    }
                }
                // A window always holds at least one input tap (checked by the geometry).
                positions[k] = offset + Swift.max(best, 0)
                values[k] = best < 0 ? 0 : bestValue
                k += 1
            }
        }
    }
}
