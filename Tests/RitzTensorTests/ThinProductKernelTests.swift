import CKernels
import Foundation
import Testing
@testable import RitzTensor

/// Products with one short side (`ck_gemm_thin`, which `gemmBlock` tries before BLAS). Where a
/// vector kernel set (AVX2+FMA or AVX-512; CI runs this suite under each) takes a product, every
/// element is one chain of fused multiply-adds over p = 0, 1, …, k − 1 starting from beta·C, so
/// it must equal a scalar loop of `addingProduct` exactly, whatever the blocking, masked or narrow
/// tails and chunking. Products it leaves (every one on the baseline set) go through `gemmBlock` to BLAS,
/// within twice the inner-product bound |ĉ − c| ≤ γₖ₊₁ (|beta·c| + Σₚ |a||b|), γₙ = n u / (1 − n u)
/// (Higham, Accuracy and Stability of Numerical Algorithms, §3.1), once for each computation. Shapes straddle every block
/// height, slab width, vector width and chunk length; leading dimensions are padded, and nothing
/// outside C's block may change.
@Suite struct ThinProductKernelTests {
    static let vectorKernels = ck_selected() != ck_baseline()

    /// (transA, m, n, k): upright products (A not transposed, B either way) and transposed ones.
    static let shapes: [(Bool, Int, Int, Int)] = {
        var s: [(Bool, Int, Int, Int)] = []
        for n in [1, 2, 3, 4, 5, 8, 10, 12, 17, 18, 20, 24, 26, 28, 31, 33, 64, 70] {
            for (m, k) in [(8, 1), (9, 7), (47, 64), (61, 130), (100, 20)] { s.append((false, m, n, k)) }
            for (m, k) in [(1, 3), (5, 63), (8, 64), (9, 65), (17, 200), (64, 129)] { s.append((true, m, n, k)) }
        }
        return s
    }()

    @Test(arguments: [false, true])
    func shortSidedProductsAreOneFusedChainPerElement(transB: Bool) {
        var rng = RandomGenerator(seed: transB ? 2 : 1)
        var taken = 0
        for (transA, m, n, k) in Self.shapes where !(transA && transB) {
            for beta in [0.0, 1.0, 0.75] {
                let (ar, ac) = transA ? (k, m) : (m, k)
                let (br, bc) = transB ? (n, k) : (k, n)
                let (lda, ldb, ldc) = (ac + 2, bc + 1, n + 3)
                let a = (0..<(ar * lda)).map { _ in rng.normal() }
                let b = (0..<(br * ldb)).map { _ in rng.normal() }
                let c0 = (0..<(m * ldc)).map { _ in rng.normal() }
                func aAt(_ i: Int, _ p: Int) -> Double { transA ? a[p * lda + i] : a[i * lda + p] }
                func bAt(_ p: Int, _ j: Int) -> Double { transB ? b[j * ldb + p] : b[p * ldb + j] }
                // beta = 0 must not read C: its old values are NaN then.
                var c = beta == 0 ? c0.enumerated().map { $0.offset % ldc < n ? Double.nan : $0.element } : c0
                let took = a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc -> Bool in
                            guard let a = pa.baseAddress, let b = pb.baseAddress, let c = pc.baseAddress else { return false }
                            if ck_gemm_thin(transA ? 1 : 0, transB ? 1 : 0, m, n, k, a, lda, b, ldb, beta, c, ldc) != 0 {
                                return true
                            }
                            gemmBlock(transA: transA, transB: transB, m: m, n: n, k: k, a, lda: lda, b, ldb: ldb,
                                      beta: beta, c, ldc: ldc)
                            return false
                        }
                    }
                }
                taken += took ? 1 : 0
                let u = Double.ulpOfOne / 2
                let gamma = Double(k + 1) * u / (1 - Double(k + 1) * u)
                var worst = 0.0
                for i in 0..<m {
                    for j in 0..<ldc {
                        let got = c[i * ldc + j]
                        guard j < n else {
                            #expect(got == c0[i * ldc + j], "outside C at \(i),\(j)")
                            continue
                        }
                        var chain = beta == 0 ? 0 : beta * c0[i * ldc + j]
                        var magnitude = abs(chain)
                        for p in 0..<k {
                            chain = chain.addingProduct(aAt(i, p), bAt(p, j))
                            magnitude += abs(aAt(i, p) * bAt(p, j))
                        }
                        if took {
                            worst = max(worst, got == chain ? 0 : .infinity)
                        } else {
                            worst = max(worst, got == chain ? 0 : abs(got - chain) / (2 * gamma * magnitude))
                        }
                    }
                }
                #expect(worst <= 1, "transA \(transA) transB \(transB) m \(m) n \(n) k \(k) beta \(beta)")
            }
        }
        // The vector sets take most of these shapes; the baseline set none.
        if Self.vectorKernels { #expect(taken >= 150) } else { #expect(taken == 0) }
    }

    @Test("shapes outside the kernels' limits are left to BLAS")
    func outsideTheLimits() {
        let a = [Double](repeating: 1, count: 300 * 300), b = a
        var c = [Double](repeating: 0, count: 300 * 300)
        let taken = c.withUnsafeMutableBufferPointer { pc in
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    guard let a = pa.baseAddress, let b = pb.baseAddress, let c = pc.baseAddress else { return [Int32]() }
                    return [ck_gemm_thin(1, 1, 8, 8, 8, a, 8, b, 8, 0, c, 8),        // both transposed
                            ck_gemm_thin(0, 0, 300, 300, 300, a, 300, b, 300, 0, c, 300), // B too large
                            ck_gemm_thin(1, 0, 300, 200, 8, a, 300, b, 200, 0, c, 200),   // C too large
                            ck_gemm_thin(0, 0, 4, 8, 8, a, 8, b, 8, 0, c, 8)]             // too few rows
                }
            }
        }
        #expect(taken == [0, 0, 0, 0])
    }
}
