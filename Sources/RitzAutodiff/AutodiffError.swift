import RitzTensor

/// Errors of differentiation: operations without a derivative, outputs of the wrong shape,
/// and requests too large to serve densely.
public enum AutodiffError: Error, Equatable, Sendable {
    /// `op` has no derivative rule (e.g. `svd`, `cholesky` of a traced tensor).
    case notDifferentiable(op: String)
    /// The derivative of `op` does not exist at this point; `reason` says why.
    case undefinedDerivative(op: String, reason: String)
    /// `op` (grad, hvp, hessian, …) needs a function with a single-element output.
    case nonScalarOutput(op: String, shape: [Int])
    /// A dense result of `n`×`n` entries over `limit` was refused; `hint` names the matrix-free way.
    case tooLarge(op: String, n: Int, limit: Int, hint: String)
    /// `argnum` does not name one of the `count` arguments.
    case badArgnum(argnum: Int, count: Int)
    /// Two traced values from unrelated differentiation calls met in one operation.
    case mixedTapes(op: String)
    /// A tangent or direction whose shape differs from the point's.
    case tangentShape(op: String, expected: [Int], got: [Int])
    /// Complex tensors are not differentiated.
    case complexNotSupported(op: String)
    /// A derivative rule broke the tape's contract (a bug in ritz, reported rather than ignored).
    case internalRule(op: String)
}

extension AutodiffError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .notDifferentiable(op):
            return "`\(op)` is not differentiable"
        case let .undefinedDerivative(op, reason):
            return "the derivative of `\(op)` does not exist here: \(reason)"
        case let .nonScalarOutput(op, shape):
            return "`\(op)` needs a function returning a scalar, got shape \(formatShape(shape))"
        case let .tooLarge(op, n, limit, hint):
            return "`\(op)` of \(n) variables exceeds the dense limit of \(limit); \(hint)"
        case let .badArgnum(argnum, count):
            return "argnum \(argnum) is out of range for a function of \(count) argument\(count == 1 ? "" : "s")"
        case let .mixedTapes(op):
            return "`\(op)` mixes traced values of unrelated differentiation calls"
        case let .tangentShape(op, expected, got):
            return "`\(op)` needs a direction of shape \(formatShape(expected)), got \(formatShape(got))"
        case let .complexNotSupported(op):
            return "`\(op)` cannot differentiate complex tensors"
        case let .internalRule(op):
            return "internal error in the derivative rule of `\(op)`: please report it"
        }
    }
}
