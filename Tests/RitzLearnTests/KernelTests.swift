import Foundation
import Testing
@testable import MLPReference
@testable import RitzLearn
import RitzTensor

/// A small random problem: inputs, labels or targets, and a model.
struct Problem: CustomStringConvertible, Sendable {
    let name: String
    let sizes: [Int]
    let activation: Activation
    let loss: LossKind
    let rows: Int
    /// mse against real-valued targets (true) or one-hot codes of labels (false).
    var realTargets = false

    var description: String { name }

    func make(seed: UInt64 = 7) throws -> (MLP, Tensor, Tensor) {
        let model = try MLP(sizes: sizes, activation: activation, seed: seed)
        var rng = RandomGenerator(seed: seed &+ 100)
        // Move biases off zero so every term of the kernels is exercised.
        var p = model.parameters
        for i in p.indices { p[i] += 0.1 * rng.normal() }
        try model.setParameters(p)
        let x = try Tensor.randn([rows, sizes[0]], using: &rng)
        let k = sizes[sizes.count - 1]
        let y: Tensor
        if realTargets {
            y = try Tensor.randn([rows, k], using: &rng)
        } else {
            y = Tensor((0..<rows).map { _ in Double(rng.int(below: k)) })
        }
        return (model, x, y)
    }

    /// ``make(seed:)`` with the network evaluated by the reference kernels.
    func makeReference(seed: UInt64 = 7) throws -> (ReferenceMLP, Tensor, Tensor) {
        let (model, x, y) = try make(seed: seed)
        return (ReferenceMLP(model), x, y)
    }
}

let problems: [Problem] = [
    Problem(name: "tanh ce 3-5-4", sizes: [3, 5, 4], activation: .tanh, loss: .crossEntropy, rows: 9),
    Problem(name: "tanh ce 4-6-5-3 deep", sizes: [4, 6, 5, 3], activation: .tanh, loss: .crossEntropy, rows: 11),
    Problem(name: "sigmoid ce 3-4-3", sizes: [3, 4, 3], activation: .sigmoid, loss: .crossEntropy, rows: 8),
    Problem(name: "gelu mse targets 2-5-2", sizes: [2, 5, 2], activation: .gelu, loss: .mse, rows: 10, realTargets: true),
    Problem(name: "identity mse one-hot 3-4-3", sizes: [3, 4, 3], activation: .identity, loss: .mse, rows: 7),
    Problem(name: "relu ce 3-6-3", sizes: [3, 6, 3], activation: .relu, loss: .crossEntropy, rows: 10),
    Problem(name: "tanh mse scalar 2-4-1", sizes: [2, 4, 1], activation: .tanh, loss: .mse, rows: 6, realTargets: true),
]

func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
func maxAbsDiff(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) } }

/// The hand-derived reference kernels (`MLPReference`) against finite differences and their own
/// algebra: what makes them a reference for the tape (`MLPTapeTests`, `OneEngineTests`).
@Suite struct KernelTests {
    /// Gradient against central differences (h = 1e-5): truncation h²/6·|∂³L| ≈ 1e-11·|∂³L| and
    /// rounding ε·|L|/h ≈ 2e-11·|L|, so 1e-7·(1 + ‖g‖) leaves a wide margin.
    @Test(arguments: problems)
    func gradientMatchesCentralDifferences(problem: Problem) throws {
        let (model, x, y) = try problem.makeReference()
        let (_, g) = try model.lossAndGradient(x: x, y: y, loss: problem.loss)
        let p0 = model.parameters
        let h = 1e-5
        var fd = [Double](repeating: 0, count: p0.count)
        for i in p0.indices {
            var p = p0
            p[i] = p0[i] + h
            try model.setParameters(p)
            let lp = try model.loss(x: x, y: y, loss: problem.loss)
            p[i] = p0[i] - h
            try model.setParameters(p)
            let lm = try model.loss(x: x, y: y, loss: problem.loss)
            fd[i] = (lp - lm) / (2 * h)
        }
        #expect(maxAbsDiff(g, fd) <= 1e-7 * (1 + norm(g)), "max |g − fd| = \(maxAbsDiff(g, fd))")
    }

