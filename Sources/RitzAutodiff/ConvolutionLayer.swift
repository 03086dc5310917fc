import RitzTensor

/// A 2-d convolution of channel-major images, optionally followed by max pooling at fixed
/// window positions, as the three products its derivatives are made of, each computed chunk by
/// chunk of images through buffers that stay in cache.
///
/// For images x `[C, N, H, W]`, filters W `[O, C·KH·KW]` and the column matrix cols(x)
/// `[C·KH·KW, N·OH·OW]` (``RitzTensor/WindowGeometry``), the layer computes y = S(W·cols(x)),
/// `[O, N, OH', OW']`, where S picks one position of every pooling window of every map (the
/// identity without pooling) and Sᵀ puts a value back there. The products
/// * forward: y = S(W·cols(x)),
/// * filter gradient: w̄ = Sᵀ(ȳ)·cols(x)ᵀ,
/// * input gradient: x̄ = col2im(Wᵀ·Sᵀ(ȳ)),
///
/// are bilinear, and the partial derivatives of each are the other two (`Var.convolved`), so
/// every order of derivative is made of them. Each runs over chunks of whole images of about
/// ``chunkColumns`` columns: the chunk's columns are written into a buffer and used by one
/// `dgemm` at once, so neither the column matrix nor the unpooled output of the whole batch
/// is ever held (Chellapilla, Puri & Simard 2006 for im2col; the chunking keeps each product's
/// operands in the core's cache, where the packed `dgemm` runs at its best rate).
struct ConvolutionLayer: @unchecked Sendable {
    /// The convolution's window over channel-major input images.
    let geometry: WindowGeometry
    /// The number of filters O.
    let filters: Int
    /// Max pooling of every OH×OW output map alone, nil for none.
    let pooling: WindowGeometry?
    /// For every pooled output element (row-major over `[O, N, OH', OW']`), the position in its
    /// OH×OW map that S picks: the window's maximum where the forward pass chose it. Empty
    /// without pooling.
    let taps: [Int]

    /// Columns of the column matrix per chunk: a buffer of C·KH·KW such columns stays within a
    /// core's cache for the filter counts of small networks. OpenBLAS's products of the digits
    /// CNN's second layer (32 × 144 filters) ran at ~45 GFLOP/s per core on chunks of 128–512
    /// columns here, against ~30 on the whole batch's 14 368.
    static let chunkColumns = 384

    init(geometry: WindowGeometry, filters: Int, pooling: WindowGeometry? = nil, taps: [Int] = []) {
        self.geometry = geometry
        self.filters = filters
        self.pooling = pooling
        self.taps = taps
    }

    /// The inner dimension C·KH·KW.
    var inner: Int { geometry.channels * geometry.kernelHeight * geometry.kernelWidth }
    /// Output positions per map before pooling, OH·OW.
    var positions: Int { geometry.outPositions }
    /// Output positions per map after pooling.
    var pooledPositions: Int { pooling?.outPositions ?? positions }
    /// `[O, N, OH', OW']`.
    var outputShape: [Int] {
        [filters, geometry.batch, pooling?.outHeight ?? geometry.outHeight, pooling?.outWidth ?? geometry.outWidth]
    }
    /// `[O, C, KH, KW]`.
    var filterShape: [Int] { [filters, geometry.channels, geometry.kernelHeight, geometry.kernelWidth] }
    /// Whole images per chunk (at least one).
    var imagesPerChunk: Int { Swift.max(1, ConvolutionLayer.chunkColumns / Swift.max(positions, 1)) }

    /// The images each parallel job takes: two halves of the batch once a product has at least
    /// 2²² multiply-adds, else the whole batch. The cut depends on the shapes only, so the bytes
    /// do not depend on the thread count.
    var parts: [Range<Int>] {
        let n = geometry.batch
        let work = Double(n) * Double(positions) * Double(inner) * Double(filters)
        guard n >= 2, work >= Double(1 << 22) else { return [0..<n] }
        return [0..<(n / 2), (n / 2)..<n]
    }

    /// The same layer with S picking `taps`.
    func picking(_ taps: [Int]) -> ConvolutionLayer {
        ConvolutionLayer(geometry: geometry, filters: filters, pooling: pooling, taps: taps)
    }

    // MARK: Products

