import RitzTensor

extension Model {
    /// A new evaluation for batches of `data`: the model's own, or under a data-parallel run
    /// (``World/size`` > 1) and for sharded data, one that splits every batch among the ranks
    /// and reduces across them (``ShardedEvaluation``).
    ///
    /// - Parameters:
    ///   - data: The data set the batches come from (its ``Dataset/sharded`` decides).
    /// - Returns: An evaluation whose loss, accuracy, gradient and products are those of the
    ///   whole batch on every rank.
    public func makeEvaluation(for data: Dataset) -> any ModelEvaluation {
        makeEvaluation(for: data, communicator: World.communicator)
    }

    /// ``makeEvaluation(for:)`` with an explicit communicator (tests use several ranks' worth).
    public func makeEvaluation(for data: Dataset, communicator: any Communicator) -> any ModelEvaluation {
        guard data.sharded, communicator.size > 1 else { return makeEvaluation() }
        return ShardedEvaluation(inner: makeEvaluation(), communicator: communicator)
    }
}

/// A model evaluation split among the ranks of a data-parallel run.
///
/// Each prepared batch of `n` rows (the whole data set, or a minibatch's rows) is cut into
/// contiguous shares (``shareRange(count:rank:size:)``); each rank prepares its share with the
/// model's own evaluation and every result is the allreduce of the shares' weighted sums:
///
/// * loss = Σ_r n_r ℓ_r / n and accuracy = Σ_r n_r a_r / n (each rank's mean over its rows);
/// * gradient, H v, G v = Σ_r (n_r / n) · (the share's mean-loss product), one allreduce of P
///   doubles each;
/// * outputs, J v (example-major) are each share's rows placed at its offset in a zero vector and
///   summed (exact: every entry has one nonzero summand); Jᵀ u = Σ_r J_rᵀ u_r.
///
/// The means divide by the global count `n`, so the numbers equal the single-process ones up to
/// the order of additions (a relative difference of a few ulps times the condition of the sum).
public final class ShardedEvaluation: ModelEvaluation {
    private let inner: any ModelEvaluation
    private let communicator: any Communicator
    /// Rows of the whole batch.
    public private(set) var count = 0
    /// This rank's rows of the batch.
    public private(set) var localRows = 0..<0
    public private(set) var loss = Double.nan
    public private(set) var accuracy: Double?
    private var parameterCount = 0

    /// Wraps `inner` (a fresh evaluation of the model) for the ranks of `communicator`.
    public init(inner: any ModelEvaluation, communicator: any Communicator) {
        self.inner = inner
        self.communicator = communicator
    }

    public var products: Int { inner.products }

    private var weight: Double { count == 0 ? 0 : Double(localRows.count) / Double(count) }

    public func prepare(model: any Model, x: Tensor, y: Tensor?, loss: LossKind, withGradient: Bool) throws {
        guard x.ndim >= 1 else { throw LearnError.shape("data inputs need one sample per row, got a 0-d value") }
        begin(model: model, rows: x.shape[0])
        if !localRows.isEmpty {
            let rows = [IndexItem.slice(start: localRows.lowerBound, stop: localRows.upperBound, step: nil)]
            try inner.prepare(model: model, x: try x.index(rows), y: try y?.index(rows), loss: loss, withGradient: withGradient)
        }
        reduceMeans()
    }

    public func prepare(model: any Model, data: Dataset, rows: ArraySlice<Int>, loss: LossKind, withGradient: Bool) throws {
        begin(model: model, rows: rows.count)
        if !localRows.isEmpty {
            let first = rows.startIndex + localRows.lowerBound
            try inner.prepare(model: model, data: data, rows: rows[first..<(first + localRows.count)], loss: loss,
                              withGradient: withGradient)
        }
        reduceMeans()
    }

    private func begin(model: any Model, rows: Int) {
        count = rows
        localRows = shareRange(count: rows, rank: communicator.rank, size: communicator.size)
        parameterCount = model.parameterCount
    }

    /// loss and accuracy: one allreduce of [n_r ℓ_r, n_r a_r, n_r if a_r exists, n_r].
    private func reduceMeans() {
        let n = Double(localRows.count)
        let acc = localRows.isEmpty ? nil : inner.accuracy
        var sums = [localRows.isEmpty ? 0 : n * inner.loss, n * (acc ?? 0), acc == nil ? 0 : n, n]
        communicator.allreduceSum(&sums)
        loss = sums[3] > 0 ? sums[0] / sums[3] : .nan
        accuracy = sums[2] > 0 ? sums[1] / sums[2] : nil
    }

    /// Σ_r (n_r / n) · `local` (zeros on a rank without rows), on every rank.
    private func reducedMean(_ local: ([Double], inout [Double]) throws -> Void, _ v: [Double], into out: inout [Double]) throws {
        if localRows.isEmpty {
            out = [Double](repeating: 0, count: parameterCount)
        } else {
            try local(v, &out)
            let w = weight
            for i in out.indices { out[i] *= w }
        }
        communicator.allreduceSum(&out)
    }

    public func gradient(into out: inout [Double]) throws {
        try reducedMean({ _, o in try inner.gradient(into: &o) }, [], into: &out)
    }

    public func hvp(_ v: [Double], into out: inout [Double]) throws {
        try reducedMean({ v, o in try inner.hvp(v, into: &o) }, v, into: &out)
    }

    public func ggnvp(_ v: [Double], into out: inout [Double]) throws {
        try reducedMean({ v, o in try inner.ggnvp(v, into: &o) }, v, into: &out)
    }

    /// Values per example of the outputs (the same on every rank).
    private func outputsPerExample(localCount: Int) throws -> Int {
        var total = [Double(localCount)]
        communicator.allreduceSum(&total)
        let all = Int(total[0])
        guard count > 0, all % count == 0 else {
            throw LearnError.shape("the ranks' outputs (\(all) values) do not split into \(count) examples")
        }
        return all / count
    }

    /// Each rank's example-major block placed at its offset and summed: the whole vector on every rank.
    private func gathered(_ local: [Double]) throws -> [Double] {
        let per = try outputsPerExample(localCount: local.count)
        var all = [Double](repeating: 0, count: per * count)
        let offset = localRows.lowerBound * per
        for (i, value) in local.enumerated() { all[offset + i] = value }
        communicator.allreduceSum(&all)
        return all
    }

    public func outputs() throws -> Tensor {
        let local = localRows.isEmpty ? nil : try inner.outputs()
        let all = try gathered(local?.storage ?? [])
        var shape = local?.shape ?? [count]
        // Every rank must agree on the sample shape; a rank without rows learns it from the count.
        if local == nil || shape.isEmpty { shape = [count, all.count / max(count, 1)] } else { shape[0] = count }
        return try Tensor(shape: shape, storage: all)
    }

    public func outputJVP(_ v: [Double]) throws -> [Double] {
        try gathered(localRows.isEmpty ? [] : try inner.outputJVP(v))
    }

    public func outputVJP(_ u: [Double]) throws -> [Double] {
        let per = try outputsPerExample(localCount: localRows.isEmpty ? 0 : try inner.outputs().count)
        guard u.count == per * count else {
            throw LearnError.shape("Jᵀ u needs one value per output (\(per * count)), got \(u.count)")
        }
        var out: [Double]
        if localRows.isEmpty {
            out = [Double](repeating: 0, count: parameterCount)
        } else {
            out = try inner.outputVJP(Array(u[(localRows.lowerBound * per)..<(localRows.upperBound * per)]))
        }
        communicator.allreduceSum(&out)
        return out
    }
}
