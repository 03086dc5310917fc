import Foundation
import RitzTensor

/// Compiled code with what the compiler knows about it.
struct Compiled {
    var code: Code
    /// Set for constants and variables, so operators can fuse the operand fetch.
    var leaf: Leaf?
    /// True when a `break`, `continue` or `return` may leave this code early through the flag.
    var jumps: Bool
    /// For pure arithmetic on variables and constants: the value as an unboxed number, or nil
    /// when an operand is not a number (then `code` runs and does the general thing). It has
    /// no side effects, so running `code` after it is safe.
    var num: NumCode? = nil
}


enum Leaf {
    case constant(Value)
    case local(LocalSlot)
    case global(GlobalSlot)
}

/// Resolves names to slots and compiles the tree to closures.
///
/// One stage, one file each: name resolution (`Compiler+Names`), fused arithmetic
/// (`Compiler+Fusion`), calls and function literals (`Compiler+Calls`), assignment and loops
/// (`Compiler+Statements`), matrix literals and indexing (`Compiler+Literals`); this file holds
/// the dispatch over node kinds and blocks.
///
/// Scoping (SPEC §3): assignment rebinds the innermost existing name, else creates a local of
/// the enclosing function (a global at the top of a cell). Blocks do not open scopes. Functions
/// capture their defining frame.
final class Compiler {
    let interp: Interpreter
    let globals: GlobalTable
    var scope: Scope?
    var loopDepth = 0
    var topAssigned: Set<String> = []
    var errors: [Diagnostic] = []

    init(interp: Interpreter) {
        self.interp = interp
        self.globals = interp.globals
    }

    /// Compiles each top-level statement of a program.
    ///
    /// - Returns: One code per statement and whether it is an expression (has a display value).
    func compile(_ program: Program) -> [(code: Code, isExpression: Bool, span: SourceSpan)] {
        topAssigned = Set(program.statements.flatMap { assignedNames($0) })
        return program.statements.map { s in
            let c = compile(s, stmt: true)
            return (c.code, Compiler.isExpression(s), s.span)
        }
    }

    static func isExpression(_ n: Node) -> Bool {
        switch n.kind {
        case .assign, .destructure, .compoundAssign, .fnDecl, .forLoop, .whileLoop, .returnStmt, .breakStmt, .continueStmt, .help:
            return false
        default: return true
        }
    }

    func error(_ message: String, _ span: SourceSpan, help: [String] = []) -> Compiled {
        errors.append(Diagnostic(message, span: span, help: help))
        return Compiled(code: { _ in .none }, leaf: nil, jumps: false)
    }

    // MARK: - Nodes

