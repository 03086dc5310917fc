import RitzTensor

/// The passes of `linear`, y = f(x wᵀ + b), over raw row-major buffers at fixed sizes: what its
/// forward pass and its rules outside a recording run (``LinearLayer``), and what a replay runs
/// (``LinearReplay``), so both give the same bytes.
///
/// x is n × k, w is m × k (the PyTorch layout), b has m values, y and z = x wᵀ + b are n × m.
/// From ``Var/linearSplitRows`` rows, outside parallel jobs, the rows are cut into two halves run
/// as `Parallel.jobs`; sums over the rows (w̄, b̄) are then formed per half and added in half
/// order, so the bytes do not depend on the thread count.
struct LinearPasses {
    /// Rows, inputs, outputs.
    let n: Int, k: Int, m: Int
    let activation: UnaryOp?
    /// The row blocks the passes are cut into: two halves from `linearSplitRows` rows, else one
    /// (and one inside parallel jobs, which already share the cores: ``Parallel/isInsideJobs``).
    let parts: Int

    func rows(_ part: Int) -> Range<Int> { (n * part / parts)..<(n * (part + 1) / parts) }

    /// Whether f′ is computed from z rather than y (gelu), so the forward pass keeps z.
    var keepsPreActivation: Bool { activation == .gelu }

    /// Doubles of scratch ``backward(_:y:preActivation:x:w:delta:xBar:wBar:bBar:partials:)``
    /// needs for the parts' w̄ and b̄: none for one part.
    var partialsCount: Int { parts > 1 ? parts * (m * k + m) : 0 }

    // MARK: Forward

    /// y = f(x wᵀ + b) into `out`, and z into `preActivation` when given (else z is formed in `out`).
    func forward(_ x: UnsafePointer<Double>, _ w: UnsafePointer<Double>, _ b: UnsafePointer<Double>,
                 preActivation: UnsafeMutablePointer<Double>?, into out: UnsafeMutablePointer<Double>) {
        let pre = preActivation ?? out
        Parallel.jobs(parts) { part in
            let r = rows(part)
            let (zr, yr) = (pre + r.lowerBound * m, out + r.lowerBound * m)
            product(x + r.lowerBound * k, rows: r.count, w: w, into: zr, beta: 0)
            activate(zr, bias: b, rows: r.count, out: yr)
        }
    }

    /// out = f(z + b) row by row; z is updated to include b (it is z itself when out == z).
    private func activate(_ z: UnsafeMutablePointer<Double>, bias: UnsafePointer<Double>, rows: Int,
                          out: UnsafeMutablePointer<Double>) {
        let count = rows * m
        guard count > 0 else { return }
        if activation == .tanh {
            FastMath.tanhRows(z, bias: bias, rows: rows, width: m, out: out)
            return
        }
        addRowVector(z, rows: rows, width: m, bias)
        switch activation {
        case .sigmoid?: FastMath.sigmoid(z, out, count: count)
        case .relu?: for i in 0..<count { out[i] = UnaryOp.relu.apply(z[i]) }
        case .gelu?: FastMath.gelu(z, out, count: count)
        default: if out != z { out.update(from: z, count: count) }
        }
    }

    // MARK: Backward

    /// The VJP, one pass over ḡ per part: δ = ḡ ⊙ f′ block by block of rows, each block's column
    /// sums added to b̄ while it is in cache, then x̄ = δ w and w̄ = δᵀ x as products with beta = 0.
    /// Each of x̄, w̄, b̄ is written (all of it) when given, skipped when nil. With several parts
    /// their w̄ and b̄ go to `partials` (``partialsCount`` doubles) and are added in part order.
    ///
    /// - Parameters:
    ///   - g: ḡ; `delta`: where δ goes, which may be `g` itself.
    ///   - y: The forward pass's result; `preActivation`: its z, when it kept it.
    func backward(_ g: UnsafePointer<Double>, y: UnsafePointer<Double>, preActivation z: UnsafePointer<Double>?,
                  x: UnsafePointer<Double>, w: UnsafePointer<Double>, delta: UnsafeMutablePointer<Double>,
                  xBar: UnsafeMutablePointer<Double>?, wBar: UnsafeMutablePointer<Double>?,
                  bBar: UnsafeMutablePointer<Double>?, partials: UnsafeMutablePointer<Double>?) {
        let p = parts
        guard p == 1 || partials != nil else { return }
        let wb = p == 1 ? wBar : wBar.flatMap { _ in partials }
        let bb = p == 1 ? bBar : bBar.flatMap { _ in partials.map { $0 + p * m * k } }
        Parallel.jobs(p) { part in
            let r = rows(part)
            let (lo, count) = (r.lowerBound, r.count)
            let d = deltaAndBiasSums(g + lo * m, y: y + lo * m, z: z.map { $0 + lo * m }, into: delta + lo * m,
                                     rows: count, sums: bb.map { $0 + part * m })
            guard count > 0, k > 0 else {
                if let wb { (wb + part * m * k).initialize(repeating: 0, count: m * k) }
                if let xBar { (xBar + lo * k).initialize(repeating: 0, count: count * k) }
                return
            }
            if let xBar {
                gemmBlock(transA: false, transB: false, m: count, n: k, k: m, d, lda: m, w, ldb: k, beta: 0, xBar + lo * k, ldc: k)
            }
            if let wb {
                gemmBlock(transA: true, transB: false, m: m, n: k, k: count, d, lda: m,
                          x + lo * k, ldb: k, beta: 0, wb + part * m * k, ldc: k)
            }
        }
        guard p > 1, let partials else { return }
        /// Σ over the parts of `size` values at `base`, in part order, into `out`.
        func total(_ base: UnsafePointer<Double>, _ size: Int, into out: UnsafeMutablePointer<Double>) {
            for i in 0..<size {
                var s = base[i]
                for h in 1..<p { s += base[h * size + i] }
                out[i] = s
            }
        }
        if let wBar { total(partials, m * k, into: wBar) }
        if let bBar { total(partials + p * m * k, m, into: bBar) }
    }

