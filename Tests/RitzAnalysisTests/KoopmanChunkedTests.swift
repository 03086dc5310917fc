import Foundation
import Testing
@testable import RitzAnalysis
import RitzTensor

/// The chunked reductions of EDMD against the all-at-once products and factorisations they replace.
@Suite struct KoopmanChunkedTests {
    /// Hénon snapshots (2×(steps+1)) from (0.1, 0.1).
    static func henon(_ steps: Int) throws -> Tensor {
        try KoopmanSystem.henon.simulate(x0: Tensor([0.1, 0.1]), steps: steps)
    }

    /// S = [Ψ_X Ψ_Y Xᵀ] (or without Xᵀ) built all at once from the full dictionary matrices.
    static func stacked(_ pairs: SnapshotPairs, _ dictionary: KoopmanDictionary, extra: Bool) throws -> Tensor {
        let x = try SubspaceMath.columns(pairs.x, pairs.xStart, pairs.xStart + pairs.count)
        let y = try SubspaceMath.columns(pairs.y, pairs.yStart, pairs.yStart + pairs.count)
        let parts = [try dictionary.evaluate(x), try dictionary.evaluate(y)] + (extra ? [x.T] : [])
        let m = pairs.count, widths = parts.map { $0.shape[1] }, w = widths.reduce(0, +)
        var s = [Double](repeating: 0, count: m * w)
        var offset = 0
        for (p, width) in zip(parts, widths) {
            let c = p
            for i in 0..<m { for j in 0..<width { s[i * w + offset + j] = c.storage[i * width + j] } }
            offset += width
        }
        return try Tensor(shape: [m, w], storage: s)
    }

    /// Eigenvalues of K̃ = R₁₂R₁₁⁻¹ from blocks, sorted as EDMD sorts them.
    static func eigenvalues(_ b: EDMD.RBlocks) throws -> [Complex] {
        let kt = try Tensor.solve(b.r11.T, b.r12.T).T
        let vals = try kt.eig().values
        let raw = (0..<kt.shape[0]).map { Complex(vals.storage[2 * $0], vals.storage[2 * $0 + 1]) }
        return KoopmanSpectrum.order(raw).map { raw[$0] }
    }

    static let chunks: [Int?] = [7, 64, 333, 1000, 5000, nil]

    @Test(arguments: chunks)
    func gramAccumulatorEqualsTheAllAtOnceProducts(chunk: Int?) throws {
        // 1000 consecutive pairs: 7 and 333 do not divide M; 1000 and 5000 are a single chunk.
        let dictionary = KoopmanDictionary.poly(degree: 3)
        let pairs = try SnapshotPairs.of(Self.henon(1000), nil, "test")
        let evaluator = try KoopmanDictionary.Evaluator(dictionary, dimension: 2)
        let g = try SnapshotReduction.reduce(pairs, evaluator: evaluator, extra: true, kind: .gram, chunk: chunk)
        let s = try Self.stacked(pairs, dictionary, extra: true)
        let ref = try Tensor.gemm(s, transA: true, s, transB: false)
        let w = s.shape[1], m = pairs.count
        // Each entry is a sum of M products; any summation order is within M·ε·‖s_i‖‖s_j‖ of the
        // exact sum (Higham, Accuracy and Stability, §3.1), so two orders within twice that.
        let norms = (0..<w).map { j in (0..<m).map { s.storage[$0 * w + j] * s.storage[$0 * w + j] }.reduce(0, +).squareRoot() }
        var worst = 0.0
        for i in 0..<w { for j in 0..<w {
            let err = abs(g[i * w + j] - ref.storage[i * w + j])
            #expect(err <= 2 * Double(m) * Double.ulpOfOne * norms[i] * norms[j])
            worst = max(worst, err / (norms[i] * norms[j]))
        } }
        #expect(worst <= 1e-10)
    }

