import CBLAS
import RitzTensor

/// The eigenpairs of a sparse symmetric matrix nearest a target τ = −s below the wanted ones, by
/// thick-restarted block Lanczos on the shift-inverted operator (A + sI)⁻¹ (Ericsson and Ruhe,
/// Math. Comp. 35, 1980; Grimes, Lewis and Simon, SIAM J. Matrix Anal. Appl. 15, 1994).
///
/// The eigenvalues λ of A nearest −s become the largest μ = 1/(λ + s) of the inverse, well
/// separated from the rest, so a few block steps suffice where a polynomial filter needs many
/// products. Each step applies the inverse to a block of b vectors with one multi-right-hand-side
/// solve of a `SparseCholesky` factor, orthogonalises the result twice against the whole basis
/// and the deflated vectors (classical Gram–Schmidt twice, "twice is enough"), and adds its QR
/// factor to the projected matrix T = Vᵀ(A + sI)⁻¹V. A block captures eigenvalues of multiplicity
/// up to b (a grid's double eigenvalues), and the start block is fixed (xoshiro256**, fixed seed),
/// so results are deterministic. When the basis is full it is thick-restarted with the ℓ best
/// Ritz vectors and the pending block (block Krylov–Schur form: T becomes diag(θ) bordered by
/// the coupling C·y).
///
/// Convergence: a Ritz pair (θ, Vy) of the inverse has residual ‖C y‖ (C the coupling of the
/// pending block), and (A + sI)(θv + r) = v gives ‖Av − λv‖ ≤ ‖A + sI‖·‖r‖/θ for λ = 1/θ − s.
/// Once that bound is below tol/2 for the wanted pairs, the Ritz vectors are formed, λ is taken
/// as the Rayleigh quotient vᵀAv, and the residual ‖Av − λv‖ is computed with A itself; the
/// pairs are returned when every one is ≤ tol (otherwise the iteration continues).
enum ShiftInvertLanczos {
    struct Result {
        /// Eigenvalues of A, ascending.
        var values: [Double]
        /// Column-major n × m: vector j is `vectors[j*n ..< (j+1)*n]`.
        var vectors: [Double]
        /// ‖Av − λv‖ computed with A.
        var residuals: [Double]
        /// Right-hand sides solved.
        var solves: Int
        /// Restarts of the basis.
        var restarts: Int
        var converged: Bool
    }

