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

            // Into another block: the same bytes, the source untouched.
            var into = [Double](repeating: .nan, count: rows * width) + [42]
            a.withUnsafeBufferPointer { pa in
                paddedV.withUnsafeBufferPointer { pv in
                    into.withUnsafeMutableBufferPointer { po in
                        guard let src = pa.baseAddress, let row = pv.baseAddress, let o = po.baseAddress else { return }
                        addRowVector(src, rows: rows, width: width, row, into: o)
                    }
                }
            }
            #expect(Array(into.prefix(rows * width)) == expected)
            #expect(into.last == 42)
        }
    }

    /// `+` of a tensor and one row of its shape (`[w]` or `[1, w]`, either side, leading axes of
    /// any number) takes the kernel: the bytes of a plain loop, with rows enough to be split
    /// over the threads; a row of the wrong length is still a shape error.
    @Test(arguments: [3, 8, 10, 64])
    func addingARowTensorEqualsAPlainLoop(width: Int) throws {
        var rng = RandomGenerator(seed: UInt64(100 + width))
        for shape in [[5, width], [2, 3, width], [4000, width]] {
            let n = shape.reduce(1, *)
            let m = try Tensor(shape: shape, storage: (0..<n).map { _ in rng.normal() })
            let values = (0..<width).map { _ in rng.normal() }
            let expected = (0..<n).map { m.storage[$0] + values[$0 % width] }
            for row in [try Tensor(shape: [width], storage: values), try Tensor(shape: [1, width], storage: values)] {
                let left = try m + row, right = try row + m
                #expect(left.shape == shape && right.shape == shape)
                #expect(left.storage == expected && right.storage == expected)
            }
        }
        #expect(throws: (any Error).self) { try Tensor(shape: [5, width], storage: [Double](repeating: 1, count: 5 * width)) + Tensor(shape: [width + 1], storage: [Double](repeating: 1, count: width + 1)) }
    }
}
