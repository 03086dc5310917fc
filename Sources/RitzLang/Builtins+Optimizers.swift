import Foundation
import RitzLearn

/// The optimizers in the language (`sgd`, `adam`, `adamw`, `adahessian`, `mfac`, `shampoo`,
/// `kfac`, `mkor`) and their value, over RitzLearn's `Optimizer`.
extension Builtins {
    static var optimizers: [BuiltinEntry] {
        let g = "Models and training"
        return [
            BuiltinEntry("sgd", [Param("lr"), .keyword("momentum", default: .number(0)),
                                 .keyword("nesterov", default: .bool(false)), .keyword("weight_decay", default: .number(0))],
                         group: g, summary: "stochastic gradient descent with PyTorch's momentum and weight decay; train draws a tracked sharpness and trace against its linear-stability threshold: 2/lr, (2 + 2·momentum)/lr with momentum, (2 + 2·momentum)/((1 + 2·momentum)·lr) with nesterov, less weight_decay",
                         examples: ["sgd(0.1, momentum=0.9)"]) { a in
                .object(OptimizerObject(try .sgd(lr: try a.double("lr"), momentum: try a.double("momentum"),
                                                 nesterov: try a.bool("nesterov"), weightDecay: try a.double("weight_decay"))))
            },
            BuiltinEntry("adam", adamParams(lr: 1e-3, decay: 0), group: g,
                         summary: "Adam (Kingma & Ba) with L2 weight decay added to the gradient, as PyTorch",
                         examples: ["adam(0.01)"]) { a in
                .object(OptimizerObject(try .adam(lr: try a.double("lr"), beta1: try a.double("beta1"),
                                                  beta2: try a.double("beta2"), eps: try a.double("eps"),
                                                  weightDecay: try a.double("weight_decay"))))
            },
            BuiltinEntry("adamw", adamParams(lr: 1e-3, decay: 0.01), group: g,
                         summary: "AdamW: Adam with decoupled weight decay (Loshchilov & Hutter)",
                         examples: ["adamw(0.01, weight_decay=0.05)"]) { a in
                .object(OptimizerObject(try .adamw(lr: try a.double("lr"), beta1: try a.double("beta1"),
                                                   beta2: try a.double("beta2"), eps: try a.double("eps"),
                                                   weightDecay: try a.double("weight_decay"))))
            },
            BuiltinEntry("adahessian", [Param("lr", default: .number(0.15)), .keyword("beta1", default: .number(0.9)),
                                        .keyword("beta2", default: .number(0.999)), .keyword("eps", default: .number(1e-4)),
                                        .keyword("weight_decay", default: .number(0)),
                                        .keyword("hessian_power", default: .number(1)), .keyword("probes", default: .number(1)),
                                        .keyword("block", default: .number(1))],
                         group: g, summary: "AdaHessian (Yao et al. 2021): Adam with a Hutchinson estimate of diag H in place of g²",
                         examples: ["adahessian(0.15, probes=2)"]) { a in
                .object(OptimizerObject(try .adahessian(lr: try a.double("lr"), beta1: try a.double("beta1"),
                                                        beta2: try a.double("beta2"), eps: try a.double("eps"),
                                                        weightDecay: try a.double("weight_decay"),
                                                        hessianPower: try a.double("hessian_power"),
                                                        probes: try a.int("probes"), block: try a.int("block"))))
            },
            BuiltinEntry("mfac", [Param("lr"), .keyword("m", default: .number(32)), .keyword("damping", default: .number(1e-4)),
                                  .keyword("block"), .keyword("momentum", default: .number(0)),
                                  .keyword("weight_decay", default: .number(0))],
                         group: g,
                         summary: "M-FAC (Frantar et al. 2021): p ← p − lr·F⁻¹g, F = damping·I + (1/m) Σ gᵢgᵢᵀ the empirical Fisher of the last m gradients, applied matrix-free by Woodbury (m×m solve, O(mP) a step); block= a size (chunks of that many parameters) or \"params\" (one window per parameter tensor), else dense; momentum v ← μv + (1 − μ)F⁻¹g and weight_decay added to g, as the reference implementation",
                         examples: ["mfac(0.001, m=16, damping=0.1)", "mfac(0.001, block=\"params\")"]) { a in
                .object(OptimizerObject(try .mfac(lr: try a.double("lr"), window: try a.int("m"), damping: try a.double("damping"),
                                                  momentum: try a.double("momentum"), weightDecay: try a.double("weight_decay"),
                                                  blocking: try mfacBlocking(a))))
            },
            BuiltinEntry("shampoo", [Param("lr"), .keyword("eps", default: .number(1e-4)), .keyword("update_every", default: .number(1)),
                                     .keyword("momentum", default: .number(0))],
                         group: g,
                         summary: "Shampoo (Gupta, Koren & Singer 2018): per parameter tensor G (a conv kernel as [out, in·k·k]) L ← L + GGᵀ, R ← R + GᵀG from eps·I, step lr·L^(-1/4) G R^(-1/4) (roots by eigh every update_every steps); vectors by diagonal AdaGrad g/√(eps + Σg²); momentum b ← μb + update; no grafting",
                         examples: ["shampoo(0.05, update_every=10)", "shampoo(0.1, eps=1e-6, momentum=0.9).name"]) { a in
                .object(OptimizerObject(try .shampoo(lr: try a.double("lr"), eps: try a.double("eps"),
                                                     updateEvery: try a.int("update_every"), momentum: try a.double("momentum"))))
            },
            BuiltinEntry("kfac", [Param("lr"), .keyword("damping", default: .number(1e-3)),
                                  .keyword("update_every", default: .number(10)), .keyword("momentum", default: .number(0))],
                         group: g,
                         summary: "K-FAC (Martens & Grosse 2015): every update_every steps the layers' factors A, G are measured on the batch with labels drawn from the model and averaged (weight min(1 − 1/k, 0.95) on the past); each step p ← p − lr·b, b ← momentum·b + (A ⊗ G + damping·I)⁻¹ g exactly by eigendecomposition (identity on blocks outside dense and conv2d layers)",
                         examples: ["m = mlp([2, 8, 2], seed=0)\nr = train(m, moons(100, seed=0), kfac(0.1, damping=0.01), steps=20, every=10)\nr.loss[-1] < r.loss[0]"]) { a in
                .object(OptimizerObject(try .kfac(lr: try a.double("lr"), damping: try optimizerDamping(a),
                                                  updateEvery: try positiveInt(a, "update_every"), momentum: try a.double("momentum"))))
            },
            BuiltinEntry("mkor", [Param("lr"), .keyword("damping", default: .number(1e-2)),
                                  .keyword("update_every", default: .number(10)), .keyword("momentum", default: .number(0))],
                         group: g,
                         summary: "MKOR (Mozaffari et al. 2023): inverse factors updated by rank one (Sherman–Morrison on X ← 0.95·X + 0.05·uuᵀ) from the batch means of each layer's inputs and output gradients every update_every steps, blended towards I while an entry exceeds 1/damping; each step L⁻¹ ∇W R⁻¹ rescaled to ‖∇W‖, with momentum",
                         examples: ["m = mlp([2, 8, 2], seed=0)\nr = train(m, moons(100, seed=0), mkor(0.5, momentum=0.5), steps=20, every=10)\nr.loss[-1] < r.loss[0]"]) { a in
                .object(OptimizerObject(try .mkor(lr: try a.double("lr"), damping: try optimizerDamping(a),
                                                  updateEvery: try positiveInt(a, "update_every"), momentum: try a.double("momentum"))))
            },
        ]
    }

