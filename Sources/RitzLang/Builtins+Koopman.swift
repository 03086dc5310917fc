import Foundation
import RitzAnalysis
import RitzPlot
import RitzTensor

/// A dictionary of observables for `edmd`/`resdmd` (`poly(3)`, `rbf(C, eps=1)`, `fourier(2)`).
final class KoopmanDictionaryObject: LangObject {
    let dictionary: KoopmanDictionary
    init(_ d: KoopmanDictionary) { dictionary = d }
    var typeName: String { "dictionary" }
    var fieldNames: [String] { ["name"] }
    func field(_ name: String) throws -> Value? { name == "name" ? .string(dictionary.name) : nil }
    func summary() -> String { "dictionary \(dictionary.name)" }
}

/// The result of `dmd`, `edmd` or `resdmd`; `predict` and `pseudospectrum` take it, and
/// `plot(result)` draws its eigenvalues on the complex plane with the unit circle.
final class KoopmanResultObject: PlottableObject {
    /// Residual above which `resdmd` eigenvalues are flagged (drawn ×, counted in the summary).
    static let flagTolerance = 0.1
    enum Fit { case dmd(DMD), edmd(EDMD) }
    let fit: Fit
    init(_ f: Fit) { fit = f }
    var typeName: String { "koopman" }
    var fieldNames: [String] {
        switch fit {
        case .dmd: return ["eigenvalues", "modes", "amplitudes", "growth", "frequency", "rank", "rank_reason", "dt", "plot"]
        case .edmd(let e): return ["eigenvalues", "modes", "eigenfunctions", "growth", "frequency", "dt", "method", "plot"] + (e.residuals == nil ? [] : ["residuals"])
        }
    }
    func field(_ name: String) throws -> Value? {
        switch (fit, name) {
        case (.dmd(let d), "eigenvalues"): return .tensor(KoopmanSpectrumValues.complex(d.eigenvalues))
        case (.dmd(let d), "modes"): return .tensor(d.modes)
        case (.dmd(let d), "amplitudes"): return .tensor(KoopmanSpectrumValues.complex(d.amplitudes))
        case (.dmd(let d), "growth"): return .tensor(Tensor(d.growth))
        case (.dmd(let d), "frequency"): return .tensor(Tensor(d.frequency))
        case (.dmd(let d), "rank"): return .number(Double(d.rank))
        case (.dmd(let d), "rank_reason"): return .string(d.rankReason)
        case (.dmd(let d), "dt"): return .number(d.dt)
        case (.edmd(let e), "eigenvalues"): return .tensor(KoopmanSpectrumValues.complex(e.eigenvalues))
        case (.edmd(let e), "modes"): return .tensor(e.modes)
        case (.edmd(let e), "eigenfunctions"): return .tensor(e.eigenfunctions)
        case (.edmd(let e), "residuals"): return e.residuals.map { .tensor(Tensor($0)) }
        case (.edmd(let e), "growth"): return .tensor(Tensor(e.growth))
        case (.edmd(let e), "frequency"): return .tensor(Tensor(e.frequency))
        case (.edmd(let e), "dt"): return .number(e.dt)
        case (.edmd(let e), "method"): return .string(e.method.rawValue)
        case (_, "plot"): return .object(PlotObject(try figure()))
        default: return nil
        }
    }
    func summary() -> String {
        switch fit {
        case .dmd(let d): return "dmd(rank=\(d.rank), \(d.eigenvalues.count) eigenvalues)"
        case .edmd(let e):
            let flagged = e.residuals.map { r in ", \(r.filter { $0 > Self.flagTolerance }.count) with residual > 0.1" } ?? ""
            return "\(e.residuals == nil ? "edmd" : "resdmd")(\(e.dictionary.name), \(e.snapshots) snapshots, \(e.eigenvalues.count) eigenvalues\(flagged))"
        }
    }
}

