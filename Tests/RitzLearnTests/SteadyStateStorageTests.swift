import Testing
@testable import RitzLearn
import RitzTensor

/// Training draws every tensor's storage from the memory account's pool once warm: a longer
/// run asks the allocator for no more tensor storage than a short one.
/// Each run has its own account (so its own pool and counters, apart from tests running in
/// parallel); the counted misses are the requests the pool could not serve.
@Suite struct SteadyStateStorageTests {
    /// Pool misses of `body` run in a fresh account.
    static func misses(_ body: () throws -> Void) throws -> Int {
        try AllocationLimit.withLimit(bytes: 1 << 30) { () throws -> Int in
            try body()
            return AllocationLimit.account.pool.statistics.misses
        }
    }

    @Test(arguments: [true, false])
    func fullBatchTrainingAllocatesNoTensorStorageOnceWarm(twoParts: Bool) throws {
        let data = try Dataset.digits()
        // Two parts (each half of the batch recorded on its own tape) or one.
        let rows = twoParts ? data.count : 200
        let x = try data.x.index([.slice(start: 0, stop: rows, step: nil)])
        let y = try data.y.index([.slice(start: 0, stop: rows, step: nil)])
        let batch = try Dataset(x: x, y: y, name: "digits")
        func run(_ steps: Int) throws -> Int {
            try Self.misses {
                let model = try MLP(sizes: [64, 32, 10], activation: .tanh, seed: 0)
                let r = try Trainer.train(model: model, data: batch, optimizer: try .sgd(lr: 0.5), steps: steps, every: steps)
                #expect(r.stepsTaken == steps)
            }
        }
        let (short, long) = (try run(4), try run(40))
        #expect(short > 0)
        // One part: exactly equal. Two parts run as two jobs sharing the pool, so which of them
        // first asks for a size they share (the weight gradients) depends on timing, and the
        // warm-up's count varies by a few; storage taken every step would add at least one
        // miss per step, 36 here.
        #expect(twoParts ? abs(long - short) <= 8 : long == short)
    }

    /// The model library's CNN and transformer: storage that dies inside their rules (layer
    /// norm's and attention's temporaries, pooled maps) comes back as well, so the pool's misses
    /// stop growing once warm (one part each: 200 images; 50 equations of the modular task).
    @Test(arguments: ["cnn", "transformer"])
    func libraryModelsTrainWithoutNewTensorStorageOnceWarm(kind: String) throws {
        let data: Dataset
        let make: () throws -> FunctionModel
        if kind == "cnn" {
            let digits = try Dataset.digits(layout: .images)
            let x = try digits.x.index([.slice(start: 0, stop: 200, step: nil)])
            let y = try digits.y.index([.slice(start: 0, stop: 200, step: nil)])
            data = try Dataset(x: x, y: y, name: "digits")
            make = { try FunctionModel.cnn(input: [1, 8, 8], channels: [4, 8], classes: 10, seed: 0) }
        } else {
            let train = try Dataset.modular(p: 11, frac: 0.5, seed: 0).train
            let x = try train.x.index([.slice(start: 0, stop: 50, step: nil)])
            let y = try train.y.index([.slice(start: 0, stop: 50, step: nil)])
            data = try Dataset(x: x, y: y, name: "modular")
            make = { try FunctionModel.transformer(vocab: 13, seq: 4, width: 16, heads: 2, depth: 1, seed: 0) }
        }
        func run(_ steps: Int) throws -> Int {
            try Self.misses {
                let r = try Trainer.train(model: try make(), data: data, optimizer: try .adamw(lr: 1e-3), steps: steps, every: steps)
                #expect(r.stepsTaken == steps)
            }
        }
        let (short, long) = (try run(4), try run(24))
        #expect(short > 0)
        // The CNN exactly. The transformer's count may creep up by a few over the 20 steps: an
        // array given back while a raw copy of it is still held elsewhere is copied when next
        // taken, which the pool counts as the allocation it is. Storage taken every step would
        // add at least 20 (it added 660 before temporaries returned by themselves).
        #expect(kind == "cnn" ? long == short : long - short <= 10)
    }

    /// Hessian-vector products repeated on one evaluation, at one prepared point (Lanczos) or
    /// each at a new point with its forward pass (a sharpness tracker during training). Counted
    /// within one run, after 4 products and after 24: the warm-up's count varies with which of
    /// the two parts first asks for a size they share, the steady state's should not.
    @Test(arguments: [false, true])
    func repeatedHessianVectorProductsAllocateNoTensorStorageOnceWarm(newPointEachTime: Bool) throws {
        let data = try Dataset.digits()
        var warm = 0
        let total = try Self.misses {
            let model = try MLP(sizes: [64, 32, 10], activation: .tanh, seed: 0)
            let e = model.makeEvaluation()
            var v = [Double](repeating: 0.01, count: model.parameterCount)
            var out = [Double]()
            for p in 0..<24 {
                if p == 4 { warm = AllocationLimit.account.pool.statistics.misses }
                if p == 0 || newPointEachTime {
                    try e.prepare(model: model, x: data.x, y: data.y, loss: .crossEntropy, withGradient: false)
                }
                try e.hvp(v, into: &out)
                let scale = Swift.max(out.map(abs).max() ?? 1, 1e-300)
                for i in v.indices { v[i] = out[i] / scale }
            }
        }
        #expect(warm > 0)
        // A part may now and then hold one more array of a size at once than in earlier
        // products (the two run concurrently); storage taken every product would add at least
        // one miss per product and tensor size, over 20 here.
        #expect(total - warm <= 2)
    }
}
