import Foundation
import RitzTensor

/// The standard graph families. Node numbering follows NetworkX (for `grid`, node (i, j) is
/// i·c + j, as `convert_node_labels_to_integers(grid_2d_graph(r, c))`).
extension Graph {
    /// Bytes a graph of `nodes` nodes and `edges` edges takes while it is built: the sorted edge
    /// list (24 B an edge), the CSR triplets and arrays (two directed entries an edge, 24 B + 16 B
    /// each) or the dense n×n adjacency up to `denseLimit` nodes, and two arrays of n doubles.
    ///
    /// - Parameters:
    ///   - nodes: Number of nodes.
    ///   - edges: Number of edges (or the expected number, for random graphs).
    /// - Throws: `TensorError.tooLarge` or `.memoryLimit` when the graph would pass the memory limit.
    static func checkMemory(nodes: Int, edges: Double) throws {
        let n = Double(nodes)
        let perEdge = Double(MemoryLayout<Edge>.stride + 2 * (MemoryLayout<(Int, Int, Double)>.stride + 16))
        let adjacency = nodes <= denseLimit ? 8 * n * n : 8 * (n + 1)
        let bytes = edges * perEdge + 16 * n + adjacency
        try AllocationLimit.checkUntracked(bytes: bytes < Double(Int.max / 2) ? Int(bytes) : Int.max)
    }

    /// How many loop iterations pass between two looks at the interrupt flag.
    static let interruptStride = 1 << 16

    /// The path 0 – 1 – … – (n−1).
    ///
    /// - Throws: `TensorError.invalidArgument` for n < 0; memory-limit errors;
    ///   `CurvatureError.interrupted`.
    public static func path(_ n: Int) throws -> Graph {
        guard n >= 0 else { throw TensorError.invalidArgument("path_graph: n must be ≥ 0, got \(n)") }
        try checkMemory(nodes: n, edges: Double(Swift.max(n - 1, 0)))
        var list = [Edge]()
        list.reserveCapacity(Swift.max(n - 1, 0))
        for i in 0..<Swift.max(n - 1, 0) {
            if i % interruptStride == 0 { try Interruption.check() }
            list.append(Edge(i: i, j: i + 1, weight: 1))
        }
        return try Graph(n: n, sortedEdges: list)
    }

    /// The cycle on n ≥ 3 nodes.
    ///
    /// - Throws: `TensorError.invalidArgument` for n < 3; memory-limit errors;
    ///   `CurvatureError.interrupted`.
    public static func cycle(_ n: Int) throws -> Graph {
        guard n >= 3 else { throw TensorError.invalidArgument("cycle_graph: n must be ≥ 3, got \(n)") }
        try checkMemory(nodes: n, edges: Double(n))
        // Sorted (i, j), i < j: 0–1, 0–(n−1), then i–(i+1).
        var list = [Edge(i: 0, j: 1, weight: 1), Edge(i: 0, j: n - 1, weight: 1)]
        list.reserveCapacity(n)
        for i in 1..<(n - 1) {
            if i % interruptStride == 0 { try Interruption.check() }
            list.append(Edge(i: i, j: i + 1, weight: 1))
        }
        return try Graph(n: n, sortedEdges: list)
    }

    /// The r×c grid (4-neighbour lattice).
    ///
    /// - Throws: `TensorError.invalidArgument` for negative sizes or more than 10⁸ nodes;
    ///   memory-limit errors; `CurvatureError.interrupted`.
    public static func grid(_ r: Int, _ c: Int) throws -> Graph {
        guard r >= 0, c >= 0, r.multipliedReportingOverflow(by: c).partialValue <= 100_000_000,
              !r.multipliedReportingOverflow(by: c).overflow else {
            throw TensorError.invalidArgument("grid_graph: sizes must be ≥ 0 with at most 10⁸ nodes, got (\(r), \(c))")
        }
        try checkMemory(nodes: r * c, edges: Double(r) * Double(Swift.max(c - 1, 0)) + Double(c) * Double(Swift.max(r - 1, 0)))
        var list = [Edge]()
        for i in 0..<r {
            try Interruption.check()
            for j in 0..<c {
                let v = i * c + j
                if j + 1 < c { list.append(Edge(i: v, j: v + 1, weight: 1)) }
                if i + 1 < r { list.append(Edge(i: v, j: v + c, weight: 1)) }
            }
        }
        return try Graph(n: r * c, sortedEdges: list)
    }

    /// The complete graph K_n.
    ///
    /// - Throws: `TensorError.invalidArgument` for n < 0; memory-limit errors (n(n−1)/2 edges);
    ///   `CurvatureError.interrupted`.
    public static func complete(_ n: Int) throws -> Graph {
        guard n >= 0 else { throw TensorError.invalidArgument("complete_graph: n must be ≥ 0, got \(n)") }
        try checkMemory(nodes: n, edges: Double(n) * Double(Swift.max(n - 1, 0)) / 2)
        var list = [Edge]()
        for i in 0..<n {
            try Interruption.check()
            for j in (i + 1)..<Swift.max(i + 1, n) { list.append(Edge(i: i, j: j, weight: 1)) }
        }
        return try Graph(n: n, sortedEdges: list)
    }

