import Foundation
import RitzTensor

extension Builtins {
    /// Monotonic seconds.
    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Session: help, variables, printing, formatting and timing.
    static var session: [BuiltinEntry] {
        let g = "Session"
        return [
            BuiltinEntry("help", [Param("name", default: .none)], group: g,
                         summary: "prints the help of a builtin or function (as ?name); without argument, the index",
                         examples: ["help(\"sum\")", "help(sum)"]) { a in
                let interp = a.context
                guard let v = a.raw("name") else {
                    var groups: [String] = []
                    for e in interp.registry.entries where !groups.contains(e.group) { groups.append(e.group) }
                    interp.print(groups.map { grp in
                        grp + "\n  " + interp.registry.entries.filter { $0.group == grp }.map(\.name).joined(separator: " ")
                    }.joined(separator: "\n"))
                    return .none
                }
                // A name or a function: its help entry; any other value: what it is.
                let name: String
                switch v {
                case let .string(s): name = s
                case let .function(f): name = f.name
                default:
                    interp.print(interp.describe(v))
                    return .none
                }
                interp.print(interp.helpText(name) ?? "no help for `\(name)`")
                return .none
            },
            BuiltinEntry("who", [], group: g, summary: "lists the variables of the session with their types",
                         examples: ["x = 1; who()"]) { a in
                let interp = a.context
                for b in interp.globals.order where !b.isBuiltin {
                    guard let v = b.slot.pointee else { continue }
                    var desc = v.typeName
                    if case let .tensor(t) = v { desc += " \(formatShape(t.shape)) \(t.dtype)" }
                    if case let .list(l) = v { desc += " of \(l.count)" }
                    interp.print("\(b.name): \(desc)")
                }
                return .none
            },
            BuiltinEntry("time", [Param("expr")], group: g,
                         summary: "runs expr, prints and returns the seconds it took",
                         examples: ["time(sum(ones(1000)))"]) { a in
                let t0 = monotonicSeconds()
                if case let .function(f)? = a.raw("expr"), f.name == "time-thunk" {
                    _ = try a.context.call(.function(f), [])
                }
                let dt = monotonicSeconds() - t0
                a.context.print(String(format: "%.6f s", dt))
                return .number(dt)
            },
            BuiltinEntry("clock", [], group: g, summary: "monotonic seconds (for measuring intervals)",
                         examples: ["t = clock(); clock() - t >= 0"]) { _ in .number(monotonicSeconds()) },
            BuiltinEntry("clear", [.variadic("names")], group: g,
                         summary: "removes the named variables (all of them without arguments)",
                         examples: ["x = 1; clear(\"x\")"]) { a in
                let interp = a.context
                if a.rest.isEmpty {
                    for b in interp.globals.order where !b.isBuiltin { b.slot.pointee = nil }
                    return .none
                }
                for v in a.rest {
                    guard case let .string(n) = v else {
                        throw Diagnostic("clear takes variable names as strings, got a \(v.typeName)", span: nil,
                                         help: ["write clear(\"x\")"])
                    }
                    guard let b = interp.globals.boxes[n], !b.isBuiltin, b.slot.pointee != nil else {
                        throw Diagnostic("no variable `\(n)`", span: nil)
                    }
                    b.slot.pointee = nil
                    if let e = interp.registry.entry(n) { b.slot.pointee = .function(Function(e)); b.isBuiltin = true }
                }
                return .none
            },
            BuiltinEntry("print", [.variadic("values")], group: g,
                         summary: "prints the values separated by spaces",
                         examples: ["print(\"loss\", 0.25)"]) { a in
                a.context.print(a.rest.map { Display.plain($0) }.joined(separator: " "))
                return .none
            },
            BuiltinEntry("format", [Param("fmt"), .variadic("args")], group: g,
                         summary: "printf-style text: %d integral numbers, %f %e %g %s as in C, %% a percent sign",
                         examples: ["format(\"%d steps, loss %.3f\", 10, 0.5)"]) { a in
                .string(try Format.printf(try a.string("fmt"), a.rest))
            },
            BuiltinEntry("string", [Param("x")], group: g, summary: "the text of a value, as print shows it",
                         examples: ["\"n = \" + string(3)"]) { a in
                .string(Display.plain(a.raw("x") ?? .none))
            },
        ]
    }
}

/// printf-style formatting for `format`.
enum Format {
    /// Formats `fmt` with `args`.
    ///
    /// - Throws: A `Diagnostic` for a bad directive, a missing or surplus argument, or a type mismatch.
    static func printf(_ fmt: String, _ args: [Value]) throws -> String {
        var out = ""
        var i = fmt.startIndex
        var next = 0
        while i < fmt.endIndex {
            let c = fmt[i]
            guard c == "%" else { out.append(c); i = fmt.index(after: i); continue }
            var j = fmt.index(after: i)
            guard j < fmt.endIndex else { throw Diagnostic("format ends with a lone `%`", span: nil) }
            if fmt[j] == "%" { out.append("%"); i = fmt.index(after: j); continue }
            var spec = "%"
            while j < fmt.endIndex, "-+ 0#.123456789".contains(fmt[j]) { spec.append(fmt[j]); j = fmt.index(after: j) }
            guard j < fmt.endIndex else { throw Diagnostic("incomplete directive `\(spec)` in format", span: nil) }
            let conv = fmt[j]
            guard spec.count <= 12 else { throw Diagnostic("directive `\(spec)\(conv)` is too long", span: nil) }
            guard next < args.count else {
                throw Diagnostic("format has more directives than arguments (\(args.count))", span: nil)
            }
            let arg = args[next]
            next += 1
            switch conv {
            case "d", "i":
                let n = try Interpreter.toInt(arg, what: "the argument of %\(conv)")
                out += String(format: spec + "lld", Int64(n))
            case "f", "e", "g", "F", "E", "G":
                let x = try Interpreter.toDouble(arg, what: "the argument of %\(conv)")
                out += String(format: spec + String(conv), x)
            case "s":
                let s = Display.plain(arg)
                // Width and precision apply as in C; format through a padded copy.
                out += applyStringSpec(spec, s)
            default:
                throw Diagnostic("unknown directive `%\(conv)` in format", span: nil, help: ["use %d %f %e %g %s or %%"])
            }
            i = fmt.index(after: j)
        }
        guard next == args.count else {
            throw Diagnostic("format got \(args.count) arguments for \(next) directives", span: nil)
        }
        return out
    }

    private static func applyStringSpec(_ spec: String, _ s: String) -> String {
        var body = spec.dropFirst()
        let left = body.hasPrefix("-")
        body = body.drop { "-+ 0#".contains($0) }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        let width = Int(parts.first ?? "") ?? 0
        var text = s
        if parts.count > 1, let p = Int(parts[1]) { text = String(text.prefix(p)) }
        let pad = String(repeating: " ", count: Swift.max(0, width - text.count))
        return left ? text + pad : pad + text
    }
}
