import Foundation
import RitzPlot
import RitzLearn
import RitzTensor

/// A plot value: a `Figure` with the fields and arithmetic of the language (`p + q` overlays).
///
/// It displays as its text rendering (braille, at the figure's size or 72×20) so `ritz run`
/// and the REPL show the plot itself.
public final class PlotObject: LangObject, ArithmeticObject {
    /// The figure drawn.
    public let figure: Figure

    /// Wraps a figure.
    ///
    /// - Parameter figure: The figure.
    public init(_ figure: Figure) { self.figure = figure }

    public var typeName: String { "plot" }

    public var fieldNames: [String] { ["title", "xlabel", "ylabel", "logx", "logy", "width", "height", "panels", "text", "svg"] }

    public func field(_ name: String) throws -> Value? {
        switch name {
        case "title": return .string(figure.title)
        case "xlabel": return .string(figure.xlabel)
        case "ylabel": return .string(figure.ylabel)
        case "logx": return .bool(figure.logx)
        case "logy": return .bool(figure.logy)
        case "width": return .number(Double(displaySize.width))
        case "height": return .number(Double(displaySize.height))
        case "panels": return .number(Double(figure.panels.count))
        case "text": return .string(text(canvas: .ascii))
        case "svg": return .string(figure.svg(width: displaySize.width * 9, height: displaySize.height * 18))
        default: return nil
        }
    }

    /// Columns and rows the plot is shown at.
    public var displaySize: (width: Int, height: Int) { (figure.width ?? 72, figure.height ?? 20) }

    /// The text rendering at the display size.
    ///
    /// - Parameter canvas: Braille, block or ASCII.
    /// - Returns: Plain text.
    public func text(canvas: CanvasKind) -> String {
        figure.renderText(width: displaySize.width, height: displaySize.height, canvas: canvas, color: false)
    }

    public func summary() -> String { text(canvas: .braille) }

    public func binary(_ op: BinaryOperator, _ other: Value, selfOnLeft: Bool, context: Interpreter) throws -> Value? {
        guard op == .add, case let .object(o) = other, let q = o as? PlotObject else { return nil }
        let (p, r) = (try PlotArgs.singleAxes(figure, for: "+"), try PlotArgs.singleAxes(q.figure, for: "+"))
        return .object(PlotObject(selfOnLeft ? p.overlay(r) : r.overlay(p)))
    }
}

/// A domain object that draws itself: `plot(x)` shows its figure (Koopman spectra,
/// pseudospectra, PE stability).
protocol PlottableObject: LangObject {
    /// The object's figure.
    ///
    /// - Returns: The figure `plot(x)` draws.
    /// - Throws: A `Diagnostic` when the object cannot be drawn.
    func figure() throws -> Figure
}

/// Conversions from language values to plot data.
enum PlotArgs {
    /// The options every plot builtin takes.
    static var options: [Param] { [.keyword("title"), .keyword("xlabel"), .keyword("ylabel"), .keyword("logx"),
                                   .keyword("logy"), .keyword("width"), .keyword("height"), .keyword("legend")] }

    /// Whether the rows of a `rows`×`cols` y are the series: when they match x's length and the
    /// columns do not; without x, when they are the longer side (`plot([a, b])` of two long
    /// series). Otherwise the columns are, as matplotlib takes a matrix.
    ///
    /// - Parameters:
    ///   - rows: y's first dimension.
    ///   - cols: y's second dimension.
    ///   - xCount: The number of x values, when given.
    /// - Returns: True to draw each row as a series.
    static func seriesAreRows(rows: Int, cols: Int, xCount: Int?) -> Bool {
        if let n = xCount { return n == cols && n != rows }
        return cols > rows
    }

    /// The y argument of `plot` as a tensor; a list of vectors must hold equal lengths.
    ///
    /// - Throws: A `Diagnostic` naming the lengths when the series differ.
    static func seriesTensor(_ v: Value) throws -> Tensor {
        if case let .list(items) = v, items.count > 1 {
            let parts = try items.map { try Interpreter.toTensor($0, what: "a series of `plot`") }
            let lengths = parts.map(\.count)
            if parts.allSatisfy({ $0.ndim <= 1 }), Set(lengths).count > 1 {
                throw Diagnostic("the series of `plot` have different lengths \(lengths)", span: nil,
                                 help: ["a list of series draws each against the same x, so they need equal lengths"])
            }
        }
        return try Interpreter.toTensor(v, what: "the y argument of `plot`")
    }