    /// Hv against central differences of gradients along v (h = 1e-5): truncation h²/6·‖∇³L[v, v]‖
    /// and rounding ε·‖g‖/h ≈ 2e-11·‖g‖; 1e-6·(1 + ‖Hv‖) for third derivatives up to 1e4·‖Hv‖.
    @Test(arguments: problems)
    func hvpMatchesDifferencesOfGradients(problem: Problem) throws {
        let (model, x, y) = try problem.makeReference()
        var rng = RandomGenerator(seed: 3)
        let v = (0..<model.parameterCount).map { _ in rng.normal() }
        let hv = try model.hvp(x: x, y: y, v: v, loss: problem.loss)
        let p0 = model.parameters
        let h = 1e-5
        try model.setParameters(zip(p0, v).map { $0 + h * $1 })
        let gp = try model.lossAndGradient(x: x, y: y, loss: problem.loss).gradient
        try model.setParameters(zip(p0, v).map { $0 - h * $1 })
        let gm = try model.lossAndGradient(x: x, y: y, loss: problem.loss).gradient
        let fd = zip(gp, gm).map { ($0 - $1) / (2 * h) }
        #expect(maxAbsDiff(hv, fd) <= 1e-6 * (1 + norm(hv)), "max |Hv − fd| = \(maxAbsDiff(hv, fd))")
    }

