import Foundation
import Testing
import RitzTensor
@testable import RitzAutodiff

/// Composite functions against values computed with JAX (float64, CPU) by
/// `Fixtures/make_fixtures.py`, stored in `Fixtures/composites.json`.
/// Tolerances: rtol 1e-10, atol 1e-12 for values and gradients, rtol 1e-9, atol 1e-11 for
/// second order. Both sides are exact up to rounding and sum in different orders: sums of at
/// most 43 terms of size ≤ 10 give about 43·ε·10 ≈ 1e-13 absolute; the relative tolerances
/// (≈ 5e5·ε, 5e6·ε) leave room for entries that cancel to far below their terms, and a wrong
/// derivative rule errs by O(1).
@Suite("Composites against JAX")
struct CompositeTests {
    struct Fixture: Decodable {
        let shape: [Int]
        let x: [Double]
        let v: [Double]
        let value: Double
        let grad: [Double]
        let hvp: [Double]
        let hessian: [Double]?
        let labels: [Int]?
        let X: [Double]?
        let w: [Double]?
        let A: [Double]?
        let b: [Double]?
    }

    struct File: Decodable { let fixtures: [String: Fixture] }

    static let fixtures: [String: Fixture] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/composites.json")
        guard let data = try? Data(contentsOf: url),
              let file = try? JSONDecoder().decode(File.self, from: data) else { return [:] }
        return file.fixtures
    }()

    /// −mean_i log softmax(z)[i, yᵢ], from primitives (log-softmax and an index gather).
    static func crossEntropy(_ logits: Var, _ labels: [Int]) throws -> Var {
        let n = logits.shape[0], k = logits.shape[1]
        let lp = try logits.logSoftmax(axis: 1).flattened()
        let picked = try lp.index([.array(Tensor((0..<n).map { Double($0 * k + labels[$0]) }))])
        return try -picked.mean()
    }

    static func function(_ name: String, _ fx: Fixture) throws -> (Var) throws -> Var {
        switch name {
        case "softmax_cross_entropy":
            let labels = fx.labels ?? []
            return { try crossEntropy($0, labels) }
        case "mlp_loss":
            let X = Var(try Tensor(shape: [6, 4], storage: fx.X ?? []))
            let labels = fx.labels ?? []
            return { theta in
                let w1 = try theta.index([.slice(start: 0, stop: 20, step: 1)]).reshaped([4, 5])
                let b1 = try theta.index([.slice(start: 20, stop: 25, step: 1)])
                let w2 = try theta.index([.slice(start: 25, stop: 40, step: 1)]).reshaped([5, 3])
                let b2 = try theta.index([.slice(start: 40, stop: 43, step: 1)])
                let h = try (X.matmul(w1) + b1).tanh()
                return try crossEntropy(h.matmul(w2) + b2, labels)
            }
        case "logsumexp_rows":
            let w = Var(Tensor(fx.w ?? []))
            return { try (w * $0.logsumexp(axis: 1)).sum() }
        case "residual_norm":
            let A = Var(try Tensor(shape: [6, 4], storage: fx.A ?? []))
            let b = Var(Tensor(fx.b ?? []))
            return { try (A.matmul($0) - b).norm() }
        default:
            throw TensorError.invalidArgument("no composite named \(name)")
        }
    }

    static let names = ["softmax_cross_entropy", "mlp_loss", "logsumexp_rows", "residual_norm"]

    @Test("value, gradient, Hessian-vector product and Hessian", arguments: names)
    func composite(_ name: String) throws {
        let fx = try #require(Self.fixtures[name], "fixture \(name) missing")
        let f = try Self.function(name, fx)
        let x = Var(try Tensor(shape: fx.shape, storage: fx.x))
        let v = Var(try Tensor(shape: fx.shape, storage: fx.v))
        let (value, g) = try valueAndGrad(f)(x)
        #expect(Swift.abs(value.value.storage[0] - fx.value) <= 1e-12 + 1e-10 * Swift.abs(fx.value))
        #expect(toleranceRatio(g.value, try Tensor(shape: fx.shape, storage: fx.grad), rtol: 1e-10, atol: 1e-12) <= 1)
        let expected = try Tensor(shape: fx.shape, storage: fx.hvp)
        for mode in [HVPMode.reverseOverReverse, .forwardOverReverse] {
            let h = try hvp(f, at: x, v, mode: mode)
            #expect(toleranceRatio(h.value, expected, rtol: 1e-9, atol: 1e-11) <= 1, "\(mode)")
        }
        if let dense = fx.hessian {
            let H = try hessian(f, at: x)
            #expect(toleranceRatio(H.value, try Tensor(shape: fx.shape + fx.shape, storage: dense), rtol: 1e-9, atol: 1e-11) <= 1)
        }
    }
}
