import Foundation
import RitzTensor

/// The one dispatch point for operators on values: every binary and unary operation of the
/// evaluator that is not a plain number operation comes here (traced tensors are added here).
extension Interpreter {
    /// `a op b` on numbers.
    @inline(__always)
    static func numberOp(_ op: BinaryOperator, _ x: Double, _ y: Double) -> Value? {
        switch op {
        case .add: return .number(x + y)
        case .sub: return .number(x - y)
        case .mul: return .number(x * y)
        case .div: return .number(x / y)
        case .pow: return .number(y == 2 ? x * x : Foundation.pow(x, y))
        case .mod: return .number(flooredMod(x, y))
        case .floorDiv: return .number(flooredDiv(x, y))
        case .lt: return .bool(x < y)
        case .le: return .bool(x <= y)
        case .gt: return .bool(x > y)
        case .ge: return .bool(x >= y)
        case .eq: return .bool(x == y)
        case .ne: return .bool(x != y)
        case .matmul: return nil
        }
    }

    static func tensorOp(_ op: BinaryOperator) -> BinaryOp? {
        switch op {
        case .add: return .add
        case .sub: return .sub
        case .mul: return .mul
        case .div: return .div
        case .pow: return .pow
        case .mod: return .mod
        case .floorDiv: return .floorDiv
        case .eq: return .eq
        case .ne: return .ne
        case .lt: return .lt
        case .le: return .le
        case .gt: return .gt
        case .ge: return .ge
        case .matmul: return nil
        }
    }

    /// `lhs op rhs` for any values.
    ///
    /// - Throws: `ShapeError` and other tensor errors (the caller attaches the span), or a
    ///   `Diagnostic` for operand types the operator does not accept.
    func binary(_ op: BinaryOperator, _ lhs: Value, _ rhs: Value) throws -> Value {
        if let r = try tracedBinary(op, lhs, rhs) { return r }
        switch (lhs, rhs) {
        case let (.number(x), .number(y)):
            if let v = Interpreter.numberOp(op, x, y) { return v }
        case let (.tensor(t), .number(y)):
            if let r = try Interpreter.scalarFast(op, t, y, tensorOnLeft: true) { return .tensor(r) }
        case let (.number(x), .tensor(t)):
            if let r = try Interpreter.scalarFast(op, t, x, tensorOnLeft: false) { return .tensor(r) }
        case let (.bool(a), .bool(b)):
            if op == .eq { return .bool(a == b) }
            if op == .ne { return .bool(a != b) }
        case let (.string(a), .string(b)):
            switch op {
            case .add:
                try AllocationLimit.checkUntracked(bytes: a.utf8.count &+ b.utf8.count)
                return .string(a + b)
            case .eq: return .bool(a == b)
            case .ne: return .bool(a != b)
            case .lt: return .bool(a < b)
            case .le: return .bool(a <= b)
            case .gt: return .bool(a > b)
            case .ge: return .bool(a >= b)
            default: break
            }
        case let (.list(a), .list(b)) where op == .add:
            let (bytes, overflow) = (a.count &+ b.count).multipliedReportingOverflow(by: MemoryLayout<Value>.stride)
            try AllocationLimit.checkUntracked(bytes: overflow ? Int.max : bytes)
            return .list(a + b)
        case (.none, .none) where op == .eq || op == .ne:
            return .bool(op == .eq)
        case let (.object(o), _):
            if let a = o as? ArithmeticObject, let v = try a.binary(op, rhs, selfOnLeft: true, context: self) { return v }
            if op == .eq || op == .ne, case let .object(p) = rhs { return .bool((o === p) == (op == .eq)) }
            throw typeError(op, lhs, rhs)
        case let (_, .object(o)):
            if let a = o as? ArithmeticObject, let v = try a.binary(op, lhs, selfOnLeft: false, context: self) { return v }
            throw typeError(op, lhs, rhs)
        default:
            break
        }
        if op == .eq || op == .ne {
            // Equality of values of different kinds (and of strings, lists, records) is a bool.
            if !Interpreter.isNumeric(lhs) || !Interpreter.isNumeric(rhs) {
                return .bool(Interpreter.identical(lhs, rhs) == (op == .eq))
            }
        }
        guard Interpreter.isNumeric(lhs), Interpreter.isNumeric(rhs) else { throw typeError(op, lhs, rhs) }
        let a = try Interpreter.toTensor(lhs), b = try Interpreter.toTensor(rhs)
        if op == .matmul {
            guard a.ndim >= 1, b.ndim >= 1 else {
                throw Diagnostic("`@` needs tensors with at least one dimension, got shapes \(formatShape(a.shape)) and \(formatShape(b.shape))",
                                 span: nil, help: ["use `*` to multiply by a number"])
            }
            return Interpreter.wrap(try a.matmul(b))
        }
        guard let top = Interpreter.tensorOp(op) else { throw typeError(op, lhs, rhs) }
        let af = a.dtype == .bool && !op.isComparison ? try a.asFloat() : a
        let bf = b.dtype == .bool && !op.isComparison ? try b.asFloat() : b
        return Interpreter.wrap(try af.binary(top, bf))
    }

