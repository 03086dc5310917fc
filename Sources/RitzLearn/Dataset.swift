import RitzTensor

/// A supervised data set: inputs `x` (samples × features) and targets `y`.
///
/// For classification `y` holds one integer label per sample (as float64) and ``classes`` is
/// the number of classes; for regression `y` is `samples × outputs` and ``classes`` is 0.
public struct Dataset: Sendable {
    /// Inputs, one row per sample.
    public let x: Tensor
    /// Labels (1-d) or regression targets (2-d).
    public let y: Tensor
    /// Number of classes, 0 for regression.
    public let classes: Int
    /// A short name for display ("moons", "digits", ...).
    public let name: String

    /// Wraps inputs and targets.
    ///
    /// - Parameters:
    ///   - x: `samples × features` (a 1-d tensor is taken as one feature per sample).
    ///   - y: Labels or targets with one row per sample.
    ///   - classes: Number of classes; nil infers it from integer labels (max + 1), and 0 marks
    ///     regression targets.
    ///   - name: Display name.
    /// - Throws: `LearnError.shape` when the row counts differ or labels are not integers in
    ///   `0..<classes`.
    public init(x: Tensor, y: Tensor, classes: Int? = nil, name: String = "data") throws {
        let xf = try x.asFloat(), yf = try y.asFloat()
        let x2 = xf.ndim == 1 ? try xf.reshaped([xf.count, 1]) : xf
        guard x2.ndim == 2 else { throw LearnError.shape("data inputs must be a matrix (samples × features), got shape \(formatShape(x.shape))") }
        guard yf.ndim >= 1, yf.shape[0] == x2.shape[0] else {
            throw LearnError.shape("\(x2.shape[0]) samples but targets of shape \(formatShape(y.shape))")
        }
        var k = classes ?? 0
        if classes == nil, yf.ndim == 1 {
            let integral = yf.storage.allSatisfy { $0 >= 0 && $0.rounded() == $0 && $0 < 1e9 }
            k = integral ? Int(yf.storage.max() ?? 0) + 1 : 0
        }
        if k > 0 {
            guard yf.ndim == 1 else { throw LearnError.shape("class labels must be a 1-d tensor, got shape \(formatShape(y.shape))") }
            for (i, v) in yf.storage.enumerated() where !(v >= 0 && v < Double(k) && v.rounded() == v) {
                throw LearnError.badLabel(index: i, value: v, classes: k)
            }
        }
        self.x = x2
        self.y = k == 0 && yf.ndim == 1 ? try yf.reshaped([yf.count, 1]) : yf
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
    /// Number of input features.
    public var features: Int { x.shape[1] }
    /// True for a classification set.
    public var isClassification: Bool { classes > 0 }

    /// The samples at `indices`, in that order.
    ///
    /// - Parameters:
    ///   - indices: Row indices in `0..<count`.
    /// - Returns: A new data set.
    /// - Throws: `ShapeError.indexOutOfRange` for an index outside the data.
    public func subset(_ indices: [Int]) throws -> Dataset {
        let d = features
        let yw = y.ndim == 1 ? 1 : y.shape[1]
        var xs = [Double](repeating: 0, count: indices.count * d)
        var ys = [Double](repeating: 0, count: indices.count * yw)
        for (r, i) in indices.enumerated() {
            guard i >= 0, i < count else { throw ShapeError.indexOutOfRange(index: i, axis: 0, size: count) }
            for j in 0..<d { xs[r * d + j] = x.storage[i * d + j] }
            for j in 0..<yw { ys[r * yw + j] = y.storage[i * yw + j] }
        }
        let xt = try Tensor(shape: [indices.count, d], storage: xs)
        let yt = try Tensor(shape: y.ndim == 1 ? [indices.count] : [indices.count, yw], storage: ys)
        return Dataset(unchecked: xt, y: yt, classes: classes, name: name)
    }

    /// The loss that fits the targets: cross-entropy for labels, mse for regression.
    public var defaultLoss: LossKind { classes > 0 ? .crossEntropy : .mse }
}
