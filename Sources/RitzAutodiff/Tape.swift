import RitzTensor

/// The record of one differentiation: every primitive application on traced values, in the
/// order it happened, with its operands, its result and its derivative rule.
///
/// Nodes are appended in evaluation order, so a node's operands always have smaller indices and
/// a reverse sweep is a walk down the indices. Nested differentiation (grad of grad, hvp,
/// hessian) shares one tape: the inner call's derivative is recorded as further nodes, which the
/// outer call then sweeps. Each differentiation call introduces its variables as fresh nodes and
/// sweeps only from them, which is what keeps nested calls apart (the perturbation-confusion
/// problem of Siskind and Pearlmutter 2005): a value captured from an outer level is reached
/// only through the outer variable, never through the inner one.
///
/// A tape is used by one thread at a time (the thread running the differentiation call).
public final class Tape: @unchecked Sendable {
    /// The tape of the innermost differentiation call running on this thread.
    static let bound = ThreadScoped<Tape>()
    /// The tape of the innermost differentiation call running on this thread, if any.
    static var current: Tape? { bound.value }

    /// One recorded primitive. A class, so that a sweep reading a node retains one reference
    /// rather than each of its fields (about 1% of an H v on two threads).
    final class Node {
        /// The primitive's name, for errors.
        let name: String
        /// Node indices of the operands; −1 for constants.
        let inputs: NodeInputs
        /// The operands' values as constants: what the rules see in a sweep that is not
        /// recorded, made once here rather than in every sweep.
        let constants: [Var]
        let output: Tensor
        let rule: Rule

        init(name: String, inputs: NodeInputs, constants: [Var], output: Tensor, rule: Rule) {
            (self.name, self.inputs, self.constants, self.output, self.rule) = (name, inputs, constants, output, rule)
        }
    }

    /// Unchecked exclusivity: one thread uses a tape at a time, and nothing holds an access to
    /// the list across a call that appends to it (the dynamic check cost about 1% of a small
    /// training step).
    @exclusivity(unchecked) private(set) var nodes: [Node] = []

    init() {
        nodes.reserveCapacity(64)
    }

    /// Number of recorded nodes.
    var count: Int { nodes.count }

    /// Appends a node for `output` = the primitive `name` of `inputs`. The operands' array is
    /// taken over and turned into their constants in place (an operand list written at the call,
    /// `[x, w, b]`, is then the node's own, not copied).
    func record(_ name: String, inputs: consuming [Var], output: Tensor, rule: Rule) -> Var {
        let id = nodes.count
        let ids = NodeInputs(inputs.lazy.map { $0.tape === self ? $0.id : -1 })
        for j in inputs.indices where inputs[j].tape != nil { inputs[j] = inputs[j].detached }
        nodes.append(Node(name: name, inputs: ids, constants: inputs, output: output, rule: rule))
        return Var(value: output, id: id, tape: self)
    }

    /// Node `id`'s result as a traced value.
    func traced(_ id: Int) -> Var { Var(value: nodes[id].output, id: id, tape: self) }

    /// A fresh variable holding `x`'s value: a leaf for a constant `x`, an identity node over a
    /// traced `x` (so outer calls still differentiate through it).
    func variable(_ x: Var) -> Var {
        if x.tape === self {
            return record("variable", inputs: [x], output: x.value,
                          rule: Rule(vjp: { g, _ in [g] }, jvp: { t, _ in t[0] }))
        }
        return record("variable", inputs: [], output: x.value, rule: Rule(vjp: { _, _ in [] }, jvp: { _, _ in nil }))
    }

    private func context(_ node: Node, id: Int, needs: [Bool], createGraph: Bool, partials: Partials? = nil,
                         valuesUnread: [Bool] = []) -> RuleContext {
        if createGraph {
            let inputs = zip(node.inputs, node.constants).map { i, v in
                i >= 0 ? Var(value: v.value, id: i, tape: self) : v
            }
            return RuleContext(inputs: inputs, output: Var(value: node.output, id: id, tape: self), needs: needs,
                               valuesUnread: valuesUnread)
        }
        return RuleContext(inputs: node.constants, output: Var(node.output), needs: needs, partials: partials)
    }

    /// Marks, for nodes `lo...hi`, which depend on one of the variables `vars`.
    private func dependence(on vars: [Int], lo: Int, hi: Int) -> [Bool] {
        var dep = [Bool](repeating: false, count: hi - lo + 1)
        for v in vars where v >= lo && v <= hi { dep[v - lo] = true }
        if hi < lo { return dep }
        for i in lo...hi where !dep[i - lo] {
            for p in nodes[i].inputs where p >= lo && dep[p - lo] { dep[i - lo] = true; break }
        }
        return dep
    }

