import Foundation
import Testing
@testable import RitzLearn
import RitzTensor

/// One case of `Fixtures/model_library.json` (made by `make_model_fixture.py` in JAX, float64):
/// a network's configuration, its parameters and data, and JAX's outputs, loss, gradient and
/// Hessian-vector product there.
struct ModelLibraryCase: CustomTestStringConvertible, Sendable {
    let name: String
    let config: [String: String]
    let numbers: [String: [Int]]
    let blocks: [(name: String, shape: [Int])]
    let x: Tensor, y: Tensor
    let params: [Double], direction: [Double]
    let outputs: [Double], loss: Double, gradient: [Double], hvp: [Double]
    var testDescription: String { name }

    /// The model the case describes, built by the library, with the case's parameters.
    func model() throws -> FunctionModel {
        let act = try Activation(name: config["act"] ?? "?")
        let m: FunctionModel
        if config["kind"] == "cnn" {
            m = try .cnn(input: numbers["input"] ?? [], channels: numbers["channels"] ?? [], classes: int("classes"),
                         kernel: int("kernel"), pool: int("pool"), activation: act, seed: 0)
        } else {
            m = try .transformer(vocab: int("vocab"), seq: int("seq"), width: int("width"), heads: int("heads"),
                                 depth: int("depth"), classes: int("classes"), mlp: int("mlp"), activation: act,
                                 output: FunctionModel.SequenceOutput(rawValue: config["output"] ?? "") ?? .last, seed: 0)
        }
        try m.setParameters(params)
        return m
    }

    private func int(_ key: String) -> Int { numbers[key]?.first ?? -1 }
}

enum ModelLibraryFixture {
    static let cases: [ModelLibraryCase] = load()

    static func load() -> [ModelLibraryCase] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/model_library.json")
        guard let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cases = json["cases"] as? [[String: Any]] else { return [] }
        func doubles(_ any: Any?) -> [Double] { (any as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? [] }
        func ints(_ any: Any?) -> [Int] { (any as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue } ?? [] }
        return cases.compactMap { c in
            var config: [String: String] = [:], numbers: [String: [Int]] = [:]
            for (k, v) in c["config"] as? [String: Any] ?? [:] {
                if let s = v as? String { config[k] = s } else if let n = v as? NSNumber { numbers[k] = [n.intValue] } else { numbers[k] = ints(v) }
            }
            let blocks = (c["blocks"] as? [[String: Any]] ?? []).map { ($0["name"] as? String ?? "?", ints($0["shape"])) }
            guard let x = try? Tensor(shape: ints(c["x_shape"]), storage: doubles(c["x"])),
                  let y = try? Tensor(shape: ints(c["y_shape"]), storage: doubles(c["y"])) else { return nil }
            return ModelLibraryCase(name: c["name"] as? String ?? "?", config: config, numbers: numbers, blocks: blocks,
                                    x: x, y: y, params: doubles(c["params"]), direction: doubles(c["direction"]),
                                    outputs: doubles(c["outputs"]), loss: (c["loss"] as? NSNumber)?.doubleValue ?? .nan,
                                    gradient: doubles(c["gradient"]), hvp: doubles(c["hvp"]))
        }
    }
}

/// max |a − b| / max |b|: the worst deviation relative to the reference's scale.
private func relativeDeviation(_ a: [Double], _ b: [Double]) -> Double {
    guard a.count == b.count, !b.isEmpty else { return .infinity }
    let worst = zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0
    return worst / Swift.max(b.map(Swift.abs).max() ?? 0, .leastNormalMagnitude)
}

@Suite("Model library: cnn and transformer against JAX, finite differences and their contracts")
struct ModelLibraryTests {
    @Test func fixtureLoads() {
        #expect(ModelLibraryFixture.cases.count == 6)
    }

