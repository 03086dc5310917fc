import CBLAS
import CLAPACK
import Foundation
import RitzTensor

/// Snapshot pairs (x_s, y_s) as column ranges of the caller's matrices, so consecutive snapshots,
/// hold-out splits and separate test pairs are all read in place, never copied.
struct SnapshotPairs {
    /// d×* states holding x_s in columns `xStart ..< xStart + count`.
    let x: Tensor
    let xStart: Int
    /// d×* states holding y_s in columns `yStart ..< yStart + count`.
    let y: Tensor
    let yStart: Int
    /// The number of pairs M.
    let count: Int

    /// The state dimension d.
    var dimension: Int { x.shape[0] }

    /// Pairs `lo..<hi` of these.
    func range(_ lo: Int, _ hi: Int) -> SnapshotPairs {
        SnapshotPairs(x: x, xStart: xStart + lo, y: y, yStart: yStart + lo, count: hi - lo)
    }

    /// The pairs of `x` and `y` (both d×M), or with `y` nil the consecutive columns of `x`.
    ///
    /// - Throws: `TensorError.invalidArgument` without state variables or with too few snapshots,
    ///   `ShapeError` for mismatched X and Y, `LinalgError.nonFinite`, `TensorError.unsupportedDType`.
    static func of(_ x: Tensor, _ y: Tensor?, _ op: String) throws -> SnapshotPairs {
        let X = try SubspaceMath.matrix(x, op)
        guard X.shape[0] >= 1 else {
            throw TensorError.invalidArgument("\(op): the snapshots have no state variables (X is \(formatShape(X.shape))); give one row per variable")
        }
        if let y {
            let Y = try SubspaceMath.matrix(y, op)
            guard X.shape == Y.shape else { throw ShapeError.mismatch(op: op, lhs: X.shape, rhs: Y.shape) }
            guard X.shape[1] >= 1 else { throw TensorError.invalidArgument("\(op): no snapshots") }
            return SnapshotPairs(x: X, xStart: 0, y: Y, yStart: 0, count: X.shape[1])
        }
        guard X.shape[1] >= 2 else {
            throw TensorError.invalidArgument("\(op): need at least 2 snapshots (columns) when Y is not given, got \(X.shape[1])")
        }
        return SnapshotPairs(x: X, xStart: 0, y: X, yStart: 1, count: X.shape[1] - 1)
    }
}

/// One pass over snapshot pairs that reduces the stacked matrix S = [Ψ_X Ψ_Y Xᵀ] (M×w, w = 2N + d,
/// or 2N without Xᵀ) to a w×w matrix, a chunk of rows at a time, so the memory beyond the data is
/// O(chunk·w + w²) whatever M is.
///
/// Each chunk of rows of S is written into a buffer by the dictionary and then folded in:
/// * `.gram`: SᵀS += S_cᵀS_c, one BLAS `dsyrk` per chunk (M·w² flops in all);
/// * `.triangular`: R ← R factor of [R; S_c], one LAPACK Householder factorisation per chunk
///   (streamed TSQR, Demmel, Grigori, Hoemmen and Langou, SIAM J. Sci. Comput. 34, 2012: as backward
///   stable as one QR of S, R the same up to the signs of its rows; about 2·M·w² flops).
///
/// The rows are cut into two stripes (when there are at least two chunks of them) that run
/// concurrently and are folded together at the end; every cut depends only on M and w, so the
/// result is the same bytes on one thread or two.
enum SnapshotReduction {
    /// What a chunk is folded into.
    enum Kind { case gram, triangular }

    /// Bytes of one chunk buffer: 1 MiB keeps a chunk in the L2 cache between the dictionary
    /// writing it and BLAS reading it.
    static let chunkBytes = 1 << 20

    /// Rows per chunk for a stacked width w: chunkBytes / (8w), at least 64; 2978 for poly(5) in 2-d.
    ///
    /// - Parameter w: The width of S.
    /// - Returns: The rows of one chunk.
    static func chunkRows(width w: Int) -> Int {
        Swift.max(64, chunkBytes / (8 * Swift.max(w, 1)))
    }

