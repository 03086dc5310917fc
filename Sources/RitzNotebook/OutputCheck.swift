import Foundation

/// Comparison of a saved notebook's outputs with a re-run, for `ritz check`.
///
/// Cells are matched by position and outputs by index; execution counts are ignored. In the
/// default (tolerant) mode every text output (stream, value, error, a plot's text rendering) is
/// compared as a stream of tokens, not as columns: numbers (`1.234e-05`, `-0.5`, `inf`, `nan`,
/// the parts of `1+2im`, entries of a `[ … ]` tensor display) agree when
/// |a − b| ≤ atol + rtol·max(|a|, |b|) (NumPy's `isclose` made symmetric), every other token must
/// be equal, and whitespace only separates tokens, so a column that moves because a number's
/// printed width changed is not a difference. Runs of one box-drawing character (a plot frame,
/// tick marks) are one token, so a tick mark one column over is not a difference either.
///
/// A plot is compared by its data (`plotDataMIME`, see `PlotOutput.data`) with the same
/// tolerance, and by its text rendering: labels, ticks and legend as tokens, and the braille
/// canvas by its dots. A value within tolerance can cross a pixel boundary and move a dot by one
/// position, so the canvases agree when every dot of each lies within one dot (across, up, down
/// or diagonally) of a dot of the other; a line through a moved point moves by at most one dot
/// along its length, so the same rule covers the lines between points. The SVG is never
/// compared: its bytes follow from the data and the renderer.
///
/// A code cell whose metadata `tags` contain `ritz:skip-check` or `nbval-ignore-output` (the tag
/// nbval users already write) is run but not compared.
public enum OutputCheck {
    /// How outputs are compared.
    public struct Options: Equatable, Sendable {
        /// Relative tolerance for numbers.
        public var rtol: Double
        /// Absolute tolerance for numbers.
        ///
        /// The default, 1e-12, covers rounding residue where the exact value is zero or tiny, which
        /// a relative tolerance cannot: a sum of n O(1) double-precision terms carries an error of
        /// up to n·ε (ε = 2.2e-16), so 1e-12 absorbs the residue of sums of up to ~4,500 such terms
        /// (e.g. a residual printed as `4.94e-15` under one BLAS kernel and `1.09e-14` under
        /// another), while it stays below the last digit of any number printed with 11 decimals or
        /// fewer, so it hides no visible change of an O(1) quantity.
        public var atol: Double
        /// Byte equality of every output (execution counts still ignored).
        public var exact: Bool

        /// Creates options.
        ///
        /// - Parameters:
        ///   - rtol: Relative tolerance (default 1e-6).
        ///   - atol: Absolute tolerance (default 1e-12).
        ///   - exact: Compare bytes instead.
        public init(rtol: Double = 1e-6, atol: Double = 1e-12, exact: Bool = false) {
            self.rtol = rtol
            self.atol = atol
            self.exact = exact
        }
    }

    /// Cell tags that opt a cell out of the comparison.
    public static let skipTags: Set<String> = ["ritz:skip-check", "nbval-ignore-output"]

    /// One cell whose outputs differ.
    public struct Mismatch: Equatable, Sendable {
        /// 1-based position of the cell in the notebook.
        public var cell: Int
        /// The first line of the cell's source.
        public var firstLine: String
        /// 1-based index of the differing output, or nil when the outputs differ in number.
        public var output: Int?
        /// What kind of output it is (`stream stdout`, `value`, `plot`, `error`, …).
        public var kind: String
        /// What differs: the first differing token with both values and the tolerance it broke.
        public var detail: String
        /// Lines of context: the differing region of the two texts (`-` saved, `+` re-run).
        public var context: [String]
    }

    /// The result of a comparison.
    public struct Report: Equatable, Sendable {
        /// Cells whose outputs differ, in order.
        public var mismatches: [Mismatch]
        /// Code cells compared.
        public var compared: Int
        /// Code cells skipped because of a tag.
        public var skipped: Int
        /// Differences in the notebooks' shape (cell count, cell kinds).
        public var structural: [String]

        /// True when nothing differs.
        public var passed: Bool { mismatches.isEmpty && structural.isEmpty }

        /// The report as printable lines: one heading a mismatch, then its context indented.
        public var lines: [String] {
            var out = structural
            for m in mismatches {
                let which = m.output.map { "output \($0) (\(m.kind))" } ?? "outputs"
                out.append("cell \(m.cell) `\(m.firstLine)`, \(which): \(m.detail)")
                out.append(contentsOf: m.context.map { "    " + $0 })
            }
            return out
        }

        /// The one-line summary: how many cells were compared, skipped and differ.
        public var summary: String {
            let skippedNote = skipped > 0 ? ", \(skipped) skipped by tag" : ""
            let cells = "\(compared) \(compared == 1 ? "cell" : "cells") compared"
            if passed { return "\(cells), all outputs match\(skippedNote)" }
            return "\(cells), \(mismatches.count) \(mismatches.count == 1 ? "differs" : "differ")\(skippedNote)"
        }
    }

