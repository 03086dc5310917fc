import Foundation
import Testing
import RitzAutodiff
@testable import RitzLearn
import RitzTensor

/// One model of `Fixtures/kfac.json` (made by `make_kfac_fixture.py` with NumPy alone: the
/// forward and backward passes written out by hand, A, G and EKFAC's scales from their formulas).
struct KroneckerCase: CustomTestStringConvertible, Sendable {
    struct Layer: Sendable { let a: [Double], g: [Double], kfac: [Double], ekfac: [Double] }
    let name: String
    let parameters: [Double]
    let x: [Double], xshape: [Int], y: [Double]
    let layers: [String: [Layer]]
    var testDescription: String { name }

    static let all: [KroneckerCase] = load()

    static func load() -> [KroneckerCase] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/kfac.json")
        guard let data = try? Data(contentsOf: url),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        func doubles(_ any: Any?) -> [Double] { (any as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? [] }
        return (root["cases"] as? [[String: Any]] ?? []).map { c in
            var layers: [String: [Layer]] = [:]
            for kind in ["empirical", "exact"] {
                layers[kind] = (c[kind] as? [[String: Any]] ?? []).map {
                    Layer(a: doubles($0["A"]), g: doubles($0["G"]), kfac: doubles($0["kfac"]), ekfac: doubles($0["ekfac"]))
                }
            }
            return KroneckerCase(name: c["name"] as? String ?? "?", parameters: doubles(c["parameters"]),
                                 x: doubles(c["x"]), xshape: doubles(c["xshape"]).map { Int($0) }, y: doubles(c["y"]),
                                 layers: layers)
        }
    }

    /// The model with the fixture's parameters: mlp [3, 4, 3] tanh, or cnn [1, 4, 4] → [2] → 3 relu.
    func model() throws -> any Model {
        let m: any Model = name == "mlp"
            ? try MLP(sizes: [3, 4, 3], activation: .tanh)
            : try FunctionModel.cnn(input: [1, 4, 4], channels: [2], classes: 3, kernel: 3, pool: 2, activation: .relu)
        try m.setParameters(parameters)
        return m
    }
}

/// The largest entrywise difference relative to the largest entry of the reference.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    guard a.count == b.count, !b.isEmpty else { return .infinity }
    let scale = max(b.map(abs).max() ?? 0, 1e-300)
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}

@Suite struct KroneckerTests {
    @Test func fixtureLoads() {
        #expect(KroneckerCase.all.map(\.name) == ["mlp", "cnn"])
    }

    /// A, G and the K-FAC scales λ_G λ_A are sums of products: rounding of a few ulps times the
    /// number of terms, so 1e-12 relative to the largest entry. EKFAC's scales go through the
    /// eigenvectors, which move by about ε‖A‖/gap; the fixtures' smallest relative gaps are
    /// around 1e-3, so 1e-8 leaves room.
    @Test(arguments: KroneckerCase.all)
    func factorsMatchNumPy(c: KroneckerCase) throws {
        let m = try c.model()
        let x = try Tensor(shape: c.xshape, storage: c.x)
        for (kind, labels) in [("empirical", KroneckerLabels.empirical), ("exact", .exact)] {
            let stats = try KroneckerStatistics.compute(model: m, x: x, y: Tensor(c.y), loss: .crossEntropy, labels: labels)
            let expected = c.layers[kind] ?? []
            #expect(expected.count == 2)
            #expect(stats.layers.count == expected.count)
            let decomposed = try stats.decomposed(ekfac: true)
            for (l, want) in expected.enumerated() where l < stats.layers.count {
                #expect(relativeError(stats.layers[l].a.storage, want.a) < 1e-12, "\(kind) layer \(l) A")
                #expect(relativeError(stats.layers[l].g.storage, want.g) < 1e-12, "\(kind) layer \(l) G")
                #expect(relativeError(try KroneckerEigenLayer(stats.layers[l]).scales, want.kfac) < 1e-12, "\(kind) layer \(l) kfac")
                #expect(relativeError(decomposed[l].scales, want.ekfac) < 1e-8, "\(kind) layer \(l) ekfac")
            }
        }
    }

