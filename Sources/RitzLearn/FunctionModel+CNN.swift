import RitzAutodiff
import RitzTensor

extension FunctionModel {
    /// A convolutional classifier: for each channel count cₗ, a k×k convolution with "same"
    /// zero padding and a bias, the activation, and p×p max pooling (stride p, windows that do
    /// not fit dropped); then the pooled maps flattened (channel-major, as `reshape`) and a
    /// dense layer with bias to the classes.
    ///
    /// Blocks, in the order of the flat vector: `convL.w` `[cₗ, cₗ₋₁, k, k]` and `convL.b`
    /// `[cₗ]` for each layer L from 0 (c₋₁ the input channels), then `dense.w`
    /// `[classes, features]` and `dense.b` `[classes]`.
    ///
    /// Initialisation (a contract, like ``MLP``'s): biases 0; every weight block drawn from
    /// N(0, g²/fan_in), fan_in = cₗ₋₁·k·k for a convolution and `features` for the dense layer,
    /// g = √2 for relu and gelu, 1 otherwise; drawn in block order, row-major, from one
    /// ``RitzTensor/RandomGenerator`` seeded with `seed`.
    ///
    /// Inputs are images `[N, C, H, W]`, or rows of C·H·W features (the flat digits) read as
    /// such images row-major.
    ///
    /// - Parameters:
    ///   - input: The shape of one image, `[C, H, W]`.
    ///   - channels: Output channels of each convolution (at least one layer).
    ///   - classes: Outputs of the dense layer.
    ///   - kernel: The convolutions' window size k.
    ///   - pool: The pooling window p (1: no pooling).
    ///   - activation: The nonlinearity after each convolution.
    ///   - seed: Seed of the initialisation.
    /// - Returns: The model.
    /// - Throws: `LearnError.invalidArgument` for sizes below 1, an image that pools to nothing,
    ///   or a model over the allocation limit.
    public static func cnn(input: [Int], channels: [Int], classes: Int, kernel: Int = 3, pool: Int = 2,
                           activation: Activation = .relu, seed: UInt64 = 0) throws -> FunctionModel {
        let name = "cnn"
        guard input.count == 3 else {
            throw LearnError.invalidArgument("cnn: input is the shape of one image [channels, height, width], got \(formatShape(input))")
        }
        guard !channels.isEmpty else { throw LearnError.invalidArgument("cnn needs at least one convolution in channels") }
        for (what, v) in [("the input's channels", input[0]), ("the input's height", input[1]), ("the input's width", input[2]),
                          ("classes", classes), ("kernel", kernel), ("pool", pool)] {
            try checkedPositive(v, what, in: name)
        }
        for c in channels { try checkedPositive(c, "every channel count", in: name) }
        // Sizes far beyond any image keep the shape arithmetic below from overflowing.
        let limit = WindowGeometry.largestParameter
        guard kernel <= limit, pool <= limit, input.allSatisfy({ $0 <= 1 << 24 }), channels.allSatisfy({ $0 <= 1 << 24 }),
              classes <= 1 << 24 else {
            throw LearnError.invalidArgument("cnn: sizes must be at most \(1 << 24) and kernel and pool at most \(limit)")
        }
        let gain = activation.initGain
        var blocks: [(name: String, shape: [Int], initialization: Initialization)] = []
        var (c, h, w) = (input[0], input[1], input[2])
        for (l, out) in channels.enumerated() {
            blocks.append(("conv\(l).w", [out, c, kernel, kernel], .normal(std: gain / Double(c * kernel * kernel).squareRoot())))
            blocks.append(("conv\(l).b", [out], .constant(0)))
            // "same" keeps h × w; pooling keeps ⌊(h − p)/p⌋ + 1 windows.
            guard h >= pool, w >= pool else {
                throw LearnError.invalidArgument("cnn: the \(input[1])×\(input[2]) input is \(h)×\(w) at convolution \(l), too small for \(pool)×\(pool) pooling; use fewer layers or a smaller pool")
            }
            (c, h, w) = (out, (h - pool) / pool + 1, (w - pool) / pool + 1)
        }
        let (features, overflow) = c.multipliedReportingOverflow(by: h * w)
        guard !overflow else { throw LearnError.invalidArgument("cnn: the network is too large") }
        blocks.append(("dense.w", [classes, features], .normal(std: gain / Double(features).squareRoot())))
        blocks.append(("dense.b", [classes], .constant(0)))
        let layers = channels.count
        let label = "cnn \(input) → \(channels) → \(classes)"
        return try FunctionModel(seeded: blocks, seed: seed, label: label, rowsAreIndependent: true) { p, x in
            // Channel-major [C, N, H, W] from the first block to the last: each convolution's
            // product is then its output, with no transposes between the layers.
            let batch = try images(x, input)
            let n = batch.shape[0]
            var y = try input[0] == 1 ? batch.reshaped([1, n, input[1], input[2]]) : batch.transposed([1, 0, 2, 3])
            for l in 0..<layers {
                y = try Var.convolutionBlock(y, p[2 * l], p[2 * l + 1], padding: .same, activation: activation.unaryOp, pool: pool)
            }
            // One row per image, channel-major within it (the batch-major maps flattened).
            let rows = try y.transposed([1, 0, 2, 3]).reshaped([n, features])
            return try dense(rows, p[2 * layers], p[2 * layers + 1])
        }
    }

    /// Inputs as images `[N, C, H, W]`: as given, or rows of C·H·W features reshaped.
    ///
    /// - Throws: `LearnError.shape` for any other shape.
    private static func images(_ x: Tensor, _ input: [Int]) throws -> Var {
        let features = input.reduce(1, *)
        if x.ndim == 4, Array(x.shape.dropFirst()) == input { return Var(try x.asFloat()) }
        if x.ndim == 2, x.shape[1] == features { return Var(try x.asFloat().reshaped([x.shape[0]] + input)) }
        throw LearnError.shape("the cnn takes images [N, \(input.map(String.init).joined(separator: ", "))] (or rows of \(features) features), got inputs of shape \(formatShape(x.shape))")
    }
}
