import Testing
@testable import RitzTensor

/// The generator's stream against an independent Python implementation of xoshiro256** seeded
/// by SplitMix64 (make_fixtures.py, `reference.json` → "rng"): bits and uniforms exactly,
/// Box–Muller normals to 1 ulp-ish (rtol 1e-15: both sides use the C library's log/cos/sin).
@Suite struct RandomTests {
    static let seeds = ["0", "42", "9223372036854775813"]

    static func reference(_ seed: String) throws -> [String: Any] {
        guard let list = try Fixture.node("rng") as? [[String: Any]],
              let c = list.first(where: { ($0["seed"] as? String) == seed }) else { throw FixtureError.missing(seed) }
        return c
    }

    @Test(arguments: seeds)
    func streamMatchesReference(seed: String) throws {
        let c = try Self.reference(seed)
        guard let s = UInt64(seed), let bits = c["bits"] as? [Any], let uniform = c["uniform"] as? [Any],
              let normal = c["normal"] as? [Any] else { throw FixtureError.missing("rng fields") }
        var g = RandomGenerator(seed: s)
        #expect(bits.compactMap { ($0 as? String).flatMap { UInt64($0) } } == (0..<bits.count).map { _ in g.next() })
        g = RandomGenerator(seed: s)
        #expect(uniform.compactMap { $0 as? Double } == (0..<uniform.count).map { _ in g.uniform() })
        g = RandomGenerator(seed: s)
        let normals = (0..<normal.count).map { _ in g.normal() }
        for (a, b) in zip(normals, normal.compactMap { $0 as? Double }) { expectClose(a, b, rtol: 1e-15, atol: 1e-300) }
    }

    @Test func tensorsAreDeterministic() throws {
        var a = RandomGenerator(seed: 5), b = RandomGenerator(seed: 5)
        #expect(try Tensor.randn([4, 4], using: &a) == (try Tensor.randn([4, 4], using: &b)))
        var c = RandomGenerator(seed: 6)
        #expect(try Tensor.rand([4], using: &a) != (try Tensor.rand([4], using: &c)))
        let r = try Tensor.rademacher([100], using: &a)
        #expect(r.storage.allSatisfy { $0 == 1 || $0 == -1 })
        var d = RandomGenerator(seed: 9)
        #expect(d.permutation(10).sorted() == Array(0..<10))
        #expect((0..<100).allSatisfy { _ in (0..<7).contains(d.int(below: 7)) })
        #expect(throws: ShapeError.negativeDimension(-3)) { try Tensor.rand([-3], using: &d) }
    }
}
