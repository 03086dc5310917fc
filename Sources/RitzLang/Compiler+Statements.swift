import Foundation
import RitzTensor

extension Compiler {
    // MARK: - Assignment and loops

    func compileAssign(_ target: Node, _ value: Node, span: SourceSpan) -> Compiled {
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
                return assignThroughPlace(target, valueNode)
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
            return assignThroughPlace(target, valueNode)
        default:
            valueNode = value
            return error("cannot assign to this expression", target.span)
        }
    }

    /// `a, b = value`: the value's items (`Interpreter.unpack`) go to the targets in order.
    ///
    /// The value is evaluated once, before any target is written, so `a, b = b, a` swaps.
    func compileDestructure(_ targets: [Node], _ value: Node, span: SourceSpan) -> Compiled {
        let v = compile(value).code
        var places: [Place] = []
        for t in targets {
            guard let place = compileTarget(t) else { return error("cannot assign to this expression", t.span) }
            places.append(place)
        }
        let interp = self.interp
        return Compiled(code: { f in
            let items: [Value]
            do { items = try Interpreter.unpack(try v(f), into: places.count) } catch { throw interp.diagnose(error, span: value.span) }
            for (place, item) in zip(places, items) { try place.set(f, item) }
            return .none
        }, leaf: nil, jumps: false)
    }

    /// An assignment target as a place; a name assigned this way stops being a builtin's.
    func compileTarget(_ n: Node) -> Place? {
        if case let .name(x) = n.kind, case let g as GlobalSlot = slotFor(x, span: n.span) { g.box.isBuiltin = false }
        return compilePlace(n)
    }

    /// `target = value` for a field or a nested element, through the place's read-modify-write.
    func assignThroughPlace(_ target: Node, _ valueNode: Node) -> Compiled {
        guard let place = compilePlace(target) else { return error("cannot assign to this expression", target.span) }
        let v = compile(valueNode).code
        return Compiled(code: { f in
            try place.set(f, try v(f))
            return .none
        }, leaf: nil, jumps: false)
    }

    /// A place that is read and written: a variable, a field or an element of a place.
    struct Place {
        let get: (Frame) throws -> Value
        let set: (Frame, Value) throws -> Void
    }

    /// Compiles an assignment target. `place.name = v` sets the field of an object in place or
    /// makes a new record with the field replaced and stores it back into `place`;
    /// `place[i] = v` stores the updated container back into `place`.
    func compilePlace(_ n: Node) -> Place? {
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

    func store(_ name: String, _ span: SourceSpan, _ code: @escaping Code, num: NumCode? = nil) -> Compiled {
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

    func compileFor(_ variables: [(name: String, span: SourceSpan)], _ iterable: Node, _ body: Node,
                    span: SourceSpan) -> Compiled {
        let slots = variables.map { v in slotFor(v.name, span: v.span) }
        for case let g as GlobalSlot in slots { g.box.isBuiltin = false }
        let slot = slots[0]
        loopDepth += 1
        let b = compile(body, stmt: true)
        loopDepth -= 1
        let loop = LoopContext(interp: interp, body: b.code, jumps: b.jumps, span: span)
        if slots.count == 1, case let .range(start, stop, step) = iterable.kind {
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
            do {
                guard let found = try Interpreter.elements(v) else {
                    throw Diagnostic("cannot loop over a \(v.typeName)", span: iterable.span,
                                     help: ["loop over a range `0:n`, a list or a tensor"])
                }
                items = found
            } catch { throw interp.diagnose(error, span: iterable.span) }
            for item in items {
                if slots.count == 1 {
                    slot.set(f, item)
                } else {
                    let parts: [Value]
                    do { parts = try Interpreter.unpack(item, into: slots.count) } catch { throw interp.diagnose(error, span: iterable.span) }
                    for (s, part) in zip(slots, parts) { s.set(f, part) }
                }
                if try loop.runBody(f) { break }
            }
            return .none
        }, leaf: nil, jumps: b.jumps)
    }

    static func rangeLoop<S: VariableSlot>(_ slot: S, _ a: @escaping Code, _ z: @escaping Code, _ s: Code?,
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
}

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
