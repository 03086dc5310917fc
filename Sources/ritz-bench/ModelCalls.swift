import RitzLearn

/// A model's loss derivatives on a whole data set (mean cross-entropy) through one evaluation kept
/// across calls, as the trainer keeps one: each call prepares the batch afresh at the model's
/// current parameters, so it pays the forward pass.
final class ModelCalls {
    let model: any Model
    let data: Dataset
    private let evaluation: any ModelEvaluation

    /// Calls on `model` over all of `data`.
    init(_ model: any Model, on data: Dataset) {
        self.model = model
        self.data = data
        evaluation = model.makeEvaluation()
    }

    /// The gradient (forward and backward pass) into `g`.
    ///
    /// - Throws: errors of the model's evaluation.
    func gradient(into g: inout [Double]) throws {
        try evaluation.prepare(model: model, x: data.x, y: data.y, loss: .crossEntropy, withGradient: true)
        try evaluation.gradient(into: &g)
    }

    /// H v with its forward pass into `out`.
    ///
    /// - Throws: errors of the model's evaluation.
    func hvp(_ v: [Double], into out: inout [Double]) throws {
        try evaluation.prepare(model: model, x: data.x, y: data.y, loss: .crossEntropy, withGradient: false)
        try evaluation.hvp(v, into: &out)
    }

    /// A new evaluation prepared once at the current parameters, for products at that point.
    ///
    /// - Throws: errors of the model's evaluation.
    func prepared() throws -> any ModelEvaluation {
        let e = model.makeEvaluation()
        try e.prepare(model: model, x: data.x, y: data.y, loss: .crossEntropy, withGradient: false)
        return e
    }
}
