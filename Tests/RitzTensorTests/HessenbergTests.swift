import Testing
@testable import RitzTensor

/// `hessenberg` against its definition: A = QHQᵀ to 30·n·u·‖A‖_F, QᵀQ = I to 30·n·u, and H zero
/// below the first subdiagonal (exactly).
@Suite struct HessenbergTests {
    @Test(arguments: [1, 2, 7, 30])
    func reconstructsTheMatrix(n: Int) throws {
        var rng = RandomGenerator(seed: UInt64(n))
        let a = try Tensor.randn([n, n], using: &rng)
        let (h, q) = try a.hessenberg()
        for i in 0..<n { for j in 0..<n where j < i - 1 { #expect(h.storage[i * n + j] == 0) } }
        let back = try q.matmul(h).matmul(q.transposed())
        let normA = a.storage.map { $0 * $0 }.reduce(0, +).squareRoot()
        let tol = 30 * Double(n) * Double.ulpOfOne
        #expect(zip(back.storage, a.storage).allSatisfy { Swift.abs($0 - $1) <= tol * normA })
        let gram = try q.transposed().matmul(q)
        for i in 0..<n { for j in 0..<n { #expect(Swift.abs(gram.storage[i * n + j] - (i == j ? 1 : 0)) <= tol) } }
    }

    @Test func refusesWhatLAPACKCannotTake() {
        #expect(throws: LinalgError.self) { try Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6]).hessenberg() }
        #expect(throws: LinalgError.self) { try Tensor(shape: [2, 2], storage: [1, .nan, 3, 4]).hessenberg() }
    }
}
