import Foundation
import RitzAnalysis
import RitzPlot
import RitzTensor

/// A graph value: `.n`, `.edges` (m×2), `.adjacency` (n×n), `.degrees`.
final class GraphObject: LangObject {
    let graph: Graph
    init(_ g: Graph) { graph = g }
    var typeName: String { "graph" }
    var fieldNames: [String] { ["n", "edges", "adjacency", "degrees", "weights", "laplacian"] }
    func field(_ name: String) throws -> Value? {
        switch name {
        case "n": return .number(Double(graph.n))
        case "edges": return .tensor(try graph.edgeTensor())
        case "adjacency": return .tensor(try graph.adjacency())
        case "degrees": return .tensor(Tensor(graph.degrees))
        case "weights": return .tensor(Tensor(graph.edges.map(\.weight)))
        case "laplacian":
            // G.laplacian(norm=, sparse=): the `laplacian` builtin with G bound.
            let g = graph
            return .function(Function(BuiltinEntry("laplacian", [.keyword("norm", default: .string("none")), .keyword("sparse", default: .bool(false))],
                                                   group: "Graphs and positional encodings", summary: "this graph's Laplacian (see laplacian)",
                                                   examples: []) { a in
                try Builtins.laplacianValue(g, a)
            }))
        default: return nil
        }
    }
    func summary() -> String { graph.summary() }
}

/// The result of `pe_stability`: per trial the principal angles between the PE eigenspaces of L
/// and of the perturbed L, beside the Davis–Kahan bounds; `plot(s)` (or `s.plot`) draws them.
final class PEStabilityObject: PlottableObject {
    let result: PEStability
    let k: Int
    init(_ r: PEStability, k: Int) { result = r; self.k = k }
    var typeName: String { "pe_stability" }
    var fieldNames: [String] { ["angles", "sin_max", "bound", "rigorous", "norm_dl", "gap", "degenerate", "eigenvalues", "plot"] }

    func field(_ name: String) throws -> Value? {
        switch name {
        case "angles": return .tensor(result.angles)
        case "sin_max": return .tensor(Tensor(result.sinMax))
        case "bound": return .tensor(Tensor(result.bound))
        case "rigorous": return .tensor(Tensor(result.rigorousBound))
        case "norm_dl": return .tensor(Tensor(result.deltaNorm))
        case "gap": return .number(result.gap)
        case "degenerate": return .bool(result.degenerate)
        case "eigenvalues": return .tensor(Tensor(result.eigenvalues))
        case "plot": return .object(PlotObject(try figure()))
        default: return nil
        }
    }

    /// A table: one row per trial with sin θ_max, ‖ΔL‖₂ and both bounds.
    func summary() -> String {
        var lines = [String(format: "pe_stability(k=%d, %d trials, gap δ = %.3g", k, result.sinMax.count, result.gap)
                     + (result.degenerate ? ": zero, no Davis–Kahan bound)" : ")")]
        lines.append("trial  sin θ_max   ‖ΔL‖₂       ‖ΔL‖/δ      ‖ΔL‖/(δ−‖ΔL‖)")
        for t in result.sinMax.indices {
            func g(_ x: Double) -> String { x.isFinite ? String(format: "%-11.4g", x) : (result.degenerate ? "none       " : "inf        ") }
            lines.append(String(format: "%5d  ", t + 1) + g(result.sinMax[t]) + " " + g(result.deltaNorm[t]) + " "
                         + g(result.bound[t]) + " " + g(result.rigorousBound[t]))
        }
        return lines.map { l in var l = l; while l.hasSuffix(" ") { l.removeLast() }; return l }.joined(separator: "\n")
    }

