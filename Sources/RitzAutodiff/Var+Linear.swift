import Foundation
import RitzTensor

/// The fused dense layer `linear`, y = f(x wᵀ + b) (PyTorch's `linear` with the activation
/// fused, Keras's `Dense`): one `dgemm` and one elementwise pass for the bias and the activation,
/// with its rules beside it.
///
/// For z = x wᵀ + b and y = f(z), with δ = ḡ ⊙ f′(z):
/// * VJP: x̄ = δ w, w̄ = δᵀ x, b̄ = Σ_rows δ;
/// * JVP: ẏ = f′(z) ⊙ (ẋ wᵀ + x ẇᵀ + ḃ).
///
/// f′ is read from y where it can be (tanh′ = 1 − y², σ′ = y(1 − y), relu′ = [y > 0]), from z for
/// gelu (Φ(z) + z φ(z)). Outside any recording the rules run as fused passes over raw buffers; a
/// recorded rule (a gradient that is itself differentiated, as the forward-over-reverse HVP
/// does) is written with differentiable primitives — `tanhBackward`, products, sums — so every
/// order follows. Batches of at least ``linearSplitRows`` rows are cut into two halves of rows run
/// as `Parallel.jobs`; partial sums over the rows (w̄, b̄) are added in one fixed order, so the
/// bytes do not depend on the thread count.
extension Var {
    /// The activations `linear` fuses besides the identity (nil).
    public static let linearActivations: [UnaryOp] = [.tanh, .sigmoid, .relu, .gelu]

    /// Rows from which a dense layer's passes are split in two halves.
    static let linearSplitRows = 256

    /// act(x wᵀ + b) for a batch x (`[n, in]`, or one sample `[in]`), weights w (`[out, in]`,
    /// the PyTorch layout) and bias b (`[out]`).
    ///
    /// - Parameters:
    ///   - x: The inputs, one row per sample.
    ///   - w: The weights.
    ///   - b: The bias.
    ///   - activation: One of ``linearActivations``, or nil for the identity.
    /// - Returns: The `[n, out]` outputs (`[out]` for one sample).
    /// - Throws: `ShapeError.wrongRank` for operands of the wrong rank; `TensorError.invalidArgument`
    ///   for sizes that do not fit, an activation `linear` does not fuse or complex operands.
    public static func linear(_ x: Var, _ w: Var, _ b: Var, activation: UnaryOp? = nil) throws -> Var {
        if x.ndim == 1 {
            return try linear(x.reshaped([1, x.count]), w, b, activation: activation).reshaped([w.shape.first ?? 0])
        }
        if let captured = try KroneckerCapture.dense(x, w, b, activation: activation,
                                                     plain: { try fused(x, w, b, activation: nil) }) {
            return captured
        }
        return try fused(x, w, b, activation: activation)
    }

    /// The fused node of `linear` for a batch `[n, in]`.
    private static func fused(_ x: Var, _ w: Var, _ b: Var, activation: UnaryOp?) throws -> Var {
        let layer = try LinearLayer(x: x.value, w: w.value, b: b.value, activation: activation)
        let (y, z) = try layer.forward()
        return try apply("linear", [x, w, b], value: y, rule: layer.rule(preActivation: z))
    }
}

/// One application of `linear`: the operands as float tensors and the sizes.
struct LinearLayer {
    let x: Tensor, w: Tensor, b: Tensor
    let activation: UnaryOp?
    /// Rows, inputs, outputs.
    let n: Int, k: Int, m: Int

    init(x: Tensor, w: Tensor, b: Tensor, activation: UnaryOp?) throws {
        if let activation, !Var.linearActivations.contains(activation) {
            throw TensorError.invalidArgument("linear fuses the activations identity, "
                + Var.linearActivations.map(\.rawValue).joined(separator: ", ") + "; got \(activation.rawValue)")
        }
        guard !x.isComplex, !w.isComplex, !b.isComplex else {
            throw TensorError.invalidArgument("linear takes real operands")
        }
        guard x.ndim == 2 else { throw ShapeError.wrongRank(op: "linear", expected: "inputs x of shape [n, in] or [in]", got: x.shape) }
        guard w.ndim == 2 else { throw ShapeError.wrongRank(op: "linear", expected: "weights w of shape [out, in]", got: w.shape) }
        guard x.shape[1] == w.shape[1] else {
            throw TensorError.invalidArgument("linear: x has \(x.shape[1]) inputs per row but w of shape \(formatShape(w.shape)) takes \(w.shape[1]) (w is [out, in])")
        }
        guard b.shape == [w.shape[0]] else {
            throw TensorError.invalidArgument("linear: w of shape \(formatShape(w.shape)) has \(w.shape[0]) outputs but b has shape \(formatShape(b.shape))")
        }
        self.x = try x.asFloat()
        self.w = try w.asFloat()
        self.b = try b.asFloat()
        self.activation = activation
        (n, k, m) = (x.shape[0], x.shape[1], w.shape[0])
        _ = try Tensor.elementCount([n, m])
        passes = LinearPasses(n: n, k: k, m: m, activation: activation,
                              parts: n >= Var.linearSplitRows && !Parallel.isInsideJobs ? 2 : 1)
    }

