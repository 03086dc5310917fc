import RitzLearn
import RitzTensor

/// Literals, indexing and field access.
extension Interpreter {
    /// `[a, b, c]` and `[a, b; c, d]`.
    ///
    /// Without `;`: numbers make a 1-d tensor, equal-shaped tensors stack along a new first axis,
    /// anything else is a list. With `;`: each row concatenates its elements side by side and the
    /// rows stack vertically (block matrices).
    static func buildMatrix(_ rows: [[Value]], hasRows: Bool) throws -> Value {
        if let r = try tracedMatrix(rows, hasRows: hasRows) { return r }
        if !hasRows {
            let items = rows.first ?? []
            if items.isEmpty { return .list([]) }
            var numbers: [Double] = []
            numbers.reserveCapacity(items.count)
            var numeric = true, anyComplex = false, allScalar = true
            for v in items {
                switch v {
                case let .number(x): numbers.append(x)
                case let .bool(b): numbers.append(b ? 1 : 0)
                case let .tensor(t):
                    if t.isComplex { anyComplex = true }
                    if t.ndim != 0 { allScalar = false }
                default: numeric = false
                }
            }
            if numeric && numbers.count == items.count { return .tensor(Tensor(numbers)) }
            guard numeric else { return .list(items) }
            let parts = try items.map { try toTensor($0) }
            if allScalar && anyComplex {
                return .tensor(try Tensor.stack(parts.map { $0.asComplex() }, axis: 0))
            }
            let shape = parts[0].shape
            guard parts.allSatisfy({ $0.shape == shape }) else { return .list(items) }
            // Integer tensors stack into an integer tensor (np.array of int arrays); else float64.
            let integers = parts.allSatisfy { $0.dtype == .int64 }
            let unified = parts.contains { $0.isComplex } ? parts.map { $0.asComplex() } : try parts.map { integers ? $0 : try $0.asFloat() }
            return .tensor(try Tensor.stack(unified, axis: 0))
        }
        var rowTensors: [Tensor] = []
        for row in rows {
            let parts = try row.map { v -> Tensor in
                var t = try toTensor(v, what: "an element of a matrix literal")
                if t.dtype == .bool { t = try t.asFloat() }
                switch t.ndim {
                case 0: return try t.reshaped([1, 1])
                case 1: return try t.reshaped([1, t.count])
                case 2: return t
                default: throw ShapeError.invalid("a matrix literal takes numbers, vectors and matrices, got shape \(formatShape(t.shape))")
                }
            }
            let complex = parts.contains { $0.isComplex }
            let unified = complex ? parts.map { $0.asComplex() } : parts
            let heights = Set(unified.map { $0.shape[0] })
            guard heights.count == 1 else {
                throw ShapeError.invalid("elements of a matrix row must have the same number of rows, got \(unified.map { $0.shape[0] })")
            }
            rowTensors.append(try Tensor.concat(unified, axis: 1))
        }
        let complex = rowTensors.contains { $0.isComplex }
        let unified = complex ? rowTensors.map { $0.asComplex() } : rowTensors
        let widths = Set(unified.map { $0.shape[1] })
        guard widths.count == 1 else {
            throw ShapeError.invalid("rows of a matrix must have the same length, got \(unified.map { $0.shape[1] })")
        }
        return .tensor(try Tensor.concat(unified, axis: 0))
    }

    private static func optionalInt(_ v: Value?, what: String) throws -> Int? {
        guard let v else { return nil }
        if case .none = v { return nil }
        return try toInt(v, what: what)
    }

    /// Converts evaluated subscript items to tensor index items.
    static func indexItems(_ items: [IndexValue]) throws -> [IndexItem] {
        try items.map { item in
            switch item {
            case let .at(v):
                switch v {
                case .number, .bool: return .at(try toInt(v, what: "an index"))
                case let .tensor(t):
                    if t.ndim == 0 && t.dtype != .bool { return .at(try toInt(v, what: "an index")) }
                    return .array(t)
                case let .list(l): return .array(try listToTensor(l, what: "an index"))
                case .none: throw Diagnostic("a new axis (`none`) indexes tensors only", span: nil)
                default: throw Diagnostic("an index must be a number, a range, a mask or an index tensor, got a \(v.typeName)", span: nil)
                }
            case let .slice(a, b, s):
                return .slice(start: try optionalInt(a, what: "a slice start"), stop: try optionalInt(b, what: "a slice stop"),
                              step: try optionalInt(s, what: "a slice step"))
            case .ellipsis:
                throw Diagnostic("`...` indexes tensors only", span: nil)
            }
        }
    }

