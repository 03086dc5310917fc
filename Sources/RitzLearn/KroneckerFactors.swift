import Foundation
import RitzAutodiff
import RitzTensor

/// Where K-FAC's backpropagated output gradients g come from (the "Fisher type").
public enum KroneckerLabels: Sendable, Equatable {
    /// Labels drawn from the model's predictive distribution, `samples` per example
    /// (``sampledTargets(model:x:loss:samples:seed:)``): the true Fisher of Martens & Grosse 2015.
    case mc(samples: Int, seed: UInt64)
    /// The data's own labels: the empirical Fisher.
    case empirical
    /// The columns of a square root of the loss Hessian in the outputs, backpropagated one by
    /// one (Botev et al. 2017's KFLR, curvlinops' "type-2"): G in expectation, no sampling. For
    /// one dense layer and mse it makes A ⊗ G the Gauss–Newton matrix exactly.
    case exact

    /// The name in the language: "mc", "empirical" or "exact".
    public var name: String {
        switch self {
        case .mc: return "mc"
        case .empirical: return "empirical"
        case .exact: return "exact"
        }
    }
}

/// The Kronecker factors of one dense or convolution layer of a model on a batch of n examples
/// (Martens & Grosse 2015; Grosse & Martens 2016 for convolutions).
///
/// With ā a row of the layer's inputs with a 1 appended when it has a bias (a convolution's
/// im2col patch), g the gradient of one example's loss ℓᵢ = n·L in the layer's pre-activation
/// outputs at that row, and T = rows/n the rows per example (1 for a dense layer on `[n, in]`,
/// the output positions of a convolution):
///
///     A = (1/n) Σ_rows ā āᵀ        (p × p, p = in + 1 with a bias)
///     G = (1/(n·T)) Σ_rows g gᵀ    (o × o, averaged over the drawn labels)
///
/// so that A ⊗ G ≈ the layer's block of the Fisher, exact in expectation for T = 1 when the
/// a's and g's are independent, and KFC's Ω ⊗ Γ for a convolution (sum over positions in A,
/// mean in G). In the flat parameters the block acts on the `[o, p]` matrix V = [w | b] (w's
/// row-major `[o, in]` elements, then the bias as the last column) as V ↦ G V A.
public struct KroneckerLayerFactors: Sendable {
    /// A dense layer or a convolution.
    public let kind: CapturedLayer.Kind
    /// The weight block (`[o, in]`, or `[o, C, KH, KW]` read as `[o, C·KH·KW]`).
    public let weight: ParameterBlock
    /// The bias block (`[o]`), when the layer has one.
    public let bias: ParameterBlock?
    /// A, p × p.
    public var a: Tensor
    /// G, o × o.
    public var g: Tensor
    /// Rows per example, T.
    public let rowsPerExample: Int

    /// o, the layer's outputs.
    public var outputs: Int { weight.shape.first ?? 0 }
    /// p, the inputs plus one for a bias.
    public var inputs: Int { weight.count / max(outputs, 1) + (bias == nil ? 0 : 1) }
    /// The names of the blocks the layer covers.
    public var blockNames: [String] { [weight.name] + (bias.map { [$0.name] } ?? []) }

    /// The `[o, p]` matrix V of the layer's parameters in the flat vector `v`.
    func gather(_ v: UnsafeBufferPointer<Double>) -> [Double] {
        [Double](unsafeUninitializedCapacity: outputs * inputs) { buffer, count in
            if let base = buffer.baseAddress { gather(v, into: base) }
            count = outputs * inputs
        }
    }

    /// Writes the `[o, p]` matrix V of the layer's parameters in `v` to `m` (o·p values, row-major).
    func gather(_ v: UnsafeBufferPointer<Double>, into m: UnsafeMutablePointer<Double>) {
        let (o, p) = (outputs, inputs), k = weight.count / max(o, 1)
        for r in 0..<o {
            for c in 0..<k { m[r * p + c] = v[weight.offset + r * k + c] }
            if let bias { m[r * p + k] = v[bias.offset + r] }
        }
    }

    /// Writes the `[o, p]` matrix `m` back to the layer's places in the flat vector `out`.
    func scatter(_ m: [Double], into out: inout [Double]) {
        m.withUnsafeBufferPointer { pm in
            out.withUnsafeMutableBufferPointer { po in
                if let base = pm.baseAddress { scatter(base, into: po) }
            }
        }
    }

