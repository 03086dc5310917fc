import Foundation
import RitzLearn

/// The activation on one number and its first two derivatives, as the hand-derived kernels use
/// them: f″ is what the exact Hessian-vector product (Pearlmutter's R-operator) needs. `value`
/// computes `sigmoid` as ½(1 + tanh(x/2)) with libm (the reference); the kernels use RitzTensor's
/// `FastMath` for tanh and sigmoid, as the language and the tape do.
extension Activation {
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
