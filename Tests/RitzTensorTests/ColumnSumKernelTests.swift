import Testing
@testable import RitzTensor

/// Column sums (a bias cotangent's, `sumLeadingRows`'): whatever the kernel set
/// (`RITZ_CPU_KERNELS`; CI runs this suite under each), each column's rows are added in the same
/// order as a plain loop, so the sums equal it exactly. Widths below, at and past each block
/// (16, 32, 64 columns) and each vector width, with a masked remainder; sums that start non-zero;
/// zero rows leave them alone.
@Suite struct ColumnSumKernelTests {
    @Test(arguments: [1, 3, 7, 8, 10, 13, 16, 21, 32, 37, 64, 70, 100, 128, 131])
    func columnSumsEqualAPlainLoop(width: Int) {
        var rng = RandomGenerator(seed: UInt64(width))
        for rows in [0, 1, 37] {
            let a = (0..<(rows * width)).map { _ in rng.normal() }
            let start = (0..<width).map { _ in rng.normal() }
            var expected = start
            for r in 0..<rows { for j in 0..<width { expected[j] += a[r * width + j] } }
            var sums = start
            // One spare value past the end stays untouched (masked stores write only the row).
            sums.append(42)
            let padded = a + [7]
            padded.withUnsafeBufferPointer { pa in
                sums.withUnsafeMutableBufferPointer { ps in
                    guard let base = pa.baseAddress, let out = ps.baseAddress else { return }
                    addColumnSums(base, rows: rows, width: width, into: out)
                }
            }
            #expect(Array(sums.prefix(width)) == expected)
            #expect(sums.last == 42)
        }
    }

    /// `sumToShape` of leading rows: the sums of the first and the second half of the rows (two
    /// parts past `Parallel.minimumElements`, whatever the thread count), added in that order,
    /// exactly; on a repeat the result and the scratch come from the pool.
    @Test(arguments: [(37, 10), (300, 64), (1000, 33)])
    func leadingRowSumsAreTheHalvesAddedInOrder(rows: Int, width: Int) throws {
        var rng = RandomGenerator(seed: UInt64(rows))
        let a = (0..<(rows * width)).map { _ in rng.normal() }
        let parts = rows * width >= Parallel.minimumElements ? 2 : 1
        var expected = [Double](repeating: 0, count: width)
        var second = [Double](repeating: 0, count: width)
        for r in 0..<rows {
            for j in 0..<width {
                if parts == 2 && r >= rows / 2 { second[j] += a[r * width + j] } else { expected[j] += a[r * width + j] }
            }
        }
        for j in 0..<width { expected[j] += second[j] }
        try AllocationLimit.withLimit(bytes: 1 << 26) { () throws -> Void in
            let t = try Tensor(shape: [rows, width], storage: a)
            #expect(try t.sumToShape([width]).storage == expected)
            let hits = AllocationLimit.account.pool.statistics.hits
            #expect(try t.sumToShape([width]).storage == expected)
            if width >= StoragePool.minimumCount {
                #expect(AllocationLimit.account.pool.statistics.hits == hits + parts)
            }
        }
    }
}
