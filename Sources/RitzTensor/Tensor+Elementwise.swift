import Foundation

/// Binary elementwise operators, all broadcasting as NumPy does.
public enum BinaryOp: String, Sendable, CaseIterable {
    case add = "+", sub = "-", mul = "*", div = "/", pow = "^", mod = "%", floorDiv = "//"
    case maximum, minimum
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case and, or

    /// True for comparisons and logical operators, whose result is a bool tensor.
    public var isPredicate: Bool {
        switch self {
        case .eq, .ne, .lt, .le, .gt, .ge, .and, .or: return true
        default: return false
        }
    }

    /// The operator on two real numbers. `%` is the floored modulo (sign of the divisor), as
    /// NumPy's `mod`; `maximum`/`minimum` propagate NaN as NumPy's do.
    @inline(__always)
    public func apply(_ x: Double, _ y: Double) -> Double {
        switch self {
        case .add: return x + y
        case .sub: return x - y
        case .mul: return x * y
        case .div: return x / y
        case .pow: return Foundation.pow(x, y)
        case .mod: return flooredMod(x, y)
        case .floorDiv: return flooredDiv(x, y)
        case .maximum: return x.isNaN || y.isNaN ? .nan : Swift.max(x, y)
        case .minimum: return x.isNaN || y.isNaN ? .nan : Swift.min(x, y)
        case .eq: return x == y ? 1 : 0
        case .ne: return x != y ? 1 : 0
        case .lt: return x < y ? 1 : 0
        case .le: return x <= y ? 1 : 0
        case .gt: return x > y ? 1 : 0
        case .ge: return x >= y ? 1 : 0
        case .and: return x != 0 && y != 0 ? 1 : 0
        case .or: return x != 0 || y != 0 ? 1 : 0
        }
    }
}

/// `x mod y` with the sign of `y` (Python and NumPy semantics); NaN for `y == 0`.
@inline(__always)
public func flooredMod(_ x: Double, _ y: Double) -> Double {
    let r = fmod(x, y)
    return r != 0 && (r < 0) != (y < 0) ? r + y : r
}

/// `x // y`, the floor of `x / y` as NumPy's `floor_divide` computes it, consistent with
/// `flooredMod`: x = (x // y)·y + x % y up to rounding.
///
/// From NumPy's `npy_divmod` (numpy/_core/src/npymath/npy_math_internal.h.src): the quotient
/// (x − fmod(x, y)) / y, less one when the remainder's sign differs from y's, snapped to the
/// nearest integer; a zero quotient takes the sign of x / y. y = 0 gives x / y (±inf or NaN).
/// So 1 // 0.1 = 9 (0.1 is a little more than a tenth), as NumPy and Python give.
@inline(__always)
public func flooredDiv(_ x: Double, _ y: Double) -> Double {
    if y == 0 { return x / y }
    let mod = fmod(x, y)
    var div = (x - mod) / y
    if mod != 0 && (y < 0) != (mod < 0) { div -= 1 }
    guard div != 0 else { return Double(signOf: x / y, magnitudeOf: 0) }
    var q = div.rounded(.down)
    if div - q > 0.5 { q += 1 }
    return q
}

extension Tensor {
    /// `self op other` with broadcasting.
    ///
    /// Complex operands are supported for `+ - * / ^ == !=`; comparisons give bool tensors.
    /// - Throws: `ShapeError.mismatch` for incompatible shapes, `TensorError.unsupportedDType`
    ///   for an ordering comparison of complex values.
    public func binary(_ op: BinaryOp, _ other: Tensor) throws -> Tensor {
        if isComplex || other.isComplex { return try complexBinary(op, other) }
        let (shape, out): ([Int], [Double])
        switch op {
        case .add: (shape, out) = try broadcastMap(self, other, op: "+", Add())
        case .sub: (shape, out) = try broadcastMap(self, other, op: "-", Subtract())
        case .mul: (shape, out) = try broadcastMap(self, other, op: "*", Multiply())
        case .div: (shape, out) = try broadcastMap(self, other, op: "/", Divide())
        default: (shape, out) = try broadcastMap(self, other, op: op.rawValue, AnyBinary(op: op))
        }
        if op.isPredicate { return Tensor(unchecked: shape, out, dtype: .bool) }
        return Tensor(unchecked: shape, out, dtype: resultDType(op, other, out))
    }