    /// The items `for` visits and `a, b = v` unpacks: a list's elements, a tensor's (or traced
    /// tensor's) slices along its first axis, a string's characters; nil for other values.
    ///
    /// - Throws: A `Diagnostic` for a 0-d traced value.
    static func elements(_ v: Value) throws -> [Value]? {
        switch v {
        case let .list(l): return l
        case let .tensor(t) where t.ndim >= 1:
            if t.ndim == 1 && t.dtype == .float64 { return t.storage.map { .number($0) } }
            return try unstack(t)
        case let .traced(x): return try tracedRows(x)
        case let .string(s): return s.map { .string(String($0)) }
        default: return nil
        }
    }

    /// The values `a, b, … = v` gives its `count` targets: `elements(v)`, or a record's field
    /// values in the order written (`values, vectors = eigh(A)`).
    ///
    /// - Throws: A `Diagnostic` when `v` does not unpack or holds a different number of items.
    static func unpack(_ v: Value, into count: Int) throws -> [Value] {
        let items: [Value], what: String
        if case let .record(r) = v {
            items = r.values
            what = "a record with \(r.values.count) field\(r.values.count == 1 ? "" : "s") (\(r.names.joined(separator: ", ")))"
        } else if let found = try elements(v) {
            items = found
            what = "a \(v.typeName) of \(found.count) item\(found.count == 1 ? "" : "s")"
        } else {
            throw Diagnostic("cannot unpack a \(v.typeName) into \(count) names", span: nil,
                             help: ["`a, b = v` unpacks a list, a tensor along its first axis or a record's fields"])
        }
        guard items.count == count else {
            var help = ["unpack into exactly as many names as there are items"]
            if case let .record(r) = v, let first = r.names.first { help.append("or keep the record and read its fields by name, `r.\(first)`") }
            throw Diagnostic("cannot unpack \(what) into \(count) names", span: nil, help: help)
        }
        return items
    }

    /// Replaces `...` and new axes (`none`) in a subscript of a value with `shape`: the
    /// ellipsis becomes as many `:` as the other items leave, and each new axis becomes a `:`
    /// over a length-1 axis inserted into the shape at that position (NumPy's `x[None, :]`,
    /// `x[..., 0]`).
    ///
    /// - Parameters:
    ///   - items: The subscript as written.
    ///   - shape: The shape of the value indexed.
    /// - Returns: nil when there is neither; else the shape to reshape the value to first and
    ///   the subscript to apply to it.
    /// - Throws: A `Diagnostic` for two ellipses or more items than axes.
    static func expandAxes(_ items: [IndexValue], shape: [Int]) throws -> (shape: [Int], items: [IndexValue])? {
        func isNewAxis(_ item: IndexValue) -> Bool { if case .at(.none) = item { return true }; return false }
        func isEllipsis(_ item: IndexValue) -> Bool { if case .ellipsis = item { return true }; return false }
        guard items.contains(where: { isNewAxis($0) || isEllipsis($0) }) else { return nil }
        let ellipses = items.filter(isEllipsis).count
        guard ellipses <= 1 else { throw Diagnostic("a subscript takes at most one `...`", span: nil) }
        // Axes the items consume: a full-shape boolean mask consumes as many as it has.
        let consumed = items.reduce(0) { n, item in
            switch item {
            case .at(.none), .ellipsis: return n
            case let .at(.tensor(t)) where t.dtype == .bool: return n + Swift.max(t.ndim, 1)
            default: return n + 1
            }
        }
        guard consumed <= shape.count else {
            throw ShapeError.invalid("too many indices: \(consumed) for a tensor with \(shape.count) dimension\(shape.count == 1 ? "" : "s")")
        }
        var newShape: [Int] = [], newItems: [IndexValue] = []
        var axis = 0
        for item in items {
            switch item {
            case .at(.none):
                newShape.append(1)
                newItems.append(.slice(nil, nil, nil))
            case .ellipsis:
                for _ in 0..<(shape.count - consumed) {
                    newShape.append(shape[axis]); axis += 1
                    newItems.append(.slice(nil, nil, nil))
                }
            case let .at(.tensor(t)) where t.dtype == .bool && t.ndim > 1:
                newShape.append(contentsOf: shape[axis..<(axis + t.ndim)]); axis += t.ndim
                newItems.append(item)
            default:
                newShape.append(shape[axis]); axis += 1
                newItems.append(item)
            }
        }
        newShape.append(contentsOf: shape[axis...])
        return (newShape, newItems)
    }

