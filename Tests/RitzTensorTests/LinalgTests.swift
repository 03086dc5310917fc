import Foundation
import Testing
@testable import RitzTensor

/// LAPACK wrappers against NumPy/SciPy (`reference.json` → "linalg"). NumPy calls the same LAPACK
/// routines, but its OpenBLAS may sum in another order, so each comparison allows LAPACK's own test
/// bound: `backwardTol(n:norm:)` with ‖A‖ for backward-stable quantities (eigenvalues of symmetric
/// matrices, singular values, reconstructions), times a condition number κ for solutions, and
/// over a gap for eigen- and singular vectors. Vectors are compared up to the sign (or unit phase)
/// of each column, which LAPACK does not fix.
@Suite struct LinalgTests {
    static func l(_ key: String) throws -> Tensor { try Fixture.tensor("linalg", key) }

    /// `got` with each column's sign flipped to agree with `reference` (real or complex: the
    /// column is multiplied by the unit phase of its inner product with the reference).
    static func alignColumns(_ got: Tensor, to reference: Tensor) -> Tensor {
        let g = got.asComplex(), r = reference.asComplex()
        let (rows, cols) = (got.shape[0], got.shape[1])
        var out = g.storage
        for j in 0..<cols {
            var dot = Complex(0)
            for i in 0..<rows {
                let a = Complex(g.storage[2 * (i * cols + j)], g.storage[2 * (i * cols + j) + 1])
                let b = Complex(r.storage[2 * (i * cols + j)], r.storage[2 * (i * cols + j) + 1])
                dot = dot + a.conjugate * b
            }
            let m = dot.magnitude
            let phase = m > 0 ? Complex(dot.re / m, dot.im / m) : Complex(1)
            for i in 0..<rows {
                let a = Complex(out[2 * (i * cols + j)], out[2 * (i * cols + j) + 1]) * phase
                out[2 * (i * cols + j)] = a.re; out[2 * (i * cols + j) + 1] = a.im
            }
        }
        let aligned = Tensor(unchecked: got.shape, out, dtype: .complex128)
        return got.isComplex ? aligned : aligned.realPart()
    }

    static func maxAbs(_ t: Tensor) -> Double { t.asComplex().storage.map { Swift.abs($0) }.max() ?? 0 }

    /// Expects every entry within the absolute tolerance `tol`.
    static func expectMatches(_ got: Tensor, _ expected: Tensor, tol: Double, _ note: String = "",
                              sourceLocation: SourceLocation = #_sourceLocation) {
        expectClose(got, expected, rtol: 0, atol: tol, note, sourceLocation: sourceLocation)
    }

    /// σ_max, and the smallest distance between distinct singular values (or to 0): the gap that
    /// conditions singular vectors.
    static func spectralNormAndGap(_ a: Tensor) throws -> (norm: Double, gap: Double) {
        let s = try a.singularValues().storage
        let gaps = zip(s, s.dropFirst()).map { $0 - $1 } + [s.last ?? 1]
        return (s.first ?? 0, gaps.min() ?? 1)
    }

    /// σ_max/σ_r over the r singular values above `rcond`·σ_max: the condition of a (truncated)
    /// least-squares problem or pseudo-inverse.
    static func keptCondition(_ a: Tensor, rcond: Double = 1e-10) throws -> Double {
        let s = try a.singularValues().storage
        let top = s.first ?? 0
        return top / (s.last { $0 > rcond * top } ?? top)
    }

    /// κ₂(V) of a complex matrix: σ_max/σ_min of [Re −Im; Im Re], which has V's singular values twice.
    static func complexCondition(_ v: Tensor) throws -> Double {
        let n = v.shape[0], re = v.realPart().storage, im = v.imagPart().storage
        var m = [Double](repeating: 0, count: 4 * n * n)
        for i in 0..<n { for j in 0..<n {
            m[i * 2 * n + j] = re[i * n + j]; m[i * 2 * n + n + j] = -im[i * n + j]
            m[(n + i) * 2 * n + j] = im[i * n + j]; m[(n + i) * 2 * n + n + j] = re[i * n + j]
        } }
        return try Tensor(shape: [2 * n, 2 * n], storage: m).cond()
    }

