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
                         summary: "runs expr, prints and returns the seconds it took (not the value of expr: to keep a value, assign it inside, `time({ y = f(x) })`)",
                         examples: ["time(sum(ones(1000)))", "time({ y = sum(ones(1000)) })\ny"]) { a in
                let t0 = monotonicSeconds()
                if case let .function(f)? = a.raw("expr"), f.name == "time-thunk" {
                    _ = try a.context.call(.function(f), [])
                }
                let dt = monotonicSeconds() - t0
                a.context.print(String(format: "%.6f s", dt))
                return .number(dt)
            },
            BuiltinEntry("world", [], group: g,
                         summary: "(rank=, size=): this process in a data-parallel run under mpirun (rank 0 of 1 without it); only rank 0 prints, plots, saves and journals",
                         examples: ["world().size >= 1"]) { _ in
                .record(Record([("rank", .number(Double(World.rank))), ("size", .number(Double(World.size)))]))
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
            }.differentiation(.constant),
            BuiltinEntry("display", [Param("x")], group: g,
                         summary: "shows a value at once as its own output, as the value of a cell is shown (Jupyter's display_data; a plot is drawn); returns nothing",
                         examples: ["display([1, 2, 3])", "display(plot([1, 4, 9]))"]) { a in
                let v = a.raw("x") ?? .none
                if case let .object(o) = v, let p = o as? PlotObject {
                    a.context.emit(.plot(id: a.context.newPlotID(), figure: p.figure))
                }
                a.context.emit(.display(Display.string(v)))
                return .none
            }.differentiation(.constant),
            BuiltinEntry("clear_output", [.keyword("wait", default: .bool(false))], group: g,
                         summary: "clears the running cell's outputs so far (IPython's clear_output); wait=true clears when the next output comes, so a loop redraws without flicker; text a terminal run printed stays",
                         examples: ["clear_output()", "for i in 0:3 { clear_output(wait=true); display(i) }"]) { a in
                a.context.emit(.clearOutput(wait: try a.bool("wait")))
                return .none
            }.differentiation(.constant),
            BuiltinEntry("format", [Param("fmt"), .variadic("args")], group: g,
                         summary: "printf-style text: %d integral numbers, %f %e %g %s as in C, %% a percent sign; width at most \(Format.maxWidth), precision at most \(Format.maxPrecision)",
                         examples: ["format(\"%d steps, loss %.3f\", 10, 0.5)"]) { a in
                .string(try Format.printf(try a.string("fmt"), a.rest))
            }.differentiation(.constant),
            BuiltinEntry("typeof", [Param("x")], group: g,
                         summary: "the kind of a value as a string; a tensor's with its dtype and shape, as \"tensor int64 (3,)\"",
                         examples: ["typeof(argmax([1, 3; 4, 2], axis=1))", "typeof(\"a\")"]) { a in
                let v = a.raw("x") ?? .none
                switch v {
                case let .tensor(t): return .string("tensor \(t.dtype) \(formatShape(t.shape))")
                default: return .string(v.typeName)
                }
            }.differentiation(.constant),
            BuiltinEntry("string", [Param("x")], group: g, summary: "the text of a value, as print shows it",
                         examples: ["\"n = \" + string(3)"]) { a in
                .string(Display.plain(a.raw("x") ?? .none))
            }.differentiation(.constant),
        ]
    }
}

/// printf-style formatting for `format`.
///
/// A directive is `%[flags][width][.precision]conv` with flags from `-+ 0#`; width and
/// precision are bounded (`maxWidth`, `maxPrecision`) so a directive can neither overflow the C
/// formatter's `int` nor ask for an unbounded string.
enum Format {
    /// The largest field width a directive may ask for.
    static let maxWidth = 1000
    /// The largest precision a directive may ask for (a double has at most 17 significant
    /// digits; 100 leaves room for `%f` of small numbers).
    static let maxPrecision = 100

    /// Flags, width and precision of one directive, already checked against the bounds.
    struct Spec {
        var flags = ""
        var width: Int?
        var precision: Int?

        /// The directive as C's printf reads it, without the conversion.
        var cText: String {
            "%" + flags + (width.map(String.init) ?? "") + (precision.map { "." + String($0) } ?? "")
        }
    }

    /// Formats `fmt` with `args`.
    ///
    /// - Throws: A `Diagnostic` for a bad directive, a width or precision over the bounds, a
    ///   missing or surplus argument, or a type mismatch.
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
            let spec = try parseSpec(fmt, &j)
            guard j < fmt.endIndex else { throw Diagnostic("incomplete directive `\(spec.cText)` in format", span: nil) }
            let conv = fmt[j]
            guard next < args.count else {
                throw Diagnostic("format has more directives than arguments (\(args.count))", span: nil)
            }
            let arg = args[next]
            next += 1
            switch conv {
            case "d", "i":
                let n = try Interpreter.toInt(arg, what: "the argument of %\(conv)")
                out += String(format: spec.cText + "lld", Int64(n))
            case "f", "e", "g", "F", "E", "G":
                let x = try Interpreter.toDouble(arg, what: "the argument of %\(conv)")
                out += String(format: spec.cText + String(conv), x)
            case "s":
                out += applyStringSpec(spec, Display.plain(arg))
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

    /// Reads `[flags][width][.precision]` starting at `j`, leaving `j` on the conversion.
    ///
    /// - Throws: A `Diagnostic` when the width exceeds `maxWidth` or the precision `maxPrecision`.
    private static func parseSpec(_ fmt: String, _ j: inout String.Index) throws -> Spec {
        var spec = Spec()
        while j < fmt.endIndex, "-+ 0#".contains(fmt[j]) {
            if !spec.flags.contains(fmt[j]) { spec.flags.append(fmt[j]) }
            j = fmt.index(after: j)
        }
        spec.width = try readNumber(fmt, &j, limit: maxWidth, what: "width")
        if j < fmt.endIndex, fmt[j] == "." {
            j = fmt.index(after: j)
            spec.precision = try readNumber(fmt, &j, limit: maxPrecision, what: "precision") ?? 0
        }
        return spec
    }

    /// Reads decimal digits at `j` as a number no larger than `limit`; nil when there are none.
    private static func readNumber(_ fmt: String, _ j: inout String.Index, limit: Int, what: String) throws -> Int? {
        var digits = ""
        let start = j
        while j < fmt.endIndex, let d = fmt[j].wholeNumberValue, fmt[j].isASCII {
            if !digits.isEmpty || d != 0 { digits.append(fmt[j]) }   // leading zeros add nothing
            j = fmt.index(after: j)
        }
        guard !digits.isEmpty || start != j else { return nil }
        guard !digits.isEmpty else { return 0 }
        // Past the limit's own length the value cannot fit, whatever its digits.
        guard digits.count <= String(limit).count, let n = Int(digits), n <= limit else {
            throw Diagnostic("format \(what) \(digits) is too large (at most \(limit))", span: nil)
        }
        return n
    }

    /// `%s`: precision truncates to that many characters, width pads (on the right with `-`).
    private static func applyStringSpec(_ spec: Spec, _ s: String) -> String {
        var text = s
        if let p = spec.precision { text = String(text.prefix(p)) }
        let pad = String(repeating: " ", count: Swift.max(0, (spec.width ?? 0) - text.count))
        return spec.flags.contains("-") ? text + pad : pad + text
    }
}