    /// Compares every code cell of `saved` with the same cell of `rerun`.
    ///
    /// - Parameters:
    ///   - saved: The notebook as saved.
    ///   - rerun: The same notebook after running it again.
    ///   - options: Tolerances, or byte equality.
    /// - Returns: The report.
    public static func compare(saved: Notebook, rerun: Notebook, options: Options = Options()) -> Report {
        var report = Report(mismatches: [], compared: 0, skipped: 0, structural: [])
        if saved.cells.count != rerun.cells.count {
            report.structural.append("cell count differs: saved \(saved.cells.count), re-run \(rerun.cells.count)")
        }
        for index in 0..<min(saved.cells.count, rerun.cells.count) {
            let a = saved.cells[index], b = rerun.cells[index]
            guard a.kind == .code else { continue }
            if isSkipped(a) {
                report.skipped += 1
                continue
            }
            report.compared += 1
            let first = a.source.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
            func mismatch(_ output: Int?, _ kind: String, _ detail: String, _ context: [String] = []) {
                report.mismatches.append(Mismatch(cell: index + 1, firstLine: first, output: output, kind: kind,
                                                  detail: detail, context: context))
            }
            guard b.kind == .code else {
                mismatch(nil, "cell", "the re-run cell is \(b.kind.rawValue), not code")
                continue
            }
            let savedOutputs = mergingStreams(a.outputs), rerunOutputs = mergingStreams(b.outputs)
            for k in 0..<min(savedOutputs.count, rerunOutputs.count) {
                if let (detail, context) = compare(savedOutputs[k], rerunOutputs[k], options: options) {
                    mismatch(k + 1, kindName(savedOutputs[k]), detail, context)
                    break
                }
            }
            if !report.mismatches.contains(where: { $0.cell == index + 1 }), savedOutputs.count != rerunOutputs.count {
                let extra = savedOutputs.count > rerunOutputs.count ? savedOutputs[rerunOutputs.count] : rerunOutputs[savedOutputs.count]
                let side = savedOutputs.count > rerunOutputs.count ? "missing from the re-run" : "new in the re-run"
                mismatch(nil, "outputs", "saved \(savedOutputs.count) outputs, re-run \(rerunOutputs.count); "
                            + "output \(min(savedOutputs.count, rerunOutputs.count) + 1) (\(kindName(extra))) is \(side)",
                         firstLines(of: extra.plainText, sign: savedOutputs.count > rerunOutputs.count ? "-" : "+"))
            }
        }
        return report
    }

    /// Outputs with each run of adjacent `stream` outputs of one name joined into one, as Jupyter
    /// front ends show them: a kernel sends a cell's printed text in pieces while it runs, ritz's
    /// own runs save it whole.
    ///
    /// - Parameter outputs: A cell's outputs.
    /// - Returns: The same outputs, adjacent streams of the same name merged.
    static func mergingStreams(_ outputs: [CellOutput]) -> [CellOutput] {
        var merged: [CellOutput] = []
        for output in outputs {
            if case .stream(let name, let text) = output, case .stream(name, let previous)? = merged.last {
                merged[merged.count - 1] = .stream(name: name, text: previous + text)
            } else {
                merged.append(output)
            }
        }
        return merged
    }

