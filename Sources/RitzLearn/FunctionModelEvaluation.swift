import RitzAutodiff
import RitzTensor

/// A ``TapeModel`` on one batch: the forward pass and the loss are recorded once in a
/// ``Linearization`` by `prepare`, and the gradient and every curvature product extend that one
/// recording (the gradient's graph is recorded on the first H v), so a product at a new point
/// never runs the forward pass twice.
///
/// A batch of at least ``splitRows`` rows of a model whose rows are independent
/// (``TapeModel/rowsAreIndependent``) is recorded as two fixed halves, each on its own tape in
/// one parallel job (forward, reverse and tangent sweeps alike, with no forking inside a half):
/// with the loss a mean over rows, L = Σₕ (nₕ/n) Lₕ, so the gradient, H v and the Gauss–Newton
/// product are the row-count-weighted sums of the halves', added in half order; J v is the
/// halves' row blocks one after another and Jᵀ u the sum of each half's pull-back of its rows.
/// The cut depends only on the batch size, so results do not depend on the thread count.
final class FunctionModelEvaluation: ModelEvaluation {
    /// One part of a batch: its rows, inputs and targets, and its class labels once converted.
    struct BatchPart {
        let rows: Range<Int>
        let x: Tensor
        let y: Tensor
        let labels: LabelMemo
    }

    /// A part's class labels, converted on the first recording that scores them and kept for the
    /// later steps that reuse the cut (the part's job alone reads and writes it).
    final class LabelMemo: @unchecked Sendable {
        var converted: ClassLabels?
    }

    /// Rows from which a batch is recorded in two halves: below it a half's products are too
    /// short for a second core to pay for handing them over.
    static let splitRows = 256

    /// The recorded parts of the batch, in row order, and their rows (two arrays, so asking for
    /// the parts makes none).
    private var parts: [Linearization] = []
    private var partRows: [Range<Int>] = []
    private var model: (any TapeModel)?
    /// The batch's inputs; nil between a minibatch's release and the next one's preparation.
    private var x: Tensor?
    private var y: Tensor?
    private var lossKind = LossKind.crossEntropy
    /// Each part's loss Hessian in its outputs, recorded on the first Gauss–Newton product.
    private var lossHessians: [Linearization] = []
    private(set) var count = 0
    private(set) var loss = Double.nan
    private(set) var products = 0
    /// The batch's rows cut as they were last recorded, reused while the same inputs and targets
    /// come back (a full-batch trainer prepares them every step).
    private var batchParts: (x: Tensor, y: Tensor, parts: [BatchPart])?
    /// Whether every part's gradient was swept by `prepare` (`withGradient`).
    private var gradientSwept = false
    /// The accuracy once asked for (nil inside: the outputs have no class axis to score).
    private var scoredAccuracy: Double??

    /// The fraction of rows whose largest output is at the label, computed on first use: a
    /// trainer reads it only on the steps it records.
    var accuracy: Double? {
        if let scoredAccuracy { return scoredAccuracy }
        var score: Double?
        if replayedBatch {
            score = replayedAccuracy()
        } else if let cut = batchParts?.parts, cut.count == parts.count {
            var (correct, positions) = (0, 0)
            for (part, piece) in zip(parts, cut) {
                guard let counts = FunctionModelEvaluation.correctCount(part.outputs, piece.y)
                else { positions = 0; break }
                correct += counts.correct
                positions += counts.positions
            }
            score = positions > 0 ? Double(correct) / Double(positions) : nil
        }
        scoredAccuracy = .some(score)
        return score
    }

