import MLPReference
import Testing
@testable import RitzLearn
import RitzTensor

/// Two mlp evaluations prepared on one-row minibatches keep their own labels: the Hessian-vector
/// product of the first, taken after the second was prepared, equals a fresh evaluation's bit for
/// bit (the same computation on the same row). One row of labels fits the one-element placeholder
/// buffer a reference evaluation starts with, which once was shared by every evaluation; the
/// library's mlp (the tape) must keep them apart too.
@Test(arguments: ["tape", "reference kernels"])
func interleavedOneRowEvaluationsKeepTheirOwnLabels(engine: String) throws {
    let data = try Dataset.moons(n: 101, noise: 0.2, seed: 4)
    let mlp = try MLP(sizes: [2, 7, 2], activation: .tanh, seed: 5)
    let model: any Model = engine == "tape" ? mlp : ReferenceMLP(mlp)
    var rng = RandomGenerator(seed: 9)
    let v = (0..<model.parameterCount).map { _ in rng.normal() }
    // Rows 68 and 69 of these moons have different labels.
    #expect(data.y.storage[68] != data.y.storage[69])
    let first = model.makeEvaluation(), second = model.makeEvaluation()
    try first.prepare(model: model, data: data, rows: [68][...], loss: .crossEntropy, withGradient: true)
    try second.prepare(model: model, data: data, rows: [69][...], loss: .crossEntropy, withGradient: true)
    var interleaved: [Double] = [], fresh: [Double] = []
    try first.hvp(v, into: &interleaved)
    let alone = model.makeEvaluation()
    try alone.prepare(model: model, data: data, rows: [68][...], loss: .crossEntropy, withGradient: true)
    try alone.hvp(v, into: &fresh)
    #expect(interleaved == fresh)
    #expect(first.loss == alone.loss)
}

/// A minibatch (``Dataset/minibatch(rows:)``) holds the rows `Dataset.subset` selects, with the
/// data's dtypes and shapes (float features, int64 token ids, per-position labels), and once the
/// last batch's tensors are gone the next batch of the same size reuses the same storage.
@Test func minibatchesGatherRowsAndAreRefilledInPlace() throws {
    let digits = try Dataset.digits()
    let tokens = try Dataset(x: try Tensor(shape: [6, 3], storage: (0..<18).map { Double($0 % 5) }).asInt64(),
                             y: try Tensor(shape: [6, 3], storage: (0..<18).map { Double($0 % 4) }), classes: 4)
    for (data, rows) in [(digits, [5, 0, 1796, 5]), (tokens, [2, 5, 0])] {
        let (x, y) = try data.minibatch(rows: rows[...])
        let expected = try data.subset(rows)
        #expect(x.shape == expected.x.shape && x.dtype == expected.x.dtype && x.storage == expected.x.storage)
        #expect(y.shape == expected.y.shape && y.dtype == expected.y.dtype && y.storage == expected.y.storage)
    }
    func firstAddress(_ rows: [Int]) throws -> UnsafePointer<Double>? {
        try digits.minibatch(rows: rows[...]).x.storage.withUnsafeBufferPointer { $0.baseAddress }
    }
    // In an account of its own, so that no test running beside it takes the array back first.
    let (first, second) = try AllocationLimit.withLimit(bytes: 1 << 30) {
        (try firstAddress([3, 4, 5]), try firstAddress([7, 8, 9]))
    }
    #expect(first != nil && second == first)
    #expect(throws: ShapeError.self) { try digits.minibatch(rows: [0, 1797][...]) }
}
