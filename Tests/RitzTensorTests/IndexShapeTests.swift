import Testing
@testable import RitzTensor

/// Indexing (positions, slices, negative indices, masks, fancy), assignment and shape
/// manipulation against NumPy (`reference.json` → "index", "mask_full", "assign", "shape").
@Suite struct IndexShapeTests {
    static let names = ["element", "negative", "row", "column", "slice", "negative_slice", "reversed",
                        "empty_slice", "fancy_rows", "fancy_cols", "row_mask", "col_mask"]

    static func items(_ list: [[String: Any]]) throws -> [IndexItem] {
        try list.map { it in
            if let i = it["at"] as? Double { return .at(Int(i)) }
            if let s = it["slice"] as? [Any] {
                let v = s.map { ($0 as? Double).map { Int($0) } }
                return .slice(start: v[0], stop: v[1], step: v[2])
            }
            if let a = it["array"] as? [Any] { return .array(Tensor(a.compactMap { $0 as? Double })) }
            if let m = it["mask"] as? [Any] { return .array(Tensor(m.map { ($0 as? Bool) == true ? 1 : 0 }).asBool()) }
            throw FixtureError.missing("index item")
        }
    }

    @Test(arguments: names)
    func indexMatchesNumPy(name: String) throws {
        let a = try Fixture.tensor("index", "A")
        guard let list = try Fixture.node("index", "cases") as? [[String: Any]],
              let c = list.first(where: { ($0["name"] as? String) == name }),
              let raw = c["items"] as? [[String: Any]] else { throw FixtureError.missing(name) }
        let got = try a.index(Self.items(raw))
        #expect(got == (try Fixture.tensor(from: c["result"] as Any)), "\(name)")
    }

    @Test func fullMaskSelectAndAssign() throws {
        var a = try Fixture.tensor("mask_full", "A")
        let mask = try a.binary(.gt, Tensor(2))
        #expect(try a.index([.array(mask)]) == (try Fixture.tensor("mask_full", "result")))
        try a.assign([.array(mask)], Tensor(0))
        #expect(a == (try Fixture.tensor("mask_full", "assigned")))
    }

    @Test func sliceAssignBroadcasts() throws {
        var a = try Fixture.tensor("index", "A")
        try a.assign([.slice(start: 1, stop: 3, step: nil), .slice(start: nil, stop: nil, step: 2)], Tensor([10, 20, 30]))
        #expect(a == (try Fixture.tensor("assign", "result")))
    }

    @Test func badIndicesThrow() throws {
        let a = try Fixture.tensor("index", "A")
        #expect(throws: ShapeError.indexOutOfRange(index: 4, axis: 0, size: 4)) { try a.index([.at(4)]) }
        #expect(throws: ShapeError.indexOutOfRange(index: -6, axis: 1, size: 5)) { try a.index([.at(0), .at(-6)]) }
        #expect(throws: ShapeError.self) { try a.index([.at(0), .at(0), .at(0)]) }
        #expect(throws: ShapeError.self) { try a.index([.slice(start: nil, stop: nil, step: 0)]) }
        #expect(throws: ShapeError.self) { try a.index([.array(Tensor([0.5]))]) }
        #expect(throws: ShapeError.self) { try a.index([.array(Tensor([1, 0]).asBool())]) }
        #expect(throws: ShapeError.self) { try a.index([.array(Tensor([9]))]) }
    }

    @Test func reshapeTransposeConcatStack() throws {
        let x = try Fixture.tensor("shape", "x"), a = try Fixture.tensor("index", "A")
        #expect(try x.reshaped([4, -1]) == (try Fixture.tensor("shape", "reshape")))
        #expect(try x.transposed() == (try Fixture.tensor("shape", "transpose")))
        #expect(try x.transposed([1, 2, 0]) == (try Fixture.tensor("shape", "transpose_perm")))
        #expect(a.T == (try Fixture.tensor("shape", "T2")))
        // A matrix's `.T` (its own path) is the permutation [1, 0], negative axes included, and
        // keeps complex pairs together.
        #expect(try a.transposed() == (try a.transposed([1, 0])))
        #expect(try a.transposed([-1, -2]) == (try Fixture.tensor("shape", "T2")))
        let z = try Tensor(shape: [2, 3], storage: (0..<12).map(Double.init), dtype: .complex128)
        #expect(try z.transposed().storage == [0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11])
        #expect(try Tensor.concat([x, x * Tensor(2)], axis: 0) == (try Fixture.tensor("shape", "concat0")))
        let head = try x.index([.all, .all, .slice(start: nil, stop: 2, step: nil)])
        #expect(try Tensor.concat([x, head], axis: -1) == (try Fixture.tensor("shape", "concat_1")))
        let a1 = try a + Tensor(1)
        #expect(try Tensor.stack([a, a1], axis: 0) == (try Fixture.tensor("shape", "stack0")))
        #expect(try Tensor.stack([a, a1], axis: 2) == (try Fixture.tensor("shape", "stack2")))
        #expect(try Tensor.stack([a, a1], axis: -1) == (try Fixture.tensor("shape", "stack_neg")))
    }