    static func adamParams(lr: Double, decay: Double) -> [Param] {
        [Param("lr", default: .number(lr)), .keyword("beta1", default: .number(0.9)), .keyword("beta2", default: .number(0.999)),
         .keyword("eps", default: .number(1e-8)), .keyword("weight_decay", default: .number(decay))]
    }

    /// `block=` of `mfac`: absent (dense), a whole number ≥ 1 (chunks of that size) or "params".
    static func mfacBlocking(_ a: Args) throws -> MFACBlocking {
        switch a.raw("block") {
        case nil, .some(.none): return .dense
        case .some(.string("params")): return .parameters
        case let .some(.string(other)):
            throw Diagnostic("`block=` of `mfac` takes a size or \"params\", got \"\(other)\"", span: nil)
        case let .some(v):
            let size = try Interpreter.toInt(v, what: "`block=` of `mfac`")
            guard size >= 1 else { throw Diagnostic("`block=` of `mfac` must be at least 1, got \(size)", span: nil) }
            return .size(size)
        }
    }

    /// A finite damping > 0 for the optimizers.
    static func optimizerDamping(_ a: Args) throws -> Double {
        let d = try a.double("damping")
        guard d.isFinite, d > 0 else { throw Diagnostic("`damping` of `\(a.entry.name)` must be a finite number > 0, got \(formatNumber(d))", span: nil) }
        return d
    }
}

