/// Typed errors of the numerical core. The language layer attaches the source span of the call.

/// A shape or axis that does not fit the operation.
public enum ShapeError: Error, Equatable, Sendable {
    /// Operands whose shapes cannot be combined by `op` (broadcasting or inner dimensions).
    case mismatch(op: String, lhs: [Int], rhs: [Int])
    /// An axis outside `-ndim ..< ndim`.
    case badAxis(axis: Int, ndim: Int)
    /// A dimension below zero.
    case negativeDimension(Int)
    /// `reshape` to a shape with a different element count.
    case badReshape(from: [Int], to: [Int])
    /// An index outside `-size ..< size` along `axis`.
    case indexOutOfRange(index: Int, axis: Int, size: Int)
    /// An operation that needs a particular rank (e.g. a matrix) got another.
    case wrongRank(op: String, expected: String, got: [Int])
    /// Anything else about shapes, with a sentence saying what.
    case invalid(String)

    /// True for an operator symbol (`@`, `+`), which a message writes between its operands'
    /// shapes — `(3, 4) @ (3, 4)`; a named operation (`mse`, `einsum (label j)`) is listed
    /// before them instead.
    public static func isOperator(_ op: String) -> Bool {
        op.unicodeScalars.first.map { !$0.properties.isAlphabetic } ?? false
    }
}

/// Failures reported by LAPACK through its `info` argument, or detected before calling it.
public enum LinalgError: Error, Equatable, Sendable {
    /// The matrix is exactly singular (LAPACK `info > 0` from a factorisation).
    case singular(info: Int)
    /// Cholesky found a non-positive leading minor of this order.
    case notPositiveDefinite(info: Int)
    /// An iterative LAPACK routine or a ritz iteration did not converge.
    case notConverged(iterations: Int)
    /// NaN or infinity in the input, which LAPACK would silently propagate or loop on.
    case nonFinite(op: String)
    /// A routine needed a square matrix.
    case notSquare(op: String, shape: [Int])
    /// LAPACK rejected an argument (`info < 0`): an internal error, reported instead of trapping.
    case illegalArgument(routine: String, info: Int)
}

/// Errors that are neither shape nor linear algebra.
public enum TensorError: Error, Equatable, Sendable {
    /// An allocation (a tensor, or a string, list or graph about to be built) larger than the
    /// memory limit by itself; both in bytes.
    case tooLarge(bytes: Int, limit: Int)
    /// An allocation that fits the limit alone but not beside the storage already alive; bytes.
    case memoryLimit(requested: Int, live: Int, limit: Int)
    /// An operation that does not accept this dtype (e.g. `floor` of a complex tensor).
    case unsupportedDType(op: String, dtype: DType)
    /// A bad argument value, with a sentence saying what.
    case invalidArgument(String)
}

/// Errors reading or writing `.npy` and `.csv` files.
public enum FileFormatError: Error, Equatable, Sendable {
    /// The file could not be opened, read or written.
    case io(path: String, reason: String)
    /// The file's content is malformed; `reason` says where and how.
    case malformed(path: String, reason: String)
    /// A well-formed file holding something ritz does not load (object arrays, strings, ...).
    case unsupported(path: String, reason: String)
}

extension ShapeError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .mismatch(op, lhs, rhs):
            let operands = ShapeError.isOperator(op) ? "\(formatShape(lhs)) \(op) \(formatShape(rhs))"
                                 : "\(formatShape(lhs)) and \(formatShape(rhs))"
            return "shape mismatch in `\(op)`: \(operands)"
        case let .badAxis(axis, ndim):
            return "axis \(axis) is out of range for a tensor with \(ndim) dimension\(ndim == 1 ? "" : "s")"
        case let .negativeDimension(d):
            return "negative dimension \(d)"
        case let .badReshape(from, to):
            return "cannot reshape \(formatShape(from)) into \(formatShape(to))"
        case let .indexOutOfRange(index, axis, size):
            return "index \(index) is out of range for axis \(axis) with size \(size)"
        case let .wrongRank(op, expected, got):
            return "`\(op)` expects \(expected), got shape \(formatShape(got))"
        case let .invalid(message):
            return message
        }
    }
}

extension LinalgError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .singular(info): return "matrix is singular (U[\(info),\(info)] is exactly zero)"
        case let .notPositiveDefinite(info): return "matrix is not positive definite (leading minor of order \(info))"
        case let .notConverged(iterations): return "did not converge in \(iterations) iterations"
        case let .nonFinite(op): return "`\(op)` got NaN or infinite values"
        case let .notSquare(op, shape): return "`\(op)` needs a square matrix, got \(formatShape(shape))"
        case let .illegalArgument(routine, info): return "\(routine) rejected argument \(-info)"
        }
    }
}

extension TensorError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .tooLarge(bytes, limit):
            return "allocating \(formatBytes(bytes)) exceeds the memory limit of \(formatBytes(limit))"
        case let .memoryLimit(requested, live, limit):
            return "out of memory: \(formatBytes(requested)) more would bring the session's \(formatBytes(live)) past its limit of \(formatBytes(limit))"
        case let .unsupportedDType(op, dtype): return "`\(op)` does not accept \(dtype) tensors"
        case let .invalidArgument(message): return message
        }
    }
}

extension FileFormatError {
    /// A short piece of a file's contents for an error message: at most `limit` characters, with
    /// `…` when cut, so a message never carries a file's text. Whatever prints the message makes
    /// control characters visible (`TerminalText.inert` in RitzPlot).
    ///
    /// - Parameters:
    ///   - text: The text from the file.
    ///   - limit: The most characters kept.
    /// - Returns: The excerpt.
    public static func excerpt<S: StringProtocol>(_ text: S, limit: Int = 32) -> String {
        guard let cut = text.index(text.startIndex, offsetBy: limit, limitedBy: text.endIndex), cut < text.endIndex else {
            return String(text)
        }
        return String(text[..<cut]) + "…"
    }
}

extension FileFormatError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .io(path, reason): return "\(path): \(reason)"
        case let .malformed(path, reason): return "\(path): malformed file: \(reason)"
        case let .unsupported(path, reason): return "\(path): unsupported: \(reason)"
        }
    }
}

/// `(3, 4)` in NumPy's notation; `(3,)` for one dimension and `()` for a scalar.
public func formatShape(_ shape: [Int]) -> String {
    if shape.count == 1 { return "(\(shape[0]),)" }
    return "(" + shape.map(String.init).joined(separator: ", ") + ")"
}

func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) B" : "\((value * 10).rounded() / 10) \(units[unit])"
}
