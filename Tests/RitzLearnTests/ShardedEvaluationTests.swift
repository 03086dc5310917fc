import Foundation
import Testing
@testable import RitzLearn
import RitzTensor

/// Ranks of a data-parallel run simulated by threads of one process: each collective waits for
/// every rank, then hands each the same result (sums taken in rank order, as one reduction tree).
/// One rank computes at a time (a rank holds the lock except while it waits in a collective), as
/// the evaluations' scratch state and worker pool serve one caller at a time in a process.
final class SimulatedWorld: @unchecked Sendable {
    let size: Int
    private let condition = NSCondition()
    private var deposits: [[Double]]
    private var result: [Double] = []
    private var arrived = 0
    private var generation = 0

    init(size: Int) {
        self.size = size
        deposits = Array(repeating: [], count: size)
    }

    /// One collective: every rank deposits `values`; all receive `combine(deposits)`.
    /// Called on a rank's thread, which holds the lock (see ``run(_:)``).
    func exchange(rank: Int, _ values: inout [Double], combine: ([[Double]]) -> [Double]) {
        let mine = generation
        deposits[rank] = values
        arrived += 1
        if arrived == size {
            result = combine(deposits)
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while generation == mine { condition.wait() }
        }
        // The next collective cannot finish before this rank deposits again, so `result` is still this one's.
        values = result
    }

    /// Runs `body(rank, communicator)` on `size` threads at once and returns each rank's result.
    func run<T: Sendable>(_ body: @escaping @Sendable (Int, any Communicator) throws -> T) throws -> [T] {
        let results = ResultBox<T>(size)
        let group = DispatchGroup()
        for rank in 0..<size {
            group.enter()
            let thread = Thread {
                self.condition.lock()
                let result = Result { try body(rank, SimulatedRank(rank: rank, world: self)) }
                self.condition.unlock()
                results.set(rank, result)
                group.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
        return try results.values()
    }
}

private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<T, any Error>?]
    init(_ n: Int) { slots = Array(repeating: nil, count: n) }
    func set(_ i: Int, _ r: Result<T, any Error>) { lock.lock(); slots[i] = r; lock.unlock() }
    func values() throws -> [T] { try slots.map { try ($0 ?? .failure(LearnError.invalidArgument("rank did not finish"))).get() } }
}

/// One simulated rank.
final class SimulatedRank: Communicator {
    let rank: Int
    let world: SimulatedWorld
    init(rank: Int, world: SimulatedWorld) {
        self.rank = rank
        self.world = world
    }
    var size: Int { world.size }
    var library: String { "threads" }
    func allreduceSum(_ values: inout [Double]) {
        world.exchange(rank: rank, &values) { all in
            var sum = all[0]
            for part in all.dropFirst() { for i in sum.indices { sum[i] += part[i] } }
            return sum
        }
    }
    func broadcast(_ values: inout [Double], root: Int) { world.exchange(rank: rank, &values) { $0[root] } }
    func barrier() {
        var none: [Double] = []
        world.exchange(rank: rank, &none) { _ in [] }
    }
    func agree(failed: Bool, within seconds: Double?) -> Agreement? {
        var v = [Double(failed ? rank : size)]
        world.exchange(rank: rank, &v) { all in [all.map { $0[0] }.min() ?? 0] }
        return Int(v[0]) >= size ? .allSucceeded : .failed(lowest: Int(v[0]))
    }
    func abort(code: Int32) -> Never { preconditionFailure("a simulated rank aborted with \(code)") }
}

/// Everything one evaluation reports on a batch, for comparing a sharded evaluation with a whole one.
struct EvaluationReport: Sendable {
    var loss = 0.0, accuracy: Double?
    var gradient: [Double] = [], hvp: [Double] = [], ggnvp: [Double] = []
    var jvp: [Double] = [], vjp: [Double] = [], outputs: [Double] = []

    /// Prepares the batch (`rows` nil: the whole data set) and takes every product at `v` and `u`.
    static func of(_ e: any ModelEvaluation, model: any Model, data: Dataset, rows: [Int]?, v: [Double], u: [Double]) throws -> Self {
        if let rows {
            try e.prepare(model: model, data: data, rows: rows[...], loss: data.defaultLoss, withGradient: true)
        } else {
            try e.prepare(model: model, x: data.x, y: data.y, loss: data.defaultLoss, withGradient: true)
        }
        var r = EvaluationReport(loss: e.loss, accuracy: e.accuracy)
        try e.gradient(into: &r.gradient)
        try e.hvp(v, into: &r.hvp)
        try e.ggnvp(v, into: &r.ggnvp)
        r.jvp = try e.outputJVP(v)
        r.vjp = try e.outputVJP(Array(u.prefix(r.jvp.count)))
        r.outputs = try e.outputs().storage
        return r
    }