    /// Real values of a tensor-like argument (a complex tensor gives its real parts' refusal).
    static func reals(_ v: Value, what: String) throws -> [Double] {
        let t = try Interpreter.toTensor(v, what: what)
        if t.isComplex { throw Diagnostic("\(what) must be real, got a complex tensor", span: nil, help: ["use real(z) or spectrum(z)"]) }
        return t.storage
    }

    /// A 1-d series (any shape flattened is refused beyond 1-d, except a single row or column).
    static func vector(_ v: Value, what: String) throws -> [Double] {
        let t = try Interpreter.toTensor(v, what: what)
        if t.isComplex { throw Diagnostic("\(what) must be real, got a complex tensor", span: nil, help: ["use real(z), abs(z) or spectrum(z)"]) }
        guard t.ndim <= 1 || t.shape.filter({ $0 != 1 }).count <= 1 else {
            throw Diagnostic("\(what) must be 1-d, got shape \(formatShape(t.shape))", span: nil)
        }
        return t.storage
    }

    /// Applies the common options to a figure.
    static func apply(_ a: Args, to f: inout Figure) throws {
        if let s = try a.optionalString("title") { f.title = s }
        if let s = try a.optionalString("xlabel") { f.xlabel = s }
        if let s = try a.optionalString("ylabel") { f.ylabel = s }
        if a.has("logx") { f.logx = try a.bool("logx") }
        if a.has("logy") { f.logy = try a.bool("logy") }
        for key in ["width", "height"] {
            guard let n = try a.optionalInt(key) else { continue }
            guard n >= 8, n <= 1000 else {
                throw Diagnostic("`\(key)=` must be between 8 and 1000 character cells, got \(n)", span: nil)
            }
            if key == "width" { f.width = n } else { f.height = n }
        }
        if let v = a.raw("legend") {
            switch v {
            case let .bool(b): f.legend = b
            case let .list(items):
                let names = try items.map { item -> String in
                    guard case let .string(s) = item else { throw Diagnostic("`legend=` names must be strings, got a \(item.typeName)", span: nil) }
                    return s
                }
                try rename(&f, names)
                f.legend = true
            default:
                throw Diagnostic("`legend=` must be true, false or a list of names, got a \(v.typeName)", span: nil)
            }
        }
    }

    /// Gives the series of the first panel the names of a `legend=` list, in order.
    static func rename(_ f: inout Figure, _ names: [String]) throws {
        var k = 0
        for (i, layer) in f.panels[0].layers.enumerated() where k < names.count {
            switch layer {
            case .series(var s): s.name = names[k]; f.panels[0].layers[i] = .series(s); k += 1
            case .bars(var b): b.name = names[k]; f.panels[0].layers[i] = .bars(b); k += 1
            default: break
            }
        }
        if k < names.count {
            throw Diagnostic("`legend=` has \(names.count) names for \(k) series", span: nil)
        }
    }

    /// Reads a field of a record or object, nil when absent.
    static func field(_ v: Value, _ name: String) throws -> Value? {
        switch v {
        case let .record(r): return r[name]
        case let .object(o): return try o.field(name)
        default: return nil
        }
    }

    /// The real and imaginary parts of eigenvalues (a complex or real tensor).
    static func complexParts(_ v: Value, what: String) throws -> (re: [Double], im: [Double]) {
        let t = try Interpreter.toTensor(v, what: what)
        if t.isComplex {
            var re: [Double] = [], im: [Double] = []
            re.reserveCapacity(t.storage.count / 2)
            im.reserveCapacity(t.storage.count / 2)
            var i = 0
            while i + 1 < t.storage.count { re.append(t.storage[i]); im.append(t.storage[i + 1]); i += 2 }
            return (re, im)
        }
        return (t.storage, Array(repeating: 0, count: t.storage.count))
    }

    /// The plot argument of `hline`, `overlay`, `savefig`.
    static func plot(_ a: Args, _ name: String) throws -> PlotObject {
        try a.object(name, as: PlotObject.self, described: "plot (from plot, scatter, hist, heatmap or spectrum)")
    }

    /// A plot argument drawn in one set of axes (`hline`, `overlay`, `+`): a grid of figures is
    /// refused, since its figures keep their own axes.
    ///
    /// - Parameters:
    ///   - figure: The plot's figure.
    ///   - builtin: What refuses it, for the message.
    /// - Returns: The figure.
    /// - Throws: A `Diagnostic` for a grid.
    static func singleAxes(_ figure: Figure, for builtin: String) throws -> Figure {
        guard !figure.isGrid else {
            throw Diagnostic("`\(builtin)` draws in one set of axes, not on a grid of figures; apply it to the figures before `grid`", span: nil)
        }
        return figure
    }

