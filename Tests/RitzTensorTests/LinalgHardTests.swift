import Foundation
import Testing
@testable import RitzTensor

/// Every LAPACK-backed builtin on hard matrices — Hilbert, Kahan, Wilkinson W21+, Frank, graded
/// D·M·D⁻¹ and D·P·D, a Jordan block with and without an ε in its corner, clustered and repeated
/// eigenvalues, nearly and exactly rank-deficient matrices, badly scaled rows — against
/// references computed by mpmath at 50 digits from the stored doubles (`linalg_hard.json`, made
/// by `Fixtures/make_fixtures.py`) or closed forms.
///
/// Tolerances are stated as LAPACK's test suite states them (see `LinalgRatio`): a backward error
/// ratio, or a forward error divided by its first-order bound dimension·κ·u, each at most
/// LAPACK's threshold 30. A forward error is only checked where that bound is below 10⁻³; beyond,
/// the result may legitimately have no correct digit, and what is checked is that the routine
/// says so (a warning, a huge `cond`).
@Suite struct LinalgHardTests {
    typealias R = LinalgRatio

    /// One matrix and its references.
    struct Case {
        let name: String
        let fields: [String: Any]

        init(_ name: String) throws {
            guard let f = Fixture.hardLinalg[name] as? [String: Any] else { throw FixtureError.missing("linalg_hard." + name) }
            self.name = name; fields = f
        }

        func tensor(_ key: String) throws -> Tensor {
            guard let v = fields[key] else { throw FixtureError.missing("\(name).\(key)") }
            return try Fixture.tensor(from: v)
        }

        func number(_ key: String) throws -> Double {
            guard let v = fields[key] as? Double else { throw FixtureError.missing("\(name).\(key)") }
            return v
        }

        func numbers(_ key: String) throws -> [Double] {
            guard let v = fields[key] as? [Any] else { throw FixtureError.missing("\(name).\(key)") }
            return v.compactMap { $0 as? Double }
        }

        var a: Tensor { get throws { try tensor("a") } }
    }

    /// Whether a forward error bound dimension·κ·u is small enough to promise digits.
    static func meaningful(_ n: Int, _ kappa: Double) -> Bool { Double(n) * kappa * R.u < 1e-3 }

    static let square = ["hilbert8", "hilbert12", "kahan20", "wilkinson21", "frank12", "graded9", "jordan_eps6", "clustered6",
                         "indefinite5", "nearly_singular6", "singular_to_precision6", "badly_scaled7", "graded_spd7"]
    static let symmetric = ["hilbert8", "hilbert12", "wilkinson21", "clustered6", "indefinite5", "graded_spd7"]
    static let general = ["kahan20", "frank12", "graded9", "jordan_eps6", "badly_scaled7"]
    static let rectangular = ["hilbert12", "kahan20", "graded9", "badly_scaled7", "singular_to_precision6",
                              "rank_deficient10x7", "rank_deficient7x10", "hilbert_tall12x8"]
    static let leastSquares = ["rank_deficient10x7", "rank_deficient7x10", "hilbert_tall12x8", "nearly_singular6"]

    @Test("solve: residual ratio, forward error ≲ n·κ₁·u, dgecon's estimate and the warning", arguments: square)
    func solve(_ name: String) throws {
        let c = try Case(name)
        let a = try c.a, b = try c.tensor("b"), n = a.shape[0]
        let (x, rcond) = try Tensor.solveEstimatingCondition(a, b)
        #expect(R.residual(a, x: x, b: b) <= R.threshold, "\(name): ‖b − Ax‖ ratio")
        let kappa = try c.number("cond1")
        if Self.meaningful(n, kappa) {
            let err = R.relativeError(x, try c.tensor("x"))
            #expect(R.forward(error: err, dimension: n, condition: kappa) <= R.threshold, "\(name): forward error \(err)")
            // dgecon underestimates ‖A⁻¹‖₁ (so overestimates rcond), in practice within a factor 3.
            #expect(rcond >= 0.5 / kappa && rcond <= 10 / kappa, "\(name): rcond \(rcond) vs 1/κ₁ = \(1 / kappa)")
        }
        // κ₁ > 5/ε in the fixture: singular to working precision, and said so.
        let expectWarning = kappa * Tensor.illConditionedRcond > 5
        let warned = Tensor.illConditionedWarning("solve", rcond: rcond) != nil
        if expectWarning || kappa * Tensor.illConditionedRcond < 0.05 {
            #expect(warned == expectWarning, "\(name): rcond \(rcond), κ₁ = \(kappa)")
        }
    }

