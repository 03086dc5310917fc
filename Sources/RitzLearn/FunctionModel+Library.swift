import RitzAutodiff
import RitzTensor

/// The model library: common networks as ``FunctionModel``s whose forward pass is a Swift
/// closure over the layer primitives of `Var` (convolution, pooling, attention, layer norm,
/// gathers), so the gradient, the HVP and the Gauss–Newton product come from the one engine.
///
/// The constructors are written in Swift rather than as a ritz prelude: the forward pass then
/// runs once per training step without the interpreter between the primitives, and they are
/// tested like the rest of RitzLearn (against JAX fixtures and finite differences).
extension FunctionModel {
    /// How one parameter block starts.
    public enum Initialization: Sendable, Equatable {
        /// Every element drawn from N(0, std²).
        case normal(std: Double)
        /// Every element the same number (0 for biases, 1 for a norm's gain); draws nothing.
        case constant(Double)
    }

    /// A model whose blocks are initialised by a documented contract: the `.normal` blocks are
    /// drawn in block order, each row-major, from one ``RitzTensor/RandomGenerator`` seeded with
    /// `seed`; `.constant` blocks draw nothing.
    ///
    /// - Parameters:
    ///   - blocks: Name, shape and initialisation of each block, in the order of the flat vector.
    ///   - seed: Seed of the generator.
    ///   - label: A short description.
    ///   - rowsAreIndependent: Whether `forward` treats the rows of a batch separately.
    ///   - forward: The function of the blocks and the inputs.
    /// - Throws: `LearnError.invalidArgument` for a repeated name or a model over the
    ///   allocation limit.
    public convenience init(seeded blocks: [(name: String, shape: [Int], initialization: Initialization)],
                            seed: UInt64, label: String, rowsAreIndependent: Bool = false,
                            forward: @escaping Forward) throws {
        var total = 0
        for b in blocks {
            let (count, o1) = b.shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            let (sum, o2) = total.addingReportingOverflow(count)
            guard !o1, !o2, b.shape.allSatisfy({ $0 >= 0 }) else {
                throw LearnError.invalidArgument("\(label): the parameter block \"\(b.name)\" of shape \(formatShape(b.shape)) is too large")
            }
            total = sum
        }
        do { try AllocationLimit.check(elements: total) } catch {
            throw LearnError.invalidArgument("\(label) would have \(total) parameters, over the memory limit")
        }
        var rng = RandomGenerator(seed: seed)
        var values = [Double]()
        values.reserveCapacity(total)
        for b in blocks {
            let count = b.shape.reduce(1, *)
            switch b.initialization {
            case let .normal(std):
                for _ in 0..<count { values.append(std * rng.normal()) }
            case let .constant(c):
                values.append(contentsOf: repeatElement(c, count: count))
            }
        }
        try self.init(blocks: blocks.map { ($0.name, $0.shape) }, parameters: values, label: label,
                      rowsAreIndependent: rowsAreIndependent, forward: forward)
    }

    /// x·Wᵀ + b over the last axis of `x` (W `[out, in]`, the PyTorch layout, b `[out]` or
    /// nil), as one matrix product of the rows.
    ///
    /// - Throws: `ShapeError` when the last axis of `x` is not W's input width.
    static func dense(_ x: Var, _ w: Var, _ b: Var?) throws -> Var {
        let width = x.shape.last ?? 0
        let rows = try x.reshaped([x.count / max(width, 1), width])
        func product() throws -> Var {
            let y = try rows.matmul(transposed: w)
            return try b.map { try y + $0 } ?? y
        }
        let y = try KroneckerCapture.dense(rows, w, b, activation: nil, plain: product) ?? product()
        return try y.reshaped(Array(x.shape.dropLast()) + [w.shape[0]])
    }

    /// Refuses a size below 1.
    ///
    /// - Throws: `LearnError.invalidArgument` naming the model and the size.
    static func checkedPositive(_ value: Int, _ what: String, in model: String) throws {
        guard value >= 1 else { throw LearnError.invalidArgument("\(model): \(what) must be at least 1, got \(value)") }
    }
}

extension Activation {
    /// The nonlinearity applied to a traced value (the `Var` primitive of the same name; gelu
    /// is the exact x·Φ(x)).
    ///
    /// - Parameters:
    ///   - x: The pre-activation.
    /// - Returns: f(x), elementwise.
    /// - Throws: What the primitive throws.
    public func apply(_ x: Var) throws -> Var {
        switch self {
        case .tanh: return try x.tanh()
        case .relu: return try x.relu()
        case .gelu: return try x.gelu()
        case .sigmoid: return try x.sigmoid()
        case .identity: return x
        }
    }

    /// The gain g of the initialisation N(0, g²/fan_in): √2 for relu and gelu (He), 1 otherwise
    /// (LeCun), as ``MLP``'s contract.
    public var initGain: Double { self == .relu || self == .gelu ? 2.0.squareRoot() : 1.0 }
}