    @Test func shapeErrors() throws {
        let x = try Tensor.zeros([2, 3])
        #expect(throws: ShapeError.badReshape(from: [2, 3], to: [4, 2])) { try x.reshaped([4, 2]) }
        #expect(throws: ShapeError.self) { try x.reshaped([-1, -1]) }
        #expect(throws: ShapeError.negativeDimension(-2)) { try x.reshaped([-2, -3]) }
        #expect(throws: ShapeError.self) { try x.transposed([0, 0]) }
        #expect(throws: ShapeError.badAxis(axis: 3, ndim: 2)) { try x.transposed([0, 3]) }
        #expect(throws: ShapeError.self) { try x.transposed([1]) }
        #expect(throws: ShapeError.self) { try Tensor.zeros([2, 3, 4]).transposed([0, 1, 1]) }
        #expect(throws: ShapeError.self) { try Tensor.zeros([2, 3, 4]).transposed([2, 0, 1, 3]) }
        // Past 64 axes the permutation is checked another way.
        let many = try Tensor.zeros([Int](repeating: 1, count: 70) + [2])
        #expect(try many.transposed().shape == [2] + [Int](repeating: 1, count: 70))
        #expect(throws: ShapeError.self) { try many.transposed([Int](repeating: 0, count: 71)) }
        #expect(throws: ShapeError.mismatch(op: "concat", lhs: [2, 3], rhs: [2, 4])) {
            try Tensor.concat([x, Tensor.zeros([2, 4])], axis: 0)
        }
        #expect(throws: ShapeError.mismatch(op: "stack", lhs: [2, 3], rhs: [3, 2])) { try Tensor.stack([x, x.T]) }
        #expect(throws: ShapeError.badAxis(axis: 4, ndim: 3)) { try Tensor.stack([x, x], axis: 4) }
        #expect(throws: ShapeError.self) { try Tensor.concat([]) }
    }

    @Test func creationChecks() throws {
        #expect(throws: ShapeError.negativeDimension(-1)) { try Tensor.zeros([3, -1]) }
        #expect(throws: ShapeError.negativeDimension(-4)) { try Tensor.linspace(0, 1, -4) }
        #expect(throws: TensorError.self) { try Tensor.arange(0, 1, 0) }
        #expect(throws: ShapeError.self) { try Tensor(shape: [2, 2], storage: [1, 2, 3]) }
        #expect(try Tensor.arange(0, 1, 0.25).storage == [0, 0.25, 0.5, 0.75])
        #expect(try Tensor.arange(0, -1e300, 1e-300).shape == [0])
        #expect(try Tensor.linspace(-1, 1, 5).storage == [-1, -0.5, 0, 0.5, 1])
        #expect(try Tensor.eye(2).storage == [1, 0, 0, 1])
        #expect(try Tensor.diag(Tensor([1, 2])).storage == [1, 0, 0, 2])
    }

    /// The allocation guard refuses before allocating. The lowered limit is scoped to this test
    /// (`withLimit`), so tests running in parallel keep the default.
    @Test func allocationLimitRefuses() throws {
        try AllocationLimit.withLimit(bytes: 1024) { () throws -> Void in
            #expect(AllocationLimit.bytes == 1024)
            #expect(throws: TensorError.tooLarge(bytes: 8 * 200, limit: 1024)) { try Tensor.zeros([10, 20]) }
            #expect(throws: TensorError.self) { try Tensor.eye(100) }
            var rng = RandomGenerator(seed: 1)
            #expect(throws: TensorError.self) { try Tensor.randn([300], using: &rng) }
            #expect(try Tensor.zeros([10, 10]).count == 100)
        }
        #expect(AllocationLimit.bytes > 1024)
        #expect(throws: TensorError.tooLarge(bytes: Int.max, limit: AllocationLimit.bytes)) { try Tensor.zeros([Int.max / 2, 4]) }
    }
}