    /// The passes over raw buffers at these sizes.
    let passes: LinearPasses

    /// What a node's rules keep of its forward pass: one object that all three capture, where the
    /// layer and z captured directly would be boxed once per closure. It also hands a replay the
    /// layer's kernel.
    private final class Saved: ReplaySource {
        let layer: LinearLayer
        let preActivation: Tensor?

        init(layer: LinearLayer, preActivation: Tensor?) {
            self.layer = layer
            self.preActivation = preActivation
        }

        func replayKernel() -> (any ReplayKernel)? { LinearReplay(layer.passes) }
    }

    /// The node's rule, given z = x wᵀ + b when the forward pass kept it.
    func rule(preActivation z: Tensor?) -> Rule {
        let saved = Saved(layer: self, preActivation: z)
        return Rule(vjp: { g, c in try saved.layer.vjp(g, c, preActivation: saved.preActivation) },
                    jvp: { t, c in try saved.layer.jvp(t, c, preActivation: saved.preActivation) },
                    vjpOverwriting: { g, c in try saved.layer.vjp(overwriting: &g, c, preActivation: saved.preActivation) },
                    replay: saved)
    }

    // MARK: Forward

    /// y = f(x wᵀ + b), and z = x wᵀ + b when f′ needs it (gelu).
    func forward() throws -> (y: Tensor, z: Tensor?) {
        let keepZ = passes.keepsPreActivation
        // z is written in full by the product below before anything reads it.
        var z = keepZ ? try makeStorage(n * m) { _ in } : []
        let y = try LinearLayer.filled(n * m) { out in
            z.withUnsafeMutableBufferPointer { pz in
                withOperands { px, pw, pb in
                    passes.forward(px, pw, pb, preActivation: keepZ ? pz.baseAddress : nil, into: out)
                }
            }
        }
        return (LinearLayer.matrix([n, m], y), keepZ ? LinearLayer.matrix([n, m], z) : nil)
    }

    // MARK: Rules

    /// x̄, w̄, b̄ for the cotangent ḡ of y.
    func vjp(_ g: Var, _ c: RuleContext, preActivation z: Tensor?) throws -> [Var?] {
        let traced = g.isTraced || c.inputs.contains(where: \.isTraced)
        guard !traced, g.shape == [n, m], let gv = try? g.value.asFloat() else {
            // δ's value is read by no one when x needs no cotangent (so x has no tangent either,
            // and δᵀx's tangent is δ̇ᵀx) and w̄ and b̄ are placeholders: the first layer of a
            // network in a gradient recorded for H v.
            let deltaUnread = !c.needs[0] && (!c.needs[1] || c.valueUnread(1)) && (!c.needs[2] || c.valueUnread(2))
            let delta = try derivativeProduct(g, c, preActivation: z, valueUnread: deltaUnread)
            let (x, w) = (c.inputs[0], c.inputs[1])
            return [c.needs[0] ? try Var.gemm(delta, transA: false, w, transB: false, valueUnread: c.valueUnread(0)) : nil,
                    c.needs[1] ? try Var.gemm(delta, transA: true, x, transB: false, valueUnread: c.valueUnread(1)) : nil,
                    // Whole rows added in order (`sum_to_shape`), the bias sums and their tangents
                    // alike, not a strided pairwise sum per column.
                    c.needs[2] ? try delta.sumToShape([m], valueUnread: c.valueUnread(2)) : nil]
        }
        return try fusedVJP(gv, y: c.output.value, z: z, needs: c.needs)
    }

    /// ``vjp(_:_:preActivation:)`` for a sweep that drops ḡ afterwards: δ = ḡ ⊙ f′ is written
    /// over ḡ when nothing else holds it (saving a fresh array's trip through the cache).
    func vjp(overwriting g: inout Var, _ c: RuleContext, preActivation z: Tensor?) throws -> [Var?] {
        guard activation != nil, n * m > 0, !g.isTraced, !c.inputs.contains(where: \.isTraced), g.shape == [n, m],
              g.value.dtype == .float64 else {
            return try vjp(g, c, preActivation: z)
        }
        let y = c.output.value
        let result = try g.value.withUnsharedStorage { buffer -> [Var?]? in
            guard let pg = buffer.baseAddress else { return nil }
            return try fusedVJP(UnsafePointer(pg), y: y, z: z, needs: c.needs, delta: pg)
        }
        return try (result ?? nil) ?? vjp(g, c, preActivation: z)
    }