    /// The Hessian assembled column by column from He_i is symmetric, and v ↦ Hv is linear.
    @Test(arguments: problems.prefix(4))
    func denseHessianFromColumnsIsSymmetric(problem: Problem) throws {
        let (model, x, y) = try problem.makeReference()
        let e = try model.linearize(x: x, y: y, loss: problem.loss)
        let n = model.parameterCount
        var columns = [[Double]]()
        var col = [Double]()
        for i in 0..<n {
            var unit = [Double](repeating: 0, count: n)
            unit[i] = 1
            try e.hvp(unit, into: &col)
            columns.append(col)
        }
        var scale = 0.0, asym = 0.0
        for i in 0..<n { for j in 0..<n {
            scale = max(scale, abs(columns[j][i]))
            asym = max(asym, abs(columns[j][i] - columns[i][j]))
        } }
        // Only rounding breaks symmetry: each column sums over rows × widths terms, so its error is a
        // small multiple of that count (≤ 60 here) times ε·‖H‖: 60·ε·30 ≈ 4e-13 < 1e-12.
        #expect(asym <= 1e-12 * max(scale, 1), "asymmetry \(asym) of a Hessian of scale \(scale)")
        // H·v equals the dense matrix times v.
        var rng = RandomGenerator(seed: 11)
        let v = (0..<n).map { _ in rng.normal() }
        var hv = [Double]()
        try e.hvp(v, into: &hv)
        let dense = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + columns[$1][i] * v[$1] } }
        // Linearity: H·v against Σ_j v_j H e_j, n-term sums of rounded columns (n ≤ 60, |v_j| ≲ 3).
        #expect(maxAbsDiff(hv, dense) <= 1e-11 * (1 + norm(hv)))
        #expect(e.products == n + 1)
    }

    /// JᵀH_L J v against a dense Jacobian of the outputs by central differences and the
    /// analytic H_L; and vᵀGv ≥ 0 (positive semidefinite).
    @Test(arguments: problems)
    func ggnMatchesDenseJacobianAndIsPSD(problem: Problem) throws {
        let (model, x, y) = try problem.makeReference()
        let n = model.parameterCount, rows = x.shape[0], k = model.outputSize
        let p0 = model.parameters
        let h = 1e-6
        // J[(i, j), p] = ∂z_ij / ∂θ_p.
        var jac = [[Double]](repeating: [Double](repeating: 0, count: n), count: rows * k)
        for p in 0..<n {
            var q = p0
            q[p] += h
            try model.setParameters(q)
            let zp = try model.predict(x).storage
            q[p] = p0[p] - h
            try model.setParameters(q)
            let zm = try model.predict(x).storage
            for r in 0..<(rows * k) { jac[r][p] = (zp[r] - zm[r]) / (2 * h) }
        }
        try model.setParameters(p0)
        let z = try model.predict(x).storage
        var rng = RandomGenerator(seed: 5)
        let v = (0..<n).map { _ in rng.normal() }
        let jv = jac.map { row in zip(row, v).reduce(0.0) { $0 + $1.0 * $1.1 } }
        var hjv = [Double](repeating: 0, count: rows * k)
        let nd = Double(rows)
        for i in 0..<rows {
            switch problem.loss {
            case .crossEntropy:
                let zi = Array(z[(i * k)..<((i + 1) * k)])
                let mx = zi.max() ?? 0
                let ex = zi.map { exp($0 - mx) }
                let s = ex.reduce(0, +)
                let pr = ex.map { $0 / s }
                for a in 0..<k { for b in 0..<k {
                    let hab = (a == b ? pr[a] : 0) - pr[a] * pr[b]
                    hjv[i * k + a] += hab * jv[i * k + b] / nd
                } }
            case .mse:
                for a in 0..<k { hjv[i * k + a] = 2 * jv[i * k + a] / (nd * Double(k)) }
            }
        }
        let expected = (0..<n).map { p in (0..<(rows * k)).reduce(0.0) { $0 + jac[$1][p] * hjv[$1] } }
        let gv = try model.ggnvp(x: x, y: y, v: v, loss: problem.loss)
        // The Jacobian by central differences with h = 1e-6: truncation h²/6·|z‴| ≈ 1e-13 and rounding
        // ε·|z|/h ≈ 1e-10 per entry, summed over rows·k ≤ 44 entries: 1e-7 leaves a wide margin.
        #expect(maxAbsDiff(gv, expected) <= 1e-7 * (1 + norm(gv)), "max diff \(maxAbsDiff(gv, expected))")
        let e = try model.linearize(x: x, y: y, loss: problem.loss)
        var out = [Double]()
        for s in 0..<50 {
            var r2 = RandomGenerator(seed: UInt64(s))
            let u = (0..<n).map { _ in r2.normal() }
            try e.ggnvp(u, into: &out)
            let q = zip(u, out).reduce(0.0) { $0 + $1.0 * $1.1 }
            // uᵀGu ≥ 0 up to the rounding of an n-term inner product, n·ε·‖u‖‖Gu‖ with n ≤ 60 (≈ 1.3e-14).
            #expect(q >= -1e-12 * norm(u) * norm(out))
        }
    }

    /// For one linear layer the loss is a function of Jθ only, so H equals the Gauss–Newton matrix.
    @Test func linearModelHessianEqualsGaussNewton() throws {
        let model = try ReferenceMLP(sizes: [4, 3], activation: .tanh, seed: 2)
        var rng = RandomGenerator(seed: 9)
        let x = try Tensor.randn([12, 4], using: &rng)
        let y = Tensor((0..<12).map { _ in Double(rng.int(below: 3)) })
        let v = (0..<model.parameterCount).map { _ in rng.normal() }
        let hv = try model.hvp(x: x, y: y, v: v)
        let gv = try model.ggnvp(x: x, y: y, v: v)
        // The same products in both paths up to the zero second-derivative term: a few ε·‖Hv‖.
        #expect(maxAbsDiff(hv, gv) <= 1e-14 * (1 + norm(hv)))
    }

    /// A batch large enough to be split over two threads gives the row-weighted mean of the
    /// gradients of its halves computed unsplit (independent of the split).
    @Test func splitBatchMatchesUnsplitHalves() throws {
        let model = try ReferenceMLP(sizes: [5, 8, 4], activation: .tanh, seed: 4)
        var rng = RandomGenerator(seed: 12)
        let rows = 2 * MLPEvaluation.splitRows + 2
        let x = try Tensor.randn([rows, 5], using: &rng)
        let y = Tensor((0..<rows).map { _ in Double(rng.int(below: 4)) })
        let v = (0..<model.parameterCount).map { _ in rng.normal() }
        let (loss, g) = try model.lossAndGradient(x: x, y: y)
        let hv = try model.hvp(x: x, y: y, v: v)
        var gSum = [Double](repeating: 0, count: model.parameterCount)
        var hSum = gSum
        var lossSum = 0.0
        let chunk = 100  // below splitRows: each piece runs on one thread
        var start = 0
        while start < rows {
            let end = min(rows, start + chunk)
            let xs = try x.index([.slice(start: start, stop: end, step: nil), .all])
            let ys = try y.index([.slice(start: start, stop: end, step: nil)])
            let w = Double(end - start) / Double(rows)
            let (l, gi) = try model.lossAndGradient(x: xs, y: ys)
            let hi = try model.hvp(x: xs, y: ys, v: v)
            lossSum += w * l
            for i in gSum.indices { gSum[i] += w * gi[i]; hSum[i] += w * hi[i] }
            start = end
        }
        // The same per-row terms summed in another grouping: |difference| ≤ rows·ε·Σ|terms|/rows
        // ≈ 2e3·ε·(|loss| or |g_i|, ≲ 1) ≈ 5e-13 at worst; typical grouping errors are √rows·ε.
        // Hv's terms are larger (|Hv_i| ≲ 10), hence 1e-12.
        #expect(abs(loss - lossSum) <= 1e-13)
        #expect(maxAbsDiff(g, gSum) <= 1e-13)
        #expect(maxAbsDiff(hv, hSum) <= 1e-12)
    }

    /// Bad input throws typed errors instead of trapping.
    @Test func badBatchesThrow() throws {
        let model = try ReferenceMLP(sizes: [3, 4, 2], seed: 1)
        let x = try Tensor.zeros([5, 3])
        #expect(throws: LearnError.self) { try model.loss(x: try Tensor.zeros([5, 4]), y: Tensor([0, 1, 0, 1, 0])) }
        #expect(throws: LearnError.badLabel(index: 2, value: 2, classes: 2)) {
            try model.loss(x: x, y: Tensor([0, 1, 2, 1, 0]))
        }
        #expect(throws: LearnError.badLabel(index: 0, value: 0.5, classes: 2)) {
            try model.loss(x: x, y: Tensor([0.5, 1, 1, 1, 0]))
        }
        #expect(throws: LearnError.self) { try model.hvp(x: x, y: Tensor([0, 1, 0, 1, 0]), v: [1, 2]) }
        #expect(throws: LearnError.self) { try ReferenceMLP(sizes: [3]) }
        #expect(throws: LearnError.self) { try ReferenceMLP(sizes: [3, 0, 2]) }
        #expect(throws: LearnError.self) { try model.setParameters([1, 2, 3]) }
    }

    /// Cross-entropy of logits far apart stays finite (logsumexp with the maximum subtracted).
    @Test func crossEntropyIsStableForLargeLogits() throws {
        let model = try ReferenceMLP(sizes: [1, 2], seed: 0)
        try model.setParameters([1000, -1000, 0, 0])   // z = (1000x, −1000x)
        let loss = try model.loss(x: try Tensor(shape: [2, 1], storage: [1, 1]), y: Tensor([0, 1]))
        // Sample 0: −log softmax = log(1 + e^−2000) ≈ 0; sample 1: 2000. Mean 1000, to a few ulps of
        // 2000 (ε·2000 ≈ 4.5e-13); 1e-9 only rules out overflow and lost precision.
        #expect(abs(loss - 1000) <= 1e-9)
    }
}