    func prepare(model: any Model, x: Tensor, y: Tensor?, loss: LossKind, withGradient: Bool) throws {
        guard let m = model as? any TapeModel else {
            throw LearnError.invalidArgument("this evaluation was made for another kind of model")
        }
        guard x.ndim >= 1, x.shape[0] > 0 else { throw LearnError.shape("the batch is empty") }
        if withGradient, let y, replays(fit: m, rows: x.shape[0], inputs: x, targets: y, loss: loss),
           x.storage.withUnsafeBufferPointer({ xs in
               y.storage.withUnsafeBufferPointer { ys in replay(m, rows: x.shape[0], inputs: xs, targets: ys, loss: loss) }
           }) {
            (replayedTensors, batchData) = ((x, y), nil)
            return
        }
        replayedBatch = false
        let rawTargets = y
        let checked = try y.map { try targets($0, rows: x.shape[0], loss: loss, model: m) }
        self.model = m
        self.x = x
        self.y = checked
        lossKind = loss
        count = x.shape[0]
        // The last batch's recordings are let go inside the first job below, on the calling
        // thread, when the batch is recorded in two parts: the other part's job starts a few
        // microseconds later anyway, so freeing their tapes there costs the step nothing, where
        // before the jobs it cost about 1%. With one part they go now, and the blocks they held
        // are written in place.
        let ranges = rowRanges(m)
        var retired: [Linearization] = checked == nil || ranges.count == 1
            ? [] : parts + outputsPoints + lossHessians
        (parts, partRows) = ([], [])
        outputsPoints = []
        lossHessians = []
        try m.blockTensors(replayedParameters ?? m.parameters, reusing: &blocks)
        scoredAccuracy = nil
        gradientSwept = false
        // Without targets only the outputs are wanted (recorded later if an output product is
        // asked for). With them, the loss is recorded, and the gradient swept with it when
        // announced (`withGradient`), else when asked for.
        guard let y = self.y else {
            outputsOnly = try m.predict(x)
            self.loss = .nan
            return
        }
        outputsOnly = nil
        let (kind, blocks) = (lossKind, blocks)
        let pieces = try cutRows(x, y, ranges)
        parts = try Parallel.results(pieces.count) { i in
            if i == 0 { retired.removeAll() }
            let (xs, ys, labels) = (pieces[i].x, pieces[i].y, pieces[i].labels)
            let point = try Linearization(at: blocks, outputs: { b in try m.outputs(b, xs) },
                                          loss: { z in try FunctionModelEvaluation.loss(kind, z, ys, labels: labels) })
            // The gradient the caller announced is swept in the same job as the forward pass:
            // one hand-over to the other core per training step instead of two.
            if withGradient { try point.sweepGradient() }
            return point
        }
        partRows = ranges
        gradientSwept = withGradient
        self.loss = weightedSum { parts[$0].value }
        if withGradient, let rawTargets { keepReplays(m, inputs: x, targets: rawTargets, checked: y) }
    }

    /// `y` as checked by the model (``Model/checkedTargets(_:rows:loss:)``): the last check's
    /// result when `y` is the very tensor it was made from (same storage, so same labels), as a
    /// full-batch trainer passes every step; else checked now, a pass over every target.
    private func targets(_ y: Tensor, rows: Int, loss: LossKind, model m: any TapeModel) throws -> Tensor {
        if let kept = checkedTargets, kept.model == ObjectIdentifier(m), kept.rows == rows, kept.loss == loss,
           kept.raw.sharesStorage(with: y) {
            return kept.checked
        }
        let checked = try m.checkedTargets(y, rows: rows, loss: loss)
        checkedTargets = (ObjectIdentifier(m), y, rows, loss, checked)
        return checked
    }

    /// The targets last checked, with the model, the tensor, rows and loss they were checked for.
    private var checkedTargets: (model: ObjectIdentifier, raw: Tensor, rows: Int, loss: LossKind, checked: Tensor)?

    /// The inputs and targets cut into the row ranges `cut`: the cut kept from the last batch
    /// when `x` and `y` are the very tensors it was made from (same storage, so same values),
    /// else a new cut.
    private func cutRows(_ x: Tensor, _ y: Tensor, _ cut: [Range<Int>]) throws -> [BatchPart] {
        if let kept = batchParts, kept.x.sharesStorage(with: x), kept.y.sharesStorage(with: y),
           kept.parts.count == cut.count, zip(kept.parts, cut).allSatisfy({ $0.rows == $1 }) {
            return kept.parts
        }
        let parts = try cut.map { r in BatchPart(rows: r, x: try rows(x, r), y: try rows(y, r), labels: LabelMemo()) }
        batchParts = (x, y, parts)
        return parts
    }

