import Foundation
import RitzTensor

/// The nonlinearity between the layers of an ``MLP``.
///
/// Each case gives the function and its first two derivatives; the second is what the exact
/// Hessian-vector product (Pearlmutter's R-operator) needs. `gelu` is the exact form
/// x·Φ(x) = ½x(1 + erf(x/√2)), as the `gelu` builtin of ritz and PyTorch's default;
/// `value` computes `sigmoid` as ½(1 + tanh(x/2)) with libm (the reference); the kernels use
/// RitzTensor's `FastMath` for tanh and sigmoid, as the language does.
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

    /// f(z) on one number (the reference the vectorised kernels are tested against).
    ///
    /// - Parameters:
    ///   - z: The pre-activation.
    /// - Returns: f(z).
    public func value(_ z: Double) -> Double {
        switch self {
        case .tanh: return Foundation.tanh(z)
        case .relu: return z > 0 ? z : 0
        case .gelu: return 0.5 * z * (1 + erf(z * 0.7071067811865476))
        case .sigmoid: return 0.5 * (1 + Foundation.tanh(0.5 * z))
        case .identity: return z
        }
    }

    /// f′(z) from the pre-activation z and the activation a = f(z).
    ///
    /// - Parameters:
    ///   - z: The pre-activation.
    ///   - a: f(z), which tanh and sigmoid use: tanh′ = 1 − a², σ′ = a(1 − a).
    /// - Returns: f′(z); relu′(0) is taken as 0.
    @inline(__always)
    public func first(_ z: Double, _ a: Double) -> Double {
        switch self {
        case .tanh: return 1 - a * a
        case .relu: return z > 0 ? 1 : 0
        case .gelu:
            // Φ(z) + z·φ(z)
            return 0.5 * (1 + erf(z * 0.7071067811865476)) + z * Activation.normalDensity(z)
        case .sigmoid: return a * (1 - a)
        case .identity: return 1
        }
    }

    /// f″(z) from z and a = f(z): tanh″ = −2a(1 − a²), σ″ = σ′(1 − 2a), gelu″ = φ(z)(2 − z²).
    ///
    /// - Parameters:
    ///   - z: The pre-activation.
    ///   - a: f(z).
    /// - Returns: f″(z); zero for relu and identity.
    @inline(__always)
    public func second(_ z: Double, _ a: Double) -> Double {
        switch self {
        case .tanh: return -2 * a * (1 - a * a)
        case .relu, .identity: return 0
        case .gelu: return Activation.normalDensity(z) * (2 - z * z)
        case .sigmoid: return a * (1 - a) * (1 - 2 * a)
        }
    }

    /// φ(z) = e^{−z²/2}/√(2π).
    @inline(__always)
    static func normalDensity(_ z: Double) -> Double { 0.3989422804014327 * exp(-0.5 * z * z) }
}