    /// The fixture's parameters are drawn by the script; the forward pass, the loss, the reverse
    /// sweep and the tangent sweep along it are float64 chains of a few hundred operations on
    /// numbers of order one, so ritz and XLA differ by rounding only (observed ~1e-15 relative);
    /// 1e-10 relative to each result's largest entry is the bar and leaves five digits
    /// for summation order.
    @Test("outputs, loss, gradient and HVP match JAX to 1e-10 relative", arguments: ModelLibraryFixture.cases)
    func matchesJAX(_ c: ModelLibraryCase) throws {
        let m = try c.model()
        #expect(m.blocks.map(\.name) == c.blocks.map(\.name))
        #expect(m.blocks.map(\.shape) == c.blocks.map(\.shape))
        let e = m.makeEvaluation()
        try e.prepare(model: m, x: c.x, y: c.y, loss: .crossEntropy, withGradient: true)
        #expect(Swift.abs(e.loss - c.loss) <= 1e-10 * Swift.abs(c.loss))
        #expect(relativeDeviation(try e.outputs().storage, c.outputs) <= 1e-10)
        var g = [Double]()
        try e.gradient(into: &g)
        #expect(relativeDeviation(g, c.gradient) <= 1e-10)
        var hv = [Double]()
        try e.hvp(c.direction, into: &hv)
        #expect(relativeDeviation(hv, c.hvp) <= 1e-10)
    }

    /// Central differences of the loss along the first coordinate of every block:
    /// (L(θ + εeᵢ) − L(θ − εeᵢ))/2ε = ∂ᵢL + O(ε²·∂ᵢ³L) + O(u·L/ε); with ε = 1e-6 both terms are
    /// near 1e-10 for losses and derivatives of order one, so 1e-7·(1 + ‖∇L‖∞) bounds them with
    /// a wide margin. (The relu and max-pool cases are piecewise smooth; at the fixture's random
    /// points no kink lies within ε.)
    @Test("gradient entries match central differences of the loss, one per block", arguments: ModelLibraryFixture.cases)
    func gradientFiniteDifferences(_ c: ModelLibraryCase) throws {
        let m = try c.model()
        let e = m.makeEvaluation()
        try e.prepare(model: m, x: c.x, y: c.y, loss: .crossEntropy, withGradient: true)
        var g = [Double]()
        try e.gradient(into: &g)
        let scale = 1 + (g.map(Swift.abs).max() ?? 0)
        let eps = 1e-6
        for b in m.blocks {
            let i = b.offset
            var p = c.params
            p[i] += eps
            try m.setParameters(p)
            let up = try m.meanLoss(x: c.x, y: c.y, loss: .crossEntropy)
            p[i] -= 2 * eps
            try m.setParameters(p)
            let down = try m.meanLoss(x: c.x, y: c.y, loss: .crossEntropy)
            let fd = (up - down) / (2 * eps)
            #expect(Swift.abs(fd - g[i]) <= 1e-7 * scale, "\(b.name): \(fd) vs \(g[i])")
        }
    }

    @Test func cnnBlocksAndShapes() throws {
        let m = try FunctionModel.cnn(input: [1, 8, 8], channels: [16, 32], classes: 10, seed: 0)
        #expect(m.blocks.map(\.name) == ["conv0.w", "conv0.b", "conv1.w", "conv1.b", "dense.w", "dense.b"])
        #expect(m.blocks.map(\.shape) == [[16, 1, 3, 3], [16], [32, 16, 3, 3], [32], [10, 128], [10]])
        #expect(m.parameterCount == 6090)
        let images = try Tensor.zeros([3, 1, 8, 8])
        #expect(try m.predict(images).shape == [3, 10])
        // Rows of 64 features are the same images.
        var rng = RandomGenerator(seed: 1)
        let x = try Tensor.randn([3, 64], using: &rng)
        #expect(try m.predict(x) == (try m.predict(try x.reshaped([3, 1, 8, 8]))))
    }