    /// Whether a cell's metadata tags opt it out of the comparison.
    ///
    /// - Parameter cell: The saved cell.
    /// - Returns: True when `tags` holds one of `skipTags`.
    public static func isSkipped(_ cell: Cell) -> Bool {
        let tags = cell.metadata["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return tags.contains(where: skipTags.contains)
    }

    /// A short name for an output's kind.
    static func kindName(_ output: CellOutput) -> String {
        switch output {
        case .stream(let name, _): return "stream \(name)"
        case .result(_, let data): return data[svgMIME] != nil || data[plotDataMIME] != nil ? "plot" : "value"
        case .display(let data): return data[svgMIME] != nil || data[plotDataMIME] != nil ? "plot" : "display"
        case .error: return "error"
        }
    }

    /// The first difference between two outputs, or nil when they agree.
    ///
    /// - Returns: What differs and lines of context.
    static func compare(_ a: CellOutput, _ b: CellOutput, options: Options) -> (String, [String])? {
        if options.exact { return compareExact(a, b) }
        switch (a, b) {
        case (.stream(let na, let ta), .stream(let nb, let tb)):
            if na != nb { return ("stream \(na) became \(nb)", []) }
            return compareText(ta, tb, options: options)
        case (.error(let na, _, _), .error(let nb, _, _)):
            if na != nb { return ("error \(na) became \(nb)", []) }
            return compareText(a.plainText, b.plainText, options: options)
        case (.result(_, let da), .result(_, let db)), (.display(let da), .display(let db)):
            return compareBundle(da, db, options: options)
        default:
            return ("a \(typeName(a)) output became a \(typeName(b)) output", [])
        }
    }

    /// The kind of an output, with its nbformat type when the kind alone does not tell two apart
    /// (a plotted value is an `execute_result`, a live plot `display_data`).
    static func typeName(_ output: CellOutput) -> String {
        switch output {
        case .result: return kindName(output) == "plot" ? "plot (execute_result)" : kindName(output)
        case .display: return kindName(output) == "plot" ? "plot (display_data)" : kindName(output)
        default: return kindName(output)
        }
    }

    /// Byte equality of two outputs, ignoring a value's execution count.
    static func compareExact(_ a: CellOutput, _ b: CellOutput) -> (String, [String])? {
        var left = a, right = b
        if case .result(_, let d) = a { left = .result(executionCount: nil, data: d) }
        if case .result(_, let d) = b { right = .result(executionCount: nil, data: d) }
        if left == right { return nil }
        if kindName(a) != kindName(b) { return ("a \(kindName(a)) output became a \(kindName(b)) output", []) }
        let ta = a.plainText, tb = b.plainText
        if ta == tb {
            let mimes = Set(bundle(of: a).keys).union(bundle(of: b).keys).sorted()
            let differing = mimes.filter { bundle(of: a)[$0] != bundle(of: b)[$0] }
            return ("bytes differ (--exact) in \(differing.joined(separator: ", ")); the text is the same", [])
        }
        let la = lines(ta), lb = lines(tb)
        let line = firstDifferingLine(la, lb)
        return ("bytes differ (--exact) from line \(line + 1)", regionDiff(la, lb))
    }

    static func bundle(of output: CellOutput) -> [String: String] {
        switch output {
        case .result(_, let d), .display(let d): return d
        default: return [:]
        }
    }

    /// Compares MIME bundles: a plot by its data and text rendering, anything else by its text.
    static func compareBundle(_ a: [String: String], _ b: [String: String], options: Options) -> (String, [String])? {
        let textA = a[textMIME] ?? "", textB = b[textMIME] ?? ""
        let isPlot = a[svgMIME] != nil || a[plotDataMIME] != nil
        if isPlot != (b[svgMIME] != nil || b[plotDataMIME] != nil) {
            return (isPlot ? "the plot became a value" : "the value became a plot", [])
        }
        if isPlot {
            if let ja = a[plotDataMIME].flatMap({ try? JSONValue.parse(Data($0.utf8)) }),
               let jb = b[plotDataMIME].flatMap({ try? JSONValue.parse(Data($0.utf8)) }),
               let difference = compareJSON(ja, jb, path: "", options: options) {
                return ("plot data " + difference, [])
            }
            return comparePlotText(textA, textB, options: options)
        }
        for mime in Set(a.keys).union(b.keys).sorted() where mime != textMIME && a[mime] != b[mime] {
            return ("\(mime) differs", [])
        }
        return compareText(textA, textB, options: options)
    }

    // MARK: Running

    /// Runs every code cell of a saved session and compares the outputs with the saved ones.
    ///
    /// Cells run in order whether or not earlier ones failed (an error output is compared like
    /// any other output); tagged cells run too, so later cells see their variables.
    ///
    /// - Parameters:
    ///   - saved: The session as saved.
    ///   - evaluator: A fresh language session.
    ///   - options: Tolerances, or byte equality.
    /// - Returns: The report.
    /// - Throws: `NotebookError` when a journal write fails (none is used here, so in practice never).
    public static func run(_ saved: Notebook, evaluator: any CellEvaluator, options: Options = Options()) throws -> Report {
        var rerun = saved
        try NotebookRunner(evaluator: evaluator).runAll(&rerun, stopOnError: false)
        return compare(saved: saved, rerun: rerun, options: options)
    }

    /// `ritz check FILE`: loads a session, re-runs it, prints the report; the command's exit status.
    ///
    /// - Parameters:
    ///   - path: The `.ipynb` file.
    ///   - options: Tolerances, or byte equality.
    ///   - evaluator: A fresh language session.
    ///   - print: Where report lines go (standard output by default).
    /// - Returns: 0 when every compared output matches, 1 on any difference or when the file
    ///   cannot be read (the reason is printed).
    public static func command(path: String, options: Options, evaluator: any CellEvaluator,
                               print: (String) -> Void = { Swift.print($0) }) -> Int32 {
        let report: Report
        do {
            report = try run(try Notebook.load(path: path), evaluator: evaluator, options: options)
        } catch {
            FileHandle.standardError.write(Data("ritz: \(error)\n".utf8))
            return 1
        }
        if report.passed {
            print("\(path): \(report.summary)")
            return 0
        }
        print("\(path): outputs differ (\(report.summary))")
        for line in report.lines { print(line) }
        return 1
    }
}