    /// The dtype of `self op other` for real operands: int64 when both are integers and `op`
    /// keeps integers integral (`+ − * %`, `maximum`, `minimum`), else float64 (NumPy's
    /// promotion). A 0-d float64 operand holding an integer counts as an integer, as a Python
    /// `int` scalar does under NumPy's NEP 50 (ritz numbers are 0-d). A result beyond ±2⁵³ is
    /// float64, since doubles no longer hold it exactly.
    private func resultDType(_ op: BinaryOp, _ other: Tensor, _ out: [Double]) -> DType {
        func integral(_ t: Tensor) -> Bool {
            switch t.dtype {
            case .int64, .bool: return true
            case .float64: return t.ndim == 0 && t.storage.allSatisfy { $0 == $0.rounded() && Swift.abs($0) <= DType.exactIntegerLimit }
            case .complex128: return false
            }
        }
        let keepsIntegers: Bool
        switch op {
        case .add, .sub, .mul, .mod, .maximum, .minimum: keepsIntegers = true
        default: keepsIntegers = false
        }
        guard keepsIntegers, dtype == .int64 || other.dtype == .int64, integral(self), integral(other),
              out.allSatisfy({ Swift.abs($0) <= DType.exactIntegerLimit }) else { return .float64 }
        // NumPy's integer `%` by zero gives 0 with a warning; ritz keeps NaN and so float64.
        return out.contains { $0.isNaN } ? .float64 : .int64
    }

    private func complexBinary(_ op: BinaryOp, _ other: Tensor) throws -> Tensor {
        guard let shape = Tensor.broadcastShape(self.shape, other.shape) else {
            throw ShapeError.mismatch(op: op.rawValue, lhs: self.shape, rhs: other.shape)
        }
        let a = try asComplex().broadcast(to: shape), b = try other.asComplex().broadcast(to: shape)
        let n = a.count
        switch op {
        case .eq, .ne:
            var out = [Double](repeating: 0, count: n)
            for i in 0..<n {
                let same = a.storage[2 * i] == b.storage[2 * i] && a.storage[2 * i + 1] == b.storage[2 * i + 1]
                out[i] = (same == (op == .eq)) ? 1 : 0
            }
            return Tensor(unchecked: shape, out, dtype: .bool)
        case .add, .sub, .mul, .div, .pow:
            var out = [Double](repeating: 0, count: 2 * n)
            for i in 0..<n {
                let x = Complex(a.storage[2 * i], a.storage[2 * i + 1])
                let y = Complex(b.storage[2 * i], b.storage[2 * i + 1])
                let z: Complex
                switch op {
                case .add: z = x + y
                case .sub: z = x - y
                case .mul: z = x * y
                case .div: z = x / y
                default: z = Complex.pow(x, y)
                }
                out[2 * i] = z.re; out[2 * i + 1] = z.im
            }
            return Tensor(unchecked: shape, out, dtype: .complex128)
        default:
            throw TensorError.unsupportedDType(op: op.rawValue, dtype: .complex128)
        }
    }

    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.add, b) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.sub, b) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.mul, b) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.div, b) }
}

/// Unary elementwise functions.
public enum UnaryOp: String, Sendable, CaseIterable {
    case neg, exp, log, log1p, sqrt, abs, sign, floor, ceil, round
    case sin, cos, tan, tanh, sigmoid, relu, gelu, softplus
    case isnan, isfinite, not

    /// True when the result is a bool tensor.
    public var isPredicate: Bool { self == .isnan || self == .isfinite || self == .not }

    /// The function on a real number.
    ///
    /// `round` rounds half to even (NumPy); `gelu` is the exact form x·Φ(x) = ½x(1 + erf(x/√2));
    /// `exp`, `tanh`, `sigmoid` and `gelu` use the vectorisable kernels of `FastMath`;
    /// `sigmoid` and `softplus` are evaluated without overflow: softplus(x) = max(x, 0) + log1p(e^−|x|).
    @inline(__always)
    public func apply(_ x: Double) -> Double {
        switch self {
        case .neg: return -x
        case .exp: return FastMath.exp(x)
        case .log: return Foundation.log(x)
        case .log1p: return Foundation.log1p(x)
        case .sqrt: return x.squareRoot()
        case .abs: return Swift.abs(x)
        case .sign: return x > 0 ? 1 : (x < 0 ? -1 : (x.isNaN ? .nan : 0))
        case .floor: return x.rounded(.down)
        case .ceil: return x.rounded(.up)
        case .round: return x.rounded(.toNearestOrEven)
        case .sin: return Foundation.sin(x)
        case .cos: return Foundation.cos(x)
        case .tan: return Foundation.tan(x)
        case .tanh: return FastMath.tanh(x)
        case .sigmoid: return FastMath.sigmoid(x)
        case .relu: return !(x <= 0) ? x : 0  // x above 0 or NaN: x; else +0 (a select, no branch)
        case .gelu: return FastMath.gelu(x)
        case .softplus: return Swift.max(x, 0) + Foundation.log1p(FastMath.exp(-Swift.abs(x)))
        case .isnan: return x.isNaN ? 1 : 0
        case .isfinite: return x.isFinite ? 1 : 0
        case .not: return x == 0 ? 1 : 0
        }
    }
}

