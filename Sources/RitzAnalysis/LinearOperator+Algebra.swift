import RitzTensor

/// Sums, multiples, shifts and compositions of operators, each matrix-free: a product with the
/// result is made of products with the operands (each counted by its operand as well).
///
/// Symmetry: A + B, cA and A + cI are symmetric when the operands are; a composition A B is
/// symmetric only when it is AᵀA or AAᵀ (B made as the transpose of A or A of B) or A A with A
/// symmetric. Transposes follow (A + B)ᵀ = Aᵀ + Bᵀ, (cA)ᵀ = cAᵀ, (AB)ᵀ = BᵀAᵀ when the
/// operands' transposes are known.
extension LinearOperator {
    /// A + B.
    ///
    /// - Parameters:
    ///   - a: An m×n operator.
    ///   - b: An m×n operator.
    /// - Returns: The sum.
    /// - Throws: `ShapeError.mismatch(op: "+")` when the shapes differ.
    public static func sum(_ a: LinearOperator, _ b: LinearOperator) throws -> LinearOperator {
        try combination(a, 1, b, 1, symbol: "+")
    }

    /// A − B.
    ///
    /// - Throws: `ShapeError.mismatch(op: "-")` when the shapes differ.
    public static func difference(_ a: LinearOperator, _ b: LinearOperator) throws -> LinearOperator {
        try combination(a, 1, b, -1, symbol: "-")
    }

    /// αA + βB, the one place sums and differences are made.
    private static func combination(_ a: LinearOperator, _ alpha: Double, _ b: LinearOperator, _ beta: Double,
                                    symbol: String) throws -> LinearOperator {
        guard a.rows == b.rows, a.n == b.n else {
            throw ShapeError.mismatch(op: symbol, lhs: [a.rows, a.n], rhs: [b.rows, b.n])
        }
        let combine: ([Double], [Double]) -> [Double] = { x, y in
            var out = x
            for i in out.indices { out[i] = alpha * x[i] + beta * y[i] }
            return out
        }
        let transpose: (([Double]) throws -> [Double])?
        if a.knowsTranspose, b.knowsTranspose {
            let at = try a.transposed(), bt = try b.transposed()
            transpose = { x in combine(try at.apply(vector: x), try bt.apply(vector: x)) }
        } else {
            transpose = nil
        }
        return try LinearOperator(rows: a.rows, cols: a.n, symmetric: a.isSymmetric && b.isSymmetric,
                                  label: "(\(a.label)) \(symbol) (\(b.label))", transpose: transpose) { x in
            combine(try a.apply(vector: x), try b.apply(vector: x))
        }
    }

    /// cA.
    ///
    /// - Parameters:
    ///   - c: A finite number.
    ///   - a: The operator.
    /// - Returns: The multiple.
    /// - Throws: `TensorError.invalidArgument` for a non-finite c.
    public static func scaled(_ a: LinearOperator, by c: Double) throws -> LinearOperator {
        guard c.isFinite else { throw TensorError.invalidArgument("an operator can be scaled by a finite number only, got \(c)") }
        let transpose: (([Double]) throws -> [Double])?
        if a.knowsTranspose {
            let at = try a.transposed()
            transpose = { x in try at.apply(vector: x).map { c * $0 } }
        } else {
            transpose = nil
        }
        return try LinearOperator(rows: a.rows, cols: a.n, symmetric: a.isSymmetric, label: "\(c) · (\(a.label))",
                                  transpose: transpose) { x in try a.apply(vector: x).map { c * $0 } }
    }

    /// A + cI of a square operator (`shift(H, λ)` is A − λI).
    ///
    /// - Parameters:
    ///   - a: A square operator.
    ///   - c: A finite number.
    /// - Returns: The shifted operator.
    /// - Throws: `ShapeError.invalid` for a rectangular operator; `TensorError.invalidArgument` for a non-finite c.
    public static func shifted(_ a: LinearOperator, by c: Double) throws -> LinearOperator {
        try a.requireSquare("adding a multiple of the identity")
        guard c.isFinite else { throw TensorError.invalidArgument("an operator can be shifted by a finite number only, got \(c)") }
        let plusShift: (LinearOperator) -> ([Double]) throws -> [Double] = { op in
            { x in
                var y = try op.apply(vector: x)
                for i in y.indices { y[i] += c * x[i] }
                return y
            }
        }
        let transpose = a.knowsTranspose ? plusShift(try a.transposed()) : nil
        let sign = c < 0 ? "-" : "+"
        return try LinearOperator(rows: a.n, cols: a.n, symmetric: a.isSymmetric,
                                  label: "(\(a.label)) \(sign) \(abs(c))·I", transpose: transpose, plusShift(a))
    }

    /// The composition A B: `(A B) v = A (B v)`.
    ///
    /// - Parameters:
    ///   - a: An m×k operator.
    ///   - b: A k×n operator.
    /// - Returns: The m×n composition, symmetric when it is AᵀA, AAᵀ or A A with A symmetric.
    /// - Throws: `ShapeError.mismatch(op: "@")` when the inner dimensions differ.
    public static func composition(_ a: LinearOperator, _ b: LinearOperator) throws -> LinearOperator {
        guard a.n == b.rows else { throw ShapeError.mismatch(op: "@", lhs: [a.rows, a.n], rhs: [b.rows, b.n]) }
        let symmetric = a.rows == b.n && ((a === b && a.isSymmetric) || areTransposes(a, b))
        let transpose: (([Double]) throws -> [Double])?
        if a.knowsTranspose, b.knowsTranspose {
            let at = try a.transposed(), bt = try b.transposed()
            transpose = { x in try bt.apply(vector: try at.apply(vector: x)) }
        } else {
            transpose = nil
        }
        return try LinearOperator(rows: a.rows, cols: b.n, symmetric: symmetric,
                                  label: "(\(a.label)) @ (\(b.label))", transpose: transpose) { x in
            try a.apply(vector: try b.apply(vector: x))
        }
    }

    /// True when ``transposed()`` succeeds.
    var knowsTranspose: Bool { isSymmetric || transposeBody != nil }
}