    @Test(arguments: chunks)
    func streamedQRMatchesOneHouseholderQR(chunk: Int?) throws {
        // Separate X and Y (not consecutive columns) exercise the second source.
        let dictionary = KoopmanDictionary.poly(degree: 2)
        let data = try Self.henon(2001)
        let x = try SubspaceMath.columns(data, 0, 1000), y = try SubspaceMath.columns(data, 1001, 2001)
        let pairs = try SnapshotPairs.of(x, y, "test")
        let evaluator = try KoopmanDictionary.Evaluator(dictionary, dimension: 2)
        let r = try SnapshotReduction.reduce(pairs, evaluator: evaluator, extra: false, kind: .triangular, chunk: chunk)
        let s = try Self.stacked(pairs, dictionary, extra: false)
        let ref = try s.qr().r
        let w = s.shape[1]
        // R is unique up to the signs of its rows; both are backward stable, so they agree to
        // w·ε·‖S‖ per entry times LAPACK's threshold (the R factors of S + ΔS differ by
        // O(κ)·‖ΔS‖ only in the trailing part where S is nearly rank deficient, not here: κ(S) ≈ 1e3).
        let sNorm = try s.singularValues().storage.first ?? 1
        let kappa = sNorm / (try s.singularValues().storage.last ?? 1)
        for i in 0..<w {
            let sign: Double = (r[i * w + i] >= 0) == (ref.storage[i * w + i] >= 0) ? 1 : -1
            for j in 0..<w {
                #expect(abs(sign * r[i * w + j] - ref.storage[i * w + j]) <= backwardTol(n: w, norm: kappa * sNorm))
            }
        }
    }