    /// `base[items]` for tensors, lists and strings.
    func index(_ base: Value, _ items: [IndexValue]) throws -> Value {
        if let shape = Interpreter.indexableShape(base), let (expanded, plain) = try Interpreter.expandAxes(items, shape: shape) {
            return try index(try Interpreter.reshaped(base, expanded), plain)
        }
        if let r = try tracedIndex(base, items) { return r }
        switch base {
        case let .tensor(t):
            return Interpreter.wrap(try t.index(try Interpreter.indexItems(items)))
        case .number, .bool:
            return Interpreter.wrap(try Interpreter.toTensor(base).index(try Interpreter.indexItems(items)))
        case let .list(l):
            guard items.count == 1 else { throw Diagnostic("a list takes one index", span: nil) }
            switch try Interpreter.indexItems(items)[0] {
            case let .at(i):
                let j = i < 0 ? i + l.count : i
                guard j >= 0 && j < l.count else { throw ShapeError.indexOutOfRange(index: i, axis: 0, size: l.count) }
                return l[j]
            case let .slice(a, b, s):
                return .list(try Tensor.sliceIndices(start: a, stop: b, step: s, size: l.count).map { l[$0] })
            case let .array(t):
                let positions = t.dtype == .bool ? (0..<t.count).filter { t.storage[$0] != 0 } : try t.storage.map { x -> Int in
                    let i = try Interpreter.toInt(.number(x), what: "an index")
                    let j = i < 0 ? i + l.count : i
                    guard j >= 0 && j < l.count else { throw ShapeError.indexOutOfRange(index: i, axis: 0, size: l.count) }
                    return j
                }
                guard t.dtype != .bool || t.count == l.count else { throw ShapeError.mismatch(op: "mask", lhs: [l.count], rhs: t.shape) }
                return .list(positions.map { l[$0] })
            }
        case let .string(s):
            let chars = Array(s)
            guard items.count == 1 else { throw Diagnostic("a string takes one index", span: nil) }
            switch try Interpreter.indexItems(items)[0] {
            case let .at(i):
                let j = i < 0 ? i + chars.count : i
                guard j >= 0 && j < chars.count else { throw ShapeError.indexOutOfRange(index: i, axis: 0, size: chars.count) }
                return .string(String(chars[j]))
            case let .slice(a, b, st):
                return .string(String(try Tensor.sliceIndices(start: a, stop: b, step: st, size: chars.count).map { chars[$0] }))
            case .array:
                throw Diagnostic("a string cannot be indexed by a tensor", span: nil)
            }
        case let .object(o) where !o.fieldNames.isEmpty:
            // A dataset, a run, a result: what it holds is in its fields (`d.x[0]`).
            throw Diagnostic("a \(o.typeName) cannot be indexed", span: nil,
                             help: ["index one of its fields: " + o.fieldNames.joined(separator: ", ")])
        default:
            throw Diagnostic("a \(base.typeName) cannot be indexed", span: nil)
        }
    }

