import Testing
@testable import RitzLearn
import RitzTensor

/// Digits layouts, the modular arithmetic task and the copy/reverse task: shapes, labels
/// recomputed from their definitions here, splits that are disjoint and covering, determinism
/// per seed, and clear errors for bad arguments. Everything is integer data, compared exactly.
@Suite struct AlgorithmicDatasetTests {
    // MARK: - Digits layouts

    /// The images and sequence layouts hold the flat pixels reshaped: the same samples, labels
    /// and order; the second image row of sample 0 is scikit-learn's `load_digits().images[0][1]`
    /// ([0, 0, 13, 15, 10, 15, 5, 0]), which pins the row-major reading.
    @Test func digitsLayoutsAreReshapesOfTheFlatImages() throws {
        let flat = try Dataset.digits()
        let images = try Dataset.digits(layout: .images), sequence = try Dataset.digits(layout: .sequence)
        #expect(images.x.shape == [1797, 1, 8, 8] && sequence.x.shape == [1797, 64, 1])
        #expect(images.x == (try flat.x.reshaped([1797, 1, 8, 8])))
        #expect(sequence.x == (try flat.x.reshaped([1797, 64, 1])))
        for d in [flat, images, sequence] {
            #expect(d.y == flat.y && d.y.dtype == .int64 && d.classes == 10 && d.count == 1797 && d.features == 64)
        }
        let row = try images.x.index([.at(0), .at(0), .at(1)])
        #expect(row.storage == [0, 0, 13, 15, 10, 15, 5, 0].map { $0 / 16 })
        #expect(throws: LearnError.self) { try DigitsLayout(name: "image") }
    }

    /// A split of the images takes the same samples as the same split of the flat images.
    @Test func splitsOfImagesMatchSplitsOfRows() throws {
        let (flatTrain, flatTest) = try Dataset.digits().split(frac: 0.8, seed: 3)
        let (train, test) = try Dataset.digits(layout: .images).split(frac: 0.8, seed: 3)
        #expect(train.x == (try flatTrain.x.reshaped([train.count, 1, 8, 8])) && train.y == flatTrain.y)
        #expect(test.x == (try flatTest.x.reshaped([test.count, 1, 8, 8])) && test.y == flatTest.y)
        #expect(train.x.dtype == .float64 && train.y.dtype == .int64)
    }

