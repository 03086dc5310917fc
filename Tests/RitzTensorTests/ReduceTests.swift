import Foundation
import Testing
@testable import RitzTensor

/// Reductions, cumsum, logsumexp, softmax and norms against NumPy/SciPy
/// (`reference.json` → "reduce", "cumsum", "logsumexp", "softmax", "norm").
@Suite struct ReduceTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let op: ReduceOp, axis: Int?, keepDims: Bool, index: Int
        var testDescription: String { "\(op.rawValue) axis=\(axis.map(String.init) ?? "None") keepDims=\(keepDims)" }
    }

    static let cases: [Case] = {
        guard let list = try? Fixture.node("reduce", "cases") as? [[String: Any]] else { return [] }
        return list.enumerated().compactMap { i, c in
            guard let name = c["op"] as? String, let op = ReduceOp(rawValue: name) else { return nil }
            return Case(op: op, axis: (c["axis"] as? Double).map { Int($0) }, keepDims: (c["keepDims"] as? Bool) ?? false, index: i)
        }
    }()

    @Test func fixtureHasAllCases() { #expect(Self.cases.count == 9 * 5 * 2 - 2 * 5) }

    /// Pairwise sums agree with NumPy's to rounding: rtol 1e-13 (≈ 450ε, for lines of ≤ 10 terms of
    /// either sign, whose sums may cancel to a tenth of their terms); argmax/argmin exactly.
    @Test(arguments: cases)
    func reduceMatchesNumPy(c: Case) throws {
        let x = try Fixture.tensor("reduce", "x")
        guard let list = try Fixture.node("reduce", "cases") as? [[String: Any]] else { throw FixtureError.missing("reduce") }
        let expected = try Fixture.tensor(from: list[c.index]["result"] as Any)
        let got = try x.reduce(c.op, axis: c.axis, keepDims: c.keepDims)
        expectClose(got, expected, rtol: 1e-13, atol: 1e-15, c.testDescription)
    }

    @Test func cumsum() throws {
        let x = try Fixture.tensor("cumsum", "x")
        // Running sums in the same order as NumPy's: a few roundings per step (atol for partial sums near 0).
        expectClose(try x.cumsum(), try Fixture.tensor("cumsum", "none"), rtol: 1e-13, atol: 1e-14)
        expectClose(try x.cumsum(axis: 0), try Fixture.tensor("cumsum", "axis0"), rtol: 1e-13, atol: 1e-14)
        expectClose(try x.cumsum(axis: -1), try Fixture.tensor("cumsum", "axis_1"), rtol: 1e-13, atol: 1e-14)
    }

    /// Inputs of size ~1000 would overflow exp without the max shift.
    @Test func logsumexpAndSoftmax() throws {
        let x = try Fixture.tensor("logsumexp", "x")
        // log Σ e^(x−m) + m with m ≈ 1000: a few ulps of the result (rtol 1e-14 ≈ 45ε); softmax
        // divides by that sum and its entries e^(x−m−lse) amplify an error in lse by |x−m| ≲ 100,
        // hence 1e-12 relative.
        expectClose(try x.logsumexp(), try Fixture.tensor("logsumexp", "none"), rtol: 1e-14)
        expectClose(try x.logsumexp(axis: 1), try Fixture.tensor("logsumexp", "axis1"), rtol: 1e-14)
        expectClose(try x.logsumexp(axis: -1, keepDims: true), try Fixture.tensor("logsumexp", "axis_1_keep"), rtol: 1e-14)
        expectClose(try x.softmax(axis: -1), try Fixture.tensor("softmax", "axis_1"), rtol: 1e-12, atol: 1e-300)
        expectClose(try x.softmax(axis: 0), try Fixture.tensor("softmax", "axis0"), rtol: 1e-12, atol: 1e-300)
    }

    /// Lines of infinities and NaN come out as the unshifted formula gives them (SciPy's values);
    /// an empty line is log 0 = −∞; every axis of a 3-d tensor agrees with the formula written
    /// out with reduce, exp, sum and log, bit for bit.
    @Test func logsumexpSpecialLinesAndAxes() throws {
        let special = try Tensor(shape: [4, 2], storage: [-.infinity, -.infinity, .infinity, 1, .nan, 1, 3, .infinity])
        let r = try special.logsumexp(axis: 1).storage
        #expect(r[0] == -.infinity && r[1] == .infinity && r[2].isNaN && r[3] == .infinity)
        #expect(try Tensor.zeros([3, 0]).logsumexp(axis: 1).storage == [-.infinity, -.infinity, -.infinity])
        var rng = RandomGenerator(seed: 5)
        let x = try Tensor.randn([5, 6, 7], using: &rng).binary(.mul, Tensor(30))
        for axis in 0..<3 {
            let m = try x.reduce(.max, axis: axis, keepDims: true)
            let written = try x.binary(.sub, m).unary(.exp).sum(axis: axis, keepDims: true).unary(.log).binary(.add, m)
            let fused = try x.logsumexp(axis: axis, keepDims: true)
            #expect(fused.shape == written.shape)
            #expect(zip(fused.storage, written.storage).allSatisfy { $0.bitPattern == $1.bitPattern }, "axis \(axis)")
        }
    }

    @Test(arguments: [("p2", 2.0), ("p1", 1.0), ("pinf", Double.infinity), ("p3", 3.0)])
    func norm(key: String, p: Double) throws {
        let x = try Fixture.tensor("norm", "x")
        // A sum of |x|^p and one root: a few ulps over a short vector (rtol 1e-14 ≈ 45ε).
        expectClose(try x.norm(p: p), try Fixture.number("norm", key), rtol: 1e-14)
    }

    @Test func varianceDividesByN() throws {
        let x = Tensor([1, 2, 3, 4])
        #expect(try x.reduce(.variance).storage == [1.25])
    }

    @Test func badAxesThrow() throws {
        let x = try Tensor.zeros([2, 3])
        #expect(throws: ShapeError.badAxis(axis: 2, ndim: 2)) { try x.sum(axis: 2) }
        #expect(throws: ShapeError.badAxis(axis: -3, ndim: 2)) { try x.reduce(.mean, axis: -3) }
        #expect(throws: ShapeError.badAxis(axis: 5, ndim: 2)) { try x.cumsum(axis: 5) }
        #expect(throws: ShapeError.badAxis(axis: 2, ndim: 2)) { try x.softmax(axis: 2) }
        #expect(throws: TensorError.self) { try Tensor.zeros([0]).reduce(.max) }
        #expect(throws: TensorError.self) { try x.norm(p: -1) }
    }
}