    /// Writes the `[o, p]` matrix at `m` (row-major) back to the layer's places in `out`.
    func scatter(_ m: UnsafePointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        let (o, p) = (outputs, inputs), k = weight.count / max(o, 1)
        for r in 0..<o {
            for c in 0..<k { out[weight.offset + r * k + c] = m[r * p + c] }
            if let bias { out[bias.offset + r] = m[r * p + k] }
        }
    }
}

/// One use of a layer's weights: its rows ā (`[rows, p]`) and, per cotangent seed, its g (`[rows, o]`).
struct KroneckerUse {
    let inputs: Tensor
    let gradients: [Tensor]
}

/// K-FAC's statistics of a model on a batch: per layer A and G (``KroneckerLayerFactors``), and
/// what EKFAC needs to rescale them.
public struct KroneckerStatistics {
    /// The layers, ordered by their weight block.
    public let layers: [KroneckerLayerFactors]
    /// Each layer's uses and the seeds' weights (for EKFAC's per-example second moments).
    let uses: [[KroneckerUse]]
    let seedWeights: [Double]
    /// Examples in the batch.
    public let examples: Int

    /// A and G of every dense and convolution layer of `model` on the batch (x, y).
    ///
    /// The model's outputs are recorded once on the tape with ``KroneckerCapture``; each seed
    /// (n·∇_z L at drawn or given labels, or a column of the loss Hessian's square root) is one
    /// reverse sweep to every layer's pre-activations at once.
    ///
    /// - Parameters:
    ///   - model: A model recorded on the tape (``TapeModel``: the mlp, `cnn`, `model(fn, params)`, …).
    ///   - x: Inputs, examples along the first axis.
    ///   - y: Labels or targets.
    ///   - loss: The loss.
    ///   - labels: Where g comes from.
    /// - Returns: The statistics.
    /// - Throws: `LearnError.invalidArgument` for a model not on the tape, samples < 1, layer
    ///   rows that are not a whole number per example or a weight used with two different biases;
    ///   errors of the model.
    public static func compute(model: any Model, x: Tensor, y: Tensor, loss: LossKind,
                               labels: KroneckerLabels) throws -> KroneckerStatistics {
        guard let tapeModel = model as? any TapeModel else {
            throw LearnError.invalidArgument("K-FAC needs a model recorded on the tape (mlp, cnn, transformer, model(fn, params)); \(model.label) is not")
        }
        let n = x.shape.first ?? 0
        guard n > 0 else { throw LearnError.shape("the batch is empty") }
        let blocks = model.blocks
        let flat = model.parameters
        let tensors = try Tensor.pieces(of: flat, blocks: blocks.map { ($0.offset, $0.shape) })
        let capture = try KroneckerCapture.record(blocks: tensors) { vars in try tapeModel.outputs(vars, x) }
        let z = try capture.outputs.value.asFloat()
        let seeds = try outputSeeds(z: z, y: y, loss: loss, labels: labels, examples: n)
        let perSeed = try seeds.map { try capture.preActivationGradients($0.seed) }

        // Group the uses of each weight block.
        var order: [Int] = []
        var biasOf: [Int: Int?] = [:]
        var usesOf: [Int: [Int]] = [:]
        for (i, layer) in capture.layers.enumerated() {
            if let known = biasOf[layer.weight] {
                guard known == layer.bias else {
                    throw LearnError.invalidArgument("K-FAC: the weights \"\(blocks[layer.weight].name)\" are used with two different biases")
                }
            } else {
                order.append(layer.weight)
                biasOf[layer.weight] = layer.bias
            }
            usesOf[layer.weight, default: []].append(i)
        }
        order.sort()
        // A bias claimed by an earlier layer (or that is itself a layer's weights) is left out.
        var claimed = Set(order)
        var layers: [KroneckerLayerFactors] = []
        var uses: [[KroneckerUse]] = []
        let invN = 1 / Double(n)
        for w in order {
            var bias = biasOf[w] ?? nil
            if let b = bias, claimed.contains(b) || blocks[b].count != blocks[w].shape.first { bias = nil }
            if let b = bias { claimed.insert(b) }
            let list = usesOf[w] ?? []
            var layerUses: [KroneckerUse] = []
            var rows = 0
            var a: Tensor?
            var g: Tensor?
            for i in list {
                let captured = capture.layers[i]
                guard captured.rows % n == 0 else {
                    throw LearnError.invalidArgument("K-FAC: the layer of \"\(blocks[w].name)\" sees \(captured.rows) rows, not a whole number per example of the \(n)")
                }
                rows += captured.rows
                let abar = bias == nil ? captured.inputs : try appendingOnes(captured.inputs)
                let aa = try Tensor.gemm(abar, transA: true, abar, transB: false)
                a = try a.map { try $0 + aa } ?? aa
                var gradients: [Tensor] = []
                for (s, seed) in seeds.enumerated() {
                    let gs = perSeed[s][i]
                    let gg = try Tensor.gemm(gs, transA: true, gs, transB: false) * Tensor(seed.weight)
                    g = try g.map { try $0 + gg } ?? gg
                    gradients.append(gs)
                }
                layerUses.append(KroneckerUse(inputs: abar, gradients: gradients))
            }
            guard let a, let g else { continue }
            let perExample = rows / n
            layers.append(KroneckerLayerFactors(kind: capture.layers[list[0]].kind, weight: blocks[w], bias: bias.map { blocks[$0] },
                                                a: try a * Tensor(invN), g: try g * Tensor(invN / Double(perExample)),
                                                rowsPerExample: perExample))
            uses.append(layerUses)
        }
        return KroneckerStatistics(layers: layers, uses: uses, seedWeights: seeds.map(\.weight), examples: n)
    }

