import RitzTensor

/// What a derivative rule sees: the operands and the result of one primitive application, as
/// traced values when the derivative is itself being recorded, as constants otherwise.
public struct RuleContext {
    /// The operands, in the order they were recorded.
    public let inputs: [Var]
    /// The result.
    public let output: Var
    /// Which operands need a derivative (the others' entries may be nil).
    public let needs: [Bool]
    /// Cotangents the sweep has already gathered for operands, offered so a rule can add its
    /// contribution into one in place; nil when the sweep is recorded.
    public let partials: Partials?
    /// Which operands' cotangents are recorded only to be differentiated again, their values never
    /// read (a parameter's gradient recorded for H v alone): a rule may record such a cotangent
    /// with a placeholder value (``Var/placeholder(_:)``) instead of computing it.
    let valuesUnread: [Bool]

    init(inputs: [Var], output: Var, needs: [Bool], partials: Partials? = nil, valuesUnread: [Bool] = []) {
        self.inputs = inputs
        self.output = output
        self.needs = needs
        self.partials = partials
        self.valuesUnread = valuesUnread
    }

    /// True when operand `j`'s cotangent value is never read (see ``valuesUnread``).
    func valueUnread(_ j: Int) -> Bool { j < valuesUnread.count && valuesUnread[j] }
}

/// The cotangents a reverse sweep has gathered so far for some operands of one node.
///
/// A rule that can fold its contribution into an existing array (a matrix product accumulating
/// with beta = 1) takes the operand's partial, returns the sum as that operand's cotangent, and
/// so saves the tape a pass that adds two arrays. Offered only in sweeps that are not recorded,
/// and only when the partial has the operand's exact shape.
public final class Partials {
    private var values: [Tensor?]
    /// Which partials a rule took (its cotangent then already includes them).
    private(set) var taken: [Bool]

    init(_ values: [Tensor?]) {
        self.values = values
        taken = [Bool](repeating: false, count: values.count)
    }

    /// Takes operand `j`'s partial; the rule must then return partial + its contribution.
    public func take(_ j: Int) -> Tensor? {
        guard j >= 0, j < values.count, let v = values[j] else { return nil }
        values[j] = nil
        taken[j] = true
        return v
    }

    /// Gives back what no rule took.
    func untaken(_ j: Int) -> Tensor? { j < values.count ? values[j] : nil }
}

/// The derivative rule of one primitive application, stored beside its forward value.
///
/// `vjp` maps an output cotangent to operand cotangents; `jvp` maps operand tangents (nil for
/// zero) to the output tangent. Both are written with `Var` operations so they differentiate
/// again. Cotangents may have the broadcast shape: the tape sums them back to each operand's
/// shape, and broadcasts tangents up to the result's shape, so rules never undo broadcasting.
/// A cotangent may also be smaller than its operand when it broadcasts to it (a reduction's
/// ḡ): the tape broadcasts it only when it must.
public struct Rule {
    /// Operand cotangents from the output cotangent.
    public let vjp: (_ cotangent: Var, _ context: RuleContext) throws -> [Var?]
    /// Output tangent from operand tangents; nil means zero.
    public let jvp: (_ tangents: [Var?], _ context: RuleContext) throws -> Var?
    /// True for a primitive linear in its one operand (``linear(apply:transpose:)``): its
    /// recorded VJP and that VJP's JVP never read a value, so a placeholder cotangent passes
    /// through it to a placeholder cotangent of the operand.
    let isLinear: Bool
    /// The VJP for a sweep that is not recorded and drops the cotangent once the rule has run: it
    /// may overwrite the cotangent's storage when nothing else holds it (a dense layer's
    /// ḡ ⊙ f′ in place, in the cache lines the product before it just wrote). Nil: `vjp`.
    let vjpOverwriting: ((_ cotangent: inout Var, _ context: RuleContext) throws -> [Var?])?
    /// What replays this application on new operand values into kept buffers (its forward pass
    /// and its VJP as passes over raw arrays: ``ReplayKernel``), nil for a primitive that has no
    /// replay; a recording is replayed (``GradientReplay``) only when every node has one.
    let replay: (any ReplaySource)?

