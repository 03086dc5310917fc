import RitzTensor

/// A supervised data set: inputs `x` with the samples along the first axis, and targets `y`.
///
/// Inputs are `samples × features`, or any per-sample shape (images `[N, C, H, W]`, sequences
/// `[N, L, features]`, token ids `[N, L]`). For classification `y` holds int64 labels in
/// `0..<classes`, one per sample (`[N]`) or one per position (`[N, L]`), and ``classes`` is the
/// number of classes; for regression `y` is `samples × outputs` and ``classes`` is 0.
public struct Dataset: Sendable {
    /// Inputs, one sample per index of the first axis: float64, or int64 for token ids.
    public let x: Tensor
    /// Labels (int64, `[N]` or `[N, …]`) or regression targets (float64, `[N, outputs]`).
    public let y: Tensor
    /// Number of classes, 0 for regression.
    public let classes: Int
    /// A short name for display ("moons", "digits", ...).
    public let name: String
    /// Whether a data-parallel run splits passes over this data among its ranks (the default);
    /// false evaluates it whole on every rank. Every rank holds the whole data set either way,
    /// so selecting, splitting and indexing it are the same as in one process.
    public var sharded = true

    /// Wraps inputs and targets.
    ///
    /// - Parameters:
    ///   - x: Samples along the first axis (a 1-d tensor is taken as one feature per sample);
    ///     int64 inputs (token ids) stay int64, booleans become float64.
    ///   - y: Labels or targets with one row per sample.
    ///   - classes: Number of classes; nil infers it from 1-d integer labels (max + 1) and takes
    ///     anything else as regression targets; 0 marks regression targets. Given explicitly,
    ///     labels may have any shape `[N, …]` (one label per position).
    ///   - name: Display name.
    /// - Throws: `LearnError.shape` when the row counts differ, `LearnError.badLabel` for a label
    ///   that is not an integer in `0..<classes`, `LearnError.invalidArgument` for negative
    ///   `classes` or complex data.
    public init(x: Tensor, y: Tensor, classes: Int? = nil, name: String = "data") throws {
        guard !x.isComplex, !y.isComplex else { throw LearnError.invalidArgument("data inputs and targets must be real, not complex") }
        if let classes, classes < 0 { throw LearnError.invalidArgument("classes must be ≥ 0 (0 for regression), got \(classes)") }
        let xr = x.dtype == .int64 ? x : try x.asFloat(), yf = try y.asFloat()
        let x2 = xr.ndim == 1 ? try xr.reshaped([xr.count, 1]) : xr
        guard x2.ndim >= 2 else {
            throw LearnError.shape("data inputs need one sample per row (samples × features), got a 0-d value")
        }
        guard yf.ndim >= 1, yf.shape[0] == x2.shape[0] else {
            throw LearnError.shape("\(x2.shape[0]) samples but targets of shape \(formatShape(y.shape))")
        }
        var k = classes ?? 0
        if classes == nil, yf.ndim == 1 {
            let integral = yf.storage.allSatisfy { $0 >= 0 && $0.rounded() == $0 && $0 < 1e9 }
            k = integral ? Int(yf.storage.max() ?? 0) + 1 : 0
        }
        if k > 0 {
            let perSample = Swift.max(1, yf.count / Swift.max(1, yf.shape[0]))
            for (i, v) in yf.storage.enumerated() where !(v >= 0 && v < Double(k) && v.rounded() == v) {
                throw LearnError.badLabel(index: i / perSample, value: v, classes: k)
            }
        }
        self.x = x2
        self.y = k > 0 ? try yf.asInt64() : yf.ndim == 1 ? try yf.reshaped([yf.count, 1]) : yf
        self.classes = k
        self.name = name
    }

    /// Internal initialiser for generators that build consistent data.
    init(unchecked x: Tensor, y: Tensor, classes: Int, name: String) {
        self.x = x
        self.y = y
        self.classes = classes
        self.name = name
    }

    /// Number of samples.
    public var count: Int { x.shape[0] }
    /// Number of input values per sample: the product of the sample shape (the width of a row
    /// of `samples × features` inputs).
    public var features: Int { x.shape.dropFirst().reduce(1, *) }
    /// The shape of one sample: `x.shape` without its first axis.
    public var sampleShape: [Int] { Array(x.shape.dropFirst()) }
    /// True for a classification set.
    public var isClassification: Bool { classes > 0 }

    /// The samples at `indices`, in that order: rows along the first axis of `x` and `y`,
    /// whatever their other axes.
    ///
    /// - Parameters:
    ///   - indices: Sample indices in `0..<count`.
    /// - Returns: A new data set, with the dtypes of this one.
    /// - Throws: `ShapeError.indexOutOfRange` for an index outside the data.
    public func subset(_ indices: [Int]) throws -> Dataset {
        for i in indices where i < 0 || i >= count { throw ShapeError.indexOutOfRange(index: i, axis: 0, size: count) }
        let rows = [IndexItem.array(Tensor(integers: indices))]
        var part = Dataset(unchecked: try x.index(rows), y: try y.index(rows), classes: classes, name: name)
        part.sharded = sharded
        return part
    }

    /// The same data with ``sharded`` set to `on`.
    public func sharding(_ on: Bool) -> Dataset {
        var copy = self
        copy.sharded = on
        return copy
    }

    /// The loss that fits the targets: cross-entropy for labels, mse for regression.
    public var defaultLoss: LossKind { classes > 0 ? .crossEntropy : .mse }
}