    /// The layers a CNN exposes: the convolution with its bias (16 positions per example) and
    /// the dense layer; the mlp's two layers with theirs. Nothing is left to the identity.
    @Test func layersAndBlocks() throws {
        let c = KroneckerCase.all[1]
        let m = try c.model()
        let k = try KroneckerCurvature.compute(model: m, x: try Tensor(shape: c.xshape, storage: c.x), y: Tensor(c.y),
                                               loss: .crossEntropy, labels: .empirical, ekfac: false)
        #expect(k.layers.map(\.factors.blockNames) == [["conv0.w", "conv0.b"], ["dense.w", "dense.b"]])
        #expect(k.layers.map(\.factors.rowsPerExample) == [16, 1])
        #expect(k.layers.map(\.factors.kind) == [.convolution, .dense])
        #expect(k.uncovered.isEmpty)
    }

    /// A product and a sum, `x @ w.T` then `+ b`, is seen as the same dense layers as the fused
    /// `linear` nodes, with the same factors to rounding, whether the product reads w in place or
    /// multiplies by a transposed copy.
    @Test(arguments: [false, true])
    func productsWithTransposedBlocksAreDenseLayers(copiesTheTranspose: Bool) throws {
        let c = KroneckerCase.all[0]
        guard let fused = try c.model() as? MLP else { Issue.record("not an mlp"); return }
        let x = try Tensor(shape: c.xshape, storage: c.x)
        let a = try KroneckerStatistics.compute(model: fused, x: x, y: Tensor(c.y), loss: .crossEntropy, labels: .exact)
        let unfused = try FunctionModel(blocks: fused.blocks.map { ($0.name, $0.shape) }, parameters: fused.parameters,
                                        label: "unfused") { p, x in
            let count = p.count / 2
            var h = Var(x)
            for l in 0..<count {
                let product = copiesTheTranspose ? try h.matmul(try p[2 * l].T) : try h.matmul(transposed: p[2 * l])
                let z = try product + p[2 * l + 1]
                h = l == count - 1 ? z : try z.tanh()
            }
            return h
        }
        let b = try KroneckerStatistics.compute(model: unfused, x: x, y: Tensor(c.y), loss: .crossEntropy, labels: .exact)
        #expect(b.layers.map(\.blockNames) == [["w0", "b0"], ["w1", "b1"]])
        for (la, lb) in zip(a.layers, b.layers) {
            #expect(relativeError(lb.a.storage, la.a.storage) < 1e-13)
            #expect(relativeError(lb.g.storage, la.g.storage) < 1e-13)
        }
    }

    /// A block the layers do not cover (a scale applied elementwise) gets the identity.
    @Test func uncoveredBlocksAreIdentity() throws {
        let m = try FunctionModel(blocks: [("w", [2, 3]), ("b", [2]), ("s", [2])],
                                  parameters: [0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.1, 0.2, 1.5, 0.7], label: "scaled") { p, x in
            try Var.linear(Var(x), p[0], p[1]) * p[2]
        }
        let x = try Tensor(shape: [4, 3], storage: (0..<12).map { sin(Double($0)) })
        let k = try KroneckerCurvature.compute(model: m, x: x, y: Tensor([0, 1, 1, 0]), loss: .crossEntropy,
                                               labels: .exact, ekfac: false)
        #expect(k.uncovered.map(\.name) == ["s"])
        let v = (0..<10).map { Double($0) + 1 }
        let kv = try k.apply(v, damping: 0.5)
        #expect(kv[8] == 1.5 * v[8] && kv[9] == 1.5 * v[9])
    }

