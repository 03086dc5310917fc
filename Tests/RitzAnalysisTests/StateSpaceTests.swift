import Foundation
import Testing
@testable import RitzAnalysis
import RitzTensor

/// State-space tools against the numpy/scipy values of Fixtures/make_statespace_fixtures.py, the
/// closed forms, direct matrix powers and their definitions.
@Suite struct StateSpaceTests {
    static func fixture() throws -> [String: Any] { try KoopmanFixtures.load("statespace/statespace.json") }

    /// The cases of a fixture section (at least one, or the test fails).
    static func cases(_ key: String) throws -> [[String: Any]] {
        let list = (try fixture()[key] as? [Any] ?? []).compactMap { $0 as? [String: Any] }
        try #require(!list.isEmpty, "fixture section \(key) is missing")
        return list
    }

    /// A fixture array that holds complex numbers as [re, im] pairs.
    static func complexEntries(_ any: Any?) -> [Complex] {
        guard let list = any as? [Any] else { return [] }
        if list.count == 2, let re = list[0] as? NSNumber, let im = list[1] as? NSNumber {
            return [Complex(re.doubleValue, im.doubleValue)]
        }
        return list.flatMap { complexEntries($0) }
    }

    static func tensorEntries(_ t: Tensor) -> [Complex] { (0..<t.count).map { let z = t.complexElement($0); return Complex(z.re, z.im) } }