    /// The batch's rows in the parts it is recorded in: two halves for a large batch of a model
    /// with independent rows (and targets, if any, one row per input row), else one part.
    private func rowRanges(_ m: any TapeModel) -> [Range<Int>] {
        guard m.rowsAreIndependent, count >= FunctionModelEvaluation.splitRows,
              y.map({ $0.ndim >= 1 && $0.shape[0] == count }) ?? true else { return [0..<count] }
        let first = (count + 1) / 2
        return [0..<first, first..<count]
    }

    /// Rows `r` (axis 0) of `t`; `t` itself when `r` covers it.
    private func rows(_ t: Tensor, _ r: Range<Int>) throws -> Tensor {
        guard r != 0..<count else { return t }
        return try t.index([.slice(start: r.lowerBound, stop: r.upperBound, step: nil)])
    }

    /// nₕ/n, part `k`'s share of the batch's rows: its weight in every sum over the parts.
    private func weight(ofPart k: Int) -> Double {
        Double(partRows[k].count) / Double(count)
    }

    /// Σₕ (nₕ/n) aₕ over the parts, in part order.
    private func weightedSum(_ value: (_ part: Int) -> Double) -> Double {
        var total = 0.0
        for k in partRows.indices { total += weight(ofPart: k) * value(k) }
        return total
    }

    /// Σₕ wₕ aₕ of the parts' flat vectors in part order (wₕ = nₕ/n when `weighted`, else 1),
    /// written into `total` (in place when it already has the length).
    private func sum(_ vectors: consuming [Tensor], weighted: Bool, into total: inout [Double]) throws {
        guard let first = vectors.first else {
            total = []
            return
        }
        // Written into `total` even for one part: sharing the part's storage would keep it from
        // being reused when the part is let go.
        let n = first.count
        if total.count != n { total = [Double](repeating: 0, count: n) }
        for (k, v) in vectors.enumerated() {
            let w = weighted && k < parts.count ? weight(ofPart: k) : 1
            let values = try v.asFloat()
            guard values.count == n else { throw LearnError.shape("the parts' derivatives differ in length") }
            values.storage.withUnsafeBufferPointer { src in
                total.withUnsafeMutableBufferPointer { dst in
                    if k == 0 {
                        for i in 0..<n { dst[i] = w * src[i] }
                    } else {
                        for i in 0..<n { dst[i] += w * src[i] }
                    }
                }
            }
        }
    }

    /// `body` on every recorded part, one parallel job each, results in part order.
    private func eachPart<R>(_ points: [Linearization], _ body: (Int, Linearization) throws -> R) throws -> [R] {
        try Parallel.results(points.count) { i in try body(i, points[i]) }
    }

    /// The outputs when nothing is recorded (no targets).
    private var outputsOnly: Tensor?
    /// The parameter blocks the batch was prepared at (the model may move on). Copies, so the
    /// model's own array is not shared and its optimizer updates it in place.
    private var blocks: [Tensor] = []

    /// Mean cross-entropy over every labelled position, or the mean squared error against the
    /// targets (integer labels of a model with k > 1 outputs against their one-hot rows, as for
    /// ``MLP``). `labels` keeps the labels converted from one call to the next with the same `y`.
    static func loss(_ kind: LossKind, _ z: Var, _ y: Tensor, labels: LabelMemo? = nil) throws -> Var {
        // A function that sums or averages over the batch itself leaves no row per sample.
        if y.ndim >= 1, z.ndim == 0 || z.shape[0] != y.shape[0] {
            throw LearnError.shape("the model's outputs have shape \(formatShape(z.shape)) for a batch of \(y.shape[0]) samples: "
                                   + "a model returns one row of outputs per sample, shape (\(y.shape[0]), …)")
        }
        switch kind {
        case .crossEntropy:
            guard let labels else { return try z.crossEntropy(y) }
            if let kept = labels.converted, kept.classes == z.shape.last, kept.shape == y.shape {
                return try z.crossEntropy(kept)
            }
            let converted = try ClassLabels(y, logits: z)
            labels.converted = converted
            return try z.crossEntropy(converted)
        case .mse:
            if let k = z.shape.last, k > 1, y.shape == Array(z.shape.dropLast()) {
                if let kept = labels?.converted, kept.classes == k, kept.shape == y.shape { return try z.mse(classes: kept) }
                let converted = try ClassLabels(y, classes: k, op: "mse")
                labels?.converted = converted
                return try z.mse(classes: converted)
            }
            let t = y.shape == z.shape ? y : try y.reshaped(z.shape)
            return try z.mse(Var(t))
        }
    }

