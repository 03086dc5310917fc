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

/// The index arithmetic of a 2-d window (kernel, stride, zero padding, dilation) sliding over a
/// batch of images `[N, C, H, W]`; built only through `init`, which checks every size.
public struct WindowGeometry: Equatable, Sendable {
    public let batch: Int, channels: Int, height: Int, width: Int
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
    /// - Throws: `ShapeError.wrongRank` for an input that is not 4-d, `TensorError.invalidArgument`
    ///   for a parameter out of range, `ShapeError.invalid` when the window does not fit.
    public init(op: String, input: [Int], kernel: (Int, Int), stride: (Int, Int),
                padding: (ConvPadding, ConvPadding), dilation: (Int, Int)) throws {
        guard input.count == 4 else {
            throw ShapeError.wrongRank(op: op, expected: "a 4-d input [N, C, H, W]", got: input)
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
        (batch, channels, height, width) = (input[0], input[1], input[2], input[3])
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

    /// The input shape `[N, C, H, W]`.
    public var inputShape: [Int] { [batch, channels, height, width] }
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

extension Tensor {
    /// The column matrix of a windowed product: row (c, kh, kw), column (n, oh, ow) holds
    /// x[n, c, oh·sH − padTop + kh·dH, ow·sW − padLeft + kw·dW], or 0 in the padding. A
    /// convolution is then W·cols with W reshaped to `[O, C·KH·KW]`.
    ///
    /// - Parameters:
    ///   - geometry: The window; the tensor's shape must be its input shape.
    /// - Returns: A `[C·KH·KW, N·OH·OW]` matrix.
    /// - Throws: `ShapeError.mismatch` for another shape, `TensorError.tooLarge`.
    public func im2col(_ geometry: WindowGeometry) throws -> Tensor {
        let g = geometry
        guard shape == g.inputShape else { throw ShapeError.mismatch(op: "im2col", lhs: shape, rhs: g.inputShape) }
        let x = try asFloat()
        let outShape = g.columnShape
        let total = try Tensor.elementCount(outShape)
        let columns = outShape[1], positions = g.outPositions
        let out = try makeStorage(total) { dst in
            let box = UncheckedSendable(dst)
            x.storage.withUnsafeBufferPointer { src in
                guard let src = src.baseAddress else { return }
                // Row by row, so the column matrix is written in order; rows are disjoint.
                g.forEachPiece(rows: outShape[0]) { rows in
                    let dst = box.value
                    for row in rows {
                        let c = row / (g.kernelHeight * g.kernelWidth)
                        let kh = row / g.kernelWidth % g.kernelHeight, kw = row % g.kernelWidth
                        let inside = g.insideColumns(kw)
                        for n in 0..<g.batch {
                            let plane = src + (n * g.channels + c) * g.height * g.width
                            let block = dst + row * columns + n * positions
                            for oh in 0..<g.outHeight {
                                let line = block + oh * g.outWidth
                                let ih = g.source(oh, kh, stride: g.strideH, pad: g.padTop, dilation: g.dilationH)
                                guard ih >= 0, ih < g.height else {
                                    line.initialize(repeating: 0, count: g.outWidth)
                                    continue
                                }
                                let srcRow = plane + ih * g.width + kw * g.dilationW - g.padLeft
                                line.initialize(repeating: 0, count: inside.lowerBound)
                                if g.strideW == 1 {
                                    (line + inside.lowerBound).initialize(from: srcRow + inside.lowerBound, count: inside.count)
                                } else {
                                    for ow in inside { line[ow] = srcRow[ow * g.strideW] }
                                }
                                (line + inside.upperBound).initialize(repeating: 0, count: g.outWidth - inside.upperBound)
                            }
                        }
                    }
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
    /// - Returns: A tensor of the input shape `[N, C, H, W]`.
    /// - Throws: `ShapeError.mismatch` for another shape.
    public func col2im(_ geometry: WindowGeometry) throws -> Tensor {
        let g = geometry
        guard shape == g.columnShape else { throw ShapeError.mismatch(op: "col2im", lhs: shape, rhs: g.columnShape) }
        let cols = try asFloat()
        let total = try Tensor.elementCount(g.inputShape)
        let columns = shape[1], positions = g.outPositions
        let out = try makeStorage(total) { dst in
            dst.initialize(repeating: 0, count: total)
            let box = UncheckedSendable(dst)
            cols.storage.withUnsafeBufferPointer { src in
                guard let src = src.baseAddress else { return }
                // Channel by channel (the rows of one channel write only its planes), reading
                // the column matrix in order; each sum runs in the same order for any split.
                g.forEachPiece(rows: g.channels) { channels in
                    let dst = box.value
                    for c in channels {
                        for kh in 0..<g.kernelHeight {
                            for kw in 0..<g.kernelWidth {
                                let row = (c * g.kernelHeight + kh) * g.kernelWidth + kw
                                let inside = g.insideColumns(kw)
                                for n in 0..<g.batch {
                                    let plane = dst + (n * g.channels + c) * g.height * g.width
                                    let block = src + row * columns + n * positions
                                    for oh in 0..<g.outHeight {
                                        let ih = g.source(oh, kh, stride: g.strideH, pad: g.padTop, dilation: g.dilationH)
                                        guard ih >= 0, ih < g.height else { continue }
                                        let line = block + oh * g.outWidth
                                        let dstRow = plane + ih * g.width + kw * g.dilationW - g.padLeft
                                        for ow in inside { dstRow[ow * g.strideW] += line[ow] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(unchecked: g.inputShape, out)
    }

    /// Flat positions of the window maxima of max pooling, one per output element `[N, C, OH, OW]`
    /// in row-major order. Within a window the taps are scanned row by row and the first maximum
    /// wins a tie (a NaN counts as a maximum, so it propagates); padding is never chosen.
    ///
    /// - Parameters:
    ///   - geometry: The window; the tensor's shape must be its input shape.
    /// - Returns: Indices into the row-major storage of this tensor.
    /// - Throws: `ShapeError.mismatch` for another shape.
    public func windowArgmax(_ geometry: WindowGeometry) throws -> [Int] {
        let g = geometry
        guard shape == g.inputShape else { throw ShapeError.mismatch(op: "maxpool2d", lhs: shape, rhs: g.inputShape) }
        let x = try asFloat()
        let planes = g.batch * g.channels, perPlane = g.outPositions
        return [Int](unsafeUninitializedCapacity: planes * perPlane) { positions, initialized in
            let box = UncheckedSendable(positions)
            x.storage.withUnsafeBufferPointer { src in
                // Planes are independent: two threads take halves of them once the pass is large.
                Parallel.forEachPiece(planes, minimum: Swift.max(Parallel.minimumElements / Swift.max(g.height * g.width, 1), 2)) { piece in
                    let positions = box.value
                    for p in piece {
                        let base = p * g.height * g.width
                        for oh in 0..<g.outHeight {
                            for ow in 0..<g.outWidth {
                                var best = -1, bestValue = -Double.infinity
                                for kh in 0..<g.kernelHeight {
                                    let ih = g.source(oh, kh, stride: g.strideH, pad: g.padTop, dilation: g.dilationH)
                                    guard ih >= 0, ih < g.height else { continue }
                                    for kw in 0..<g.kernelWidth {
                                        let iw = g.source(ow, kw, stride: g.strideW, pad: g.padLeft, dilation: g.dilationW)
                                        guard iw >= 0, iw < g.width else { continue }
                                        let at = base + ih * g.width + iw, v = src[at]
                                        if best < 0 || v > bestValue || (v.isNaN && !bestValue.isNaN) { (best, bestValue) = (at, v) }
                                    }
                                }
                                // A window always holds at least one input tap (checked by the geometry).
                                positions[(p * g.outHeight + oh) * g.outWidth + ow] = Swift.max(best, 0)
                            }
                        }
                    }
                }
            }
            initialized = planes * perPlane
        }
    }
}