    @Test(arguments: chunks)
    func chunkedGramFitEqualsTheAllAtOnceFit(chunk: Int?) throws {
        let dictionary = KoopmanDictionary.poly(degree: 3)
        let data = try Self.henon(1000)
        let fit = try EDMD.fit(x: data, y: nil, dictionary: dictionary, residuals: .training, dt: 1, method: .gram, chunk: chunk)
        #expect(fit.method == .gram)
        // The all-at-once computation: SᵀS by one dgemm of the full stacked matrix, then the same
        // factorisation. The Gram matrices agree to 1e-13 relative (above); the small dense steps
        // amplify that by at most κ_s(Ψ_X)² ≈ 2e3 here, so 1e-10 relative holds with room.
        let pairs = try SnapshotPairs.of(data, nil, "test")
        let s = try Self.stacked(pairs, dictionary, extra: true)
        let g = try Tensor.gemm(s, transA: true, s, transB: false).storage
        let blocks = try #require(try EDMD.blocksFromGram(g, n: 10, width: 22, count: pairs.count))
        let ref = try Self.eigenvalues(blocks)
        for (a, b) in zip(fit.eigenvalues, ref) { #expect((a - b).magnitude <= 1e-10 * b.magnitude) }
        let single = try EDMD.fit(x: data, y: nil, dictionary: dictionary, residuals: .training, dt: 1, method: .gram, chunk: pairs.count)
        for (a, b) in zip(try #require(fit.residuals), try #require(single.residuals)) { #expect(abs(a - b) <= 1e-10 * max(b, 1e-3)) }
        for (a, b) in zip(fit.eigenfunctions.storage, single.eigenfunctions.storage) {
            #expect(abs(a - b) <= 1e-10 * max(abs(b), 1))
        }
    }

    @Test func gramAndQRFitsAgreeToTheGramFormsAccuracy() throws {
        // Hénon under poly(3): κ_s(Ψ_X) ≈ 45, so the Gram form's ε·κ_s² ≈ 5e-13 and its
        // eigenvalues agree with QR's to N·ε·κ_s²·‖K̃‖ (LAPACK's threshold 30).
        let dictionary = KoopmanDictionary.poly(degree: 3)
        let data = try Self.henon(3000)
        let gram = try EDMD.fit(x: data, y: nil, dictionary: dictionary, residuals: .holdout(fraction: 0.25), dt: 1, method: .gram, chunk: 100)
        let qr = try EDMD.fit(x: data, dictionary: dictionary, residuals: .holdout(fraction: 0.25), method: .qr)
        #expect(qr.method == .qr && gram.method == .gram)
        let psiX = try dictionary.evaluate(SubspaceMath.columns(data, 0, gram.snapshots))
        var inverseNorms = [Double](repeating: 0, count: 10)
        for j in 0..<10 {
            var sum = 0.0
            for i in 0..<psiX.shape[0] { sum += psiX.storage[i * 10 + j] * psiX.storage[i * 10 + j] }
            inverseNorms[j] = 1 / sum.squareRoot()
        }
        let unit = try SubspaceMath.scaleColumns(psiX, inverseNorms)
        let kappa: Double = try unit.cond()
        let kNorm = try qr.kTilde.singularValues().storage.first ?? 1
        for (a, b) in zip(gram.eigenvalues, qr.eigenvalues) {
            #expect((a - b).magnitude <= backwardTol(n: 10, norm: kappa * kappa * kNorm))
        }
        // Held-out residuals: the Gram form resolves res² to about w·ε·‖L‖·‖R₁₁⁻¹g‖²/‖g‖²-sized
        // cancellation, i.e. res to √(that); here √(30·20·ε·κ_s²) ≈ 2e-5 in the worst case.
        let bound: Double = backwardTol(n: 20, norm: kappa * kappa).squareRoot()
        for (a, b) in zip(try #require(gram.residuals), try #require(qr.residuals)) { #expect(abs(a - b) <= bound) }
    }

    @Test func theSwitchRuleKeepsQRForSmallOrIllConditionedData() throws {
        // Small data: QR.
        let small = try EDMD.fit(x: Self.henon(500), dictionary: .poly(degree: 3))
        #expect(small.method == .qr)
        // Duffing under poly(4) has κ(Ψ_X) ≈ 1e6: the Gram form would lose ε·κ² ≈ 2e-4, and its
        // check says so; Hénon under poly(3) passes it.
        let duffing = try KoopmanSystem.duffing.simulate(x0: Tensor([0.5, 0]), steps: 2000, dt: 0.05)
        let evaluator = try KoopmanDictionary.Evaluator(.poly(degree: 4), dimension: 2)
        let pairs = try SnapshotPairs.of(duffing, nil, "test")
        let g = try SnapshotReduction.reduce(pairs, evaluator: evaluator, extra: true, kind: .gram)
        if let blocks = try EDMD.blocksFromGram(g, n: 15, width: 32, count: pairs.count) {
            #expect(!EDMD.Method.gramIsAccurate(blocks.r11))
        }
        let henon = try SnapshotPairs.of(Self.henon(2000), nil, "test")
        let hg = try SnapshotReduction.reduce(henon, evaluator: KoopmanDictionary.Evaluator(.poly(degree: 3), dimension: 2), extra: true, kind: .gram)
        let hb = try #require(try EDMD.blocksFromGram(hg, n: 10, width: 22, count: henon.count))
        #expect(EDMD.Method.gramIsAccurate(hb.r11))
    }

    @Test func interruptsBetweenChunksAndReportsProgress() throws {
        let data = try Self.henon(5000)
        var seen = [(Int, Int)]()
        _ = try ProgressReporting.withReporter({ seen.append(($0.step, $0.total)) }) {
            try EDMD.fit(x: data, y: nil, dictionary: .poly(degree: 2), residuals: nil, dt: 1, method: .gram, chunk: 100)
        }
        #expect(seen.count > 1)
        #expect(seen.last.map { $0 == (5000, 5000) } == true)
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.0 < $1.0 })
        #expect(throws: CurvatureError.interrupted) {
            try Interruption.withCheck({ true }) {
                try EDMD.fit(x: data, y: nil, dictionary: .poly(degree: 2), residuals: nil, dt: 1, method: .gram, chunk: 100)
            }
        }
    }

    @Test func rankDeficientDataIsAnErrorOnTheGramPath() throws {
        let data = try Tensor(rows: [[1, 1, 1, 1, 1, 1, 1, 1], [2, 2, 2, 2, 2, 2, 2, 2]])
        #expect(throws: TensorError.self) { try EDMD.fit(x: data, dictionary: .poly(degree: 1), method: .gram) }
    }
}