    /// kfac and mkor lower the loss of an mlp on the moons within 30 steps, and a second run
    /// with the same seed repeats the first bit for bit.
    @Test(arguments: ["kfac", "mkor"])
    func optimizersDecreaseTheLossDeterministically(rule: String) throws {
        func run() throws -> Run {
            let m = try MLP(sizes: [2, 16, 2], activation: .tanh, seed: 1)
            let d = try Dataset.moons(n: 200, noise: 0.1, seed: 2)
            let opt: Optimizer = rule == "kfac" ? try .kfac(lr: 0.2, damping: 0.01, updateEvery: 5)
                                                : try .mkor(lr: 0.5, damping: 0.01, updateEvery: 5, momentum: 0.5)
            return try Trainer.train(model: m, data: d, optimizer: opt, steps: 30, batch: 50, every: 10, seed: 3)
        }
        let (a, b) = (try run(), try run())
        #expect(a.stop == .completed)
        let first = a.loss.first ?? .nan, last = a.loss.last ?? .nan
        #expect(last < 0.7 * first, "loss \(first) → \(last)")
        #expect(a.loss == b.loss)
    }

    /// Each kfac step moves the parameters by −η·b with b ← μb + Δ and Δ = (K + δI)⁻¹ g, K the
    /// block-diagonal A ⊗ G of the running factors the optimizer holds (refreshed at steps 0 and
    /// 2 with update_every = 2, stale at 1 and 3): checked against LAPACK's solve of the dense
    /// damped matrix built entry by entry in the flat layout, K[(r,c),(r′,c′)] = G[r,r′]·A[c,c′].
    /// Tolerance 100·N·ε·κ₂(K + δI): backward-stable solves on both sides.
    @Test func kfacStepsSolveTheDampedRunningFactors() throws {
        let c = KroneckerCase.all[0]
        let m = try c.model()
        let x = try Tensor(shape: c.xshape, storage: c.x), y = Tensor(c.y)
        let (lr, damping, momentum) = (0.5, 0.01, 0.5)
        let opt = try Optimizer.kfac(lr: lr, damping: damping, updateEvery: 2, momentum: momentum)
        let evaluation = m.makeEvaluation()
        let n = m.parameterCount
        var g = [Double](repeating: 0, count: n)
        var previous = [Double](repeating: 0, count: n)
        for step in 0..<4 {
            try evaluation.prepare(model: m, x: x, y: y, loss: .crossEntropy, withGradient: true)
            try evaluation.gradient(into: &g)
            try opt.refreshCurvature(model: m, loss: .crossEntropy) { (x, y) }
            let layers = opt.kronecker?.average ?? []
            #expect(layers.count == 2)
            var dense = [Double](repeating: 0, count: n * n)
            for i in 0..<n { dense[i * n + i] = 1 + damping }
            for layer in layers {
                let (o, p) = (layer.outputs, layer.inputs), k = layer.weight.count / o
                func index(_ r: Int, _ col: Int) -> Int { col < k ? layer.weight.offset + r * k + col : (layer.bias?.offset ?? 0) + r }
                let (a, gg) = (layer.a.storage, layer.g.storage)
                for r in 0..<o { for col in 0..<p { for r2 in 0..<o { for col2 in 0..<p {
                    dense[index(r, col) * n + index(r2, col2)] = gg[r * o + r2] * a[col * p + col2] + (index(r, col) == index(r2, col2) ? damping : 0)
                } } } }
            }
            let matrix = try Tensor(shape: [n, n], storage: dense)
            let reference = try Tensor.solve(matrix, Tensor(g)).storage
            let before = m.parameters
            try opt.step(parameters: &m.parameters, gradient: g, blocks: m.blocks)
            let b = zip(before, m.parameters).map { ($0 - $1) / lr }
            let delta = zip(b, previous).map { $0 - momentum * $1 }
            previous = b
            let tolerance = 100 * Double(n) * Double.ulpOfOne * (try matrix.cond())
            #expect(relativeError(delta, reference) < tolerance, "step \(step)")
        }
    }

    @Test func badHyperparametersAreRefused() {
        #expect(throws: LearnError.self) { try Optimizer.kfac(lr: 0.1, damping: 0) }
        #expect(throws: LearnError.self) { try Optimizer.kfac(lr: 0.1, updateEvery: 0) }
        #expect(throws: LearnError.self) { try Optimizer.mkor(lr: 0.1, momentum: 1) }
    }
}