    /// y = Σₜ S(Wₜ·cols(xₜ)) + b (b[o] added to every element of map o); with `selecting`, S is
    /// chosen here as each window's maximum of the one term and returned.
    ///
    /// - Parameters:
    ///   - terms: (images `[C, N, H, W]`, filters `[O, C, KH, KW]`) pairs.
    ///   - bias: `[O]`, or nil for none.
    ///   - selecting: Choose S from the maxima instead of using ``taps``.
    /// - Returns: y `[O, N, OH', OW']` and the S used.
    /// - Throws: `ShapeError.mismatch` for operands of other shapes; `TensorError` past the memory limit.
    func forward(_ terms: [(x: Tensor, w: Tensor)], bias: Tensor? = nil, selecting: Bool = false) throws -> (y: Tensor, taps: [Int]) {
        let xs = try terms.map { try operand($0.x, geometry.inputShape) }
        let ws = try terms.map { try operand($0.w, filterShape) }
        let b = try bias.map { try operand($0, [filters]).storage }
        let shape = outputShape
        let total = try Tensor.elementCount(shape)
        let pooledCount = pooling == nil ? 0 : total
        guard selecting || pooling == nil || taps.count == pooledCount else {
            throw ShapeError.invalid("conv2d: the pooling positions do not fit the output \(formatShape(shape))")
        }
        // The positions chosen here, or (not selecting) the layer's, only read.
        var picked = selecting ? [Int](repeating: 0, count: pooledCount) : []
        let (n, p, q) = (geometry.batch, positions, pooledPositions)
        let chunk = imagesPerChunk * p
        let scratch = try scratchSize(inner * chunk, pooling == nil ? 0 : filters * chunk)
        let empty = total == 0 || terms.isEmpty || xs.contains { $0.count == 0 } || ws.contains { $0.count == 0 }
        let y = try Tensor(shape: shape, storage: try makeStorage(total) { out in
            // S: written when selecting, else the layer's, only read.
            func withPicks(_ body: (UnsafeMutablePointer<Int>?) -> Void) {
                if selecting {
                    picked.withUnsafeMutableBufferPointer { body($0.baseAddress) }
                } else {
                    taps.withUnsafeBufferPointer { body(UnsafeMutablePointer(mutating: $0.baseAddress)) }
                }
            }
            withPicks { picks in
                guard !empty else {
                    // No term contributes: y = S(0) + b, S the windows' first taps.
                    zeroOutput(out, count: total, taps: selecting ? picks : nil)
                    if let b { addBias(b, to: out, images: 0..<n, ld: n * q) }
                    return
                }
                withBaseAddresses(xs + ws) { bases in
                    let (x, w) = (Array(bases[..<terms.count]), Array(bases[terms.count...]))
                    eachPart(scratch: scratch) { images, buffer in
                        let (cols, maps) = (buffer, buffer + inner * chunk)
                        eachChunk(of: images) { chunkImages, width in
                            let start = chunkImages.lowerBound
                            // Without pooling the product is written straight into y's columns.
                            let (target, ld) = pooling == nil ? (out + start * p, n * p) : (maps, width)
                            for t in 0..<terms.count {
                                geometry.writeColumns(rows: 0..<inner, images: chunkImages, from: x[t], into: cols, rowStride: width)
                                gemmBlock(transA: false, transB: false, m: filters, n: width, k: inner, w[t], lda: inner,
                                          cols, ldb: width, beta: t == 0 ? 0 : 1, target, ldc: ld)
                            }
                            guard let pooling, let picks else {
                                if let b { addBias(b, to: target, images: chunkImages, ld: ld) }
                                return
                            }
                            // The chunk's maps of filter o follow each other, as do their pooled outputs.
                            for o in 0..<filters {
                                let (row, at) = (maps + o * width, (o * n + start) * q)
                                if selecting {
                                    pooling.maxima(ofMaps: row, count: chunkImages.count, positions: picks + at, values: out + at)
                                } else {
                                    for image in 0..<chunkImages.count {
                                        let (map, base) = (row + image * p, at + image * q)
                                        for j in 0..<q { out[base + j] = map[picks[base + j]] }
                                    }
                                }
                            }
                            if let b { addBias(b, to: out + start * q, images: chunkImages, ld: n * q) }
                        }
                    }
                }
            }
        })
        return (y, selecting ? picked : taps)
    }

