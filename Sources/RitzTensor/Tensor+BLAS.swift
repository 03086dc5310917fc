import CBLAS
import CKernels

/// Products through BLAS: `matmul` with NumPy semantics, `dot`, `outer`, `kron`, `trace`.
extension Tensor {
    /// NumPy `matmul`: 1-d operands are promoted to a row (left) or column (right) and the
    /// added axis is removed afterwards; leading dimensions broadcast as a stack of matrices.
    /// Each matrix product is one `dgemm` (`zgemm` for complex), or `dgemv` for a vector.
    ///
    /// - Throws: `ShapeError.mismatch(op: "@")` when the inner dimensions differ or the stacks
    ///   do not broadcast; `ShapeError.wrongRank` for 0-d operands.
    public func matmul(_ other: Tensor) throws -> Tensor {
        guard ndim >= 1, other.ndim >= 1 else {
            throw ShapeError.wrongRank(op: "@", expected: "tensors with at least one dimension", got: ndim == 0 ? shape : other.shape)
        }
        let a = ndim == 1 ? try reshaped([1, shape[0]]) : self
        let b = other.ndim == 1 ? try other.reshaped([other.shape[0], 1]) : other
        let (m, k) = (a.shape[a.ndim - 2], a.shape[a.ndim - 1])
        let (k2, n) = (b.shape[b.ndim - 2], b.shape[b.ndim - 1])
        guard k == k2 else { throw ShapeError.mismatch(op: "@", lhs: shape, rhs: other.shape) }
        let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        guard let batch = Tensor.broadcastShape(batchA, batchB) else {
            throw ShapeError.mismatch(op: "@", lhs: shape, rhs: other.shape)
        }
        var outShape = batch + [m, n]
        let complex = isComplex || other.isComplex
        let total = try Tensor.elementCount(outShape, complex: complex)
        let batchCount = batch.reduce(1, *)
        let A = batchA == batch ? a : try a.broadcast(to: batch + [m, k])
        let B = batchB == batch ? b : try b.broadcast(to: batch + [k, n])
        let w = complex ? 2 : 1
        var out = [Double](repeating: 0, count: complex || k == 0 ? total * w : 0)
        if complex {
            let Ac = A.asComplex(), Bc = B.asComplex()
            Ac.storage.withUnsafeBufferPointer { pa in
                Bc.storage.withUnsafeBufferPointer { pb in
                    out.withUnsafeMutableBufferPointer { po in
                        var one: (Double, Double) = (1, 0), zero: (Double, Double) = (0, 0)
                        for i in 0..<batchCount where m > 0 && n > 0 {
                            withUnsafePointer(to: &one) { alpha in
                                withUnsafePointer(to: &zero) { beta in
                                    cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                                                blasInt(m), blasInt(n), blasInt(k), alpha,
                                                pa.baseAddress.unsafelyUnwrapped + 2 * i * m * k, blasInt(Swift.max(k, 1)),
                                                pb.baseAddress.unsafelyUnwrapped + 2 * i * k * n, blasInt(Swift.max(n, 1)),
                                                beta, po.baseAddress.unsafelyUnwrapped + 2 * i * m * n, blasInt(Swift.max(n, 1)))
                                }
                            }
                        }
                    }
                }
            }
        } else {
            let Af = try A.asFloat(), Bf = try B.asFloat()
            if k > 0 {
                // beta = 0: dgemm writes every element, so the output need not be zeroed first.
                out = try Af.storage.withUnsafeBufferPointer { pa in
                    try Bf.storage.withUnsafeBufferPointer { pb in
                        try makeStorage(total) { z in
                            let x = pa.baseAddress.unsafelyUnwrapped, y = pb.baseAddress.unsafelyUnwrapped
                            for i in 0..<batchCount where m > 0 && n > 0 {
                                rowMajorProduct(x + i * m * k, y + i * k * n, z + i * m * n, m: m, k: k, n: n)
                            }
                        }
                    }
                }
            }
        }
        if other.ndim == 1 { outShape.removeLast() }
        if ndim == 1 { outShape.remove(at: outShape.count - (other.ndim == 1 ? 1 : 2)) }
        return Tensor(unchecked: outShape, out, dtype: complex ? .complex128 : .float64)
    }

    /// op(A)·op(B) for matrices, where op transposes when asked: one `dgemm` reading the operands
    /// in place, so the reverse rules of a product (C̄·Bᵀ, Aᵀ·C̄) never copy a transposed matrix.
    ///
    /// - Throws: `ShapeError.mismatch(op: "@")` when the inner dimensions differ,
    ///   `ShapeError.wrongRank` for operands that are not matrices.
    public static func gemm(_ a: Tensor, transA: Bool, _ b: Tensor, transB: Bool) throws -> Tensor {
        let (a, b, m, n, k) = try gemmOperands(a, transA: transA, b, transB: transB)
        let total = try Tensor.elementCount([m, n])
        let out = try makeStorage(total) { pc in
            // beta = 0: every element is written, except for an empty inner dimension.
            if k == 0 { pc.initialize(repeating: 0, count: total) }
            product(a, transA: transA, b, transB: transB, m: m, n: n, k: k, into: pc, beta: 0)
        }
        return try Tensor(shape: [m, n], storage: out)
    }

    /// c + op(A)·op(B), written into c's storage when c holds the only reference to it (dgemm
    /// with beta = 1), so an accumulated sum of products needs no pass of its own.
    ///
    /// - Parameters:
    ///   - c: The matrix to add to, of the product's shape; consumed.
    /// - Throws: as `gemm`, and `ShapeError.mismatch` when c's shape is not the product's.
    public static func gemm(_ a: Tensor, transA: Bool, _ b: Tensor, transB: Bool, adding c: consuming Tensor) throws -> Tensor {
        let (a, b, m, n, k) = try gemmOperands(a, transA: transA, b, transB: transB)
        guard c.shape == [m, n], c.dtype == .float64 else {
            throw ShapeError.mismatch(op: "@ (accumulate)", lhs: [m, n], rhs: c.shape)
        }
        // `consume`: c's binding ends here, so `out` holds the only reference and the write
        // below goes into c's storage instead of a copy of it.
        var out = consume c
        out.storage.withUnsafeMutableBufferPointer { pc in
            if let z = pc.baseAddress { product(a, transA: transA, b, transB: transB, m: m, n: n, k: k, into: z, beta: 1) }
        }
        return out
    }

    /// Writes op(a)·op(b) + beta·C into `c` (m×n, row-major) through `rowMajorGemm`; nothing for
    /// an empty product.
    private static func product(_ a: Tensor, transA: Bool, _ b: Tensor, transB: Bool, m: Int, n: Int, k: Int,
                                into c: UnsafeMutablePointer<Double>, beta: Double) {
        guard m > 0, n > 0, k > 0 else { return }
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                guard let x = pa.baseAddress, let y = pb.baseAddress else { return }
                rowMajorGemm(transA: transA, transB: transB, m: m, n: n, k: k,
                             x, lda: a.shape[1], y, ldb: b.shape[1], c, ldc: n, beta: beta)
            }
        }
    }

    /// The operands of op(A)·op(B) as float matrices, and (m, n, k).
    private static func gemmOperands(_ a: Tensor, transA: Bool, _ b: Tensor, transB: Bool) throws
        -> (Tensor, Tensor, m: Int, n: Int, k: Int) {
        guard a.ndim == 2, b.ndim == 2 else {
            throw ShapeError.wrongRank(op: "@", expected: "matrices", got: a.ndim == 2 ? b.shape : a.shape)
        }
        let a = try a.asFloat(), b = try b.asFloat()
        let (ar, ac) = (a.shape[0], a.shape[1]), (br, bc) = (b.shape[0], b.shape[1])
        let (m, k) = transA ? (ac, ar) : (ar, ac)
        let (k2, n) = transB ? (bc, br) : (br, bc)
        guard k == k2 else {
            throw ShapeError.mismatch(op: "@", lhs: transA ? [m, k] : a.shape, rhs: transB ? [k2, n] : b.shape)
        }
        return (a, b, m, n, k)
    }

    /// Inner product of two vectors; for higher ranks, `matmul`.
    public func dot(_ other: Tensor) throws -> Tensor {
        if ndim == 1 && other.ndim == 1 && !isComplex && !other.isComplex {
            guard shape == other.shape else { throw ShapeError.mismatch(op: "dot", lhs: shape, rhs: other.shape) }
            let n = shape[0]
            let s = storage.withUnsafeBufferPointer { pa in
                other.storage.withUnsafeBufferPointer { pb in
                    cblas_ddot(blasInt(n), pa.baseAddress, 1, pb.baseAddress, 1)
                }
            }
            return Tensor(s)
        }
        if ndim == 0 || other.ndim == 0 { return try binary(.mul, other) }
        return try matmul(other)
    }

    /// Outer product of the flattened operands: out[i, j] = a[i]·b[j].
    public func outer(_ other: Tensor) throws -> Tensor {
        let a = try flattened().reshaped([count, 1]), b = try other.flattened().reshaped([1, other.count])
        return try a.binary(.mul, b)
    }

    /// Kronecker product of two matrices (vectors are treated as rows, as NumPy's `kron` of 1-d).
    public func kron(_ other: Tensor) throws -> Tensor {
        guard ndim <= 2, other.ndim <= 2 else {
            throw ShapeError.wrongRank(op: "kron", expected: "vectors or matrices", got: ndim > 2 ? shape : other.shape)
        }
        let oneD = ndim <= 1 && other.ndim <= 1
        let a = ndim == 2 ? self : try reshaped([1, count])
        let b = other.ndim == 2 ? other : try other.reshaped([1, other.count])
        let (p, q, r, s) = (a.shape[0], a.shape[1], b.shape[0], b.shape[1])
        // (a ⊗ b)[i·r + k, j·s + l] = a[i, j]·b[k, l]: a 4-d broadcast product, then a reshape.
        let prod = try a.reshaped([p, 1, q, 1]).binary(.mul, b.reshaped([1, r, 1, s]))
        return try prod.reshaped(oneD ? [q * s] : [p * r, q * s])
    }

    /// Sum of the main diagonal of a matrix.
    public func trace() throws -> Tensor {
        guard ndim == 2 else { throw ShapeError.wrongRank(op: "trace", expected: "a matrix", got: shape) }
        return try Tensor.diag(self).sum()
    }
}

