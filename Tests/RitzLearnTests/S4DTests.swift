import Foundation
import Testing
@testable import RitzLearn
import RitzAutodiff
import RitzTensor

/// `Fixtures/s4d.json`, made by `make_s4d_fixture.py` (JAX, complex arithmetic, direct causal sums).
struct S4DFixture {
    let sizes: [String: Int]
    let blocks: [String]
    let params: [Double], x: [Double], y: [Double], v: [Double]
    let loss: Double
    let grad: [Double], hvp: [Double]

    static func load() throws -> S4DFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/s4d.json")
        let json = try JSONSerialization.jsonObject(with: try Data(contentsOf: url)) as? [String: Any] ?? [:]
        func doubles(_ key: String) -> [Double] { (json[key] as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? [] }
        let sizes = (json["sizes"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.intValue }
        return S4DFixture(sizes: sizes, blocks: json["blocks"] as? [String] ?? [], params: doubles("params"), x: doubles("x"),
                          y: doubles("y"), v: doubles("v"), loss: (json["loss"] as? NSNumber)?.doubleValue ?? .nan,
                          grad: doubles("grad"), hvp: doubles("hvp"))
    }
}

@Suite struct S4DTests {
    /// Loss, gradient and H v of a two-layer S4D classifier against JAX's complex-arithmetic
    /// model: the same function in another order of operations, so they agree to rounding —
    /// 1e-10 relative leaves room for the cancellation in (Ā − 1) at small Δ.
    @Test func agreesWithJAX() throws {
        let f = try S4DFixture.load()
        let s = f.sizes
        let (n, l, d) = (s["N"] ?? 0, s["L"] ?? 0, s["d"] ?? 0)
        let model = try S4D.model(features: d, channels: s["H"] ?? 0, state: s["n"] ?? 0, depth: s["depth"] ?? 0,
                                  classes: s["classes"] ?? 0, seed: 0)
        #expect(model.blocks.map(\.name) == f.blocks)
        try model.setParameters(f.params)
        let e = model.makeEvaluation()
        try e.prepare(model: model, x: try Tensor(shape: [n, l, d], storage: f.x), y: Tensor(f.y), loss: .crossEntropy,
                      withGradient: true)
        #expect(abs(e.loss - f.loss) <= 1e-12 * abs(f.loss))
        var g: [Double] = [], hv: [Double] = []
        try e.gradient(into: &g)
        try e.hvp(f.v, into: &hv)
        #expect(maxAbsDiff(g, f.grad) <= 1e-10 * norm(f.grad), "gradient differs by \(maxAbsDiff(g, f.grad))")
        #expect(maxAbsDiff(hv, f.hvp) <= 1e-10 * norm(f.hvp), "H v differs by \(maxAbsDiff(hv, f.hvp))")
    }

    /// The initialisation contract: S4D-Lin Im A = πk, S4D-Inv Im A = (N/π)(N/(2k+1) − 1) with N = 2n,
    /// Re A = −½, log Δ inside [log dt_min, log dt_max]; seeded.
    @Test func initialisation() throws {
        let lin = try S4D.model(features: 1, channels: 2, state: 3, classes: 2, initialization: .lin, seed: 4)
        let inv = try S4D.model(features: 1, channels: 2, state: 3, classes: 2, initialization: .inv, seed: 4)
        let im = try lin.block(named: "layer0.a_im"), logA = try lin.block(named: "layer0.log_a")
        #expect(Array(lin.parameters[im.range]) == [0, .pi, 2 * .pi, 0, .pi, 2 * .pi])
        let expectedInv = (0..<3).map { k in 6 / Double.pi * (6 / Double(2 * k + 1) - 1) }
        #expect(Array(inv.parameters[im.range]) == expectedInv + expectedInv)
        #expect(lin.parameters[logA.range].allSatisfy { abs(exp($0) - 0.5) < 1e-15 })
        let dt = try lin.block(named: "layer0.log_dt")
        #expect(lin.parameters[dt.range].allSatisfy { $0 >= log(1e-3) && $0 <= log(1e-1) })
        #expect(try S4D.model(features: 1, channels: 2, state: 3, classes: 2, seed: 4).parameters == lin.parameters)
        #expect(try S4D.model(features: 1, channels: 2, state: 3, classes: 2, seed: 5).parameters != lin.parameters)
    }

    /// With one mode, C = 1, the kernel is 2 Re((Ā − 1)/A · Āˡ) in closed form.
    @Test func kernelClosedForm() throws {
        let m = try S4D.model(features: 1, channels: 1, state: 1, classes: 2, seed: 1)
        var p = m.parameters
        let set: [(String, Double)] = [("layer0.log_dt", log(0.3)), ("layer0.log_a", log(0.7)), ("layer0.a_im", 2),
                                      ("layer0.c_re", 1), ("layer0.c_im", 0)]
        for (name, value) in set { p[try m.block(named: name).offset] = value }
        try m.setParameters(p)
        let w = try m.split(Var(Tensor(p)))
        let k = try S4D.kernel(logDt: w[2], logA: w[3], aIm: w[4], cRe: w[5], cIm: w[6], length: 4).value.storage
        let a = (re: -0.7, im: 2.0), dt = 0.3
        for l in 0..<4 {
            // Ā = e^{ΔA}; (Ā − 1)/A · Āˡ, real part doubled.
            let r = exp(dt * a.re), t = dt * a.im
            let (br, bi) = (r * cos(t) - 1, r * sin(t))
            let den = a.re * a.re + a.im * a.im
            let (cr, ci) = ((br * a.re + bi * a.im) / den, (bi * a.re - br * a.im) / den)
            let (pr, pi) = (pow(r, Double(l)) * cos(t * Double(l)), pow(r, Double(l)) * sin(t * Double(l)))
            #expect(abs(k[l] - 2 * (cr * pr - ci * pi)) < 1e-14)
        }
    }

    @Test func badArguments() {
        #expect(throws: LearnError.self) { try S4D.model(features: 0, channels: 2, state: 2, classes: 2) }
        #expect(throws: LearnError.self) { try S4D.model(features: 1, channels: 2, state: 2, classes: 2, dtRange: (0.1, 0.01)) }
        #expect(throws: LearnError.self) { try S4D.model(features: 1, channels: Int.max, state: Int.max, classes: 2) }
        #expect(throws: (any Error).self) {
            try S4D.model(features: 2, channels: 2, state: 2, classes: 2).predict(try Tensor.zeros([3, 4]))
        }
    }
}