    @Test func eighMatchesNumPy() throws {
        let s = try Self.l("S")
        let (w, v) = try s.eigh()
        let norm = try Self.spectralNormAndGap(s).norm
        let ev = try Self.l("eigh_values").storage
        let eigenGap = zip(ev, ev.dropFirst()).map { $1 - $0 }.min() ?? 1
        Self.expectMatches(w, try Self.l("eigh_values"), tol: backwardTol(n: 6, norm: norm), "values")
        Self.expectMatches(Self.alignColumns(v, to: try Self.l("eigh_vectors")), try Self.l("eigh_vectors"),
                           tol: backwardTol(n: 6, norm: norm / eigenGap), "vectors")
        Self.expectMatches(try s.eigvalsh(), try Self.l("eigvalsh"), tol: backwardTol(n: 6, norm: norm), "eigvalsh")
        #expect(zip(w.storage, w.storage.dropFirst()).allSatisfy { $0 <= $1 }, "ascending")
    }

    /// Only the lower triangle is read, as NumPy's default UPLO='L'.
    @Test func eighReadsLowerTriangle() throws {
        var s = try Self.l("S")
        let norm = try Self.spectralNormAndGap(s).norm
        try s.assign([.at(0), .slice(start: 1, stop: nil, step: nil)], Tensor(99))
        Self.expectMatches(try s.eigvalsh(), try Self.l("eigvalsh"), tol: backwardTol(n: 6, norm: norm))
        let l = try Self.l("P").cholesky()
        var p = try Self.l("P")
        try p.assign([.at(0), .slice(start: 1, stop: nil, step: nil)], Tensor(-5))
        #expect(try p.cholesky() == l)
    }

    /// With a cutoff, lstsq keeps only σ > rcond·σ_max: the same as the truncated pseudo-inverse.
    @Test(arguments: [1e-3, 0.3, 0.9])
    func lstsqCutoffMatchesTruncatedPinv(rcond: Double) throws {
        let r = try Self.l("R"), b = try Self.l("bR")
        let expected = try r.pinv(rcond: rcond).matmul(b)
        // A least-squares solution with a residual is conditioned by κ² (Golub & Van Loan §5.3.8),
        // κ over the kept singular values.
        let kappa = try Self.keptCondition(r, rcond: rcond)
        Self.expectMatches(try Tensor.lstsq(r, b, rcond: rcond), expected, tol: backwardTol(n: 8, norm: kappa * kappa * Self.maxAbs(expected)))
    }

    /// dgeev's eigenvalue order is the same as NumPy's (same routine). Eigenvalues move by at most
    /// κ(V)·‖E‖ for a backward error E (Bauer–Fike), eigenvectors by that over the smallest
    /// eigenvalue separation; the residual ‖AV − VΛ‖ ≤ n·ε·‖A‖·‖V‖ is LAPACK's own `dget22` check.
    @Test func eigMatchesNumPy() throws {
        let g = try Self.l("G")
        let (w, v) = try g.eig()
        #expect(w.dtype == .complex128 && v.dtype == .complex128)
        let norm = try Self.spectralNormAndGap(g).norm, kappa = try Self.complexCondition(v)
        let lambdas = (0..<6).map { Complex(w.storage[2 * $0], w.storage[2 * $0 + 1]) }
        var separation = Double.infinity
        for i in 0..<6 { for j in 0..<6 where i != j { separation = Swift.min(separation, (lambdas[i] - lambdas[j]).magnitude) } }
        Self.expectMatches(w, try Self.l("eig_values"), tol: backwardTol(n: 6, norm: kappa * norm), "values")
        Self.expectMatches(Self.alignColumns(v, to: try Self.l("eig_vectors")), try Self.l("eig_vectors"),
                           tol: backwardTol(n: 6, norm: kappa * norm / separation), "vectors")
        let av = try g.matmul(v), vl = try v * w.reshaped([1, -1])
        #expect(try (av - vl).norm() <= backwardTol(n: 6, norm: try g.norm() * v.norm()))
        // The conjugate pairs are present: this G has complex eigenvalues.
        #expect(w.imagPart().storage.contains { $0 != 0 })
    }

    @Test func svdMatchesNumPy() throws {
        let r = try Self.l("R")
        let (u, s, vt) = try r.svd()
        // Singular values move by ‖E‖ (Weyl), singular vectors by ‖E‖ over the singular value gap
        // (Wedin), E the backward error n·ε·‖A‖.
        let (norm, gap) = try Self.spectralNormAndGap(r)
        Self.expectMatches(s, try Self.l("svd_s"), tol: backwardTol(n: 8, norm: norm), "s")
        Self.expectMatches(Self.alignColumns(u, to: try Self.l("svd_u")), try Self.l("svd_u"), tol: backwardTol(n: 8, norm: norm / gap), "u")
        Self.expectMatches(Self.alignColumns(vt.T, to: try Self.l("svd_vt").T), try Self.l("svd_vt").T, tol: backwardTol(n: 8, norm: norm / gap), "vt")
        let back = try u.matmul(Tensor.diag(s)).matmul(vt)
        Self.expectMatches(back, r, tol: backwardTol(n: 8, norm: norm), "U S Vt = A")
    }