    /// w̄ = Σₜ Sᵀ(gₜ)·cols(xₜ)ᵀ, in the filters' shape.
    ///
    /// - Parameters:
    ///   - terms: (cotangent `[O, N, OH', OW']`, images `[C, N, H, W]`) pairs.
    /// - Returns: `[O, C, KH, KW]`.
    /// - Throws: `ShapeError.mismatch` for operands of other shapes; `TensorError` past the memory limit.
    func filterGradient(_ terms: [(g: Tensor, x: Tensor)]) throws -> Tensor {
        let gs = try terms.map { try operand($0.g, outputShape) }
        let xs = try terms.map { try operand($0.x, geometry.inputShape) }
        let total = filters * inner
        let (n, p) = (geometry.batch, positions)
        let chunk = imagesPerChunk * p
        let scratch = try scratchSize(inner * chunk, pooling == nil ? 0 : filters * chunk)
        let parts = self.parts
        let empty = total == 0 || gs.contains { $0.count == 0 } || xs.contains { $0.count == 0 }
        // The second half's sum, added to the first's afterwards.
        var partial = [Double](repeating: 0, count: empty || parts.count < 2 ? 0 : total)
        var sums = try makeStorage(total) { out in
            guard !empty else {
                out.initialize(repeating: 0, count: total)
                return
            }
            partial.withUnsafeMutableBufferPointer { second in
                let accumulators = UncheckedSendable([out, second.baseAddress ?? out])
                withBaseAddresses(gs + xs) { bases in
                    let (g, x) = (Array(bases[..<terms.count]), Array(bases[terms.count...]))
                    eachPart(scratch: scratch) { images, buffer in
                        let sum = accumulators.value[images.lowerBound == 0 ? 0 : 1]
                        let (cols, maps) = (buffer, buffer + inner * chunk)
                        var beta = 0.0
                        eachChunk(of: images) { chunkImages, width in
                            let start = chunkImages.lowerBound
                            for t in 0..<terms.count {
                                let (cotangent, ld) = pooling == nil ? (g[t] + start * p, n * p)
                                    : (unpool(g[t], images: chunkImages, into: maps, width: width), width)
                                geometry.writeColumns(rows: 0..<inner, images: chunkImages, from: x[t], into: cols, rowStride: width)
                                gemmBlock(transA: false, transB: true, m: filters, n: inner, k: width, cotangent, lda: ld,
                                          cols, ldb: width, beta: beta, sum, ldc: inner)
                                beta = 1
                            }
                        }
                        if beta == 0 { sum.initialize(repeating: 0, count: total) }
                    }
                }
            }
        }
        if !partial.isEmpty { for i in 0..<total { sums[i] += partial[i] } }
        return try Tensor(shape: filterShape, storage: sums)
    }

    /// x̄ = col2im(Σₜ Wₜᵀ·Sᵀ(gₜ)), in the images' shape.
    ///
    /// - Parameters:
    ///   - terms: (cotangent `[O, N, OH', OW']`, filters `[O, C, KH, KW]`) pairs.
    /// - Returns: `[C, N, H, W]`.
    /// - Throws: `ShapeError.mismatch` for operands of other shapes; `TensorError` past the memory limit.
    func inputGradient(_ terms: [(g: Tensor, w: Tensor)]) throws -> Tensor {
        let gs = try terms.map { try operand($0.g, outputShape) }
        let ws = try terms.map { try operand($0.w, filterShape) }
        let shape = geometry.inputShape
        let total = try Tensor.elementCount(shape)
        let (n, p) = (geometry.batch, positions)
        let chunk = imagesPerChunk * p
        let scratch = try scratchSize(inner * chunk, pooling == nil ? 0 : filters * chunk)
        let empty = total == 0 || gs.contains { $0.count == 0 } || ws.contains { $0.count == 0 }
        let images = try Tensor(shape: shape, storage: try makeStorage(total) { out in
            guard !empty else {
                out.initialize(repeating: 0, count: total)
                return
            }
            withBaseAddresses(gs + ws) { bases in
                let (g, w) = (Array(bases[..<terms.count]), Array(bases[terms.count...]))
                eachPart(scratch: scratch) { part, buffer in
                    let (columns, maps) = (buffer, buffer + inner * chunk)
                    eachChunk(of: part) { chunkImages, width in
                        let start = chunkImages.lowerBound
                        for t in 0..<terms.count {
                            let (cotangent, ld) = pooling == nil ? (g[t] + start * p, n * p)
                                : (unpool(g[t], images: chunkImages, into: maps, width: width), width)
                            gemmBlock(transA: true, transB: false, m: inner, n: width, k: filters, w[t], lda: inner,
                                      cotangent, ldb: ld, beta: t == 0 ? 0 : 1, columns, ldc: width)
                        }
                        geometry.writeImages(channels: 0..<geometry.channels, images: chunkImages, from: columns,
                                             rowStride: width, into: out)
                    }
                }
            }
        })
        return images
    }