/// BLAS's integer type.
@inline(__always)
func blasInt(_ n: Int) -> Int32 { Int32(truncatingIfNeeded: n) }

/// C ← A·B for row-major A (m×k), B (k×n), C (m×n): `dgemv` when n == 1 or m == 1, else
/// `rowMajorGemm`.
@inline(__always)
func rowMajorProduct(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ c: UnsafeMutablePointer<Double>,
                     m: Int, k: Int, n: Int) {
    if n == 1 {
        matrixVector(transposed: false, rows: m, cols: k, a, b, c)
    } else if m == 1 {
        matrixVector(transposed: true, rows: k, cols: n, b, a, c)
    } else {
        rowMajorGemm(transA: false, transB: false, m: m, n: n, k: k, a, lda: k, b, ldb: n, c, ldc: n)
    }
}

/// y ← alpha·op(A)·x + beta·y for a row-major rows×cols A and vectors x, y (`dgemv`): a matrix
/// against one vector, a pass over A at the memory's speed, where the gemm kernels (built for
/// blocks of columns) run several times slower.
///
/// - Parameters:
///   - transposed: op(A) = Aᵀ (x has `rows` entries, y `cols`) instead of A (x `cols`, y `rows`).
///   - beta: 0 overwrites y (it need not be initialised).
public func matrixVector(transposed: Bool, rows: Int, cols: Int, alpha: Double = 1, _ a: UnsafePointer<Double>,
                         _ x: UnsafePointer<Double>, beta: Double = 0, _ y: UnsafeMutablePointer<Double>) {
    let (inputs, outputs) = transposed ? (rows, cols) : (cols, rows)
    guard outputs > 0 else { return }
    guard inputs > 0 else {
        // An empty sum: y ← beta·y.
        for i in 0..<outputs { y[i] = beta == 0 ? 0 : beta * y[i] }
        return
    }
    cblas_dgemv(CblasRowMajor, transposed ? CblasTrans : CblasNoTrans, blasInt(rows), blasInt(cols), alpha, a,
                blasInt(cols), x, 1, beta, y, 1)
}