    /// A run-like record (`step` and `loss` fields; a run itself draws its own curves): stacked
    /// panels of loss, accuracy and each tracked curvature, each present field a panel, with
    /// gradient descent's 2/lr on sharpness and trace — a record does not say which optimizer
    /// made it.
    static func run(_ v: Value) throws -> Figure? {
        guard let stepValue = try field(v, "step"), let lossValue = try field(v, "loss") else { return nil }
        let steps = try vector(stepValue, what: "run.step")
        var panels: [Figure] = []
        func add(_ key: String, label: String, extra: [(String, String)] = []) throws {
            guard let value = try field(v, key) else { return }
            let y = try vector(value, what: "run.\(key)")
            if y.isEmpty { return }
            guard y.count == steps.count else {
                throw Diagnostic("run.\(key) has \(y.count) values for \(steps.count) steps", span: nil)
            }
            var fig = try Figure.line(y, x: steps, name: key)
            for (k2, name) in extra {
                if let v2 = try field(v, k2), let y2 = try? vector(v2, what: "run.\(k2)"), y2.count == steps.count, !y2.isEmpty {
                    try fig.addLine(y2, x: steps, name: name)
                }
            }
            fig.ylabel = label
            panels.append(fig)
        }
        _ = lossValue
        try add("loss", label: "loss", extra: [("test_loss", "test loss")])
        try add("acc", label: "accuracy")
        let lr = (try? field(v, "lr")).flatMap { $0 }.flatMap { try? Interpreter.toDouble($0, what: "run.lr") }
        // The tracked quantities registered with a stability bound get a panel; those of sgd's
        // bounds carry 2/lr (an adaptive step's threshold needs its β₁, which a record lacks).
        for name in TrackerRegistry.shared.names {
            guard let bound = TrackerRegistry.shared.entry(name)?.bound else { continue }
            let before = panels.count
            try add(name, label: name)
            let threshold = StabilityThreshold.gradientDescent
            if bound != .preconditioned, panels.count > before, let lr, let b = threshold.value(lr: lr) {
                panels[panels.count - 1].addHLine(b, label: threshold.label)
            }
        }
        guard !panels.isEmpty else { return nil }
        var f = Figure.stacked(panels)
        f.xlabel = "step"
        f.legend = panels.contains { $0.panels[0].layers.count > 1 } ? true : false
        return f
    }
}