    /// The `k` eigenpairs of the symmetric `a` nearest above −s, orthogonal to `deflate`.
    ///
    /// - Parameters:
    ///   - a: Symmetric n×n CSR matrix (residuals are computed with it).
    ///   - k: Pairs wanted.
    ///   - deflate: Orthonormal vectors excluded from the search (known eigenvectors).
    ///   - factor: A factorisation of A + sI.
    ///   - shift: s of the factorisation.
    ///   - tol: Residual tolerance ‖Av − λv‖.
    ///   - blockSize: b (default max(k, 4)).
    ///   - maxBasis: Basis vectors before a restart (default 4b).
    ///   - maxRestarts: Restart cap.
    /// - Returns: The pairs, ascending; `converged` false when the cap was reached first.
    /// - Throws: `SparseSolverError` from the solves, `CurvatureError.interrupted`,
    ///   `TensorError.invalidArgument` when n is too small for the basis.
    static func smallest(_ a: CSRMatrix, k: Int, deflate: [[Double]], factor: SparseCholesky, shift: Double,
                         tol: Double = 1e-8, blockSize: Int? = nil, maxBasis: Int? = nil,
                         maxRestarts: Int = 100) throws -> Result {
        let n = a.rows
        let avail = n - deflate.count
        let m = Swift.min(k, avail)
        guard m >= 1 else { return Result(values: [], vectors: [], residuals: [], solves: 0, restarts: 0, converged: true) }
        let b = Swift.max(1, blockSize ?? Swift.max(m, 4))
        let cap = Swift.max(maxBasis ?? 4 * b, m + 2 * b)
        guard cap + b <= avail else {
            throw TensorError.invalidArgument("shift-invert Lanczos needs at least \(cap + b + deflate.count) nodes for a basis of \(cap) + \(b), got \(n)")
        }
        let ld = cap + b
        try AllocationLimit.check(elements: n * ld)
        var space = BlockBasis(n: n, capacity: ld, deflate: deflate)
        var rng = RandomGenerator(seed: 0x5EED_51F7)
        space.fillRandom(columns: 0..<b, rng: &rng)
        _ = space.orthonormalize(start: 0, width: b, rng: &rng)

        let opNorm = a.maxAbsRowSum + Swift.abs(shift)            // ≥ ‖A + sI‖₂ (Gershgorin)
        var t = [Double](repeating: 0, count: ld * ld)             // T, row-major ld×ld
        var s = 0                                                  // processed basis vectors
        var solves = 0, restarts = 0
        while true {
            try Interruption.check()
            // W = (A + sI)⁻¹ V_pending, placed after the pending block.
            let w = try factor.solve(space.columns(s..<(s + b)), width: b)
            solves += b
            space.set(columns: (s + b)..<(s + 2 * b), w)
            let (h, r) = space.orthonormalize(start: s + b, width: b, rng: &rng)
            for row in 0..<(s + b) { for c in 0..<b { t[row * ld + s + c] = h[row * b + c] } }
            for row in 0..<b { for c in 0..<b { t[(s + b + row) * ld + s + c] = r[row * b + c] } }
            s += b
            // Ritz pairs of the symmetrised leading s×s block.
            var sub = [Double](repeating: 0, count: s * s)
            for i in 0..<s { for j in 0..<s { sub[i * s + j] = (t[i * ld + j] + t[j * ld + i]) / 2 } }
            let (theta, y) = try SmallEigen.symmetric(sub, m: s)
            let order = Array((0..<s).reversed())                  // largest θ first
            // Coupling of each Ritz vector to the pending block: C y, C = T[s..<s+b, 0..<s].
            func coupling(_ i: Int) -> [Double] {
                (0..<b).map { row in
                    var acc = 0.0
                    for j in 0..<s { acc += t[(s + row) * ld + j] * y[j * s + i] }
                    return acc
                }
            }
            let bounds = order.prefix(m).map { i -> Double in
                theta[i] > 0 ? opNorm * Blas.norm(coupling(i)) / theta[i] : .infinity
            }
            ProgressReporting.report("shift-invert Lanczos", step: solves,
                                     fields: [("solves", Double(solves)), ("residual bound", bounds.max() ?? 0)])
            let full = s + b > cap
            let exhausted = full && restarts >= maxRestarts
            if bounds.allSatisfy({ $0 <= tol / 2 }) || exhausted {
                let pairs = ritzPairs(a, space: space, y: y, s: s, pick: Array(order.prefix(m)))
                if exhausted || pairs.residuals.allSatisfy({ $0 <= tol }) {
                    let ok = pairs.residuals.allSatisfy { $0 <= tol }
                    return Result(values: pairs.values, vectors: pairs.vectors, residuals: pairs.residuals,
                                  solves: solves, restarts: restarts, converged: ok)
                }
            }
            guard full else { continue }
            // Thick restart: keep the ℓ best Ritz vectors, then the pending block.
            let l = Swift.min(s - b, Swift.max(m + (b + 1) / 2, cap / 2))
            let keep = Array(order.prefix(l))
            var sel = [Double](repeating: 0, count: s * l)
            for row in 0..<s { for (c, i) in keep.enumerated() { sel[row * l + c] = y[row * s + i] } }
            let kept = space.combine(sel, rows: s, cols: l)
            let pending = space.columns(s..<(s + b))
            let border = keep.map { coupling($0) }
            space.set(columns: 0..<l, kept)
            space.set(columns: l..<(l + b), pending)
            t = [Double](repeating: 0, count: ld * ld)
            for (c, i) in keep.enumerated() {
                t[c * ld + c] = theta[i]
                for row in 0..<b {
                    t[(l + row) * ld + c] = border[c][row]
                    t[c * ld + l + row] = border[c][row]
                }
            }
            s = l
            restarts += 1
        }
    }

