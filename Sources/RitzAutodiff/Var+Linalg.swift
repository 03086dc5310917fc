import RitzTensor

/// LAPACK-backed primitives with their derivative rules (matrix calculus as in Giles 2008,
/// "An extended collection of matrix derivative results for forward and reverse mode AD").
extension Var {
    private func requireSquare(_ op: String) throws -> Int {
        guard ndim == 2, shape[0] == shape[1] else { throw LinalgError.notSquare(op: op, shape: shape) }
        return shape[0]
    }

    /// The solution x of A·x = b (b a vector or a matrix of right-hand sides).
    ///
    /// x̄ gives b̄ = A⁻ᵀ·x̄ and Ā = −b̄·xᵀ; ẋ = A⁻¹·(ḃ − Ȧ·x).
    /// - Parameters:
    ///   - a: The square matrix.
    ///   - b: The right-hand side(s).
    /// - Returns: x, of b's shape.
    /// - Throws: `LinalgError.singular`, `LinalgError.notSquare`, `ShapeError`.
    public static func solve(_ a: Var, _ b: Var) throws -> Var {
        let x = try Tensor.solve(a.value, b.value)
        return try apply("solve", [a, b], value: x, rule: Rule(
            vjp: { g, c in
                let (a, x) = (c.inputs[0], c.output)
                let gb = try solve(a.T, g)
                let ga: Var? = c.needs[0] ? try -(x.ndim == 1 ? gb.outer(x) : gb.matmul(x.T)) : nil
                return [ga, c.needs[1] ? gb : nil]
            },
            jvp: { t, c in
                let (a, x) = (c.inputs[0], c.output)
                var rhs: Var?
                if let tb = t[1] { rhs = tb }
                if let ta = t[0] {
                    let term = try ta.matmul(x)
                    rhs = try rhs.map { try $0 - term } ?? -term
                }
                return try rhs.map { try solve(a, $0) }
            }))
    }

    /// The inverse matrix Y = A⁻¹: Ā = −Yᵀ·Ȳ·Yᵀ, Ẏ = −Y·Ȧ·Y.
    ///
    /// - Throws: `LinalgError.singular`, `LinalgError.notSquare`.
    public func inv() throws -> Var {
        _ = try requireSquare("inv")
        return try Var.apply("inv", [self], value: value.inv(), rule: Rule(
            vjp: { g, c in
                let yt = try c.output.T
                return [try -(yt.matmul(g).matmul(yt))]
            },
            jvp: { t, c in try t[0].map { try -(c.output.matmul($0).matmul(c.output)) } }))
    }

    /// The determinant d = det A as a 0-d value: Ā = d̄·d·A⁻ᵀ, ḋ = d·tr(A⁻¹·Ȧ).
    ///
    /// - Throws: `LinalgError.notSquare`; when differentiated at a singular matrix,
    ///   `LinalgError.singular` (the derivative there is the adjugate, not computed).
    public func det() throws -> Var {
        _ = try requireSquare("det")
        return try Var.apply("det", [self], value: Tensor(try value.det()), rule: Rule(
            vjp: { g, c in [try (g * c.output) * c.inputs[0].inv().T] },
            jvp: { t, c in
                try t[0].map { try c.output * (c.inputs[0].inv().T * $0).sum() }
            }))
    }

    /// The matrix exponential Y = e^A (`Tensor.expm`, Al-Mohy & Higham 2009).
    ///
    /// Ẏ = L(A, Ȧ), the Fréchet derivative, and Ā = L(Aᵀ, Ȳ) since the adjoint of L(A, ·) is
    /// L(Aᵀ, ·) (Higham, Functions of Matrices, §3.2 and Lemma 3.9; Al-Mohy & Higham 2009, SIMAX
    /// 30(4)). L comes from `frechetExpm`, itself traced, so the rule differentiates again.
    /// - Returns: e^A.
    /// - Throws: `LinalgError.notSquare`, `LinalgError.nonFinite`.
    public func expm() throws -> Var {
        _ = try requireSquare("expm")
        return try Var.apply("expm", [self], value: value.expm(), rule: Rule(
            vjp: { g, c in [try Var.frechetExpm(c.inputs[0].T, g)] },
            jvp: { t, c in try t[0].map { try Var.frechetExpm(c.inputs[0], $0) } }))
    }