    /// sin θ of every principal angle of each trial (markers) beside the Davis–Kahan bounds
    /// ‖ΔL‖₂/δ and ‖ΔL‖₂/(δ − ‖ΔL‖₂) (lines, where finite), against the trial number; log y
    /// when every sine is positive. At a zero gap no bound is drawn and the title says why.
    ///
    /// - Returns: The figure.
    /// - Throws: `PlotError` (not for well-formed results).
    func figure() throws -> Figure {
        let trials = result.sinMax.count
        let kk = result.angles.shape.count == 2 ? result.angles.shape[1] : 0
        var xs = [Double](), ys = [Double]()
        for t in 0..<trials { for j in 0..<kk {
            xs.append(Double(t + 1))
            ys.append(sin(result.angles.storage[t * kk + j]))
        } }
        let steps = (1...Swift.max(trials, 1)).map(Double.init)
        var f = Figure()
        f.add(.series(try Series(name: "sin θ (all \(kk) angles)", x: xs, y: ys, mode: .markers,
                                 marks: Array(repeating: 0, count: ys.count), markNames: ["sin θ (all \(kk) angles)"])))
        if !result.degenerate {
            try f.addLine(result.bound, x: steps, name: "bound ‖dL‖/δ")
            let rig = result.rigorousBound.map { $0.isFinite ? $0 : .nan }
            if rig.contains(where: { $0.isFinite }) { try f.addLine(rig, x: steps, name: "rigorous ‖dL‖/(δ−‖dL‖)") }
            f.title = String(format: "k = %d: angles vs Davis–Kahan, δ = %.3g", k, result.gap)
        } else {
            f.title = String(format: "k = %d: gap 0 (λ %.4g repeated), no bound", k, result.eigenvalues.last ?? 0)
        }
        f.xlabel = "trial"
        f.panels[0].ylabel = "sin θ"
        f.logy = ys.allSatisfy { $0 > 0 }
        f.legend = true
        return f
    }
}

extension Builtins {
    static func graphArg(_ a: Args) throws -> Graph {
        try a.object("G", as: GraphObject.self, described: "graph").graph
    }

    /// The Laplacian of `g` for the `norm=` and `sparse=` arguments of `a`, dense or sparse.
    static func laplacianValue(_ g: Graph, _ a: Args) throws -> Value {
        let norm = try LaplacianNorm(name: a.string("norm"))
        return try a.bool("sparse") ? .object(SparseObject(g.laplacianCSR(norm))) : .tensor(try g.laplacian(norm))
    }