    /// `-x` and `not x`.
    func unary(_ op: String, _ v: Value) throws -> Value {
        if let r = try tracedUnary(op, v) { return r }
        switch (op, v) {
        case let ("-", .number(x)): return .number(-x)
        case let ("-", .bool(b)): return .number(b ? -1 : 0)
        case let ("-", .tensor(t)): return Interpreter.wrap(try (t.dtype == .bool ? t.asFloat() : t).unary(.neg))
        case let ("not", .bool(b)): return .bool(!b)
        case let ("not", .number(x)): return .bool(x == 0)
        case let ("not", .tensor(t)): return Interpreter.wrap(try t.unary(.not))
        case ("not", .none): return .bool(true)
        case let ("-", .object(o)):
            // -x of an object with arithmetic (an operator) is (-1) * x.
            if let a = o as? ArithmeticObject, let r = try a.binary(.mul, .number(-1), selfOnLeft: false, context: self) { return r }
            throw Diagnostic("`-` does not apply to a \(v.typeName)", span: nil)
        default:
            throw Diagnostic("`\(op)` does not apply to a \(v.typeName)", span: nil)
        }
    }

    static func isNumeric(_ v: Value) -> Bool {
        switch v {
        case .number, .bool, .tensor, .traced: return true
        case let .list(items): return items.allSatisfy { isNumeric($0) }
        default: return false
        }
    }

    /// Structural equality for non-numeric values.
    static func identical(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case (.none, .none): return true
        case let (.list(x), .list(y)): return x.count == y.count && zip(x, y).allSatisfy { identical($0, $1) }
        case let (.record(x), .record(y)):
            return x.names == y.names && zip(x.values, y.values).allSatisfy { identical($0, $1) }
        case let (.tensor(x), .tensor(y)): return x == y
        case let (.function(x), .function(y)): return x === y
        case let (.object(x), .object(y)): return x === y
        default: return false
        }
    }

    func typeError(_ op: BinaryOperator, _ lhs: Value, _ rhs: Value) -> Diagnostic {
        var help: [String] = []
        if op == .add, case .string = lhs { help.append("convert with `string(x)` to join text") }
        if op == .add, case .string = rhs { help.append("convert with `string(x)` to join text") }
        if op == .mod, case .string = lhs { help.append("format text with `format(\"x = %g\", x)`") }
        return Diagnostic("`\(op.rawValue)` does not apply to a \(lhs.typeName) and a \(rhs.typeName)", span: nil, help: help)
    }

    /// Tensor-with-number arithmetic without building a 0-d tensor: one pass, one allocation.
    @inline(__always)
    static func scalarFast(_ op: BinaryOperator, _ t: Tensor, _ y: Double, tensorOnLeft: Bool) throws -> Tensor? {
        guard t.dtype == .float64 else { return nil }
        let n = t.storage.count
        let out: [Double]
        switch op {
        case .add: out = map(t.storage, n) { $0 + y }
        case .mul: out = map(t.storage, n) { $0 * y }
        case .sub: out = tensorOnLeft ? map(t.storage, n) { $0 - y } : map(t.storage, n) { y - $0 }
        case .div: out = tensorOnLeft ? map(t.storage, n) { $0 / y } : map(t.storage, n) { y / $0 }
        default: return nil
        }
        return try Tensor(shape: t.shape, storage: out)
    }

    @inline(__always)
    private static func map(_ s: [Double], _ n: Int, _ f: (Double) -> Double) -> [Double] {
        s.withUnsafeBufferPointer { p in
            [Double](unsafeUninitializedCapacity: n) { buf, count in
                if let src = p.baseAddress, let dst = buf.baseAddress {
                    for i in 0..<n { dst[i] = f(src[i]) }
                }
                count = n
            }
        }
    }
}

extension BinaryOperator {
    /// True for `== != < <= > >=`.
    public var isComparison: Bool {
        switch self {
        case .eq, .ne, .lt, .le, .gt, .ge: return true
        default: return false
        }
    }
}
