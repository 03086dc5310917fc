import RitzTensor

/// One application of a dense or convolution layer whose weights are a parameter block, seen
/// while a forward pass was recorded by ``KroneckerCapture/record(blocks:forward:)``.
///
/// Its rows are the uses of the weights: a dense layer's input rows (`[n, in]`, or every
/// position of `[n, …, in]`), a convolution's im2col patches, one per example and output
/// position, example-major. K-FAC's a is a row with a 1 appended for the bias.
public struct CapturedLayer: Sendable {
    /// A dense layer (`linear`, the library's `dense`) or a 2-d convolution (`conv2d`).
    public enum Kind: String, Sendable { case dense, convolution }
    /// The kind.
    public let kind: Kind
    /// Index of the weight block among the blocks the forward pass got.
    public let weight: Int
    /// Index of the bias block, nil when the layer adds none (or adds one that is not a block).
    public internal(set) var bias: Int?
    /// The layer's inputs, `[rows, in]` (for a convolution the patches, in = C·KH·KW).
    public let inputs: Tensor
    /// Output features per row: a dense layer's outputs, a convolution's filters.
    public let outputs: Int
    /// The probe added to the pre-activations (a leaf of the tape).
    let probe: Int
    /// The probe is laid out `[outputs, rows]` (a convolution's product W·cols) rather than `[rows, outputs]`.
    let probeTransposed: Bool

    /// Number of rows.
    public var rows: Int { inputs.shape.first ?? 0 }
}

/// Records a forward pass with a zero probe e added to the pre-activations z of every dense and
/// convolution layer whose weights are parameter blocks, z + e, so that one reverse sweep from
/// any cotangent of the outputs gives ∂/∂z at every row of every layer (the per-row output
/// gradients K-FAC needs; the probe changes no value). The layers are found where they are
/// applied: `Var.linear`, the library's `dense` and `Var.conv2d` ask ``current`` whether their
/// weights are a block. Weights used twice (shared) give two ``CapturedLayer``s.
///
/// The product `x @ w.T` of a 2-d x with the transpose of a block is a dense layer too (whether
/// the transpose is made, `x.matmul(w.T)`, or read in place, ``Var/matmul(transposed:)`` as the
/// language runs it), and a block of its width added right after (`x @ w.T + b`) its bias. A
/// weight that is otherwise computed (a product of blocks, a slice) is not recognised. A capture
/// is used by one thread at a time, as its tape is.
public final class KroneckerCapture: @unchecked Sendable {
    /// The capture of the forward pass being recorded on this thread.
    private static let bound = ThreadScoped<KroneckerCapture>()
    private static var current: KroneckerCapture? { bound.value }

    let tape: Tape
    private var blockOf: [Int: Int] = [:]
    /// Nodes holding `w.T` of a 2-d block w, and the probed outputs of `x @ w.T` (→ layer index).
    private var transposeOf: [Int: Int] = [:]
    private var layerOf: [Int: Int] = [:]
    /// True while a hook computes its plain layer (whose own products are not layers again).
    private var suspended = false
    /// The layers, in the order they were applied.
    public private(set) var layers: [CapturedLayer] = []
    /// The recorded outputs.
    public private(set) var outputs = Var(0.0)

    private init(tape: Tape) { self.tape = tape }

    /// Records `forward` on fresh variables holding `blocks`, with the probes in place.
    ///
    /// - Parameters:
    ///   - blocks: The parameter tensors, in order.
    ///   - forward: The outputs as a function of the traced blocks.
    /// - Returns: The capture, holding the outputs and the layers.
    /// - Throws: What `forward` throws.
    public static func record(blocks: [Tensor], forward: ([Var]) throws -> Var) throws -> KroneckerCapture {
        let tape = Tape()
        let capture = KroneckerCapture(tape: tape)
        try Tape.bound.withValue(tape) {
            let vars = blocks.map { tape.variable(Var($0)) }
            for (i, v) in vars.enumerated() { capture.blockOf[v.id] = i }
            capture.outputs = try bound.withValue(capture) { try forward(vars) }
        }
        return capture
    }

    /// The gradient at every captured layer's pre-activations for the cotangent `seed` of the
    /// outputs: one `[rows, outputs]` matrix per layer (zeros where the outputs do not depend on it).
    ///
    /// - Parameters:
    ///   - seed: A cotangent of the outputs (their shape).
    /// - Returns: One matrix per entry of ``layers``.
    /// - Throws: `AutodiffError.tangentShape` for a seed of another shape; errors of the rules.
    public func preActivationGradients(_ seed: Tensor) throws -> [Tensor] {
        guard seed.shape == outputs.shape else {
            throw AutodiffError.tangentShape(op: "kronecker factors", expected: outputs.shape, got: seed.shape)
        }
        let cts = try Tape.bound.withValue(tape) {
            try tape.backward(from: outputs, seed: Var(seed), to: layers.map(\.probe), createGraph: false)
        }
        return try zip(layers, cts).map { layer, ct in
            guard let c = ct?.value else { return try Tensor.zeros([layer.rows, layer.outputs]) }
            return layer.probeTransposed ? try c.transposed() : c
        }
    }

