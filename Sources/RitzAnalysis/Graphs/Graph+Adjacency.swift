import RitzTensor

/// Graphs from adjacency matrices, dense or sparse.
extension Graph {
    /// The undirected graph whose weighted adjacency matrix is `a`: an edge i – j of weight A_ij
    /// for every stored nonzero entry with i ≤ j (a diagonal entry is a self-loop).
    ///
    /// - Parameter a: A square, symmetric (to 1e-12 relative to its largest entry), non-negative
    ///   matrix.
    /// - Throws: `TensorError.invalidArgument` for a non-square, non-symmetric, negative or
    ///   non-finite matrix.
    public init(adjacency a: CSRMatrix) throws {
        guard a.rows == a.cols else {
            throw TensorError.invalidArgument("graph: an adjacency matrix must be square, got \(a.rows)×\(a.cols)")
        }
        guard a.values.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw TensorError.invalidArgument("graph: adjacency weights must be finite and ≥ 0")
        }
        let pruned = try CSRMatrix(rows: a.rows, cols: a.cols,
                                   triplets: (0..<a.rows).flatMap { i in (a.rowPtr[i]..<a.rowPtr[i + 1]).compactMap { k in
                                       a.values[k] != 0 ? (i, a.colIdx[k], a.values[k]) : nil } })
        guard pruned.isSymmetric(tol: 1e-12) else {
            throw TensorError.invalidArgument("graph: an adjacency matrix must be symmetric (A = Aᵀ); for a directed graph use A + Aᵀ")
        }
        var pairs = [(Int, Int)](), weights = [Double]()
        for i in 0..<pruned.rows {
            for k in pruned.rowPtr[i]..<pruned.rowPtr[i + 1] where pruned.colIdx[k] >= i {
                pairs.append((i, pruned.colIdx[k])); weights.append(pruned.values[k])
            }
        }
        try self.init(n: a.rows, edges: pairs, weights: weights)
    }
}
