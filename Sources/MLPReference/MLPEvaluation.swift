import CBLAS
import Dispatch
import Foundation
import RitzLearn
import RitzTensor

/// The hand-derived kernels of an ``MLP`` on one batch at fixed parameters: the independent
/// reference the tape's mlp is tested and timed against (``ReferenceMLP``). The forward pass is
/// done once by ``prepare(model:x:y:loss:)`` and kept, so the gradient, any number of exact
/// Hessian-vector products and Gauss–Newton-vector products at that point cost only their extra
/// passes.
///
/// Kernels (row-major, one `dgemm` per product, elementwise passes fused):
/// * forward: Zₗ = Aₗ₋₁Wₗᵀ + bₗ, Aₗ = f(Zₗ), the last layer without f;
/// * gradient by backpropagation: Gₗ = ∂L/∂Zₗ, ∂L/∂Wₗ = GₗᵀAₗ₋₁, ∂L/∂bₗ = Gₗᵀ1,
///   Gₗ₋₁ = (GₗWₗ) ⊙ f′(Zₗ₋₁);
/// * Hessian-vector product Hv by Pearlmutter's R-operator (Pearlmutter 1994, "Fast exact
///   multiplication by the Hessian"): the forward pass is differentiated in the direction v
///   (R{Zₗ} = R{Aₗ₋₁}Wₗᵀ + Aₗ₋₁Vₗᵀ + vbₗ, R{Aₗ} = f′ ⊙ R{Zₗ}) and then the backward pass
///   (R{Gₗ₋₁} = (R{Gₗ}Wₗ + GₗVₗ) ⊙ f′ + (GₗWₗ) ⊙ f″ ⊙ R{Zₗ₋₁},
///   R{∂L/∂Wₗ} = R{Gₗ}ᵀAₗ₋₁ + GₗᵀR{Aₗ₋₁}); exact up to rounding;
/// * Gauss–Newton product JᵀH_L J v (Schraudolph 2002): J v is R{Z_L} of the same forward
///   differentiation, H_L the Hessian of the loss in the outputs (softmax: (diag p − ppᵀ)/n;
///   mse: 2/(n·k)·I), and Jᵀ is plain backpropagation of H_L J v. Positive semidefinite.
///
/// Batches of at least ``MLPEvaluation/splitRows`` rows are split in two halves, whatever the
/// number of cores, that run as `Parallel.jobs` (on two threads when allowed, with OpenBLAS held
/// to one thread meanwhile); the halves' sums are added in a fixed order, so results are the
/// same bytes on any machine.
public final class MLPEvaluation {
    /// Rows from which a batch is split over two threads.
    nonisolated(unsafe) public static var splitRows = 256

    let sizes: [Int]
    let layers: [MLP.Layer]
    let activation: Activation
    let parameterCount: Int
    /// The parameters the forward pass used (a copy: the model may move on).
    let params: RawBuffer
    var workers: [Worker] = []
    var input: Input = .none
    /// Rows of the prepared batch.
    public private(set) var count = 0
    /// The loss kind of the prepared batch, nil when prepared without targets.
    public private(set) var lossKind: LossKind?
    var labels = true
    /// Shape of the targets of the last batch prepared from tensors.
    var targetShape: [Int] = []
    /// Mean loss over the prepared batch (NaN when prepared without targets).
    public private(set) var loss = Double.nan
    /// Number of rows whose largest output is at the label (0 when there are no labels).
    public private(set) var correct = 0
    /// True when ``correct`` is meaningful: integer labels and more than one output.
    public private(set) var hasAccuracy = false
    /// Matrix-vector products (Hessian or Gauss–Newton) computed since creation.
    public private(set) var products = 0

    /// The trainer's minibatch buffers, reused across steps, and the data set whose targets were
    /// last checked (see ``prepare(model:data:rows:loss:withGradient:)``).
    struct Minibatch {
        // Buffers of its own from the start: a one-row batch of labels fits in one element, and a
        // shared placeholder would let two evaluations overwrite each other's labels.
        var x = RawBuffer(count: 1)
        var y = RawBuffer(count: 1)
        var targets: [Double] = []
        var labels = true
        var loss: LossKind?
    }
    var minibatch = Minibatch()
    /// True while the workers' partial buffers hold the gradient of the prepared batch (a forward
    /// pass with the gradient, or a gradient pass, since which no curvature product ran).
    var gradientReady = false
    /// The prepared batch on the tape, for J v and Jᵀ u, which the kernels do not compute (see
    /// ``tapeEvaluation()``); made on first use after each forward pass.
    var tapeTwin: (any ModelEvaluation)?

