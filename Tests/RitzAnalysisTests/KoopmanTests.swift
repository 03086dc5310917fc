import Foundation
import Testing
@testable import RitzAnalysis
import RitzTensor

/// Koopman tools against numpy/scipy/pydmd values of Fixtures/make_fixtures.py.
@Suite struct KoopmanTests {
    @Test(arguments: [
        ("duffing", KoopmanSystem.duffing, [String: Double]()),
        ("forced_duffing", KoopmanSystem.duffing, ["gamma": 0.3]),
        ("lorenz", KoopmanSystem.lorenz, [:]),
        ("henon", KoopmanSystem.henon, [:]),
    ] as [(String, KoopmanSystem, [String: Double])])
    func simulateMatchesReferenceIntegrators(name: String, system: KoopmanSystem, params: [String: Double]) throws {
        let fx = KoopmanFixtures.sub(try KoopmanFixtures.load("koopman/simulate.json"), name)
        let x0 = KoopmanFixtures.doubles(fx["x0"])
        let steps = (fx["steps"] as? NSNumber)?.intValue ?? 0, dt = (fx["dt"] as? NSNumber)?.doubleValue ?? 0
        let out = try system.simulate(x0: Tensor(x0), steps: steps, dt: dt, parameters: params)
        #expect(out.shape == [x0.count, steps + 1])
        let last = (0..<x0.count).map { out.storage[$0 * (steps + 1) + steps] }
        // Same RK4 in numpy: agreement to rounding, a few ε per step over ≤ 500 steps (≈ 1e-13),
        // which Lorenz's stretching over t = 1 amplifies by at most e^(0.9·1) ≈ 2.5: 1e-11 leaves 30×.
        for (a, b) in zip(last, KoopmanFixtures.doubles(fx["rk4"])) { #expect(abs(a - b) <= 1e-11 * max(1, abs(b))) }
        // scipy DOP853 at 1e-12: RK4's global error O(dt⁴) stays below 1e-6 on these horizons
        // (1e-4 for Lorenz, whose chaotic stretching amplifies it).
        let tol = system == .lorenz ? 1e-4 : 1e-6
        for (a, b) in zip(last, KoopmanFixtures.doubles(fx["ivp"])) { #expect(abs(a - b) <= tol * max(1, abs(b))) }
    }

    @Test func simulateRejectsBadInput() throws {
        #expect(throws: TensorError.self) { try KoopmanSystem.lorenz.simulate(x0: Tensor([1, 2]), steps: 3) }
        #expect(throws: TensorError.self) { try KoopmanSystem.duffing.simulate(x0: Tensor([1, 0]), steps: 3, parameters: ["sigma": 1]) }
        #expect(throws: TensorError.self) { try KoopmanSystem.vanderpol.simulate(x0: Tensor([1, 0]), steps: -1) }
        #expect(throws: TensorError.self) { try KoopmanSystem.henon.simulate(x0: Tensor([1e200, 0]), steps: 5) }
    }

    @Test func dmdMatchesPyDMD() throws {
        let fx = try KoopmanFixtures.load("koopman/dmd.json")
        let X = try KoopmanFixtures.matrix(fx["X"])
        let dt = (fx["dt"] as? NSNumber)?.doubleValue ?? 1
        let auto = try DMD.fit(x: X, rank: 0, dt: dt)
        #expect(auto.rank == (fx["svht_rank"] as? NSNumber)?.intValue)
        #expect(auto.rank == (fx["pydmd_rank0"] as? NSNumber)?.intValue)
        let d = try DMD.fit(x: X, rank: 5, dt: dt)
        let ref = KoopmanFixtures.complexes(fx["eigs5"])
        // Ã = U_rᵀ Y V_r Σ_r⁻¹ carries the SVD's backward error n·ε·‖X‖ amplified by σ₁/σ_r; its
        // eigenvalues move by that times ‖Ã‖ (an eigenvalue condition of order one here).
        let sv = try X.singularValues().storage
        let kappa = sv[0] / sv[4], aNorm = ref.map(\.magnitude).max() ?? 1
        let valueTol = backwardTol(n: X.shape[0], norm: kappa * aNorm)
        for (a, b) in zip(KoopmanFixtures.sorted(d.eigenvalues), KoopmanFixtures.sorted(ref)) {
            #expect((a - b).magnitude <= valueTol)
        }
        // b_j φ_j is independent of how each mode is scaled: compare it with pydmd's, to the same
        // σ₁/σ_r-amplified backward error relative to its size.
        let refModes = KoopmanFixtures.complexMatrix(fx["modes5"]), refAmps = KoopmanFixtures.complexes(fx["amplitudes5"])
        let ours = ComplexLinear.Parts(d.modes)
        for (j, lam) in d.eigenvalues.enumerated() {
            guard let r = ref.firstIndex(where: { ($0 - lam).magnitude <= valueTol }) else { Issue.record("eigenvalue \(lam) missing"); continue }
            for i in 0..<refModes.count {
                let a = ours[i, j] * d.amplitudes[j], b = refModes[i][r] * refAmps[r]
                #expect((a - b).magnitude <= backwardTol(n: X.shape[0], norm: kappa * max(1, b.magnitude)))
            }
        }
        // Rates: ω = log λ / dt, the same formula: a few roundings of values ≲ 1/dt (1e-14 ≈ 45ε).
        let w = Complex.log(d.eigenvalues[0])
        #expect(abs(d.growth[0] - w.re / dt) < 1e-14 && abs(d.frequency[0] - w.im / dt / (2 * .pi)) < 1e-14)
    }

    /// Columns x_{t+1} = A x_t from x₀, as a d×(steps+1) matrix.
    static func trajectory(_ a: [[Double]], _ x0: [Double], steps: Int) throws -> Tensor {
        var cols = [x0]
        for _ in 0..<steps {
            let x = cols[cols.count - 1]
            cols.append(a.map { row in zip(row, x).reduce(0) { $0 + $1.0 * $1.1 } })
        }
        return try Tensor(rows: cols).T
    }

    @Test func dmdDefaultsToTheNumericalRankOnATwoStateTrajectory() throws {
        // The issue's case: the hard threshold of two singular values kept one; the numerical rank
        // keeps both, and the eigenvalues are A's, 0.9 ± 0.2i in closed form. Ã is 2×2 from an
        // SVD of O(1) data: a few roundings, 1e-13.
        let X = try Self.trajectory([[0.9, -0.2], [0.2, 0.9]], [1, 0.5], steps: 30)
        let d = try DMD.fit(x: X)
        #expect(d.rank == 2)
        #expect(d.rankReason.hasPrefix("numerical rank"))
        #expect(d.warnings.isEmpty)
        let sorted = KoopmanFixtures.sorted(d.eigenvalues)
        #expect((sorted[0] - Complex(0.9, -0.2)).magnitude < 1e-13 && (sorted[1] - Complex(0.9, 0.2)).magnitude < 1e-13)
    }

    @Test func dmdUsesTheNumericalRankWithoutANoiseFloor() throws {
        // Two rotation-contraction blocks (4 real dimensions) seen through 12 random directions:
        // 12 singular values, 8 of them at rounding level, so rank 4 without any threshold.
        var g = RandomGenerator(seed: 3)
        let z = try Self.trajectory([[0.95, -0.3, 0, 0], [0.3, 0.95, 0, 0], [0, 0, 0.8, -0.5], [0, 0, 0.5, 0.8]],
                                    [1, 0, 1, 0.5], steps: 40)
        let X = try Tensor.randn([12, 4], using: &g).matmul(z)
        let d = try DMD.fit(x: X)
        #expect(d.rank == 4)
        #expect(d.rankReason.contains("no noise floor"))
    }

    @Test func dmdFallsBackToRankOneWithAWarningWhenOnlyNoise() throws {
        // 40×41 white noise: every σ lies in the Marchenko–Pastur bulk, whose top edge 2√n sits
        // below ω(1)·median ≈ 2.86·0.87√n, so nothing passes the threshold.
        var g = RandomGenerator(seed: 1)
        let X = try Tensor.randn([40, 41], using: &g)
        let d = try DMD.fit(x: X)
        #expect(d.rank == 1)
        #expect(d.rankReason.contains("optimal hard threshold"))
        #expect(d.warnings.contains { $0.contains("rank 1") })
    }

    @Test func dmdWarnsAboutATimeMajorMatrix() throws {
        let X = try Self.trajectory([[0.9, -0.2], [0.2, 0.9]], [1, 0.5], steps: 30)
        let d = try DMD.fit(x: X.T)
        #expect(d.warnings.contains { $0.contains("transpose") && $0.contains("31×2") })
        #expect(try DMD.fit(x: X).warnings.isEmpty)
    }

    @Test func dmdPredictsALinearSystemExactly() throws {
        let a = try Tensor(rows: [[0.9, -0.2], [0.2, 0.9]])
        var cols = [[1.0, 0.5]]
        for _ in 0..<10 { let x = cols.last ?? []; cols.append([0.9 * x[0] - 0.2 * x[1], 0.2 * x[0] + 0.9 * x[1]]) }
        let X = try Tensor(rows: cols).T
        _ = a
        let d = try DMD.fit(x: X, rank: 2)
        let p = try d.predict(x0: Tensor([1.0, 0.5]), steps: 10)
        // A 2×2 rotation-contraction (‖A‖ < 1): ten powers, each a few roundings of O(1) values.
        for i in 0..<2 { for t in 0...10 { #expect(abs(p.storage[i * 11 + t] - X.storage[i * 11 + t]) < 1e-12) } }
    }

    @Test func polyDictionaryFollowsPolynomialFeaturesOrder() throws {
        let fx = try KoopmanFixtures.load("koopman/edmd.json")
        let pts = try KoopmanFixtures.matrix(fx["poly3_points"]).T
        let ref = try KoopmanFixtures.matrix(fx["poly3_values"])
        let psi = try KoopmanDictionary.poly(degree: 3).evaluate(pts)
        #expect(psi.shape == ref.shape)
        // Monomials of degree ≤ 3 in values ≤ 1.1: ≤ 3 roundings each, below 1e-15.
        for (a, b) in zip(psi.storage, ref.storage) { #expect(abs(a - b) < 1e-15) }
        #expect(try KoopmanDictionary.poly(degree: 5).size(dimension: 2) == 21)
        #expect(try KoopmanDictionary.fourier(k: 3).size(dimension: 2) == 13)
    }

    @Test func edmdAndResidualsMatchTheGramFormulaOnHenon() throws {
        let fx = KoopmanFixtures.sub(try KoopmanFixtures.load("koopman/edmd.json"), "henon")
        let data = try KoopmanFixtures.matrix(fx["data"])
        let simulated = try KoopmanSystem.henon.simulate(x0: Tensor(KoopmanFixtures.doubles(fx["x0"])), steps: 400)
        // Same operations as the fixture's map; the chaotic orbit keeps agreement for ~20 steps.
        for i in 0..<2 { for t in 0..<20 { #expect(abs(simulated.storage[i * 401 + t] - data.storage[i * 401 + t]) < 1e-12) } }
        let r = try EDMD.fit(x: data, dictionary: .poly(degree: 3), residuals: .training)
        let ref = KoopmanFixtures.complexes(fx["eigs"]), refRes = KoopmanFixtures.doubles(fx["res_gram"])
        let res = try #require(r.residuals)
        // As on Duffing: eigenvalues move by N·ε·κ(Ψ_X)·‖K̃‖; the reference residuals come from the
        // Gram matrix Ψ_XᵀΨ_X, which squares the condition number: N·ε·κ(Ψ_X)².
        let psiX = try KoopmanDictionary.poly(degree: 3).evaluate(data.index([.all, .slice(start: 0, stop: -1, step: 1)]))
        let n = psiX.shape[1], kappa = try psiX.cond()
        let kNorm = try r.kTilde.singularValues().storage.first ?? 1
        let valueTol = backwardTol(n: n, norm: kappa * kNorm, threshold: 1)
        let gramTol = backwardTol(n: n, norm: kappa * kappa, threshold: 1)
        for (j, lam) in r.eigenvalues.enumerated() {
            guard let k = ref.indices.min(by: { (ref[$0] - lam).magnitude < (ref[$1] - lam).magnitude }) else { continue }
            #expect((ref[k] - lam).magnitude <= valueTol)
            #expect(abs(res[j] - refRes[k]) <= gramTol)
        }
        // Pseudospectrum σ_min(C − zQ) against numpy's SVD of the M×N matrix: C = Ψ_Y R₁₁⁻¹ carries
        // the error N·ε·κ(Ψ_X)·‖C − zQ‖, and σ_min moves by no more (Weyl).
        let zs = KoopmanFixtures.complexes(fx["pseudo_z"]), sig = KoopmanFixtures.doubles(fx["pseudo_sigma"])
        for (a, (b, z)) in zip(try r.pseudospectrum(zs), zip(sig, zs)) {
            #expect(abs(a - b) <= backwardTol(n: n, norm: kappa * (kNorm + z.magnitude), threshold: 1))
        }
        // At an eigenvalue the pseudospectrum equals that eigenpair's residual bound or less
        // (both to rounding, N·ε·κ(Ψ_X)).
        let at = try r.pseudospectrum([r.eigenvalues[0]])
        #expect(at[0] <= res[0] + backwardTol(n: n, norm: kappa, threshold: 1))
    }

    @Test func trainingAndHeldOutResidualsOnDuffing() throws {
        let fx = KoopmanFixtures.sub(try KoopmanFixtures.load("koopman/edmd.json"), "duffing")
        func int(_ k: String) -> Int { (fx[k] as? NSNumber)?.intValue ?? 0 }
        let dt = (fx["dt"] as? NSNumber)?.doubleValue ?? 0
        let train = try KoopmanSystem.duffing.simulate(x0: Tensor(KoopmanFixtures.doubles(fx["x0"])), steps: int("steps"), dt: dt)
        let other = try KoopmanSystem.duffing.simulate(x0: Tensor(KoopmanFixtures.doubles(fx["other_x0"])), steps: int("other_steps"), dt: dt)
        let tx = try other.index([.all, .slice(start: 0, stop: -1, step: 1)]), ty = try other.index([.all, .slice(start: 1, stop: nil, step: 1)])
        let inSample = try EDMD.fit(x: train, dictionary: .poly(degree: 4), residuals: .training, dt: dt)
        let held = try EDMD.fit(x: train, dictionary: .poly(degree: 4), residuals: .separate(x: tx, y: ty), dt: dt)
        let ref = KoopmanFixtures.complexes(fx["eigs"])
        // Rounding in Ψ_X = QR, in g = R₁₁⁻¹v and in the products moves an eigenvalue by about
        // N·ε·κ(Ψ_X)·‖K̃‖ and a residual (a ratio of norms) by about N·ε·κ(Ψ_X), in any summation
        // order; κ(Ψ_X) ≈ 1e6 here. Threshold 1: κ already carries the amplification (the worst
        // ratio under the Prescott, Haswell and SkylakeX kernels is 0.03, the constant function's
        // held-out residual, which is rounding noise of size ε·κ). The Gram form of the paper would
        // lose ε·κ(Ψ_X)² ≈ 2e-4, so the check still tells the two apart.
        let psiX = try KoopmanDictionary.poly(degree: 4).evaluate(train.index([.all, .slice(start: 0, stop: -1, step: 1)]))
        let n = psiX.shape[1], kappa = try psiX.cond()
        let kNorm = try inSample.kTilde.singularValues().storage.first ?? 1
        let valueTol = backwardTol(n: n, norm: kappa * kNorm, threshold: 1), residualTol = backwardTol(n: n, norm: kappa, threshold: 1)
        // References: the direct M-vector form ‖Ψ_Y g − λΨ_X g‖/‖Ψ_X g‖ in numpy.
        for (which, fit, key) in [("training", inSample, "res_direct"), ("held out", held, "res_heldout_direct")] {
            let refRes = KoopmanFixtures.doubles(fx[key])
            let res = try #require(fit.residuals)
            for (j, lam) in fit.eigenvalues.enumerated() {
                guard let k = ref.indices.min(by: { (ref[$0] - lam).magnitude < (ref[$1] - lam).magnitude }) else { continue }
                #expect((ref[k] - lam).magnitude <= valueTol, "\(which)")
                #expect(abs(res[j] - refRes[k]) <= residualTol, "\(which) residual \(j)")
            }
        }
    }

    @Test func fewSnapshotsWarnThatResidualsMeanNothing() throws {
        // M = 10 pairs and N = 10 functions: Ψ_X is invertible, every residual vanishes.
        let data = try KoopmanSystem.henon.simulate(x0: Tensor([0.1, 0.1]), steps: 10)
        let r = try EDMD.fit(x: data, dictionary: .poly(degree: 3), residuals: .training)
        #expect(r.warnings.contains { $0.contains("right inverse") })
        // Zero in exact arithmetic; rounding leaves N·ε·κ(Ψ_X) (a square Ψ_X here).
        let psiX = try KoopmanDictionary.poly(degree: 3).evaluate(data.index([.all, .slice(start: 0, stop: -1, step: 1)]))
        let tol = backwardTol(n: psiX.shape[1], norm: try psiX.cond())
        #expect((r.residuals ?? []).allSatisfy { $0 <= tol })
        let ok = try EDMD.fit(x: data, dictionary: .poly(degree: 2), residuals: .training)
        #expect(!ok.warnings.contains { $0.contains("right inverse") })
        // Fewer pairs than functions cannot be fitted at all.
        let short = try KoopmanSystem.henon.simulate(x0: Tensor([0.1, 0.1]), steps: 6)
        #expect(throws: TensorError.self) { try EDMD.fit(x: short, dictionary: .poly(degree: 3)) }
    }

    @Test func edmdPredictsHenonOneStepFromPolyDictionary() throws {
        // poly(2) contains the Hénon map exactly, so one-step prediction is exact.
        let data = try KoopmanSystem.henon.simulate(x0: Tensor([0.1, 0.1]), steps: 300)
        let r = try EDMD.fit(x: data, dictionary: .poly(degree: 2), residuals: .holdout(fraction: 0.3))
        let p = try r.predict(x0: Tensor([0.2, 0.1]), steps: 1)
        // Exact up to rounding in the least-squares fit on the 210 training pairs: N·ε·κ(Ψ_X), κ ≈ 1e2.
        let psiX = try KoopmanDictionary.poly(degree: 2).evaluate(data.index([.all, .slice(start: 0, stop: 210, step: 1)]))
        let tol = backwardTol(n: psiX.shape[1], norm: try psiX.cond())
        #expect(abs(p.storage[1] - (1 - 1.4 * 0.04 + 0.1)) <= tol)
        #expect(abs(p.storage[3] - 0.3 * 0.2) <= tol)
    }

    @Test func rankDeficientDictionaryIsAnError() throws {
        let data = try Tensor(rows: [[1, 1, 1, 1, 1], [2, 2, 2, 2, 2]])
        #expect(throws: TensorError.self) { try EDMD.fit(x: data, dictionary: .poly(degree: 2)) }
    }
}
