import Foundation
import RitzTensor

/// The exact gelu x·Φ(x) as one node, with its rules beside it.
///
/// gelu′(x) = Φ(x) + x·φ(x) and gelu″(x) = φ(x)·(2 − x²), φ(x) = e^(−x²/2)/√(2π),
/// Φ(x) = ½ erfc(−x/√2). The VJP is g·gelu′(x), one node in (g, x) and one pass; its rules are
/// itself in g and g·h·gelu″(x) in x, again one pass outside a recording and written with
/// `Var` primitives (`normalPDF`) inside one, so every order stays exact.
extension Var {
    /// gelu(x) = ½x(1 + erf(x/√2)) (`Tensor.unary(.gelu)`'s numbers): one node.
    ///
    /// - Parameters:
    ///   - x: The input.
    /// - Returns: gelu of every element.
    /// - Throws: `TensorError` for complex values.
    static func fusedGelu(_ x: Var) throws -> Var {
        try apply("gelu", [x], value: x.value.unary(.gelu), rule: Rule(
            vjp: { g, c in [try geluBackward(g, c.inputs[0])] },
            jvp: { t, c in try t[0].map { try geluBackward($0, c.inputs[0]) } }))
    }

    /// g·gelu′(x) elementwise, one node whose rules are `geluBackward` in g and `geluCurvature`
    /// in x.
    private static func geluBackward(_ g: Var, _ x: Var) throws -> Var {
        let value = try elementwisePass(g, x, shape: x.shape) { g, x in g * geluSlope(x) }
            ?? (g * (x.normalCDF() + x * x.normalPDF())).value
        return try apply("gelu_backward", [g, x], value: value, rule: Rule(
            vjp: { h, c in
                let (g, x) = (c.inputs[0], c.inputs[1])
                return [c.needs[0] ? try geluBackward(h, x) : nil,
                        c.needs[1] ? try geluCurvature(g, h, x) : nil]
            },
            jvp: { t, c in
                let (g, x) = (c.inputs[0], c.inputs[1])
                var out: Var?
                if let tg = t[0] { out = try geluBackward(tg, x) }
                if let tx = t[1] {
                    let term = try geluCurvature(g, tx, x)
                    out = try out.map { try $0 + term } ?? term
                }
                return out
            }))
    }

    /// a·b·gelu″(x) = a·b·φ(x)·(2 − x²): one pass when nothing is traced, `Var` primitives
    /// otherwise.
    private static func geluCurvature(_ a: Var, _ b: Var, _ x: Var) throws -> Var {
        if !a.isTraced, !b.isTraced, !x.isTraced,
           let ab = try elementwisePass(a, b, shape: x.shape, *),
           let value = try elementwisePass(Var(ab), x, shape: x.shape, { ab, x in ab * geluBend(x) }) {
            return Var(value)
        }
        return try a * b * (x.normalPDF() * (2 - x * x))
    }

    /// gelu′(x) = Φ(x) + x·φ(x).
    private static func geluSlope(_ x: Double) -> Double {
        0.5 * erfc(-x * 0.7071067811865476) + x * geluDensity(x)
    }

    /// gelu″(x) = φ(x)·(2 − x²).
    private static func geluBend(_ x: Double) -> Double { geluDensity(x) * (2 - x * x) }

    /// φ(x) = e^(−x²/2)/√(2π).
    private static func geluDensity(_ x: Double) -> Double { Foundation.exp(-0.5 * x * x) * 0.3989422804014327 }

    /// f(a, b) elementwise in one pass split over the threads, for real operands broadcast to
    /// `shape`; nil for complex operands.
    private static func elementwisePass(_ a: Var, _ b: Var, shape: [Int],
                                        _ f: (Double, Double) -> Double) throws -> Tensor? {
        guard !a.value.isComplex, !b.value.isComplex else { return nil }
        let (av, bv) = (try a.value.broadcast(to: shape).asFloat(), try b.value.broadcast(to: shape).asFloat())
        let n = av.count
        let out = av.storage.withUnsafeBufferPointer { pa in
            bv.storage.withUnsafeBufferPointer { pb in
                [Double](unsafeUninitializedCapacity: n) { dst, initialized in
                    if let x = pa.baseAddress, let y = pb.baseAddress, let d = dst.baseAddress {
                        Parallel.forEachPiece(n) { r in for i in r { d[i] = f(x[i], y[i]) } }
                    }
                    initialized = n
                }
            }
        }
        return try Tensor(shape: shape, storage: out)
    }
}