extension Builtins {
    /// Plots: line, scatter, histogram, heatmap, complex spectrum, contour and bar plots, with
    /// reference lines, overlays and export.
    public static var plots: [BuiltinEntry] {
        let g = "Plots"
        let o = PlotArgs.options
        return [
            BuiltinEntry("plot", [Param("a"), Param("b", default: .none)] + o, group: g,
                         summary: "line plot of y, of y against x (a matrix's columns, or a list of equal-length series, as several series), of a training run's curves, of a spectral density, or of a result that draws itself (dmd/edmd/resdmd spectra, pseudospectrum, pe_stability); millions of points draw fast, each pixel column showing the lowest and highest point in it, so spikes stay",
                         examples: ["plot(sin(linspace(0, 6, 100)), title=\"sine\")",
                                    "x = linspace(0, 1, 50); plot(x, [x ^ 2, x ^ 3].T, legend=[\"x^2\", \"x^3\"])"]) { a in
                guard let first = a.raw("a") else { throw Diagnostic("missing argument `a` of `plot`", span: nil) }
                var f: Figure
                if a.raw("b") == nil, case let .object(o) = first, let drawable = o as? PlottableObject {
                    f = try drawable.figure()
                } else if a.raw("b") == nil, let density = try PlotArgs.field(first, "density"), let x = try PlotArgs.field(first, "x") {
                    f = try Figure.density(x: try PlotArgs.vector(x, what: "density.x"), y: try PlotArgs.vector(density, what: "density.density"))
                } else if a.raw("b") == nil, let run = try PlotArgs.run(first) {
                    f = run
                } else {
                    let (xValue, yValue): (Value?, Value) = a.raw("b").map { (first, $0) } ?? (nil, first)
                    let y = try PlotArgs.seriesTensor(yValue)
                    if y.isComplex { throw Diagnostic("`plot` needs real values, got a complex tensor", span: nil, help: ["spectrum(z) draws complex values in the plane; plot(abs(z)) their moduli"]) }
                    let x = try xValue.map { try PlotArgs.vector($0, what: "the x argument of `plot`") }
                    if y.ndim == 2, y.shape[1] > 1, y.shape[0] > 1 {
                        // Columns are series, as NumPy/matplotlib lay them out, unless the rows
                        // are: `plot(x, [a, b])` stacks the series a and b as rows.
                        let byRows = PlotArgs.seriesAreRows(rows: y.shape[0], cols: y.shape[1], xCount: x?.count)
                        let series = byRows ? y : try y.transposed()
                        let (count, length) = (series.shape[0], series.shape[1])
                        guard count <= 64 else {
                            throw Diagnostic("`plot` draws at most 64 series, got \(count) \(byRows ? "rows" : "columns")", span: nil,
                                             help: [byRows ? "pass y.T if the series are columns" : "pass y.T if the series are rows"])
                        }
                        f = Figure()
                        for c in 0..<count {
                            try f.addLine(Array(series.storage[(c * length)..<((c + 1) * length)]), x: x, name: "")
                        }
                    } else {
                        guard y.shape.filter({ $0 != 1 }).count <= 1 else {
                            throw Diagnostic("`plot` takes 1-d or 2-d data, got shape \(formatShape(y.shape))", span: nil)
                        }
                        f = try Figure.line(y.storage, x: x)
                    }
                }
                try PlotArgs.apply(a, to: &f)
                return .object(PlotObject(f))
            },
            BuiltinEntry("scatter", [Param("x"), Param("y"), .keyword("marks")] + o, group: g,
                         summary: "scatter plot of points (x[i], y[i]); marks= gives each point a class drawn with its own marker; of more than 4000 points the SVG keeps one mark per occupied pixel cell (and class), so its size is bounded by the plot's area",
                         examples: ["t = linspace(0, 6, 80); scatter(cos(t) * t, sin(t) * t)"]) { a in
                let x = try PlotArgs.vector(a.raw("x") ?? .none, what: "argument `x` of `scatter`")
                let y = try PlotArgs.vector(a.raw("y") ?? .none, what: "argument `y` of `scatter`")
                guard x.count == y.count else {
                    throw Diagnostic("`scatter` pairs x[i] with y[i], but x has \(x.count) values and y \(y.count)", span: nil)
                }
                let marks = try a.raw("marks").map { try PlotArgs.vector($0, what: "argument `marks` of `scatter`").map { v -> Int in
                    guard v.isFinite, v >= 0, v < 64, v == v.rounded() else { throw Diagnostic("`marks=` must hold class numbers 0 to 63, got \(v)", span: nil) }
                    return Int(v)
                } }
                var f = try Figure.scatter(x: x, y: y, marks: marks)
                try PlotArgs.apply(a, to: &f)
                return .object(PlotObject(f))
            },
            BuiltinEntry("hist", [Param("x"), .keyword("bins")] + o, group: g,
                         summary: "histogram of the finite values of x (equal-width bins as numpy.histogram; default Sturges' rule)",
                         examples: ["hist(randn(1000, seed=1), bins=20)"]) { a in
                let x = try PlotArgs.reals(a.raw("x") ?? .none, what: "argument `x` of `hist`")
                var f = try Figure.histogram(x, bins: try a.optionalInt("bins"))
                try PlotArgs.apply(a, to: &f)
                return .object(PlotObject(f))
            },
            BuiltinEntry("heatmap", [Param("A")] + o, group: g,
                         summary: "heatmap of a matrix, row 0 at the top, with a colour bar",
                         examples: ["heatmap(outer(sin(linspace(0, 3, 20)), cos(linspace(0, 3, 30))))"]) { a in
                let t = try a.tensor("A")
                if t.isComplex { throw Diagnostic("`heatmap` needs real values, got a complex tensor", span: nil, help: ["use abs(A)"]) }
                let (rows, cols): (Int, Int)
                switch t.ndim {
                case 0: (rows, cols) = (1, 1)
                case 1: (rows, cols) = (1, t.shape[0])
                case 2: (rows, cols) = (t.shape[0], t.shape[1])
                default: throw Diagnostic("`heatmap` takes a matrix, got shape \(formatShape(t.shape))", span: nil)
                }
                var f = try Figure.heatmap(t.storage, rows: rows, cols: cols)
                try PlotArgs.apply(a, to: &f)
                return .object(PlotObject(f))
            },
            BuiltinEntry("spectrum", [Param("values"), .keyword("residuals"), .keyword("tol", default: .number(0.1)),
                                      .keyword("circle", default: .bool(true))] + o, group: g,
                         summary: "eigenvalues in the complex plane with the unit circle; residuals= marks those above tol= with ×",
                         examples: ["spectrum([0.9 + 0.4im, 0.9 - 0.4im, 0.5])",
                                    "H = simulate(\"henon\", [0.1, 0.1], 500); spectrum(resdmd(H, dict=poly(2)))"]) { a in
                guard let v = a.raw("values") else { throw Diagnostic("missing argument `values` of `spectrum`", span: nil) }
                var values = v
                var residuals = a.raw("residuals")
                if case .object = v, let e = try PlotArgs.field(v, "eigenvalues") {
                    values = e
                    if residuals == nil { residuals = try PlotArgs.field(v, "residuals") }
                } else if case .record = v, let e = try PlotArgs.field(v, "values") {
                    values = e
                    if residuals == nil { residuals = try PlotArgs.field(v, "residuals") }
                }
                let (re, im) = try PlotArgs.complexParts(values, what: "argument `values` of `spectrum`")
                var f: Figure
                if let residuals {
                    let r = try PlotArgs.vector(residuals, what: "argument `residuals` of `spectrum`")
                    f = try Figure.spectrum(re: re, im: im, residuals: r, tolerance: try a.double("tol"))
                } else {
                    f = try Figure.spectrum(re: re, im: im, unitCircle: try a.bool("circle"))
                }
                if !(try a.bool("circle")), case .series(let s) = f.panels[0].layers[0], s.dashed { f.panels[0].layers.removeFirst() }
                try PlotArgs.apply(a, to: &f)
                return .object(PlotObject(f))
            },
            BuiltinEntry("contour", [Param("Z"), .keyword("x"), .keyword("y"), .keyword("levels")] + o, group: g,
                         summary: "level lines of Z on a grid (row 0 at y[0]); x=, y= give [first, last] coordinates; for pseudospectra",
                         examples: ["t = linspace(-1, 1, 30); contour(outer(t, ones(30)) ^ 2 + outer(ones(30), t) ^ 2, levels=[0.25, 0.5, 1])"]) { a in
                let t = try a.tensor("Z")
                guard !t.isComplex, t.ndim == 2 else { throw Diagnostic("`contour` takes a real matrix, got shape \(formatShape(t.shape))", span: nil) }
                func extent(_ key: String, _ n: Int) throws -> (Double, Double) {
                    guard let v = a.raw(key) else { return (0, Double(n - 1)) }
                    let e = try PlotArgs.vector(v, what: "argument `\(key)` of `contour`")
                    guard e.count >= 2, let lo = e.first, let hi = e.last, lo.isFinite, hi.isFinite, lo != hi else {
                        throw Diagnostic("`\(key)=` must give the first and last grid coordinate, e.g. [-1, 1]", span: nil)
                    }
                    return (lo, hi)
                }
                let levels = try a.raw("levels").map { try PlotArgs.vector($0, what: "argument `levels` of `contour`") }
                var f = try Figure.contour(t.storage, rows: t.shape[0], cols: t.shape[1], x: try extent("x", t.shape[1]),
                                           y: try extent("y", t.shape[0]), levels: levels)
                try PlotArgs.apply(a, to: &f)
                return .object(PlotObject(f))
            },
            BuiltinEntry("bar", [Param("heights"), .keyword("labels")] + o, group: g,
                         summary: "bar chart, one bar per value, labelled by labels=",
                         examples: ["bar([3, 5, 2], labels=[\"sgd\", \"adam\", \"lion\"])"]) { a in
                let h = try PlotArgs.vector(a.raw("heights") ?? .none, what: "argument `heights` of `bar`")
                let labels = try a.raw("labels").map { v -> [String] in
                    guard case let .list(items) = v else { throw Diagnostic("`labels=` must be a list of strings", span: nil) }
                    return try items.map { item in
                        guard case let .string(s) = item else { throw Diagnostic("`labels=` must be a list of strings, got a \(item.typeName)", span: nil) }
                        return s
                    }
                }
                var f = try Figure.bar(h, labels: labels)
                try PlotArgs.apply(a, to: &f)
                return .object(PlotObject(f))
            },
            BuiltinEntry("hline", [Param("p"), Param("y"), .keyword("label", default: .string("")), .keyword("panel")], group: g,
                         summary: "the plot with a dashed horizontal line at y (in every panel, or panel= only)",
                         examples: ["hline(plot([1, 3, 2]), 2.5, label=\"2/lr\")"]) { a in
                let p = try PlotArgs.plot(a, "p")
                _ = try PlotArgs.singleAxes(p.figure, for: "hline")
                let y = try a.double("y")
                guard y.isFinite else { throw Diagnostic("`hline` needs a finite height, got \(y)", span: nil) }
                let panel = try a.optionalInt("panel")
                if let panel, panel < 0 || panel >= p.figure.panels.count {
                    throw Diagnostic("`panel=` must be between 0 and \(p.figure.panels.count - 1), got \(panel)", span: nil)
                }
                return .object(PlotObject(p.figure.hline(y, label: try a.string("label"), panel: panel)))
            },
            BuiltinEntry("overlay", [Param("p"), Param("q")], group: g,
                         summary: "p with q drawn on top in the same axes (also written p + q)",
                         examples: ["x = linspace(0, 3, 40); overlay(plot(x, sin(x)), scatter(x, cos(x)))"]) { a in
                let p = try PlotArgs.singleAxes(try PlotArgs.plot(a, "p").figure, for: "overlay")
                return .object(PlotObject(p.overlay(try PlotArgs.singleAxes(try PlotArgs.plot(a, "q").figure, for: "overlay"))))
            },
            BuiltinEntry("grid", [Param("plots"), .keyword("cols", default: .number(2)), .keyword("width"), .keyword("height")], group: g,
                         summary: "whole plots side by side, cols= to a row, each with its own axes, labels and legend (stacked when the terminal is too narrow)",
                         examples: ["x = linspace(0, 3, 40); grid([plot(x, sin(x), title=\"sin\"), plot(x, cos(x), title=\"cos\")])",
                                    "grid([plot([1, 2, 4]), hist([1, 2, 2, 3]), plot([3, 1])], cols=3, width=120).width"]) { a in
                var figures: [Figure] = []
                for (i, v) in try a.list("plots").enumerated() {
                    guard case let .object(o) = v, let p = o as? PlotObject else {
                        throw Diagnostic("`grid` needs a list of plots; item \(i) is \(v.typeName)", span: nil)
                    }
                    figures.append(p.figure)
                }
                guard !figures.isEmpty else { throw Diagnostic("`grid` needs at least one plot", span: nil) }
                let cols = try a.int("cols")
                guard cols >= 1 else { throw Diagnostic("`cols=` must be at least 1, got \(cols)", span: nil) }
                var f = Figure.grid(figures, columns: cols)
                if let w = try a.optionalInt("width") {
                    guard w >= 8, w <= 1000 else { throw Diagnostic("`width=` must be 8–1000 columns, got \(w)", span: nil) }
                    f.width = w
                }
                if let h = try a.optionalInt("height") {
                    guard h >= 4, h <= 1000 else { throw Diagnostic("`height=` must be 4–1000 rows, got \(h)", span: nil) }
                    f.height = h
                }
                return .object(PlotObject(f))
            },
            BuiltinEntry("savefig", [Param("p"), Param("path"), .keyword("width"), .keyword("height"),
                                     .keyword("canvas", default: .string("braille"))], group: g,
                         summary: "writes the plot to a .svg file or a .txt file (text rendering); canvas= braille, block or ascii for .txt",
                         examples: ["savefig(plot([1, 2, 4]), \"/tmp/ritz-example.svg\")"]) { a in
                let p = try PlotArgs.plot(a, "p")
                let path = try a.path("path")
                guard let canvas = CanvasKind(rawValue: try a.string("canvas")) else {
                    throw Diagnostic("`canvas=` must be \"braille\", \"block\" or \"ascii\"", span: nil)
                }
                let w = try a.optionalInt("width") ?? p.displaySize.width, h = try a.optionalInt("height") ?? p.displaySize.height
                guard w >= 8, w <= 1000, h >= 4, h <= 1000 else {
                    throw Diagnostic("`savefig` size must be 8–1000 columns and 4–1000 rows, got \(w)×\(h)", span: nil)
                }
                try World.onLead { try SafeFile.write(p.figure.fileContents(for: path, width: w, height: h, canvas: canvas), to: path) }
                return .none
            },
        ]
    }
}