extension KoopmanResultObject {
    /// The eigenvalues in the complex plane with the unit circle; for `resdmd` each is marked by
    /// its residual (● ≤ 0.1 verified, × > 0.1 spurious), as `spectrum(result)` draws them.
    ///
    /// - Returns: The figure, titled with the method and what it found.
    /// - Throws: `PlotError` (not for well-formed results).
    func figure() throws -> Figure {
        switch fit {
        case .dmd(let d):
            var f = try Figure.spectrum(re: d.eigenvalues.map(\.re), im: d.eigenvalues.map(\.im))
            f.title = "dmd: \(d.eigenvalues.count) eigenvalues (rank \(d.rank))"
            return f
        case .edmd(let e):
            let re = e.eigenvalues.map(\.re), im = e.eigenvalues.map(\.im)
            guard let r = e.residuals else {
                var f = try Figure.spectrum(re: re, im: im)
                f.title = "edmd \(e.dictionary.name): \(re.count) eigenvalues, unverified"
                return f
            }
            var f = try Figure.spectrum(re: re, im: im, residuals: r, tolerance: Self.flagTolerance)
            let bad = r.filter { !($0 <= Self.flagTolerance) }.count
            f.title = "resdmd \(e.dictionary.name): \(re.count - bad) of \(re.count) verified"
            return f
        }
    }
}

/// The result of `pseudospectrum`: σ_min(zI − A) of a matrix, or σ_min(C − zQ) of an EDMD fit, on
/// a grid of z, with the eigenvalues, drawn as level lines of σ_min (the boundaries of
/// ε-pseudospectra) with the eigenvalues on top.
final class PseudospectrumObject: PlottableObject {
    /// The grid points z (complex, any shape).
    let grid: Tensor
    /// σ_min at each grid point, same shape as the grid.
    let sigma: Tensor
    /// The ε of `inside`.
    let eps: Double
    /// The eigenvalues drawn on top.
    let eigenvalues: [Complex]
    /// Each eigenpair's residual (resdmd), marking the eigenvalues by residual ≤ ε.
    let residuals: [Double]?
    /// The matrix whose σ_min is drawn, as the title names it: `zI − A` or `C − zQ`.
    let operatorName: String
    /// Draw the unit circle (discrete-time spectra).
    let unitCircle: Bool

    init(grid: Tensor, sigma: Tensor, eps: Double, eigenvalues: [Complex], residuals: [Double]?, operatorName: String, unitCircle: Bool) {
        self.grid = grid
        self.sigma = sigma
        self.eps = eps
        self.eigenvalues = eigenvalues
        self.residuals = residuals
        self.operatorName = operatorName
        self.unitCircle = unitCircle
    }

    /// A rows×cols complex grid: Re z from re.lo to re.hi along each row, Im z from im.hi down to
    /// im.lo down each column (the layout `figure` draws).
    static func regularGrid(re: (lo: Double, hi: Double), im: (lo: Double, hi: Double), points n: Int) throws -> Tensor {
        var s = [Double]()
        s.reserveCapacity(2 * n * n)
        for i in 0..<n { for j in 0..<n {
            s += [re.lo + (re.hi - re.lo) * Double(j) / Double(n - 1), im.hi - (im.hi - im.lo) * Double(i) / Double(n - 1)]
        } }
        return try Tensor(shape: [n, n], storage: s, dtype: .complex128)
    }

    /// The grid of `grid=` or the default, the points z, and ε of `eps=` (default 0.1).
    static func arguments(_ a: Args, defaultBox: () -> (re: (lo: Double, hi: Double), im: (lo: Double, hi: Double))) throws -> (grid: Tensor, z: [Complex], eps: Double) {
        let grid: Tensor
        if let gt = try a.optionalTensor("grid") { grid = gt } else {
            let box = defaultBox()
            grid = try regularGrid(re: box.re, im: box.im, points: 61)
        }
        guard grid.storage.allSatisfy(\.isFinite) else { throw Diagnostic("the grid of `pseudospectrum` must be finite", span: nil) }
        let z = (0..<grid.count).map { i -> Complex in let c = grid.complexElement(i); return Complex(c.re, c.im) }
        let eps = try a.optionalDouble("eps") ?? 0.1
        guard eps.isFinite, eps > 0 else { throw Diagnostic("`eps=` must be positive, got \(eps)", span: nil) }
        return (grid.asComplex(), z, eps)
    }

    var typeName: String { "pseudospectrum" }
    var fieldNames: [String] { ["grid", "sigma", "eps", "inside", "eigenvalues", "plot"] }

    func field(_ name: String) throws -> Value? {
        switch name {
        case "grid": return .tensor(grid)
        case "sigma": return .tensor(sigma)
        case "eps": return .number(eps)
        case "inside":
            return .tensor(try Tensor(shape: sigma.shape, storage: sigma.storage.map { $0 <= eps ? 1 : 0 }, dtype: .bool))
        case "eigenvalues": return .tensor(KoopmanSpectrumValues.complex(eigenvalues))
        case "plot": return .object(PlotObject(try figure()))
        default: return nil
        }
    }

