import RitzTensor

extension Builtins {
    /// Iteration helpers for `for a, b in …` (Python's `enumerate` and `zip`).
    static var iteration: [BuiltinEntry] {
        let g = "Iteration"
        let entries = [
            BuiltinEntry("enumerate", [Param("xs"), Param("start", default: .number(0))], group: g,
                         summary: "the list of [i, x] pairs of xs's items (a list's elements, a tensor's first axis), i counting from start; `for i, x in enumerate(xs)`",
                         examples: ["for i, x in enumerate([10, 20]) { print(i, x) }", "enumerate([\"a\", \"b\"], start=1)"]) { a in
                let items = try iterationItems(a, "xs")
                let start = try a.int("start")
                var pairs: [Value] = []
                pairs.reserveCapacity(items.count)
                for (k, item) in items.enumerated() {
                    let (i, overflow) = start.addingReportingOverflow(k)
                    guard !overflow else { throw Diagnostic("`start` of `enumerate` is too large", span: nil) }
                    pairs.append(.list([.number(Double(i)), item]))
                }
                return .list(pairs)
            },
            BuiltinEntry("zip", [.variadic("xs")], group: g,
                         summary: "the list of [a_i, b_i, …] rows of the items of its arguments, as long as the shortest (Python's zip); `for a, b in zip(as, bs)`",
                         examples: ["for name, v in zip([\"a\", \"b\"], [1, 2]) { print(name, v) }"]) { a in
                guard !a.rest.isEmpty else { throw Diagnostic("`zip` needs at least one list or tensor", span: nil) }
                let columns = try a.rest.map { v -> [Value] in
                    guard let items = try Interpreter.elements(v) else {
                        throw Diagnostic("`zip` takes lists, tensors and strings, got a \(v.typeName)", span: nil)
                    }
                    return items
                }
                let n = columns.map(\.count).min() ?? 0
                return .list((0..<n).map { i in .list(columns.map { $0[i] }) })
            },
        ]
        // Both only regroup their arguments' items, so traced items keep their derivatives.
        return entries.map { $0.differentiation(.passesThrough) }
    }

    /// The items of argument `name` as `for` visits them.
    ///
    /// - Throws: A `Diagnostic` for a value `for` cannot loop over.
    private static func iterationItems(_ a: Args, _ name: String) throws -> [Value] {
        let v = try a.valueOrThrow(name)
        guard let items = try Interpreter.elements(v) else {
            throw Diagnostic("argument `\(name)` of `\(a.entry.name)` must be a list, a tensor or a string, got a \(v.typeName)", span: nil)
        }
        return items
    }
}
