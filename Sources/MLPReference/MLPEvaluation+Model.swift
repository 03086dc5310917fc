import RitzLearn
import RitzTensor

/// The kernels as a ``ModelEvaluation`` of a ``ReferenceMLP``, so that the trainer, the
/// optimizers, the trackers and the curvature operators run on them exactly as on the tape.
extension MLPEvaluation: ModelEvaluation {
    public func prepare(model: any Model, x: Tensor, y: Tensor?, loss: LossKind, withGradient: Bool) throws {
        try prepare(model: try MLPEvaluation.network(of: model), x: x, y: y, loss: loss, withGradient: withGradient)
    }

    /// Gathers the rows into buffers kept across calls (steady-state training allocates nothing)
    /// and prepares them; the targets are checked once per data set.
    public func prepare(model: any Model, data: Dataset, rows: ArraySlice<Int>, loss: LossKind, withGradient: Bool) throws {
        let mlp = try MLPEvaluation.network(of: model)
        let d = data.features
        if !(minibatch.loss == loss && MLPEvaluation.sameBuffer(minibatch.targets, data.y.storage)) {
            minibatch.labels = try MLP.checkTargets(try data.y.asFloat(), rows: data.count, outputs: mlp.outputSize, loss: loss)
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

    /// The network of a ``ReferenceMLP``.
    ///
    /// - Throws: `LearnError.invalidArgument` for any other model.
    static func network(of model: any Model) throws -> MLP {
        guard let reference = model as? ReferenceMLP else {
            throw LearnError.invalidArgument("this evaluation was made for the reference mlp")
        }
        return reference.network
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

    /// The prepared batch and parameters on the tape: the same network as the library's ``MLP``
    /// evaluates it, for J v and Jᵀ u, which the kernels do not compute. Recorded once per
    /// prepared batch; every product after the first is one sweep.
    func tapeEvaluation() throws -> any ModelEvaluation {
        if let tapeTwin { return tapeTwin }
        let d = sizes[0]
        let x: [Double]
        switch input {
        case .none: throw LearnError.invalidArgument("nothing is prepared")
        case let .tensors(xs, _): x = xs
        case let .buffers(xb, _): x = Array(UnsafeBufferPointer(start: xb.p, count: count * d))
        }
        let network = try MLP(sizes: sizes, activation: activation)
        network.parameters = Array(UnsafeBufferPointer(start: params.p, count: parameterCount))
        let e = network.makeEvaluation()
        try e.prepare(model: network, x: try Tensor(shape: [count, d], storage: x), y: nil, loss: .mse, withGradient: false)
        tapeTwin = e
        return e
    }
}