/// `ReferenceMLP.hvp` reuses the forward pass the scratch evaluation holds only while it is the one a
/// fresh call would compute.
@Suite struct ForwardReuseTests {
    @Test func hvpAfterGradientEqualsFreshAndNeverGoesStale() throws {
        let model = try ReferenceMLP(sizes: [6, 9, 4], activation: .tanh, seed: 21)
        var rng = RandomGenerator(seed: 22)
        let rows = 40
        let x = try Tensor(shape: [rows, 6], storage: (0..<(rows * 6)).map { _ in rng.normal() })
        let y = Tensor((0..<rows).map { Double($0 % 4) })
        let v = (0..<model.parameterCount).map { _ in rng.normal() }
        func fresh() throws -> [Double] {
            var out = [Double]()
            try model.linearize(x: x, y: y).hvp(v, into: &out)
            return out
        }
        var g = [Double]()
        try model.gradient(x: x, y: y, into: &g)
        let reused = try model.hvp(x: x, y: y, v: v)
        #expect(reused == (try fresh()))
        // New parameters: the kept pass must not be used.
        var p = model.parameters
        p[3] += 0.25
        try model.setParameters(p)
        let moved = try model.hvp(x: x, y: y, v: v)
        #expect(moved == (try fresh()))
        #expect(moved != reused)
        // New targets of the same shape, and the same buffer reshaped: fresh passes again.
        let y2 = Tensor((0..<rows).map { Double(($0 + 1) % 4) })
        var out2 = [Double]()
        try model.linearize(x: x, y: y2).hvp(v, into: &out2)
        #expect(try model.hvp(x: x, y: y2, v: v) == out2)
        var ggn = [Double]()
        try model.linearize(x: x, y: y).ggnvp(v, into: &ggn)
        try model.gradient(x: x, y: y, into: &g)
        #expect(try model.ggnvp(x: x, y: y, v: v) == ggn)
        // Targets that do not fit are still rejected after a cached pass.
        #expect(throws: LearnError.self) { _ = try model.hvp(x: x, y: try y.reshaped([rows / 2, 2]), v: v) }
    }
}

