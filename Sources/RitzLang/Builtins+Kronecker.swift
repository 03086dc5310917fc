import RitzAnalysis
import RitzLearn
import RitzTensor

/// Kronecker-factored curvature: `kfac_op` (K-FAC and EKFAC) with `.factors` and its closed-form
/// inverse `inv(K)` (the optimizers `kfac` and `mkor` on the same factors are in Builtins+Optimizers.swift).
extension Builtins {
    /// `.factors` of a kfac_op: one record per dense or convolution layer.
    static func kroneckerFactors(_ k: KroneckerOperator) throws -> Value {
        .list(try k.curvature.layers.map { layer in
            let f = layer.factors
            return .record(Record([("A", .tensor(f.a)), ("G", .tensor(f.g)),
                                   ("blocks", .list(f.blockNames.map { .string($0) })),
                                   ("layer", .string(f.kind.rawValue)),
                                   ("rows_per_example", .number(Double(f.rowsPerExample))),
                                   ("scales", .tensor(try Tensor(shape: [f.outputs, f.inputs], storage: layer.scales)))]))
        })
    }

    /// `fisher=`: "mc" (with `samples=` and `seed=`), "empirical" or "exact".
    private static func kroneckerLabels(_ a: Args) throws -> KroneckerLabels {
        switch try a.string("fisher") {
        case "mc": return .mc(samples: try positiveInt(a, "samples"), seed: try curvatureSeed(a))
        case "empirical": return .empirical
        case "exact": return .exact
        case let other:
            throw Diagnostic("unknown fisher \"\(other)\" of `kfac_op`", span: nil, help: ["use \"mc\", \"empirical\" or \"exact\""])
        }
    }

    static var kronecker: [BuiltinEntry] {
        let g = "Curvature and stability"
        return [
            BuiltinEntry("kfac_op", [Param("model"), Param("data"), .keyword("kind", default: .string("kfac")),
                                     .keyword("damping", default: .number(0)), .keyword("block"),
                                     .keyword("fisher", default: .string("mc")), .keyword("samples", default: .number(1)),
                                     .keyword("loss"), .keyword("seed")], group: g,
                         summary: "K-FAC (Martens & Grosse 2015; KFC for conv2d, Grosse & Martens 2016) or kind=\"ekfac\" (George et al. 2018) as a symmetric operator K + damping·I: one block A ⊗ G per dense (linear, the mlp's layers) or conv2d layer, A = E[ā āᵀ] over its inputs with a 1 for the bias (conv: im2col patches, summed over positions), G = E[g gᵀ] over the output gradients g of each example's loss (conv: averaged over positions); the identity on other blocks. fisher=\"mc\" (default; labels drawn from the model, `samples` per example), \"empirical\" (the data's labels) or \"exact\" (columns of the loss Hessian's square root: for one dense layer with mse, K is the Gauss–Newton matrix). `.factors` → per layer (A=, G=, blocks=, layer=, rows_per_example=, scales=); inv(K, damping=) inverts it exactly through the factors' eigenbases",
                         examples: ["K = kfac_op(mlp([2, 4, 2], seed=0), moons(20, seed=0), fisher=\"exact\")\n(n=K.n, blocks=K.factors[0].blocks)",
                                    "m = mlp([2, 3, 2], seed=0)\nK = kfac_op(m, moons(10, seed=0), kind=\"ekfac\", seed=1)\nS = inv(K, damping=0.1)\nx = S @ ones(m.n)\nS.residual < 1e-10"]) { a in
                let m = try model(a), d = try dataset(a)
                let kind = try a.string("kind")
                guard kind == "kfac" || kind == "ekfac" else {
                    throw Diagnostic("unknown kind \"\(kind)\" of `kfac_op`", span: nil, help: ["use \"kfac\" or \"ekfac\""])
                }
                let labels = try kroneckerLabels(a), damping = try a.double("damping")
                let loss: LossKind? = try a.optionalString("loss").map { try LossKind(name: $0) }
                let blocks = try blockNames(a)
                return .object(OperatorObject(kronecker: try interruptible(a.context) {
                    try KroneckerOperator(model: m, data: d, ekfac: kind == "ekfac", labels: labels, loss: loss,
                                          damping: damping, blocks: blocks)
                }))
            },
        ]
    }
}