    // MARK: Pieces

    /// Sᵀ(g) for the images `images` (from `images.lowerBound`): `filters` rows of `width`
    /// entries, zero except at the picked positions, where g's values are added.
    ///
    /// - Returns: `maps`.
    private func unpool(_ g: UnsafePointer<Double>, images: Range<Int>, into maps: UnsafeMutablePointer<Double>,
                        width: Int) -> UnsafePointer<Double> {
        let (n, p, q) = (geometry.batch, positions, pooledPositions)
        taps.withUnsafeBufferPointer { taps in
            guard let taps = taps.baseAddress else { return }
            for o in 0..<filters {
                let row = maps + o * width
                row.initialize(repeating: 0, count: width)
                for image in images {
                    let map = row + (image - images.lowerBound) * p
                    let at = (o * n + image) * q
                    for j in 0..<q { map[taps[at + j]] += g[at + j] }
                }
            }
        }
        return UnsafePointer(maps)
    }

    /// Adds b[o] to the outputs of images `images` in row o (ld apart) of every filter o.
    private func addBias(_ b: [Double], to rows: UnsafeMutablePointer<Double>, images: Range<Int>, ld: Int) {
        let width = images.count * pooledPositions
        for o in 0..<filters {
            let (row, value) = (rows + o * ld, b[o])
            for i in 0..<width { row[i] += value }
        }
    }

    /// Zeros for an output that no term reaches; with `taps`, S is set to every window's maximum
    /// of a map of zeros (its first tap).
    private func zeroOutput(_ out: UnsafeMutablePointer<Double>, count: Int, taps: UnsafeMutablePointer<Int>?) {
        out.initialize(repeating: 0, count: count)
        guard let pooling, let taps else { return }
        let q = pooledPositions
        let zeros = [Double](repeating: 0, count: positions), values = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(q, 1))
        defer { values.deallocate() }
        zeros.withUnsafeBufferPointer { map in
            guard let map = map.baseAddress else { return }
            for k in 0..<(count / Swift.max(q, 1)) { pooling.maxima(ofMaps: map, count: 1, positions: taps + k * q, values: values) }
        }
    }

    /// An operand as a float tensor of the expected shape.
    ///
    /// - Throws: `ShapeError.mismatch` for another shape.
    private func operand(_ t: Tensor, _ shape: [Int]) throws -> Tensor {
        guard t.shape == shape else { throw ShapeError.mismatch(op: "conv2d", lhs: shape, rhs: t.shape) }
        return try t.asFloat()
    }

    /// The doubles of one part's buffer (a column chunk and an output chunk), checked against
    /// the memory limit for every part.
    private func scratchSize(_ columns: Int, _ maps: Int) throws -> Int {
        let (size, o1) = columns.addingReportingOverflow(maps)
        let (all, o2) = size.multipliedReportingOverflow(by: parts.count)
        try AllocationLimit.check(elements: o1 || o2 ? Int.max : all)
        return Swift.max(size, 1)
    }

    /// Runs `body` on the chunks of `images` in order: each chunk's images (``imagesPerChunk``,
    /// the last fewer) and its columns, images × OH·OW.
    private func eachChunk(of images: Range<Int>, _ body: (_ chunk: Range<Int>, _ width: Int) -> Void) {
        for start in stride(from: images.lowerBound, to: images.upperBound, by: imagesPerChunk) {
            let chunk = start..<Swift.min(start + imagesPerChunk, images.upperBound)
            body(chunk, chunk.count * positions)
        }
    }

    /// Runs `body` on each part's images as parallel jobs, each with a buffer of `scratch`
    /// doubles of its own (uninitialised).
    private func eachPart(scratch: Int, _ body: (Range<Int>, UnsafeMutablePointer<Double>) -> Void) {
        let parts = self.parts
        Parallel.jobs(parts.count) { k in
            let buffer = UnsafeMutablePointer<Double>.allocate(capacity: scratch)
            defer { buffer.deallocate() }
            body(parts[k], buffer)
        }
    }
}

/// The base addresses of the storages of `tensors` (none empty), in order, for the duration of `body`.
private func withBaseAddresses(_ tensors: [Tensor], _ body: ([UnsafePointer<Double>]) -> Void) {
    func step(_ i: Int, _ bases: [UnsafePointer<Double>]) {
        guard i < tensors.count else { return body(bases) }
        tensors[i].storage.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            step(i + 1, bases + [base])
        }
    }
    step(0, [])
}
