import Foundation
import Testing
@testable import RitzLearn
import RitzTensor

/// One fixture case of `Fixtures/optimizer_steps.json` (made by `make_optimizer_fixture.py`).
struct OptimizerCase: CustomStringConvertible, Sendable {
    let name: String
    let rule: String
    let args: [String: Double]
    let steps: Int
    let expected: [Double]
    var description: String { name }
}

struct OptimizerFixture: Sendable {
    let p0: [Double], h: [Double], b: [Double]
    let cases: [OptimizerCase]

    static let shared: OptimizerFixture = load()

    static func load() -> OptimizerFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/optimizer_steps.json")
        guard let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return OptimizerFixture(p0: [], h: [], b: [], cases: [])
        }
        func doubles(_ any: Any?) -> [Double] { (any as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? [] }
        let cases = (json["cases"] as? [[String: Any]] ?? []).map { c in
            var args: [String: Double] = [:]
            for (k, v) in c["args"] as? [String: Any] ?? [:] {
                if let n = v as? NSNumber { args[k] = n.doubleValue }
            }
            return OptimizerCase(name: c["name"] as? String ?? "?", rule: c["rule"] as? String ?? "?", args: args,
                                 steps: (c["steps"] as? NSNumber)?.intValue ?? 0, expected: doubles(c["expected"]))
        }
        return OptimizerFixture(p0: doubles(json["p0"]), h: doubles(json["H"]), b: doubles(json["b"]), cases: cases)
    }
}

@Suite struct OptimizerTests {
    @Test func fixtureLoaded() {
        #expect(OptimizerFixture.shared.cases.count == 16)
    }

    /// Steps on the quadratic ½pᵀHp − bᵀp (H diagonal) against the NumPy reference.
    @Test(arguments: OptimizerFixture.shared.cases)
    func stepsMatchNumPyReference(c: OptimizerCase) throws {
        let f = OptimizerFixture.shared
        let a = c.args
        let opt: Optimizer
        switch c.rule {
        case "sgd":
            opt = try .sgd(lr: a["lr"] ?? 0, momentum: a["momentum"] ?? 0, nesterov: (a["nesterov"] ?? 0) != 0,
                           weightDecay: a["weight_decay"] ?? 0)
        case "adam": opt = try .adam(lr: a["lr"] ?? 0, weightDecay: a["weight_decay"] ?? 0)
        case "adamw": opt = try .adamw(lr: a["lr"] ?? 0, weightDecay: a["weight_decay"] ?? 0)
        default:
            opt = try .adahessian(lr: a["lr"] ?? 0.15, weightDecay: a["weight_decay"] ?? 0,
                                  hessianPower: a["hessian_power"] ?? 1)
        }
        var p = f.p0
        for _ in 0..<c.steps {
            let g = (0..<p.count).map { f.h[$0] * p[$0] - f.b[$0] }
            try opt.step(parameters: &p, gradient: g) { z, out in
                out = (0..<z.count).map { f.h[$0] * z[$0] }
            }
        }
        #expect(c.expected.count == p.count)
        // The same update formulas as the NumPy fixture, elementwise (no BLAS): a few roundings per
        // step over these few steps, 1e-14 ≈ 45ε relative.
        for (x, y) in zip(p, c.expected) { #expect(abs(x - y) <= 1e-14 * max(1, abs(y)), "\(p) vs \(c.expected)") }
        #expect(opt.t == c.steps)
    }

    /// The Hutchinson diagonal of a full (non-diagonal) matrix averages to its diagonal.
    @Test func hutchinsonDiagonalIsUnbiased() throws {
        let a: [[Double]] = [[4, 1, -2], [1, 3, 0.5], [-2, 0.5, 5]]
        let opt = try Optimizer.adahessian(probes: 20000)
        try opt.hutchinsonDiagonal(n: 3, probes: 20000) { z, out in
            out = (0..<3).map { i in (0..<3).reduce(0.0) { $0 + a[i][$1] * z[$1] } }
        }
        // z_i (Az)_i = a_ii + Σ_{j≠i} a_ij z_i z_j; the off-diagonal part has variance Σ a_ij²,
        // so the mean of 20000 probes is within 5·sqrt(Σ a_ij² / 20000) < 0.1.
        for i in 0..<3 { #expect(abs(opt.diag[i] - a[i][i]) < 0.1) }
    }

    /// Block averaging replaces each block of a row by its mean (the paper's eq. 10).
    @Test func blockAveragingWithinRows() throws {
        let opt = try Optimizer.adahessian(block: 2)
        let blocks = [ParameterBlock(name: "w0", offset: 0, shape: [2, 3]), ParameterBlock(name: "b0", offset: 6, shape: [2])]
        opt.diag = [1, 3, 5, 2, 4, 6, 7, 9]
        opt.averageBlocks(block: 2, blocks: blocks, n: 8)
        #expect(opt.diag == [2, 2, 5, 3, 3, 6, 8, 8])
        // A 3-d block averages along its last axis.
        opt.diag = [1, 3, 5, 7]
        opt.averageBlocks(block: 2, blocks: [ParameterBlock(name: "k", offset: 0, shape: [2, 1, 2])], n: 4)
        #expect(opt.diag == [2, 2, 6, 6])
    }

    @Test func badHyperparametersThrow() {
        #expect(throws: LearnError.self) { try Optimizer.sgd(lr: -1) }
        #expect(throws: LearnError.self) { try Optimizer.sgd(lr: .nan) }
        #expect(throws: LearnError.self) { try Optimizer.sgd(lr: 0.1, nesterov: true) }
        #expect(throws: LearnError.self) { try Optimizer.adam(beta1: 1) }
        #expect(throws: LearnError.self) { try Optimizer.adahessian(hessianPower: 2) }
        #expect(throws: LearnError.self) { try Optimizer.adahessian(probes: 0) }
        #expect(throws: LearnError.self) {
            var p = [1.0]
            try Optimizer.adahessian().step(parameters: &p, gradient: [1])
        }
        #expect(throws: LearnError.self) {
            var p = [1.0, 2]
            try Optimizer.adam().step(parameters: &p, gradient: [1])
        }
    }
}