extension Tensor {
    /// Applies `op` to every element.
    ///
    /// Complex tensors accept `neg exp log sqrt abs sin cos tanh isnan isfinite`; `abs` of a
    /// complex tensor is its real modulus.
    /// - Throws: `TensorError.unsupportedDType` for other functions of complex values.
    public func unary(_ op: UnaryOp) throws -> Tensor {
        if isComplex { return try complexUnary(op) }
        let n = storage.count
        let out: [Double]
        switch op {
        case .neg: out = try mapStorage(n, Negate())
        case .exp: out = try kernelStorage(n) { FastMath.exp($0, $1, count: $2) }
        case .tanh: out = try kernelStorage(n) { FastMath.tanh($0, $1, count: $2) }
        case .sigmoid: out = try kernelStorage(n) { FastMath.sigmoid($0, $1, count: $2) }
        case .gelu: out = try kernelStorage(n) { FastMath.gelu($0, $1, count: $2) }
        // The cheap functions each in a loop of its own: dispatching on `op` per element cost
        // several times the function (relu 6.7 ns an element through `AnyUnary`).
        case .relu: out = try mapStorage(n, FixedUnary.Relu())
        case .abs: out = try mapStorage(n, FixedUnary.Absolute())
        case .sqrt: out = try mapStorage(n, FixedUnary.SquareRoot())
        case .sign: out = try mapStorage(n, FixedUnary.Sign())
        case .floor: out = try mapStorage(n, FixedUnary.Floor())
        case .ceil: out = try mapStorage(n, FixedUnary.Ceiling())
        case .round: out = try mapStorage(n, FixedUnary.Round())
        case .isnan: out = try mapStorage(n, FixedUnary.IsNaN())
        case .isfinite: out = try mapStorage(n, FixedUnary.IsFinite())
        case .not: out = try mapStorage(n, FixedUnary.Not())
        default: out = try mapStorage(n, AnyUnary(op: op))
        }
        if op.isPredicate { return Tensor(unchecked: shape, out, dtype: .bool) }
        // Negation and absolute value keep integers integers, as NumPy's do.
        let keepsIntegers = dtype == .int64 && (op == .neg || op == .abs)
        return Tensor(unchecked: shape, out, dtype: keepsIntegers ? .int64 : .float64)
    }

    /// The storage through one of `FastMath`'s loop kernels (four elements at a time), in
    /// `Parallel` pieces.
    @inline(__always)
    private func kernelStorage(_ n: Int,
                               _ kernel: (UnsafePointer<Double>, UnsafeMutablePointer<Double>, Int) -> Void) throws -> [Double] {
        try storage.withUnsafeBufferPointer { p in
            try makeStorage(n) { o in
                guard let x = p.baseAddress else { return }
                Parallel.forEachPiece(n) { r in kernel(x + r.lowerBound, o + r.lowerBound, r.count) }
            }
        }
    }

    @inline(__always)
    private func mapStorage<F: UnaryFunction>(_ n: Int, _ f: F) throws -> [Double] {
        try storage.withUnsafeBufferPointer { p in
            try makeStorage(n) { o in
                let x = p.baseAddress.unsafelyUnwrapped
                Parallel.forEachPiece(n) { r in for i in r { o[i] = f(x[i]) } }
            }
        }
    }

    private func complexUnary(_ op: UnaryOp) throws -> Tensor {
        let n = count
        switch op {
        case .abs:
            return Tensor(unchecked: shape, (0..<n).map { Complex(storage[2 * $0], storage[2 * $0 + 1]).magnitude })
        case .isnan, .isfinite:
            return Tensor(unchecked: shape, (0..<n).map { i in
                let (re, im) = (storage[2 * i], storage[2 * i + 1])
                if op == .isnan { return re.isNaN || im.isNaN ? 1 : 0 }
                return re.isFinite && im.isFinite ? 1 : 0
            }, dtype: .bool)
        case .neg, .exp, .log, .sqrt, .sin, .cos, .tanh:
            var out = [Double](repeating: 0, count: 2 * n)
            for i in 0..<n {
                let z = Complex(storage[2 * i], storage[2 * i + 1])
                let w: Complex
                switch op {
                case .neg: w = Complex(-z.re, -z.im)
                case .exp: w = Complex.exp(z)
                case .log: w = Complex.log(z)
                case .sqrt: w = Complex.sqrt(z)
                case .sin: w = Complex.sin(z)
                case .cos: w = Complex.cos(z)
                default: w = Complex.tanh(z)
                }
                out[2 * i] = w.re; out[2 * i + 1] = w.im
            }
            return Tensor(unchecked: shape, out, dtype: .complex128)
        default:
            throw TensorError.unsupportedDType(op: op.rawValue, dtype: .complex128)
        }
    }

