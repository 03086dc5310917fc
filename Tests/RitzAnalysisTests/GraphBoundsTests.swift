import Foundation
import Testing
import RitzTensor
@testable import RitzAnalysis

/// Graph builders check their size against the memory limit before building, stop when
/// interrupted, and sample G(n, p) in O(n + m) (issue 21).
@Suite struct GraphBoundsTests {
    /// The reproducers of issue 21, under a 1 GiB limit scoped to this test: each is refused
    /// before any large allocation.
    @Test func oversizedGraphsAreRefused() throws {
        try AllocationLimit.withLimit(bytes: 1 << 30) { () throws -> Void in
            #expect(throws: TensorError.self) { try Graph.path(1_000_000_000) }
            #expect(throws: TensorError.self) { try Graph.cycle(1_000_000_000) }
            #expect(throws: TensorError.self) { try Graph.complete(20_000) }
            #expect(throws: TensorError.self) { try Graph.grid(10_000, 10_000) }
            #expect(throws: TensorError.self) { try Graph.erdosRenyi(1_000_000, 1, seed: 0) }
            #expect(throws: TensorError.self) { try Graph(n: 1_000_000_000, edges: []) }   // nodes alone
            #expect(AllocationLimit.liveBytes == 0)
            // Sizes under the limit still build.
            #expect(try Graph.path(100_000).edgeCount == 99_999)
            #expect(try Graph.complete(300).edgeCount == 300 * 299 / 2)
        }
    }

    /// G(10⁶, 0) used to visit all 5·10¹¹ pairs; skipping makes it O(n).
    @Test func emptyAndSparseRandomGraphsOfAMillionNodesAreQuick() throws {
        #expect(try Graph.erdosRenyi(1_000_000, 0, seed: 0).edgeCount == 0)
        // p = 2·10⁻⁷: m ~ Binomial(N = n(n−1)/2, p), mean ≈ 10⁵, σ ≈ 316.
        let g = try Graph.erdosRenyi(1_000_000, 2e-7, seed: 5)
        #expect(abs(Double(g.edgeCount) - 99_999.9) < 5 * 316.2)
    }

    @Test func builderLoopsStopWhenInterrupted() {
        #expect(throws: CurvatureError.interrupted) {
            try Interruption.withCheck({ true }) { try Graph.path(1_000_000) }
        }
        #expect(throws: CurvatureError.interrupted) {
            try Interruption.withCheck({ true }) { try Graph.erdosRenyi(100_000, 0.001, seed: 1) }
        }
    }

    @Test func cycleEdgesAreSortedAndComplete() throws {
        let g = try Graph.cycle(6)
        #expect(g.edges.map { [$0.i, $0.j] } == [[0, 1], [0, 5], [1, 2], [2, 3], [3, 4], [4, 5]])
        #expect(g.degrees == [Double](repeating: 2, count: 6))
    }

    /// The edge count of G(n, p) is Binomial(n(n−1)/2, p): within 5σ of its mean for each case,
    /// and the extremes p = 0 and p = 1 are exact.
    @Test(arguments: [(n: 2000, p: 0.01), (n: 500, p: 0.5), (n: 3, p: 0.9), (n: 10_000, p: 1e-4)])
    func edgeCountsFollowTheBinomial(_ c: (n: Int, p: Double)) throws {
        let pairs = Double(c.n * (c.n - 1) / 2)
        let g = try Graph.erdosRenyi(c.n, c.p, seed: 11)
        let sigma = (pairs * c.p * (1 - c.p)).squareRoot()
        #expect(abs(Double(g.edgeCount) - pairs * c.p) <= 5 * sigma + 1)
        #expect(zip(g.edges, g.edges.dropFirst()).allSatisfy { ($0.i, $0.j) < ($1.i, $1.j) })
        #expect(g.edges.allSatisfy { $0.i < $0.j && $0.j < c.n })
        if c.n <= 500 { #expect(try Graph.erdosRenyi(c.n, 1, seed: 3).edgeCount == Int(pairs)) }
        #expect(try Graph.erdosRenyi(c.n, 0, seed: 3).edgeCount == 0)
    }

    /// Every pair, in every row, is an edge with probability p: over 400 seeds each pair of a
    /// 40-node graph appears with frequency within 5σ = 5·√(p(1−p)/400) ≈ 0.115 of p = 0.3 (a
    /// skipping bug that favours the start or end of rows shows here).
    @Test func everyPairIsEquallyLikely() throws {
        let n = 40, seeds = 400, p = 0.3
        var counts = [Int](repeating: 0, count: n * n)
        for s in 0..<seeds {
            for e in try Graph.erdosRenyi(n, p, seed: UInt64(s)).edges { counts[e.i * n + e.j] += 1 }
        }
        let sigma = (p * (1 - p) / Double(seeds)).squareRoot()
        var worst = 0.0
        for i in 0..<n { for j in (i + 1)..<n { worst = max(worst, abs(Double(counts[i * n + j]) / Double(seeds) - p)) } }
        #expect(worst < 5 * sigma)
        #expect(counts.enumerated().allSatisfy { k, c in k / n < k % n || c == 0 })
    }
}