    @Test func svdFullMatrices() throws {
        let w = try Self.l("W")
        let (u, s, vt) = try w.svd(fullMatrices: true)
        #expect(u.shape == [3, 3] && vt.shape == [5, 5] && s.shape == [3])
        let (norm, gap) = try Self.spectralNormAndGap(w)
        Self.expectMatches(s, try Self.l("svd_full_s"), tol: backwardTol(n: 5, norm: norm))
        Self.expectMatches(Self.alignColumns(u, to: try Self.l("svd_full_u")), try Self.l("svd_full_u"), tol: backwardTol(n: 5, norm: norm / gap))
        // The last two rows of Vt span the null space, fixed only up to rotation: check orthogonality.
        Self.expectMatches(try vt.matmul(vt.T), try Tensor.eye(5), tol: backwardTol(n: 5, norm: 1), "Vt orthogonal")
        let (_, _, vtReduced) = try w.svd()
        #expect(vtReduced.shape == [3, 5])
    }

    /// Same Householder algorithm as NumPy: Q and R agree after fixing signs so diag(R) ≥ 0, to
    /// κ(A)·n·ε (Q) and κ(A)·n·ε·‖A‖ (R), the forward error of a QR factorisation (Higham §19.9);
    /// QR = A and QᵀQ = I hold to the backward error.
    @Test(arguments: [("R", "qr_q", "qr_r"), ("W", "qr_wide_q", "qr_wide_r")])
    func qrMatchesNumPy(input: String, qKey: String, rKey: String) throws {
        let a = try Self.l(input)
        let (q, r) = try a.qr()
        func positive(_ q: Tensor, _ r: Tensor) throws -> (Tensor, Tensor) {
            let signs = try Tensor.diag(r).unary(.sign)
            return (try q * signs.reshaped([1, -1]), try r * signs.reshaped([-1, 1]))
        }
        let (q1, r1) = try positive(q, r), (q2, r2) = try positive(try Self.l(qKey), try Self.l(rKey))
        let m = a.shape[0], norm = try Self.spectralNormAndGap(a).norm, kappa = try a.cond()
        Self.expectMatches(q1, q2, tol: backwardTol(n: m, norm: kappa), "Q")
        Self.expectMatches(r1, r2, tol: backwardTol(n: m, norm: kappa * norm), "R")
        Self.expectMatches(try q.matmul(r), a, tol: backwardTol(n: m, norm: norm), "QR = A")
        let k = Swift.min(a.shape[0], a.shape[1])
        Self.expectMatches(try q.T.matmul(q), try Tensor.eye(k), tol: backwardTol(n: m, norm: 1), "QᵀQ = I")
    }

    @Test func solveAndInverse() throws {
        // Forward error of a backward-stable solve: κ(G)·n·ε·‖x‖; det = Π u_ii moves relatively by
        // tr(A⁻¹E) ≤ κ·n·ε as well.
        let g = try Self.l("G"), kappa = try g.cond()
        func tol(_ x: Tensor) -> Double { backwardTol(n: 6, norm: kappa * Self.maxAbs(x)) }
        let x = try Self.l("solve_vec"), xs = try Self.l("solve_mat"), inverse = try Self.l("inv")
        Self.expectMatches(try Tensor.solve(g, Self.l("b")), x, tol: tol(x))
        Self.expectMatches(try Tensor.solve(g, Self.l("B")), xs, tol: tol(xs))
        Self.expectMatches(try g.inv(), inverse, tol: tol(inverse))
        expectClose(try g.det(), try Fixture.number("linalg", "det"), rtol: backwardTol(n: 6, norm: kappa))
        expectClose(try Self.l("S").det(), try Fixture.number("linalg", "det_S"), rtol: backwardTol(n: 6, norm: try Self.l("S").cond()))
        #expect(try Tensor.zeros([0, 0]).det() == 1)
    }

    @Test(arguments: [("R", "bR", "lstsq_tall"), ("R", "BR", "lstsq_tall_mat"), ("W", "bW", "lstsq_wide"),
                      ("D", "bD", "lstsq_deficient")])
    func lstsqMinimumNorm(a: String, b: String, expected: String) throws {
        // κ² over the nonzero singular values: the condition of a least-squares solution with a
        // residual (Golub & Van Loan §5.3.8); D is rank 3, its zero singular values are cut.
        let matrix = try Self.l(a), x = try Self.l(expected), kappa = try Self.keptCondition(matrix)
        Self.expectMatches(try Tensor.lstsq(matrix, Self.l(b)), x,
                           tol: backwardTol(n: matrix.shape[0], norm: kappa * kappa * Self.maxAbs(x)), expected)
    }