    func summary() -> String {
        let inside = sigma.storage.filter { $0 <= eps }.count
        let lo = sigma.storage.min() ?? .nan
        return "pseudospectrum(\(formatShape(grid.shape)) grid, " + String(format: "eps=%g: %d of %d points inside, min σ %.3g)", eps, inside, sigma.count, lo)
    }

    /// Level lines of σ_min at ε·10^j (j = −3…1, those inside the range of σ on the grid; ε always)
    /// on the complex plane, drawn on log₁₀ σ so the lines of the decades are evenly resolved, with
    /// the eigenvalues on top, marked by residual ≤ ε when there are residuals (an eigenvalue with
    /// residual ≤ ε lies in the ε-pseudospectrum, inside its line), and the unit circle for a
    /// Koopman fit.
    ///
    /// The grid must be regular: Re z constant down each column and evenly spaced along a row,
    /// Im z constant along each row and evenly spaced down a column (either direction), as the
    /// default grid and `outer(ones(m), re) + 1im * outer(im, ones(n))` are.
    /// - Returns: The figure.
    /// - Throws: A `Diagnostic` for a grid that is not a regular 2-d grid.
    func figure() throws -> Figure {
        let help = ["pseudospectrum(r) uses a 61×61 grid over [−1.5, 1.5]², pseudospectrum(A) one around A's eigenvalues; a grid of your own: outer(ones(m), linspace(a, b, n)) + 1im * outer(linspace(c, d, m), ones(n))"]
        guard grid.ndim == 2, grid.shape[0] >= 2, grid.shape[1] >= 2 else {
            throw Diagnostic("a pseudospectrum is drawn on a 2-d grid of z, this one has shape \(formatShape(grid.shape))", span: nil, help: help)
        }
        let rows = grid.shape[0], cols = grid.shape[1]
        let z = (0..<grid.count).map { grid.complexElement($0) }
        let re = (0..<cols).map { z[$0].re }, im = (0..<rows).map { z[$0 * cols].im }
        func regular(_ v: [Double]) -> Bool {
            guard let a = v.first, let b = v.last, a.isFinite, b.isFinite, a != b else { return false }
            let step = (b - a) / Double(v.count - 1)
            return v.indices.allSatisfy { Swift.abs(v[$0] - (a + step * Double($0))) <= 1e-6 * Swift.abs(step) }
        }
        let scale = Swift.max(re.map(Swift.abs).max() ?? 0, im.map(Swift.abs).max() ?? 0, 1e-300)
        let aligned = z.indices.allSatisfy { k in
            Swift.abs(z[k].re - re[k % cols]) <= 1e-9 * scale && Swift.abs(z[k].im - im[k / cols]) <= 1e-9 * scale
        }
        guard regular(re), regular(im), aligned else {
            throw Diagnostic("the grid of this pseudospectrum is not regular (Re z along rows, Im z down columns, evenly spaced)", span: nil, help: help)
        }
        // Row 0 of the contour is at the lowest Im, column 0 at the lowest Re.
        let flipRows = im[0] > im[rows - 1], flipCols = re[0] > re[cols - 1]
        var values = [Double](repeating: 0, count: rows * cols)
        for i in 0..<rows { for j in 0..<cols {
            let s = sigma.storage[(flipRows ? rows - 1 - i : i) * cols + (flipCols ? cols - 1 - j : j)]
            values[i * cols + j] = s > 0 ? log10(s) : -300
        } }
        let finite = sigma.storage.filter { $0.isFinite }
        let lo = finite.min() ?? 0, hi = finite.max() ?? 0
        var levels = (-3...1).map { eps * pow(10, Double($0)) }.filter { $0 > lo && $0 < hi }
        if !levels.contains(eps) { levels.append(eps); levels.sort() }
        var f = try Figure.contour(values, rows: rows, cols: cols,
                                   x: (Swift.min(re[0], re[cols - 1]), Swift.max(re[0], re[cols - 1])),
                                   y: (Swift.min(im[0], im[rows - 1]), Swift.max(im[0], im[rows - 1])),
                                   levels: levels.map { log10($0) }, labels: levels.map { String(format: "σ = %g", $0) })
        let er = eigenvalues.map(\.re), ei = eigenvalues.map(\.im)
        let eig = try residuals.map { try Figure.spectrum(re: er, im: ei, residuals: $0, tolerance: eps) }
            ?? Figure.spectrum(re: er, im: ei, unitCircle: unitCircle)
        f = f.overlay(eig)
        f.title = String(format: "σ_min(%@) levels, ε = %g", operatorName, eps)
        f.xlabel = "Re"
        f.panels[0].ylabel = "Im"
        return f
    }
}

