import RitzTensor

/// NumPy's `einsum` for the common cases, built from `sum`, `transposed`, `reshaped` and
/// (batched) `matmul`, so every contraction runs on BLAS and the derivatives are theirs.
extension Var {
    /// A parsed specification: the labels of each operand and of the output.
    struct EinsumSpec {
        var inputs: [[Character]]
        var output: [Character]
    }

    /// Parses `"ij,jk->ik"` (explicit) or `"ij,jk"` (implicit: the output is every label that
    /// appears once, in alphabetical order, as NumPy).
    ///
    /// - Throws: `TensorError.invalidArgument` for a malformed spec, ellipses, labels repeated
    ///   within one operand or in the output, output labels absent from the inputs, or a wrong
    ///   number of operands.
    static func parseEinsum(_ spec: String, operandCount: Int) throws -> EinsumSpec {
        let text = spec.filter { $0 != " " }
        if text.contains(".") {
            throw TensorError.invalidArgument("einsum: ellipses (`...`) are not supported; name every axis")
        }
        let sides = text.components(separatedBy: "->")
        guard sides.count <= 2, let lhs = sides.first else {
            throw TensorError.invalidArgument("einsum: the spec has more than one `->`: \(spec)")
        }
        let inputs = lhs.split(separator: ",", omittingEmptySubsequences: false).map(Array.init)
        for labels in inputs {
            guard labels.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                throw TensorError.invalidArgument("einsum: labels are single letters, got `\(String(labels))` in \(spec)")
            }
            guard Set(labels).count == labels.count else {
                throw TensorError.invalidArgument("einsum: a label repeated within one operand (`\(String(labels))`: a diagonal) is not supported; use diag or trace")
            }
        }
        guard inputs.count == operandCount else {
            throw TensorError.invalidArgument("einsum: the spec names \(inputs.count) operand\(inputs.count == 1 ? "" : "s"), got \(operandCount)")
        }
        let all = inputs.flatMap { $0 }
        let output: [Character]
        if sides.count == 2 {
            output = Array(sides[1])
            guard output.allSatisfy({ $0.isASCII && $0.isLetter }), Set(output).count == output.count else {
                throw TensorError.invalidArgument("einsum: the output `\(sides[1])` must be distinct single letters")
            }
            if let missing = output.first(where: { !all.contains($0) }) {
                throw TensorError.invalidArgument("einsum: output label `\(missing)` does not appear in any operand")
            }
        } else {
            output = Set(all).filter { l in all.filter { $0 == l }.count == 1 }.sorted()
        }
        return EinsumSpec(inputs: inputs, output: output)
    }

    /// NumPy's `einsum(spec, operands...)` without ellipses or repeated labels in one operand.
    ///
    /// Each operand first sums the labels no other operand and not the output has; then the
    /// operands are contracted left to right: shared labels still needed later are batch axes,
    /// the others are contracted by one batched matrix product ([batch, M, K]·[batch, K, N]).
    /// - Parameters:
    ///   - spec: The subscripts, e.g. `"bij,bjk->bik"`.
    ///   - operands: One tensor per operand in the spec.
    /// - Returns: The result, with the output labels' axes in order.
    /// - Throws: `TensorError.invalidArgument` for a bad spec; `ShapeError.mismatch` when a label's
    ///   sizes differ between operands or an operand's rank differs from its labels.
    public static func einsum(_ spec: String, _ operands: [Var]) throws -> Var {
        guard !operands.isEmpty else { throw TensorError.invalidArgument("einsum needs at least one operand") }
        let parsed = try parseEinsum(spec, operandCount: operands.count)
        var sizes: [Character: Int] = [:]
        for (k, (labels, x)) in zip(parsed.inputs, operands).enumerated() {
            guard labels.count == x.ndim else {
                throw TensorError.invalidArgument("einsum: operand \(k + 1) has \(x.ndim) axes but `\(String(labels))` names \(labels.count)")
            }
            for (l, n) in zip(labels, x.shape) {
                if let m = sizes[l], m != n { throw ShapeError.mismatch(op: "einsum (label \(l))", lhs: [m], rhs: [n]) }
                sizes[l] = n
            }
        }
        let output = parsed.output
        var terms: [(labels: [Character], value: Var)] = []
        for (k, (labels, x)) in zip(parsed.inputs, operands).enumerated() {
            let others = Set(parsed.inputs.enumerated().filter { $0.offset != k }.flatMap(\.element))
            terms.append(try summedOut(x, labels, keeping: others.union(output)))
        }
        var (accLabels, acc) = terms[0]
        for j in 1..<terms.count {
            let (bLabels, b) = terms[j]
            let later = Set(terms[(j + 1)...].flatMap(\.labels)).union(output)
            let shared = accLabels.filter { bLabels.contains($0) }
            let batch = shared.filter { later.contains($0) }
            let contracted = shared.filter { !later.contains($0) }
            let aFree = accLabels.filter { !bLabels.contains($0) }
            let bFree = bLabels.filter { !accLabels.contains($0) }
            func size(_ ls: [Character]) -> Int { ls.reduce(1) { $0 * (sizes[$1] ?? 1) } }
            let (bt, m, kk, n) = (size(batch), size(aFree), size(contracted), size(bFree))
            let a3 = try arranged(acc, accLabels, batch + aFree + contracted).reshaped([bt, m, kk])
            let b3 = try arranged(b, bLabels, batch + contracted + bFree).reshaped([bt, kk, n])
            let product = bt == 1 ? try a3.reshaped([m, kk]).matmul(b3.reshaped([kk, n])) : try a3.matmul(b3)
            accLabels = batch + aFree + bFree
            acc = try product.reshaped(accLabels.map { sizes[$0] ?? 1 })
        }
        (accLabels, acc) = try summedOut(acc, accLabels, keeping: Set(output))
        return try arranged(acc, accLabels, output)
    }

    /// `x` with the axes whose labels are not in `keeping` summed away.
    private static func summedOut(_ x: Var, _ labels: [Character], keeping: Set<Character>) throws -> (labels: [Character], value: Var) {
        var value = x, kept = labels
        for axis in stride(from: labels.count - 1, through: 0, by: -1) where !keeping.contains(labels[axis]) {
            value = try value.sum(axis: axis)
            kept.remove(at: axis)
        }
        return (kept, value)
    }

    /// `x` (axes labelled `labels`) transposed so its axes follow `order`, a permutation of `labels`.
    private static func arranged(_ x: Var, _ labels: [Character], _ order: [Character]) throws -> Var {
        let perm = order.compactMap { labels.firstIndex(of: $0) }
        precondition(perm.count == labels.count, "einsum: order is not a permutation of the labels")
        return perm == Array(0..<labels.count) ? x : try x.transposed(perm)
    }
}
