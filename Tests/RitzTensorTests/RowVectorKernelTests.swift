import Testing
@testable import RitzTensor

/// A bias added to every row (`addRowVector`): whatever the kernel set (`RITZ_CPU_KERNELS`; CI
/// runs this suite under each) each element gets one addition, so the result equals a plain
/// loop exactly. Widths below, at and past each vector width (4 and 8), with a masked remainder;
/// zero rows leave the matrix alone, and nothing past the last row is written.
@Suite struct RowVectorKernelTests {
    @Test(arguments: [1, 3, 4, 7, 8, 9, 10, 13, 16, 21, 64, 70])
    func addingARowVectorEqualsAPlainLoop(width: Int) {
        var rng = RandomGenerator(seed: UInt64(width))
        for rows in [0, 1, 37] {
            let a = (0..<(rows * width)).map { _ in rng.normal() }
            let v = (0..<width).map { _ in rng.normal() }
            var expected = a
            for r in 0..<rows { for j in 0..<width { expected[r * width + j] += v[j] } }
            var out = a + [42]
            let paddedV = v + [7]
            out.withUnsafeMutableBufferPointer { po in
                paddedV.withUnsafeBufferPointer { pv in
                    guard let base = po.baseAddress, let row = pv.baseAddress else { return }
                    addRowVector(base, rows: rows, width: width, row)
                }
            }
            #expect(Array(out.prefix(rows * width)) == expected)
            #expect(out.last == 42)
        }
    }
}