    enum Input {
        case none
        case tensors(x: [Double], y: [Double])
        case buffers(x: RawBuffer, y: RawBuffer)
    }

    /// Creates an evaluation with scratch buffers for `model`'s architecture.
    ///
    /// - Parameters:
    ///   - model: The network whose shape (not parameters) the buffers follow.
    public init(model: MLP) {
        sizes = model.sizes
        layers = model.layers
        activation = model.activation
        parameterCount = model.parameterCount
        params = RawBuffer(count: model.parameterCount)
    }

    /// The number of parameters.
    public var n: Int { parameterCount }

    /// Runs the forward pass of `model` on a batch and keeps it.
    ///
    /// - Parameters:
    ///   - model: The network; its current parameters are copied.
    ///   - x: Inputs, `rows × inputs`.
    ///   - y: Targets (see ``LossKind``), or nil for predictions only.
    ///   - loss: The loss whose value, gradient and curvature later calls compute.
    /// - Throws: `LearnError.shape` or `LearnError.badLabel` when the batch does not fit.
    public func prepare(model: MLP, x: Tensor, y: Tensor?, loss: LossKind) throws {
        try prepare(model: model, x: x, y: y, loss: loss, withGradient: false)
    }

    /// The forward pass and, in the same pass over the workers, the gradient into the workers'
    /// partial buffers (collect it with ``reduce(into:)``).
    func prepare(model: MLP, x: Tensor, y: Tensor?, loss: LossKind, withGradient: Bool) throws {
        guard model.sizes == sizes, model.activation == activation else {
            throw LearnError.invalidArgument("this evaluation was made for another architecture")
        }
        let xf = try x.asFloat()
        guard xf.ndim == 2, xf.shape[1] == sizes[0] else {
            throw LearnError.shape("the model takes inputs of width \(sizes[0]), got data of shape \(formatShape(x.shape))")
        }
        let rows = xf.shape[0]
        guard rows > 0 else { throw LearnError.shape("the batch is empty") }
        var yStorage: [Double] = []
        var isLabels = true
        if let y {
            let yf = try y.asFloat()
            // The same target buffer as the last batch with the same loss was checked then
            // (training steps on the full batch pass it again and again).
            if lossKind == loss, count == rows, yf.shape == targetShape, case let .tensors(_, ky) = input,
               MLPEvaluation.sameBuffer(ky, yf.storage) {
                isLabels = labels
            } else {
                isLabels = try MLP.checkTargets(yf, rows: rows, outputs: sizes[sizes.count - 1], loss: loss)
            }
            yStorage = yf.storage
            targetShape = yf.shape
        }
        model.parameters.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { params.p.update(from: base, count: parameterCount) }
        }
        input = .tensors(x: xf.storage, y: yStorage)
        try forward(rows: rows, hasTargets: y != nil, labels: isLabels, loss: loss, withGradient: withGradient && y != nil)
    }

    /// True when the kept forward pass is the one `prepare(model:x:y:loss:)` would compute now:
    /// same loss, the very same input and target buffers (copy-on-write storage is shared, so a
    /// changed tensor has another buffer) and bit-identical parameters.
    ///
    /// - Parameters:
    ///   - model: The network whose current parameters are compared.
    ///   - x: Inputs.
    ///   - y: Targets.
    ///   - loss: The loss kind.
    /// - Returns: Whether the forward pass can be reused.
    func holdsForwardPass(model: MLP, x: Tensor, y: Tensor, loss: LossKind) -> Bool {
        guard lossKind == loss, model.sizes == sizes, model.activation == activation,
              x.dtype == .float64, y.dtype == .float64, case let .tensors(kx, ky) = input,
              x.shape.count == 2, count == x.shape[0], y.shape == targetShape else { return false }
        guard MLPEvaluation.sameBuffer(kx, x.storage), MLPEvaluation.sameBuffer(ky, y.storage) else { return false }
        return model.parameters.withUnsafeBufferPointer { src in
            guard let base = src.baseAddress, src.count == parameterCount else { return false }
            return memcmp(base, params.p, parameterCount * MemoryLayout<Double>.stride) == 0
        }
    }

    /// True when two arrays share one buffer (so hold the same values: a write to either would
    /// have copied it first).
    static func sameBuffer(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && a.count > 0
            && a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in pa.baseAddress == pb.baseAddress } }
    }

    /// Prepares a batch held in raw buffers (the trainer's minibatches), without copying them.
    func prepare(params source: UnsafePointer<Double>, x: RawBuffer, y: RawBuffer, rows: Int, labels isLabels: Bool,
                 loss: LossKind, withGradient: Bool = false) throws {
        params.p.update(from: source, count: parameterCount)
        input = .buffers(x: x, y: y)
        try forward(rows: rows, hasTargets: true, labels: isLabels, loss: loss, withGradient: withGradient)
    }

    // MARK: - Passes

    /// Splits `rows` over the workers and runs the forward pass.
    func forward(rows: Int, hasTargets: Bool, labels isLabels: Bool, loss kind: LossKind, withGradient: Bool) throws {
        let parts = rows >= MLPEvaluation.splitRows ? 2 : 1
        let per = (rows + parts - 1) / parts
        lossKind = nil  // nothing is prepared until the pass below has run
        while workers.count < parts { workers.append(Worker(layers: layers, parameterCount: parameterCount)) }
        var start = 0
        for w in 0..<workers.count {
            let end = w < parts ? min(rows, start + per) : start
            try workers[w].reserve(rows: end - start)
            workers[w].r0 = start
            workers[w].rows = end - start
            start = end
        }
        count = rows
        lossKind = hasTargets ? kind : nil
        labels = isLabels
        hasAccuracy = hasTargets && isLabels && sizes[sizes.count - 1] > 1
        gradientReady = false
        tapeTwin = nil
        run(parts) { w, xp, yp in
            self.workers[w].forward(self, x: xp, y: hasTargets ? yp : nil)
            if withGradient { self.workers[w].backward(self, x: xp, y: yp) }
        }
        gradientReady = withGradient && hasTargets
        if hasTargets {
            var total = 0.0, right = 0
            for w in 0..<parts { total += workers[w].lossSum; right += workers[w].correct }
            let k = Double(sizes[sizes.count - 1])
            loss = kind == .crossEntropy ? total / Double(rows) : total / (Double(rows) * k)
            correct = right
        } else {
            loss = .nan
            correct = 0
        }
    }

    /// Runs `body` for each active worker, concurrently when `Parallel.threads` allows.
    func run(_ parts: Int, _ body: (Int, UnsafePointer<Double>, UnsafePointer<Double>) -> Void) {
        withInput { xp, yp in
            Parallel.jobs(parts) { w in body(w, xp, yp) }
        }
    }

    func withInput(_ body: (UnsafePointer<Double>, UnsafePointer<Double>) -> Void) {
        let empty = RawBuffer.empty
        switch input {
        case .none:
            body(UnsafePointer(empty.p), UnsafePointer(empty.p))
        case let .tensors(x, y):
            x.withUnsafeBufferPointer { px in
                y.withUnsafeBufferPointer { py in
                    body(px.baseAddress ?? UnsafePointer(empty.p), py.baseAddress ?? UnsafePointer(empty.p))
                }
            }
        case let .buffers(x, y):
            body(UnsafePointer(x.p), UnsafePointer(y.p))
        }
    }

    var activeParts: Int { workers.count >= 2 && workers[1].rows > 0 ? 2 : 1 }

    func requireTargets(_ op: String) throws {
        guard lossKind != nil else { throw LearnError.invalidArgument("`\(op)` needs targets; this batch was prepared without them") }
    }

    func checkVector(_ v: [Double], _ op: String) throws {
        guard v.count == parameterCount else {
            throw LearnError.shape("`\(op)` takes a vector of \(parameterCount) values (one per parameter), got \(v.count)")
        }
    }

    /// Sums the workers' partial results into `out`.
    func reduce(into out: UnsafeMutablePointer<Double>) {
        let parts = activeParts
        out.update(from: workers[0].grad.p, count: parameterCount)
        if parts == 2 { cblas_daxpy(blas(parameterCount), 1, workers[1].grad.p, 1, out, 1) }
    }

    /// The gradient of the mean loss at the prepared point.
    ///
    /// - Parameters:
    ///   - out: Receives ``n`` values; resized if needed.
    /// - Throws: `LearnError.invalidArgument` when prepared without targets.
    public func gradient(into out: inout [Double]) throws {
        try requireTargets("gradient")
        if out.count != parameterCount { out = [Double](repeating: 0, count: parameterCount) }
        out.withUnsafeMutableBufferPointer { o in
            guard let base = o.baseAddress else { return }
            if gradientReady { reduce(into: base) } else { gradientRaw(into: base) }
        }
    }

    func gradientRaw(into out: UnsafeMutablePointer<Double>) {
        run(activeParts) { w, xp, yp in self.workers[w].backward(self, x: xp, y: yp) }
        gradientReady = true
        reduce(into: out)
    }

    /// The exact Hessian-vector product H·v of the mean loss at the prepared point.
    ///
    /// - Parameters:
    ///   - v: A direction, ``n`` values in the layout of ``MLP/layers``.
    ///   - out: Receives H·v; resized if needed.
    /// - Throws: `LearnError` when prepared without targets or `v` has the wrong length.
    public func hvp(_ v: [Double], into out: inout [Double]) throws {
        try curvatureProduct(v, into: &out, name: "hvp", hvpRaw)
    }

    func hvpRaw(_ v: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>) {
        gradientReady = false
        run(activeParts) { w, xp, yp in self.workers[w].curvature(self, x: xp, y: yp, v: v, exact: true) }
        reduce(into: out)
        products += 1
    }

    /// The Gauss–Newton-vector product Jᵀ H_L J v at the prepared point.
    ///
    /// - Parameters:
    ///   - v: A direction, ``n`` values.
    ///   - out: Receives the product; resized if needed.
    /// - Throws: `LearnError` when prepared without targets or `v` has the wrong length.
    public func ggnvp(_ v: [Double], into out: inout [Double]) throws {
        try curvatureProduct(v, into: &out, name: "ggn", ggnvpRaw)
    }

    /// Checks `v`, sizes `out` and runs one of the raw curvature products on them.
    private func curvatureProduct(_ v: [Double], into out: inout [Double], name: String,
                                  _ product: (UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void) throws {
        try requireTargets(name)
        try checkVector(v, name)
        if out.count != parameterCount { out = [Double](repeating: 0, count: parameterCount) }
        v.withUnsafeBufferPointer { pv in
            out.withUnsafeMutableBufferPointer { o in
                if let vb = pv.baseAddress, let ob = o.baseAddress { product(vb, ob) }
            }
        }
    }

    func ggnvpRaw(_ v: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>) {
        gradientReady = false
        run(activeParts) { w, xp, yp in self.workers[w].curvature(self, x: xp, y: yp, v: v, exact: false) }
        reduce(into: out)
        products += 1
    }

    /// The network's outputs on the prepared batch, `rows × outputs` (logits for "ce").
    public func outputs() -> Tensor {
        let k = sizes[sizes.count - 1]
        var out = [Double](repeating: 0, count: count * k)
        for w in 0..<activeParts where workers[w].rows > 0 {
            let wk = workers[w]
            let z = wk.z[layers.count - 1].p
            for i in 0..<(wk.rows * k) { out[wk.r0 * k + i] = z[i] }
        }
        return (try? Tensor(shape: [count, k], storage: out)) ?? Tensor(out)
    }
}

@inline(__always) func blas(_ n: Int) -> Int32 { Int32(truncatingIfNeeded: n) }

/// A manually managed block of doubles for the kernels' scratch space.
final class RawBuffer: @unchecked Sendable {
    let p: UnsafeMutablePointer<Double>
    let count: Int

    init(count: Int) {
        self.count = count
        p = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
        p.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { p.deallocate() }

    static let empty = RawBuffer(count: 1)
}

