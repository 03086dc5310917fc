import RitzTensor

/// A multilayer perceptron: dense layers with one activation between them, none after the last.
///
/// Layer l maps a batch A (n × inₗ) to A·Wₗᵀ + bₗ with Wₗ of shape outₗ × inₗ (the PyTorch
/// layout). All parameters live in one flat vector, layer by layer, each layer's weights in
/// row-major order followed by its bias; ``layers`` gives the offsets.
///
/// Initialisation (documented contract): biases are zero and weights are drawn from
/// N(0, g²/inₗ) with the seeded ``RitzTensor/RandomGenerator``, layer by layer, row-major: g = 1
/// (LeCun normal) for tanh, sigmoid and identity, g = √2 (He normal) for relu and gelu.
///
/// It is evaluated on the tape like every other model, each layer one fused `linear` node
/// (``TapeModel``, `MLP+Tape.swift`).
public final class MLP {
    /// Widths from input to output, e.g. `[64, 64, 10]`.
    public let sizes: [Int]
    /// The nonlinearity after every layer but the last.
    public let activation: Activation
    /// Offsets of each layer's block in ``parameters``.
    public let layers: [Layer]
    /// Number of parameters.
    public let parameterCount: Int
    /// Each layer's weight matrix `wₗ` (outputs × inputs) and bias `bₗ`, l from 0, in the order
    /// of the flat vector (``Model/blocks``); made once, since every training step reads them.
    public let blocks: [ParameterBlock]
    /// All weights and biases, flat (see ``layers``); always ``parameterCount`` values (use
    /// ``Model/setParameters(_:)-([Double])`` to replace them from outside).
    public var parameters: [Double]

    /// One layer's block of the flat parameter vector.
    public struct Layer: Sendable, Equatable {
        /// 0-based position of the layer.
        public let index: Int
        /// Input width.
        public let inputs: Int
        /// Output width.
        public let outputs: Int
        /// Offset of the row-major `outputs × inputs` weight matrix.
        public let weightOffset: Int
        /// Offset of the `outputs` biases (right after the weights).
        public let biasOffset: Int
        /// The layer's parameters: weights then biases.
        public var range: Range<Int> { weightOffset..<(biasOffset + outputs) }
        /// Number of parameters of the layer.
        public var count: Int { outputs * inputs + outputs }
    }

    /// Creates a network with seeded initial weights.
    ///
    /// - Parameters:
    ///   - sizes: At least two positive widths, input first.
    ///   - activation: The hidden nonlinearity.
    ///   - seed: Seed of the weight initialisation.
    /// - Throws: `LearnError.invalidArgument` for fewer than two sizes, a width below 1, or a
    ///   network over the allocation limit.
    public init(sizes: [Int], activation: Activation = .tanh, seed: UInt64 = 0) throws {
        guard sizes.count >= 2 else {
            throw LearnError.invalidArgument("an mlp needs at least two sizes (input and output), got \(sizes.count)")
        }
        if let bad = sizes.first(where: { $0 < 1 }) {
            throw LearnError.invalidArgument("mlp sizes must be positive, got \(bad) in \(sizes)")
        }
        var layers = [Layer]()
        var offset = 0
        for l in 0..<(sizes.count - 1) {
            let (w, o1) = sizes[l].multipliedReportingOverflow(by: sizes[l + 1])
            let (end, o2) = offset.addingReportingOverflow(w)
            let (next, o3) = end.addingReportingOverflow(sizes[l + 1])
            guard !o1, !o2, !o3 else { throw LearnError.invalidArgument("mlp sizes \(sizes) are too large") }
            layers.append(Layer(index: l, inputs: sizes[l], outputs: sizes[l + 1], weightOffset: offset, biasOffset: end))
            offset = next
        }
        try AllocationLimit.check(elements: offset)
        self.sizes = sizes
        self.activation = activation
        self.layers = layers
        self.parameterCount = offset
        blocks = MLP.blocks(of: layers)
        var rng = RandomGenerator(seed: seed)
        var p = [Double](repeating: 0, count: offset)
        let gain = activation.initGain
        for layer in layers {
            let std = gain / Double(layer.inputs).squareRoot()
            for i in 0..<(layer.outputs * layer.inputs) { p[layer.weightOffset + i] = std * rng.normal() }
        }
        self.parameters = p
    }

    /// Input width.
    public var inputSize: Int { sizes[0] }
    /// Output width.
    public var outputSize: Int { sizes[sizes.count - 1] }

    /// One layer's weight matrix (outputs × inputs) and bias vector.
    ///
    /// - Parameters:
    ///   - index: The layer, 0-based; negative counts from the end.
    /// - Returns: Copies of the weights and the bias.
    /// - Throws: `LearnError.invalidArgument` for a layer that does not exist.
    public func layerTensors(_ index: Int) throws -> (weight: Tensor, bias: Tensor) {
        let i = index < 0 ? index + layers.count : index
        guard i >= 0, i < layers.count else {
            throw LearnError.invalidArgument("layer \(index) does not exist; this mlp has \(layers.count) layers")
        }
        let l = layers[i]
        let w = try Tensor(shape: [l.outputs, l.inputs], storage: Array(parameters[l.weightOffset..<l.biasOffset]))
        let b = Tensor(Array(parameters[l.biasOffset..<(l.biasOffset + l.outputs)]))
        return (w, b)
    }

    /// A copy with the same architecture and parameters.
    public func copy() -> MLP {
        MLP(copying: self)
    }

    private init(copying other: MLP) {
        sizes = other.sizes
        activation = other.activation
        layers = other.layers
        parameterCount = other.parameterCount
        blocks = other.blocks
        parameters = other.parameters
    }
}