    /// The largest of each field's ‖a − b‖∞ / ‖a‖∞.
    func relativeDifference(_ other: Self) -> Double { fieldDifferences(other).map(\.1).max() ?? 0 }

    /// Each field's ‖a − b‖∞ / ‖a‖∞.
    func fieldDifferences(_ other: Self) -> [(String, Double)] {
        func rel(_ a: [Double], _ b: [Double]) -> Double {
            guard a.count == b.count else { return .infinity }
            let scale = a.map(abs).max() ?? 0
            let diff = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            return scale > 0 ? diff / scale : diff
        }
        let acc = (accuracy == nil) == (other.accuracy == nil) ? rel([accuracy ?? 0], [other.accuracy ?? 0]) : .infinity
        return [("loss", rel([loss], [other.loss])), ("accuracy", acc), ("gradient", rel(gradient, other.gradient)),
                ("hvp", rel(hvp, other.hvp)), ("ggnvp", rel(ggnvp, other.ggnvp)), ("jvp", rel(jvp, other.jvp)),
                ("vjp", rel(vjp, other.vjp)), ("outputs", rel(outputs, other.outputs))]
    }
}

@Suite struct ShardedEvaluationTests {
    @Test(arguments: [1, 2, 3, 5])
    func sharesCoverEveryItemOnceAndDifferByAtMostOne(size: Int) {
        for count in 0...23 {
            let shares = (0..<size).map { shareRange(count: count, rank: $0, size: size) }
            #expect(shares.flatMap { Array($0) } == Array(0..<count))
            let lengths = shares.map(\.count)
            #expect((lengths.max() ?? 0) - (lengths.min() ?? 0) <= 1)
            #expect(lengths == lengths.sorted(by: >))  // the extra items go to the first ranks
        }
        #expect(shareRange(count: 5, rank: size, size: size).isEmpty)
        #expect(shareRange(count: -3, rank: 0, size: size).isEmpty)
    }

    /// A batch split among simulated ranks gives the whole batch's loss, accuracy, gradient, H v,
    /// G v, J v, Jᵀ u and outputs on every rank, identical across ranks. Tolerance 1e-12 relative
    /// (in ‖·‖∞ of each result): the sums differ only in order, an error of a few ulps times the
    /// number of partial sums for these well-scaled quantities (seen: ~1e-15).
    @Test(arguments: [(2, nil), (3, nil), (3, 37), (4, 3), (5, 2)] as [(Int, Int?)])
    func shardedEvaluationEqualsTheWholeBatch(ranks: Int, batch: Int?) throws {
        let data = try Dataset.moons(n: 101, noise: 0.2, seed: 4)
        let model = try MLP(sizes: [2, 7, 2], activation: .tanh, seed: 5)
        var rng = RandomGenerator(seed: 9)
        let v = (0..<model.parameterCount).map { _ in rng.normal() }
        let u = (0..<(2 * data.count)).map { _ in rng.normal() }
        let rows = batch.map { Array(rng.permutation(data.count).prefix($0)) }
        let whole = try EvaluationReport.of(model.makeEvaluation(), model: model, data: data, rows: rows, v: v, u: u)
        let reports = try SimulatedWorld(size: ranks).run { _, comm in
            let m = try MLP(sizes: [2, 7, 2], activation: .tanh, seed: 5)
            let e = m.makeEvaluation(for: data, communicator: comm)
            #expect(e is ShardedEvaluation)
            return try EvaluationReport.of(e, model: m, data: data, rows: rows, v: v, u: u)
        }
        for report in reports {
            #expect(report.relativeDifference(whole) <= 1e-12, "\(report.fieldDifferences(whole))")
            #expect(report.relativeDifference(reports[0]) == 0)
        }
    }

    @Test func unshardedDataAndOneRankUseTheModelsOwnEvaluation() throws {
        let data = try Dataset.moons(n: 10, noise: 0.2, seed: 4)
        let model = try MLP(sizes: [2, 3, 2], seed: 1)
        let two = try SimulatedWorld(size: 2).run { _, comm in
            try MLP(sizes: [2, 3, 2], seed: 1).makeEvaluation(for: data.sharding(false), communicator: comm) is ShardedEvaluation
        }
        #expect(two == [false, false])
        #expect(!(model.makeEvaluation(for: data, communicator: SingleProcess()) is ShardedEvaluation))
        #expect(try data.subset([1, 2]).sharded && !(try data.sharding(false).subset([1, 2]).sharded))
        #expect(try data.split(frac: 0.5, seed: 0).train.sharded)
    }
}