    @Test(arguments: [("R", "pinv_R"), ("D", "pinv_D"), ("W", "pinv_W")])
    func pinvMatchesNumPy(a: String, expected: String) throws {
        // ‖δA⁺‖ ≲ κ·‖A⁺‖·‖E‖/‖A‖ for a perturbation that keeps the rank (Wedin), κ over the kept σ.
        let matrix = try Self.l(a), p = try Self.l(expected)
        Self.expectMatches(try matrix.pinv(), p, tol: backwardTol(n: matrix.shape[0], norm: try Self.keptCondition(matrix) * Self.maxAbs(p)), expected)
    }

    @Test func rankCholeskyCond() throws {
        #expect(try Self.l("R").rank() == Int(try Fixture.number("linalg", "rank_R")))
        #expect(try Self.l("D").rank() == Int(try Fixture.number("linalg", "rank_D")))
        let s = try Self.l("D").singularValues().storage
        #expect(try Self.l("D").rank(tol: s[1] * 1.0001) == Int(try Fixture.number("linalg", "rank_D_tol")))
        #expect(try Tensor([0, 0]).rank() == 0 && (try Tensor([0, 2]).rank()) == 1)
        // Cholesky's factor moves by κ(P)·n·ε·‖L‖ (Sun 1991), L Lᵀ = P to the backward error; κ = σ₁/σₙ
        // moves relatively by κ·n·ε, the relative error of σₙ.
        let p = try Self.l("P"), l = try p.cholesky(), lRef = try Self.l("cholesky")
        Self.expectMatches(l, lRef, tol: backwardTol(n: 5, norm: try p.cond() * Self.maxAbs(lRef)))
        Self.expectMatches(try l.matmul(l.T), p, tol: backwardTol(n: 5, norm: Self.maxAbs(p)), "L Lᵀ = P")
        let condG = try Fixture.number("linalg", "cond_G"), condR = try Fixture.number("linalg", "cond_R")
        expectClose(try Self.l("G").cond(), condG, rtol: backwardTol(n: 6, norm: condG))
        expectClose(try Self.l("R").cond(), condR, rtol: backwardTol(n: 8, norm: condR))
        #expect(try Tensor(rows: [[1, 0], [0, 0]]).cond() == .infinity)
    }

    static let expmScales = ["0.005", "0.1", "0.5", "1.5", "4.0", "25.0"]

    /// ‖A‖₁ runs over every Padé degree (3, 5, 7, 9, 13) and several squarings. SciPy uses the
    /// later Al-Mohy–Higham variant; both have backward error ε, so agreement is to the condition
    /// of e^A, about max(1, ‖A‖₁) relative (Higham §10.2), counted as n·ε·‖A‖₁·max|e^A|.
    @Test(arguments: expmScales)
    func expmMatchesSciPy(scale: String) throws {
        let c = try Fixture.dict("linalg", "expm", scale)
        let a = try Fixture.tensor(from: c["a"] as Any), expected = try Fixture.tensor(from: c["result"] as Any)
        let norm = Swift.max(1, Double(scale) ?? 1)
        Self.expectMatches(try a.expm(), expected, tol: backwardTol(n: 6, norm: norm * Self.maxAbs(expected)), "‖A‖₁ = \(scale)")
    }

    @Test func expmOfRotationGenerator() throws {
        let e = try Self.l("rot").expm()
        let tol = backwardTol(n: 2, norm: 2)   // ‖A‖₁ = 2, entries of e^A ≤ 1
        Self.expectMatches(e, try Tensor(rows: [[cos(2), -sin(2)], [sin(2), cos(2)]]), tol: tol)
        Self.expectMatches(e, try Self.l("expm_rot"), tol: tol)
        Self.expectMatches(try Tensor.zeros([3, 3]).expm(), try Tensor.eye(3), tol: 0)
        #expect(throws: TensorError.self) { try Tensor(rows: [[1e308, 0], [1e308, 0]]).expm() }
    }