    /// The block index of `v` when it is one of the recorded blocks themselves.
    private func block(_ v: Var) -> Int? { v.tape === tape && !suspended ? blockOf[v.id] : nil }

    /// The capture recording now, unless a hook is computing its plain layer.
    private static var active: KroneckerCapture? {
        guard let c = current, !c.suspended else { return nil }
        return c
    }

    /// `plain()` with the hooks off.
    private func unhooked<T>(_ plain: () throws -> T) rethrows -> T {
        suspended = true
        defer { suspended = false }
        return try plain()
    }

    /// Notes that `output` is the transpose of a 2-d block `input` (`Var.transposed`).
    static func noteTranspose(of input: Var, _ output: Var) {
        guard let c = active, input.ndim == 2, let w = c.block(input), output.tape === c.tape else { return }
        c.transposeOf[output.id] = w
    }

    /// `x @ w.T` with the probe added, when `wt` is the transpose of a block and x is 2-d.
    static func product(_ x: Var, _ wt: Var, plain: () throws -> Var) throws -> Var? {
        guard let c = active, x.ndim == 2, wt.ndim == 2, wt.tape === c.tape, let w = c.transposeOf[wt.id] else { return nil }
        return try c.denseProduct(x, weight: w, outputs: wt.shape[1], plain: plain)
    }

    /// `x @ w.T` read from w as stored (``Var/matmul(transposed:)``) with the probe added, when
    /// w is a 2-d block and x is 2-d.
    static func product(_ x: Var, transposedBlock w: Var, plain: () throws -> Var) throws -> Var? {
        guard let c = active, x.ndim == 2, w.ndim == 2, let block = c.block(w) else { return nil }
        return try c.denseProduct(x, weight: block, outputs: w.shape[0], plain: plain)
    }

    /// The dense layer x·Wᵀ of block `weight` computed by `plain`, probed and remembered as the
    /// layer a bias added next belongs to.
    private func denseProduct(_ x: Var, weight: Int, outputs: Int, plain: () throws -> Var) throws -> Var {
        let z = try probed(try unhooked(plain), kind: .dense, weight: weight, bias: nil, inputs: try x.value.asFloat(),
                           outputs: outputs, transposed: false)
        layerOf[z.id] = layers.count - 1
        return z
    }

    /// Records `b` as the bias of the layer whose output is `z` when `z + b` adds a block of its width.
    static func noteSum(_ z: Var, _ b: Var) {
        guard let c = active, z.tape === c.tape, let l = c.layerOf[z.id], b.ndim == 1, let bias = c.block(b),
              b.count == c.layers[l].outputs, c.layers[l].bias == nil else { return }
        c.layers[l].bias = bias
    }

    /// z + e for a zero leaf e of z's shape, remembered as a layer.
    private func probed(_ z: Var, kind: CapturedLayer.Kind, weight: Int, bias: Var?, inputs: Tensor,
                        outputs: Int, transposed: Bool) throws -> Var {
        let e = tape.variable(Var(try Tensor.zeros(z.shape)))
        layers.append(CapturedLayer(kind: kind, weight: weight, bias: bias.flatMap(block), inputs: inputs,
                                    outputs: outputs, probe: e.id, probeTransposed: transposed))
        return try z + e
    }

    /// `linear(x, w, b, activation)` with the probe before the activation, when w is a block and
    /// a capture is recording; nil otherwise (the caller then computes `plain` as usual).
    ///
    /// - Parameters:
    ///   - x: The inputs, features along the last axis.
    ///   - w: The weights `[out, in]`.
    ///   - b: The bias, if any.
    ///   - activation: Applied after the probe.
    ///   - plain: x wᵀ + b without the activation.
    /// - Returns: The layer's outputs, or nil.
    /// - Throws: What `plain` throws.
    public static func dense(_ x: Var, _ w: Var, _ b: Var?, activation: UnaryOp?,
                             plain: () throws -> Var) throws -> Var? {
        guard let capture = active, let weight = capture.block(w), x.ndim >= 1 else { return nil }
        let width = x.shape.last ?? 0
        let rows = try x.value.asFloat().reshaped([x.count / max(width, 1), width])
        let z = try capture.probed(try capture.unhooked(plain), kind: .dense, weight: weight, bias: b, inputs: rows,
                                   outputs: w.shape.first ?? 0, transposed: false)
        return try activation.map { try z.unary($0) } ?? z
    }

    /// Whether a capture is recording now (a layer computed without its full pre-activations,
    /// as a convolution pooled before they exist, must then compute them for the probe).
    static var isRecording: Bool { active != nil }

    /// The product W·cols (`[O, N·OH·OW]`) of a convolution with the probe added, when w is a block.
    ///
    /// - Parameters:
    ///   - columns: The column matrix `[C·KH·KW, N·OH·OW]`, computed only when w is a block.
    static func convolution(_ columns: () throws -> Tensor, _ w: Var, bias: Var?, product: Var) throws -> Var? {
        guard let capture = active, let weight = capture.block(w) else { return nil }
        return try capture.probed(product, kind: .convolution, weight: weight, bias: bias,
                                  inputs: try columns().transposed(), outputs: w.shape.first ?? 0, transposed: true)
    }
}
