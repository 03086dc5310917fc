import Foundation
import RitzTensor

/// The exact gelu x·Φ(x) as one node, with its rules beside it.
///
/// gelu′(x) = Φ(x) + x·φ(x) and gelu″(x) = φ(x)·(2 − x²), φ(x) = e^(−x²/2)/√(2π),
/// Φ(x) = ½ erfc(−x/√2). The VJP is g·gelu′(x), one node in (g, x) and one pass; its rules are
/// itself in g and g·h·gelu″(x) in x, again one pass outside a recording and written with
/// `Var` primitives (`normalPDF`) inside one, so every order stays exact. gelu′ and gelu″ at a
/// node's operand are computed once (``GeluDerivatives``) and shared by all the rules it records.
extension Var {
    /// gelu(x) = ½x(1 + erf(x/√2)) (`Tensor.unary(.gelu)`'s numbers): one node.
    ///
    /// - Parameters:
    ///   - x: The input.
    /// - Returns: gelu of every element.
    /// - Throws: `TensorError` for complex values.
    static func fusedGelu(_ x: Var) throws -> Var {
        guard x.isTraced, !x.value.isComplex else { return Var(try x.value.unary(.gelu)) }
        let (value, cdf) = try geluAndCDF(x.value)
        let derivatives = GeluDerivatives(x.value, cdf: cdf)
        return try apply("gelu", [x], value: value, rule: Rule(
            vjp: { g, c in [try geluBackward(g, c.inputs[0], derivatives)] },
            jvp: { t, c in try t[0].map { try geluBackward($0, c.inputs[0], derivatives) } }))
    }

    /// gelu(x) = ½x(1 + erf(x/√2)) with the numbers of `Tensor.unary(.gelu)`, and Φ(x) from the
    /// same erf where 1 + erf keeps its relative accuracy (x ≥ −1, Φ ≥ 0.15), from ½ erfc(−x/√2)
    /// below (`FastMath.geluAndCDF`): one pass, so the derivatives need no erfc of their own for
    /// most x.
    private static func geluAndCDF(_ x: Tensor) throws -> (value: Tensor, cdf: Tensor) {
        let xs = try x.asFloat()
        let n = xs.count
        // Φ is written in full beside the value below.
        var cdf = try makeStorage(n) { _ in }
        let value = try xs.storage.withUnsafeBufferPointer { px in
            try makeStorage(n) { y in
                cdf.withUnsafeMutableBufferPointer { phi in
                    if let x = px.baseAddress, let c = phi.baseAddress {
                        Parallel.forEachPiece(n) { r in
                            let o = r.lowerBound
                            FastMath.geluAndCDF(x + o, value: y + o, cdf: c + o, count: r.count)
                        }
                    }
                }
            }
        }
        return (try Tensor(shape: x.shape, storage: value), try Tensor(shape: x.shape, storage: cdf))
    }

    /// g·gelu′(x) elementwise, one node whose rules are `geluBackward` in g and `geluCurvature`
    /// in x.
    private static func geluBackward(_ g: Var, _ x: Var, _ d: GeluDerivatives) throws -> Var {
        let value = try elementwiseBlocks(g, Var(d.slope()), shape: x.shape, product)
            ?? (g * (x.normalCDF() + x * x.normalPDF())).value
        return try apply("gelu_backward", [g, x], value: value, rule: Rule(
            vjp: { h, c in
                let (g, x) = (c.inputs[0], c.inputs[1])
                return [c.needs[0] ? try geluBackward(h, x, d) : nil,
                        c.needs[1] ? try geluCurvature(g, h, x, d) : nil]
            },
            jvp: { t, c in
                let (g, x) = (c.inputs[0], c.inputs[1])
                var out: Var?
                if let tg = t[0] { out = try geluBackward(tg, x, d) }
                if let tx = t[1] {
                    let term = try geluCurvature(g, tx, x, d)
                    out = try out.map { try $0 + term } ?? term
                }
                return out
            }))
    }

    /// a·b·gelu″(x) = a·b·φ(x)·(2 − x²): one pass when nothing is traced, `Var` primitives
    /// otherwise.
    private static func geluCurvature(_ a: Var, _ b: Var, _ x: Var, _ d: GeluDerivatives) throws -> Var {
        if !a.isTraced, !b.isTraced, !x.isTraced,
           let ab = try elementwiseBlocks(a, b, shape: x.shape, product),
           let value = try elementwiseBlocks(Var(ab), Var(d.bend()), shape: x.shape, product) {
            return Var(value)
        }
        return try a * b * (x.normalPDF() * (2 - x * x))
    }

    /// out = a ⊙ b over one block.
    private static func product(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, _ n: Int) {
        for i in 0..<n { out[i] = a[i] * b[i] }
    }

    /// out[i] = φ(x[i]) = e^(−x²/2)/√(2π) for i < n, through `FastMath`'s vector exp (the
    /// exp that `normalPDF` uses, so traced and untraced passes agree).
    static func geluDensities(_ x: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>, count n: Int) {
        for i in 0..<n { out[i] = -0.5 * x[i] * x[i] }
        FastMath.exp(out, out, count: n)
        for i in 0..<n { out[i] *= 0.3989422804014327 }
    }
}

/// gelu′ and gelu″ at the operand x of one gelu node, each computed on first use from Φ(x)
/// (kept by the forward pass) and one exp per element, and kept: the backward pass, every
/// tangent sweep of an HVP and every product at a prepared point read them instead of
/// evaluating the functions again.
private final class GeluDerivatives {
    private let x: Tensor
    private let cdf: Tensor
    private var slopes: Tensor?
    private var bends: Tensor?

    /// x and Φ(x), real (a gelu node is made for real operands only).
    init(_ x: Tensor, cdf: Tensor) {
        self.x = x
        self.cdf = cdf
    }

    /// gelu′(x) = Φ(x) + x·φ(x).
    func slope() throws -> Tensor {
        if let slopes { return slopes }
        let made = try pass(cdf) { x, cdf, out, n in
            Var.geluDensities(x, into: out, count: n)
            for i in 0..<n { out[i] = cdf[i] + x[i] * out[i] }
        }
        slopes = made
        return made
    }

    /// gelu″(x) = φ(x)·(2 − x²).
    func bend() throws -> Tensor {
        if let bends { return bends }
        let made = try pass(x) { x, _, out, n in
            Var.geluDensities(x, into: out, count: n)
            for i in 0..<n { out[i] *= 2 - x[i] * x[i] }
        }
        bends = made
        return made
    }

    /// f over blocks of x and `other`.
    private func pass(_ other: Tensor,
                      _ f: (UnsafePointer<Double>, UnsafePointer<Double>, UnsafeMutablePointer<Double>, Int) -> Void) throws -> Tensor {
        guard let made = try Var.elementwiseBlocks(Var(x), Var(other), shape: x.shape, f) else {
            throw TensorError.invalidArgument("gelu takes real values")
        }
        return made
    }
}
