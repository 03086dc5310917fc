import Foundation
import RitzTensor

/// The standard graph families. Node numbering follows NetworkX (for `grid`, node (i, j) is
/// i·c + j, as `convert_node_labels_to_integers(grid_2d_graph(r, c))`).
extension Graph {
    /// The path 0 – 1 – … – (n−1).
    ///
    /// - Throws: `TensorError.invalidArgument` for n < 0.
    public static func path(_ n: Int) throws -> Graph {
        guard n >= 0 else { throw TensorError.invalidArgument("path_graph: n must be ≥ 0, got \(n)") }
        return try Graph(n: n, sortedEdges: n < 2 ? [] : (0..<(n - 1)).map { Edge(i: $0, j: $0 + 1, weight: 1) })
    }

    /// The cycle on n ≥ 3 nodes.
    ///
    /// - Throws: `TensorError.invalidArgument` for n < 3.
    public static func cycle(_ n: Int) throws -> Graph {
        guard n >= 3 else { throw TensorError.invalidArgument("cycle_graph: n must be ≥ 3, got \(n)") }
        return try Graph(n: n, edges: (0..<n).map { ($0, ($0 + 1) % n) })
    }

    /// The r×c grid (4-neighbour lattice).
    ///
    /// - Throws: `TensorError.invalidArgument` for negative sizes or more than 10⁸ nodes.
    public static func grid(_ r: Int, _ c: Int) throws -> Graph {
        guard r >= 0, c >= 0, r.multipliedReportingOverflow(by: c).partialValue <= 100_000_000,
              !r.multipliedReportingOverflow(by: c).overflow else {
            throw TensorError.invalidArgument("grid_graph: sizes must be ≥ 0 with at most 10⁸ nodes, got (\(r), \(c))")
        }
        var list = [Edge]()
        for i in 0..<r {
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
    /// - Throws: `TensorError.invalidArgument` for n < 0 or n > 20000.
    public static func complete(_ n: Int) throws -> Graph {
        guard n >= 0, n <= 20_000 else { throw TensorError.invalidArgument("complete_graph: n must be in 0...20000, got \(n)") }
        var list = [Edge]()
        for i in 0..<n { for j in (i + 1)..<Swift.max(i + 1, n) { list.append(Edge(i: i, j: j, weight: 1)) } }
        return try Graph(n: n, sortedEdges: list)
    }

    /// The Erdős–Rényi random graph G(n, p): each pair i < j, visited in (i, j) order, is an edge
    /// when the next uniform number of a xoshiro256** generator seeded with `seed` is below p.
    ///
    /// - Throws: `TensorError.invalidArgument` for n < 0, n > 10⁶ or p outside [0, 1].
    public static func erdosRenyi(_ n: Int, _ p: Double, seed: UInt64) throws -> Graph {
        guard n >= 0, n <= 1_000_000 else { throw TensorError.invalidArgument("erdos_renyi: n must be in 0...10⁶, got \(n)") }
        guard p >= 0, p <= 1 else { throw TensorError.invalidArgument("erdos_renyi: p must be in [0, 1], got \(p)") }
        var rng = RandomGenerator(seed: seed)
        var list = [Edge]()
        for i in 0..<n { for j in (i + 1)..<Swift.max(i + 1, n) where rng.uniform() < p { list.append(Edge(i: i, j: j, weight: 1)) } }
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