    /// The means over every row of layer `l`'s uses of ā and of g (at the first seed): MKOR's
    /// rank-one vectors.
    func means(_ l: Int) -> (a: [Double], g: [Double]) {
        let layer = layers[l]
        var (a, g) = ([Double](repeating: 0, count: layer.inputs), [Double](repeating: 0, count: layer.outputs))
        var rows = 0
        for use in uses[l] {
            let r = use.inputs.shape.first ?? 0
            rows += r
            let (x, gs) = (use.inputs.storage, use.gradients.first?.storage ?? [])
            for i in 0..<r {
                for j in 0..<a.count { a[j] += x[i * a.count + j] }
                if gs.count == r * g.count { for j in 0..<g.count { g[j] += gs[i * g.count + j] } }
            }
        }
        let s = 1 / Double(max(rows, 1))
        return (a.map { $0 * s }, g.map { $0 * s })
    }

    /// `m` with a column of ones appended.
    private static func appendingOnes(_ m: Tensor) throws -> Tensor {
        let (r, c) = (m.shape[0], m.shape[1])
        var out = [Double](repeating: 1, count: r * (c + 1))
        let s = m.storage
        for i in 0..<r { for j in 0..<c { out[i * (c + 1) + j] = s[i * c + j] } }
        return try Tensor(shape: [r, c + 1], storage: out)
    }