/// An optimizer in the language: `.name`, `.lr`, `.t`.
public final class OptimizerObject: LangObject {
    /// The optimizer with its state.
    public let optimizer: Optimizer

    /// Wraps an optimizer.
    ///
    /// - Parameter optimizer: The optimizer.
    public init(_ optimizer: Optimizer) { self.optimizer = optimizer }

    public var typeName: String { "optimizer" }
    public var fieldNames: [String] { ["name", "lr", "t"] }

    public func field(_ name: String) throws -> Value? {
        switch name {
        case "name": return .string(optimizer.name)
        case "lr": return .number(optimizer.lr)
        case "t": return .number(Double(optimizer.t))
        default: return nil
        }
    }

    /// `opt.lr = x`: changes the learning rate of the following steps (a schedule by hand).
    public func setField(_ name: String, _ value: Value) throws {
        guard name == "lr" else { try refuseField(name, assignable: ["lr"]) }
        let lr = try Interpreter.toDouble(value, what: "the learning rate")
        guard lr.isFinite, lr >= 0 else { throw Diagnostic("the learning rate must be a finite number ≥ 0, got \(formatNumber(lr))", span: nil) }
        optimizer.lr = lr
    }

    public func summary() -> String {
        var s = "\(optimizer.name)(lr=\(formatNumber(optimizer.lr))"
        switch optimizer.kind {
        case let .sgd(momentum, nesterov, wd, _):
            if momentum != 0 { s += ", momentum=\(formatNumber(momentum))" }
            if nesterov { s += ", nesterov=true" }
            if wd != 0 { s += ", weight_decay=\(formatNumber(wd))" }
        case let .adam(b1, b2, eps, wd), let .adamw(b1, b2, eps, wd):
            s += ", beta1=\(formatNumber(b1)), beta2=\(formatNumber(b2)), eps=\(formatNumber(eps))"
            s += ", weight_decay=\(formatNumber(wd))"
        case let .adahessian(b1, b2, eps, wd, k, probes, block):
            s += ", beta1=\(formatNumber(b1)), beta2=\(formatNumber(b2)), eps=\(formatNumber(eps))"
            s += ", weight_decay=\(formatNumber(wd)), hessian_power=\(formatNumber(k)), probes=\(probes)"
            if block > 1 { s += ", block=\(block)" }
        case let .kfac(damping, every, momentum), let .mkor(damping, every, momentum):
            s += ", damping=\(formatNumber(damping)), update_every=\(every)"
            if momentum != 0 { s += ", momentum=\(formatNumber(momentum))" }
        case let .mfac(settings):
            s += ", m=\(settings.window), damping=\(formatNumber(settings.damping))"
            switch settings.blocking {
            case .dense: break
            case let .size(b): s += ", block=\(b)"
            case .parameters: s += ", block=\"params\""
            }
            if settings.momentum != 0 { s += ", momentum=\(formatNumber(settings.momentum))" }
            if settings.weightDecay != 0 { s += ", weight_decay=\(formatNumber(settings.weightDecay))" }
        case let .shampoo(settings):
            s += ", eps=\(formatNumber(settings.eps)), update_every=\(settings.updateEvery)"
            if settings.momentum != 0 { s += ", momentum=\(formatNumber(settings.momentum))" }
        }
        return s + ")"
    }
}
