import Foundation
import RitzTensor

// Fusion of arithmetic: operands fetched as unboxed numbers, chains of operators compiled into
// one closure, and the general path when an operand is not a number.

typealias NumCode = (Frame) -> Double?

/// Stores a number without calling the value's destructor when the old value is trivial.
@inline(__always)
func storeNumber(_ p: UnsafeMutablePointer<Value?>, _ x: Double) {
    switch p.pointee {
    case nil, .some(.number), .some(.bool), .some(.none): p.initialize(to: .number(x))
    default: p.pointee = .number(x)
    }
}

protocol NumOperand { func get(_ f: Frame) -> Double? }
struct NumConst: NumOperand {
    let x: Double
    @inline(__always) func get(_ f: Frame) -> Double? { x }
}
struct NumLocal: NumOperand {
    let index: Int
    @inline(__always) func get(_ f: Frame) -> Double? {
        if case let .number(x)? = f.slots[index] { return x }
        return nil
    }
}
struct NumGlobal: NumOperand {
    let slot: UnsafeMutablePointer<Value?>
    @inline(__always) func get(_ f: Frame) -> Double? {
        if case let .number(x)? = slot.pointee { return x }
        return nil
    }
}
struct NumSub: NumOperand {
    let code: NumCode
    @inline(__always) func get(_ f: Frame) -> Double? { code(f) }
}

extension Compiler {
    func numOperand(_ c: Compiled) -> (any NumOperand)? {
        switch c.leaf {
        case let .constant(.number(x)): return NumConst(x: x)
        case let .local(s): return NumLocal(index: s.index)
        case let .global(s): return NumGlobal(slot: s.box.slot)
        default: return c.num.map { NumSub(code: $0) }
        }
    }

    static func numFuse(_ l: any NumOperand, _ r: any NumOperand, _ op: BinaryOperator) -> NumCode? {
        switch (l, r) {
        case let (a as NumGlobal, b as NumConst): return numCode(a, b, op)
        case let (a as NumLocal, b as NumConst): return numCode(a, b, op)
        case let (a as NumSub, b as NumConst): return numCode(a, b, op)
        case let (a as NumConst, b as NumGlobal): return numCode(a, b, op)
        case let (a as NumConst, b as NumLocal): return numCode(a, b, op)
        case let (a as NumConst, b as NumSub): return numCode(a, b, op)
        case let (a as NumGlobal, b as NumGlobal): return numCode(a, b, op)
        case let (a as NumLocal, b as NumLocal): return numCode(a, b, op)
        case let (a as NumGlobal, b as NumSub): return numCode(a, b, op)
        case let (a as NumLocal, b as NumSub): return numCode(a, b, op)
        case let (a as NumSub, b as NumGlobal): return numCode(a, b, op)
        case let (a as NumSub, b as NumLocal): return numCode(a, b, op)
        case let (a as NumSub, b as NumSub): return numCode(a, b, op)
        default: return nil
        }
    }

    @inline(__always)
    static func numCode<L: NumOperand, R: NumOperand>(_ l: L, _ r: R, _ op: BinaryOperator) -> NumCode? {
        switch op {
        case .add: return { f in guard let x = l.get(f), let y = r.get(f) else { return nil }; return x + y }
        case .sub: return { f in guard let x = l.get(f), let y = r.get(f) else { return nil }; return x - y }
        case .mul: return { f in guard let x = l.get(f), let y = r.get(f) else { return nil }; return x * y }
        case .div: return { f in guard let x = l.get(f), let y = r.get(f) else { return nil }; return x / y }
        case .pow: return { f in guard let x = l.get(f), let y = r.get(f) else { return nil }; return y == 2 ? x * x : Foundation.pow(x, y) }
        case .mod: return { f in guard let x = l.get(f), let y = r.get(f) else { return nil }; return flooredMod(x, y) }
        case .floorDiv: return { f in guard let x = l.get(f), let y = r.get(f) else { return nil }; return flooredDiv(x, y) }
        default: return nil
        }
    }

    // MARK: - Operators

    func operand(_ c: Compiled) -> any Operand {
        switch c.leaf {
        case let .constant(v): return ConstOperand(value: v)
        case let .local(s): return s
        case let .global(s): return s
        case nil: return CodeOperand(code: c.code)
        }
    }

    func compileBinary(_ op: BinaryOperator, _ lhs: Node, _ rhs: Node, span: SourceSpan) -> Compiled {
        if op == .matmul, case let .field(target, "T") = rhs.kind, compileModulePath(rhs) == nil {
            return compileMatmulTransposed(lhs, target, rhs: rhs, span: span)
        }
        if op == .add, let dense = denseLayer(lhs, bias: rhs, span: span) { return compileDense(dense, activation: nil) }
        let l = compile(lhs), r = compile(rhs)
        if case let .constant(a) = l.leaf, case let .constant(b) = r.leaf,
           case let .number(x) = a, case let .number(y) = b, let v = Interpreter.numberOp(op, x, y) {
            return constant(v)
        }
        let ctx = BinaryContext(interp: interp, op: op, span: span, lhs: lhs.span, rhs: rhs.span)
        let lo = operand(l), ro = operand(r)
        var c = Compiled(code: Compiler.fuse(lo, ro, ctx), leaf: nil, jumps: false)
        if let ln = numOperand(l), let rn = numOperand(r) { c.num = Compiler.numFuse(ln, rn, op) }
        return c
    }

