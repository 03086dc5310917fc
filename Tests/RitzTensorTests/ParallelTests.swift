import CBLAS
import Foundation
import Testing
@testable import RitzTensor

/// Work split over `Parallel` pieces gives the same bytes as one thread, and the split loops
/// (broadcast copies, products cut into blocks) agree with plain reference loops.
@Suite(.serialized) struct ParallelTests {
    /// Runs `body` with one thread and with two, returning both results.
    private func bothWays(_ body: () throws -> Tensor) rethrows -> (one: Tensor, two: Tensor) {
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        Parallel.threads = 1
        let one = try body()
        Parallel.threads = 2
        let two = try body()
        return (one, two)
    }

    private func sameBytes(_ a: Tensor, _ b: Tensor) -> Bool {
        a.shape == b.shape && a.dtype == b.dtype
            && zip(a.storage, b.storage).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
    }

    private func random(_ shape: [Int], seed: UInt64) throws -> Tensor {
        var rng = RandomGenerator(seed: seed)
        return try Tensor.randn(shape, using: &rng)
    }

    @Test("OpenBLAS runs on one thread from the start of the process")
    func blasIsSingleThreaded() {
        // OpenBLAS's OpenMP build counts the calling thread's OpenMP threads, which only
        // OMP_NUM_THREADS=1 sets for every thread: ritz's start-up sets it and restarts (see
        // BLASKernel.selectBest), a test process does not, so there the test thread's count is
        // the OpenMP runtime's default.
        guard BLASKernel.threading != 2 || ProcessInfo.processInfo.environment["OMP_NUM_THREADS"] == "1" else { return }
        #expect(openblas_get_num_threads() == 1)
    }

    @Test("elementwise maps are the same bytes on one thread and on two",
          arguments: [UnaryOp.exp, .tanh, .sigmoid, .neg, .sin, .log1p])
    func unaryMaps(_ op: UnaryOp) throws {
        let x = try random([301, 257], seed: 1)
        let (one, two) = try bothWays { try x.unary(op) }
        let same = sameBytes(one, two)
        #expect(same)
        #expect(one.storage[50_001].bitPattern == op.apply(x.storage[50_001]).bitPattern || one.storage[50_001].isNaN)
    }

    @Test("binary maps with every broadcasting path are the same bytes on one thread and on two",
          arguments: [([301, 257], [301, 257]), ([301, 257], []), ([], [301, 257]), ([301, 257], [257]),
                      ([301, 1], [1, 257]), ([7, 43, 257], [43, 1]), ([257], [301, 257]),
                      ([1797, 10], [10]), ([10], [1797, 10]), ([1797, 10], [1797, 1]), ([1797, 1], [1, 10]),
                      ([3, 1797, 3], [1, 3])] as [([Int], [Int])])
    func binaryMaps(_ a: [Int], _ b: [Int]) throws {
        let x = try random(a, seed: 2), y = try random(b, seed: 3)
        for op in [BinaryOp.add, .sub, .mul, .div, .pow, .gt] {
            let (one, two) = try bothWays { try x.binary(op, y) }
            let same = sameBytes(one, two)
            #expect(same, "\(op)")
        }
        // Spot check against the definition through the broadcast copies.
        let shape = try #require(Tensor.broadcastShape(a, b))
        let (bx, by) = (try x.broadcast(to: shape), try y.broadcast(to: shape))
        let sum = try x + y
        for i in stride(from: 0, to: sum.count, by: 997) {
            #expect(sum.storage[i] == bx.storage[i] + by.storage[i])
        }
    }

    @Test("broadcast copies match an index-by-index reference, real and complex")
    func broadcastCopies() throws {
        let cases: [([Int], [Int])] = [([257], [301, 257]), ([301, 1], [301, 257]), ([3, 1, 5], [4, 3, 7, 5]),
                                       ([], [2, 3]), ([1, 1], [5, 40_000]), ([40_000, 1], [40_000, 3])]
        for (from, to) in cases {
            let x = try random(from, seed: 4)
            let (one, two) = try bothWays { try x.broadcast(to: to) }
            let same = sameBytes(one, two)
            #expect(same)
            let strides = Tensor.broadcastStrides(from, to: to)
            let dims = to
            for flat in stride(from: 0, to: one.count, by: 131) {
                var rest = flat, src = 0
                for d in stride(from: dims.count - 1, through: 0, by: -1) {
                    src += (rest % dims[d]) * strides[d]
                    rest /= dims[d]
                }
                #expect(one.storage[flat] == x.storage[src])
            }
        }
        let z = try Tensor(shape: [3], storage: [1, -1, 2, 0.5, 3, 7], dtype: .complex128)
        let wide = try z.broadcast(to: [2, 3])
        #expect(wide.isComplex && wide.shape == [2, 3])
        #expect(Array(wide.storage[6..<12]) == Array(z.storage))
    }

    /// Several threads using the pool at once (one gets it, the others run their pieces
    /// themselves) still get exactly the one-thread bytes.
    @Test("concurrent callers get the same bytes as one thread")
    func concurrentCallers() async throws {
        let a = try random([1797, 64], seed: 7), w = try random([64, 64], seed: 8), b = try random([64], seed: 9)
        func work() throws -> Tensor { try Tensor.gemm(a, transA: false, w, transB: true).binary(.add, b).unary(.tanh).sum(axis: 0) }
        let saved = Parallel.threads
        Parallel.threads = 1
        let expected = try work()
        Parallel.threads = saved
        let results = try await withThrowingTaskGroup(of: Tensor.self) { group in
            for _ in 0..<6 { group.addTask { try work() } }
            var all: [Tensor] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 6)
        for r in results { #expect(sameBytes(r, expected)) }
    }

    @Test("products cut into blocks equal one dgemm and a plain triple loop",
          arguments: [(1797, 64, 64), (64, 64, 1797), (64, 10, 1797), (1797, 10, 64), (1797, 64, 10), (33, 900, 20)])
    func blockedProducts(_ m: Int, _ n: Int, _ k: Int) throws {
        for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = try random(transA ? [k, m] : [m, k], seed: 5), b = try random(transB ? [n, k] : [k, n], seed: 6)
            let (one, two) = try bothWays { try Tensor.gemm(a, transA: transA, b, transB: transB) }
            let same = sameBytes(one, two)
            #expect(same, "transA \(transA) transB \(transB)")
            for (i, j) in [(0, 0), (m - 1, n - 1), (m / 2, n / 3), (m - 1, 0)] {
                var s = 0.0, magnitude = 0.0
                for p in 0..<k {
                    let x = transA ? a.storage[p * m + i] : a.storage[i * k + p]
                    let y = transB ? b.storage[j * k + p] : b.storage[p * n + j]
                    s += x * y
                    magnitude += Swift.abs(x * y)
                }
                // Any order of a k-term sum errs by at most γ_k·Σ|xy| ≈ k·(ε/2)·Σ|xy| (Higham §3.1):
                // the loop and dgemm together by k·ε·Σ|xy|; threshold 2 for the FMA-free loop's rounding.
                #expect(Swift.abs(one.storage[i * n + j] - s) <= backwardTol(n: k, norm: magnitude, threshold: 2))
            }
        }
    }
}
