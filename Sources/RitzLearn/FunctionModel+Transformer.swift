import RitzAutodiff
import RitzTensor

extension FunctionModel {
    /// What a transformer outputs.
    public enum SequenceOutput: String, Sendable, CaseIterable {
        /// Logits `[N, classes]` at the last position (one label per sequence).
        case last
        /// Logits `[N, L, classes]` at every position (one label per position).
        case all
    }

    /// A decoder-only transformer (GPT-2's pre-norm layout, Radford et al. 2019): token and
    /// position embeddings, `depth` blocks h ← h + attn(ln₁(h)), h ← h + mlp(ln₂(h)), a final
    /// layer norm and a linear head.
    ///
    /// attn is causal multi-head attention: q, k, v = a·Wqᵀ, a·Wkᵀ, a·Wvᵀ split into `heads`
    /// heads of width/heads features each, softmax(q kᵀ/√(width/heads)) v per head with each
    /// position attending to itself and earlier ones, the heads joined and projected by Woᵀ (no
    /// biases). mlp is a ↦ act(a·W₁ᵀ + b₁)·W₂ᵀ + b₂ through `mlp`·width hidden units. ln(a) =
    /// layernorm(a)·g + b over the features (eps 1e-5). Weights are stored `[out, in]` (the
    /// PyTorch layout); the head has no bias.
    ///
    /// Blocks, in the order of the flat vector: `embed` `[vocab, width]`, `pos` `[seq, width]`;
    /// for each block L from 0: `blockL.ln1.g`, `blockL.ln1.b` `[width]`, `blockL.attn.q`, `.k`,
    /// `.v`, `.o` `[width, width]`, `blockL.ln2.g`, `blockL.ln2.b`, `blockL.mlp.w1`
    /// `[mlp·width, width]`, `blockL.mlp.b1`, `blockL.mlp.w2` `[width, mlp·width]`,
    /// `blockL.mlp.b2`; then `ln.g`, `ln.b` and `head` `[classes, width]`.
    ///
    /// Initialisation (a contract): embeddings `embed` and `pos` N(0, 0.02²) (GPT-2); the
    /// projections that read the normalised stream (q, k, v, w1, head) N(0, 1/fan_in) (LeCun
    /// normal, fan_in their input width); the two that write into the residual stream (o and
    /// w2) N(0, 1/(fan_in·2·depth)) (LeCun scaled by GPT-2's residual factor 1/√(2·depth));
    /// norm gains 1, norm and mlp biases 0. Drawn in block order, row-major, from one
    /// ``RitzTensor/RandomGenerator`` seeded with `seed`; constant blocks draw nothing.
    ///
    /// Inputs are token ids `[N, L]`, whole numbers in 0..<vocab, with 1 ≤ L ≤ seq.
    ///
    /// - Parameters:
    ///   - vocab: Number of token ids.
    ///   - seq: The longest sequence (rows of `pos`).
    ///   - width: Features per position; a multiple of `heads`.
    ///   - heads: Attention heads per block.
    ///   - depth: Number of blocks.
    ///   - classes: Outputs of the head.
    ///   - mlp: The mlp's hidden width as a multiple of `width`.
    ///   - activation: The mlp's nonlinearity (gelu as GPT-2; relu as the original transformer).
    ///   - output: Logits at the last position or at every position.
    ///   - seed: Seed of the initialisation.
    /// - Returns: The model.
    /// - Throws: `LearnError.invalidArgument` for sizes below 1 (depth below 0), a width that
    ///   the heads do not divide, or a model over the allocation limit.
    public static func transformer(vocab: Int, seq: Int, width: Int = 64, heads: Int = 4, depth: Int = 2,
                                   classes: Int? = nil, mlp: Int = 4, activation: Activation = .gelu,
                                   output: SequenceOutput = .last, seed: UInt64 = 0) throws -> FunctionModel {
        let name = "transformer"
        let classes = classes ?? vocab
        for (what, v) in [("vocab", vocab), ("seq", seq), ("width", width), ("heads", heads), ("classes", classes), ("mlp", mlp)] {
            try checkedPositive(v, what, in: name)
        }
        guard depth >= 0 else { throw LearnError.invalidArgument("transformer: depth must be at least 0, got \(depth)") }
        let largest = 1 << 24
        guard [vocab, seq, width, classes, mlp, depth].allSatisfy({ $0 <= largest }) else {
            throw LearnError.invalidArgument("transformer: sizes must be at most \(largest)")
        }
        guard width % heads == 0 else {
            throw LearnError.invalidArgument("transformer: width \(width) must be a multiple of heads (\(heads))")
        }
        let (hidden, overflow) = mlp.multipliedReportingOverflow(by: width)
        guard !overflow else { throw LearnError.invalidArgument("transformer: mlp·width is too large") }
        let reading = 1 / Double(width).squareRoot()
        let writing = (Double(max(2 * depth, 1))).squareRoot()
        var blocks: [(name: String, shape: [Int], initialization: Initialization)] = [
            ("embed", [vocab, width], .normal(std: 0.02)),
            ("pos", [seq, width], .normal(std: 0.02)),
        ]
        for l in 0..<depth {
            let b = "block\(l)."
            blocks += [
                (b + "ln1.g", [width], .constant(1)), (b + "ln1.b", [width], .constant(0)),
                (b + "attn.q", [width, width], .normal(std: reading)),
                (b + "attn.k", [width, width], .normal(std: reading)),
                (b + "attn.v", [width, width], .normal(std: reading)),
                (b + "attn.o", [width, width], .normal(std: reading / writing)),
                (b + "ln2.g", [width], .constant(1)), (b + "ln2.b", [width], .constant(0)),
                (b + "mlp.w1", [hidden, width], .normal(std: reading)),
                (b + "mlp.b1", [hidden], .constant(0)),
                (b + "mlp.w2", [width, hidden], .normal(std: 1 / (Double(hidden).squareRoot() * writing))),
                (b + "mlp.b2", [width], .constant(0)),
            ]
        }
        blocks += [("ln.g", [width], .constant(1)), ("ln.b", [width], .constant(0)),
                   ("head", [classes, width], .normal(std: reading))]
        let label = "transformer vocab \(vocab), seq \(seq), width \(width), \(heads) heads, depth \(depth)"
        let shape = TransformerShape(vocab: vocab, seq: seq, width: width, heads: heads, depth: depth,
                                     activation: activation, output: output)
        return try FunctionModel(seeded: blocks, seed: seed, label: label, rowsAreIndependent: true) { p, x in
            try shape.forward(p, x)
        }
    }
}