    /// The Ritz vectors V y_i for the picked columns, with Rayleigh quotients and residuals
    /// computed with A, sorted by eigenvalue (ties by pick order).
    private static func ritzPairs(_ a: CSRMatrix, space: BlockBasis, y: [Double], s: Int, pick: [Int])
        -> (values: [Double], vectors: [Double], residuals: [Double]) {
        let n = a.rows, m = pick.count
        var sel = [Double](repeating: 0, count: s * m)
        for row in 0..<s { for (c, i) in pick.enumerated() { sel[row * m + c] = y[row * s + i] } }
        let x = space.combine(sel, rows: s, cols: m)
        var pairs = [(value: Double, vector: ArraySlice<Double>, residual: Double, order: Int)]()
        for c in 0..<m {
            var v = Array(x[(c * n)..<((c + 1) * n)])
            let nv = Blas.norm(v)
            if nv > 0 { v = Blas.scaled(v, 1 / nv) }
            let av = a.multiply(v)
            let lambda = Blas.dot(v, av)                          // Rayleigh quotient vᵀAv
            pairs.append((lambda, v[...], Blas.residual(av, lambda, v), c))
        }
        pairs.sort { ($0.value, $0.order) < ($1.value, $1.order) }
        return (pairs.map(\.value), pairs.flatMap { Array($0.vector) }, pairs.map(\.residual))
    }
}

/// An orthonormal block basis, vectors stored contiguously (column-major n × capacity), with
/// block Gram–Schmidt against itself and a fixed set of deflated vectors.
private struct BlockBasis {
    let n: Int
    let deflate: [[Double]]
    private(set) var data: [Double]

    init(n: Int, capacity: Int, deflate: [[Double]]) {
        self.n = n
        self.deflate = deflate
        data = [Double](repeating: 0, count: n * capacity)
    }

    func columns(_ r: Range<Int>) -> [Double] { Array(data[(r.lowerBound * n)..<(r.upperBound * n)]) }

    mutating func set(columns r: Range<Int>, _ values: [Double]) {
        data.replaceSubrange((r.lowerBound * n)..<(r.upperBound * n), with: values)
    }

    mutating func fillRandom(columns r: Range<Int>, rng: inout RandomGenerator) {
        for i in (r.lowerBound * n)..<(r.upperBound * n) { data[i] = rng.normal() }
    }

    /// The combinations Σ_j Y[j, c] v_j of the first `rows` vectors, for each column c of the
    /// row-major rows×cols `y`: column-major n × cols.
    func combine(_ y: [Double], rows: Int, cols: Int) -> [Double] {
        Blas.combine(data, length: n, y, count: rows, cols: cols)
    }

    /// Removes the deflated directions from columns `r`: w ← w − (uᵀw) u for each deflated u.
    private mutating func projectDeflated(_ r: Range<Int>) {
        let n = self.n
        guard n > 0, !r.isEmpty else { return }
        data.withUnsafeMutableBufferPointer { pd in
            guard let base = pd.baseAddress else { return }
            for u in deflate where u.count == n {
                u.withUnsafeBufferPointer { pu in
                    guard let up = pu.baseAddress else { return }
                    for c in r {
                        let w = base + c * n
                        cblas_daxpy(Int32(n), -cblas_ddot(Int32(n), up, 1, w, 1), up, 1, w, 1)
                    }
                }
            }
        }
    }

    /// ‖column c‖₂.
    private func norm(ofColumn c: Int) -> Double {
        data.withUnsafeBufferPointer { pd in
            guard let base = pd.baseAddress else { return 0 }
            return cblas_dnrm2(Int32(n), base + c * n, 1)
        }
    }