    /// Reduces the stacked matrix of `pairs` under `evaluator`.
    ///
    /// - Parameters:
    ///   - pairs: The snapshot pairs (M rows of S).
    ///   - evaluator: The dictionary (N functions).
    ///   - extra: Whether to append the states Xᵀ (d columns) to S.
    ///   - kind: Gram matrix or R factor.
    ///   - chunk: Rows per chunk; nil for `chunkRows(width:)`.
    /// - Returns: w×w row-major: SᵀS (both triangles), or R (upper triangular, zeros below).
    /// - Throws: `CurvatureError.interrupted` from the interrupt check between rounds;
    ///   `TensorError.tooLarge` when the buffers pass the session's allocation limit.
    static func reduce(_ pairs: SnapshotPairs, evaluator: KoopmanDictionary.Evaluator, extra: Bool, kind: Kind,
                       chunk: Int? = nil) throws -> [Double] {
        let n = evaluator.count, d = pairs.dimension
        let w = 2 * n + (extra ? d : 0), m = pairs.count
        let c = Swift.max(1, chunk ?? chunkRows(width: w))
        let bounds = m >= 2 * c ? [0, m / 2, m] : [0, m]
        let bufferCount = try Tensor.elementCount([w + c, w])
        let stripes = try (0..<(bounds.count - 1)).map { try Stripe(start: bounds[$0], end: bounds[$0 + 1], buffer: bufferCount, width: w) }
        // Rounds of a few chunks per stripe (a few ms of work) between interrupt checks.
        let chunksPerRound = 4
        var percentShown = -1
        while stripes.contains(where: { $0.next < $0.end }) {
            Parallel.jobs(stripes.count) { s in
                let stripe = stripes[s]
                stripe.buffer.withUnsafeMutableBufferPointer { buf in
                    stripe.sum.withUnsafeMutableBufferPointer { sum in
                        guard let base = buf.baseAddress, let acc = sum.baseAddress else { return }
                        for _ in 0..<chunksPerRound where stripe.next < stripe.end {
                            let lo = stripe.next, hi = Swift.min(stripe.end, lo + c)
                            let rows = base + (kind == .triangular ? w * w : 0)
                            fill(rows, pairs: pairs, lo: lo, hi: hi, evaluator: evaluator, extra: extra, width: w)
                            switch kind {
                            case .gram:
                                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(w), Int32(hi - lo), 1,
                                            rows, Int32(w), 1, acc, Int32(w))
                            case .triangular:
                                foldTriangular(base, rows: w + hi - lo, width: w)
                            }
                            stripe.next = hi
                        }
                    }
                }
            }
            try Interruption.check()
            // Progress in whole percents of the pairs (at most 101 reports a reduction).
            let done = stripes.map { $0.next - $0.start }.reduce(0, +)
            let percent = m > 0 ? done * 100 / m : 100
            if percent > percentShown {
                percentShown = percent
                ProgressReporting.report("snapshot pairs", step: done, total: m)
            }
        }
        switch kind {
        case .gram:
            var g = stripes[0].sum
            for stripe in stripes.dropFirst() { for i in 0..<(w * w) { g[i] += stripe.sum[i] } }
            for i in 0..<w { for j in 0..<i { g[i * w + j] = g[j * w + i] } }
            return g
        case .triangular:
            var stacked = stripes.flatMap { $0.buffer[0..<(w * w)] }
            let rows = stripes.count * w
            if stripes.count > 1 {
                stacked.withUnsafeMutableBufferPointer { if let p = $0.baseAddress { foldTriangular(p, rows: rows, width: w) } }
            }
            return Array(stacked[0..<(w * w)])
        }
    }

    /// One stripe's rows start..<end, how far it has got, its chunk buffer ((w + c)×w; the first w
    /// rows hold R when triangular) and its Gram accumulator (w×w).
    private final class Stripe {
        let start: Int, end: Int
        var next: Int
        var buffer: [Double]
        var sum: [Double]

        init(start: Int, end: Int, buffer count: Int, width w: Int) throws {
            self.start = start
            self.end = end
            next = start
            buffer = try Tensor.zeros([count]).storage
            sum = [Double](repeating: 0, count: w * w)
        }
    }

    /// Writes rows lo..<hi of S = [Ψ(x_s) Ψ(y_s) x_sᵀ] into `out` (row-major, width w).
    private static func fill(_ out: UnsafeMutablePointer<Double>, pairs: SnapshotPairs, lo: Int, hi: Int,
                             evaluator: KoopmanDictionary.Evaluator, extra: Bool, width w: Int) {
        let n = evaluator.count, d = pairs.dimension
        let xStride = pairs.x.shape[1], yStride = pairs.y.shape[1]
        pairs.x.storage.withUnsafeBufferPointer { xp in
            pairs.y.storage.withUnsafeBufferPointer { yp in
                guard let x = xp.baseAddress, let y = yp.baseAddress else { return }
                evaluator.rows(of: x, columns: (pairs.xStart + lo)..<(pairs.xStart + hi), stride: xStride, into: out, rowStride: w)
                evaluator.rows(of: y, columns: (pairs.yStart + lo)..<(pairs.yStart + hi), stride: yStride, into: out + n, rowStride: w)
                if extra {
                    for v in 0..<d {
                        let row = x + v * xStride + pairs.xStart
                        for s in lo..<hi { out[(s - lo) * w + 2 * n + v] = row[s] }
                    }
                }
            }
        }
    }

    /// Replaces the first w rows of the row-major rows×w matrix at `a` (w ≤ rows) by the R factor of
    /// the whole matrix, zeros below its diagonal; the other rows are left as workspace.
    ///
    /// A row-major rows×w matrix is the column-major w×rows matrix Aᵀ; its LQ factorisation
    /// Aᵀ = L·Q (LAPACK `dgelqf`) gives A = Qᵀ·Lᵀ, so R = Lᵀ, which `dgelqf` leaves in the upper
    /// triangle of the first w rows as they are laid out here.
    private static func foldTriangular(_ a: UnsafeMutablePointer<Double>, rows: Int, width w: Int) {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: Swift.max(w, 1)) { tau in
            guard let t = tau.baseAddress else { return }
            _ = LAPACKE_dgelqf(LAPACK_COL_MAJOR, Int32(w), Int32(rows), a, Int32(w), t)
        }
        for i in 0..<w { for j in 0..<i { a[i * w + j] = 0 } }
    }
}
