import RitzTensor

/// Graphs from the edge tables data sets come in (as `numpy.loadtxt`, a CSV file or an `.npy`
/// array gives them); adjacency matrices are `Graph(adjacency:)`.
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
}