    func compile(_ n: Node, stmt: Bool = false) -> Compiled {
        let span = n.span
        let interp = self.interp
        switch n.kind {
        case let .number(v): return constant(.number(v))
        case let .imaginary(v): return constant(.tensor(Tensor(re: 0, im: v)))
        case let .string(s): return constant(.string(s))
        case let .bool(b): return constant(.bool(b))
        case .none: return constant(.none)
        case let .name(x): return compileRead(x, span: span)
        case .error: return Compiled(code: { _ in .none }, leaf: nil, jumps: false)
        case let .help(name):
            return Compiled(code: { _ in
                interp.print(interp.helpText(name) ?? "no help for `\(name)`")
                return .none
            }, leaf: nil, jumps: false)
        case let .matrix(rows, hasRows):
            return compileMatrix(rows, hasRows: hasRows, span: span)
        case let .record(fields):
            let names = fields.map(\.0)
            let codes = fields.map { compile($0.1).code }
            return Compiled(code: { f in
                var values: [Value] = []
                values.reserveCapacity(codes.count)
                for c in codes { values.append(try c(f)) }
                return .record(Record(Array(zip(names, values))))
            }, leaf: nil, jumps: false)
        case let .range(start, stop, step):
            let a = compile(start).code, b = compile(stop).code, c = step.map { compile($0).code }
            return Compiled(code: { f in
                let x = try Interpreter.toDouble(try a(f), what: "range start")
                let y = try Interpreter.toDouble(try b(f), what: "range stop")
                let s = try c.map { try Interpreter.toDouble(try $0(f), what: "range step") } ?? 1
                do { return .tensor(try Tensor.arange(x, y, s)) } catch { throw interp.diagnose(error, span: span) }
            }, leaf: nil, jumps: false)
        case let .unary(op, operand):
            let oc = compile(operand)
            let c = oc.code
            let negNum: NumCode? = op == "-" ? oc.num.map { n in { f in n(f).map { -$0 } } } : nil
            return Compiled(code: { f in
                let v = try c(f)
                if op == "-", case let .number(x) = v { return .number(-x) }
                do { return try interp.unary(op, v) } catch { throw interp.diagnose(error, span: span) }
            }, leaf: nil, jumps: false, num: negNum)
        case let .binary(op, lhs, rhs):
            if Compiler.spineLength(n) > 32 { return compileChain(n) }
            return compileBinary(op, lhs, rhs, span: span)
        case let .logical(isAnd, lhs, rhs):
            let l = compile(lhs).code, r = compile(rhs).code
            return Compiled(code: { f in
                let a = try l(f)
                if case .tensor = a {
                    let b = try r(f)
                    do {
                        let ta = try Interpreter.toTensor(a), tb = try Interpreter.toTensor(b)
                        return Interpreter.wrap(try ta.binary(isAnd ? .and : .or, tb))
                    } catch { throw interp.diagnose(error, span: span) }
                }
                let ta = try Interpreter.truth(a, span: lhs.span)
                if isAnd && !ta { return .bool(false) }
                if !isAnd && ta { return .bool(true) }
                let b = try r(f)
                if case .tensor = b {
                    do {
                        return Interpreter.wrap(try Tensor(ta ? 1 : 0).asBool().binary(isAnd ? .and : .or, try Interpreter.toTensor(b)))
                    } catch { throw interp.diagnose(error, span: span) }
                }
                return .bool(try Interpreter.truth(b, span: rhs.span))
            }, leaf: nil, jumps: false)
        case let .call(callee, args):
            return compileCall(callee, args, span: span)
        case let .index(target, items):
            return compileIndex(target, items, span: span)
        case let .field(target, name):
            if let read = compileModulePath(n) { return read }
            let t = compile(target).code
            return Compiled(code: { f in
                let v = try t(f)
                do { return try interp.field(v, name) } catch { throw interp.diagnose(error, span: span) }
            }, leaf: nil, jumps: false)
        case let .lambda(params, body):
            return compileFunction(name: "lambda", params: params, body: body, span: span)
        case let .ifExpr(cond, then, otherwise):
            let c = compile(cond).code
            let t = compile(then, stmt: stmt)
            let e = otherwise.map { compile($0, stmt: stmt) }
            let jumps = t.jumps || (e?.jumps ?? false)
            let tc = t.code
            if let ec = e?.code {
                return Compiled(code: { f in
                    let v = try c(f)
                    if case let .bool(b) = v { return b ? try tc(f) : try ec(f) }
                    return try Interpreter.truth(v, span: cond.span) ? try tc(f) : try ec(f)
                }, leaf: nil, jumps: jumps)
            }
            return Compiled(code: { f in
                let v = try c(f)
                if case let .bool(b) = v { return b ? try tc(f) : .none }
                return try Interpreter.truth(v, span: cond.span) ? try tc(f) : .none
            }, leaf: nil, jumps: jumps)
        case let .block(stmts):
            return compileBlock(stmts, stmt: stmt)
        case let .assign(target, value):
            return compileAssign(target, value, span: span)
        case let .destructure(targets, value):
            return compileDestructure(targets, value, span: span)
        case let .tuple(items):
            let codes = items.map { compile($0).code }
            return Compiled(code: { f in
                var values: [Value] = []
                values.reserveCapacity(codes.count)
                for c in codes { values.append(try c(f)) }
                return .list(values)
            }, leaf: nil, jumps: false)
        case let .compoundAssign(op, target, value):
            let combined = Node(kind: .binary(op: op, lhs: target, rhs: value), span: span)
            return compileAssign(target, combined, span: span)
        case let .fnDecl(name, nameSpan, params, body):
            let fn = compileFunction(name: name, params: params, body: body, span: span)
            let slot = slotFor(name, span: nameSpan)
            if case let .global(b) = lookup(name) { b.isBuiltin = false }
            let code = fn.code
            return Compiled(code: { f in
                slot.set(f, try code(f))
                return .none
            }, leaf: nil, jumps: false)
        case let .forLoop(variables, iterable, body):
            return compileFor(variables, iterable, body, span: span)
        case let .whileLoop(cond, body):
            loopDepth += 1
            let b = compile(body, stmt: true)
            loopDepth -= 1
            let c = compile(cond).code
            let bc = b.code, bj = b.jumps
            let st = interp.state, flag = interp.interruptFlag
            return Compiled(code: { f in
                while true {
                    let v = try c(f)
                    if case let .bool(x) = v { if !x { break } } else if !(try Interpreter.truth(v, span: cond.span)) { break }
                    if bj {
                        do { _ = try bc(f) } catch let j as JumpSignal {
                            if j.control == 1 { break }
                            if j.control == 3 { throw j }
                            continue
                        }
                        let ctl = st.pointee.control
                        if ctl != 0 {
                            if ctl == 3 { return .none }
                            st.pointee.control = 0
                            if ctl == 1 { break }
                        }
                    } else {
                        _ = try bc(f)
                    }
                    if flag.raised.load(ordering: .relaxed) {
                        throw Diagnostic("interrupted", span: span, severity: "interrupted")
                    }
                }
                return .none
            }, leaf: nil, jumps: b.jumps)
        case let .returnStmt(value):
            guard scope != nil else { return error("`return` outside a function", span) }
            let v = value.map { compile($0).code }
            if stmt {
                let st = interp.state
                return Compiled(code: { f in
                    let r = try v?(f) ?? .none
                    interp.returnValue = r
                    st.pointee.control = 3
                    return .none
                }, leaf: nil, jumps: true)
            }
            return Compiled(code: { f in throw JumpSignal(control: 3, value: try v?(f) ?? .none) }, leaf: nil, jumps: false)
        case .breakStmt, .continueStmt:
            guard loopDepth > 0 else {
                return error("`\(span.text)` outside a loop", span)
            }
            let ctl = { if case .breakStmt = n.kind { return 1 }; return 2 }()
            if stmt {
                let st = interp.state
                return Compiled(code: { _ in st.pointee.control = ctl; return .none }, leaf: nil, jumps: true)
            }
            return Compiled(code: { _ in throw JumpSignal(control: ctl, value: .none) }, leaf: nil, jumps: false)
        }
    }

