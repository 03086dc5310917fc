import RitzAnalysis
import RitzTensor

extension Builtins {
    static func warnAll(_ a: Args, _ warnings: [String]) {
        for w in warnings { a.context.emit(.text("warning: \(w)\n")) }
    }

    /// Subspaces as points of the Grassmann manifold.
    public static var grassmann: [BuiltinEntry] {
        let g = "Grassmann"
        return [
            BuiltinEntry("orth", [Param("A"), .keyword("rcond")], group: g,
                         summary: "orthonormal basis of the range of A by the SVD; rank = #{σ > rcond·σ_max}, rcond = ε·max(n, p) by default (as SciPy); warns when the rank drops",
                         examples: ["orth([1, 2; 2, 4; 0, 1])"]) { a in
                let o = try Grassmann.orth(a.tensor("A"), rcond: a.optionalDouble("rcond"))
                warnAll(a, o.warnings)
                return .tensor(o.basis)
            },
            BuiltinEntry("principal_angles", [Param("U"), Param("V")], group: g,
                         summary: "principal angles between the column spans, ascending, by the sine–cosine method of Knyazev–Argentati (accurate for angles near 1e-9: no bare arccos)",
                         examples: ["principal_angles([1; 0; 0], [1; 1e-9; 0])"]) { a in
                let (t, w) = try Grassmann.principalAngles(a.tensor("U"), a.tensor("V"))
                warnAll(a, w)
                return .tensor(t)
            },
            BuiltinEntry("grassmann_dist", [Param("U"), Param("V"), .keyword("metric", default: .string("geodesic"))], group: g,
                         summary: "distance of two p-dim subspaces: geodesic ‖θ‖₂, chordal ‖sin θ‖₂ = ‖UUᵀ − VVᵀ‖_F/√2, projection sin θ_max → (value=, metric=, angles=)",
                         examples: ["grassmann_dist([1; 0], [1; 1], metric=\"chordal\").value"]) { a in
                let name = try a.string("metric")
                guard let m = GrassmannMetric(rawValue: name) else {
                    throw Diagnostic("metric= must be \"geodesic\", \"chordal\" or \"projection\", got \"\(name)\"", span: nil)
                }
                let r = try Grassmann.distance(a.tensor("U"), a.tensor("V"), metric: m)
                warnAll(a, r.warnings)
                return .record(Record([("value", .number(r.value)), ("metric", .string(m.rawValue)), ("angles", .tensor(r.angles))]))
            },
            BuiltinEntry("grassmann_log", [Param("U"), Param("V")], group: g,
                         summary: "tangent T at span(U) pointing to span(V) with ‖T‖_F = geodesic distance (Bendokat–Zimmermann–Absil Alg. 5.3); error at the cut locus (an angle of π/2)",
                         examples: ["grassmann_log([1; 0], [1; 1])"]) { a in
                let (t, w) = try Grassmann.log(a.tensor("U"), a.tensor("V"))
                warnAll(a, w)
                return .tensor(t)
            },
            BuiltinEntry("grassmann_exp", [Param("U"), Param("T")], group: g,
                         summary: "the subspace reached from span(U) along tangent T: U R cos Σ Rᵀ + Q sin Σ Rᵀ for T = QΣRᵀ (T is first made horizontal, T − UUᵀT)",
                         examples: ["grassmann_exp([1; 0], [0; 0.5])"]) { a in
                .tensor(try Grassmann.exp(a.tensor("U"), a.tensor("T")))
            },
            BuiltinEntry("geodesic", [Param("U"), Param("V"), Param("t")], group: g,
                         summary: "point at time t on the geodesic from span(U) (t=0) to span(V) (t=1): Exp_U(t Log_U V)",
                         examples: ["geodesic([1; 0], [0.6; 0.8], 0.5)"]) { a in
                let r = try Grassmann.geodesic(a.tensor("U"), a.tensor("V"), t: a.double("t"))
                warnAll(a, r.warnings)
                return .tensor(r.point)
            },
            BuiltinEntry("karcher_mean", [Param("list"), .keyword("tol", default: .number(1e-10)), .keyword("maxiter", default: .number(100))], group: g,
                         summary: "Riemannian mean of subspaces by gradient descent μ ← Exp_μ(mean Log_μ U_i) → (mean=, trace=, converged=) with the gradient norm per iteration",
                         examples: ["karcher_mean([[1; 0], [0.6; 0.8]]).converged"]) { a in
                let bases = try a.list("list").map { try Interpreter.toTensor($0, what: "a basis in `karcher_mean`") }
                let r = try Grassmann.karcherMean(bases, maxIterations: a.int("maxiter"), tol: a.double("tol"))
                warnAll(a, r.warnings)
                return .record(Record([("mean", .tensor(r.mean)), ("trace", .tensor(Tensor(r.trace))), ("converged", .bool(r.converged))]))
            },
            BuiltinEntry("project", [Param("x"), Param("U")], group: g,
                         summary: "orthogonal projection U Uᵀ x onto span(U) (rows of a matrix x are projected one by one)",
                         examples: ["project([1, 2], [1; 0])"]) { a in
                .tensor(try Grassmann.project(a.tensor("x"), onto: a.tensor("U")))
            },
            BuiltinEntry("proj_norm", [Param("x"), Param("U")], group: g,
                         summary: "‖Uᵀx‖₂, the projection-norm logit of Grassmann class representation (per row for a matrix)",
                         examples: ["proj_norm([3, 4], [1; 0])"]) { a in
                Interpreter.wrap(try Grassmann.projNorm(a.tensor("x"), onto: a.tensor("U")))
            },
        ]
    }
}
