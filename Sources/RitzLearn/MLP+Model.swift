import RitzTensor

/// An ``MLP`` is a ``Model``: its blocks are each layer's weight matrix `wₗ` (outputs × inputs)
/// and bias `bₗ`, l from 0, in the order of the flat vector.
extension MLP: Model {
    public var blocks: [ParameterBlock] { MLP.blocks(of: layers) }

    public var label: String { "mlp \(sizes)" }

    public func makeEvaluation() -> any ModelEvaluation {
        switch engine {
        case .kernels: return MLPEvaluation(model: self)
        case .tape: return FunctionModelEvaluation()
        }
    }

    public func checkInputs(sampleShape: [Int], what: String) throws {
        guard sampleShape == [inputSize] else {
            throw LearnError.shape("the model takes \(inputSize) inputs but \(what) has samples of shape \(formatShape(sampleShape))")
        }
    }
}

extension MLPEvaluation: ModelEvaluation {
    public func prepare(model: any Model, x: Tensor, y: Tensor?, loss: LossKind, withGradient: Bool) throws {
        guard let mlp = model as? MLP else { throw LearnError.invalidArgument("this evaluation was made for an mlp") }
        try prepare(model: mlp, x: x, y: y, loss: loss, withGradient: withGradient)
    }

    /// Gathers the rows into buffers kept across calls (steady-state training allocates nothing)
    /// and prepares them; the targets are checked once per data set.
    public func prepare(model: any Model, data: Dataset, rows: ArraySlice<Int>, loss: LossKind, withGradient: Bool) throws {
        guard let mlp = model as? MLP else { throw LearnError.invalidArgument("this evaluation was made for an mlp") }
        let d = data.features
        if !(minibatch.loss == loss && MLPEvaluation.sameBuffer(minibatch.targets, data.y.storage)) {
            minibatch.labels = try MLPEvaluation.checkTargets(data.y, rows: data.count, outputs: mlp.outputSize, loss: loss)
            minibatch.targets = data.y.storage
            minibatch.loss = loss
        }
        let yWidth = minibatch.labels ? 1 : mlp.outputSize
        if minibatch.x.count < rows.count * d { minibatch.x = RawBuffer(count: rows.count * d) }
        if minibatch.y.count < rows.count * yWidth { minibatch.y = RawBuffer(count: rows.count * yWidth) }
        let (xb, yb) = (minibatch.x, minibatch.y)
        try data.x.storage.withUnsafeBufferPointer { xs in
            try data.y.storage.withUnsafeBufferPointer { ys in
                guard let xsrc = xs.baseAddress, let ysrc = ys.baseAddress else { return }
                for (r, i) in rows.enumerated() {
                    guard i >= 0, i < data.count else { throw ShapeError.indexOutOfRange(index: i, axis: 0, size: data.count) }
                    (xb.p + r * d).update(from: xsrc + i * d, count: d)
                    (yb.p + r * yWidth).update(from: ysrc + i * yWidth, count: yWidth)
                }
            }
        }
        try mlp.parameters.withUnsafeBufferPointer { pp in
            guard let base = pp.baseAddress else { return }
            try prepare(params: base, x: xb, y: yb, rows: rows.count, labels: minibatch.labels, loss: loss,
                        withGradient: withGradient)
        }
    }

    public var accuracy: Double? { hasAccuracy ? Double(correct) / Double(max(count, 1)) : nil }

    /// J v on the tape (the forward pass recorded once per prepared batch).
    public func outputJVP(_ v: [Double]) throws -> [Double] {
        try checkVector(v, "jvp")
        return try tapeEvaluation().outputJVP(v)
    }

    /// Jᵀ u on the tape (the forward pass recorded once per prepared batch).
    public func outputVJP(_ u: [Double]) throws -> [Double] {
        try tapeEvaluation().outputVJP(u)
    }
}