    /// Reverse sweep: the cotangents of the variables `vars` for the cotangent `seed` of `out`.
    ///
    /// - Parameters:
    ///   - out: The traced result.
    ///   - seed: Its cotangent (same shape as `out`).
    ///   - vars: Node indices of the variables (fresh nodes from `variable`).
    ///   - createGraph: Record the sweep itself, so its results can be differentiated again.
    ///   - valuesUnread: With `createGraph`, the results are recorded only to be differentiated
    ///     again and their values are never read (H v from a recorded gradient): rules may give
    ///     the cotangents that reach the variables alone placeholder values (NaN) instead of
    ///     computing them — the weight gradients δᵀx of dense layers, which H v never needs.
    /// - Returns: One cotangent per variable; nil where `out` does not depend on it.
    func backward(from out: Var, seed: Var, to vars: [Int], createGraph: Bool, valuesUnread: Bool = false) throws -> [Var?] {
        guard out.tape === self, let lo = vars.min(), out.id >= lo else { return vars.map { _ in nil } }
        let hi = out.id
        let dep = dependence(on: vars, lo: lo, hi: hi)
        var isVar = [Bool](repeating: false, count: hi - lo + 1)
        for v in vars where v <= hi { isVar[v - lo] = true }
        // Nodes whose cotangent reaches nothing but the variables' (a variable, or a linear node
        // over one such): a placeholder cotangent there is never read.
        let marksUnread = createGraph && valuesUnread
        var unread = [Bool](repeating: false, count: marksUnread ? hi - lo + 1 : 0)
        if marksUnread {
            for i in lo...hi where dep[i - lo] {
                let node = nodes[i]
                unread[i - lo] = isVar[i - lo]
                    || (node.rule.isLinear && node.inputs.allSatisfy { $0 >= lo && dep[$0 - lo] && unread[$0 - lo] })
            }
        }
        var ct = [Var?](repeating: nil, count: hi - lo + 1)
        ct[hi - lo] = seed
        // One array for every node's `needs`, refilled in place: the rule's context lets go of it
        // before the next node, so no node makes one of its own.
        var needs = [Bool]()
        needs.reserveCapacity(4)
        var i = hi
        while i >= lo {
            defer { i -= 1 }
            let k = i - lo
            // An unrecorded sweep takes the cotangent out of `ct`, so that nothing else holds it:
            // a rule may write over it (`vjpOverwriting`), and it goes back to the pool once used.
            guard !isVar[k], dep[k], var g = createGraph ? ct[k] : ct[k].take() else { continue }
            let node = nodes[i]
            if g.shape != node.output.shape { g = try g.broadcast(to: node.output.shape) }
            needs.removeAll(keepingCapacity: true)
            for p in node.inputs { needs.append(p >= lo && dep[p - lo]) }
            guard needs.contains(true) else { continue }
            let partials = createGraph ? nil : offerPartials(node, needs: needs, lo: lo, ct: &ct)
            let unreadInputs = marksUnread ? node.inputs.map { $0 >= lo && unread[$0 - lo] } : []
            let ctx = context(node, id: i, needs: needs, createGraph: createGraph, partials: partials, valuesUnread: unreadInputs)
            let grads: [Var?]
            if !createGraph, let overwriting = node.rule.vjpOverwriting {
                grads = try overwriting(&g, ctx)
            } else {
                grads = try node.rule.vjp(g, ctx)
            }
            if let partials {
                for j in 0..<needs.count {
                    if partials.taken[j] {
                        guard j < grads.count, grads[j] != nil else { throw AutodiffError.internalRule(op: node.name) }
                    } else if let back = partials.untaken(j) {
                        ct[node.inputs[j] - lo] = Var(back)
                    }
                }
            }
            for j in 0..<Swift.min(grads.count, needs.count) where needs[j] {
                guard var c = grads[j] else { continue }
                if let partials, partials.taken[j] {
                    ct[node.inputs[j] - lo] = c
                    continue
                }
                // A cotangent of a broadcast result is summed back to the operand's shape here,
                // once. One that is smaller than the operand (a reduction's cotangent) stays
                // small until it is added to another or used, so its broadcast is never a pass
                // of its own.
                let target = node.constants[j].shape
                let p = node.inputs[j] - lo
                if c.shape != target && !Tensor.broadcasts(c.shape, into: target) {
                    c = try c.sumToShape(target, valueUnread: marksUnread && unread[p])
                }
                if let existing = ct[p] { ct[p] = try existing + c } else { ct[p] = c }
            }
        }
        return try vars.map { v in
            guard v <= hi, let c = ct[v - lo] else { return nil }
            let shape = nodes[v].output.shape
            return c.shape == shape ? c : try c.broadcast(to: shape)
        }
    }

    /// The cotangents already gathered for `node`'s operands (each operand once, of its exact
    /// shape), moved out of `ct` so that a rule adding into one holds its only reference; nil
    /// when there are none. What the rule does not take is put back by the caller.
    private func offerPartials(_ node: Node, needs: [Bool], lo: Int, ct: inout [Var?]) -> Partials? {
        // Most nodes have none to offer (each operand reached once): no array is made for them.
        var offered: [Tensor?] = []
        for j in 0..<needs.count where needs[j] {
            let p = node.inputs[j] - lo
            guard !node.inputs[..<j].contains(node.inputs[j]), let c = ct[p],
                  c.shape == node.constants[j].shape else { continue }
            if offered.isEmpty { offered = [Tensor?](repeating: nil, count: needs.count) }
            offered[j] = c.value
            ct[p] = nil
        }
        return offered.isEmpty ? nil : Partials(offered)
    }

