import Foundation

/// The history of one training run.
///
/// One row is recorded before the update of every step that is a multiple of `every` and one
/// after the last step: the step number, the mean training loss and accuracy on all training
/// data at that point, the test loss and accuracy (NaN without a test set), the learning rate
/// and every tracked value. All arrays are aligned with ``steps``.
public final class Run {
    /// Why training ended.
    public enum Stop: Sendable, Equatable {
        /// All steps were taken.
        case completed
        /// The cancellation check returned true before this step.
        case cancelled(step: Int)
        /// The loss became NaN or infinite at this step.
        case diverged(step: Int)
    }

    /// Steps at which rows were recorded.
    public internal(set) var steps: [Int] = []
    /// Mean training loss per row.
    public internal(set) var loss: [Double] = []
    /// Training accuracy per row (NaN for regression).
    public internal(set) var accuracy: [Double] = []
    /// Test loss per row (NaN without a test set).
    public internal(set) var testLoss: [Double] = []
    /// Test accuracy per row (NaN without a test set or for regression).
    public internal(set) var testAccuracy: [Double] = []
    /// Learning rate per row.
    public internal(set) var lr: [Double] = []
    /// Wall-clock seconds spent in training steps (forward pass, gradient and update) before
    /// each row, leaving out the recording of rows and the trackers' measurements: the time
    /// axis on which optimizers are compared. It depends on the machine and its load.
    public internal(set) var seconds: [Double] = []
    /// Tracked numbers per row, by name (including trackers' extras as `name.key`).
    public internal(set) var tracked: [String: [Double]] = [:]
    /// Names of the tracked numbers in the order requested.
    public internal(set) var trackedNames: [String] = []
    /// Parameter snapshots per row when "weights" is tracked.
    public internal(set) var weights: [[Double]] = []
    /// Loss of each step's (mini)batch, before its update.
    public internal(set) var batchLoss: [Double] = []
    /// How training ended.
    public internal(set) var stop: Stop = .completed
    /// A sentence for the user when training did not complete (NaN loss, cancellation).
    public internal(set) var message: String?
    /// Updates actually taken.
    public internal(set) var stepsTaken = 0
    /// Steps requested.
    public let totalSteps: Int
    /// Minibatch size (0 = full batch).
    public let batch: Int
    /// Seed of the run.
    public let seed: UInt64
    /// The optimizer's name.
    public let optimizer: String
    /// The optimizer's linear-stability thresholds, by the bound of the tracked quantity drawn
    /// against each; a bound the optimizer has no threshold for is absent (sharpness under Adam).
    public let thresholds: [StabilityBound: StabilityThreshold]
    /// Products used by trackers in total, by tracker name.
    public internal(set) var trackerMatvecs: [String: Int] = [:]
    /// Hessian-vector products used by the optimizer (adahessian).
    public internal(set) var optimizerHessianProducts = 0

    init(totalSteps: Int, batch: Int, seed: UInt64, optimizer: String, thresholds: [StabilityBound: StabilityThreshold]) {
        self.totalSteps = totalSteps
        self.batch = batch
        self.seed = seed
        self.optimizer = optimizer
        self.thresholds = thresholds
    }

    /// The tracked series `name`, if recorded.
    ///
    /// - Parameters:
    ///   - name: A tracker name (or `name.key` for an extra).
    /// - Returns: One value per row, or nil.
    public func series(_ name: String) -> [Double]? { tracked[name] }

    /// A one-line description: steps, final loss and accuracy, and how it ended.
    public func summary() -> String {
        var s = "run: \(stepsTaken)/\(totalSteps) steps of \(optimizer)"
        if let l = loss.last { s += ", loss \(formatFigure(l))" }
        if let a = accuracy.last, !a.isNaN { s += ", acc \(formatFigure(a))" }
        if let t = testLoss.last, !t.isNaN { s += ", test_loss \(formatFigure(t))" }
        switch stop {
        case .completed: break
        case let .cancelled(step): s += " (interrupted at step \(step))"
        case let .diverged(step): s += " (diverged at step \(step))"
        }
        return s
    }
}

/// Four significant digits (`%.4g`), as in progress lines and messages.
func formatFigure(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    return String(format: "%.4g", x)
}
