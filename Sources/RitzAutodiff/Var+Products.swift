import RitzTensor

/// Products: `matmul` with NumPy semantics, `dot`, `outer`, `kron`, `trace`.
extension Var {
    /// NumPy `matmul`: 1-d operands are promoted to a row (left) or a column (right) and the
    /// added axis is removed; leading axes broadcast as stacks. For C = A·B:
    /// Ā = C̄·Bᵀ, B̄ = Aᵀ·C̄ (summed over broadcast stack axes by the tape); Ċ = Ȧ·B + A·Ḃ.
    ///
    /// - Parameters:
    ///   - other: The right operand.
    /// - Returns: The product.
    /// - Throws: `ShapeError.mismatch(op: "@")` for inner dimensions that differ.
    public func matmul(_ other: Var) throws -> Var {
        guard isTraced || other.isTraced else { return Var(try value.matmul(other.value)) }
        guard ndim >= 1, other.ndim >= 1 else {
            throw ShapeError.wrongRank(op: "@", expected: "tensors with at least one dimension", got: ndim == 0 ? shape : other.shape)
        }
        let a = ndim == 1 ? try reshaped([1, shape[0]]) : self
        let b = other.ndim == 1 ? try other.reshaped([other.shape[0], 1]) : other
        guard a.shape[a.ndim - 1] == b.shape[b.ndim - 2] else {
            throw ShapeError.mismatch(op: "@", lhs: shape, rhs: other.shape)
        }
        let y = try KroneckerCapture.product(a, b) { try matmulCore(a, b) } ?? matmulCore(a, b)
        var outShape = y.shape
        if other.ndim == 1 { outShape.removeLast() }
        if ndim == 1 { outShape.remove(at: outShape.count - (other.ndim == 1 ? 1 : 2)) }
        return try y.reshaped(outShape)
    }

    /// x·wᵀ: `x @ w.T`, a dense layer's product with the weights in PyTorch's `[out, in]` layout.
    /// For matrices it is one product that reads w as it is stored (op(B) = Bᵀ in one dgemm): no
    /// transposed copy of w is made, and neither the transpose nor its rules are recorded. Other
    /// ranks are `matmul(w.T)`.
    ///
    /// - Parameters:
    ///   - w: The right operand, used transposed.
    /// - Returns: The product.
    /// - Throws: `ShapeError.mismatch(op: "@")` for inner dimensions that differ.
    public func matmul(transposed w: Var) throws -> Var {
        guard ndim == 2, w.ndim == 2 else { return try matmul(w.T) }
        guard shape[1] == w.shape[1] else { throw ShapeError.mismatch(op: "@", lhs: shape, rhs: [w.shape[1], w.shape[0]]) }
        guard isTraced || w.isTraced else { return Var(try Tensor.gemm(value, transA: false, w.value, transB: true)) }
        let product = { try Var.gemm(self, transA: false, w, transB: true) }
        return try KroneckerCapture.product(self, transposedBlock: w, plain: product) ?? product()
    }

    /// The product of operands with at least two axes.
    private func matmulCore(_ a: Var, _ b: Var) throws -> Var {
        if a.ndim == 2 && b.ndim == 2 { return try Var.gemm(a, transA: false, b, transB: false) }
        let y: Tensor
        do { y = try a.value.matmul(b.value) } catch ShapeError.mismatch {
            throw ShapeError.mismatch(op: "@", lhs: shape, rhs: b.shape)
        }
        return try Var.apply("@", [a, b], value: y, rule: Rule(
            vjp: { g, c in
                [c.needs[0] ? try g.matmul(c.inputs[1].swapLastAxes()) : nil,
                 c.needs[1] ? try c.inputs[0].swapLastAxes().matmul(g) : nil]
            },
            jvp: { t, c in
                var out: Var?
                if let ta = t[0] { out = try ta.matmul(c.inputs[1]) }
                if let tb = t[1] {
                    let term = try c.inputs[0].matmul(tb)
                    out = try out.map { try $0 + term } ?? term
                }
                return out
            }))
    }

    /// Inner product of vectors; `matmul` for higher ranks; a product with a 0-d operand.
    public func dot(_ other: Var) throws -> Var {
        if ndim == 0 || other.ndim == 0 { return try self * other }
        return try matmul(other)
    }

    /// Outer product of the flattened operands.
    public func outer(_ other: Var) throws -> Var {
        try reshaped([count, 1]) * other.reshaped([1, other.count])
    }

    /// Kronecker product of two matrices (vectors as rows), from a broadcast product.
    ///
    /// - Throws: `ShapeError.wrongRank` beyond two axes.
    public func kron(_ other: Var) throws -> Var {
        guard ndim <= 2, other.ndim <= 2 else {
            throw ShapeError.wrongRank(op: "kron", expected: "vectors or matrices", got: ndim > 2 ? shape : other.shape)
        }
        let oneD = ndim <= 1 && other.ndim <= 1
        let a = ndim == 2 ? self : try reshaped([1, count])
        let b = other.ndim == 2 ? other : try other.reshaped([1, other.count])
        let (p, q, r, s) = (a.shape[0], a.shape[1], b.shape[0], b.shape[1])
        let prod = try a.reshaped([p, 1, q, 1]) * b.reshaped([1, r, 1, s])
        return try prod.reshaped(oneD ? [q * s] : [p * r, q * s])
    }

    /// Sum of the main diagonal of a matrix: linear, with transpose ḡ·I.
    ///
    /// - Throws: `ShapeError.wrongRank` for a non-matrix.
    public func trace() throws -> Var {
        let y = try value.trace()
        let (m, n) = (shape[0], shape[1])
        return try Var.apply("trace", [self], value: y, rule: .linear(
            apply: { try $0.trace() },
            transpose: { g in
                var eye = [Double](repeating: 0, count: m * n)
                for i in 0..<Swift.min(m, n) { eye[i * n + i] = 1 }
                return try g * Var(Tensor(shape: [m, n], storage: eye))
            }))
    }
}