    @Test func transformerBlocksAndShapes() throws {
        let m = try FunctionModel.transformer(vocab: 7, seq: 5, width: 8, heads: 2, depth: 2, seed: 0)
        let names = m.blocks.map(\.name)
        #expect(names.prefix(8) == ["embed", "pos", "block0.ln1.g", "block0.ln1.b", "block0.attn.q", "block0.attn.k",
                                    "block0.attn.v", "block0.attn.o"])
        #expect(names.suffix(3) == ["ln.g", "ln.b", "head"])
        #expect(names.contains("block1.mlp.w2"))
        #expect(try m.block(named: "block1.mlp.w1").shape == [32, 8])
        #expect(try m.block(named: "head").shape == [7, 8])
        let tokens = try Tensor(shape: [2, 3], storage: [0, 1, 2, 3, 4, 6])
        #expect(try m.predict(tokens).shape == [2, 7])
        let all = try FunctionModel.transformer(vocab: 7, seq: 5, width: 8, heads: 2, depth: 1, classes: 3, output: .all, seed: 0)
        #expect(try all.predict(tokens).shape == [2, 3, 3])
    }

    /// Causality: the logits at position t do not depend on the tokens after t.
    @Test func transformerIsCausal() throws {
        let m = try FunctionModel.transformer(vocab: 9, seq: 6, width: 8, heads: 2, depth: 2, output: .all, seed: 3)
        let a = try m.predict(try Tensor(shape: [1, 6], storage: [1, 2, 3, 4, 5, 6])).storage
        let b = try m.predict(try Tensor(shape: [1, 6], storage: [1, 2, 3, 8, 0, 7])).storage
        #expect(Array(a[..<27]) == Array(b[..<27]))
        #expect(Array(a[27...]) != Array(b[27...]))
    }

    /// The initialisation contract, redrawn here from its documented statement.
    @Test func initialisationContract() throws {
        let seed: UInt64 = 11
        let cnn = try FunctionModel.cnn(input: [2, 6, 6], channels: [3, 4], classes: 5, kernel: 3, pool: 2,
                                        activation: .tanh, seed: seed)
        var rng = RandomGenerator(seed: seed)
        var expected = [Double]()
        for b in cnn.blocks {
            if b.name.hasSuffix(".b") { expected += [Double](repeating: 0, count: b.count); continue }
            // std = g/√fan_in with g = 1 for tanh, times each draw (as MLP's contract).
            let std = 1 / Double(b.shape.dropFirst().reduce(1, *)).squareRoot()
            expected += (0..<b.count).map { _ in std * rng.normal() }
        }
        #expect(cnn.parameters == expected)

        let depth = 2
        let t = try FunctionModel.transformer(vocab: 6, seq: 4, width: 4, heads: 2, depth: depth, mlp: 2, seed: seed)
        rng = RandomGenerator(seed: seed)
        expected = []
        for b in t.blocks {
            let last = b.name.split(separator: ".").last.map(String.init) ?? ""
            let fanIn = Double(b.shape.last ?? 1)
            let std: Double?
            switch last {
            case "embed", "pos": std = 0.02
            case "q", "k", "v", "w1", "head": std = 1 / fanIn.squareRoot()
            case "o", "w2": std = 1 / (fanIn * Double(2 * depth)).squareRoot()
            default: std = nil
            }
            if let std {
                expected += (0..<b.count).map { _ in std * rng.normal() }
            } else {
                expected += [Double](repeating: last == "g" ? 1 : 0, count: b.count)
            }
        }
        #expect(t.parameters == expected)
        #expect(try FunctionModel.transformer(vocab: 6, seq: 4, width: 4, heads: 2, seed: 12).parameters != t.parameters)
    }

    @Test("bad sizes and inputs are errors, never a crash", arguments: [
        "pools to nothing", "no layers", "even width for heads", "zero vocab", "huge", "negative channels",
        "tokens out of range", "too long", "wrong rank", "cnn input shape",
    ])
    func errors(_ what: String) throws {
        func fails(_ body: () throws -> Any) -> Bool {
            do { _ = try body(); return false } catch { return error is LearnError }
        }
        let t = try FunctionModel.transformer(vocab: 5, seq: 3, width: 4, heads: 2, depth: 1, seed: 0)
        let c = try FunctionModel.cnn(input: [1, 4, 4], channels: [2], classes: 3, seed: 0)
        let ok: Bool
        switch what {
        case "pools to nothing": ok = fails { try FunctionModel.cnn(input: [1, 3, 3], channels: [2, 2], classes: 2) }
        case "no layers": ok = fails { try FunctionModel.cnn(input: [1, 3, 3], channels: [], classes: 2) }
        case "even width for heads": ok = fails { try FunctionModel.transformer(vocab: 4, seq: 2, width: 6, heads: 4) }
        case "zero vocab": ok = fails { try FunctionModel.transformer(vocab: 0, seq: 2) }
        case "huge": ok = fails { try FunctionModel.transformer(vocab: 1 << 24, seq: 1 << 24, width: 1 << 20, heads: 1) }
        case "negative channels": ok = fails { try FunctionModel.cnn(input: [1, 3, 3], channels: [-2], classes: 2) }
        case "tokens out of range": ok = fails { try t.predict(try Tensor(shape: [1, 2], storage: [1, -1])) }
        case "too long": ok = fails { try t.predict(try Tensor(shape: [1, 4], storage: [1, 1, 1, 1])) }
        case "wrong rank": ok = fails { try t.predict(Tensor([1, 2])) }
        default: ok = fails { try c.predict(try Tensor.zeros([2, 1, 4, 5])) }
        }
        #expect(ok)
    }
}