    @Test("inv: ‖I − AX‖ ratio and forward error ≲ n·κ₁·u", arguments: square)
    func inv(_ name: String) throws {
        let c = try Case(name)
        let a = try c.a, n = a.shape[0]
        let (x, rcond) = try a.invEstimatingCondition()
        let kappa = try c.number("cond1")
        if Self.meaningful(n, kappa) {
            #expect(R.inverse(a, x) <= R.threshold, "\(name): ‖I − AX‖ ratio")
            let err = R.relativeError(x, try c.tensor("inv"))
            #expect(R.forward(error: err, dimension: n, condition: kappa) <= R.threshold, "\(name): forward error \(err)")
        } else {
            #expect(Tensor.illConditionedWarning("inv", rcond: rcond) != nil || kappa * Tensor.illConditionedRcond < 5, "\(name)")
        }
    }

    @Test("det: relative error ≲ n·κ₁·u", arguments: square)
    func det(_ name: String) throws {
        let c = try Case(name)
        let a = try c.a, n = a.shape[0], kappa = try c.number("cond1"), want = try c.number("det")
        guard Self.meaningful(n, kappa) else { return }
        let err = abs(try a.det() - want) / abs(want)
        #expect(R.forward(error: err, dimension: n, condition: kappa) <= R.threshold, "\(name): relative error \(err)")
    }

    /// Frank's matrix has integer entries and det = 1 exactly (closed form), though its κ₂ ≈ 4e9.
    @Test("det of Frank's matrix is 1")
    func detFrank() throws {
        let c = try Case("frank12")
        #expect(try c.number("det") == 1)
        let kappa = try c.number("cond1")
        #expect(R.forward(error: abs(try c.a.det() - 1), dimension: 12, condition: kappa) <= R.threshold)
    }

    @Test("cond: relative error ≲ n·κ₂·u, and ≳ 1/u when singular to working precision", arguments: square)
    func cond(_ name: String) throws {
        let c = try Case(name)
        let a = try c.a, n = a.shape[0], kappa = try c.number("cond2")
        let got = try a.cond()
        if Self.meaningful(n, kappa) {
            #expect(R.forward(error: abs(got - kappa) / kappa, dimension: n, condition: kappa) <= R.threshold, "\(name): \(got) vs \(kappa)")
        } else {
            #expect(got * R.u > 1e-3 / Double(n), "\(name): cond \(got) should say singular to working precision")
        }
    }

    @Test("rank: the count of σ > max(m, n)·ε·σ₁ where no σ is near the threshold",
          arguments: square + ["rank_deficient10x7", "rank_deficient7x10", "hilbert_tall12x8"])
    func rank(_ name: String) throws {
        let c = try Case(name)
        guard c.fields["rank_clear"] as? Bool == true else { return }
        #expect(try c.a.rank() == Int(try c.number("rank")), "\(name)")
    }

    @Test("lstsq: forward error ≲ max(m, n)·(κ + κ²‖r‖/(‖A‖‖x‖))·u of the truncated minimum-norm solution",
          arguments: leastSquares)
    func lstsq(_ name: String) throws {
        let c = try Case(name)
        let a = try c.a, dim = a.shape.max() ?? 1
        let x = try Tensor.lstsq(a, try c.tensor("b"))
        let err = R.relativeError(x, try c.tensor("lstsq"))
        #expect(R.forward(error: err, dimension: dim, condition: try c.number("lstsq_cond")) <= R.threshold, "\(name): \(err)")
    }