    /// How many positions have their largest output at the label, of how many; nil unless `y`
    /// holds labels for outputs with a class axis of length > 1.
    static func correctCount(_ z: Tensor, _ y: Tensor?) -> (correct: Int, positions: Int)? {
        guard let y, let k = z.shape.last, k > 1,
              y.shape == Array(z.shape.dropLast()) || (y.ndim == 2 && y.shape[1] == 1 && z.ndim == 2 && y.shape[0] == z.shape[0]),
              let zs = try? z.asFloat().storage, let ys = try? y.asFloat().storage else { return nil }
        return zs.withUnsafeBufferPointer { z in ys.withUnsafeBufferPointer { correctCount(z, classes: k, labels: $0) } }
    }

    /// How many rows of `z` (`classes` values each) have their largest value at their label, of
    /// how many; nil unless there is one label per row.
    static func correctCount(_ z: UnsafeBufferPointer<Double>, classes k: Int,
                             labels ys: UnsafeBufferPointer<Double>) -> (correct: Int, positions: Int)? {
        guard k > 0 else { return nil }
        let positions = z.count / k
        guard positions > 0, ys.count == positions else { return nil }
        var correct = 0
        for i in 0..<positions {
            var best = 0
            for j in 1..<k where z[i * k + j] > z[i * k + best] { best = j }
            if Double(best) == ys[i] { correct += 1 }
        }
        return (correct, positions)
    }

    /// Gathers the rows into pooled storage (``Dataset/minibatch(rows:)``), after letting go of
    /// the last batch so they are refilled in place, and prepares them.
    func prepare(model: any Model, data: Dataset, rows: ArraySlice<Int>, loss: LossKind, withGradient: Bool) throws {
        if withGradient, let m = model as? any TapeModel, replays(fit: m, rows: rows.count, inputs: data.x, targets: data.y, loss: loss) {
            try data.gather(rows: rows, inputs: &batchInputs, targets: &batchTargets)
            let replayed = batchInputs.withUnsafeBufferPointer { xs in
                batchTargets.withUnsafeBufferPointer { ys in replay(m, rows: rows.count, inputs: xs, targets: ys, loss: loss) }
            }
            if replayed {
                (replayedTensors, batchData) = (nil, data)
                return
            }
        }
        (parts, partRows, outputsPoints, lossHessians, outputsOnly, x, y) = ([], [], [], [], nil, nil, nil)
        (batchParts, checkedTargets) = (nil, nil)
        let (xs, ys) = try data.minibatch(rows: rows)
        try prepare(model: model, x: xs, y: ys, loss: loss, withGradient: withGradient)
    }

    func outputs() throws -> Tensor {
        try recordReplayedBatch()
        if let outputsOnly { return outputsOnly }
        guard !parts.isEmpty else { throw LearnError.invalidArgument("nothing is prepared") }
        let z = parts.map(\.outputs)
        return z.count == 1 ? z[0] : try Tensor.concat(z, axis: 0)
    }

    private func prepared(_ name: String) throws -> [Linearization] {
        try recordReplayedBatch()
        guard model != nil, y != nil, !parts.isEmpty else {
            throw LearnError.invalidArgument("\(name) needs targets: prepare the batch with labels or targets")
        }
        return parts
    }

    func gradient(into out: inout [Double]) throws {
        if replayedBatch, let plans = replays?.plans {
            let n = plans.first?.parameterCount ?? 0
            if out.count != n { out = [Double](repeating: 0, count: n) }
            try out.withUnsafeMutableBufferPointer { total in
                for (k, plan) in plans.enumerated() {
                    try plan.addGradient(weight: weight(ofPart: k), into: total, accumulate: k > 0)
                }
            }
            return
        }
        let points = try prepared("the gradient")
        // Swept with the forward pass, the parts' gradients are only gathered: no job for the
        // other core, whose wake-up would cost more than the gathering.
        if !gradientSwept { _ = try eachPart(points) { _, p in try p.sweepGradient() } }
        let n = points.first?.parameterCount ?? 0
        if out.count != n { out = [Double](repeating: 0, count: n) }
        // Σₕ (nₕ/n) ∇Lₕ in part order, each half's blocks read once, as `sum` adds flat vectors.
        try out.withUnsafeMutableBufferPointer { total in
            for (k, p) in points.enumerated() {
                try p.addGradient(weight: weight(ofPart: k), into: total, accumulate: k > 0)
            }
        }
    }