    /// Length of the chain of left-associative operators down the left side of `n`.
    static func spineLength(_ n: Node) -> Int {
        var k = 0
        var cur = n
        while case let .binary(op, lhs, _) = cur.kind, op != .pow {
            k += 1
            cur = lhs
        }
        return k
    }

    /// A long left-associative chain (`1 + 1 + … + 1`) compiled as a loop, so neither the
    /// compiler nor the evaluator recurses once per term.
    func compileChain(_ n: Node) -> Compiled {
        var steps: [(BinaryOperator, Node)] = []
        var cur = n
        while case let .binary(op, lhs, rhs) = cur.kind, op != .pow {
            steps.append((op, rhs))
            cur = lhs
        }
        steps.reverse()
        let base = compile(cur).code
        let start = cur.span.start
        let compiled = steps.map { op, rhs in
            (compile(rhs).code, BinaryContext(interp: interp, op: op, span: SourceSpan(rhs.span.source, start, rhs.span.end),
                                             lhs: SourceSpan(rhs.span.source, start, start), rhs: rhs.span))
        }
        return Compiled(code: { f in
            var acc = try base(f)
            for (code, ctx) in compiled {
                let b = try code(f)
                if case let .number(x) = acc, case let .number(y) = b, let v = Interpreter.numberOp(ctx.op, x, y) {
                    acc = v
                } else {
                    acc = try ctx.slow(acc, b)
                }
            }
            return acc
        }, leaf: nil, jumps: false)
    }

    static func fuse(_ l: any Operand, _ r: any Operand, _ ctx: BinaryContext) -> Code {
        switch (l, r) {
        case let (a as LocalSlot, b as ConstOperand): return binaryCode(a, b, ctx)
        case let (a as GlobalSlot, b as ConstOperand): return binaryCode(a, b, ctx)
        case let (a as CodeOperand, b as ConstOperand): return binaryCode(a, b, ctx)
        case let (a as ConstOperand, b as LocalSlot): return binaryCode(a, b, ctx)
        case let (a as ConstOperand, b as GlobalSlot): return binaryCode(a, b, ctx)
        case let (a as ConstOperand, b as CodeOperand): return binaryCode(a, b, ctx)
        case let (a as LocalSlot, b as LocalSlot): return binaryCode(a, b, ctx)
        case let (a as GlobalSlot, b as GlobalSlot): return binaryCode(a, b, ctx)
        case let (a as LocalSlot, b as CodeOperand): return binaryCode(a, b, ctx)
        case let (a as GlobalSlot, b as CodeOperand): return binaryCode(a, b, ctx)
        case let (a as CodeOperand, b as LocalSlot): return binaryCode(a, b, ctx)
        case let (a as CodeOperand, b as GlobalSlot): return binaryCode(a, b, ctx)
        case let (a as LocalSlot, b as GlobalSlot): return binaryCode(a, b, ctx)
        case let (a as GlobalSlot, b as LocalSlot): return binaryCode(a, b, ctx)
        default:
            let a = CodeOperand(code: { f in try l.get(f) }), b = CodeOperand(code: { f in try r.get(f) })
            return binaryCode(a, b, ctx)
        }
    }

    @inline(__always)
    static func binaryCode<L: Operand, R: Operand>(_ l: L, _ r: R, _ ctx: BinaryContext) -> Code {
        let op = ctx.op
        return { f in
            let a = try l.get(f)
            let b = try r.get(f)
            if case let .number(x) = a, case let .number(y) = b, let v = Interpreter.numberOp(op, x, y) { return v }
            return try ctx.slow(a, b)
        }
    }
}

struct BinaryContext {
    let interp: Interpreter
    let op: BinaryOperator
    let span: SourceSpan
    let lhs: SourceSpan
    let rhs: SourceSpan

    func slow(_ a: Value, _ b: Value) throws -> Value {
        do { return try interp.binary(op, a, b) } catch {
            var d = interp.diagnose(error, span: span)
            if let s = error as? ShapeError, case let .mismatch(_, ls, rs) = s {
                d.help = [BinaryContext.shapeHelp(op, ls, rs, lhs.text, rhs.text)]
            }
            throw d
        }
    }

    static func shapeHelp(_ op: BinaryOperator, _ l: [Int], _ r: [Int], _ lt: String, _ rt: String) -> String {
        if op == .matmul {
            var s = "the inner dimensions must agree: \(l.last ?? 0) columns on the left, \(r.count >= 2 ? r[r.count - 2] : r.first ?? 0) rows on the right"
            func wrapText(_ t: String) -> String { t.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } ? t : "(\(t))" }
            if r.count == 2, l.last == r.last { s += "; did you mean `\(lt) @ \(wrapText(rt)).T`?" }
            else if l.count == 2, r.count >= 1, l.first == (r.count >= 2 ? r[r.count - 2] : r[0]) { s += "; did you mean `\(wrapText(lt)).T @ \(rt)`?" }
            return s
        }
        return "shapes \(formatShape(l)) and \(formatShape(r)) do not broadcast: aligned from the right, each pair of dimensions must be equal or 1"
    }
}

/// What a loop needs to run its body with jumps and interrupts.
