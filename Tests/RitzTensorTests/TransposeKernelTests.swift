import CKernels
import Testing
@testable import RitzTensor

/// The matrix transpose (`ck_transpose`, behind `Tensor.transposed` and the short-sided products'
/// upright copy of a transposed operand): a copy, so on every kernel set (`RITZ_CPU_KERNELS`; CI
/// runs this suite under each) it equals a plain loop exactly. Sizes below, at and past a 4 × 4
/// block and a 32 × 32 tile; row strides longer than the rows, whose padding stays untouched.
@Suite struct TransposeKernelTests {
    @Test(arguments: [1, 3, 4, 5, 10, 31, 32, 33, 64, 70])
    func transposeEqualsAPlainLoop(rows: Int) throws {
        var rng = RandomGenerator(seed: UInt64(rows))
        for cols in [1, 2, 4, 7, 10, 32, 37, 64, 65] {
            let (lds, ldd) = (cols + 3, rows + 2)
            let src = (0..<(rows * lds)).map { _ in rng.normal() }
            var expected = [Double](repeating: -1, count: cols * ldd)
            for i in 0..<rows { for j in 0..<cols { expected[j * ldd + i] = src[i * lds + j] } }
            var dst = [Double](repeating: -1, count: cols * ldd)
            src.withUnsafeBufferPointer { s in
                dst.withUnsafeMutableBufferPointer { d in
                    guard let sb = s.baseAddress, let db = d.baseAddress else { return }
                    ck_transpose(rows, cols, sb, lds, db, ldd)
                }
            }
            #expect(dst == expected, "\(rows) × \(cols)")
            let t = try Tensor(shape: [rows, cols], storage: (0..<(rows * cols)).map { Double($0) })
            let tt = try t.transposed()
            #expect(tt.shape == [cols, rows])
            #expect(tt.storage == (0..<(rows * cols)).map { Double(($0 % rows) * cols + $0 / rows) }, "\(rows) × \(cols)")
        }
    }
}
