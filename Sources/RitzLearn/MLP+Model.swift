import RitzTensor

/// An ``MLP`` is a ``Model`` evaluated on the tape (``FunctionModelEvaluation``), over its
/// ``MLP/blocks``.
extension MLP: Model {
    public var label: String { "mlp \(sizes)" }

    public func makeEvaluation() -> any ModelEvaluation { FunctionModelEvaluation() }

    public func checkInputs(sampleShape: [Int], what: String) throws {
        guard sampleShape == [inputSize] else {
            throw LearnError.shape("the model takes \(inputSize) inputs but \(what) has samples of shape \(formatShape(sampleShape))")
        }
    }

    /// Predictions (logits for classification) on a batch.
    ///
    /// - Parameters:
    ///   - x: `rows × inputs`, or one sample as a 1-d tensor of `inputs` values.
    /// - Returns: `rows × outputs` (or `outputs` values for a 1-d input).
    /// - Throws: `LearnError.shape` when the width differs.
    public func predict(_ x: Tensor) throws -> Tensor {
        let single = x.ndim == 1
        let batch = try x.asFloat()
        let out = try outputs(at: parameters, single ? try batch.reshaped([1, x.count]) : batch).value
        return single ? try out.reshaped([outputSize]) : out
    }

    /// Same as ``predict(_:)``.
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try predict(x) }

    /// Integer labels of `rows` examples or `rows × outputs` targets, checked against the outputs
    /// and the loss: labels (one per row, also as `rows × 1`) must be whole numbers in
    /// `0..<outputs`, and cross-entropy takes nothing else.
    ///
    /// - Returns: The targets, labels as one value per row.
    /// - Throws: `LearnError.shape` for targets of another shape, `LearnError.badLabel` for a
    ///   label outside the classes.
    public func checkedTargets(_ y: Tensor, rows: Int, loss: LossKind) throws -> Tensor {
        let yf = try y.asFloat()
        guard try MLP.checkTargets(yf, rows: rows, outputs: outputSize, loss: loss), yf.ndim == 2 else { return y }
        return try yf.reshaped([rows])
    }

    /// Checks targets against a batch of `rows` examples, `outputs` outputs and the loss.
    ///
    /// - Parameters:
    ///   - y: Float targets.
    ///   - rows: Examples in the batch.
    ///   - outputs: The model's outputs per example.
    ///   - loss: The loss.
    /// - Returns: True when they are class labels (one per row, `rows` or `rows × 1`).
    /// - Throws: `LearnError.shape` for targets that do not fit, `LearnError.badLabel` for a
    ///   label that is not a whole number in `0..<outputs`.
    public static func checkTargets(_ y: Tensor, rows: Int, outputs: Int, loss: LossKind) throws -> Bool {
        let labelShaped = y.ndim == 1 || (y.ndim == 2 && y.shape[1] == 1 && outputs > 1)
        guard y.ndim >= 1, y.shape[0] == rows else {
            throw LearnError.shape("\(rows) inputs but targets of shape \(formatShape(y.shape))")
        }
        if loss == .crossEntropy || (labelShaped && outputs > 1) {
            guard labelShaped else {
                throw LearnError.shape("cross-entropy takes one integer label per sample, got targets of shape \(formatShape(y.shape))")
            }
            let classes = Double(outputs)
            let bad = y.storage.withUnsafeBufferPointer { labels in
                labels.prefix(rows).firstIndex { !($0 >= 0 && $0 < classes && $0.rounded() == $0) }
            }
            if let bad { throw LearnError.badLabel(index: bad, value: y.storage[bad], classes: outputs) }
            return true
        }
        guard y.count == rows * outputs else {
            throw LearnError.shape("mse targets must have shape (\(rows), \(outputs)), got \(formatShape(y.shape))")
        }
        return false
    }
}