    /// The Fréchet derivative L(A, E) of the exponential at A in direction E: the upper right
    /// block of exp([A, E; 0, A]) (Mathias 1996; Higham, Functions of Matrices, eq. (3.16)).
    ///
    /// Computed by the same scaling and squaring as e^A on the 2n×2n block matrix, whose
    /// backward error is ≤ u in exact arithmetic like e^A's.
    /// - Parameters:
    ///   - a: The n×n point A.
    ///   - e: The n×n direction E.
    /// - Returns: L(A, E), n×n.
    /// - Throws: `ShapeError` when E's shape differs from A's; as `expm`.
    static func frechetExpm(_ a: Var, _ e: Var) throws -> Var {
        let n = a.shape[0]
        guard e.shape == a.shape else { throw ShapeError.mismatch(op: "expm derivative", lhs: a.shape, rhs: e.shape) }
        let zero = Var(try Tensor.zeros([n, n]))
        let block = try Var.concat([Var.concat([a, e], axis: 1), Var.concat([zero, a], axis: 1)], axis: 0)
        return try block.expm().index([.slice(start: 0, stop: n, step: nil), .slice(start: n, stop: 2 * n, step: nil)])
    }

    /// The symmetric part (A + Aᵀ)/2, which `eigh` decomposes (as JAX does), so derivatives
    /// with respect to every entry of A are those of the function actually computed.
    private func symmetricPart() throws -> Var { try (self + T) * 0.5 }

    /// Eigenvalues (ascending) and eigenvectors (columns) of the symmetric part of A.
    ///
    /// Eigenvalues: w̄ gives S̄ = V·diag(w̄)·Vᵀ, ẇ = diag(Vᵀ·Ṡ·V). Eigenvectors: with
    /// F_ij = 1/(w_j − w_i) (i ≠ j, 0 on the diagonal), S̄ = V·(F∘(Vᵀ·V̄))·Vᵀ and
    /// V̇ = V·(F∘(Vᵀ·Ṡ·V)); both written with traced operations, so they differentiate again.
    /// - Returns: (values, vectors).
    /// - Throws: `LinalgError`; when eigenvectors are differentiated at a repeated eigenvalue,
    ///   `AutodiffError.undefinedDerivative`.
    public func eigh() throws -> (values: Var, vectors: Var) {
        _ = try requireSquare("eigh")
        let s = try symmetricPart()
        return (try s.eighValues(), try s.eighVectors())
    }

    /// Eigenvalues (ascending) of the symmetric part of A.
    public func eigvalsh() throws -> Var {
        _ = try requireSquare("eigvalsh")
        return try symmetricPart().eighValues()
    }

    private func eighValues() throws -> Var {
        try Var.apply("eigh", [self], value: value.eigvalsh(), rule: Rule(
            vjp: { g, c in
                let v = try c.inputs[0].eighVectors()
                return [try (v * g).matmul(v.T)]
            },
            jvp: { t, c in
                guard let t0 = t[0] else { return nil }
                let v = try c.inputs[0].eighVectors()
                return try (v * t0.matmul(v)).sum(axis: 0)
            }))
    }

    private func eighVectors() throws -> Var {
        let (_, vectors) = try value.eigh()
        return try Var.apply("eigh", [self], value: vectors, rule: Rule(
            vjp: { g, c in
                let s = c.inputs[0], v = c.output
                let f = try s.eigenGapInverse()
                return [try v.matmul(f * v.T.matmul(g)).matmul(v.T)]
            },
            jvp: { t, c in
                guard let t0 = t[0] else { return nil }
                let s = c.inputs[0], v = c.output
                let f = try s.eigenGapInverse()
                return try v.matmul(f * v.T.matmul(t0).matmul(v))
            }))
    }

    /// F_ij = 1/(w_j − w_i) off the diagonal, 0 on it, for the eigenvalues w of this symmetric matrix.
    private func eigenGapInverse() throws -> Var {
        let w = try eighValues()
        let n = w.count
        let gap = try w.reshaped([1, n]) - w.reshaped([n, 1])
        let eye = try Tensor.eye(n)
        for i in 0..<n {
            for j in 0..<n where i != j && gap.value.storage[i * n + j] == 0 {
                throw AutodiffError.undefinedDerivative(op: "eigh", reason: "eigenvectors of a repeated eigenvalue have no derivative")
            }
        }
        let safe = try Var.where(eye, Var(1), gap)
        return try Var.where(eye, Var(0), 1 / safe)
    }
}
