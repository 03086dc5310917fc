import Foundation
import RitzAutodiff
import RitzTensor

extension Compiler {
    // MARK: - Calls and function literals

    func compileCall(_ callee: Node, _ args: [ArgNode], span: SourceSpan) -> Compiled {
        let c = compile(callee).code
        // `act(x @ w.T + b)` with a builtin activation `linear` fuses: one dense node when traced.
        if args.count == 1, args[0].name == nil, case let .name(name) = callee.kind,
           Var.linearActivations.contains(where: { $0.rawValue == name }), case let .global(g) = lookup(name), g.isBuiltin,
           case let .binary(.add, lhs, rhs) = args[0].value.kind, let dense = denseLayer(lhs, bias: rhs, span: args[0].value.span) {
            return compileDense(dense, activation: (c, name, span))
        }
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

    func compileFunction(name: String, params: [ParamNode], body: Node, span: SourceSpan) -> Compiled {
        let defaults = params.map { p in p.defaultValue.map { compile($0).code } }
        let network = staticNetwork(params: params, body: body)
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
                                 bodyJumps: jumps, captured: isTop ? nil : f, network: network)
            return .function(Function(user: u))
        }, leaf: nil, jumps: false)
    }
}
