import RitzTensor

/// Where an operand of a fused operation comes from. Generic code over these types is
/// specialised per combination, so `s + i * 0.5` runs as two closures instead of five.
protocol Operand {
    func get(_ f: Frame) throws -> Value
}

/// A variable that can also be assigned.
protocol VariableSlot: Operand {
    func set(_ f: Frame, _ v: Value)
    func setNumber(_ f: Frame, _ x: Double)
}

struct ConstOperand: Operand {
    let value: Value
    @inline(__always) func get(_ f: Frame) throws -> Value { value }
}

struct CodeOperand: Operand {
    let code: Code
    @inline(__always) func get(_ f: Frame) throws -> Value { try code(f) }
}

struct LocalSlot: VariableSlot {
    let index: Int
    let name: String
    let span: SourceSpan
    @inline(__always) func get(_ f: Frame) throws -> Value {
        if let v = f.slots[index] { return v }
        throw Diagnostic("`\(name)` is used before it is assigned", span: span)
    }
    @inline(__always) func set(_ f: Frame, _ v: Value) { f.slots[index] = v }
    @inline(__always) func setNumber(_ f: Frame, _ x: Double) { storeNumber(f.slots + index, x) }
}

struct OuterSlot: VariableSlot {
    let depth: Int
    let index: Int
    let name: String
    let span: SourceSpan
    @inline(__always) func get(_ f: Frame) throws -> Value {
        if let v = f.up(depth).slots[index] { return v }
        throw Diagnostic("`\(name)` is used before it is assigned", span: span)
    }
    @inline(__always) func set(_ f: Frame, _ v: Value) { f.up(depth).slots[index] = v }
    @inline(__always) func setNumber(_ f: Frame, _ x: Double) { storeNumber(f.up(depth).slots + index, x) }
}

struct GlobalSlot: VariableSlot {
    let box: GlobalBox
    let span: SourceSpan
    let interp: Interpreter
    @inline(__always) func get(_ f: Frame) throws -> Value {
        if let v = box.slot.pointee { return v }
        throw interp.unknownName(box.name, span: span)
    }
    @inline(__always) func set(_ f: Frame, _ v: Value) { box.slot.pointee = v }
    @inline(__always) func setNumber(_ f: Frame, _ x: Double) { storeNumber(box.slot, x) }
}

extension Interpreter {
    /// The error for reading a name that has no value, with what was probably meant
    /// (`ForeignSpellings`).
    ///
    /// - Parameters:
    ///   - name: The name.
    ///   - path: The dotted name it starts, when it is read as `name.a.b` (`np.linalg.eigh`).
    ///   - span: Where it was read.
    func unknownName(_ name: String, path: [String] = [], span: SourceSpan) -> Diagnostic {
        let known = globals.order.filter { $0.slot.pointee != nil }.map(\.name)
        let hint = ForeignSpellings.modules.contains(name) && path.count > 1
            ? ForeignSpellings.suggestion(forPath: path, known: known)
            : ForeignSpellings.suggestion(for: name, known: known)
        return Diagnostic("unknown name `\(name)`", span: span, help: hint.map { [$0] } ?? [])
    }
}