    func constant(_ v: Value) -> Compiled {
        var c = Compiled(code: { _ in v }, leaf: .constant(v), jumps: false)
        if case let .number(x) = v { c.num = { _ in x } }
        return c
    }


    func compileBlock(_ stmts: [Node], stmt: Bool) -> Compiled {
        let parts = stmts.map { compile($0, stmt: stmt) }
        let jumps = parts.contains { $0.jumps }
        let st = interp.state
        switch parts.count {
        case 0: return Compiled(code: { _ in .none }, leaf: nil, jumps: false)
        case 1: return Compiled(code: parts[0].code, leaf: nil, jumps: jumps)
        case 2 where !jumps:
            let a = parts[0].code, b = parts[1].code
            return Compiled(code: { f in _ = try a(f); return try b(f) }, leaf: nil, jumps: false)
        default:
            let codes = parts.map(\.code)
            let checks = parts.map(\.jumps)
            if !jumps {
                return Compiled(code: { f in
                    var v = Value.none
                    for c in codes { v = try c(f) }
                    return v
                }, leaf: nil, jumps: false)
            }
            return Compiled(code: { f in
                var v = Value.none
                for i in 0..<codes.count {
                    v = try codes[i](f)
                    if checks[i] && st.pointee.control != 0 { return .none }
                }
                return v
            }, leaf: nil, jumps: true)
        }
    }

}