    /// Graph builders, Laplacians and positional encodings.
    public static var graphs: [BuiltinEntry] {
        let g = "Graphs and positional encodings"
        return [
            BuiltinEntry("graph", [Param("edges", default: .none), .keyword("n"), .keyword("weights"), .keyword("adjacency")], group: g,
                         summary: "undirected graph from an m×2 tensor or a list of node pairs; n= defaults to the largest index + 1; a repeated edge keeps its last weight (as NetworkX); or graph(adjacency=A) from a symmetric non-negative dense or sparse matrix, an edge i – j of weight A[i, j] for each nonzero with i ≤ j",
                         examples: ["G = graph([0, 1; 1, 2; 2, 0]); G.n", "graph(adjacency=sparse([0, 1], [1, 0], [2, 2])).weights"]) { a in
                if a.has("adjacency") {
                    guard !a.has("edges"), !a.has("n"), !a.has("weights") else {
                        throw Diagnostic("graph(adjacency=A) takes no edges, n= or weights=: they come from A", span: nil)
                    }
                    let m = try sparseArg(a, "adjacency") ?? CSRMatrix(dense: try a.tensor("adjacency").asFloat())
                    return .object(GraphObject(try interruptible(a.context) { try Graph(adjacency: m) }))
                }
                guard a.has("edges") else { throw Diagnostic("`graph` needs edges or adjacency=", span: nil, help: ["graph([0, 1; 1, 2])", "graph(adjacency=A)"]) }
                let raw = try a.list("edges")
                let pairs = try raw.map { v -> (Int, Int) in
                    let t = try Interpreter.toTensor(v, what: "an edge of `graph`")
                    guard t.count == 2 else { throw Diagnostic("each edge of `graph` must be a pair of node indices", span: nil) }
                    let i = t.storage[0], j = t.storage[1]
                    guard i == i.rounded(), j == j.rounded(), abs(i) < 1e12, abs(j) < 1e12 else {
                        throw Diagnostic("edge (\(i), \(j)) of `graph` must hold integer node indices", span: nil)
                    }
                    return (Int(i), Int(j))
                }
                let w = try a.optionalTensor("weights")?.storage
                return .object(GraphObject(try Graph(n: a.optionalInt("n"), edges: pairs, weights: w)))
            },
            BuiltinEntry("path_graph", [Param("n")], group: g, summary: "the path 0 – 1 – … – n−1", examples: ["path_graph(5).n"]) { a in
                .object(GraphObject(try interruptible(a.context) { try Graph.path(a.int("n")) }))
            },
            BuiltinEntry("cycle_graph", [Param("n")], group: g, summary: "the cycle on n ≥ 3 nodes", examples: ["cycle_graph(6).n"]) { a in
                .object(GraphObject(try interruptible(a.context) { try Graph.cycle(a.int("n")) }))
            },
            BuiltinEntry("grid_graph", [Param("r"), Param("c")], group: g,
                         summary: "the r×c lattice; node (i, j) is i·c + j (as NetworkX grid_2d_graph relabelled)", examples: ["grid_graph(3, 4).n"]) { a in
                .object(GraphObject(try interruptible(a.context) { try Graph.grid(a.int("r"), a.int("c")) }))
            },
            BuiltinEntry("complete_graph", [Param("n")], group: g, summary: "the complete graph K_n", examples: ["complete_graph(4).n"]) { a in
                .object(GraphObject(try interruptible(a.context) { try Graph.complete(a.int("n")) }))
            },
            BuiltinEntry("erdos_renyi", [Param("n"), Param("p"), .keyword("seed", default: .number(0))], group: g,
                         summary: "G(n, p): each pair i < j is an edge with probability p, sampled in O(n + m) by geometric skipping (Batagelj–Brandes; xoshiro256** seeded by seed=)",
                         examples: ["erdos_renyi(30, 0.1, seed=1).n"]) { a in
                let s = try a.int("seed")
                guard s >= 0 else { throw Diagnostic("seed= must be ≥ 0", span: nil) }
                return .object(GraphObject(try interruptible(a.context) { try Graph.erdosRenyi(a.int("n"), a.double("p"), seed: UInt64(s)) }))
            },
            BuiltinEntry("knn_graph", [Param("X"), Param("k")], group: g,
                         summary: "symmetric k-nearest-neighbour graph of the rows of X (Euclidean, ties by lower index; i – j when either is among the other's k nearest)",
                         examples: ["knn_graph([0, 0; 1, 0; 0, 1; 5, 5], 1).n"]) { a in
                .object(GraphObject(try interruptible(a.context) { try Graph.knn(a.tensor("X"), k: a.int("k")) }))
            },
            BuiltinEntry("laplacian", [Param("G"), .keyword("norm", default: .string("none")), .keyword("sparse", default: .bool(false))], group: g,
                         summary: "graph Laplacian as NetworkX: \"none\" L = D − A, \"sym\" I − D^-1/2 A D^-1/2, \"rw\" I − D^-1 A; an isolated node's row and column are zero; sparse=true gives a sparse matrix (also G.laplacian(norm=, sparse=))",
                         examples: ["laplacian(path_graph(3), norm=\"sym\")", "grid_graph(3, 3).laplacian(sparse=true).nnz"]) { a in
                try laplacianValue(graphArg(a), a)
            },
            BuiltinEntry("laplacian_pe", [Param("G"), Param("k"), .keyword("norm", default: .string("sym")),
                                          .keyword("sign", default: .string("canonical")), .keyword("seed", default: .number(0))], group: g,
                         summary: "n×k eigenvectors of the k smallest Laplacian eigenvalues after the trivial one (zero columns when k ≥ n); per component, null vectors first; sign \"canonical\": the first entry within 1e-8 of the largest magnitude is positive (\"random\": seeded coin flips); equal eigenvalues (within 1e-6·‖L‖) are reported as groups; solver per component (.method): dense eigh up to 800 nodes; above, CHOLMOD's symbolic analysis sizes the Cholesky factor of L + sI (s = 1e-8·‖L‖∞) and, when it and the Lanczos basis fit the memory the session has left, shift-invert block Lanczos about −s; else Chebyshev-filtered block iteration; sparse solvers stop at residuals ‖Lv − λv‖ ≤ 1e-8 computed with L; progress is shown and Ctrl-C stops it → (pe=, eigenvalues=, groups=, next=, residuals=, method=, solves=)",
                         examples: ["p = laplacian_pe(cycle_graph(8), 3); p.groups"]) { a in
                let sign = try a.string("sign")
                guard sign == "canonical" || sign == "random" else { throw Diagnostic("sign= must be \"canonical\" or \"random\"", span: nil) }
                let s = try a.int("seed")
                let graph = try graphArg(a), k = try a.int("k"), norm = try LaplacianNorm(name: a.string("norm"))
                let r = try withProgress(a.context) {
                    try LaplacianPE.compute(graph, k: k, norm: norm, randomSign: sign == "random", seed: UInt64(max(s, 0)))
                }
                for w in r.warnings { a.context.emit(.text("warning: \(w)\n")) }
                let groups = Value.list(r.groups.map { gr in
                    .record(Record([("start", .number(Double(gr.start))), ("count", .number(Double(gr.count))),
                                    ("value", .number(gr.value)), ("truncated", .bool(gr.truncated))]))
                })
                return .record(Record([("pe", .tensor(r.pe)), ("eigenvalues", .tensor(Tensor(r.eigenvalues))), ("groups", groups),
                                       ("next", r.nextEigenvalue.map { .number($0) } ?? .none),
                                       ("residuals", .tensor(Tensor(r.residuals))), ("components", .number(Double(r.components))),
                                       ("method", .string(r.method)), ("solves", .number(Double(r.solves)))]))
            },
            BuiltinEntry("rwpe", [Param("G"), Param("k")], group: g,
                         summary: "random-walk encoding: column t−1 is diag((D^-1 A)^t), t = 1…k (return probabilities; 0 for isolated nodes)",
                         examples: ["rwpe(cycle_graph(4), 4)"]) { a in
                .tensor(try graphArg(a).rwpe(a.int("k")))
            },
            BuiltinEntry("pe_stability", [Param("G"), Param("k"), .keyword("perturb", default: .number(0.05)),
                                          .keyword("trials", default: .number(10)), .keyword("seed", default: .number(0)),
                                          .keyword("norm", default: .string("sym"))], group: g,
                         summary: "principal angles between the k-dim PE eigenspace of L and of L with weights × (1 + perturb·U[−1, 1]); beside each trial the Davis–Kahan bound ‖ΔL‖₂/δ (δ = gap around λ₂…λ_{k+1}) and the rigorous ‖ΔL‖/(δ − ‖ΔL‖); a gap ≤ 1e-6·‖L‖ (k cuts a repeated eigenvalue, or the graph is disconnected) is reported as gap 0, degenerate, bounds inf, with a warning → .angles (trials×k), .sin_max, .bound, .rigorous, .norm_dl, .gap, .degenerate, .eigenvalues; plot(s) draws the angles beside the bounds",
                         examples: ["s = pe_stability(grid_graph(5, 5), 2, trials=3, seed=1); s.gap > 0"]) { a in
                let s = try a.int("seed")
                let r = try PEStability.compute(graphArg(a), k: a.int("k"), perturb: a.double("perturb"), trials: a.int("trials"),
                                                seed: UInt64(max(s, 0)), norm: LaplacianNorm(name: a.string("norm")))
                for w in r.warnings { a.context.emit(.text("warning: \(w)\n")) }
                return .object(PEStabilityObject(r, k: try a.int("k")))
            },
        ]
    }
}