    /// An MLP needs rows: n-d inputs are refused with a message, not read as flat vectors (the
    /// minibatch path copies raw rows).
    @Test func theMLPTrainerRefusesImages() throws {
        let model = try MLP(sizes: [64, 10], activation: .tanh, seed: 0)
        let images = try Dataset.digits(layout: .images).subset(Array(0..<20))
        for batch in [0, 5] {
            #expect {
                try Trainer.train(model: model, data: images, optimizer: .sgd(lr: 0.1), steps: 1, batch: batch)
            } throws: { error in
                guard case let .shape(message) = error as? LearnError else { return false }
                return message.contains("samples of shape (1, 8, 8)")
            }
        }
    }

    /// Per-position labels with explicit classes, n-d inputs kept, a bad label named by sample.
    @Test func datasetsTakeAnySampleShape() throws {
        let x = try Tensor(shape: [3, 2, 2], storage: (0..<12).map(Double.init))
        let y = try Tensor(shape: [3, 2], storage: [0, 1, 2, 2, 1, 0])
        let d = try Dataset(x: x, y: y, classes: 3)
        #expect(d.sampleShape == [2, 2] && d.features == 4 && d.y.dtype == .int64 && d.y.shape == [3, 2])
        let s = try d.subset([2, 0])
        #expect(s.x.storage == [8, 9, 10, 11, 0, 1, 2, 3] && s.y.storage == [1, 0, 0, 1] && s.x.shape == [2, 2, 2])
        #expect(throws: ShapeError.self) { try d.subset([3]) }
        #expect(throws: LearnError.badLabel(index: 2, value: 3, classes: 3)) {
            try Dataset(x: x, y: try Tensor(shape: [3, 2], storage: [0, 1, 2, 2, 3, 0]), classes: 3)
        }
        #expect(throws: LearnError.self) { try Dataset(x: x, y: y, classes: -1) }
    }

    // MARK: - Modular arithmetic

    /// (a ∘ b) mod p by definition; division by search: the c with c·b ≡ a (mod p).
    static func expected(_ a: Int, _ b: Int, _ op: ModularOp, _ p: Int) -> Int {
        switch op {
        case .add: return (a + b) % p
        case .subtract: return ((a - b) % p + p) % p
        case .multiply: return (a * b) % p
        case .divide: return (0..<p).first { ($0 * b) % p == a } ?? -1
        }
    }

    struct ModularCase: CustomTestStringConvertible, Sendable {
        let p: Int, op: ModularOp
        var testDescription: String { "(a \(op.rawValue) b) mod \(p)" }
    }

    static let modularCases: [ModularCase] = [
        ModularCase(p: 7, op: .add), ModularCase(p: 6, op: .subtract), ModularCase(p: 10, op: .multiply),
        ModularCase(p: 11, op: .divide), ModularCase(p: 2, op: .divide), ModularCase(p: 97, op: .add),
    ]

    @Test(arguments: modularCases)
    func modularEquationsAreEveryPairOnce(_ c: ModularCase) throws {
        let (train, test) = try Dataset.modular(p: c.p, op: c.op, frac: 0.4, seed: 5)
        let pairs = c.op == .divide ? c.p * (c.p - 1) : c.p * c.p
        #expect(train.count == Int((0.4 * Double(pairs)).rounded()) && train.count + test.count == pairs)
        var seen = Set<[Int]>()
        for d in [train, test] {
            #expect(d.x.shape == [d.count, 4] && d.y.shape == [d.count] && d.classes == c.p)
            #expect(d.x.dtype == .int64 && d.y.dtype == .int64)
            for i in 0..<d.count {
                let t = (0..<4).map { Int(d.x.storage[4 * i + $0]) }
                #expect(t[1] == c.p && t[3] == c.p + 1)
                #expect((0..<c.p).contains(t[0]) && (0..<c.p).contains(t[2]))
                #expect(Int(d.y.storage[i]) == Self.expected(t[0], t[2], c.op, c.p))
                seen.insert([t[0], t[2]])
            }
        }
        // Disjoint and covering: as many distinct pairs as equations, every b ≠ 0 for division.
        #expect(seen.count == pairs)
        if c.op == .divide { #expect(!seen.contains { $0[1] == 0 }) }
    }

    @Test func modularSplitsAreDeterministicPerSeed() throws {
        let a = try Dataset.modular(p: 13, seed: 1), b = try Dataset.modular(p: 13, seed: 1)
        let c = try Dataset.modular(p: 13, seed: 2)
        #expect(a.train.x == b.train.x && a.test.y == b.test.y)
        #expect(a.train.x != c.train.x)
    }

    @Test func modularRefusesBadArguments() throws {
        #expect(throws: LearnError.self) { try Dataset.modular(p: 1) }
        #expect(throws: LearnError.self) { try Dataset.modular(p: -5) }
        #expect {
            try Dataset.modular(p: 91, op: .divide)
        } throws: { error in
            (error as? LearnError).map { "\($0)".contains("prime") && "\($0)".contains("91 = 7·13") } ?? false
        }
        #expect(throws: LearnError.self) { try Dataset.modular(p: 7, frac: 1) }
        #expect(throws: LearnError.self) { try ModularOp(name: "%") }
        // p² equations overflow Int: refused before anything is allocated.
        #expect(throws: TensorError.self) { try Dataset.modular(p: Int.max / 2) }
        try AllocationLimit.withLimit(bytes: 1 << 20) { () throws -> Void in
            // 1000² equations of 5 values are 40 MB, over a 1 MiB limit.
            #expect(throws: TensorError.self) { try Dataset.modular(p: 1000) }
        }
    }

    // MARK: - Copy and reverse

    struct SequenceCase: CustomTestStringConvertible, Sendable {
        let kind: SequenceTaskKind, n: Int, length: Int, vocab: Int
        var testDescription: String { "\(kind.rawValue) n=\(n) L=\(length) V=\(vocab)" }
    }

    static let sequenceCases: [SequenceCase] = [
        SequenceCase(kind: .copy, n: 300, length: 6, vocab: 10),
        SequenceCase(kind: .reverse, n: 300, length: 5, vocab: 5),
        // 4⁴ = 256 ≤ 2n + 1 sequences: the codes drawn as a permutation.
        SequenceCase(kind: .copy, n: 200, length: 4, vocab: 5),
        // Every one of the 2³ sequences, and one token long.
        SequenceCase(kind: .reverse, n: 8, length: 3, vocab: 3),
        SequenceCase(kind: .copy, n: 5, length: 1, vocab: 7),
        // (vocab−1)^length beyond Int: distinct by fingerprint.
        SequenceCase(kind: .reverse, n: 50, length: 40, vocab: 6000),
    ]

    @Test(arguments: sequenceCases)
    func sequencesAreSourceSeparatorShiftedTarget(_ c: SequenceCase) throws {
        let (train, test) = try Dataset.sequenceTask(kind: c.kind, n: c.n, length: c.length, vocab: c.vocab, frac: 0.75, seed: 4)
        let L = c.length
        #expect(train.count == Int((0.75 * Double(c.n)).rounded()) && train.count + test.count == c.n)
        var sources = Set<[Int]>()
        for d in [train, test] {
            #expect(d.x.shape == [d.count, 2 * L] && d.y.shape == [d.count, L] && d.classes == c.vocab)
            #expect(d.x.dtype == .int64 && d.y.dtype == .int64)
            for i in 0..<d.count {
                let x = (0..<(2 * L)).map { Int(d.x.storage[2 * L * i + $0]) }
                let y = (0..<L).map { Int(d.y.storage[L * i + $0]) }
                let s = Array(x[0..<L])
                #expect(s.allSatisfy { $0 >= 1 && $0 < c.vocab })
                #expect(y == (c.kind == .copy ? s : s.reversed()))
                #expect(x[L] == 0)
                #expect(Array(x[(L + 1)...]) == Array(y.dropLast()))
                sources.insert(s)
            }
        }
        // n distinct sequences: train and test share none.
        #expect(sources.count == c.n)
    }

    /// Tokens are uniform over 1…vocab−1: 16000 draws over 15 symbols, each count within 5σ of
    /// 16000/15 (σ = √(16000·(1/15)(14/15)) ≈ 31.6). Distinctness (among 15⁸ sequences) shifts
    /// the counts far less than σ.
    @Test func tokensAreUniform() throws {
        let (train, test) = try Dataset.sequenceTask(kind: .copy, n: 2000, length: 8, vocab: 16, seed: 9)
        var counts = [Int](repeating: 0, count: 16)
        for d in [train, test] { for t in d.y.storage { counts[Int(t)] += 1 } }
        #expect(counts[0] == 0)
        let mean = 16000.0 / 15, sigma = (16000.0 * (1.0 / 15) * (14.0 / 15)).squareRoot()
        for k in 1..<16 { #expect(abs(Double(counts[k]) - mean) < 5 * sigma, "token \(k): \(counts[k])") }
    }

    @Test func sequenceTasksAreDeterministicPerSeed() throws {
        let a = try Dataset.sequenceTask(kind: .reverse, n: 100, length: 5, vocab: 8, seed: 3)
        let b = try Dataset.sequenceTask(kind: .reverse, n: 100, length: 5, vocab: 8, seed: 3)
        let c = try Dataset.sequenceTask(kind: .reverse, n: 100, length: 5, vocab: 8, seed: 4)
        #expect(a.train.x == b.train.x && a.test.y == b.test.y)
        #expect(a.train.x != c.train.x)
    }

    @Test func sequenceTasksRefuseBadArguments() throws {
        func make(n: Int = 10, length: Int = 4, vocab: Int = 5, frac: Double = 0.8) throws {
            _ = try Dataset.sequenceTask(kind: .copy, n: n, length: length, vocab: vocab, frac: frac)
        }
        #expect(throws: LearnError.self) { try make(length: 0) }
        #expect(throws: LearnError.self) { try make(vocab: 2) }
        #expect(throws: LearnError.self) { try make(n: 1) }
        #expect(throws: LearnError.self) { try make(frac: 0) }
        // 2² = 4 distinct sequences of length 2 over 2 symbols: 5 cannot be distinct.
        #expect(throws: LearnError.self) { try make(n: 5, length: 2, vocab: 3) }
        #expect(throws: LearnError.self) { try SequenceTaskKind(name: "sort") }
        #expect(throws: TensorError.self) { try make(n: Int.max / 4, length: 8, vocab: 16) }
        try AllocationLimit.withLimit(bytes: 1 << 20) { () throws -> Void in
            #expect(throws: TensorError.self) { try make(n: 100_000, length: 8, vocab: 16) }
        }
    }
}