    /// The Erdős–Rényi random graph G(n, p), sampled in O(n + m) expected time by geometric
    /// skipping (Batagelj and Brandes, "Efficient generation of large random networks", Phys.
    /// Rev. E 71, 036113, 2005): the pairs i < j are walked in (i, j) order and the gap to the
    /// next edge is ⌊log(1 − u)/log(1 − p)⌋ pairs, u the next uniform number of a xoshiro256**
    /// generator seeded with `seed`. Each pair is an edge independently with probability p.
    ///
    /// - Throws: `TensorError.invalidArgument` for n < 0, n > 10⁶ or p outside [0, 1];
    ///   memory-limit errors (checked against the expected pn(n−1)/2 edges before sampling, and
    ///   as the list grows); `CurvatureError.interrupted`.
    public static func erdosRenyi(_ n: Int, _ p: Double, seed: UInt64) throws -> Graph {
        guard n >= 0, n <= 1_000_000 else { throw TensorError.invalidArgument("erdos_renyi: n must be in 0...10⁶, got \(n)") }
        guard p >= 0, p <= 1 else { throw TensorError.invalidArgument("erdos_renyi: p must be in [0, 1], got \(p)") }
        let pairs = Double(n) * Double(Swift.max(n - 1, 0)) / 2
        try checkMemory(nodes: n, edges: p * pairs)
        var list = [Edge]()
        guard p > 0, n >= 2 else { return try Graph(n: n, sortedEdges: list) }
        var rng = RandomGenerator(seed: seed)
        let logQ = Foundation.log1p(-p)                     // −∞ for p = 1: every gap is 0
        // (i, j) is the current pair; j runs over i+1..<n, then the walk moves to row i + 1.
        var i = 0, j = 0
        while true {
            let u = rng.uniform()
            let gap = p == 1 ? 0 : (Foundation.log1p(-u) / logQ).rounded(.down)
            guard gap < pairs else { break }
            j += 1 + Int(gap)
            while j >= n {
                // Carry the overflow into the next rows: row i + 1 starts at j = i + 2.
                let overflow = j - n
                i += 1
                guard i < n - 1 else { return try Graph(n: n, sortedEdges: list) }
                j = i + 1 + overflow
                if i % 1024 == 0 { try Interruption.check() }
            }
            list.append(Edge(i: i, j: j, weight: 1))
            if list.count % interruptStride == 0 {
                try Interruption.check()
                try checkMemory(nodes: n, edges: Double(list.count))
            }
        }
        return try Graph(n: n, sortedEdges: list)
    }

    /// The symmetric k-nearest-neighbour graph of the rows of X (Euclidean distance; ties broken
    /// by the lower index): i – j is an edge when j is among the k nearest of i or i among those
    /// of j, with weight 1.
    ///
    /// - Parameters:
    ///   - x: An n×d real matrix, one point per row (a 1-d tensor is n points in 1-d).
    ///   - k: Neighbours per point, 1 ≤ k < n.
    /// - Throws: `ShapeError.wrongRank` or `TensorError.invalidArgument`.
    public static func knn(_ x: Tensor, k: Int) throws -> Graph {
        guard !x.isComplex, x.ndim == 1 || x.ndim == 2 else {
            throw ShapeError.wrongRank(op: "knn_graph", expected: "a real n×d matrix", got: x.shape)
        }
        let n = x.shape[0], d = x.ndim == 2 ? x.shape[1] : 1
        guard k >= 1, k < n else { throw TensorError.invalidArgument("knn_graph: k must satisfy 1 ≤ k < n = \(n), got \(k)") }
        let s = try x.asFloat().storage
        guard s.allSatisfy({ $0.isFinite }) else { throw TensorError.invalidArgument("knn_graph: X has non-finite entries") }
        var pairs = Set<Int64>()
        var dist = [(Double, Int)](repeating: (0, 0), count: n - 1)
        for i in 0..<n {
            if i % 64 == 0 { try Interruption.check() }
            var m = 0
            for j in 0..<n where j != i {
                var acc = 0.0
                for c in 0..<d { let t = s[i * d + c] - s[j * d + c]; acc += t * t }
                dist[m] = (acc, j); m += 1
            }
            dist.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            for t in 0..<k {
                let j = dist[t].1
                pairs.insert(Int64(Swift.min(i, j)) * Int64(n) + Int64(Swift.max(i, j)))
            }
        }
        let list = pairs.sorted().map { Edge(i: Int($0 / Int64(n)), j: Int($0 % Int64(n)), weight: 1) }
        return try Graph(n: n, sortedEdges: list)
    }
}