    /// A rule from its two products.
    ///
    /// - Parameters:
    ///   - vjp: Cotangent of the output → cotangents of the operands.
    ///   - jvp: Tangents of the operands → tangent of the output.
    ///   - vjpOverwriting: The VJP for an unrecorded sweep, free to overwrite the cotangent it is
    ///     handed (see ``vjpOverwriting``); nil to use `vjp` there too.
    public init(vjp: @escaping (_ cotangent: Var, _ context: RuleContext) throws -> [Var?],
                jvp: @escaping (_ tangents: [Var?], _ context: RuleContext) throws -> Var?,
                vjpOverwriting: ((_ cotangent: inout Var, _ context: RuleContext) throws -> [Var?])? = nil) {
        self.init(vjp: vjp, jvp: jvp, isLinear: false, vjpOverwriting: vjpOverwriting)
    }

    /// A rule from its two products and what replays the application (``replay``).
    init(vjp: @escaping (_ cotangent: Var, _ context: RuleContext) throws -> [Var?],
         jvp: @escaping (_ tangents: [Var?], _ context: RuleContext) throws -> Var?,
         vjpOverwriting: ((_ cotangent: inout Var, _ context: RuleContext) throws -> [Var?])? = nil,
         replay: any ReplaySource) {
        self.init(vjp: vjp, jvp: jvp, isLinear: false, vjpOverwriting: vjpOverwriting, replay: replay)
    }

    private init(vjp: @escaping (_ cotangent: Var, _ context: RuleContext) throws -> [Var?],
                 jvp: @escaping (_ tangents: [Var?], _ context: RuleContext) throws -> Var?, isLinear: Bool,
                 vjpOverwriting: ((_ cotangent: inout Var, _ context: RuleContext) throws -> [Var?])? = nil,
                 replay: (any ReplaySource)? = nil) {
        self.vjp = vjp
        self.jvp = jvp
        self.isLinear = isLinear
        self.vjpOverwriting = vjpOverwriting
        self.replay = replay
    }

    /// The rule of an elementwise function y = f(x) with derivative f′ given in terms of x and y:
    /// vjp ḡ·f′, jvp ṫ·f′.
    ///
    /// - Parameters:
    ///   - derivative: f′(x) as a `Var` expression of x and y.
    /// - Returns: The rule.
    public static func elementwise(_ derivative: @escaping (_ x: Var, _ y: Var) throws -> Var) -> Rule {
        Rule(vjp: { g, c in [try g * derivative(c.inputs[0], c.output)] },
             jvp: { t, c in
                 guard let t0 = t[0] else { return nil }
                 return try t0 * derivative(c.inputs[0], c.output)
             })
    }

    /// The rule of an elementwise binary function y = f(a, b) with partial derivatives given in
    /// terms of a, b and y; each partial is asked for only when that operand needs it.
    ///
    /// - Parameters:
    ///   - partials: (∂f/∂a, ∂f/∂b) as `Var` expressions, nil when not needed.
    /// - Returns: The rule.
    public static func elementwise2(
        _ partials: @escaping (_ a: Var, _ b: Var, _ y: Var, _ needA: Bool, _ needB: Bool) throws -> (Var?, Var?)
    ) -> Rule {
        Rule(vjp: { g, c in
            let (pa, pb) = try partials(c.inputs[0], c.inputs[1], c.output, c.needs[0], c.needs[1])
            return [try pa.map { try g * $0 }, try pb.map { try g * $0 }]
        }, jvp: { t, c in
            let (pa, pb) = try partials(c.inputs[0], c.inputs[1], c.output, t[0] != nil, t[1] != nil)
            var out: Var?
            if let ta = t[0], let pa { out = try ta * pa }
            if let tb = t[1], let pb {
                let term = try tb * pb
                out = try out.map { try $0 + term } ?? term
            }
            return out
        })
    }

    /// The rule of a linear unary map L: jvp L(ṫ), vjp Lᵀ(ḡ).
    ///
    /// - Parameters:
    ///   - apply: L on a tangent.
    ///   - transpose: Lᵀ on a cotangent.
    /// - Returns: The rule.
    public static func linear(apply: @escaping (Var) throws -> Var,
                              transpose: @escaping (Var) throws -> Var) -> Rule {
        Rule(vjp: { g, _ in [try transpose(g)] },
             jvp: { t, _ in try t[0].map(apply) }, isLinear: true)
    }
}
