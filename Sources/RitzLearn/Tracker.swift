import Foundation
import RitzTensor

/// A quantity measured during training every `every` steps ("grad_norm", "sharpness", ...).
///
/// Trackers are made fresh for each run by the factory registered under their name in
/// ``TrackerRegistry``, so an instance may keep state of its own; ``TrackerState`` carries
/// what the trainer provides (step, learning rate, a seeded generator, a warm-start slot, the
/// shared forward pass on the measurement subset) and what the tracker reports back
/// (matrix-vector products, extra figures).
public protocol Tracker: AnyObject {
    /// Measures the quantity at the model's current parameters.
    ///
    /// - Parameters:
    ///   - model: The model being trained (its parameters must not be changed).
    ///   - data: The fixed measurement subset of the training data (at most `hessianBatch`
    ///     samples, the same for the whole run).
    ///   - state: This tracker's state for the run.
    /// - Returns: The value recorded for this step.
    /// - Throws: Any error; training stops with it.
    func measure(model: any Model, data: Dataset, state: TrackerState) throws -> Double
}

/// A tracker's per-run state.
public final class TrackerState {
    /// The name the tracker was requested by.
    public let name: String
    /// The loss being trained.
    public let loss: LossKind
    /// The step about to be taken (0 before the first update; the total at the end).
    public internal(set) var step = 0
    /// The optimizer's learning rate at this step.
    public internal(set) var lr = 0.0
    /// The optimizer training the model (its state must not be changed), for trackers that
    /// measure the step itself (the preconditioned sharpness).
    public let optimizer: Optimizer?
    /// A generator seeded from the run's seed and the tracker's name.
    public var rng: RandomGenerator
    /// Free slot for a warm start (e.g. the previous top Ritz vector).
    public var warmStart: [Double]?
    /// Products (Hessian-vector or similar) the tracker has used in total; trackers add to it.
    public var matvecs = 0
    /// Products used by the latest measurement; trackers set it.
    public var lastMatvecs = 0
    /// Extra named figures the tracker wants kept (e.g. a residual); recorded per row as
    /// `name.key` in the run.
    public var extras: [String: Double] = [:]

    let shared: SharedPass

    init(name: String, loss: LossKind, seed: UInt64, shared: SharedPass, optimizer: Optimizer? = nil) {
        self.name = name
        self.loss = loss
        self.optimizer = optimizer
        var h: UInt64 = 0xCBF2_9CE4_8422_2325   // FNV-1a of the name, mixed into the seed
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        self.rng = RandomGenerator(seed: seed ^ h)
        self.shared = shared
    }

    /// The forward pass of `model` on `data` at the current parameters, computed once per
    /// measurement step and shared by all trackers of the run (for Hessian-vector products,
    /// gradients and the loss on the measurement subset).
    ///
    /// - Parameters:
    ///   - model: The model.
    ///   - data: The measurement subset.
    /// - Returns: A prepared evaluation; valid until the next optimizer step.
    /// - Throws: `LearnError` when the data does not fit the model.
    public func evaluation(model: any Model, data: Dataset) throws -> any ModelEvaluation {
        try shared.prepared(model: model, data: data, loss: loss, step: step)
    }
}

/// The one forward pass on the measurement subset per step, shared by the trackers.
final class SharedPass {
    var evaluation: (any ModelEvaluation)?
    var preparedStep = -1

    func prepared(model: any Model, data: Dataset, loss: LossKind, step: Int) throws -> any ModelEvaluation {
        let e = evaluation ?? model.makeEvaluation(for: data)
        evaluation = e
        if preparedStep != step {
            try e.prepare(model: model, x: data.x, y: data.y, loss: loss, withGradient: false)
            preparedStep = step
        }
        return e
    }
}

/// Named tracker factories; the trainer resolves `track: [...]` names here.
///
/// The learning module registers "grad_norm"; other modules (curvature: "sharpness",
/// "trace") register theirs at start-up without touching the trainer. "weights" is built in
/// (a snapshot of the parameters, not a number).
public final class TrackerRegistry: @unchecked Sendable {
    /// The process-wide registry.
    public static let shared = TrackerRegistry()

    /// A registered tracker kind.
    public struct Entry: Sendable {
        /// The name used in `track=`.
        public let name: String
        /// One line for help texts.
        public let summary: String
        /// The stability bound its panel carries, if any (see ``RunLayout``).
        public let bound: StabilityBound?
        /// Makes a fresh tracker for a run.
        public let make: @Sendable () -> any Tracker
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    init() {
        register("grad_norm", summary: "2-norm of the gradient of the loss on the measurement subset") { GradNormTracker() }
    }

    /// Adds or replaces a tracker kind.
    ///
    /// - Parameters:
    ///   - name: The name used in `track=`.
    ///   - summary: One line for help texts.
    ///   - bound: The stability bound drawn with the quantity, if any.
    ///   - make: Factory called once per run.
    public func register(_ name: String, summary: String, bound: StabilityBound? = nil,
                         make: @escaping @Sendable () -> any Tracker) {
        lock.lock()
        entries[name] = Entry(name: name, summary: summary, bound: bound, make: make)
        lock.unlock()
    }

    /// The entry registered under `name`.
    ///
    /// - Parameters:
    ///   - name: A tracker name.
    /// - Returns: The entry, or nil.
    public func entry(_ name: String) -> Entry? {
        lock.lock()
        defer { lock.unlock() }
        return entries[name]
    }

    /// All names that `track=` accepts, sorted ("weights" included).
    public var names: [String] {
        lock.lock()
        defer { lock.unlock() }
        return (Array(entries.keys) + ["weights"]).sorted()
    }
}

/// ‖∇L‖₂ on the measurement subset.
final class GradNormTracker: Tracker {
    var g: [Double] = []

    func measure(model: any Model, data: Dataset, state: TrackerState) throws -> Double {
        let e = try state.evaluation(model: model, data: data)
        try e.gradient(into: &g)
        return g.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }
}