/// Inner dimensions up to which a product without a transposed A takes the row kernel of
/// `CKernels` (where the CPU has AVX2 and FMA): about 1.3× OpenBLAS for 1797×10 @ 10×64, the
/// backward product of a layer with ten outputs.
let smallInnerDimension = 16

/// One single-threaded row-major product C ← op(A)·op(B) + beta·C: the short-inner-dimension row
/// kernel when it applies (a transposed B of at most 16 × 4096 is first copied upright), else the
/// kernels for products with one short side (`ck_gemm_thin`: a dense layer's forward pass and
/// gradients, about 1.25× OpenBLAS's speed there), else `dgemm`. The two kernels sum each
/// element in the same order, with fused multiply-adds, on AVX2 and AVX-512 alike. Which one runs
/// depends only on the shapes and the CPU, never on the thread count.
public func gemmBlock(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                      _ a: UnsafePointer<Double>, lda: Int, _ b: UnsafePointer<Double>, ldb: Int,
                      beta: Double, _ c: UnsafeMutablePointer<Double>, ldc: Int) {
    if !transA && k <= smallInnerDimension && (!transB || n <= 4096) {
        if !transB {
            if ck_gemm_small_k(m, n, k, a, lda, b, ldb, beta, c, ldc) != 0 { return }
        } else {
            let upright = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(k * n, 1))
            defer { upright.deallocate() }
            for p in 0..<k { for j in 0..<n { upright[p * n + j] = b[j * ldb + p] } }
            if ck_gemm_small_k(m, n, k, a, lda, upright, n, beta, c, ldc) != 0 { return }
        }
    }
    if ck_gemm_thin(transA ? 1 : 0, transB ? 1 : 0, m, n, k, a, lda, b, ldb, beta, c, ldc) != 0 { return }
    cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                blasInt(m), blasInt(n), blasInt(k), 1, a, blasInt(lda), b, blasInt(ldb), beta, c, blasInt(ldc))
}

