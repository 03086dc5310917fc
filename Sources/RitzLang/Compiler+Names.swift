import Foundation
import RitzTensor

/// Name resolution: which slot a name reads and writes.

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

extension Compiler {
    // MARK: - Names

    /// Names a statement list assigns at its own level (not inside nested functions).
    func assignedNames(_ n: Node) -> [String] {
        switch n.kind {
        case let .assign(target, value):
            if case let .name(x) = target.kind { return [x] + assignedNames(value) }
            return assignedNames(value)
        case let .compoundAssign(_, target, _):
            if case let .name(x) = target.kind { return [x] }
            return []
        case let .fnDecl(name, _, _, _): return [name]
        case let .destructure(targets, value):
            return targets.compactMap { t in if case let .name(x) = t.kind { return x }; return nil } + assignedNames(value)
        case let .forLoop(vs, iter, body): return vs.map(\.name) + assignedNames(iter) + assignedNames(body)
        case let .whileLoop(c, body): return assignedNames(c) + assignedNames(body)
        case let .block(stmts): return stmts.flatMap { assignedNames($0) }
        case let .ifExpr(c, t, e): return assignedNames(c) + assignedNames(t) + (e.map { assignedNames($0) } ?? [])
        default: return []
        }
    }

    enum Ref {
        case local(depth: Int, index: Int)
        case global(GlobalBox)
    }

    func lookup(_ name: String) -> Ref {
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
    func existingGlobal(_ name: String) -> Bool {
        guard let b = globals.boxes[name] else { return false }
        if b.isBuiltin { return false }
        return b.slot.pointee != nil || topAssigned.contains(name)
    }

    func slotFor(_ name: String, span: SourceSpan) -> any VariableSlot {
        switch lookup(name) {
        case let .local(0, i): return LocalSlot(index: i, name: name, span: span)
        case let .local(d, i): return OuterSlot(depth: d, index: i, name: name, span: span)
        case let .global(b): return GlobalSlot(box: b, span: span, interp: interp)
        }
    }

    func compileRead(_ name: String, span: SourceSpan) -> Compiled {
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

    /// `np.linalg.eigh`-style reads: a chain of fields on a global named like a NumPy/JAX module
    /// (`ForeignSpellings.modules`). While that global has a value the chain reads as usual;
    /// while it has none, the error names the builtin to write instead. nil for other nodes.
    func compileModulePath(_ n: Node) -> Compiled? {
        var path: [String] = []
        var node = n
        while case let .field(target, name) = node.kind { path.insert(name, at: 0); node = target }
        guard case let .name(root) = node.kind, ForeignSpellings.modules.contains(root),
              case let .global(box) = lookup(root) else { return nil }
        path.insert(root, at: 0)
        let interp = self.interp, rootSpan = node.span, span = n.span
        let fields = Array(path.dropFirst())
        return Compiled(code: { _ in
            guard var v = box.slot.pointee else { throw interp.unknownName(root, path: path, span: rootSpan) }
            for name in fields {
                do { v = try interp.field(v, name) } catch { throw interp.diagnose(error, span: span) }
            }
            return v
        }, leaf: nil, jumps: false)
    }
}
