import Foundation
import RitzTensor

/// The local variables of one function being compiled.
final class Scope {
    var names: [String: Int] = [:]
    var count = 0
    let parent: Scope?

    init(parent: Scope?) { self.parent = parent }

    @discardableResult
    func declare(_ name: String) -> Int {
        if let i = names[name] { return i }
        names[name] = count
        count += 1
        return count - 1
    }
}

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

enum Leaf {
    case constant(Value)
    case local(LocalSlot)
    case global(GlobalSlot)
}

/// Resolves names to slots and compiles the tree to closures.
///
/// Scoping (SPEC §3): assignment rebinds the innermost existing name, else creates a local of
/// the enclosing function (a global at the top of a cell). Blocks do not open scopes. Functions
/// capture their defining frame.
final class Compiler {
    let interp: Interpreter
    let globals: GlobalTable
    private var scope: Scope?
    private var loopDepth = 0
    private var topAssigned: Set<String> = []
    private(set) var errors: [Diagnostic] = []

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
        case .assign, .compoundAssign, .fnDecl, .forLoop, .whileLoop, .returnStmt, .breakStmt, .continueStmt, .help:
            return false
        default: return true
        }
    }

    // MARK: - Names

    /// Names a statement list assigns at its own level (not inside nested functions).
    private func assignedNames(_ n: Node) -> [String] {
        switch n.kind {
        case let .assign(target, value):
            if case let .name(x) = target.kind { return [x] + assignedNames(value) }
            return assignedNames(value)
        case let .compoundAssign(_, target, _):
            if case let .name(x) = target.kind { return [x] }
            return []
        case let .fnDecl(name, _, _, _): return [name]
        case let .forLoop(v, _, iter, body): return [v] + assignedNames(iter) + assignedNames(body)
        case let .whileLoop(c, body): return assignedNames(c) + assignedNames(body)
        case let .block(stmts): return stmts.flatMap { assignedNames($0) }
        case let .ifExpr(c, t, e): return assignedNames(c) + assignedNames(t) + (e.map { assignedNames($0) } ?? [])
        default: return []
        }
    }

    private enum Ref {
        case local(depth: Int, index: Int)
        case global(GlobalBox)
    }

    private func lookup(_ name: String) -> Ref {
        var d = 0
        var s = scope
        while let sc = s {
            if let i = sc.names[name] { return .local(depth: d, index: i) }
            d += 1
            s = sc.parent
        }
        return .global(globals.box(name))
    }

    /// True when `name` is an existing user global (so a function's assignment rebinds it).
    private func existingGlobal(_ name: String) -> Bool {
        guard let b = globals.boxes[name] else { return false }
        if b.isBuiltin { return false }
        return b.slot.pointee != nil || topAssigned.contains(name)
    }

    private func slotFor(_ name: String, span: SourceSpan) -> any VariableSlot {
        switch lookup(name) {
        case let .local(0, i): return LocalSlot(index: i, name: name, span: span)
        case let .local(d, i): return OuterSlot(depth: d, index: i, name: name, span: span)
        case let .global(b): return GlobalSlot(box: b, span: span, interp: interp)
        }
    }

    private func compileRead(_ name: String, span: SourceSpan) -> Compiled {
        switch lookup(name) {
        case let .local(0, i):
            let s = LocalSlot(index: i, name: name, span: span)
            return Compiled(code: { f in try s.get(f) }, leaf: .local(s), jumps: false,
                            num: { f in if case let .number(x)? = f.slots[i] { return x }; return nil })
        case let .local(d, i):
            let s = OuterSlot(depth: d, index: i, name: name, span: span)
            return Compiled(code: { f in try s.get(f) }, leaf: nil, jumps: false)
        case let .global(b):
            let s = GlobalSlot(box: b, span: span, interp: interp)
            let p = b.slot
            return Compiled(code: { f in try s.get(f) }, leaf: .global(s), jumps: false,
                            num: { _ in if case let .number(x)? = p.pointee { return x }; return nil })
        }
    }

    private func error(_ message: String, _ span: SourceSpan, help: [String] = []) -> Compiled {
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
        case let .forLoop(variable, varSpan, iterable, body):
            return compileFor(variable, varSpan, iterable, body, span: span)
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

    private func constant(_ v: Value) -> Compiled {
        var c = Compiled(code: { _ in v }, leaf: .constant(v), jumps: false)
        if case let .number(x) = v { c.num = { _ in x } }
        return c
    }

    private func numOperand(_ c: Compiled) -> (any NumOperand)? {
        switch c.leaf {
        case let .constant(.number(x)): return NumConst(x: x)
        case let .local(s): return NumLocal(index: s.index)
        case let .global(s): return NumGlobal(slot: s.box.slot)
        default: return c.num.map { NumSub(code: $0) }
        }
    }

    private static func numFuse(_ l: any NumOperand, _ r: any NumOperand, _ op: BinaryOperator) -> NumCode? {
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
    private static func numCode<L: NumOperand, R: NumOperand>(_ l: L, _ r: R, _ op: BinaryOperator) -> NumCode? {
        switch op {
        case .add: return { f in guard let x = l.get(f), let y = r.get(f) else { return nil }; return x + y }
        case .sub: return { f in guard let x = l.get(f), let y = r.get(f) else { return nil }; return x - y }
        case .mul: return { f in guard let x = l.get(f), let y = r.get(f) else { return nil }; return x * y }
        case .div: return { f in guard let x = l.get(f), let y = r.get(f) else { return nil }; return x / y }
        case .pow: return { f in guard let x = l.get(f), let y = r.get(f) else { return nil }; return y == 2 ? x * x : Foundation.pow(x, y) }
        case .mod: return { f in guard let x = l.get(f), let y = r.get(f) else { return nil }; return flooredMod(x, y) }
        default: return nil
        }
    }

    private func compileBlock(_ stmts: [Node], stmt: Bool) -> Compiled {
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

    // MARK: - Operators

    private func operand(_ c: Compiled) -> any Operand {
        switch c.leaf {
        case let .constant(v): return ConstOperand(value: v)
        case let .local(s): return s
        case let .global(s): return s
        case nil: return CodeOperand(code: c.code)
        }
    }

    private func compileBinary(_ op: BinaryOperator, _ lhs: Node, _ rhs: Node, span: SourceSpan) -> Compiled {
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
    private func compileChain(_ n: Node) -> Compiled {
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

    private static func fuse(_ l: any Operand, _ r: any Operand, _ ctx: BinaryContext) -> Code {
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
    private static func binaryCode<L: Operand, R: Operand>(_ l: L, _ r: R, _ ctx: BinaryContext) -> Code {
        let op = ctx.op
        return { f in
            let a = try l.get(f)
            let b = try r.get(f)
            if case let .number(x) = a, case let .number(y) = b, let v = Interpreter.numberOp(op, x, y) { return v }
            return try ctx.slow(a, b)
        }
    }

    // MARK: - Calls

    private func compileCall(_ callee: Node, _ args: [ArgNode], span: SourceSpan) -> Compiled {
        let c = compile(callee).code
        var positional = args.filter { $0.name == nil }.map { compile($0.value).code }
        // `time(expr)` receives its argument unevaluated, as a thunk it runs between two clock reads.
        if case .name("time") = callee.kind, case let .global(b) = lookup("time"), b.isBuiltin, positional.count == 1, args.count == 1 {
            let body = positional[0]
            positional = [{ f in
                .function(Function(BuiltinEntry("time-thunk", [], group: "", summary: "", examples: []) { _ in try body(f) }))
            }]
        }
        let keywords = args.compactMap { a in a.name.map { ($0, compile(a.value).code) } }
        let interp = self.interp
        if keywords.isEmpty {
            let n = positional.count
            return Compiled(code: { f in
                let fv = try c(f)
                if case let .function(fn) = fv, case let .user(u) = fn.kind, u.params.count == n {
                    let frame = Frame(count: u.slotCount, parent: u.captured)
                    for i in 0..<n { frame.slots[i] = try positional[i](f) }
                    return try interp.invoke(u, frame, span: span)
                }
                var values: [Value] = []
                values.reserveCapacity(n)
                for p in positional { values.append(try p(f)) }
                return try interp.call(fv, CallArguments(values), span: span)
            }, leaf: nil, jumps: false)
        }
        return Compiled(code: { f in
            let fv = try c(f)
            var values: [Value] = []
            for p in positional { values.append(try p(f)) }
            var kw: [(name: String, value: Value)] = []
            for (k, code) in keywords { kw.append((k, try code(f))) }
            return try interp.call(fv, CallArguments(values, keywords: kw), span: span)
        }, leaf: nil, jumps: false)
    }

    private func compileFunction(name: String, params: [ParamNode], body: Node, span: SourceSpan) -> Compiled {
        let defaults = params.map { p in p.defaultValue.map { compile($0).code } }
        let fnScope = Scope(parent: scope)
        for p in params { fnScope.declare(p.name) }
        let savedScope = scope, savedLoops = loopDepth
        let isTop = scope == nil
        // Names the body assigns that are not existing outer names become locals.
        for x in assignedNames(body) where fnScope.names[x] == nil {
            var outer = false
            var s = savedScope
            while let sc = s { if sc.names[x] != nil { outer = true; break }; s = sc.parent }
            if !outer && !existingGlobal(x) { fnScope.declare(x) }
        }
        scope = fnScope
        loopDepth = 0
        let b = compile(body, stmt: true)
        scope = savedScope
        loopDepth = savedLoops
        let names = params.map(\.name)
        let bodyCode = b.code, jumps = b.jumps
        return Compiled(code: { f in
            var dv: [Value?] = []
            for d in defaults { dv.append(try d.map { try $0(f) }) }
            let u = UserFunction(name: name, params: names, defaults: dv, slotCount: fnScope.count, body: bodyCode,
                                 bodyJumps: jumps, captured: isTop ? nil : f)
            return .function(Function(user: u))
        }, leaf: nil, jumps: false)
    }

    // MARK: - Assignment and loops

    private func compileAssign(_ target: Node, _ value: Node, span: SourceSpan) -> Compiled {
        var valueNode = value
        if case let .name(x) = target.kind, case let .lambda(params, body) = value.kind {
            // `f = x -> …` names the lambda `f` in traces.
            let v = compileFunction(name: x, params: params, body: body, span: value.span)
            return store(x, target.span, v.code)
        }
        switch target.kind {
        case let .name(x):
            let v = compile(valueNode)
            return store(x, target.span, v.code, num: v.num)
        case let .index(base, items):
            guard case let .name(x) = base.kind else {
                // `r.a[i] = v`, `xs[0][1] = v`: through the general place.
                guard let place = compilePlace(target) else { return error("cannot assign to this expression", target.span) }
                let v = compile(valueNode).code
                return Compiled(code: { f in
                    try place.set(f, try v(f))
                    return .none
                }, leaf: nil, jumps: false)
            }
            let slot = slotFor(x, span: base.span)
            let itemCodes = compileItems(items)
            let v = compile(valueNode).code
            let interp = self.interp
            return Compiled(code: { f in
                let current = try slot.get(f)
                let idx = try itemCodes.map { try $0(f) }
                let newValue = try v(f)
                do {
                    slot.set(f, try interp.assignIndex(current, idx, newValue))
                } catch { throw interp.diagnose(error, span: span) }
                return .none
            }, leaf: nil, jumps: false)
        case .field:
            guard let place = compilePlace(target) else { return error("cannot assign to this expression", target.span) }
            let v = compile(valueNode).code
            return Compiled(code: { f in
                try place.set(f, try v(f))
                return .none
            }, leaf: nil, jumps: false)
        default:
            valueNode = value
            return error("cannot assign to this expression", target.span)
        }
    }

    /// A place that is read and written: a variable, a field or an element of a place.
    private struct Place {
        let get: (Frame) throws -> Value
        let set: (Frame, Value) throws -> Void
    }

    /// Compiles an assignment target. `place.name = v` sets the field of an object in place or
    /// makes a new record with the field replaced and stores it back into `place`;
    /// `place[i] = v` stores the updated container back into `place`.
    private func compilePlace(_ n: Node) -> Place? {
        let interp = self.interp
        let span = n.span
        switch n.kind {
        case let .name(x):
            let slot = slotFor(x, span: span)
            return Place(get: { f in try slot.get(f) }, set: { f, v in slot.set(f, v) })
        case let .field(base, name):
            guard let b = compilePlace(base) else { return nil }
            return Place(get: { f in
                let current = try b.get(f)
                do { return try interp.field(current, name) } catch { throw interp.diagnose(error, span: span) }
            }, set: { f, v in
                let current = try b.get(f)
                let updated: Value
                do { updated = try interp.setField(current, name, v) } catch { throw interp.diagnose(error, span: span) }
                try b.set(f, updated)
            })
        case let .index(base, items):
            guard let b = compilePlace(base) else { return nil }
            let itemCodes = compileItems(items)
            return Place(get: { f in
                let current = try b.get(f)
                let idx = try itemCodes.map { try $0(f) }
                do { return try interp.index(current, idx) } catch { throw interp.diagnose(error, span: span) }
            }, set: { f, v in
                let current = try b.get(f)
                let idx = try itemCodes.map { try $0(f) }
                let updated: Value
                do { updated = try interp.assignIndex(current, idx, v) } catch { throw interp.diagnose(error, span: span) }
                try b.set(f, updated)
            })
        default:
            return nil
        }
    }

    private func store(_ name: String, _ span: SourceSpan, _ code: @escaping Code, num: NumCode? = nil) -> Compiled {
        let slot = slotFor(name, span: span)
        if let g = slot as? GlobalSlot {
            g.box.isBuiltin = false
            let box = g.box
            if let num {
                let p = box.slot
                return Compiled(code: { f in
                    if let x = num(f) { storeNumber(p, x) } else { p.pointee = try code(f) }
                    return .none
                }, leaf: nil, jumps: false)
            }
            return Compiled(code: { f in box.slot.pointee = try code(f); return .none }, leaf: nil, jumps: false)
        }
        if let l = slot as? LocalSlot {
            let i = l.index
            if let num {
                return Compiled(code: { f in
                    if let x = num(f) { storeNumber(f.slots + i, x) } else { f.slots[i] = try code(f) }
                    return .none
                }, leaf: nil, jumps: false)
            }
            return Compiled(code: { f in f.slots[i] = try code(f); return .none }, leaf: nil, jumps: false)
        }
        return Compiled(code: { f in slot.set(f, try code(f)); return .none }, leaf: nil, jumps: false)
    }

    private func compileFor(_ variable: String, _ varSpan: SourceSpan, _ iterable: Node, _ body: Node,
                            span: SourceSpan) -> Compiled {
        let slot = slotFor(variable, span: varSpan)
        if let g = slot as? GlobalSlot { g.box.isBuiltin = false }
        loopDepth += 1
        let b = compile(body, stmt: true)
        loopDepth -= 1
        let loop = LoopContext(interp: interp, body: b.code, jumps: b.jumps, span: span)
        if case let .range(start, stop, step) = iterable.kind {
            let a = compile(start).code, z = compile(stop).code, s = step.map { compile($0).code }
            let make: (any VariableSlot) -> Code = { slot in
                switch slot {
                case let l as LocalSlot: return Compiler.rangeLoop(l, a, z, s, loop)
                case let g as GlobalSlot: return Compiler.rangeLoop(g, a, z, s, loop)
                case let o as OuterSlot: return Compiler.rangeLoop(o, a, z, s, loop)
                default: return { _ in .none }
                }
            }
            return Compiled(code: make(slot), leaf: nil, jumps: b.jumps)
        }
        let it = compile(iterable).code
        let interp = self.interp
        return Compiled(code: { f in
            let v = try it(f)
            let items: [Value]
            switch v {
            case let .list(l): items = l
            case let .tensor(t) where t.ndim >= 1:
                if t.ndim == 1 && t.dtype == .float64 { items = t.storage.map { .number($0) } }
                else { do { items = try Interpreter.unstack(t) } catch { throw interp.diagnose(error, span: iterable.span) } }
            case let .traced(x):
                do { items = try Interpreter.tracedRows(x) } catch { throw interp.diagnose(error, span: iterable.span) }
            case let .string(s): items = s.map { .string(String($0)) }
            default:
                throw Diagnostic("cannot loop over a \(v.typeName)", span: iterable.span,
                                 help: ["loop over a range `0:n`, a list or a tensor"])
            }
            for item in items {
                slot.set(f, item)
                if try loop.runBody(f) { break }
            }
            return .none
        }, leaf: nil, jumps: b.jumps)
    }

    private static func rangeLoop<S: VariableSlot>(_ slot: S, _ a: @escaping Code, _ z: @escaping Code, _ s: Code?,
                                                   _ loop: LoopContext) -> Code {
        let body = loop.body, flag = loop.interp.interruptFlag, span = loop.span
        let jumps = loop.jumps
        return { f in
            let start = try Interpreter.toDouble(try a(f), what: "range start")
            let stop = try Interpreter.toDouble(try z(f), what: "range stop")
            let step = try s.map { try Interpreter.toDouble(try $0(f), what: "range step") } ?? 1
            guard step != 0, step.isFinite, start.isFinite, stop.isFinite else {
                throw Diagnostic("a range needs finite bounds and a non-zero step", span: span)
            }
            let count = ((stop - start) / step).rounded(.up)
            let n = count > 0 ? (count < 9e15 ? Int(count) : Int(9e15)) : 0
            var k = 0
            while k < n {
                slot.setNumber(f, start + Double(k) * step)
                if jumps {
                    if try loop.runBody(f) { break }
                } else {
                    _ = try body(f)
                    if flag.raised.load(ordering: .relaxed) {
                        throw Diagnostic("interrupted", span: span, severity: "interrupted")
                    }
                }
                k += 1
            }
            return .none
        }
    }

    // MARK: - Literals and indexing

    private func compileMatrix(_ rows: [[Node]], hasRows: Bool, span: SourceSpan) -> Compiled {
        let interp = self.interp
        let compiled = rows.map { $0.map { compile($0) } }
        // All-constant numeric vector: build once.
        if !hasRows, let row = compiled.first, compiled.count == 1, !row.isEmpty {
            var numbers: [Double] = []
            for c in row { if case let .constant(.number(x)) = c.leaf { numbers.append(x) } }
            if numbers.count == row.count { return constant(.tensor(Tensor(numbers))) }
        }
        let codes = compiled.map { $0.map(\.code) }
        return Compiled(code: { f in
            var values: [[Value]] = []
            values.reserveCapacity(codes.count)
            for r in codes {
                var row: [Value] = []
                row.reserveCapacity(r.count)
                for c in r { row.append(try c(f)) }
                values.append(row)
            }
            do { return try Interpreter.buildMatrix(values, hasRows: hasRows) } catch { throw interp.diagnose(error, span: span) }
        }, leaf: nil, jumps: false)
    }

    private func compileItems(_ items: [IndexNode]) -> [(Frame) throws -> IndexValue] {
        items.map { item in
            switch item {
            case let .at(n):
                let c = compile(n).code
                return { f in .at(try c(f)) }
            case let .slice(a, b, s):
                let ca = a.map { compile($0).code }, cb = b.map { compile($0).code }, cs = s.map { compile($0).code }
                return { f in
                    .slice(try ca.map { try $0(f) }, try cb.map { try $0(f) }, try cs.map { try $0(f) })
                }
            }
        }
    }

    private func compileIndex(_ target: Node, _ items: [IndexNode], span: SourceSpan) -> Compiled {
        let t = compile(target).code
        let interp = self.interp
        if items.count == 1, case let .at(n) = items[0] {
            let c = compile(n).code
            return Compiled(code: { f in
                let base = try t(f)
                let i = try c(f)
                if case let .tensor(tt) = base, case let .number(x) = i, tt.ndim == 1, tt.dtype == .float64 {
                    let size = tt.shape[0]
                    if x == x.rounded(), abs(x) < 9e15 {
                        let k = Int(x), j = k < 0 ? k + size : k
                        if j >= 0 && j < size { return .number(tt.storage[j]) }
                    }
                }
                do { return try interp.index(base, [.at(i)]) } catch { throw interp.diagnose(error, span: span) }
            }, leaf: nil, jumps: false)
        }
        let codes = compileItems(items)
        return Compiled(code: { f in
            let base = try t(f)
            let idx = try codes.map { try $0(f) }
            do { return try interp.index(base, idx) } catch { throw interp.diagnose(error, span: span) }
        }, leaf: nil, jumps: false)
    }
}

/// An evaluated subscript item.
enum IndexValue {
    case at(Value)
    case slice(Value?, Value?, Value?)
}

/// What a fused binary operation needs on its slow path.
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
struct LoopContext {
    let interp: Interpreter
    let body: Code
    let jumps: Bool
    let span: SourceSpan

    /// Runs the body once; true when the loop must stop (break, or return passing through).
    @inline(__always)
    func runBody(_ f: Frame) throws -> Bool {
        if jumps {
            do { _ = try body(f) } catch let j as JumpSignal {
                if j.control == 3 { throw j }
                if j.control == 1 { return true }
            }
            let st = interp.state
            let ctl = st.pointee.control
            if ctl != 0 {
                if ctl == 3 { return true }
                st.pointee.control = 0
                if ctl == 1 { return true }
            }
        } else {
            _ = try body(f)
        }
        if interp.interruptFlag.raised.load(ordering: .relaxed) {
            throw Diagnostic("interrupted", span: span, severity: "interrupted")
        }
        return false
    }
}
