import RitzTensor

/// Graphs from the arrays data sets come in: an edge table (as `numpy.loadtxt`, a CSV file or
/// an `.npy` array gives it) and a dense adjacency matrix (as `networkx.from_numpy_array`).
extension Graph {
    /// A graph from an edge table.
    ///
    /// The table is an m×2 matrix of node pairs or an m×3 matrix whose third column holds the
    /// weights; a 2×m matrix with m > 3 is read as PyG's and OGB's `edge_index` (one column an
    /// edge), and a vector of 2 or 3 values as one edge (what a one-line file loads as). Node
    /// indices are whole numbers counted from `base` (0, or 1 for files that number nodes from
    /// 1, as Matrix Market and many edge lists do). As in `init(n:edges:weights:)`, a pair given
    /// twice (in either order) keeps its last weight.
    ///
    /// - Parameters:
    ///   - table: The edge table (real).
    ///   - n: Number of nodes; nil means one more than the largest index (after `base`).
    ///   - base: The index of the first node, 0 or 1.
    ///   - weights: One weight per edge, or nil (then the third column, else all 1).
    /// - Returns: The graph.
    /// - Throws: `TensorError.invalidArgument` for another shape, a complex table, `base` other
    ///   than 0 or 1, an index that is not a whole number or lies outside base..<n + base, weights
    ///   both in a third column and in `weights`, and the errors of `init(n:edges:weights:)`.
    public static func fromEdgeTable(_ table: Tensor, n: Int? = nil, base: Int = 0, weights: [Double]? = nil) throws -> Graph {
        guard !table.isComplex else { throw TensorError.invalidArgument("graph: an edge table must be real, got a complex tensor") }
        guard base == 0 || base == 1 else { throw TensorError.invalidArgument("graph: base= must be 0 or 1, got \(base)") }
        let shape = table.shape
        // (edges, columns, whether edge e's column c is at c·m + e rather than e·columns + c).
        let (m, columns, byColumn): (Int, Int, Bool)
        switch shape.count {
        case 1 where shape[0] == 0: (m, columns, byColumn) = (0, 2, false)
        case 1 where shape[0] == 2 || shape[0] == 3: (m, columns, byColumn) = (1, shape[0], false)
        case 2 where shape[0] == 0 || shape[1] == 2 || shape[1] == 3: (m, columns, byColumn) = (shape[0], shape[1], false)
        case 2 where shape[0] == 2 && shape[1] > 3: (m, columns, byColumn) = (shape[1], 2, true)
        default:
            throw TensorError.invalidArgument("graph: an edge table is m×2 (pairs) or m×3 (pairs and weights), or 2×m as PyG's edge_index; got shape \(formatShape(shape))")
        }
        if columns == 3, weights != nil {
            throw TensorError.invalidArgument("graph: the table's third column already holds the weights; leave out weights= or pass an m×2 table")
        }
        let values = table.storage
        @inline(__always) func at(_ e: Int, _ c: Int) -> Double { byColumn ? values[c * m + e] : values[e * columns + c] }
        var pairs = [(Int, Int)]()
        pairs.reserveCapacity(m)
        var largest = -1
        for e in 0..<m {
            if e % interruptStride == 0 { try Interruption.check() }
            let a = at(e, 0), b = at(e, 1)
            guard a == a.rounded(), b == b.rounded(), Swift.abs(a) < 1e15, Swift.abs(b) < 1e15 else {
                throw TensorError.invalidArgument("graph: edge \(e) (\(a), \(b)) must hold whole node numbers")
            }
            let i = Int(a) - base, j = Int(b) - base
            guard i >= 0, j >= 0 else {
                throw TensorError.invalidArgument("graph: edge \(e) (\(Int(a)), \(Int(b))) has a node below \(base), the first node"
                                                  + (base == 0 ? "" : "; pass base=0 if the nodes are numbered from 0"))
            }
            if let n, i >= n || j >= n {
                throw TensorError.invalidArgument("graph: edge \(e) (\(Int(a)), \(Int(b))) has a node outside \(base)..<\(n + base)"
                                                  + (base == 0 && (i == n || j == n) ? "; pass base=1 if the nodes are numbered from 1" : ""))
            }
            largest = Swift.max(largest, i, j)
            pairs.append((i, j))
        }
        let w = columns == 3 ? (0..<m).map { at($0, 2) } : weights
        return try Graph(n: n ?? (largest + 1), edges: pairs, weights: w)
    }

    /// A graph from a dense symmetric adjacency matrix: an edge i – j of weight A_ij for every
    /// nonzero A_ij with i ≤ j (a nonzero diagonal entry is a self-loop), so `adjacency()` gives
    /// A back, as `networkx.from_numpy_array` does for an undirected graph.
    ///
    /// A must be symmetric up to rounding: |A_ij − A_ji| ≤ 1e-12 · max|A| (a product such as
    /// X Xᵀ computed in another order differs by a few ulps of its entries, far below this); the
    /// weight is then the mean (A_ij + A_ji)/2. Boolean matrices give weight 1.
    ///
    /// - Parameter a: The n×n adjacency matrix (real, finite, entries ≥ 0).
    /// - Throws: `TensorError.invalidArgument` for a matrix that is not square, complex, has a
    ///   negative or non-finite entry, or is not symmetric (naming the first pair that differs); memory-limit
    ///   errors; `CurvatureError.interrupted`.
    public init(adjacency a: Tensor) throws {
        guard !a.isComplex else { throw TensorError.invalidArgument("graph: an adjacency matrix must be real, got a complex tensor") }
        guard a.ndim == 2, a.shape[0] == a.shape[1] else {
            throw TensorError.invalidArgument("graph: an adjacency matrix must be square, got shape \(formatShape(a.shape))")
        }
        let n = a.shape[0], values = a.storage
        var largest = 0.0
        for (k, v) in values.enumerated() {
            guard v.isFinite, v >= 0 else {
                throw TensorError.invalidArgument("graph: adjacency entries are edge weights, finite and ≥ 0; A[\(k / Swift.max(n, 1)), \(k % Swift.max(n, 1))] is \(v)")
            }
            largest = Swift.max(largest, v)
        }
        let tolerance = 1e-12 * largest
        var edges = [Edge]()
        for i in 0..<n {
            if i % 64 == 0 { try Interruption.check() }
            for j in i..<n {
                let upper = values[i * n + j], lower = values[j * n + i]
                guard Swift.abs(upper - lower) <= tolerance else {
                    throw TensorError.invalidArgument("graph: the adjacency matrix is not symmetric: A[\(i), \(j)] = \(upper) but A[\(j), \(i)] = \(lower); a graph here is undirected (use (A + A.T) / 2, or maximum(A, A.T) to keep every edge)")
                }
                if upper != 0 || lower != 0 { edges.append(Edge(i: i, j: j, weight: (upper + lower) / 2)) }
            }
        }
        try self.init(n: n, sortedEdges: edges)
    }
}
