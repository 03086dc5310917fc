import Foundation
import Testing
@testable import RitzLearn
import RitzTensor

/// M-FAC and Shampoo against dense references formed with LAPACK: the damped empirical Fisher
/// λI + GᵀG/m solved directly, and the Kronecker form (L ⊗ R)^{-1/4} of Shampoo's two-sided
/// preconditioner.
@Suite struct OptimizerCurvatureTests {
    static let epsilon = Double.ulpOfOne

    /// Reproducible gradients: `count` vectors of `n` entries, N(0, 1).
    static func gradients(_ count: Int, _ n: Int, seed: UInt64) -> [[Double]] {
        var rng = RandomGenerator(seed: seed)
        return (0..<count).map { _ in (0..<n).map { _ in rng.normal() } }
    }

    /// (λI + (1/m) Σ gᵢgᵢᵀ)⁻¹x over the given window, by LAPACK's dense solve, with κ₂ of the matrix.
    static func denseFisherSolve(window: [[Double]], m: Int, damping: Double, x: [Double]) throws -> (solution: [Double], cond: Double) {
        let n = x.count
        var f = [Double](repeating: 0, count: n * n)
        for i in 0..<n { f[i * n + i] = damping }
        for g in window { for i in 0..<n { for j in 0..<n { f[i * n + j] += g[i] * g[j] / Double(m) } } }
        let a = try Tensor(shape: [n, n], storage: f)
        return (try Tensor.solve(a, Tensor(x)).storage, try a.cond())
    }

    /// The update direction −Δp of one step with lr = 1 and no momentum.
    static func direction(_ opt: Optimizer, _ g: [Double], at p: inout [Double]) throws -> [Double] {
        let before = p
        try opt.step(parameters: &p, gradient: g)
        return zip(before, p).map { $0 - $1 }
    }