    @Test func tridiagonalMatchesSciPy() throws {
        let d = try Self.l("tri_d").storage, e = try Self.l("tri_e").storage
        let (w, v) = try Tensor.eighTridiagonal(d, e)
        let ref = try Self.l("tri_values").storage
        let norm = ref.map { Swift.abs($0) }.max() ?? 1, gap = zip(ref, ref.dropFirst()).map { $1 - $0 }.min() ?? 1
        Self.expectMatches(w, try Self.l("tri_values"), tol: backwardTol(n: 7, norm: norm))
        Self.expectMatches(Self.alignColumns(v, to: try Self.l("tri_vectors")), try Self.l("tri_vectors"), tol: backwardTol(n: 7, norm: norm / gap))
        #expect(throws: ShapeError.self) { try Tensor.eighTridiagonal([1, 2, 3], [1]) }
        #expect(throws: LinalgError.nonFinite(op: "eighTridiagonal")) { try Tensor.eighTridiagonal([1, .nan], [1]) }
        let (w1, v1) = try Tensor.eighTridiagonal([4], [])
        #expect(w1.storage == [4] && v1.storage == [1])
    }

    // MARK: errors

    @Test func singularAndIndefiniteThrow() throws {
        let singular = try Tensor(rows: [[1, 2], [2, 4]])
        #expect(throws: LinalgError.singular(info: 2)) { try Tensor.solve(singular, Tensor([1, 1])) }
        #expect(throws: LinalgError.singular(info: 2)) { try singular.inv() }
        #expect(try singular.det() == 0)
        #expect(throws: LinalgError.notPositiveDefinite(info: 2)) { try Tensor(rows: [[1, 2], [2, 1]]).cholesky() }
        #expect(throws: LinalgError.notPositiveDefinite(info: 1)) { try Tensor(rows: [[-1, 0], [0, 1]]).cholesky() }
    }

    @Test func shapeChecks() throws {
        let rect = try Tensor.zeros([2, 3])
        #expect(throws: LinalgError.notSquare(op: "eigh", shape: [2, 3])) { try rect.eigh() }
        #expect(throws: LinalgError.notSquare(op: "inv", shape: [2, 3])) { try rect.inv() }
        #expect(throws: LinalgError.notSquare(op: "expm", shape: [2, 3])) { try rect.expm() }
        #expect(throws: LinalgError.notSquare(op: "cholesky", shape: [2, 3])) { try rect.cholesky() }
        #expect(throws: ShapeError.wrongRank(op: "svd", expected: "a matrix", got: [3])) { try Tensor.zeros([3]).svd() }
        #expect(throws: ShapeError.wrongRank(op: "det", expected: "a matrix", got: [2, 2, 2])) { try Tensor.zeros([2, 2, 2]).det() }
        #expect(throws: ShapeError.mismatch(op: "solve", lhs: [2, 2], rhs: [3])) { try Tensor.solve(Tensor.eye(2), Tensor.zeros([3])) }
        #expect(throws: ShapeError.mismatch(op: "lstsq", lhs: [2, 3], rhs: [3])) { try Tensor.lstsq(rect, Tensor.zeros([3])) }
        #expect(throws: TensorError.unsupportedDType(op: "eig", dtype: .complex128)) { try Tensor.eye(2).asComplex().eig() }
    }

    static let operations: [(String, @Sendable (Tensor) throws -> Void)] = [
        ("eigh", { _ = try $0.eigh() }), ("eigvalsh", { _ = try $0.eigvalsh() }), ("eig", { _ = try $0.eig() }),
        ("svd", { _ = try $0.svd() }), ("qr", { _ = try $0.qr() }), ("solve", { _ = try Tensor.solve($0, Tensor([1, 1])) }),
        ("lstsq", { _ = try Tensor.lstsq($0, Tensor([1, 1])) }), ("inv", { _ = try $0.inv() }), ("det", { _ = try $0.det() }),
        ("pinv", { _ = try $0.pinv() }), ("rank", { _ = try $0.rank() }), ("cholesky", { _ = try $0.cholesky() }),
        ("cond", { _ = try $0.cond() }), ("expm", { _ = try $0.expm() }),
    ]

    /// NaN or ±∞ anywhere is refused before LAPACK runs (it would loop or return garbage).
    @Test(arguments: [Double.nan, .infinity, -.infinity])
    func nonFiniteInputIsRefused(bad: Double) throws {
        let a = try Tensor(rows: [[2, bad], [bad, 2]])
        for (name, op) in Self.operations {
            #expect(throws: LinalgError.nonFinite(op: name), "\(name)") { try op(a) }
        }
        #expect(throws: LinalgError.nonFinite(op: "solve")) { try Tensor.solve(Tensor.eye(2), Tensor([1, bad])) }
    }

    @Test func emptyMatrices() throws {
        let e = try Tensor.zeros([0, 0])
        #expect(try e.eigh().values.shape == [0])
        #expect(try e.inv().shape == [0, 0])
        #expect(try Tensor.zeros([3, 0]).svd().u.shape == [3, 0])
        #expect(try Tensor.zeros([3, 0]).pinv().shape == [0, 3])
    }
}