    /// `base[items] = value`, returning the new base.
    func assignIndex(_ base: Value, _ items: [IndexValue], _ value: Value) throws -> Value {
        if let shape = Interpreter.indexableShape(base), let (expanded, plain) = try Interpreter.expandAxes(items, shape: shape) {
            let updated = try assignIndex(try Interpreter.reshaped(base, expanded), plain, value)
            return try Interpreter.reshaped(updated, shape)
        }
        if let r = try tracedAssignIndex(base, items, value) { return r }
        switch base {
        case var .tensor(t):
            try t.assign(try Interpreter.indexItems(items), try Interpreter.toTensor(value, what: "the assigned value"))
            return .tensor(t)
        case var .list(l):
            guard items.count == 1, case let .at(i) = try Interpreter.indexItems(items)[0] else {
                throw Diagnostic("assign to one element of a list, `xs[i] = v`", span: nil)
            }
            let j = i < 0 ? i + l.count : i
            guard j >= 0 && j < l.count else { throw ShapeError.indexOutOfRange(index: i, axis: 0, size: l.count) }
            l[j] = value
            return .list(l)
        case .number:
            var t = try Interpreter.toTensor(base)
            try t.assign(try Interpreter.indexItems(items), try Interpreter.toTensor(value))
            return Interpreter.wrap(t)
        default:
            throw Diagnostic("cannot assign into an element of a \(base.typeName)", span: nil)
        }
    }

    /// The shape of a tensor, number, bool or traced tensor (the values `...` and new axes
    /// index); nil for others.
    static func indexableShape(_ v: Value) -> [Int]? {
        switch v {
        case let .tensor(t): return t.shape
        case .number, .bool: return []
        case let .traced(x): return x.shape
        default: return nil
        }
    }

    /// A tensor-like value with the same elements in a new shape (traced values stay traced).
    static func reshaped(_ v: Value, _ shape: [Int]) throws -> Value {
        if case let .traced(x) = v { return valueOf(try x.reshaped(shape)) }
        return wrap(try toTensor(v).reshaped(shape))
    }

    /// The error for `x.name` on a tensor, which has the fields T, shape, real and imag: where
    /// `name` is a builtin or a NumPy method ritz spells otherwise (`x.mean()`, `x.reshape(…)`),
    /// the call to write instead.
    func noTensorField(_ name: String) -> Diagnostic {
        var help = ["tensor fields: T, shape, real, imag"]
        if registry.entry(name) != nil {
            help.insert("ritz calls functions, not methods: write `\(name)(x, …)` for `x.\(name)(…)`", at: 0)
        } else if let hint = ForeignSpellings.table[name] {
            help.insert("ritz calls functions, not methods: `x.\(name)(…)` is written \(hint)", at: 0)
        }
        return Diagnostic("a tensor has no field `\(name)`", span: nil, help: help)
    }

    /// `value.name`.
    func field(_ v: Value, _ name: String) throws -> Value {
        if let r = try tracedField(v, name) { return r }
        switch v {
        case let .tensor(t):
            switch name {
            case "T": return .tensor(try t.transposed())
            case "shape": return .tensor(Tensor(integers: t.shape))
            case "real": return Interpreter.wrap(t.realPart())
            case "imag": return Interpreter.wrap(t.imagPart())
            default:
                throw noTensorField(name)
            }
        case .number, .bool:
            if name == "T" { return v }
            throw Diagnostic("a \(v.typeName) has no field `\(name)`", span: nil)
        case let .record(r):
            if let x = r[name] { return x }
            var help = ["fields: " + r.names.joined(separator: ", ")]
            if let near = nearestName(name, r.names) { help.insert("did you mean `\(near)`?", at: 0) }
            throw Diagnostic("the record has no field `\(name)`", span: nil, help: help)
        case let .object(o):
            if let x = try o.field(name) { return x }
            var help = ["fields: " + o.fieldNames.joined(separator: ", ")]
            if let near = nearestName(name, o.fieldNames) { help.insert("did you mean `\(near)`?", at: 0) }
            throw Diagnostic("a \(o.typeName) has no field `\(name)`", span: nil, help: help)
        default:
            throw Diagnostic("a \(v.typeName) has no fields", span: nil)
        }
    }