    func hvp(_ v: [Double], into out: inout [Double]) throws {
        let points = try prepared("hvp")
        let direction = try cut(v, for: "hvp", points)
        try sum(try eachPart(points) { _, p in try p.hvp(direction) }, weighted: true, into: &out)
        products += 1
    }

    func ggnvp(_ v: [Double], into out: inout [Double]) throws {
        let points = try prepared("ggn")
        guard let y else { throw LearnError.invalidArgument("ggn needs targets") }
        let direction = try cut(v, for: "ggn", points)
        let kind = lossKind
        let ranges = partRows
        let made = lossHessians.isEmpty ? nil : lossHessians
        // Each part's loss Hessian in its outputs is recorded once, on the part's first product.
        let results = try eachPart(points) { i, p -> (Tensor, Linearization) in
            let hl = try made?[i] ?? Linearization(at: p.outputs, outputs: { $0 }, loss: { z in
                try FunctionModelEvaluation.loss(kind, z, try self.rows(y, ranges[i]))
            })
            return (try p.vjp(try hl.hvp(try p.jvp(direction)).reshaped(p.outputs.shape)), hl)
        }
        lossHessians = results.map(\.1)
        try sum(results.map(\.0), weighted: true, into: &out)
        products += 1
    }

    func outputJVP(_ v: [Double]) throws -> [Double] {
        let points = try outputPoints()
        let direction = try cut(v, for: "jvp", points)
        return try eachPart(points) { _, p in try p.jvp(direction).asFloat().storage }.flatMap { $0 }
    }

    func outputVJP(_ u: [Double]) throws -> [Double] {
        let points = try outputPoints()
        let total = points.reduce(0) { $0 + $1.outputs.count }
        guard u.count == total else {
            throw LearnError.shape("a cotangent of the outputs must have \(total) values, got \(u.count)")
        }
        var starts = [0]
        for p in points { starts.append((starts.last ?? 0) + p.outputs.count) }
        var out = [Double]()
        try sum(try eachPart(points) { i, p in
            try p.vjp(try Tensor(shape: p.outputs.shape, storage: Array(u[starts[i]..<starts[i + 1]])))
        }, weighted: false, into: &out)
        return out
    }

    /// The recorded parts for output products: the loss's, or (prepared without targets) the
    /// outputs recorded once with their sum as a stand-in loss, which J v and Jᵀ u never read.
    private func outputPoints() throws -> [Linearization] {
        try recordReplayedBatch()
        if !parts.isEmpty { return parts }
        if !outputsPoints.isEmpty { return outputsPoints }
        guard let m = model, let x else { throw LearnError.invalidArgument("nothing is prepared") }
        let blocks = blocks
        let cut = rowRanges(m)
        outputsPoints = try Parallel.results(cut.count) { i in
            let xs = try rows(x, cut[i])
            return try Linearization(at: blocks, outputs: { b in try m.outputs(b, xs) }, loss: { z in try z.sum() })
        }
        return outputsPoints
    }

    private var outputsPoints: [Linearization] = []

    // MARK: Replayed steps

    /// Replays of the parts' recordings for one batch layout: the model, the batch's rows and the
    /// values per row of its inputs and targets they were built for, the parts' rows, and the
    /// replays — none when the recordings cannot be replayed (not tried again for the layout).
    private struct Replays {
        let model: AnyObject
        let rows: Int, inputWidth: Int, targetWidth: Int
        let loss: LossKind
        let partRows: [Range<Int>]
        let plans: [GradientReplay]

        func fits(_ m: AnyObject, rows: Int, inputWidth: Int, targetWidth: Int, loss: LossKind) -> Bool {
            model === m && self.rows == rows && self.inputWidth == inputWidth && self.targetWidth == targetWidth
                && self.loss == loss
        }
    }

    /// The most layouts kept: a trainer's minibatches and the shorter last batch of each epoch,
    /// with room for a test set's.
    static let replayLayouts = 4

