import RitzTensor

/// A tensor that may be traced: its value plus, when it depends on a variable being
/// differentiated, the tape and the node that produced it.
///
/// A `Var` without a tape is a constant; operations on constants record nothing, so code written
/// over `Var` runs at tensor speed when nothing is differentiated. Every operation on `Var`
/// (see `Var+Elementwise.swift`, `Var+Reduce.swift`, `Var+Shape.swift`, `Var+Linalg.swift`)
/// computes its value with `RitzTensor` and records one node whose `Rule` gives the
/// vector-Jacobian and Jacobian-vector products in terms of `Var` operations again, so the
/// derivative can itself be differentiated.
public struct Var: @unchecked Sendable {
    /// The value.
    public internal(set) var value: Tensor
    /// Node index on `tape`; −1 for a constant.
    let id: Int
    /// The tape holding the node, nil for a constant.
    let tape: Tape?

    /// A constant (untraced) value.
    ///
    /// - Parameters:
    ///   - value: The tensor.
    public init(_ value: Tensor) {
        self.value = value
        self.id = -1
        self.tape = nil
    }

    /// A 0-d constant.
    ///
    /// - Parameters:
    ///   - value: The number.
    public init(_ value: Double) {
        self.init(Tensor(value))
    }

    /// A traced value: node `id` of `tape`.
    init(value: Tensor, id: Int, tape: Tape) {
        self.value = value
        self.id = id
        self.tape = tape
    }

    /// Dimensions of the value.
    public var shape: [Int] { value.shape }
    /// Number of dimensions.
    public var ndim: Int { value.ndim }
    /// Number of elements.
    public var count: Int { value.count }
    /// True when the value depends on a variable being differentiated.
    public var isTraced: Bool { tape != nil }
    /// The same value as a constant: derivatives do not flow through it (JAX's `stop_gradient`).
    public var detached: Var { Var(value) }
    /// The only element of a one-element value.
    public var scalarValue: Double? { value.scalarValue }

    /// Records one application of a primitive: the result is a constant when no input is traced,
    /// otherwise a new node on the inputs' tape carrying `rule`.
    ///
    /// - Parameters:
    ///   - name: The primitive's name, for errors.
    ///   - inputs: The differentiable operands, in the order `rule` expects.
    ///   - value: The already computed result.
    ///   - rule: The derivative rule of this application, made only when it is recorded (a rule's
    ///     closures are allocations that computing on constants, as an unrecorded sweep does,
    ///     would otherwise make and drop at every operation).
    /// - Returns: The result, traced when any input is.
    /// - Throws: `AutodiffError.mixedTapes` when inputs come from unrelated differentiation calls,
    ///   `AutodiffError.complexNotSupported` for traced complex values.
    public static func apply(_ name: String, _ inputs: consuming [Var], value: Tensor, rule: @autoclosure () throws -> Rule) throws -> Var {
        var tape: Tape?
        for j in inputs.indices {
            let x = inputs[j]
            guard let t = x.tape else { continue }
            if let existing = tape {
                if existing !== t { throw AutodiffError.mixedTapes(op: name) }
            } else {
                tape = t
            }
            if x.value.isComplex { throw AutodiffError.complexNotSupported(op: name) }
        }
        guard let tape else { return Var(value) }
        if value.isComplex { throw AutodiffError.complexNotSupported(op: name) }
        return tape.record(name, inputs: inputs, output: value, rule: try rule())
    }

    /// The value recorded for a result nothing reads (``RuleContext/valuesUnread``): NaN of the
    /// result's shape, so a mistaken read shows rather than passing for a number. Its storage is
    /// shared with every placeholder of its size (``Tensor/sharedNaN(_:)``): never filled twice.
    static func placeholder(_ shape: [Int]) throws -> Tensor {
        try Tensor.sharedNaN(shape)
    }

    /// Refuses traced inputs for an operation that has no derivative rule.
    ///
    /// - Parameters:
    ///   - name: The operation, named in the error.
    ///   - inputs: Its operands.
    /// - Throws: `AutodiffError.notDifferentiable` when any operand is traced.
    public static func requireConstant(_ name: String, _ inputs: Var...) throws {
        if inputs.contains(where: { $0.isTraced }) { throw AutodiffError.notDifferentiable(op: name) }
    }
}

extension Var: CustomStringConvertible {
    public var description: String {
        "Var(shape: \(formatShape(shape))\(isTraced ? ", traced" : ""))"
    }
}