    /// Forward sweep: the tangents of `outs` for tangents `seeds` of the variables.
    ///
    /// - Parameters:
    ///   - seeds: (node index of a variable, its tangent) pairs.
    ///   - outs: Traced results.
    ///   - createGraph: Record the sweep itself.
    /// - Returns: One tangent per result; nil where it does not depend on the variables.
    func forward(seeds: [(Int, Var)], to outs: [Var], createGraph: Bool) throws -> [Var?] {
        guard let lo = seeds.lazy.map(\.0).min() else { return outs.map { _ in nil } }
        let hi = outs.lazy.filter { $0.tape === self }.map(\.id).max() ?? -1
        guard hi >= lo else { return outs.map { _ in nil } }
        var tan = [Var?](repeating: nil, count: hi - lo + 1)
        var isSeed = [Bool](repeating: false, count: hi - lo + 1)
        for (id, t) in seeds where id <= hi { tan[id - lo] = t; isSeed[id - lo] = true }
        // A tangent is dropped after the last node that reads it (the results' are kept), so the
        // sweep holds only the tangents still ahead of it, not one per node of the tape.
        // Only nodes some result reads (directly or through others) get a tangent: a loss
        // recorded before its gradient is swept past when H v wants the gradient's tangent alone.
        var wanted = [Bool](repeating: false, count: hi - lo + 1)
        for o in outs where o.tape === self && o.id >= lo { wanted[o.id - lo] = true }
        for i in stride(from: hi, through: lo, by: -1) where wanted[i - lo] {
            for p in nodes[i].inputs where p >= lo { wanted[p - lo] = true }
        }
        var lastUse = [Int](repeating: -1, count: hi - lo + 1)
        for i in lo...hi where wanted[i - lo] {
            for p in nodes[i].inputs where p >= lo { lastUse[p - lo] = i }
        }
        for o in outs where o.tape === self && o.id >= lo { lastUse[o.id - lo] = Int.max }
        // The operand tangents and `needs` of each node, refilled in place (see `backward`).
        var scratch = (tangents: [Var?](), needs: [Bool]())
        for i in lo...hi where !isSeed[i - lo] && wanted[i - lo] {
            if let t = try tangent(ofNode: i, lo: lo, tangents: tan, scratch: &scratch, createGraph: createGraph) {
                tan[i - lo] = t
            }
            for p in nodes[i].inputs where p >= lo && lastUse[p - lo] == i { tan[p - lo] = nil }
        }
        return outs.map { $0.tape === self && $0.id >= lo ? tan[$0.id - lo] : nil }
    }

    /// Node `i`'s tangent from its operands' tangents in `tan` (indexed from `lo`); nil when
    /// none of them has one or the rule gives zero. `scratch` holds the arrays the rule is handed,
    /// emptied and refilled here (the rule lets go of them before the next node).
    private func tangent(ofNode i: Int, lo: Int, tangents tan: [Var?], scratch: inout (tangents: [Var?], needs: [Bool]),
                         createGraph: Bool) throws -> Var? {
        let node = nodes[i]
        scratch.needs.removeAll(keepingCapacity: true)
        // Emptied again on the way out: the operands' tangents are not held past their last use.
        defer { scratch.tangents.removeAll(keepingCapacity: true) }
        for p in node.inputs {
            let t = p >= lo ? tan[p - lo] : nil
            scratch.tangents.append(t)
            scratch.needs.append(t != nil)
        }
        guard scratch.needs.contains(true) else { return nil }
        guard var t = try node.rule.jvp(scratch.tangents, context(node, id: i, needs: scratch.needs, createGraph: createGraph)) else {
            return nil
        }
        if t.shape != node.output.shape { t = try t.broadcast(to: node.output.shape) }
        return t
    }
}

/// The node indices of one node's operands, held inline for up to three (every primitive but a
/// concatenation or an einsum of many operands), so recording a node makes no array for them.
struct NodeInputs: RandomAccessCollection {
    let count: Int
    private let inline: (Int, Int, Int)
    private let spilled: [Int]

    init(_ ids: some Collection<Int>) {
        count = ids.count
        if count <= 3 {
            var it = ids.makeIterator()
            inline = (it.next() ?? -1, it.next() ?? -1, it.next() ?? -1)
            spilled = []
        } else {
            inline = (-1, -1, -1)
            spilled = Array(ids)
        }
    }

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(position: Int) -> Int {
        // Spilled, or out of range (which then traps, as an array's subscript does).
        guard count <= 3, position >= 0, position < count else { return spilled[position] }
        switch position {
        case 0: return inline.0
        case 1: return inline.1
        default: return inline.2
        }
    }
}