    /// ẏ for the tangents (ẋ, ẇ, ḃ) (nil for zero).
    func jvp(_ t: [Var?], _ c: RuleContext, preActivation z: Tensor?) throws -> Var? {
        guard t.contains(where: { $0 != nil }) else { return nil }
        let shapes = [x.shape, w.shape, b.shape]
        let traced = c.inputs.contains(where: \.isTraced) || t.contains(where: { $0?.isTraced ?? false })
        let fits = (0..<3).allSatisfy { t[$0] == nil || t[$0]?.shape == shapes[$0] }
        guard !traced, fits else {
            let (x, w) = (c.inputs[0], c.inputs[1])
            var dz: Var?
            for term in [try t[0].map { try Var.gemm($0, transA: false, w, transB: true) },
                         try t[1].map { try Var.gemm(x, transA: false, $0, transB: true) }, t[2]] {
                guard let term else { continue }
                dz = try dz.map { try $0 + term } ?? term
            }
            guard let dz else { return nil }
            return try derivativeProduct(dz.shape == [n, m] ? dz : dz.broadcast(to: [n, m]), c, preActivation: z)
        }
        return Var(try fusedJVP(t.map { try $0.map { try $0.value.asFloat() } }, y: c.output.value, z: z))
    }

    /// t ⊙ f′(z) written with differentiable primitives (a recorded rule's δ); for tanh, with a
    /// placeholder value when `valueUnread` (see ``Var/tanhBackward(_:_:valueUnread:)``).
    private func derivativeProduct(_ t: Var, _ c: RuleContext, preActivation z: Tensor?, valueUnread: Bool = false) throws -> Var {
        let y = c.output
        switch activation {
        case nil: return t
        case .tanh?: return try Var.tanhBackward(t, y, valueUnread: valueUnread)
        case .sigmoid?: return try t * (y * (1 - y))
        case .relu?: return try t * Var(try y.value.binary(.gt, Tensor(0)).asFloat())
        default:
            // gelu′(z) = Φ(z) + z φ(z), with z recomputed from the operands when they are traced.
            let (x, w, b) = (c.inputs[0], c.inputs[1], c.inputs[2])
            let pre = x.isTraced || w.isTraced || b.isTraced || z == nil
                ? try Var.gemm(x, transA: false, w, transB: true) + b : Var(z ?? y.value)
            return try t * (pre.normalCDF() + pre * pre.normalPDF())
        }
    }

    /// The VJP outside any recording, one pass over ḡ per half: δ = ḡ ⊙ f′ block by block of
    /// rows, each block's column sums added to b̄ while it is in cache, then x̄ = δ w and w̄ = δᵀ x
    /// as products with beta = 0 into uninitialised arrays. The halves' w̄ and b̄ are added in
    /// half order.
    private func fusedVJP(_ g: Tensor, y: Tensor, z: Tensor?, needs: [Bool]) throws -> [Var?] {
        try StoragePool.withScratch(n * m) { delta in
            try g.storage.withUnsafeBufferPointer { pg in
                try fusedVJP(pg.baseAddress ?? UnsafePointer(delta), y: y, z: z, needs: needs, delta: delta)
            }
        }
    }

    /// ``fusedVJP(_:y:z:needs:)`` on ḡ's elements, writing δ to `delta` (which may be `pg`).
    private func fusedVJP(_ pg: UnsafePointer<Double>, y: Tensor, z: Tensor?, needs: [Bool],
                          delta: UnsafeMutablePointer<Double>) throws -> [Var?] {
        /// The passes into x̄ (when needed; empty otherwise) and the given w̄ and b̄, the parts' w̄
        /// and b̄ through pooled scratch when there are several.
        func run(_ wb: UnsafeMutablePointer<Double>?, _ bb: UnsafeMutablePointer<Double>?) throws -> [Double] {
            func fill(_ xb: UnsafeMutablePointer<Double>?) throws {
                func pass(_ partials: UnsafeMutablePointer<Double>?) {
                    withOperands { px, pw, _ in
                        LinearLayer.read(y, z, nil) { py, pz, _ in
                            passes.backward(pg, y: py, preActivation: pz, x: px, w: pw, delta: delta,
                                            xBar: xb, wBar: wb, bBar: bb, partials: partials)
                        }
                    }
                }
                // One part writes w̄ and b̄ straight into the results.
                guard passes.partialsCount > 0 else { return pass(nil) }
                try StoragePool.withScratch(passes.partialsCount) { pass($0) }
            }
            if needs[0], n * k > 0 {
                var failure: (any Error)?
                let xbar = try LinearLayer.filled(n * k) { xb in
                    do { try fill(xb) } catch { failure = error }
                }
                if let failure { throw failure }
                return xbar
            }
            try fill(nil)
            return []
        }
        // An empty result gets no pointer: an empty array's buffer may still have an address,
        // which must not be written.
        var wbar = needs[1] && m * k > 0 ? try makeStorage(m * k) { _ in } : []
        var bbar = needs[2] && m > 0 ? try makeStorage(m) { _ in } : []
        let xbar = try wbar.withUnsafeMutableBufferPointer { wOut in
            try bbar.withUnsafeMutableBufferPointer { bOut in
                try run(wOut.isEmpty ? nil : wOut.baseAddress, bOut.isEmpty ? nil : bOut.baseAddress)
            }
        }
        return [needs[0] ? Var(LinearLayer.matrix(x.shape, xbar)) : nil,
                needs[1] ? Var(LinearLayer.matrix(w.shape, wbar)) : nil,
                needs[2] ? Var(LinearLayer.matrix(b.shape, bbar)) : nil]
    }

