import Testing
@testable import RitzTensor

/// `+ − * /` of two tensors of one shape, or of a tensor and a number (`ck_binary_map`): whatever
/// the kernel set (`RITZ_CPU_KERNELS`; CI runs this suite under each) every element is one
/// correctly rounded operation, so the result equals a plain loop's bit for bit (NaN as NaN).
/// Lengths below, at and past each vector width, and long enough to be split over the threads;
/// operands include zeros of both signs, infinities, NaN and subnormals.
@Suite struct BinaryMapKernelTests {
    static let specials: [Double] = [0, -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, -Double.leastNormalMagnitude.nextDown, 1e308]

    static func values(_ n: Int, seed: UInt64) -> [Double] {
        var rng = RandomGenerator(seed: seed)
        return (0..<n).map { i in i % 11 == 3 ? specials[(i / 11) % specials.count] : 4 * rng.normal() }
    }

    static func sameBits(_ x: [Double], _ y: [Double]) -> Bool {
        x.count == y.count && zip(x, y).allSatisfy { $0.isNaN ? $1.isNaN : $0.bitPattern == $1.bitPattern }
    }

    @Test(arguments: [0, 1, 3, 4, 7, 8, 9, 17, 64, 1000, 70_001])
    func arithmeticEqualsAPlainLoop(n: Int) throws {
        let (a, b) = (Self.values(n, seed: UInt64(n)), Self.values(n, seed: UInt64(n) + 7))
        let (ta, tb) = (try Tensor(shape: [n], storage: a), try Tensor(shape: [n], storage: b))
        let number = -1.75, tn = Tensor(number)
        let ops: [(BinaryOp, (Double, Double) -> Double)] = [(.add, +), (.sub, -), (.mul, *), (.div, /)]
        for (op, f) in ops {
            #expect(Self.sameBits(try ta.binary(op, tb).storage, (0..<n).map { f(a[$0], b[$0]) }), "\(op) arrays")
            #expect(Self.sameBits(try ta.binary(op, tn).storage, a.map { f($0, number) }), "\(op) number right")
            #expect(Self.sameBits(try tn.binary(op, ta).storage, a.map { f(number, $0) }), "\(op) number left")
        }
    }
}