/// The reference kernels' activation passes use RitzTensor's `FastMath`, so they give the same
/// bits as `Tensor.unary` and the tape for the same pre-activations.
@Suite struct SharedActivationTests {
    @Test(arguments: [("tanh, width 8", Activation.tanh, 8), ("tanh, odd width 7", .tanh, 7),
                      ("sigmoid, width 8", .sigmoid, 8)])
    func hiddenLayerEqualsTensorUnaryBitForBit(name: String, activation: Activation, width: Int) throws {
        // Large weights spread pre-activations over both branches of tanh (|z| below and above
        // 0.625) and into saturation.
        let model = try ReferenceMLP(sizes: [5, width, 3], activation: activation, seed: 3)
        var rng = RandomGenerator(seed: 4)
        var p = model.parameters
        for i in p.indices { p[i] = rng.normal() * 3 }
        try model.setParameters(p)
        let rows = 300
        let x = try Tensor(shape: [rows, 5], storage: (0..<(rows * 5)).map { _ in rng.normal() })
        let e = try model.linearize(x: x, y: Tensor((0..<rows).map { Double($0 % 3) }))
        // Pre-activations from the model's own product, plus the bias, through Tensor.unary.
        let layer = model.layers[0]
        var z = [Double]()
        var a = [Double]()
        for w in e.workers where w.rows > 0 {
            for i in 0..<(w.rows * width) {
                z.append(w.z[0].p[i] + p[layer.biasOffset + i % width])
                a.append(w.a[0].p[i])
            }
        }
        let reference = try Tensor(z).unary(activation == .tanh ? .tanh : .sigmoid)
        #expect(a.count == rows * width)
        #expect(zip(a, reference.storage).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(name)")
        // And the values are those of libm's formula to rounding.
        let worst = zip(z, a).map { abs($1 - activation.value($0)) }.max() ?? .nan
        // FastMath's tanh/sigmoid are within 2 ulps of libm (FastMathTests); values ≤ 1: 4e-16 ≈ 2ε.
        #expect(worst <= 4e-16, "\(name): worst deviation \(worst)")
    }

    /// The kernels' matrix product (the row kernel for short inner dimensions, BLAS otherwise)
    /// against a plain triple loop, with strides wider than the rows and beta 0 (C unread: it
    /// starts as NaN) and 1. Tolerance: k·2^-52 relative to the sum of |terms|.
    @Test(arguments: [("1797x64 @ 64 inner 10", 1797, 64, 10), ("odd widths", 7, 37, 3),
                      ("inner 16, 100 columns", 5, 100, 16), ("inner 1", 33, 4, 1),
                      ("inner 17 (BLAS)", 9, 13, 17), ("one column", 6, 1, 5)])
    func smallProductMatchesTripleLoop(name: String, m: Int, n: Int, k: Int) {
        var rng = RandomGenerator(seed: 21)
        let lda = k + 2, ldb = n + 3, ldc = n + 1
        let a = (0..<(m * lda)).map { _ in rng.normal() }
        let b = (0..<(k * ldb)).map { _ in rng.normal() }
        let c0 = (0..<(m * ldc)).map { _ in rng.normal() }
        for beta in [0.0, 1.0] {
            var c = beta == 0 ? [Double](repeating: .nan, count: m * ldc) : c0
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        guard let ab = ap.baseAddress, let bb = bp.baseAddress, let cb = cp.baseAddress else { return }
                        gemm(false, false, m, n, k, ab, lda, bb, ldb, beta, cb, ldc)
                    }
                }
            }
            var worst = 0.0
            for i in 0..<m {
                for j in 0..<n {
                    var s = beta * c0[i * ldc + j], scale = abs(s)
                    for p in 0..<k {
                        s += a[i * lda + p] * b[p * ldb + j]
                        scale += abs(a[i * lda + p] * b[p * ldb + j])
                    }
                    let err = abs(c[i * ldc + j] - s) / (Double(k + 1) * 0x1p-52 * max(scale, 1e-300))
                    worst = max(worst, err.isNaN ? .infinity : err)
                }
            }
            #expect(worst <= 1, "\(name), beta \(beta): error \(worst) of the bound")
        }
    }
}