    static func maxDistance(_ a: [Complex], _ b: [Complex]) -> Double {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).map { ($0 - $1).magnitude }.max() ?? 0
    }

    // MARK: HiPPO

    /// Tolerance 30·n·u·max|A|: the fixture's LegS and LegT go through a similarity with
    /// T = diag(√(2k+1)) and its inverse, a few roundings per entry.
    @Test func hippoMatchesThePapersForms() throws {
        for c in try Self.cases("hippo") {
            let kind = try #require(HiPPOKind(rawValue: c["kind"] as? String ?? ""))
            let n = (c["n"] as? NSNumber)?.intValue ?? 0
            let (a, b) = try StateSpace.hippo(n: n, kind: kind)
            #expect(a.shape == [n, n] && b.shape == [n])
            let wantA = (c["A"] as? [Any] ?? []).flatMap { KoopmanFixtures.doubles($0) }
            let wantB = KoopmanFixtures.doubles(c["B"])
            let scale = wantA.map(Swift.abs).max() ?? 1
            let tol = backwardTol(n: n, norm: scale)
            #expect(zip(a.storage, wantA).allSatisfy { Swift.abs($0 - $1) <= tol }, "\(kind) n=\(n)")
            #expect(zip(b.storage, wantB).allSatisfy { Swift.abs($0 - $1) <= tol }, "\(kind) n=\(n)")
            #expect(wantA.count == n * n && wantB.count == n)
        }
    }

    /// LegS is lower triangular with diagonal −(i+1): its eigenvalues are exactly −1 … −n; LagT's
    /// are all −½; FouT's constant and cosine states feel the rank-one −BBᵀ/2.
    @Test func hippoClosedForms() throws {
        let (legs, b) = try StateSpace.hippo(n: 6, kind: .legs)
        for i in 0..<6 {
            #expect(legs.storage[i * 6 + i] == -Double(i + 1))
            #expect(b.storage[i] == (2 * Double(i) + 1).squareRoot())
            for k in 0..<6 where k > i { #expect(legs.storage[i * 6 + k] == 0) }
            for k in 0..<i { #expect(Swift.abs(legs.storage[i * 6 + k] + ((2 * Double(i) + 1) * (2 * Double(k) + 1)).squareRoot()) <= 1e-15 * Double(4 * i + 4)) }
        }
        let (lagt, _) = try StateSpace.hippo(n: 4, kind: .lagt)
        #expect(lagt.storage == [-0.5, 0, 0, 0, -1, -0.5, 0, 0, -1, -1, -0.5, 0, -1, -1, -1, -0.5])
        // FouT: A + BBᵀ/2 is skew-symmetric (2πJ).
        let (fout, fb) = try StateSpace.hippo(n: 7, kind: .fout)
        for i in 0..<7 { for k in 0..<7 {
            let s = fout.storage[i * 7 + k] + fb.storage[i] * fb.storage[k] / 2
            let t = fout.storage[k * 7 + i] + fb.storage[k] * fb.storage[i] / 2
            #expect(Swift.abs(s + t) <= 1e-14)
        } }
    }

    @Test func hippoRefusesBadOrders() {
        #expect(throws: TensorError.self) { try StateSpace.hippo(n: 0, kind: .legs) }
        #expect(throws: (any Error).self) { try StateSpace.hippo(n: Int.max / 2, kind: .legt) }
    }

    // MARK: S4D initialisations

    @Test func s4dLinAndInvFollowTheirFormulas() throws {
        let n = 5, big = 10.0
        let lin = Self.tensorEntries(try StateSpace.s4dInit(n: n, kind: .lin))
        let inv = Self.tensorEntries(try StateSpace.s4dInit(n: n, kind: .inv))
        for k in 0..<n {
            #expect(lin[k] == Complex(-0.5, Double.pi * Double(k)))
            // Inv with N = 2n: (N/π)·(N − (2k+1))/(2k+1), written without the subtraction of 1.
            let want = big * (big - Double(2 * k + 1)) / (Double.pi * Double(2 * k + 1))
            #expect(inv[k].re == -0.5 && Swift.abs(inv[k].im - want) <= 4 * Double.ulpOfOne * Swift.abs(want))
        }
    }

    /// Against numpy's eig of the normal part; tolerance 30·N·u·‖K‖ with ‖K‖ the largest value.
    @Test func s4dLegsIsTheNormalPartsSpectrum() throws {
        for c in try Self.cases("s4d_legs") {
            let n = (c["n"] as? NSNumber)?.intValue ?? 0
            let want = Self.complexEntries(c["values"])
            let got = Self.tensorEntries(try StateSpace.s4dInit(n: n, kind: .legs))
            let scale = want.map(\.magnitude).max() ?? 1
            #expect(Self.maxDistance(got, want) <= backwardTol(n: 2 * n, norm: scale), "n=\(n)")
        }
    }

    // MARK: Discretisation

    /// Against scipy.signal.cont2discrete. SciPy's expm is another implementation of the same
    /// algorithm (Al-Mohy & Higham 2009); both have forward error ≲ κ_exp·u with κ_exp ≤ ~10 for
    /// these systems (dt‖A‖ ≤ 2), so the tolerance is 30·n·u·10·max(1, max|entry|).
    @Test(arguments: ["legs4", "random5x2", "complex3", "s4dlin3", "realdiag"])
    func discretizeMatchesSciPy(name: String) throws {
        let c = try #require(try Self.cases("discretize").first { $0["name"] as? String == name })
        let dt = (c["dt"] as? NSNumber)?.doubleValue ?? 0
        let a = try Self.tensor(c["A"]), b = try Self.tensor(c["B"])
        for method in Discretization.allCases {
            let (ad, bd) = try StateSpace.discretize(a: a, b: b, dt: dt, method: method)
            let ref = try #require(c[method.rawValue] as? [String: Any])
            let wantA = Self.complexEntries(ref["A"]), wantB = Self.complexEntries(ref["B"])
            #expect(ad.shape == a.shape && bd.shape == b.shape)
            let scale = Swift.max(1, (wantA + wantB).map(\.magnitude).max() ?? 1)
            let tol = backwardTol(n: a.shape[0] + 1, norm: 10 * scale)
            #expect(Self.maxDistance(Self.tensorEntries(ad), wantA) <= tol, "\(name) \(method) A")
            #expect(Self.maxDistance(Self.tensorEntries(bd), wantB) <= tol, "\(name) \(method) B")
            #expect(ad.isComplex == (a.isComplex || b.isComplex))
        }
    }

    /// A fixture array written as (shape=, complex=, values= as [re, im] pairs), as a tensor.
    static func tensor(_ any: Any?) throws -> Tensor {
        let d = any as? [String: Any] ?? [:]
        let shape = (d["shape"] as? [NSNumber])?.map(\.intValue) ?? []
        let z = complexEntries(d["values"])
        if d["complex"] as? Bool == true {
            return try Tensor(shape: shape, storage: z.flatMap { [$0.re, $0.im] }, dtype: .complex128)
        }
        return try Tensor(shape: shape, storage: z.map(\.re))
    }

    // MARK: Kernels

    /// The S4D convention 2·Re Σ C_i B̄_i Ā_iˡ against numpy's powers (tolerance 30·L·u·Σ|C_i B̄_i|:
    /// l multiplications of |Ā_i| ≤ 1 each add a rounding).
    @Test func diagonalKernelMatchesNumPy() throws {
        let c = try #require(try Self.fixture()["kernel"] as? [String: Any])
        let lam = Self.complexEntries(c["A"]), cs = Self.complexEntries(c["C"])
        let a = try Tensor(shape: [lam.count], storage: lam.flatMap { [$0.re, $0.im] }, dtype: .complex128)
        let cc = try Tensor(shape: [cs.count], storage: cs.flatMap { [$0.re, $0.im] }, dtype: .complex128)
        let b = Tensor(KoopmanFixtures.doubles(c["B"]))
        let dt = (c["dt"] as? NSNumber)?.doubleValue ?? 0, length = (c["L"] as? NSNumber)?.intValue ?? 0
        let want = KoopmanFixtures.doubles(c["K"])
        let k = try StateSpace.ssmKernel(a: a, b: b, c: cc, dt: dt, length: length, conjugatePairs: true)
        #expect(k.shape == [length] && !k.isComplex)
        let tol = backwardTol(n: length, norm: 10)
        #expect(zip(k.storage, want).allSatisfy { Swift.abs($0 - $1) <= tol })
    }

    /// K[l] = C Āˡ B̄ against Āˡ formed by repeated dense products of the bilinear Ā (a different
    /// association than the kernel's v ← Āv); tolerance 30·n·L·u·max‖Āˡ‖·‖B̄‖·‖C‖ on LegS, whose
    /// bilinear Ā has ‖Āˡ‖ ≤ ~10 for these steps.
    @Test func denseKernelMatchesMatrixPowers() throws {
        let n = 5, length = 20, dt = 0.05
        let (a, b) = try StateSpace.hippo(n: n, kind: .legs)
        let c = Tensor((0..<n).map { 1 / Double($0 + 1) })
        let k = try StateSpace.ssmKernel(a: a, b: b, c: c, dt: dt, length: length, conjugatePairs: false)
        let (ad, bd) = try StateSpace.discretize(a: a, b: b, dt: dt, method: .bilinear)
        var power = try Tensor.eye(n)
        for l in 0..<length {
            let want = try c.reshaped([1, n]).matmul(power).matmul(bd.reshaped([n, 1])).storage[0]
            #expect(Swift.abs(k.storage[l] - want) <= backwardTol(n: n * length, norm: 10 * 10), "l=\(l)")
            power = try power.matmul(ad)
        }
        // conj=true is twice the real part of the same kernel.
        let doubled = try StateSpace.ssmKernel(a: a, b: b, c: c, dt: dt, length: length, conjugatePairs: true)
        #expect(zip(doubled.storage, k.storage).allSatisfy { $0 == 2 * $1 })
    }

    /// A diagonal given as its entries and the same matrix given dense give the same kernel.
    @Test func diagonalAndDenseKernelsAgree() throws {
        let d = [-1.0, -0.25, 0.5, -3]
        var dense = [Double](repeating: 0, count: 16)
        for i in 0..<4 { dense[i * 4 + i] = d[i] }
        let b = Tensor([1, 2, -1, 0.5]), c = Tensor([0.5, -1, 1, 2])
        let kd = try StateSpace.ssmKernel(a: Tensor(d), b: b, c: c, dt: 0.3, length: 15, conjugatePairs: false)
        let km = try StateSpace.ssmKernel(a: Tensor(shape: [4, 4], storage: dense), b: b, c: c, dt: 0.3, length: 15, conjugatePairs: false)
        #expect(zip(kd.storage, km.storage).allSatisfy { Swift.abs($0 - $1) <= backwardTol(n: 60, norm: 10) })
        #expect(try StateSpace.ssmKernel(a: Tensor(d), b: b, c: c, dt: 0.3, length: 0, conjugatePairs: false).shape == [0])
    }

    @Test func kernelRefusesMismatches() {
        #expect(throws: (any Error).self) { try StateSpace.ssmKernel(a: Tensor([1, 2]), b: Tensor([1, 2, 3]), c: Tensor([1, 2]), dt: 0.1, length: 3, conjugatePairs: false) }
        #expect(throws: (any Error).self) { try StateSpace.ssmKernel(a: Tensor([1, 2]), b: Tensor([1, 2]), c: Tensor([1]), dt: 0.1, length: 3, conjugatePairs: false) }
        #expect(throws: (any Error).self) { try StateSpace.ssmKernel(a: Tensor([1, 2]), b: Tensor([1, 2]), c: Tensor([1, 2]), dt: 0, length: 3, conjugatePairs: false) }
        #expect(throws: (any Error).self) { try StateSpace.ssmKernel(a: Tensor([1, 2]), b: Tensor([1, 2]), c: Tensor([1, 2]), dt: 0.1, length: -1, conjugatePairs: false) }
    }

    // MARK: Perturb-then-diagonalize

    /// backward_error against its definition with V⁻¹ formed explicitly (Tensor.inv of V's real
    /// embedding) and ‖·‖₂ from a dense SVD; the two differ by rounding amplified by κ(V), so the
    /// tolerance is 30·n·u·κ(V). The perturbation has norm eps·‖A‖₂ and the diagonalisation
    /// reproduces Ã, so the backward error is eps up to the same rounding.
    @Test func ptdBackwardErrorIsItsDefinition() throws {
        let n = 16, eps = 1e-6
        let (a, _) = try StateSpace.hippo(n: n, kind: .legs)
        let r = try StateSpace.ptd(a: a, eps: eps, seed: 3)
        let v = ComplexLinear.Parts(r.vectors)
        let vInv = try v.embedded().inv()
        var lambdaV = v
        for j in 0..<n { for i in 0..<n { lambdaV[i, j] = v[i, j] * Self.tensorEntries(r.values)[j] } }
        let recon = try lambdaV.embedded().matmul(vInv)   // embedding of VΛV⁻¹
        var diff = [Double](repeating: 0, count: 4 * n * n)
        for i in 0..<(2 * n) { for j in 0..<(2 * n) {
            let ai = (i < n && j < n) || (i >= n && j >= n) ? a.storage[(i % n) * n + (j % n)] : 0
            diff[i * 2 * n + j] = ai - recon.storage[i * 2 * n + j]
        } }
        let normA = try a.singularValues().storage[0]
        let definition = try Tensor(shape: [2 * n, 2 * n], storage: diff).singularValues().storage[0] / normA
        let tol = backwardTol(n: n, norm: r.cond)
        #expect(Swift.abs(r.backwardError - definition) <= tol)
        #expect(Swift.abs(r.backwardError - eps) <= tol)
        #expect(Swift.abs(r.perturbation - eps * normA) <= 1e-12 * eps * normA)
        // LegS is far from normal: the perturbation lowers κ(V) by orders of magnitude.
        #expect(r.condBefore > 1e3 * r.cond)
        #expect(r.values.shape == [n] && r.vectors.shape == [n, n] && r.values.isComplex)
    }

    @Test func ptdIsDeterministicAndChecksItsInput() throws {
        let (a, _) = try StateSpace.hippo(n: 6, kind: .legt)
        let x = try StateSpace.ptd(a: a, eps: 1e-3, seed: 9), y = try StateSpace.ptd(a: a, eps: 1e-3, seed: 9)
        #expect(x.values == y.values && x.backwardError == y.backwardError)
        // eps = 0 is the exact diagonalisation.
        let exact = try StateSpace.ptd(a: a, eps: 0, seed: 9)
        #expect(exact.cond == exact.condBefore && exact.perturbation == 0)
        #expect(throws: (any Error).self) { try StateSpace.ptd(a: Tensor([1, 2, 3]), eps: 1e-3, seed: 0) }
        #expect(throws: (any Error).self) { try StateSpace.ptd(a: Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6]), eps: 1e-3, seed: 0) }
        #expect(throws: (any Error).self) { try StateSpace.ptd(a: a, eps: -1, seed: 0) }
    }

    // MARK: Pseudospectra

    /// Against numpy's complex SVD at each grid point; tolerance 30·n·u·(|z| + ‖A‖).
    @Test func pseudospectrumMatchesDenseSVD() throws {
        for c in try Self.cases("pseudospectrum") {
            let a = try KoopmanFixtures.matrix(c["A"])
            let z = Self.complexEntries(c["grid"])
            let want = (c["sigma"] as? [Any] ?? []).flatMap { KoopmanFixtures.doubles($0) }
            let (sigma, eigenvalues) = try StateSpace.pseudospectrum(a: a, grid: z)
            let normA = try a.singularValues().storage[0]
            #expect(sigma.count == want.count && eigenvalues.count == a.shape[0])
            for (k, (s, w)) in zip(sigma, want).enumerated() {
                #expect(Swift.abs(s - w) <= backwardTol(n: a.shape[0], norm: z[k].magnitude + normA), "\(c["name"] ?? "") point \(k)")
            }
            // At an eigenvalue σ_min is zero up to rounding.
            let at = try StateSpace.pseudospectrum(a: a, grid: [eigenvalues[0]]).sigma[0]
            #expect(at <= backwardTol(n: a.shape[0], norm: normA * 1e3))
        }
    }

    /// The Hessenberg LU + inverse Lanczos path against a dense SVD of the real embedding of
    /// zI − A (`ComplexLinear.smallestSingularValue`) on larger non-normal matrices, at points
    /// far from, near and at the spectrum; tolerance 30·n·u·(|z| + ‖A‖) as for the fixtures.
    @Test(arguments: [("legs24", 24), ("random40", 40)])
    func inverseLanczosMatchesDenseSVD(name: String, n: Int) throws {
        var rng = RandomGenerator(seed: 11)
        let a = name.hasPrefix("legs") ? try StateSpace.hippo(n: n, kind: .legs).a : try Tensor.randn([n, n], using: &rng)
        let lambda = try StateSpace.pseudospectrum(a: a, grid: []).eigenvalues
        var z = [Complex(0), Complex(3, 4), Complex(-30, 2), Complex(0.5, -0.25)]
        z += lambda.prefix(3).map { $0 + Complex(1e-3, 1e-3) }
        let normA = try a.singularValues().storage[0]
        let got = try StateSpace.pseudospectrum(a: a, grid: z).sigma
        for (k, p) in z.enumerated() {
            var shifted = ComplexLinear.Parts(a)
            for i in 0..<n { shifted[i, i] = shifted[i, i] - p }
            let want = try ComplexLinear.smallestSingularValue(shifted)
            #expect(Swift.abs(got[k] - want) <= backwardTol(n: n, norm: p.magnitude + normA), "\(name) z=\(p)")
        }
    }

    /// A diagonal is normal: σ_min(zI − Λ) = min |z − λ_i|, the same as the dense diagonal matrix.
    @Test func diagonalPseudospectrumIsTheDistanceToTheSpectrum() throws {
        let lam = [Complex(-0.5, 0), Complex(-0.5, 3), Complex(-2, -1)]
        let diagonal = try Tensor(shape: [3], storage: lam.flatMap { [$0.re, $0.im] }, dtype: .complex128)
        let z = [Complex(0, 0), Complex(-0.5, 2), Complex(1, -1)]
        let got = try StateSpace.pseudospectrum(a: diagonal, grid: z).sigma
        for (g, p) in zip(got, z) { #expect(g == lam.map { (p - $0).magnitude }.min()) }
        let real = try StateSpace.pseudospectrum(a: Tensor([-1, 2]), grid: z).sigma
        let dense = try StateSpace.pseudospectrum(a: Tensor(shape: [2, 2], storage: [-1, 0, 0, 2]), grid: z).sigma
        #expect(zip(real, dense).allSatisfy { Swift.abs($0 - $1) <= backwardTol(n: 2, norm: 4) })
        #expect(throws: (any Error).self) { try StateSpace.pseudospectrum(a: Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6]), grid: z) }
    }

    @Test func defaultBoxHoldsTheEigenvalues() {
        let box = StateSpace.pseudospectrumBox(around: [Complex(-1), Complex(-8)])
        #expect(box.re.lo < -8 && box.re.hi > -1 && box.im.lo < 0 && box.im.hi > 0)
        #expect(Swift.abs((box.re.hi - box.re.lo) - (box.im.hi - box.im.lo)) <= 1e-12)
        let point = StateSpace.pseudospectrumBox(around: [Complex(0)])
        #expect(point.re.hi > point.re.lo)
    }
}
