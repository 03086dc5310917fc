import Testing
@testable import RitzTensor

/// tanh's derivative products (`FastMath.tanhBackward`, with and without a row added first,
/// `tanhBackwardTangent`, `tanhCurvature`):
/// on every kernel set (`RITZ_CPU_KERNELS`; CI runs this suite under each) the bytes of the plain
/// loops they replace, for lengths below, at and past each vector width, written in place too.
@Suite struct TanhDerivativeKernelTests {
    static let lengths = [0, 1, 3, 4, 7, 8, 9, 17, 64, 1000]

    /// Four arrays of `n` values in (−3, 3), y among them in (−1, 1) as a tanh's output.
    static func operands(_ n: Int, seed: UInt64) -> [[Double]] {
        var rng = RandomGenerator(seed: seed)
        return (0..<4).map { k in (0..<n).map { _ in k == 3 ? 1.98 * rng.uniform() - 0.99 : 6 * rng.uniform() - 3 } }
    }

    @Test(arguments: lengths)
    func backwardEqualsThePlainLoop(n: Int) {
        let ops = Self.operands(n, seed: UInt64(n))
        let (g, y) = (ops[0], ops[3])
        let expected = (0..<n).map { g[$0] * (1 - y[$0] * y[$0]) }
        var out = [Double](repeating: .nan, count: n)
        var inPlace = g
        g.withUnsafeBufferPointer { gp in y.withUnsafeBufferPointer { yp in
            out.withUnsafeMutableBufferPointer { op in
                guard let g = gp.baseAddress, let y = yp.baseAddress, let o = op.baseAddress else { return }
                FastMath.tanhBackward(g, y, o, count: n)
            }
            inPlace.withUnsafeMutableBufferPointer { ip in
                guard let i = ip.baseAddress, let y = yp.baseAddress else { return }
                FastMath.tanhBackward(i, y, i, count: n)
            }
        } }
        #expect(out == expected && inPlace == expected)
    }

    /// With a row vector added first (a dense layer's bias tangent): the bytes of the addition
    /// followed by the plain loop, for widths below, at and past each vector width.
    @Test(arguments: [1, 3, 4, 8, 10, 13, 64, 70])
    func backwardAddingARowEqualsTheAdditionThenThePlainLoop(width: Int) {
        let rows = 37
        let ops = Self.operands(rows * width, seed: UInt64(300 + width))
        let (g, y) = (ops[0], ops[3])
        let v = Array(ops[1].prefix(width))
        let expected = (0..<(rows * width)).map { i -> Double in
            let sum: Double = g[i] + v[i % width]
            return sum * (1 - y[i] * y[i])
        }
        var inPlace = g
        inPlace.withUnsafeMutableBufferPointer { ip in
            v.withUnsafeBufferPointer { vp in y.withUnsafeBufferPointer { yp in
                guard let i = ip.baseAddress, let v = vp.baseAddress, let y = yp.baseAddress else { return }
                FastMath.tanhBackward(i, addingRow: v, y, i, rows: rows, width: width)
            } }
        }
        #expect(inPlace == expected)
    }

    @Test(arguments: lengths)
    func tangentEqualsThePlainLoop(n: Int) {
        let ops = Self.operands(n, seed: UInt64(100 + n))
        let (tg, ty, g, y) = (ops[0], ops[1], ops[2], ops[3])
        let expected = (0..<n).map { i -> Double in
            let first: Double = tg[i] * (1 - y[i] * y[i])
            let second: Double = -2 * g[i] * y[i] * ty[i]
            return first + second
        }
        var out = [Double](repeating: .nan, count: n)
        tg.withUnsafeBufferPointer { a in ty.withUnsafeBufferPointer { b in g.withUnsafeBufferPointer { c in
            y.withUnsafeBufferPointer { d in
                out.withUnsafeMutableBufferPointer { o in
                    guard let a = a.baseAddress, let b = b.baseAddress, let c = c.baseAddress, let d = d.baseAddress,
                          let o = o.baseAddress else { return }
                    FastMath.tanhBackwardTangent(a, b, c, d, o, count: n)
                }
            }
        } } }
        #expect(out == expected)
    }

    @Test(arguments: lengths)
    func curvatureEqualsThePlainLoop(n: Int) {
        let ops = Self.operands(n, seed: UInt64(200 + n))
        let (a, b, c) = (ops[0], ops[1], ops[2])
        let expected = (0..<n).map { i -> Double in -2 * a[i] * b[i] * c[i] }
        var out = a
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeBufferPointer { pc in
            out.withUnsafeMutableBufferPointer { o in
                guard let x = pa.baseAddress, let y = pb.baseAddress, let z = pc.baseAddress, let o = o.baseAddress else { return }
                FastMath.tanhCurvature(x, y, z, o, count: n)
            }
        } } }
        #expect(out == expected)
    }
}