    @Test("pinv: forward error and ‖AA⁺A − A‖/‖A‖ both ≲ max(m, n)·(σ₁/σ_r)·u", arguments: leastSquares)
    func pinv(_ name: String) throws {
        let c = try Case(name)
        let a = try c.a, dim = a.shape.max() ?? 1
        // NumPy's default cutoff 1e-15 is below the c·n·ε·σ₁ rounding noise of an exactly
        // rank-deficient matrix's zero singular values; the fixture asks for 1e-10 there.
        let x = try a.pinv(rcond: try c.number("pinv_rcond"))
        let err = R.relativeError(x, try c.tensor("pinv"))
        #expect(R.forward(error: err, dimension: dim, condition: try c.number("pinv_cond")) <= R.threshold, "\(name): \(err)")
        // Not a backward error: rounding A⁺'s product costs u‖A⁺‖ absolutely, which A·(·)·A
        // amplifies to κ·u‖A‖ (hilbert_tall12x8: 3e6 in backward units, κ = 1.6e9).
        let am = R.Matrix(a)
        let penrose = am.times(R.Matrix(x)).times(am).minus(am).norm1 / am.norm1
        #expect(R.forward(error: penrose, dimension: dim, condition: try c.number("pinv_cond")) <= R.threshold, "\(name): ‖AA⁺A − A‖")
    }

    @Test("eigh: ‖A − VΛVᵀ‖ and ‖VᵀV − I‖ ratios, each eigenvalue within n·u·‖A‖₂ (Weyl)", arguments: symmetric)
    func eigh(_ name: String) throws {
        let c = try Case(name)
        let a = try c.a, n = a.shape[0]
        let (w, v) = try a.eigh()
        let vm = R.Matrix(v), lambda = R.Matrix(try Tensor.diag(w))
        #expect(R.factorization(a, product: vm.times(lambda).times(vm.adjoint)) <= R.threshold, "\(name): ‖A − VΛVᵀ‖")
        #expect(R.orthonormality(v) <= R.threshold, "\(name): ‖VᵀV − I‖")
        let want = try c.numbers("eigh"), norm2 = try c.number("norm2")
        let err = zip(w.storage, want).map { abs($0 - $1) }.max() ?? 0
        #expect(R.forward(error: err / norm2, dimension: n, condition: 1) <= R.threshold, "\(name): eigenvalue error \(err)")
    }