    /// The cotangents of the outputs whose backpropagated g's make G, each with its weight in
    /// the average.
    ///
    /// * mc: n·∇_z L(z, ŷ) for each draw ŷ, weight 1/samples;
    /// * empirical: n·∇_z L(z, y), weight 1;
    /// * exact: for each class (output) c, the c-th column of a square root S of the Hessian of
    ///   n·L in z, weight 1: cross-entropy with P labelled positions, S = √(n/P)·(diag √p − p √pᵀ)
    ///   at each position (p = softmax z; S Sᵀ = (n/P)(diag p − p pᵀ)); mse over E outputs,
    ///   S = √(2n/E)·I. One column seeds every position at once, exact when each example has one.
    static func outputSeeds(z: Tensor, y: Tensor, loss: LossKind,
                            labels: KroneckerLabels, examples n: Int) throws -> [(seed: Tensor, weight: Double)] {
        func scaledGradient(_ target: Tensor) throws -> Tensor {
            let g = try grad { zz in try FunctionModelEvaluation.loss(loss, zz, target) }(Var(z))
            return try g.value * Tensor(Double(n))
        }
        switch labels {
        case .empirical:
            return [(try scaledGradient(y), 1)]
        case let .mc(samples, seed):
            guard samples >= 1 else { throw LearnError.invalidArgument("samples must be at least 1, got \(samples)") }
            let drawn = try sampledTargets(outputs: z, examples: n, loss: loss, samples: samples, seed: seed)
            return try (0..<samples).map { s in
                var storage: [Double] = []
                var shape: [Int] = []
                for i in 0..<n {
                    let t = drawn[i * samples + s].y
                    shape = t.shape
                    storage.append(contentsOf: try t.asFloat().storage)
                }
                shape[0] = n
                return (try scaledGradient(try Tensor(shape: shape, storage: storage)), 1 / Double(samples))
            }
        case .exact:
            guard let k = z.shape.last, k >= 1 else { throw LearnError.shape("the model has no outputs") }
            let positions = z.count / k
            let zs = z.storage
            var columns: [[Double]] = Array(repeating: [Double](repeating: 0, count: z.count), count: k)
            switch loss {
            case .mse:
                let s = (2 * Double(n) / Double(z.count)).squareRoot()
                for r in 0..<positions { for c in 0..<k { columns[c][r * k + c] = s } }
            case .crossEntropy:
                let scale = (Double(n) / Double(positions)).squareRoot()
                for r in 0..<positions {
                    let row = zs[(r * k)..<((r + 1) * k)]
                    let top = row.max() ?? 0
                    let e = row.map { Foundation.exp($0 - top) }
                    let total = e.reduce(0, +)
                    let p = e.map { $0 / total }
                    for c in 0..<k {
                        let root = p[c].squareRoot()
                        for j in 0..<k { columns[c][r * k + j] = scale * root * ((j == c ? 1 : 0) - p[j]) }
                    }
                }
            }
            return try columns.map { (try Tensor(shape: z.shape, storage: $0), 1) }
        }
    }

    /// The eigendecomposition of every layer's factors and its scales in the Kronecker
    /// eigenbasis: λ_G,i·λ_A,j for K-FAC; for EKFAC (George et al. 2018) the second moments of
    /// the per-example gradients projected into that basis,
    /// s_ij = (1/n) Σ_examples Σ_seeds w_s ((Q_Gᵀ ∇ᵢ Q_A)_ij)², with ∇ᵢ = Σ_{rows of i} g āᵀ the
    /// gradient of example i's loss in the layer's `[o, p]` parameters.
    ///
    /// - Parameters:
    ///   - ekfac: Rescale by EKFAC's second moments.
    /// - Returns: One decomposed layer per layer.
    /// - Throws: `LinalgError` when an eigendecomposition fails (non-finite factors).
    public func decomposed(ekfac: Bool) throws -> [KroneckerEigenLayer] {
        var decomposed = try KroneckerEigenLayer.decompose(layers)
        if ekfac { for l in decomposed.indices { decomposed[l].scales = try secondMoments(l, decomposed[l]) } }
        return decomposed
    }

    private func secondMoments(_ l: Int, _ e: KroneckerEigenLayer) throws -> [Double] {
        let (o, p) = (e.factors.outputs, e.factors.inputs)
        var s = [Double](repeating: 0, count: o * p)
        var m = [Double](repeating: 0, count: o * p)
        let projectedInputs = try uses[l].map { try Tensor.gemm($0.inputs, transA: false, e.qa, transB: false).storage }
        for (seed, weight) in seedWeights.enumerated() {
            let projected = try uses[l].map { try Tensor.gemm($0.gradients[seed], transA: false, e.qg, transB: false).storage }
            for i in 0..<examples {
                for j in 0..<(o * p) { m[j] = 0 }
                for (u, use) in uses[l].enumerated() {
                    let per = use.inputs.shape[0] / examples
                    let (ah, gh) = (projectedInputs[u], projected[u])
                    for r in (i * per)..<((i + 1) * per) {
                        for a in 0..<o {
                            let ga = gh[r * o + a]
                            if ga == 0 { continue }
                            for b in 0..<p { m[a * p + b] += ga * ah[r * p + b] }
                        }
                    }
                }
                for j in 0..<(o * p) { s[j] += weight * m[j] * m[j] }
            }
        }
        let invN = 1 / Double(examples)
        return s.map { $0 * invN }
    }
}

