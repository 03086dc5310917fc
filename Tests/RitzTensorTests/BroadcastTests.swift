import Testing
@testable import RitzTensor

@Suite struct BroadcastTests {
    @Test(arguments: [
        ([3, 1], [1, 4], [3, 4]),
        ([2, 3, 4], [4], [2, 3, 4]),
        ([5], [], [5]),
        ([1], [7, 1, 2], [7, 1, 2]),
    ] as [([Int], [Int], [Int])])
    func compatibleShapes(a: [Int], b: [Int], expected: [Int]) {
        #expect(Tensor.broadcastShape(a, b) == expected)
    }

    @Test func incompatibleShapesThrowMismatch() throws {
        let a = try Tensor.zeros([3, 4]), b = try Tensor.zeros([3])
        #expect(throws: ShapeError.mismatch(op: "+", lhs: [3, 4], rhs: [3])) { try a + b }
    }

    @Test func generalBroadcastMatchesManualLoop() throws {
        let a = try Tensor(shape: [2, 1, 3], storage: (0..<6).map(Double.init))
        let b = try Tensor(shape: [4, 1], storage: [10, 20, 30, 40])
        let c = try a * b
        #expect(c.shape == [2, 4, 3])
        for i in 0..<2 { for j in 0..<4 { for k in 0..<3 {
            #expect(c.storage[(i * 4 + j) * 3 + k] == Double(i * 3 + k) * Double((j + 1) * 10))
        } } }
    }

    /// Column sums (a bias cotangent's, `sumLeadingRows`'), eight columns at a time in registers,
    /// add each column's rows in the same order as a plain loop, so they equal it exactly; widths
    /// below, at and past eight and between multiples of it, onto sums that are not zero.
    @Test(arguments: [1, 7, 8, 13, 16, 21])
    func columnSumsEqualAPlainLoop(width: Int) {
        var rng = RandomGenerator(seed: UInt64(width))
        let rows = 37
        let a = (0..<(rows * width)).map { _ in rng.normal() }
        let start = (0..<width).map { _ in rng.normal() }
        var expected = start
        for r in 0..<rows { for j in 0..<width { expected[j] += a[r * width + j] } }
        var sums = start
        a.withUnsafeBufferPointer { pa in
            sums.withUnsafeMutableBufferPointer { ps in
                guard let base = pa.baseAddress, let out = ps.baseAddress else { return }
                addColumnSums(base, rows: rows, width: width, into: out)
            }
        }
        #expect(sums == expected)
    }
}
