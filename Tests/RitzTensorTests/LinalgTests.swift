import Foundation
import Testing
@testable import RitzTensor

/// LAPACK wrappers against NumPy/SciPy (`reference.json` → "linalg"). NumPy calls the same LAPACK
/// routines, so results agree to rounding: rtol 1e-12 relative to the largest entry for the well-
/// conditioned inputs here (condition numbers below 1e3). Eigen- and singular vectors are compared
/// up to the sign of each column, which LAPACK does not fix.
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

    static func expectMatches(_ got: Tensor, _ expected: Tensor, rtol: Double = 1e-12, _ note: String = "",
                              sourceLocation: SourceLocation = #_sourceLocation) {
        expectClose(got, expected, rtol: 0, atol: rtol * Swift.max(maxAbs(expected), 1e-300), note, sourceLocation: sourceLocation)
    }

    @Test func eighMatchesNumPy() throws {
        let s = try Self.l("S")
        let (w, v) = try s.eigh()
        Self.expectMatches(w, try Self.l("eigh_values"), "values")
        Self.expectMatches(Self.alignColumns(v, to: try Self.l("eigh_vectors")), try Self.l("eigh_vectors"), rtol: 1e-11, "vectors")
        Self.expectMatches(try s.eigvalsh(), try Self.l("eigvalsh"), "eigvalsh")
        #expect(zip(w.storage, w.storage.dropFirst()).allSatisfy { $0 <= $1 }, "ascending")
    }

    /// Only the lower triangle is read, as NumPy's default UPLO='L'.
    @Test func eighReadsLowerTriangle() throws {
        var s = try Self.l("S")
        try s.assign([.at(0), .slice(start: 1, stop: nil, step: nil)], Tensor(99))
        Self.expectMatches(try s.eigvalsh(), try Self.l("eigvalsh"))
        let l = try Self.l("P").cholesky()
        var p = try Self.l("P")
        try p.assign([.at(0), .slice(start: 1, stop: nil, step: nil)], Tensor(-5))
        #expect(try p.cholesky() == l)
    }

    /// With a cutoff, lstsq keeps only σ > rcond·σ_max: the same as the truncated pseudo-inverse.
    @Test(arguments: [1e-3, 0.3, 0.9])
    func lstsqCutoffMatchesTruncatedPinv(rcond: Double) throws {
        let r = try Self.l("R"), b = try Self.l("bR")
        Self.expectMatches(try Tensor.lstsq(r, b, rcond: rcond), try r.pinv(rcond: rcond).matmul(b), rtol: 1e-11)
    }

    /// dgeev's eigenvalue order is the same as NumPy's (same routine); each eigenvector is checked
    /// against NumPy's up to a unit phase, and by its residual ‖Av − λv‖ ≤ 1e-12·‖A‖.
    @Test func eigMatchesNumPy() throws {
        let g = try Self.l("G")
        let (w, v) = try g.eig()
        #expect(w.dtype == .complex128 && v.dtype == .complex128)
        Self.expectMatches(w, try Self.l("eig_values"), "values")
        Self.expectMatches(Self.alignColumns(v, to: try Self.l("eig_vectors")), try Self.l("eig_vectors"), rtol: 1e-10, "vectors")
        let av = try g.matmul(v), vl = try v * w.reshaped([1, -1])
        #expect(try (av - vl).norm() <= 1e-12 * (try g.norm()))
        // The conjugate pairs are present: this G has complex eigenvalues.
        #expect(w.imagPart().storage.contains { $0 != 0 })
    }

    @Test func svdMatchesNumPy() throws {
        let r = try Self.l("R")
        let (u, s, vt) = try r.svd()
        Self.expectMatches(s, try Self.l("svd_s"), "s")
        Self.expectMatches(Self.alignColumns(u, to: try Self.l("svd_u")), try Self.l("svd_u"), rtol: 1e-11, "u")
        Self.expectMatches(Self.alignColumns(vt.T, to: try Self.l("svd_vt").T), try Self.l("svd_vt").T, rtol: 1e-11, "vt")
        let back = try u.matmul(Tensor.diag(s)).matmul(vt)
        Self.expectMatches(back, r, "U S Vt = A")
    }

    @Test func svdFullMatrices() throws {
        let w = try Self.l("W")
        let (u, s, vt) = try w.svd(fullMatrices: true)
        #expect(u.shape == [3, 3] && vt.shape == [5, 5] && s.shape == [3])
        Self.expectMatches(s, try Self.l("svd_full_s"))
        Self.expectMatches(Self.alignColumns(u, to: try Self.l("svd_full_u")), try Self.l("svd_full_u"), rtol: 1e-11)
        // The last two rows of Vt span the null space, fixed only up to rotation: check orthogonality.
        Self.expectMatches(try vt.matmul(vt.T), try Tensor.eye(5), "Vt orthogonal")
        let (_, _, vtReduced) = try w.svd()
        #expect(vtReduced.shape == [3, 5])
    }

    /// Same Householder algorithm as NumPy: Q and R agree after fixing signs so diag(R) ≥ 0.
    @Test(arguments: [("R", "qr_q", "qr_r"), ("W", "qr_wide_q", "qr_wide_r")])
    func qrMatchesNumPy(input: String, qKey: String, rKey: String) throws {
        let a = try Self.l(input)
        let (q, r) = try a.qr()
        func positive(_ q: Tensor, _ r: Tensor) throws -> (Tensor, Tensor) {
            let signs = try Tensor.diag(r).unary(.sign)
            return (try q * signs.reshaped([1, -1]), try r * signs.reshaped([-1, 1]))
        }
        let (q1, r1) = try positive(q, r), (q2, r2) = try positive(try Self.l(qKey), try Self.l(rKey))
        Self.expectMatches(q1, q2, rtol: 1e-11, "Q")
        Self.expectMatches(r1, r2, "R")
        Self.expectMatches(try q.matmul(r), a, "QR = A")
        let k = Swift.min(a.shape[0], a.shape[1])
        Self.expectMatches(try q.T.matmul(q), try Tensor.eye(k), "QᵀQ = I")
    }

    @Test func solveAndInverse() throws {
        let g = try Self.l("G")
        Self.expectMatches(try Tensor.solve(g, Self.l("b")), try Self.l("solve_vec"))
        Self.expectMatches(try Tensor.solve(g, Self.l("B")), try Self.l("solve_mat"))
        Self.expectMatches(try g.inv(), try Self.l("inv"))
        expectClose(try g.det(), try Fixture.number("linalg", "det"), rtol: 1e-12)
        expectClose(try Self.l("S").det(), try Fixture.number("linalg", "det_S"), rtol: 1e-12)
        #expect(try Tensor.zeros([0, 0]).det() == 1)
    }

    @Test(arguments: [("R", "bR", "lstsq_tall"), ("R", "BR", "lstsq_tall_mat"), ("W", "bW", "lstsq_wide"),
                      ("D", "bD", "lstsq_deficient")])
    func lstsqMinimumNorm(a: String, b: String, expected: String) throws {
        Self.expectMatches(try Tensor.lstsq(Self.l(a), Self.l(b)), try Self.l(expected), rtol: 1e-11, expected)
    }

    @Test(arguments: [("R", "pinv_R"), ("D", "pinv_D"), ("W", "pinv_W")])
    func pinvMatchesNumPy(a: String, expected: String) throws {
        Self.expectMatches(try Self.l(a).pinv(), try Self.l(expected), rtol: 1e-11, expected)
    }

    @Test func rankCholeskyCond() throws {
        #expect(try Self.l("R").rank() == Int(try Fixture.number("linalg", "rank_R")))
        #expect(try Self.l("D").rank() == Int(try Fixture.number("linalg", "rank_D")))
        let s = try Self.l("D").singularValues().storage
        #expect(try Self.l("D").rank(tol: s[1] * 1.0001) == Int(try Fixture.number("linalg", "rank_D_tol")))
        #expect(try Tensor([0, 0]).rank() == 0 && (try Tensor([0, 2]).rank()) == 1)
        let l = try Self.l("P").cholesky()
        Self.expectMatches(l, try Self.l("cholesky"))
        Self.expectMatches(try l.matmul(l.T), try Self.l("P"), "L Lᵀ = P")
        expectClose(try Self.l("G").cond(), try Fixture.number("linalg", "cond_G"), rtol: 1e-11)
        expectClose(try Self.l("R").cond(), try Fixture.number("linalg", "cond_R"), rtol: 1e-11)
        #expect(try Tensor(rows: [[1, 0], [0, 0]]).cond() == .infinity)
    }

    static let expmScales = ["0.005", "0.1", "0.5", "1.5", "4.0", "25.0"]

    /// ‖A‖₁ runs over every Padé degree (3, 5, 7, 9, 13) and several squarings. SciPy uses the
    /// later Al-Mohy–Higham variant, so agreement is to κ·u: rtol 1e-12 of the largest entry.
    @Test(arguments: expmScales)
    func expmMatchesSciPy(scale: String) throws {
        let c = try Fixture.dict("linalg", "expm", scale)
        let a = try Fixture.tensor(from: c["a"] as Any), expected = try Fixture.tensor(from: c["result"] as Any)
        Self.expectMatches(try a.expm(), expected, rtol: 1e-12, "‖A‖₁ = \(scale)")
    }

    @Test func expmOfRotationGenerator() throws {
        let e = try Self.l("rot").expm()
        Self.expectMatches(e, try Tensor(rows: [[cos(2), -sin(2)], [sin(2), cos(2)]]), rtol: 1e-14)
        Self.expectMatches(e, try Self.l("expm_rot"), rtol: 1e-14)
        Self.expectMatches(try Tensor.zeros([3, 3]).expm(), try Tensor.eye(3), rtol: 0)
        #expect(throws: TensorError.self) { try Tensor(rows: [[1e308, 0], [1e308, 0]]).expm() }
    }

    @Test func tridiagonalMatchesSciPy() throws {
        let d = try Self.l("tri_d").storage, e = try Self.l("tri_e").storage
        let (w, v) = try Tensor.eighTridiagonal(d, e)
        Self.expectMatches(w, try Self.l("tri_values"))
        Self.expectMatches(Self.alignColumns(v, to: try Self.l("tri_vectors")), try Self.l("tri_vectors"), rtol: 1e-11)
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
