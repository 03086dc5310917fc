import RitzAutodiff
import RitzTensor

// Dense layers as a user writes them, `x @ w.T`, `x @ w.T + b` and `act(x @ w.T + b)` (w in
// PyTorch's [out, in] layout): on traced matrices, one product reading w as stored, or one fused
// `linear` node (the product, the bias and the activation in one pass, with their rules; the
// mlp's own layer). Anything else runs as written, each operand evaluated once, left to right.

/// A dense layer's parts as written: `x @ w.T + b`.
struct DenseNodes {
    let x: Node, w: Node, transposed: Node, product: Node, bias: Node
    /// The span of the whole sum.
    let span: SourceSpan
}

extension Compiler {
    /// `lhs + bias` as a dense layer when `lhs` is `x @ w.T` (w a value, not a module path).
    func denseLayer(_ lhs: Node, bias: Node, span: SourceSpan) -> DenseNodes? {
        guard case let .binary(.matmul, x, transposed) = lhs.kind, case let .field(w, "T") = transposed.kind,
              compileModulePath(transposed) == nil else { return nil }
        return DenseNodes(x: x, w: w, transposed: transposed, product: lhs, bias: bias, span: span)
    }

    /// `x @ w.T`, the product as ``compileMatmulTransposed(_:_:rhs:span:)`` computes it, for
    /// operands already evaluated.
    private func transposedProduct(x: Node, transposed: Node, span: SourceSpan) -> (Value, Value) throws -> Value {
        let ctx = BinaryContext(interp: interp, op: .matmul, span: span, lhs: x.span, rhs: transposed.span)
        let interp = self.interp, fieldSpan = transposed.span
        return { a, w in
            do {
                if let product = try interp.tracedMatmulTransposed(a, w) { return product }
            } catch { throw interp.diagnose(error, span: span) }
            let b: Value
            do { b = try interp.field(w, "T") } catch { throw interp.diagnose(error, span: fieldSpan) }
            return try ctx.slow(a, b)
        }
    }

    /// `lhs @ target.T`: a traced product of matrices reads `target` as stored, with no transposed
    /// copy (``Interpreter/tracedMatmulTransposed(_:_:)``); anything else transposes and
    /// multiplies as written. Each side is evaluated once, left first, as for any operator.
    func compileMatmulTransposed(_ lhs: Node, _ target: Node, rhs: Node, span: SourceSpan) -> Compiled {
        let l = compile(lhs).code, t = compile(target).code
        let product = transposedProduct(x: lhs, transposed: rhs, span: span)
        return Compiled(code: { f in
            let a = try l(f)
            return try product(a, try t(f))
        }, leaf: nil, jumps: false)
    }

    /// The code of `act(x @ w.T + b)` (`activation` the callee's code and its builtin name) or of
    /// `x @ w.T + b`: one fused `linear` node when x or w is traced, both are matrices whose
    /// inner dimensions agree, b is a vector of w's rows and the callee is the builtin
    /// activation (``Interpreter/tracedDense(_:_:_:activation:)``); else the product, the sum and
    /// the call as written. x, w, b are evaluated once, in that order (after the callee); when the
    /// product cannot be fused it is formed before b is evaluated, as written.
    func compileDense(_ d: DenseNodes, activation: (callee: (Frame) throws -> Value, name: String, span: SourceSpan)?) -> Compiled {
        let x = compile(d.x).code, w = compile(d.w).code, b = compile(d.bias).code
        let product = transposedProduct(x: d.x, transposed: d.transposed, span: d.product.span)
        let sum = BinaryContext(interp: interp, op: .add, span: d.span, lhs: d.product.span, rhs: d.bias.span)
        let interp = self.interp, span = d.span
        return Compiled(code: { f in
            let callee = try activation?.callee(f)
            let (xv, wv) = (try x(f), try w(f))
            let z: Value
            if interp.denseFits(xv, wv) {
                let bv = try b(f)
                // The activation is fused only when the callee is that builtin itself.
                let op = activation.flatMap { act in callee.flatMap { Interpreter.builtinActivation($0, named: act.name) } }
                let fusesActivation = activation == nil || op != nil
                let fused: Value?
                do {
                    fused = try interp.tracedDense(xv, wv, bv, activation: fusesActivation ? op : nil)
                } catch { throw interp.diagnose(error, span: span) }
                if let fused, fusesActivation { return fused }
                z = try fused ?? sum.slow(try product(xv, wv), bv)
            } else {
                let p = try product(xv, wv)
                z = try sum.slow(p, try b(f))
            }
            guard let activation, let callee else { return z }
            return try interp.call(callee, CallArguments([z]), span: activation.span)
        }, leaf: nil, jumps: false)
    }
}

extension Interpreter {
    /// Whether `x @ w.T` may be one fused dense node: x or w traced, both matrices, inner
    /// dimensions equal.
    func denseFits(_ x: Value, _ w: Value) -> Bool {
        switch (x, w) {
        case (.traced, _), (_, .traced): break
        default: return false
        }
        guard let a = try? Interpreter.varOf(x), let b = try? Interpreter.varOf(w) else { return false }
        return a.ndim == 2 && b.ndim == 2 && a.shape[1] == b.shape[1] && !a.value.isComplex && !b.value.isComplex
    }

    /// act(x wᵀ + b) as one fused `linear` node (``Var/linear(_:_:_:activation:)``) when b is a real
    /// vector of w's rows; nil otherwise (then the caller computes it as written).
    func tracedDense(_ x: Value, _ w: Value, _ b: Value, activation: UnaryOp?) throws -> Value? {
        guard let xv = try? Interpreter.varOf(x), let wv = try? Interpreter.varOf(w), let bv = try? Interpreter.varOf(b),
              bv.shape == [wv.shape[0]], !bv.value.isComplex, bv.value.dtype != .bool else { return nil }
        return Interpreter.valueOf(try Var.linear(xv, wv, bv, activation: activation))
    }

    /// The activation `linear` fuses that `callee` is, when it is that builtin itself.
    static func builtinActivation(_ callee: Value, named name: String) -> UnaryOp? {
        guard case let .function(fn) = callee, case let .builtin(entry) = fn.kind, entry.name == name else { return nil }
        return Var.linearActivations.first { $0.rawValue == name }
    }
}