/// One layer's factors in their eigenbases, A = Q_A Λ_A Q_Aᵀ and G = Q_G Λ_G Q_Gᵀ, with the
/// scales that make its block Q (diag s) Qᵀ, Q = Q_G ⊗ Q_A: V ↦ Q_G ((Q_Gᵀ V Q_A) ⊙ S) Q_Aᵀ.
public struct KroneckerEigenLayer: Sendable {
    /// The factors.
    public let factors: KroneckerLayerFactors
    /// Q_A (p × p, eigenvectors as columns) and Λ_A.
    public let qa: Tensor, la: [Double]
    /// Q_G (o × o) and Λ_G.
    public let qg: Tensor, lg: [Double]
    /// S, o × p row-major.
    public var scales: [Double]

    /// The decomposition with K-FAC's scales λ_G,i·λ_A,j.
    ///
    /// - Throws: `LinalgError` from `eigh`.
    init(_ f: KroneckerLayerFactors) throws {
        self.init(f, a: try f.a.eigh(), g: try f.g.eigh())
    }

    /// The layer from the eigendecompositions of its factors, with K-FAC's scales.
    private init(_ f: KroneckerLayerFactors, a ea: (values: Tensor, vectors: Tensor), g eg: (values: Tensor, vectors: Tensor)) {
        factors = f
        let (valuesA, valuesG) = (ea.values.storage, eg.values.storage)
        (qa, la, qg, lg) = (ea.vectors, valuesA, eg.vectors, valuesG)
        scales = valuesG.flatMap { gi in valuesA.map { gi * $0 } }
    }

    /// Every layer decomposed, the 2·L eigendecompositions as parallel jobs (each one LAPACK call
    /// on one thread, so the bytes do not depend on the thread count).
    ///
    /// - Parameters:
    ///   - factors: The layers' factors.
    /// - Returns: The decomposed layers, in order, with K-FAC's scales.
    /// - Throws: `LinalgError` from `eigh`.
    static func decompose(_ factors: [KroneckerLayerFactors]) throws -> [KroneckerEigenLayer] {
        let eigen = try Parallel.results(2 * factors.count) { j in
            try (j % 2 == 0 ? factors[j / 2].a : factors[j / 2].g).eigh()
        }
        return factors.indices.map { l in KroneckerEigenLayer(factors[l], a: eigen[2 * l], g: eigen[2 * l + 1]) }
    }

    /// Values of scratch space ``apply(_:into:multipliers:workspace:)`` needs: 2·o·p.
    var workspaceCount: Int { 2 * factors.outputs * factors.inputs }

    /// Q_G (D ⊙ (Q_Gᵀ V Q_A)) Q_Aᵀ for the layer's `[o, p]` part V of `v`, written into the
    /// layer's places in `out`: four products, on the caller's scratch space.
    ///
    /// - Parameters:
    ///   - v: The flat vector.
    ///   - out: The flat result; only the layer's places are written.
    ///   - d: D, o·p multipliers, row-major like ``scales``.
    ///   - workspace: At least ``workspaceCount`` values, overwritten.
    func apply(_ v: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>,
               multipliers d: UnsafeBufferPointer<Double>, workspace: UnsafeMutablePointer<Double>) {
        let (o, p) = (factors.outputs, factors.inputs)
        guard o > 0, p > 0, d.count == o * p else { return }
        let (x, y) = (workspace, workspace + o * p)
        factors.gather(v, into: x)
        qg.storage.withUnsafeBufferPointer { pg in
            qa.storage.withUnsafeBufferPointer { pa in
                guard let g = pg.baseAddress, let a = pa.baseAddress else { return }
                // y = Q_Gᵀ V, x = y Q_A, x ⊙= D, y = Q_G x, x = y Q_Aᵀ.
                gemmBlock(transA: true, transB: false, m: o, n: p, k: o, g, lda: o, x, ldb: p, beta: 0, y, ldc: p)
                gemmBlock(transA: false, transB: false, m: o, n: p, k: p, y, lda: p, a, ldb: p, beta: 0, x, ldc: p)
                for j in 0..<(o * p) { x[j] *= d[j] }
                gemmBlock(transA: false, transB: false, m: o, n: p, k: o, g, lda: o, x, ldb: p, beta: 0, y, ldc: p)
                gemmBlock(transA: false, transB: true, m: o, n: p, k: p, y, lda: p, a, ldb: p, beta: 0, x, ldc: p)
            }
        }
        factors.scatter(x, into: out)
    }
}
