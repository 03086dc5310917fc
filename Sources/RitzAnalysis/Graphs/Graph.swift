import RitzTensor

/// An undirected weighted graph on nodes 0..<n.
///
/// The adjacency matrix is stored densely for graphs of at most `Graph.denseLimit` nodes and in
/// CSR form above that; the choice is automatic and only affects speed and memory. Edges are kept
/// with i ≤ j in ascending (i, j) order. As in a NetworkX `Graph`, an edge given twice keeps its
/// last weight, and a self-loop (i, i) puts its weight once on the diagonal of A (so it adds once
/// to the degree).
public struct Graph: Sendable {
    /// One undirected edge, i ≤ j.
    public struct Edge: Sendable, Equatable {
        public let i: Int
        public let j: Int
        public let weight: Double
    }

    /// How the adjacency matrix is held.
    public enum Storage: Sendable {
        /// Row-major n×n.
        case dense([Double])
        /// Compressed sparse rows.
        case sparse(CSRMatrix)
    }

    /// Graphs with at most this many nodes store their adjacency densely.
    public static let denseLimit = 1000

    /// Number of nodes.
    public let n: Int
    /// The edges, i ≤ j, sorted.
    public let edges: [Edge]
    /// The adjacency storage chosen for this size.
    public let storage: Storage
    /// Weighted degree of each node, d_i = Σ_j A_ij.
    public let degrees: [Double]

    /// A graph from a list of node pairs.
    ///
    /// - Parameters:
    ///   - n: Number of nodes; nil means one more than the largest index.
    ///   - edges: Pairs of node indices.
    ///   - weights: One finite non-negative weight per edge; nil means all 1.
    /// - Throws: `TensorError.invalidArgument` for an index outside 0..<n, a negative or
    ///   non-finite weight, or a weight count that differs from the edge count.
    public init(n: Int? = nil, edges pairs: [(Int, Int)], weights: [Double]? = nil) throws {
        if let w = weights, w.count != pairs.count {
            throw TensorError.invalidArgument("graph: \(w.count) weights for \(pairs.count) edges")
        }
        let maxIndex = pairs.reduce(-1) { Swift.max($0, $1.0, $1.1) }
        let nodes = n ?? (maxIndex + 1)
        guard nodes >= 0 else { throw TensorError.invalidArgument("graph: n must be ≥ 0, got \(nodes)") }
        var unique = [Int64: Int]()   // key i*n+j → position in list
        var list = [Edge]()
        for (e, (a, b)) in pairs.enumerated() {
            guard a >= 0, b >= 0, a < nodes, b < nodes else {
                throw TensorError.invalidArgument("graph: edge (\(a), \(b)) has a node outside 0..<\(nodes)")
            }
            let w = weights?[e] ?? 1
            guard w.isFinite, w >= 0 else {
                throw TensorError.invalidArgument("graph: edge weights must be finite and ≥ 0, got \(w) on edge (\(a), \(b))")
            }
            let i = Swift.min(a, b), j = Swift.max(a, b)
            let key = Int64(i) * Int64(nodes) + Int64(j)
            if let p = unique[key] { list[p] = Edge(i: i, j: j, weight: w) } else {
                unique[key] = list.count; list.append(Edge(i: i, j: j, weight: w))
            }
        }
        list.sort { ($0.i, $0.j) < ($1.i, $1.j) }
        try self.init(n: nodes, sortedEdges: list)
    }

    /// Builds storage from sorted, unique, validated edges.
    ///
    /// - Throws: memory-limit errors when the storage would not fit (`checkMemory`).
    init(n: Int, sortedEdges: [Edge]) throws {
        try Graph.checkMemory(nodes: n, edges: Double(sortedEdges.count))
        self.n = n
        self.edges = sortedEdges
        var deg = [Double](repeating: 0, count: n)
        for e in sortedEdges {
            deg[e.i] += e.weight
            if e.i != e.j { deg[e.j] += e.weight }
        }
        degrees = deg
        if n <= Graph.denseLimit {
            var a = [Double](repeating: 0, count: n * n)
            for e in sortedEdges { a[e.i * n + e.j] = e.weight; a[e.j * n + e.i] = e.weight }
            storage = .dense(a)
        } else {
            var triplets = [(Int, Int, Double)]()
            triplets.reserveCapacity(2 * sortedEdges.count)
            for e in sortedEdges {
                triplets.append((e.i, e.j, e.weight))
                if e.i != e.j { triplets.append((e.j, e.i, e.weight)) }
            }
            storage = .sparse(try CSRMatrix(rows: n, cols: n, triplets: triplets))
        }
    }

    /// True when the adjacency is held in CSR form.
    public var isSparse: Bool { if case .sparse = storage { return true } else { return false } }

    /// Number of edges.
    public var edgeCount: Int { edges.count }

    /// The adjacency matrix in CSR form (converted from dense storage when needed).
    public var adjacencyCSR: CSRMatrix {
        switch storage {
        case .sparse(let m): return m
        case .dense(let a):
            var ptr = [0], cIdx = [Int](), vals = [Double]()
            for i in 0..<n {
                for j in 0..<n where a[i * n + j] != 0 { cIdx.append(j); vals.append(a[i * n + j]) }
                ptr.append(cIdx.count)
            }
            return CSRMatrix(rows: n, cols: n, rowPtr: ptr, colIdx: cIdx, values: vals)
        }
    }

    /// The dense n×n adjacency matrix.
    ///
    /// - Throws: `TensorError.tooLarge` when n² doubles exceed the allocation limit.
    public func adjacency() throws -> Tensor {
        switch storage {
        case .dense(let a): return try Tensor(shape: [n, n], storage: a)
        case .sparse(let m): return try m.dense()
        }
    }

    /// The edge list as an m×2 tensor of node indices (i ≤ j).
    public func edgeTensor() throws -> Tensor {
        try Tensor(shape: [edges.count, 2], storage: edges.flatMap { [Double($0.i), Double($0.j)] })
    }

    /// Neighbour lists with weights (self-loops included once).
    func neighbors() -> [[(Int, Double)]] {
        var out = [[(Int, Double)]](repeating: [], count: n)
        for e in edges {
            out[e.i].append((e.j, e.weight))
            if e.i != e.j { out[e.j].append((e.i, e.weight)) }
        }
        return out
    }

    /// A one-line description: node and edge counts and the storage.
    public func summary() -> String {
        "graph(n=\(n), edges=\(edges.count), \(isSparse ? "sparse CSR" : "dense") storage)"
    }
}