    /// Replays kept from recordings with a gradient, one per layout, oldest first.
    private var layouts: [Replays] = []
    /// The replays of the batch prepared now (or last).
    private var replays: Replays?
    /// Whether the batch prepared now was replayed: its parts are recorded only when something
    /// other than the loss, the gradient and the accuracy is asked for.
    private(set) var replayedBatch = false
    /// The replayed batch's tensors, when it was given as tensors (a full batch).
    private var replayedTensors: (x: Tensor, y: Tensor)?
    /// A replayed minibatch: the data it was gathered from, and its inputs and targets row after
    /// row (arrays kept from step to step).
    private var batchData: Dataset?
    private var batchInputs: [Double] = []
    private var batchTargets: [Double] = []
    /// Which parts' replays failed in the last step (one flag per part, kept).
    private var replayFailed: [Bool] = []
    /// The parameters a step was replayed at (copied, as a recording copies them: the model may
    /// move on before a product records the batch), into an array kept from step to step.
    private var parameterCopy: [Double] = []
    /// Set while the replayed batch is recorded: the parameters to record it at.
    private var replayedParameters: [Double]?

    /// Whether kept replays fit a batch of `rows` rows from these inputs and targets (float
    /// inputs, the same values per row) for `m` and `loss`; if so they become ``replays``.
    private func replays(fit m: any TapeModel, rows: Int, inputs x: Tensor, targets y: Tensor, loss: LossKind) -> Bool {
        guard x.dtype == .float64, y.dtype != .complex128, let n = x.shape.first, n > 0, y.shape.first == n,
              let i = layouts.firstIndex(where: { $0.fits(m, rows: rows, inputWidth: x.count / n, targetWidth: y.count / n, loss: loss) }),
              !layouts[i].plans.isEmpty else { return false }
        replays = layouts[i]
        return true
    }

    /// Keeps the replays of the parts just recorded at `x` (raw targets `y`, `checked` as the
    /// model checked them), when the model allows it and none are kept for this layout: the next
    /// training step on a batch of the layout replays them.
    private func keepReplays(_ m: any TapeModel, inputs x: Tensor, targets y: Tensor, checked: Tensor) {
        guard m.recordingIsReplayable, let n = x.shape.first, n > 0, y.shape.first == n, x.dtype == .float64,
              y.dtype != .complex128 else { return }
        let (inputWidth, targetWidth) = (x.count / n, y.count / n)
        if layouts.contains(where: { $0.fits(m, rows: n, inputWidth: inputWidth, targetWidth: targetWidth, loss: lossKind) }) {
            return
        }
        var plans = [GradientReplay]()
        // A replay reads the raw targets where the loss read the checked ones: only where
        // checking them kept their values. It must read them (and the inputs): a loss whose
        // targets were made from them (or a model that copied its inputs) would be replayed
        // with the first batch's.
        if let pieces = batchParts?.parts, pieces.count == parts.count, checked.count == y.count,
           (try? checked.asFloat().storage == y.asFloat().storage) == true {
            for (part, piece) in zip(parts, pieces) {
                guard let plan = part.replay(inputs: piece.x, targets: piece.y), plan.inputCount == piece.x.count,
                      plan.targetCount == piece.y.count else {
                    plans = []
                    break
                }
                plans.append(plan)
            }
        }
        if layouts.count >= FunctionModelEvaluation.replayLayouts { layouts.removeFirst() }
        layouts.append(Replays(model: m, rows: n, inputWidth: inputWidth, targetWidth: targetWidth, loss: lossKind,
                               partRows: partRows, plans: plans))
    }