/// Products of at least this many multiply-adds are cut into blocks (about 20 µs of one core).
let parallelGemmWork = 1 << 19

/// C ← op(A)·op(B) + beta·C for row-major operands (C is m×n, the inner dimension k > 0); with
/// beta = 0, C need not be initialised.
///
/// Products are cut into two blocks of rows of C (of columns when C is wider than tall; of the
/// inner dimension, with the two partial products added, when k dwarfs both) once they reach
/// `parallelGemmWork` multiply-adds, unless parallel jobs already share the cores
/// (`Parallel.isInsideJobs`). Each block is one `dgemm` (on one thread), run as
/// `Parallel.jobs`. OpenBLAS's rounding depends on how a product is partitioned, so the cut
/// depends only on the shapes, never on the number of threads: the bytes are the same on one
/// core or many.
func rowMajorGemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                  _ a: UnsafePointer<Double>, lda: Int, _ b: UnsafePointer<Double>, ldb: Int,
                  _ c: UnsafeMutablePointer<Double>, ldc: Int, beta: Double = 0) {
    let (mn, o1) = m.multipliedReportingOverflow(by: n)
    let (product, o2) = mn.multipliedReportingOverflow(by: k)
    let work = o1 || o2 ? Int.max : product
    guard work >= parallelGemmWork, !Parallel.isInsideJobs else {
        gemmBlock(transA: transA, transB: transB, m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, beta: beta, c, ldc: ldc)
        return
    }
    if k / 8 >= Swift.max(m, n) {
        // A reduction-shaped product (a weight gradient Aᵀ·B over a batch): the two halves of the
        // inner dimension go to two threads and their m×n partial products are added.
        let half = k / 2
        let partial = UnsafeMutablePointer<Double>.allocate(capacity: m * n)
        defer { partial.deallocate() }
        let box = UncheckedSendable((a, b, c, partial))
        Parallel.jobs(2) { w in
            let (a, b, c, partial) = box.value
            let a1 = transA ? a + half * lda : a + half, b1 = transB ? b + half : b + half * ldb
            if w == 0 {
                gemmBlock(transA: transA, transB: transB, m: m, n: n, k: half, a, lda: lda, b, ldb: ldb, beta: beta, c, ldc: ldc)
            } else {
                gemmBlock(transA: transA, transB: transB, m: m, n: n, k: k - half, a1, lda: lda, b1, ldb: ldb, beta: 0,
                          partial, ldc: n)
            }
        }
        for i in 0..<m {
            let row = c + i * ldc, add = partial + i * n
            for j in 0..<n { row[j] += add[j] }
        }
        return
    }
    let parts = Swift.max(1, Swift.min(2, Swift.max(m, n) / 16))
    let box = UncheckedSendable((a, b, c))
    Parallel.jobs(parts) { w in
        let (a, b, c) = box.value
        if m >= n {
            let lo = m * w / parts, hi = m * (w + 1) / parts
            gemmBlock(transA: transA, transB: transB, m: hi - lo, n: n, k: k, transA ? a + lo : a + lo * lda, lda: lda,
                      b, ldb: ldb, beta: beta, c + lo * ldc, ldc: ldc)
        } else {
            let lo = n * w / parts, hi = n * (w + 1) / parts
            gemmBlock(transA: transA, transB: transB, m: m, n: hi - lo, k: k, a, lda: lda, transB ? b + lo * ldb : b + lo,
                      ldb: ldb, beta: beta, c + lo, ldc: ldc)
        }
    }
}
