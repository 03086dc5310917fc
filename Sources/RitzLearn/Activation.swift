import RitzTensor

/// The nonlinearity between the layers of an ``MLP``: the tape's elementwise function
/// (``unaryOp``), whose derivative rules the gradient and the Hessian-vector product use.
/// `gelu` is the exact form x·Φ(x) = ½x(1 + erf(x/√2)), as the `gelu` builtin of ritz and
/// PyTorch's default.
public enum Activation: String, Sendable, CaseIterable {
    case tanh, relu, gelu, sigmoid, identity

    /// Parses a name as used by the language (`"tanh"`, `"relu"`, `"gelu"`, `"sigmoid"`,
    /// `"identity"`, also `"linear"`).
    ///
    /// - Parameters:
    ///   - name: The activation's name.
    /// - Throws: `LearnError.invalidArgument` for an unknown name.
    public init(name: String) throws {
        if name == "linear" { self = .identity; return }
        guard let a = Activation(rawValue: name) else {
            throw LearnError.invalidArgument(
                "unknown activation \"\(name)\"; expected one of " + Activation.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
        }
        self = a
    }

    /// The elementwise function of the tape that computes f (nil for the identity), as the
    /// fused `dense` layer takes it.
    public var unaryOp: UnaryOp? {
        switch self {
        case .tanh: return .tanh
        case .relu: return .relu
        case .gelu: return .gelu
        case .sigmoid: return .sigmoid
        case .identity: return nil
        }
    }
}
