import RitzTensor

/// The operation `∘` of a modular arithmetic data set.
public enum ModularOp: String, Sendable, CaseIterable {
    case add = "+"
    case subtract = "-"
    case multiply = "*"
    /// a / b = a · b⁻¹ mod p, for b ≠ 0 and p prime.
    case divide = "/"

    /// Parses "+", "-", "*" or "/".
    ///
    /// - Parameters:
    ///   - name: The operation's symbol.
    /// - Throws: `LearnError.invalidArgument` for another symbol.
    public init(name: String) throws {
        guard let op = ModularOp(rawValue: name) else {
            let known = ModularOp.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw LearnError.invalidArgument("unknown modular operation \"\(name)\"; expected one of \(known)")
        }
        self = op
    }
}

/// The task of a ``Dataset/sequenceTask(kind:n:length:vocab:frac:seed:)`` data set.
public enum SequenceTaskKind: String, Sendable, CaseIterable {
    /// The output repeats the input sequence.
    case copy
    /// The output is the input sequence backwards.
    case reverse

    /// Parses "copy" or "reverse".
    ///
    /// - Parameters:
    ///   - name: The task's name.
    /// - Throws: `LearnError.invalidArgument` for another name.
    public init(name: String) throws {
        guard let kind = SequenceTaskKind(rawValue: name) else {
            let known = SequenceTaskKind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw LearnError.invalidArgument("unknown sequence task \"\(name)\"; expected one of \(known)")
        }
        self = kind
    }
}

/// Algorithmic token tasks for sequence models, generated exactly (modular arithmetic) or from a
/// seed (copy and reverse); inputs are int64 token ids, labels int64.
extension Dataset {
    /// The modular arithmetic task of Power et al. (2022, "Grokking: Generalization beyond
    /// overfitting on small algorithmic datasets"): every equation a ∘ b = c mod p, split at random.
    ///
    /// Each sample is the four tokens [a, ∘, b, =] of the paper's equations: the operands are their
    /// own ids 0…p−1, `∘` is token p and `=` token p+1, so the vocabulary has p+2 tokens; the
    /// label is c = (a ∘ b) mod p (classes = p). A causal transformer reads the answer at the
    /// last position, `=`, which has attended to both operands. Pairs run over a, b in 0…p−1
    /// (b ≠ 0 for "/", where a / b = a·b⁻¹ mod p and p must be prime), a-major; `frac` of them
    /// go to training by ``split(frac:seed:)`` with `seed`.
    ///
    /// - Parameters:
    ///   - p: The modulus, at least 2.
    ///   - op: The operation.
    ///   - frac: Fraction of the equations for training, in (0, 1).
    ///   - seed: Seed of the split.
    /// - Returns: `(train, test)`, x `[N, 4]` and y `[N]`.
    /// - Throws: `LearnError.invalidArgument` for p < 2, a composite p with "/", or a split that
    ///   leaves a part empty; `TensorError.tooLarge`/`.memoryLimit` past the memory limit.
    public static func modular(p: Int, op: ModularOp = .add, frac: Double = 0.5,
                               seed: UInt64 = 0) throws -> (train: Dataset, test: Dataset) {
        guard p >= 2 else { throw LearnError.invalidArgument("modular needs a modulus p ≥ 2, got \(p)") }
        let firstB = op == .divide ? 1 : 0
        let n = try Tensor.shapeProduct([p, p - firstB])
        _ = try Tensor.elementCount([n, 5])   // x holds 4 tokens per equation, y one label
        if op == .divide, let factor = smallestFactor(p) {
            throw LearnError.invalidArgument("modular division needs a prime modulus (b⁻¹ mod p exists for every b ≠ 0 only then); \(p) = \(factor)·\(p / factor)")
        }
        var xs = [Double](), ys = [Double]()
        xs.reserveCapacity(4 * n)
        ys.reserveCapacity(n)
        for a in 0..<p {
            for b in firstB..<p {
                let c: Int
                switch op {
                case .add: c = (a + b) % p
                case .subtract: c = (a - b + p) % p
                case .multiply: c = a * b % p
                case .divide: c = a * inverse(b, modulo: p) % p
                }
                xs += [Double(a), Double(p), Double(b), Double(p + 1)]
                ys.append(Double(c))
            }
        }
        let all = Dataset(unchecked: try Tensor(shape: [n, 4], storage: xs, dtype: .int64),
                          y: try Tensor(shape: [n], storage: ys, dtype: .int64), classes: p,
                          name: "modular (a \(op.rawValue) b) mod \(p)")
        return try all.split(frac: frac, seed: seed)
    }