enum KoopmanSpectrumValues {
    static func complex(_ z: [Complex]) -> Tensor {
        (try? Tensor(shape: [z.count], storage: z.flatMap { [$0.re, $0.im] }, dtype: .complex128)) ?? Tensor([])
    }

    static func warn(_ a: Args, _ warnings: [String]) {
        for w in warnings { a.context.emit(.text("warning: \(w)\n")) }
    }

    static func dictionary(_ a: Args) throws -> KoopmanDictionary {
        guard let v = a.raw("dict") else { return .poly(degree: 2) }
        if case let .object(o) = v, let d = o as? KoopmanDictionaryObject { return d.dictionary }
        throw Diagnostic("argument `dict` of `\(a.entry.name)` must be a dictionary such as poly(3), rbf(C, eps=1) or fourier(2), got a \(v.typeName)", span: nil)
    }
}

extension Builtins {
    /// Koopman spectra: simulation, DMD, EDMD and residual DMD.
    public static var koopman: [BuiltinEntry] {
        let g = "Koopman"
        let fitParams = [Param("X"), .keyword("Y"), .keyword("dict"), .keyword("dt", default: .number(1))]
        let memory = "Memory: the snapshots are read a chunk at a time (about 1 MiB of dictionary values: 2²⁰/(8w) rows, w = 2N + d) and folded into w×w matrices, so beyond X itself a fit needs O(chunk·w + w²) memory for any number of snapshots (10⁷ run in a few MB). .method says how: \"qr\" (streamed Householder QR, accurate to N·ε·κ(Ψ_X)) when M·w ≤ 2²² or when the Gram form would be inaccurate, else \"gram\" (Ψ_XᵀΨ_X, Ψ_XᵀΨ_Y, Ψ_YᵀΨ_Y by one BLAS dsyrk per chunk, then Cholesky; about 3× faster, accurate to N·ε·κ_s(Ψ_X)², used when that is ≤ 1e-7). Progress is shown while it runs and Ctrl-C stops it between chunks"
        return [
            BuiltinEntry("simulate", [Param("system"), Param("x0"), Param("steps"), .keyword("dt"),
                                      .keyword("r"), .keyword("a"), .keyword("b"), .keyword("delta"), .keyword("alpha"),
                                      .keyword("beta"), .keyword("gamma"), .keyword("omega"), .keyword("mu"),
                                      .keyword("omega0"), .keyword("damping"), .keyword("sigma"), .keyword("rho")],
                         group: g,
                         summary: "trajectory of \"logistic\" (r=3.7), \"henon\" (a=1.4, b=0.3), \"duffing\" (delta=0.5, alpha=-1, beta=1, gamma=0, omega=1.2), \"vanderpol\" (mu=1), \"pendulum\" (omega0=1, damping=0) or \"lorenz\" (sigma=10, rho=28, beta=8/3); RK4 with dt=0.01 for flows; d×(steps+1), one column a time step",
                         examples: ["X = simulate(\"duffing\", [0.5, 0], 100, dt=0.05); shape(X)"]) { a in
                let name = try a.string("system")
                guard let sys = KoopmanSystem(rawValue: name) else {
                    throw Diagnostic("unknown system \"\(name)\"", span: nil, help: ["systems: " + KoopmanSystem.allCases.map(\.rawValue).joined(separator: ", ")])
                }
                var params = [String: Double]()
                for p in ["r", "a", "b", "delta", "alpha", "beta", "gamma", "omega", "mu", "omega0", "damping", "sigma", "rho"] {
                    if let v = try a.optionalDouble(p) { params[p] = v }
                }
                return .tensor(try sys.simulate(x0: a.tensor("x0"), steps: a.int("steps"), dt: a.optionalDouble("dt"), parameters: params))
            },
            BuiltinEntry("dmd", [Param("X"), .keyword("Y"), .keyword("rank", default: .number(0)), .keyword("dt", default: .number(1))],
                         group: g,
                         summary: "exact DMD (Tu et al. 2014) with exact modes; rank=0 picks the numerical rank when there are fewer than 10 singular values or they fall to rounding level (no noise floor), else the Gavish–Donoho optimal hard threshold ω(β)·median σ (rank 1 with a warning if none passes), reported as .rank and .rank_reason; a matrix with ≥ 10× more rows than columns (≤ 20) is warned about as possibly time-major (pass X.T); amplitudes by least squares on the first snapshot; growth = Re log(λ)/dt, frequency = Im log(λ)/(2π dt)",
                         examples: ["d = dmd(simulate(\"vanderpol\", [2, 0], 200, dt=0.05), rank=4, dt=0.05); d.rank"]) { a in
                let d = try DMD.fit(x: a.tensor("X"), y: a.optionalTensor("Y"), rank: a.int("rank"), dt: a.double("dt"))
                KoopmanSpectrumValues.warn(a, d.warnings)
                return .object(KoopmanResultObject(.dmd(d)))
            },
            BuiltinEntry("edmd", fitParams, group: g,
                         summary: "extended DMD on a dictionary (default poly(2)); eigenvalues by decreasing modulus, modes of the full state, eigenfunction coefficients g (φ = Ψ g). " + memory,
                         examples: ["e = edmd(simulate(\"henon\", [0.1, 0.1], 300), dict=poly(2)); size(e.eigenvalues)",
                                    "edmd(simulate(\"henon\", [0.1, 0.1], 300), dict=poly(2)).method"]) { a in
                let (x, y, dict, dt) = (try a.tensor("X"), try a.optionalTensor("Y"), try KoopmanSpectrumValues.dictionary(a), try a.double("dt"))
                let e = try Builtins.withProgress(a.context) { try EDMD.fit(x: x, y: y, dictionary: dict, dt: dt) }
                KoopmanSpectrumValues.warn(a, e.warnings)
                return .object(KoopmanResultObject(.edmd(e)))
            },
            BuiltinEntry("resdmd", fitParams + [.keyword("holdout", default: .number(0)), .keyword("test_x"), .keyword("test_y")], group: g,
                         summary: "EDMD plus each eigenpair's residual (Colbrook–Townsend): res(λ, g)² = (gᴴLg − λgᴴAᴴg − λ̄gᴴAg + |λ|²gᴴGg)/gᴴGg with G = Ψ_XᵀΨ_X, A = Ψ_XᵀΨ_Y, L = Ψ_YᵀΨ_Y, computed as ‖(K̃ − λI)v‖² + ‖Ev‖² over ‖v‖² (v = R₁₁g, the λ terms without cancellation; a Gram fit's rounding below zero is clamped to 0, so residuals under ~1e-7 are not resolved there); large residuals flag spurious eigenvalues. holdout=f computes residuals on the last fraction f of the pairs (left out of the fit); test_x=/test_y= on separate pairs; warns when snapshots ≤ dictionary size. " + memory,
                         examples: ["r = resdmd(simulate(\"henon\", [0.1, 0.1], 500), dict=poly(3)); max(r.residuals) >= 0"]) { a in
                let holdout = try a.double("holdout")
                let where_: EDMD.ResidualData
                if let tx = try a.optionalTensor("test_x") {
                    guard let ty = try a.optionalTensor("test_y") else { throw Diagnostic("test_x= needs test_y=", span: nil) }
                    where_ = .separate(x: tx, y: ty)
                } else if holdout > 0 { where_ = .holdout(fraction: holdout) } else { where_ = .training }
                let (x, y, dict, dt) = (try a.tensor("X"), try a.optionalTensor("Y"), try KoopmanSpectrumValues.dictionary(a), try a.double("dt"))
                let e = try Builtins.withProgress(a.context) { try EDMD.fit(x: x, y: y, dictionary: dict, residuals: where_, dt: dt) }
                KoopmanSpectrumValues.warn(a, e.warnings)
                return .object(KoopmanResultObject(.edmd(e)))
            },
            BuiltinEntry("poly", [Param("degree")], group: g,
                         summary: "dictionary of every monomial of total degree ≤ degree, constant included, in scikit-learn PolynomialFeatures order",
                         examples: ["poly(3)"]) { a in
                .object(KoopmanDictionaryObject(.poly(degree: try a.int("degree"))))
            },
            BuiltinEntry("rbf", [Param("centers"), .keyword("eps", default: .number(1))], group: g,
                         summary: "dictionary of Gaussians exp(−(eps‖x − c‖)²), one per row c of centers",
                         examples: ["rbf([0, 0; 1, 1], eps=2)"]) { a in
                var c = try a.tensor("centers")
                if c.ndim == 1 { c = try c.reshaped([c.count, 1]) }
                return .object(KoopmanDictionaryObject(.rbf(centers: c, eps: try a.double("eps"))))
            },
            BuiltinEntry("fourier", [Param("k")], group: g,
                         summary: "dictionary 1, cos(j x_i), sin(j x_i) for j = 1…k and each coordinate i (no cross terms)",
                         examples: ["fourier(2)"]) { a in
                .object(KoopmanDictionaryObject(.fourier(k: try a.int("k"))))
            },
            BuiltinEntry("pseudospectrum", [Param("A"), .keyword("grid"), .keyword("eps")], group: g,
                         summary: "for a square matrix A (or the 1-d diagonal of one, as s4d_init gives): σ_min(zI − A) at each point z of grid (default 61×61 over a square around A's eigenvalues: centred on their bounding box, half-width ¾ of its larger side, at least 0.075·max(1, max|λ|)); for an edmd/resdmd result: σ_min(C − zQ) (default grid 61×61 over [−1.5, 1.5]²). grid is a complex tensor, Re along rows, Im down columns → .grid, .sigma, .eps, .inside (σ_min ≤ eps, default 0.1), .eigenvalues; plot(p) draws level lines of σ_min at ε·10^j with the eigenvalues on top (and the unit circle for a Koopman fit). A dense A is reduced to Hessenberg form once; each point then costs an O(n²) LU and a few inverse-Lanczos steps (accurate to about n·u·‖A‖, as a dense SVD)",
                         examples: ["p = pseudospectrum([0, 1; 0, 0], grid=[1, 1im], eps=0.1); p.sigma",
                                    "r = resdmd(simulate(\"henon\", [0.1, 0.1], 300), dict=poly(2)); p = pseudospectrum(r, grid=[0.5, 1 + 0im], eps=0.05); p.sigma"]) { a in
                if case .tensor(let m)? = a.raw("A") {
                    let eigenvalues = try StateSpace.pseudospectrum(a: m, grid: []).eigenvalues
                    let (grid, z, eps) = try PseudospectrumObject.arguments(a) { StateSpace.pseudospectrumBox(around: eigenvalues) }
                    let sig = try StateSpace.pseudospectrum(a: m, grid: z).sigma
                    return .object(PseudospectrumObject(grid: grid, sigma: try Tensor(shape: grid.shape, storage: sig), eps: eps,
                                                        eigenvalues: eigenvalues, residuals: nil, operatorName: "zI − A", unitCircle: false))
                }
                let r = try a.object("A", as: KoopmanResultObject.self, described: "square matrix or an edmd or resdmd result")
                guard case let .edmd(e) = r.fit else { throw Diagnostic("pseudospectrum needs a square matrix or an edmd or resdmd result", span: nil) }
                let (grid, z, eps) = try PseudospectrumObject.arguments(a) { ((-1.5, 1.5), (-1.5, 1.5)) }
                let sig = try e.pseudospectrum(z)
                return .object(PseudospectrumObject(grid: grid, sigma: try Tensor(shape: grid.shape, storage: sig), eps: eps,
                                                    eigenvalues: e.eigenvalues, residuals: e.residuals, operatorName: "C − zQ", unitCircle: true))
            },
            BuiltinEntry("predict", [Param("result"), Param("x0"), Param("steps")], group: g,
                         summary: "forecast from x0: DMD x_t = Re Φ diag(λ^t) b, EDMD x_t = Re Σ λ_j^t φ_j(x0) ξ_j; d×(steps+1) like simulate",
                         examples: ["d = dmd(simulate(\"duffing\", [0.5, 0], 100, dt=0.05), rank=2); shape(predict(d, [0.5, 0], 10))"]) { a in
                let r = try a.object("result", as: KoopmanResultObject.self, described: "dmd, edmd or resdmd result")
                let x0 = try a.tensor("x0"), steps = try a.int("steps")
                switch r.fit {
                case .dmd(let d): return .tensor(try d.predict(x0: x0, steps: steps))
                case .edmd(let e): return .tensor(try e.predict(x0: x0, steps: steps))
                }
            },
        ]
    }
}