    /// The JVP outside any recording: (ẋ wᵀ + x ẇᵀ + ḃ) ⊙ f′ in one pass per half.
    private func fusedJVP(_ t: [Tensor?], y: Tensor, z: Tensor?) throws -> Tensor {
        let out = try LinearLayer.filled(n * m) { out in
            withOperands { px, pw, _ in
                LinearLayer.readAll(t[0] ?? x, t[1] ?? w, t[2] ?? b) { tx, tw, tb in
                    LinearLayer.read(y, z, nil) { py, pz, _ in
                        Parallel.jobs(passes.parts) { part in
                            let r = passes.rows(part)
                            let (lo, count) = (r.lowerBound, r.count)
                            guard count > 0 else { return }
                            let o = out + lo * m
                            var beta = 0.0
                            if t[0] != nil {
                                passes.product(tx + lo * k, rows: count, w: pw, into: o, beta: beta)
                                beta = 1
                            }
                            if t[1] != nil {
                                passes.product(px + lo * k, rows: count, w: tw, into: o, beta: beta)
                                beta = 1
                            }
                            if beta == 0 { o.initialize(repeating: 0, count: count * m) }
                            if t[2] != nil, activation == .tanh {
                                // The bias tangent and tanh′ in one pass.
                                FastMath.tanhBackward(o, addingRow: tb, py + lo * m, o, rows: count, width: m)
                                return
                            }
                            if t[2] != nil { addRowVector(o, rows: count, width: m, tb) }
                            passes.derivativeProduct(o, y: py + lo * m, z: pz.map { $0 + lo * m }, into: o, count: count * m)
                        }
                    }
                }
            }
        }
        return LinearLayer.matrix([n, m], out)
    }

    // MARK: Buffers

    /// The base addresses of x, w and b (a dummy element for empty ones).
    private func withOperands(_ body: (UnsafePointer<Double>, UnsafePointer<Double>, UnsafePointer<Double>) -> Void) {
        LinearLayer.readAll(x, w, b, body)
    }

    /// The base addresses of up to three tensors' storage (a dummy element for an empty one; nil for nil).
    private static func read(_ a: Tensor, _ b: Tensor?, _ c: Tensor?,
                             _ body: (UnsafePointer<Double>, UnsafePointer<Double>?, UnsafePointer<Double>?) -> Void) {
        let dummy = [0.0]
        dummy.withUnsafeBufferPointer { d in
            a.storage.withUnsafeBufferPointer { pa in
                (b?.storage ?? []).withUnsafeBufferPointer { pb in
                    (c?.storage ?? []).withUnsafeBufferPointer { pc in
                        guard let base = d.baseAddress else { return }
                        body(pa.baseAddress ?? base,
                             b == nil ? nil : pb.baseAddress ?? base,
                             c == nil ? nil : pc.baseAddress ?? base)
                    }
                }
            }
        }
    }

    private static func readAll(_ a: Tensor, _ b: Tensor, _ c: Tensor,
                             _ body: (UnsafePointer<Double>, UnsafePointer<Double>, UnsafePointer<Double>) -> Void) {
        read(a, Optional(b), Optional(c)) { pa, pb, pc in
            guard let pb, let pc else { return }
            body(pa, pb, pc)
        }
    }

    /// A tensor of `shape` over `storage`, which holds exactly its elements (checked by `init`).
    private static func matrix(_ shape: [Int], _ storage: [Double]) -> Tensor {
        (try? Tensor(shape: shape, storage: storage)) ?? Tensor(storage)
    }

    /// `count` doubles written by `body` (which must write every one).
    private static func filled(_ count: Int, _ body: (UnsafeMutablePointer<Double>) -> Void) throws -> [Double] {
        guard count > 0 else { return [] }
        return try makeStorage(count, body)
    }
}
