import RitzTensor

extension Dataset {
    /// Splits the samples at random into a training and a test part.
    ///
    /// A permutation of the samples is drawn from the seeded generator (Fisher–Yates); the first
    /// round(frac·n) go to the training part, the rest to the test part, each in permuted order.
    ///
    /// - Parameters:
    ///   - frac: Fraction for training, in (0, 1).
    ///   - seed: Seed of the permutation.
    /// - Returns: `(train, test)`.
    /// - Throws: `LearnError.invalidArgument` when either part would be empty.
    public func split(frac: Double = 0.8, seed: UInt64 = 0) throws -> (train: Dataset, test: Dataset) {
        guard frac > 0, frac < 1 else { throw LearnError.invalidArgument("split fraction must be in (0, 1), got \(frac)") }
        let nTrain = Int((frac * Double(count)).rounded())
        guard nTrain >= 1, nTrain < count else {
            throw LearnError.invalidArgument("split(frac=\(frac)) of \(count) samples leaves one part empty")
        }
        var rng = RandomGenerator(seed: seed)
        let perm = rng.permutation(count)
        return (try subset(Array(perm[..<nTrain])), try subset(Array(perm[nTrain...])))
    }
}