    static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        let diff = zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
        return diff / max(b.map { $0 * $0 }.reduce(0, +).squareRoot(), .leastNormalMagnitude)
    }

    /// Every step's product over the window so far — filling (fewer than m), full, and sliding
    /// (the oldest gradient dropped) — equals the dense solve. Tolerance: the Woodbury form loses
    /// at most about κ₂(F) relative accuracy (the cancellation x − Gᵀc), so 100·n·ε·κ₂.
    @Test(arguments: [(4, 0.3), (3, 1e-2)] as [(Int, Double)])
    func mfacProductsMatchTheDenseInverse(m: Int, damping: Double) throws {
        let n = 12
        let gs = Self.gradients(m + 3, n, seed: 7)
        let opt = try Optimizer.mfac(lr: 1, window: m, damping: damping)
        var p = [Double](repeating: 0, count: n)
        for k in gs.indices {
            let d = try Self.direction(opt, gs[k], at: &p)
            let window = Array(gs[max(0, k + 1 - m)...k])
            let (ref, cond) = try Self.denseFisherSolve(window: window, m: m, damping: damping, x: gs[k])
            let err = Self.relativeError(d, ref)
            #expect(err < 100 * Double(n) * Self.epsilon * cond, "step \(k): error \(err), κ \(cond)")
        }
    }

    /// Block-wise M-FAC is block-diagonal: each block's product is the dense solve with that
    /// block's slices of the gradients.
    @Test(arguments: ["size", "params"])
    func mfacBlocksMatchBlockDiagonalSolves(kind: String) throws {
        let n = 12, m = 3, damping = 0.2
        let blocking: MFACBlocking = kind == "size" ? .size(5) : .parameters
        let ranges: [Range<Int>] = kind == "size" ? [0..<5, 5..<10, 10..<12] : [0..<6, 6..<8, 8..<12]
        let blocks = [ParameterBlock(name: "w", offset: 0, shape: [2, 3]), ParameterBlock(name: "b", offset: 6, shape: [2]),
                      ParameterBlock(name: "v", offset: 8, shape: [4])]
        let gs = Self.gradients(5, n, seed: 11)
        let opt = try Optimizer.mfac(lr: 1, window: m, damping: damping, blocking: blocking)
        var p = [Double](repeating: 0, count: n)
        for k in gs.indices {
            let before = p
            try opt.step(parameters: &p, gradient: gs[k], blocks: blocks)
            let d = zip(before, p).map { $0 - $1 }
            for r in ranges {
                let window = gs[max(0, k + 1 - m)...k].map { Array($0[r]) }
                let (ref, cond) = try Self.denseFisherSolve(window: window, m: m, damping: damping, x: Array(gs[k][r]))
                let err = Self.relativeError(Array(d[r]), ref)
                #expect(err < 100 * Double(n) * Self.epsilon * cond, "step \(k), block \(r): error \(err)")
            }
        }
    }

    /// Momentum and weight decay as the reference implementation: g + λ_wd·p enters the window,
    /// v ← μv + (1 − μ)F⁻¹g, p ← p − ηv.
    @Test func mfacMomentumAndWeightDecay() throws {
        let n = 6, m = 2, damping = 0.5, mu = 0.9, wd = 0.1, lr = 0.3
        let gs = Self.gradients(3, n, seed: 3)
        let opt = try Optimizer.mfac(lr: lr, window: m, damping: damping, momentum: mu, weightDecay: wd)
        var p = (0..<n).map { Double($0) / 4 }
        var refP = p, v = [Double](repeating: 0, count: n), window: [[Double]] = []
        for g in gs {
            try opt.step(parameters: &p, gradient: g)
            let decayed = zip(g, refP).map { $0 + wd * $1 }
            window = Array((window + [decayed]).suffix(m))
            let (d, _) = try Self.denseFisherSolve(window: window, m: m, damping: damping, x: decayed)
            for i in 0..<n {
                v[i] = mu * v[i] + (1 - mu) * d[i]
                refP[i] -= lr * v[i]
            }
            // A few roundings of numbers of order 1 (κ ≈ 10 here): 1e-12.
            #expect(Self.relativeError(p, refP) < 1e-12)
        }
    }

    /// A^{-1/4} from the eigendecomposition, raised to the fourth power, inverts A: checked with
    /// plain products, independent of eigh. Tolerance: 100·n·ε·κ₂(A).
    @Test func inverseFourthRootInvertsTheMatrix() throws {
        let n = 5
        let b = Self.gradients(n, n, seed: 4).flatMap { $0 }
        let bt = try Tensor(shape: [n, n], storage: b)
        let a = try (Tensor.gemm(bt, transA: false, bt, transB: true).storage).enumerated().map { $0.offset % (n + 1) == 0 ? $0.element + 0.5 : $0.element }
        let root = try Tensor(shape: [n, n], storage: ShampooBlock.inverseFourthRoot(a, n: n, floor: 1e-12))
        let fourth = try root.matmul(root).matmul(root).matmul(root)
        let product = try fourth.matmul(Tensor(shape: [n, n], storage: a)).storage
        let cond = try Tensor(shape: [n, n], storage: a).cond()
        for i in 0..<n {
            for j in 0..<n {
                #expect(abs(product[i * n + j] - (i == j ? 1 : 0)) < 100 * Double(n) * Self.epsilon * cond)
            }
        }
    }

    /// (L ⊗ R)^{-1/4} vec(G) by one eigendecomposition of the Kronecker product: the dense form of
    /// L^{-1/4} G R^{-1/4} (row-major vec(AXB) = (A ⊗ Bᵀ) vec(X), and (L ⊗ R)^a = L^a ⊗ R^a).
    static func kroneckerReference(left: [Double], rows: Int, right: [Double], columns: Int, g: [Double]) throws -> [Double] {
        let k = try Tensor(shape: [rows, rows], storage: left).kron(Tensor(shape: [columns, columns], storage: right))
        let (values, vectors) = try k.eigh()
        let n = rows * columns
        let v = vectors.storage
        let coeffs = try vectors.transposed().matmul(Tensor(shape: [n, 1], storage: g)).storage
        var out = [Double](repeating: 0, count: n)
        for j in 0..<n {
            let s = coeffs[j] / values.storage[j].squareRoot().squareRoot()
            for i in 0..<n { out[i] += v[i * n + j] * s }
        }
        return out
    }

    /// Shampoo on a conv-like kernel [3, 2, 2] (the matrix [3, 4]) and a bias [3]: each step's
    /// direction equals the Kronecker reference with L = εI + ΣGGᵀ and R = εI + ΣGᵀG, and the bias
    /// the diagonal AdaGrad rule; with update_every = 3 the roots of steps 2 and 3 are those of
    /// step 1's statistics. Tolerance 100·n·ε·κ₂(L ⊗ R) (eigh is backward stable; the fourth root
    /// only shrinks relative errors).
    @Test(arguments: [1, 3])
    func shampooMatchesTheKroneckerForm(updateEvery: Int) throws {
        let eps = 0.1
        let blocks = [ParameterBlock(name: "conv.w", offset: 0, shape: [3, 2, 2]), ParameterBlock(name: "conv.b", offset: 12, shape: [3])]
        let gs = Self.gradients(4, 15, seed: 9)
        let opt = try Optimizer.shampoo(lr: 1, eps: eps, updateEvery: updateEvery)
        var p = [Double](repeating: 0, count: 15)
        var left = ShampooBlock.scaledIdentity(3, eps), right = ShampooBlock.scaledIdentity(4, eps)
        var rootLeft = left, rootRight = right
        var h = [Double](repeating: eps, count: 3)
        for (k, g) in gs.enumerated() {
            let before = p
            try opt.step(parameters: &p, gradient: g, blocks: blocks)
            let d = zip(before, p).map { $0 - $1 }
            let gm = try Tensor(shape: [3, 4], storage: Array(g[0..<12]))
            left = zip(left, try Tensor.gemm(gm, transA: false, gm, transB: true).storage).map(+)
            right = zip(right, try Tensor.gemm(gm, transA: true, gm, transB: false).storage).map(+)
            if k % updateEvery == 0 { rootLeft = left; rootRight = right }
            let ref = try Self.kroneckerReference(left: rootLeft, rows: 3, right: rootRight, columns: 4, g: Array(g[0..<12]))
            let cond = try Tensor(shape: [3, 3], storage: rootLeft).kron(Tensor(shape: [4, 4], storage: rootRight)).cond()
            #expect(Self.relativeError(Array(d[0..<12]), ref) < 100 * 12 * Self.epsilon * cond, "step \(k)")
            for i in 0..<3 {
                h[i] += g[12 + i] * g[12 + i]
                // A sum of k + 1 squares, a square root and a division, each possibly contracted
                // differently: a handful of roundings, 16 ulps.
                #expect(abs(d[12 + i] - g[12 + i] / h[i].squareRoot()) <= 16 * Self.epsilon * abs(d[12 + i]))
            }
        }
    }

    @Test(arguments: ["mfac", "mfac-params", "shampoo", "shampoo-momentum"])
    func trainingDecreasesTheLossDeterministically(rule: String) throws {
        func once() throws -> (Run, [Double]) {
            let model = try MLP(sizes: [2, 16, 2], activation: .tanh, seed: 1)
            let data = try Dataset.moons(n: 200, noise: 0.1, seed: 2)
            let opt: Optimizer
            switch rule {
            case "mfac": opt = try .mfac(lr: 0.01, window: 8, damping: 1e-3)
            case "mfac-params": opt = try .mfac(lr: 0.01, window: 8, damping: 1e-3, blocking: .parameters)
            case "shampoo": opt = try .shampoo(lr: 0.1)
            default: opt = try .shampoo(lr: 0.02, updateEvery: 5, momentum: 0.9)
            }
            let run = try Trainer.train(model: model, data: data, optimizer: opt, steps: 60, batch: 32, every: 20, seed: 4)
            return (run, model.parameters)
        }
        let (a, pa) = try once()
        let (b, pb) = try once()
        #expect(a.stop == .completed)
        #expect(pa == pb && a.loss == b.loss)
        let first = a.loss.first ?? 0, last = a.loss.last ?? .infinity
        #expect(last < 0.75 * first, "loss \(first) → \(last)")
        #expect(a.seconds.count == a.steps.count && a.seconds.first == 0 && (a.seconds.last ?? 0) > 0)
    }

    @Test func badHyperparametersAreErrors() {
        #expect(throws: LearnError.self) { try Optimizer.mfac(lr: 0.1, window: 0) }
        #expect(throws: LearnError.self) { try Optimizer.mfac(lr: 0.1, damping: 0) }
        #expect(throws: LearnError.self) { try Optimizer.mfac(lr: 0.1, momentum: 1) }
        #expect(throws: LearnError.self) { try Optimizer.mfac(lr: 0.1, blocking: .size(0)) }
        #expect(throws: LearnError.self) { try Optimizer.shampoo(lr: 0.1, eps: 0) }
        #expect(throws: LearnError.self) { try Optimizer.shampoo(lr: 0.1, updateEvery: 0) }
        #expect(throws: LearnError.self) { try Optimizer.shampoo(lr: -1) }
    }
}