    /// A training step's loss and gradient from the kept replays on the batch `x` with targets `y`
    /// (row after row, as the replays' layout): false, with nothing changed, when a replay fails
    /// (labels that are not classes of the outputs: recording the batch reports them).
    private func replay(_ m: any TapeModel, rows n: Int, inputs x: UnsafeBufferPointer<Double>,
                        targets y: UnsafeBufferPointer<Double>, loss kind: LossKind) -> Bool {
        guard let r = replays, x.count == n * r.inputWidth, y.count == n * r.targetWidth else { return false }
        if replayFailed.count != r.plans.count { replayFailed = [Bool](repeating: false, count: r.plans.count) }
        if parameterCopy.count == m.parameterCount {
            m.parameters.withUnsafeBufferPointer { source in
                parameterCopy.withUnsafeMutableBufferPointer { copy in
                    if let s = source.baseAddress, let c = copy.baseAddress, source.count == copy.count { c.update(from: s, count: copy.count) }
                }
            }
        } else {
            parameterCopy = m.parameters.withUnsafeBufferPointer { Array($0) }
        }
        let account = AllocationLimit.account
        parameterCopy.withUnsafeBufferPointer { p in
            replayFailed.withUnsafeMutableBufferPointer { failed in
                Parallel.jobs(r.plans.count) { i in
                    let rows = r.partRows[i]
                    let xs = UnsafeBufferPointer(rebasing: x[(rows.lowerBound * r.inputWidth)..<(rows.upperBound * r.inputWidth)])
                    let ys = UnsafeBufferPointer(rebasing: y[(rows.lowerBound * r.targetWidth)..<(rows.upperBound * r.targetWidth)])
                    do {
                        try AllocationLimit.withAccount(account) { try r.plans[i].run(parameters: p, inputs: xs, targets: ys) }
                        failed[i] = false
                    } catch {
                        failed[i] = true
                    }
                }
            }
        }
        guard !replayFailed.contains(true) else { return false }
        (parts, partRows, outputsPoints, lossHessians, outputsOnly) = ([], r.partRows, [], [], nil)
        (self.x, self.y) = (nil, nil)
        (model, lossKind, count) = (m, kind, n)
        (scoredAccuracy, gradientSwept, replayedBatch) = (nil, true, true)
        loss = weightedSum { r.plans[$0].loss }
        return true
    }

    /// The fraction of rows of a replayed batch whose largest output is at the label.
    private func replayedAccuracy() -> Double? {
        guard let r = replays, let k = r.plans.first?.outputShape.last, k > 1 else { return nil }
        let targets: (UnsafeBufferPointer<Double>) -> Double? = { y in
            var (correct, positions) = (0, 0)
            for (plan, rows) in zip(r.plans, r.partRows) {
                let ys = UnsafeBufferPointer(rebasing: y[(rows.lowerBound * r.targetWidth)..<(rows.upperBound * r.targetWidth)])
                guard let c = FunctionModelEvaluation.correctCount(plan.outputs, classes: k, labels: ys) else { return nil }
                correct += c.correct
                positions += c.positions
            }
            return positions > 0 ? Double(correct) / Double(positions) : nil
        }
        if let y = replayedTensors?.y { return (try? y.asFloat().storage.withUnsafeBufferPointer(targets)) ?? nil }
        return batchTargets.withUnsafeBufferPointer(targets)
    }

    /// Records the batch a step replayed (its parts) at the parameters it was replayed at, for
    /// what the replays do not give.
    private func recordReplayedBatch() throws {
        guard replayedBatch, let m = model else { return }
        replayedBatch = false
        replayedParameters = parameterCopy
        defer { replayedParameters = nil }
        if let (x, y) = replayedTensors {
            try prepare(model: m, x: x, y: y, loss: lossKind, withGradient: false)
        } else if let data = batchData {
            let n = count
            let x = try Tensor(shape: [n] + data.x.shape.dropFirst(), storage: batchInputs.withUnsafeBufferPointer { Array($0) },
                               dtype: data.x.dtype)
            let y = try Tensor(shape: [n] + data.y.shape.dropFirst(), storage: batchTargets.withUnsafeBufferPointer { Array($0) },
                               dtype: data.y.dtype)
            try prepare(model: m, x: x, y: y, loss: lossKind, withGradient: false)
        }
    }

    /// `v` cut into the parameter blocks once, on this thread, for every part's product: the parts
    /// were recorded at the same blocks, so one cut serves them all.
    private func cut(_ v: [Double], for op: String, _ points: [Linearization]) throws -> Linearization.Direction {
        guard let m = model, v.count == m.parameterCount, let first = points.first else {
            throw LearnError.shape("a direction must have \(model?.parameterCount ?? 0) values, got \(v.count)")
        }
        return try first.direction(values: v, for: op)
    }
}