    /// Complex conjugate (the tensor itself when real).
    public func conj() -> Tensor {
        guard isComplex else { return self }
        var out = storage
        var i = 1
        while i < out.count { out[i] = -out[i]; i += 2 }
        return Tensor(unchecked: shape, out, dtype: .complex128)
    }

    /// Argument of each element, atan2(im, re); zero for non-negative reals, π for negative.
    public func angle() -> Tensor {
        let n = count
        return Tensor(unchecked: shape, (0..<n).map { i in
            let (re, im) = complexElement(i)
            return atan2(im, re)
        })
    }

    /// `min(max(x, lo), hi)` elementwise; NaN stays NaN.
    public func clip(_ lo: Double, _ hi: Double) throws -> Tensor {
        guard !isComplex else { throw TensorError.unsupportedDType(op: "clip", dtype: .complex128) }
        return Tensor(unchecked: shape, storage.map { $0.isNaN ? $0 : Swift.min(Swift.max($0, lo), hi) })
    }

    /// `cond ? a : b` elementwise with broadcasting of all three.
    public static func `where`(_ cond: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard let s1 = broadcastShape(cond.shape, a.shape), let shape = broadcastShape(s1, b.shape) else {
            throw ShapeError.mismatch(op: "where", lhs: a.shape, rhs: b.shape)
        }
        let complex = a.isComplex || b.isComplex
        let c = try cond.broadcast(to: shape)
        let x = try (complex ? a.asComplex() : a.asFloat()).broadcast(to: shape)
        let y = try (complex ? b.asComplex() : b.asFloat()).broadcast(to: shape)
        let n = c.count, w = complex ? 2 : 1
        var out = [Double](repeating: 0, count: n * w)
        for i in 0..<n {
            let (re, im) = c.complexElement(i)
            let src = (re != 0 || im != 0) ? x.storage : y.storage
            for k in 0..<w { out[i * w + k] = src[i * w + k] }
        }
        return Tensor(unchecked: shape, out, dtype: complex ? .complex128 : .float64)
    }
}

/// A unary function of doubles as a type, so the loops that apply it specialise, inline and
/// vectorise even when they run as `Parallel` pieces.
protocol UnaryFunction {
    func callAsFunction(_ x: Double) -> Double
}

/// A binary function of doubles as a type (see `UnaryFunction`).
protocol BinaryFunction {
    func callAsFunction(_ a: Double, _ b: Double) -> Double
}

struct Negate: UnaryFunction {
    @inline(__always) func callAsFunction(_ x: Double) -> Double { -x }
}

struct AnyUnary: UnaryFunction {
    let op: UnaryOp
    @inline(__always) func callAsFunction(_ x: Double) -> Double { op.apply(x) }
}

/// Single cases of `UnaryOp.apply` as types: the same function (the case is a constant, so the
/// switch folds away), in a loop that specialises to it.
enum FixedUnary {
    struct Relu: UnaryFunction { @inline(__always) func callAsFunction(_ x: Double) -> Double { UnaryOp.relu.apply(x) } }
    struct Absolute: UnaryFunction { @inline(__always) func callAsFunction(_ x: Double) -> Double { UnaryOp.abs.apply(x) } }
    struct SquareRoot: UnaryFunction { @inline(__always) func callAsFunction(_ x: Double) -> Double { UnaryOp.sqrt.apply(x) } }
    struct Sign: UnaryFunction { @inline(__always) func callAsFunction(_ x: Double) -> Double { UnaryOp.sign.apply(x) } }
    struct Floor: UnaryFunction { @inline(__always) func callAsFunction(_ x: Double) -> Double { UnaryOp.floor.apply(x) } }
    struct Ceiling: UnaryFunction { @inline(__always) func callAsFunction(_ x: Double) -> Double { UnaryOp.ceil.apply(x) } }
    struct Round: UnaryFunction { @inline(__always) func callAsFunction(_ x: Double) -> Double { UnaryOp.round.apply(x) } }
    struct IsNaN: UnaryFunction { @inline(__always) func callAsFunction(_ x: Double) -> Double { UnaryOp.isnan.apply(x) } }
    struct IsFinite: UnaryFunction { @inline(__always) func callAsFunction(_ x: Double) -> Double { UnaryOp.isfinite.apply(x) } }
    struct Not: UnaryFunction { @inline(__always) func callAsFunction(_ x: Double) -> Double { UnaryOp.not.apply(x) } }
}

struct Add: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: Double, _ b: Double) -> Double { a + b }
}

struct Subtract: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: Double, _ b: Double) -> Double { a - b }
}

struct Multiply: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: Double, _ b: Double) -> Double { a * b }
}

struct Divide: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: Double, _ b: Double) -> Double { a / b }
}

struct AnyBinary: BinaryFunction {
    let op: BinaryOp
    @inline(__always) func callAsFunction(_ a: Double, _ b: Double) -> Double { op.apply(a, b) }
}