    /// `value.name = newValue`: the value to store back where `value` came from.
    ///
    /// A record gives a new record with the field replaced (records are values); an object
    /// changes in place (`LangObject.setField`) and is returned as it is.
    /// - Parameters:
    ///   - v: The value whose field is assigned.
    ///   - name: The field.
    ///   - newValue: The value assigned.
    /// - Returns: The updated value.
    /// - Throws: A `Diagnostic` (without span) for an unknown or read-only field.
    func setField(_ v: Value, _ name: String, _ newValue: Value) throws -> Value {
        switch v {
        case let .record(r):
            guard let i = r.names.firstIndex(of: name) else {
                var help = ["fields: " + r.names.joined(separator: ", "),
                            "a record keeps the fields it was made with; write a new record to add one"]
                if let near = nearestName(name, r.names) { help.insert("did you mean `\(near)`?", at: 0) }
                throw Diagnostic("the record has no field `\(name)`", span: nil, help: help)
            }
            var values = r.values
            values[i] = newValue
            return .record(Record(Array(zip(r.names, values))))
        case let .object(o):
            try o.setField(name, newValue)
            return v
        case .tensor, .traced:
            throw Diagnostic("cannot assign to `\(name)`: the fields of a tensor are read-only", span: nil,
                             help: ["make a new tensor instead, e.g. `x = x.T`"])
        default:
            throw Diagnostic("a \(v.typeName) has no fields to assign", span: nil)
        }
    }

    /// Help text for a builtin, a user function or a quantity `train` tracks, as `?name` shows it.
    func helpText(_ name: String) -> String? {
        if name == "language" { return LanguageGuide.text }
        // A tracked quantity ("sharpness" is also a builtin: both are shown).
        let tracked = TrackerRegistry.shared.entry(name).map { entry in
            "train(model, data, opt, track=[\"\(name)\"])\n  tracked during training, every `every` steps: \(entry.summary)"
                + (entry.bound == nil ? "" : "\n  drawn against the optimizer's stability threshold for it, when it has one; see stability")
        }
        if let e = registry.entry(name) { return e.helpText + (tracked.map { "\n\n" + $0 } ?? "") }
        if let tracked { return tracked }
        if let b = globals.boxes[name], let v = b.slot.pointee {
            switch v {
            case let .function(f): return "\(f.signature)\n  a user function"
            default: return "\(name): " + describe(v)
            }
        }
        if let k = Keyword(rawValue: name) { return "`\(k.rawValue)` is a keyword of the language; see `ritz help language`" }
        let group = registry.entries.filter { $0.group.lowercased() == name.lowercased() }
        if !group.isEmpty { return group.map { "\($0.signature)\n  \($0.summary)" }.joined(separator: "\n") }
        return nil
    }

    /// The name builtins give their first parameter when it takes an object of a type, so
    /// that inspecting an object lists what takes it (`eigs(H, …)` for an operator).
    static let objectParameterNames = [
        "model": "model", "dataset": "data", "graph": "G", "operator": "H", "run": "run", "plot": "p",
        "koopman": "result",
    ]

    /// What `help(x)`, `?x` and `x?` say about a value: its type, a tensor's shape and dtype, a
    /// record's fields with their types, an object's fields and summary, and the first lines of
    /// its display.
    ///
    /// - Parameter v: The value.
    /// - Returns: Lines of text, the type first.
    func describe(_ v: Value) -> String {
        var lines = [v.typeName]
        switch v {
        case let .tensor(t):
            lines.append("shape: (" + t.shape.map(String.init).joined(separator: ", ") + (t.shape.count == 1 ? ",)" : ")")
                         + ", dtype: " + (t.isComplex ? "complex128" : "float64"))
        case let .record(r):
            lines.append("fields: " + zip(r.names, r.values).map { "\($0) (\($1.typeName))" }.joined(separator: ", "))
        case let .object(o):
            // Names only: reading an object's field may compute (a run's sharpness).
            lines.append("fields: " + o.fieldNames.map { "." + $0 }.joined(separator: " "))
            if let first = Interpreter.objectParameterNames[o.typeName] {
                let uses = registry.entries.filter { $0.params.first?.name == first }.map(\.name)
                if !uses.isEmpty { lines.append("use with: " + uses.map { "\($0)(\(first), …)" }.joined(separator: " ")) }
            }
            lines.append("value: " + o.summary())
            return lines.joined(separator: "\n")
        default:
            break
        }
        let shown = Display.string(v).split(separator: "\n", omittingEmptySubsequences: false)
        let preview = shown.prefix(6).map { $0.count > 100 ? String($0.prefix(99)) + "…" : String($0) }
        lines.append("value: " + preview.joined(separator: "\n       ") + (shown.count > 6 ? " …" : ""))
        return lines.joined(separator: "\n")
    }
}