/// The forward pass of ``FunctionModel/transformer(vocab:seq:width:heads:depth:classes:mlp:activation:output:seed:)``
/// over its blocks in their order.
private struct TransformerShape {
    let vocab: Int, seq: Int, width: Int, heads: Int, depth: Int
    let activation: Activation
    let output: FunctionModel.SequenceOutput
    /// Blocks of one transformer block.
    static let perBlock = 12

    func forward(_ p: [Var], _ x: Tensor) throws -> Var {
        let tokens = try checkedTokens(x)
        let (n, length) = (tokens.shape[0], tokens.shape[1])
        var h = try p[0].take(tokens) + p[1].index([.slice(start: 0, stop: length, step: nil)])
        for l in 0..<depth {
            let b = Array(p[(2 + l * Self.perBlock)...].prefix(Self.perBlock))
            h = try h + attention(norm(h, b[0], b[1]), q: b[2], k: b[3], v: b[4], o: b[5], n: n, length: length)
            let hiddenOut = try activation.apply(FunctionModel.dense(norm(h, b[6], b[7]), b[8], b[9]))
            h = try h + FunctionModel.dense(hiddenOut, b[10], b[11])
        }
        let last = 2 + depth * Self.perBlock
        if output == .last { h = try h.index([.all, .at(length - 1)]) }
        return try FunctionModel.dense(norm(h, p[last], p[last + 1]), p[last + 2], nil)
    }

    /// layernorm(a)·g + b over the last axis.
    private func norm(_ a: Var, _ g: Var, _ b: Var) throws -> Var {
        try a.layernorm(axis: -1, eps: 1e-5) * g + b
    }

    /// Causal multi-head self-attention of `a` `[N, L, width]`, projected by Woᵀ.
    private func attention(_ a: Var, q: Var, k: Var, v: Var, o: Var, n: Int, length: Int) throws -> Var {
        let split = [n, length, heads, width / heads]
        func perHead(_ w: Var) throws -> Var {
            try FunctionModel.dense(a, w, nil).reshaped(split).transposed([0, 2, 1, 3])
        }
        let y = try Var.attention(perHead(q), perHead(k), perHead(v), causal: true)
        return try FunctionModel.dense(y.transposed([0, 2, 1, 3]).reshaped([n, length, width]), o, nil)
    }

    /// The inputs as token ids `[N, L]`.
    ///
    /// - Throws: `LearnError.shape` for another rank or a sequence longer than `seq`,
    ///   `LearnError.invalidArgument` for an id that is not a whole number in 0..<vocab.
    private func checkedTokens(_ x: Tensor) throws -> Tensor {
        guard x.ndim == 2, x.shape[0] >= 1, x.shape[1] >= 1 else {
            throw LearnError.shape("the transformer takes token ids [N, L], got inputs of shape \(formatShape(x.shape))")
        }
        guard x.shape[1] <= seq else {
            throw LearnError.shape("the transformer takes sequences of at most \(seq) tokens, got \(x.shape[1])")
        }
        guard !x.isComplex else { throw LearnError.invalidArgument("the transformer takes token ids, got complex inputs") }
        let ids = try x.asFloat()
        for v in ids.storage where !(v >= 0 && v < Double(vocab) && v == v.rounded()) {
            throw LearnError.invalidArgument("the transformer's tokens are whole numbers in 0..<\(vocab), got \(v)")
        }
        return ids
    }
}
