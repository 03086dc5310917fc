import Testing
@testable import RitzTensor

@Suite struct BroadcastTests {
    @Test(arguments: [
        ([3, 1], [1, 4], [3, 4]),
        ([2, 3, 4], [4], [2, 3, 4]),
        ([5], [], [5]),
        ([1], [7, 1, 2], [7, 1, 2]),
        // One operand's shape is the result (handed back as it is), either way round.
        ([2, 3], [2, 3], [2, 3]),
        ([4], [2, 1, 4], [2, 1, 4]),
        ([2, 1, 4], [1, 4], [2, 1, 4]),
        ([], [], []),
        ([1], [], [1]),
        ([0, 3], [1, 3], [0, 3]),
        ([1], [0], [0]),
        ([0], [1], [0]),
        // Neither is: each stretches the other.
        ([2, 1, 4], [3, 1], [2, 3, 4]),
        ([1, 1], [1], [1, 1]),
    ] as [([Int], [Int], [Int])])
    func compatibleShapes(a: [Int], b: [Int], expected: [Int]) {
        #expect(Tensor.broadcastShape(a, b) == expected)
        #expect(Tensor.broadcastShape(b, a) == expected)
    }

    @Test(arguments: [([3], [4]), ([2, 3], [3, 2]), ([0], [2]), ([2, 3], [4, 1, 2])] as [([Int], [Int])])
    func incompatibleShapesHaveNoBroadcast(a: [Int], b: [Int]) {
        #expect(Tensor.broadcastShape(a, b) == nil)
        #expect(Tensor.broadcastShape(b, a) == nil)
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
}