    @Test("eig: ‖AV − VΛ‖ ratio, unit vectors, each eigenvalue within n·u·‖A‖₂·κ(λ), κ(λ) = 1/|yᴴx|", arguments: general)
    func eig(_ name: String) throws {
        let c = try Case(name)
        let a = try c.a, n = a.shape[0]
        let (w, v) = try a.eig()
        // dgeev is backward stable for the matrix it balances, B = T⁻¹AT (dgebal, T a permuted
        // diagonal of powers of 2): the residual is measured there. For a badly scaled A the plain
        // ‖AV − VΛ‖/(‖A‖‖V‖) can be 10⁶ times larger (badly_scaled7), as in NumPy.
        let t = R.Matrix(try c.tensor("balance")), tInverse = R.Matrix(try c.tensor("balance_inv"))
        let balanced = tInverse.times(R.Matrix(a)).times(t)
        #expect(R.eigenResidual(balanced, vectors: tInverse.times(R.Matrix(v)), values: w) <= R.threshold, "\(name): ‖BṼ − ṼΛ‖")
        #expect(R.unitColumns(v) <= R.threshold, "\(name): ‖v‖ = 1")
        let got = R.Matrix(w), want = R.Matrix(try c.tensor("eig")), conds = try c.numbers("eig_cond"), norm2 = try c.number("norm2")
        // Each reference eigenvalue is paired with the nearest computed one not yet taken.
        var free = Array(0..<n)
        for i in 0..<n {
            let distance = { (j: Int) in hypot(got.re[j] - want.re[i], got.im[j] - want.im[i]) }
            guard let k = free.indices.min(by: { distance(free[$0]) < distance(free[$1]) }) else { break }
            let err = distance(free[k])
            free.remove(at: k)
            #expect(R.forward(error: err / norm2, dimension: n, condition: conds[i]) <= R.threshold,
                    "\(name): λ = \(want.re[i]) + \(want.im[i])i off by \(err), κ(λ) = \(conds[i])")
        }
    }

    /// J₄(1) is defective: a backward error η = ‖E‖ moves its eigenvalue by about η^{1/4}
    /// (the roots of (λ − 1)⁴ = η), so the bound is (threshold·n·u·‖A‖₁)^{1/4}.
    @Test("eig of a Jordan block: eigenvalues within (30·n·u·‖A‖)^(1/4) of 1")
    func eigJordan() throws {
        let a = try Case("jordan4").a
        let (w, v) = try a.eig()
        #expect(R.eigenResidual(R.Matrix(a), vectors: R.Matrix(v), values: w) <= R.threshold)
        let bound = pow(R.threshold * 4 * R.u * R.Matrix(a).norm1, 0.25)
        let wm = R.Matrix(w)
        for j in 0..<4 { #expect(hypot(wm.re[j] - 1, wm.im[j]) <= bound, "λ = \(wm.re[j]) + \(wm.im[j])i") }
    }

    @Test("svd: ‖A − UΣVᵀ‖, ‖UᵀU − I‖, ‖VᵀV − I‖ ratios, each σ within max(m, n)·u·σ₁ (Weyl)", arguments: rectangular)
    func svd(_ name: String) throws {
        let c = try Case(name)
        let a = try c.a, dim = a.shape.max() ?? 1
        let (u, s, vt) = try a.svd()
        let product = R.Matrix(u).times(R.Matrix(try Tensor.diag(s))).times(R.Matrix(vt))
        #expect(R.factorization(a, product: product) <= R.threshold, "\(name): ‖A − UΣVᵀ‖")
        #expect(R.orthonormality(u) <= R.threshold, "\(name): ‖UᵀU − I‖")
        #expect(R.orthonormality(vt.T) <= R.threshold, "\(name): ‖VᵀV − I‖")
        let want = try c.numbers("sigma")
        let err = zip(s.storage, want).map { abs($0 - $1) }.max() ?? 0
        #expect(R.forward(error: err / want[0], dimension: dim, condition: 1) <= R.threshold, "\(name): σ error \(err)")
    }

    @Test("qr: ‖A − QR‖ and ‖QᵀQ − I‖ ratios, R upper triangular", arguments: rectangular)
    func qr(_ name: String) throws {
        let a = try Case(name).a
        let (q, r) = try a.qr()
        #expect(R.factorization(a, product: R.Matrix(q).times(R.Matrix(r))) <= R.threshold, "\(name): ‖A − QR‖")
        #expect(R.orthonormality(q) <= R.threshold, "\(name): ‖QᵀQ − I‖")
        let cols = r.shape[1]
        #expect((0..<r.shape[0]).allSatisfy { i in (0..<min(i, cols)).allSatisfy { r.storage[i * cols + $0] == 0 } }, "\(name): R")
    }

    /// Hilbert 12 (κ ≈ 2e16) may be refused as not positive definite to working precision or
    /// factored with a small backward error; both are correct. An indefinite matrix is refused.
    @Test("cholesky: ‖A − LLᵀ‖ ratio, or a refusal naming the minor", arguments: symmetric)
    func cholesky(_ name: String) throws {
        let a = try Case(name).a
        if name == "wilkinson21" || name == "indefinite5" {
            #expect(throws: LinalgError.self) { try a.cholesky() }
            return
        }
        do {
            let l = try a.cholesky()
            let lm = R.Matrix(l)
            #expect(R.factorization(a, product: lm.times(lm.adjoint)) <= R.threshold, "\(name): ‖A − LLᵀ‖")
        } catch LinalgError.notPositiveDefinite {
            #expect(try Case(name).number("cond2") * R.u > 1e-3, "\(name) refused though well conditioned")
        }
    }
}
