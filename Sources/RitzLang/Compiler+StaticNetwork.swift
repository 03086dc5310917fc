import RitzAutodiff

/// Whether a model's function `(p, x) -> …` is a network of fixed form, whose recording a training
/// step may replay (``RitzLearn/TapeModel/recordingIsReplayable``).

/// A function body built only of its parameters' tensors `p.name` (and their `.T`), its inputs `x`,
/// numbers, the operators `+ - * / @` and unary minus each with a traced side, and calls of the
/// builtin activations `linear` fuses (tanh, sigmoid, relu, gelu): no branch, no loop, no call
/// of anything else, no value read, and no work on the inputs alone (which would be recorded as a
/// constant made from the first batch; the inputs reach the recording as themselves). Its
/// recording is the same primitives on the same shapes for every batch of a shape. It stays so
/// while each activation it calls is still that builtin (``holds``).
struct StaticNetwork {
    /// The global boxes of the activations the body calls.
    let activations: [GlobalBox]

    /// Whether every activation the body calls still names its builtin.
    var holds: Bool {
        activations.allSatisfy { box in
            guard case let .function(fn)? = box.slot.pointee, case let .builtin(entry) = fn.kind else { return false }
            return entry.name == box.name
        }
    }
}

extension Compiler {
    /// The body of a function of (p, x) as a ``StaticNetwork``, or nil when it is not one.
    func staticNetwork(params: [ParamNode], body: Node) -> StaticNetwork? {
        guard params.count == 2, params.allSatisfy({ $0.defaultValue == nil }) else { return nil }
        let (p, x) = (params[0].name, params[1].name)
        var activations: [GlobalBox] = []
        /// Whether `n` is traced (reads p), nil when it is not of the form.
        func traced(_ n: Node, depth: Int) -> Bool? {
            guard depth < 64 else { return nil }
            switch n.kind {
            case .number: return false
            case let .name(name): return name == x ? false : nil
            case let .field(target, name):
                if case .name(p) = target.kind { return true }
                return name == "T" && traced(target, depth: depth + 1) == true ? true : nil
            case let .binary(op, lhs, rhs):
                guard [.add, .sub, .mul, .div, .matmul].contains(op), let a = traced(lhs, depth: depth + 1),
                      let b = traced(rhs, depth: depth + 1), a || b else { return nil }
                return true
            case let .unary(op, operand):
                return op == "-" && traced(operand, depth: depth + 1) == true ? true : nil
            case let .call(callee, args):
                // The name must reach the builtin: not a parameter, nor a local of an enclosing function.
                guard case let .name(name) = callee.kind, name != p, name != x,
                      Var.linearActivations.contains(where: { $0.rawValue == name }),
                      args.count == 1, args[0].name == nil, case let .global(box) = lookup(name), box.isBuiltin,
                      traced(args[0].value, depth: depth + 1) == true else { return nil }
                activations.append(box)
                return true
            case let .block(statements):
                return statements.count == 1 ? traced(statements[0], depth: depth + 1) : nil
            case let .returnStmt(value?):
                return traced(value, depth: depth + 1)
            default:
                return nil
            }
        }
        guard traced(body, depth: 0) == true else { return nil }
        return StaticNetwork(activations: activations)
    }
}