    /// Removes from column `col` its components along columns `first..<col` (classical
    /// Gram–Schmidt, one pass of two BLAS-2 products: c = Qᵀw, w ← w − Q c), writing c, one
    /// coefficient per earlier column, to the front of `coefficients`.
    private mutating func project(_ col: Int, against first: Int, into coefficients: inout [Double]) {
        let n = self.n, count = col - first
        guard count > 0, n > 0, coefficients.count >= count else { return }
        data.withUnsafeMutableBufferPointer { pd in
            coefficients.withUnsafeMutableBufferPointer { pc in
                guard let base = pd.baseAddress, let cp = pc.baseAddress else { return }
                let q = base + first * n, w = base + col * n
                // The earlier columns as a row-major count×n matrix: rows are vectors.
                matrixVector(transposed: false, rows: count, cols: n, q, w, cp)
                matrixVector(transposed: true, rows: count, cols: n, alpha: -1, q, cp, beta: 1, w)
            }
        }
    }

    /// Scales column `c` by `factor`.
    private mutating func scale(column c: Int, by factor: Double) {
        let n = self.n
        data.withUnsafeMutableBufferPointer { pd in
            guard let base = pd.baseAddress else { return }
            cblas_dscal(Int32(n), factor, base + c * n, 1)
        }
    }

    /// Orthonormalises columns start..<start+width against the columns before them and the
    /// deflated vectors (twice), then among themselves (Gram–Schmidt, twice: "twice is enough",
    /// Giraud, Langou and Rozložník 2005).
    ///
    /// A column that vanishes (the block has found an invariant subspace) is replaced by a random
    /// unit vector orthogonal to everything, with zero coupling.
    /// - Returns: h (start×width row-major, the coefficients on the earlier columns) and R
    ///   (width×width row-major, upper triangular) with W = V h + Q R.
    mutating func orthonormalize(start: Int, width: Int, rng: inout RandomGenerator) -> (h: [Double], r: [Double]) {
        var h = [Double](repeating: 0, count: start * width)
        var r = [Double](repeating: 0, count: width * width)
        let original = (0..<width).map { norm(ofColumn: start + $0) }
        let n = self.n
        for _ in 0..<2 {
            projectDeflated(start..<(start + width))
            guard start > 0 else { break }
            var pass = [Double](repeating: 0, count: start * width)
            data.withUnsafeMutableBufferPointer { pd in
                pass.withUnsafeMutableBufferPointer { ph in
                    guard let v = pd.baseAddress, let hp = ph.baseAddress else { return }
                    let w = v + start * n
                    // h = V Wᵀ (start×width); W ← W − hᵀ V.
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(start), Int32(width), Int32(n),
                                1, v, Int32(n), w, Int32(n), 0, hp, Int32(width))
                    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(width), Int32(n), Int32(start),
                                -1, hp, Int32(width), v, Int32(n), 1, w, Int32(n))
                }
            }
            for i in 0..<(start * width) { h[i] += pass[i] }
        }
        if start == 0 { projectDeflated(0..<width) }
        var coefficients = [Double](repeating: 0, count: width)
        for c in 0..<width {
            let col = start + c
            for _ in 0..<2 {
                project(col, against: start, into: &coefficients)
                for p in 0..<c { r[p * width + c] += coefficients[p] }
            }
            let norm = norm(ofColumn: col)
            if norm > 1e-10 * Swift.max(original[c], .leastNormalMagnitude) {
                r[c * width + c] = norm
                scale(column: col, by: 1 / norm)
            } else {
                replaceWithRandom(col, rng: &rng)
            }
        }
        return (h, r)
    }

    /// Puts a random unit vector orthogonal to every earlier column and the deflated vectors in `col`.
    private mutating func replaceWithRandom(_ col: Int, rng: inout RandomGenerator) {
        for i in 0..<n { data[col * n + i] = rng.normal() }
        var discarded = [Double](repeating: 0, count: col)
        for _ in 0..<2 {
            projectDeflated(col..<(col + 1))
            project(col, against: 0, into: &discarded)
        }
        scale(column: col, by: 1 / Swift.max(norm(ofColumn: col), .leastNormalMagnitude))
    }
}