    /// δ = ḡ ⊙ f′ for `rows` rows, in blocks of rows small enough to stay in the first-level
    /// cache while their column sums are added into `sums` (when given; it is overwritten).
    /// Returns where δ is: `d`, or ḡ itself for the identity (δ = ḡ, not copied).
    private func deltaAndBiasSums(_ g: UnsafePointer<Double>, y: UnsafePointer<Double>, z: UnsafePointer<Double>?,
                                  into d: UnsafeMutablePointer<Double>, rows: Int, sums: UnsafeMutablePointer<Double>?) -> UnsafePointer<Double> {
        sums?.initialize(repeating: 0, count: m)
        if activation == nil {
            if let sums { addColumnSums(g, rows: rows, width: m, into: sums) }
            return g
        }
        let block = Swift.max(1, 2048 / Swift.max(m, 1))
        var i = 0
        while i < rows {
            let count = Swift.min(block, rows - i)
            let offset = i * m
            derivativeProduct(g + offset, y: y + offset, z: z.map { $0 + offset }, into: d + offset, count: count * m)
            if let sums { addColumnSums(d + offset, rows: count, width: m, into: sums) }
            i += count
        }
        return UnsafePointer(d)
    }

    /// dst = src ⊙ f′ elementwise (f′ from y, or from z for gelu); dst may equal src.
    func derivativeProduct(_ src: UnsafePointer<Double>, y: UnsafePointer<Double>, z: UnsafePointer<Double>?,
                           into dst: UnsafeMutablePointer<Double>, count: Int) {
        switch activation {
        case nil: if UnsafePointer(dst) != src { dst.update(from: src, count: count) }
        case .tanh?: FastMath.tanhBackward(src, y, dst, count: count)
        case .sigmoid?: for i in 0..<count { dst[i] = src[i] * (y[i] * (1 - y[i])) }
        case .relu?: for i in 0..<count { dst[i] = src[i] * (y[i] > 0 ? 1 : 0) }
        default:
            // gelu′(z) = Φ(z) + z φ(z), Φ and φ as buffers a block at a time.
            guard let z else { return }
            let block = 256
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * block) { scratch in
                guard let cdf = scratch.baseAddress else { return }
                let pdf = cdf + block
                var start = 0
                while start < count {
                    let size = Swift.min(block, count - start)
                    let zs = z + start
                    FastMath.normalCDF(zs, cdf, count: size)
                    Var.geluDensities(zs, into: pdf, count: size)
                    for i in 0..<size { dst[start + i] = src[start + i] * (cdf[i] + zs[i] * pdf[i]) }
                    start += size
                }
            }
        }
    }

    /// c (rows × m) = a (rows × k) · wᵀ (w is m × k): a `dgemm` with beta.
    func product(_ a: UnsafePointer<Double>, rows: Int, w: UnsafePointer<Double>,
                 into c: UnsafeMutablePointer<Double>, beta: Double) {
        guard rows > 0, m > 0 else { return }
        guard k > 0 else {
            if beta == 0 { c.initialize(repeating: 0, count: rows * m) }
            return
        }
        gemmBlock(transA: false, transB: true, m: rows, n: m, k: k, a, lda: k, w, ldb: k, beta: beta, c, ldc: m)
    }
}

/// A `linear` node replayed: its forward pass into the kept result, its VJP with δ written over
/// the result's cotangent.
final class LinearReplay: ReplayKernel {
    private let passes: LinearPasses

    init(_ passes: LinearPasses) {
        self.passes = passes
    }

    var outputCount: Int { passes.n * passes.m }
    var keptCount: Int { passes.keepsPreActivation ? passes.n * passes.m : 0 }
    var scratchCount: Int { passes.partialsCount }
    var targetCount: Int { 0 }

    func forward(_ frame: ReplayFrame) throws {
        passes.forward(frame.operands[0], frame.operands[1], frame.operands[2],
                       preActivation: passes.keepsPreActivation ? frame.kept : nil, into: frame.output)
    }

    func backward(_ g: UnsafeMutablePointer<Double>, _ frame: ReplayFrame,
                  into cotangents: UnsafePointer<UnsafeMutablePointer<Double>?>) {
        passes.backward(g, y: frame.output, preActivation: passes.keepsPreActivation ? UnsafePointer(frame.kept) : nil,
                        x: frame.operands[0], w: frame.operands[1], delta: g,
                        xBar: cotangents[0], wBar: cotangents[1], bBar: cotangents[2], partials: frame.scratch)
    }
}