    /// Copy or reverse a random sequence, with per-position targets for a causal model.
    ///
    /// Draws n distinct sequences s of `length` symbols, uniform in 1…vocab−1 (token 0 is the
    /// separator); the target t is s (copy) or s backwards (reverse). Each input is
    /// [s₀ … s_{L−1}, 0, t₀ … t_{L−2}] (length 2L, teacher forcing) and the label row is
    /// t₀ … t_{L−1}: the outputs at positions L … 2L−1 (from the separator on) predict it, each
    /// having seen all of s and the targets before it, so a causal transformer can learn either
    /// task; `cross_entropy(logits[:, L:, :], y)` averages over the positions. Distinct sequences
    /// keep the test part unseen in training. `frac` of them go to training by
    /// ``split(frac:seed:)``.
    ///
    /// - Parameters:
    ///   - kind: Copy or reverse.
    ///   - n: Number of sequences, at least 2 and at most (vocab−1)^length.
    ///   - length: Sequence length L ≥ 1.
    ///   - vocab: Vocabulary size, separator included, at least 3.
    ///   - frac: Fraction for training, in (0, 1).
    ///   - seed: Seed of the sequences (and, mixed, of the split).
    /// - Returns: `(train, test)`, x `[N, 2L]`, y `[N, L]`, classes = vocab.
    /// - Throws: `LearnError.invalidArgument` for bad arguments; `TensorError.tooLarge` or
    ///   `.memoryLimit` past the memory limit.
    public static func sequenceTask(kind: SequenceTaskKind, n: Int, length: Int, vocab: Int, frac: Double = 0.8,
                                    seed: UInt64 = 0) throws -> (train: Dataset, test: Dataset) {
        guard length >= 1 else { throw LearnError.invalidArgument("sequence_task needs length ≥ 1, got \(length)") }
        guard vocab >= 3 else {
            throw LearnError.invalidArgument("sequence_task needs vocab ≥ 3 (the separator 0 and at least two symbols), got \(vocab)")
        }
        guard Double(vocab) <= DType.exactIntegerLimit else {
            throw LearnError.invalidArgument("sequence_task needs vocab ≤ 2^53 (token ids are exact int64 values), got \(vocab)")
        }
        try checkCount(n, minimum: 2, "sequence_task")
        _ = try Tensor.elementCount([n, length, 3])   // x holds 2L tokens per sequence, y L labels
        let symbols = vocab - 1
        // (vocab−1)^length distinct sequences; nil when beyond Int.
        var distinct: Int? = 1
        for _ in 0..<length {
            guard let d = distinct else { break }
            let (q, overflow) = d.multipliedReportingOverflow(by: symbols)
            distinct = overflow ? nil : q
        }
        if let distinct, n > distinct {
            throw LearnError.invalidArgument("sequence_task: only \(distinct) distinct sequences of length \(length) over \(symbols) symbols, fewer than n = \(n)")
        }
        var rng = RandomGenerator(seed: seed)
        let symbolsOf = try distinctSequences(n, length: length, symbols: symbols, distinct: distinct, rng: &rng)
        let width = 2 * length
        var xs = [Double](repeating: 0, count: n * width), ys = [Double](repeating: 0, count: n * length)
        for r in 0..<n {
            for j in 0..<length {
                let t = symbolsOf[r * length + (kind == .copy ? j : length - 1 - j)]
                xs[r * width + j] = Double(symbolsOf[r * length + j])
                if j < length - 1 { xs[r * width + length + 1 + j] = Double(t) }
                ys[r * length + j] = Double(t)
            }
        }
        let all = Dataset(unchecked: try Tensor(shape: [n, width], storage: xs, dtype: .int64),
                          y: try Tensor(shape: [n, length], storage: ys, dtype: .int64), classes: vocab, name: kind.rawValue)
        return try all.split(frac: frac, seed: seed ^ 0x5350_4C49_5453_4551)
    }

    /// n distinct sequences of symbols 1…`symbols`, a uniformly random n-subset in random order,
    /// row-major in one array (`n × length`).
    ///
    /// When there are at most 2n + 1 sequences in all, the first n of a random permutation of
    /// their codes (base-`symbols` numbers); otherwise uniform draws, a draw seen before (by its
    /// exact code, or a 64-bit fingerprint when the codes do not fit an Int) drawn again: each is
    /// accepted with probability ≥ ½, so fewer than 2n draws are expected.
    static func distinctSequences(_ n: Int, length: Int, symbols: Int, distinct: Int?,
                                  rng: inout RandomGenerator) throws -> [Int] {
        try AllocationLimit.checkUntracked(bytes: n &* length &* MemoryLayout<Int>.size)
        var out = [Int]()
        out.reserveCapacity(n * length)
        if let distinct, distinct / 2 <= n {
            try AllocationLimit.checkUntracked(bytes: distinct &* MemoryLayout<Int>.size)
            for code in rng.permutation(distinct).prefix(n) {
                var rest = code
                let start = out.count
                out += repeatElement(0, count: length)
                for j in stride(from: length - 1, through: 0, by: -1) {
                    out[start + j] = 1 + rest % symbols
                    rest /= symbols
                }
            }
            return out
        }
        try AllocationLimit.checkUntracked(bytes: n &* 2 &* MemoryLayout<UInt64>.size)
        var seen = Set<UInt64>(minimumCapacity: n)
        var draw = [Int](repeating: 0, count: length)
        while out.count < n * length {
            for j in 0..<length { draw[j] = 1 + rng.int(below: symbols) }
            // The exact code when (vocab−1)^length fits an Int, else an FNV-1a fingerprint: a
            // collision only draws again, so the accepted sequences stay distinct.
            var key: UInt64
            if distinct != nil {
                key = UInt64(draw.reduce(0) { $0 * symbols + ($1 - 1) })
            } else {
                key = 0xCBF2_9CE4_8422_2325
                for t in draw { key = (key ^ UInt64(t)) &* 0x0000_0100_0000_01B3 }
            }
            if seen.insert(key).inserted { out += draw }
        }
        return out
    }

    /// The smallest prime factor of p ≥ 2 when p is composite, else nil (trial division to √p).
    static func smallestFactor(_ p: Int) -> Int? {
        var f = 2
        while f <= p / f {
            if p % f == 0 { return f }
            f += 1
        }
        return nil
    }

    /// b⁻¹ mod p for gcd(b, p) = 1, by the extended Euclidean algorithm (Knuth, TAOCP 4.5.2).
    static func inverse(_ b: Int, modulo p: Int) -> Int {
        var (r0, r1) = (p, b % p), (t0, t1) = (0, 1)
        while r1 != 0 {
            let q = r0 / r1
            (r0, r1) = (r1, r0 - q * r1)
            (t0, t1) = (t1, t0 - q * t1)
        }
        return (t0 % p + p) % p
    }
}
