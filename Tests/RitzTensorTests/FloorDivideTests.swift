import Foundation
import Testing
@testable import RitzTensor

/// `//` (`BinaryOp.floorDiv`) against NumPy's `floor_divide` on the rows of
/// `Fixtures/floor_divide.csv` (made by `make_floor_divide.py`): edge cases and random pairs.
@Suite struct FloorDivideTests {
    static func rows() throws -> [(x: Double, y: Double, q: Double)] {
        let text = try String(contentsOfFile: Fixture.path("floor_divide.csv"), encoding: .utf8)
        return try text.split(separator: "\n").dropFirst().map { line in
            let f = line.split(separator: ",").map { Double(String($0)) }
            guard f.count == 3, let x = f[0], let y = f[1], let q = f[2] else { throw FixtureError.missing("floor_divide row \(line)") }
            return (x, y, q)
        }
    }

    /// Exactly NumPy's bits: the quotient is a whole number (or ±inf, NaN), so there is no
    /// rounding to allow for; signed zeros must match, NaN must meet NaN.
    @Test func matchesNumPyExactly() throws {
        let rows = try FloorDivideTests.rows()
        #expect(rows.count > 200)
        for r in rows {
            let got = flooredDiv(r.x, r.y)
            let same = got.isNaN ? r.q.isNaN : (got == r.q && got.sign == r.q.sign)
            #expect(same, "\(r.x) // \(r.y) = \(got), NumPy \(r.q)")
        }
    }

    @Test func tensorsBroadcastAndAgree() throws {
        let rows = try FloorDivideTests.rows().filter { !$0.q.isNaN }
        let x = Tensor(rows.map(\.x)), y = Tensor(rows.map(\.y))
        let q = try x.binary(.floorDiv, y)
        #expect(q.storage == rows.map(\.q))
        #expect(try Tensor([7, -7]).binary(.floorDiv, Tensor(2)).storage == [3, -4])
    }
}
