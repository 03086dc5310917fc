import Foundation
import Testing
import RitzPlot
@testable import RitzNotebook

/// A one-cell notebook whose cell has `outputs`.
private func notebook(_ outputs: [CellOutput], source: String = "x = f(1)\nx", tags: [String] = []) -> Notebook {
    let metadata: [String: JSONValue] = tags.isEmpty ? [:] : ["tags": .array(tags.map { .string($0) })]
    return Notebook(cells: [
        Cell(id: "md", kind: .markdown, source: "# heading"),
        Cell(id: "c", source: source, executionCount: 1, outputs: outputs, metadata: metadata),
    ])
}

private func report(_ saved: [CellOutput], _ rerun: [CellOutput], options: OutputCheck.Options = .init(),
                    tags: [String] = []) -> OutputCheck.Report {
    OutputCheck.compare(saved: notebook(saved, tags: tags), rerun: notebook(rerun, tags: tags), options: options)
}

private func stream(_ text: String) -> CellOutput { .stream(name: "stdout", text: text) }

@Suite("check: tokens and tolerances")
struct OutputCheckTokenTests {
    @Test("tokenising printed text", arguments: [
        ("loss 1.234e-05, acc -0.5", ["loss", "1.234e-05", ",", "acc", "-0.5"], [nil, 1.234e-5, nil, nil, -0.5]),
        ("1+2im 3-0.5im", ["1", "+2", "im", "3", "-0.5", "im"], [1, 2, nil, 3, -0.5, nil]),
        ("[ 1. -2.]", ["[", "1.", "-2.", "]"], [nil, 1, -2, nil]),
        ("inf -inf NaN info", ["inf", "-inf", "NaN", "info"], [.infinity, -.infinity, .nan, nil]),
        ("x1 conv2d x-1 f(x)-1", ["x1", "conv2d", "x", "-", "1", "f", "(", "x", ")", "-", "1"],
         [nil, nil, nil, nil, 1, nil, nil, nil, nil, nil, 1]),
        ("└───┬──┘ .5", ["└", "─", "┬", "─", "┘", ".5"], [nil, nil, nil, nil, nil, 0.5]),
    ] as [(String, [String], [Double?])])
    func tokens(_ text: String, _ expected: [String], _ values: [Double?]) {
        let tokens = OutputCheck.tokens(text)
        #expect(tokens.map(\.text) == expected)
        #expect(tokens.count == values.count)
        for (token, value) in zip(tokens, values) {
            switch (token.value, value) {
            case (nil, nil): break
            case (let a?, let b?) where a.isNaN && b.isNaN: break
            case (let a?, let b?): #expect(a == b, "\(token.text)")
            default: Issue.record("\(token.text): value \(String(describing: token.value)), expected \(String(describing: value))")
            }
        }
    }

    /// |a − b| ≤ atol + rtol·max(|a|, |b|) with rtol 1e-6, atol 1e-12; the cases sit on either
    /// side of the bound by a factor of 2 or more, far from rounding of the test's own arithmetic.
    @Test("numbers within and beyond tolerance", arguments: [
        (1.0, 1.0 + 4e-7, true), (1.0, 1.0 + 2.5e-6, false), (-3e5, -3e5 * (1 + 5e-7), true),
        (0.0, 4e-13, true), (0.0, 3e-12, false), (4.94e-15, 1.09e-14, true),
        (Double.nan, Double.nan, true), (Double.infinity, Double.infinity, true),
        (Double.infinity, -Double.infinity, false), (1.0, Double.nan, false),
    ])
    func close(_ a: Double, _ b: Double, _ agree: Bool) {
        #expect(OutputCheck.close(a, b, options: .init()) == agree)
        #expect(OutputCheck.close(b, a, options: .init()) == agree)
    }

    @Test("numbers inside text, tensors and complex values compare with the tolerance")
    func tolerantText() {
        #expect(report([stream("[1.38197 3.61803]\n")], [stream("[1.381970000001 3.61803]\n")]).passed)
        #expect(report([stream("z = 1+2im\n")], [stream("z = 1.0000001+1.9999999im\n")]).passed)
        #expect(report([stream("residual 4.94e-15\n")], [stream("residual 1.09e-14\n")]).passed)
        #expect(!report([stream("loss 0.01122\n")], [stream("loss 0.01127\n")]).passed)
        #expect(!report([stream("status ok\n")], [stream("status bad\n")]).passed)
        #expect(report([stream("a b c\n")], [stream("a b\n")]).mismatches.first?.detail
            == "line 1, token 3 differs: saved has `c` where the re-run ends")
    }

    @Test("a number's printed width moving the columns is not a difference")
    func columns() {
        let saved = "2×2 tensor\n  1.5   10.25\n 100.5  -2\n"
        let rerun = "2×2 tensor\n 1.5  10.25\n100.5 -2\n"
        #expect(report([.result(executionCount: 1, data: [textMIME: saved])],
                       [.result(executionCount: 1, data: [textMIME: rerun])]).passed)
    }

    @Test("exact mode compares bytes but still ignores execution counts")
    func exact() {
        let exact = OutputCheck.Options(exact: true)
        #expect(!report([stream("x 1.0000001\n")], [stream("x 1.0000002\n")], options: exact).passed)
        #expect(report([stream("x 1.0000001\n")], [stream("x 1.0000002\n")]).passed)
        #expect(!report([stream("a  b\n")], [stream("a b\n")], options: exact).passed)
        #expect(report([.result(executionCount: 4, data: [textMIME: "7"])],
                       [.result(executionCount: 1, data: [textMIME: "7"])], options: exact).passed)
    }

    @Test("the report names the cell, its first line, the output and the token with both values and the bound")
    func wording() {
        let r = report([stream("start\n"), .result(executionCount: 1, data: [textMIME: "loss 0.5 at step 3"])],
                       [stream("start\n"), .result(executionCount: 2, data: [textMIME: "loss 0.6 at step 3"])])
        #expect(r.summary == "1 cell compared, 1 differs")
        let m = r.mismatches.first
        #expect(m?.cell == 2)
        #expect(m?.firstLine == "x = f(1)")
        #expect(m?.output == 2)
        #expect(m?.kind == "value")
        #expect(r.lines.first == "cell 2 `x = f(1)`, output 2 (value): line 1, token 2 differs: saved 0.5, re-run 0.6 "
            + "(|Δ| = 0.1 > atol 1e-12 + rtol 1e-06·0.6 = 6e-07)")
        #expect(r.lines.contains("    - loss 0.5 at step 3"))
        #expect(r.lines.contains("    + loss 0.6 at step 3"))
    }

    @Test("a cell without a plot is never reported as one; a kind change is named")
    func kinds() {
        let r = report([.error(name: "error", value: "m", traceback: ["error: bad 1"])],
                       [.error(name: "error", value: "m", traceback: ["error: bad 2"])])
        #expect(r.mismatches.first?.kind == "error")
        #expect(r.lines.first?.contains("plot") == false)
        let k = report([stream("1\n")], [.result(executionCount: 1, data: [textMIME: "1"])])
        #expect(k.mismatches.first?.detail == "a stream stdout output became a value output")
        let live = CellOutput.display(data: [textMIME: "⠁", svgMIME: "<svg/>"])
        let value = CellOutput.result(executionCount: 1, data: [textMIME: "⠁", svgMIME: "<svg/>"])
        #expect(report([live], [value]).mismatches.first?.detail
            == "a plot (display_data) output became a plot (execute_result) output")
        let n = report([stream("1\n"), .result(executionCount: 1, data: [textMIME: "2"])], [stream("1\n")])
        #expect(n.mismatches.first?.output == nil)
        #expect(n.mismatches.first?.detail == "saved 2 outputs, re-run 1; output 2 (value) is missing from the re-run")
    }

    @Test("a tagged cell runs but is not compared, and the report counts it",
          arguments: ["ritz:skip-check", "nbval-ignore-output"])
    func skipped(_ tag: String) {
        let r = report([stream("chaos 1.5\n")], [stream("chaos 2.5\n")], tags: [tag])
        #expect(r.passed)
        #expect(r.skipped == 1)
        #expect(r.compared == 0)
        #expect(r.summary == "0 cells compared, all outputs match, 1 skipped by tag")
        #expect(!report([stream("chaos 1.5\n")], [stream("chaos 2.5\n")], tags: ["other"]).passed)
    }

    @Test("cell tags survive the ipynb codec and the percent script")
    func tagsRoundTrip() throws {
        let nb = notebook([stream("1\n")], tags: ["ritz:skip-check"])
        let back = try Notebook(ipynb: nb.ipynbData())
        #expect(OutputCheck.isSkipped(back.cells[1]))
        let script = nb.percentScript()
        #expect(script.contains("# %% tags=[\"ritz:skip-check\"]\n"))
        let fromScript = Notebook(percentScript: script)
        #expect(fromScript.cells[1].metadata["tags"] == .array([.string("ritz:skip-check")]))
        #expect(Notebook(percentScript: "# %% tags=[\"a\", \"b\"]\nx").cells[0].metadata["tags"]
            == .array([.string("a"), .string("b")]))
        #expect(Notebook(percentScript: "# %% tags=oops\nx").cells[0].metadata.isEmpty)
    }
}

@Suite("check: plots")
struct OutputCheckPlotTests {
    /// A plot output made the way the notebook saves one: text, SVG and data.
    func plot(_ y: [Double]) throws -> CellOutput {
        var figure = try Figure.line(y, name: "curve")
        figure.title = "t"
        return .display(data: PlotOutput.bundle(figure))
    }

    let base: [Double] = (0..<40).map { sin(Double($0) / 5) + 2 }

    @Test("a plot's data within tolerance passes even though its SVG bytes differ")
    func dataWithin() throws {
        let saved = try plot(base), rerun = try plot(base.map { $0 * (1 + 3e-7) })
        #expect(saved.svg != rerun.svg)
        #expect(report([saved], [rerun]).passed)
    }

    @Test("a plot's data beyond tolerance is reported with its path and both values")
    func dataBeyond() throws {
        var changed = base
        changed[17] *= 1 + 1e-4
        let r = report([try plot(base)], [try plot(changed)])
        #expect(r.mismatches.first?.kind == "plot")
        let detail = try #require(r.mismatches.first?.detail)
        #expect(detail.hasPrefix("plot data panels[0].layers[0].y[17] differs: saved \(JSONValue.format(base[17])), re-run"))
        #expect(detail.contains("> atol 1e-12 + rtol 1e-06·"))
    }

    @Test("plot data keeps every number of the figure, non-finite ones as strings")
    func dataJSON() throws {
        var figure = try Figure.line([1, .nan, 3], x: [0, 1, 2], name: "a")
        figure.addHLine(2.5, label: "2/lr")
        let json = PlotOutput.data(figure)
        #expect(json["panels"]?.arrayValue?.first?["layers"]?.arrayValue?.first?["y"]
            == .array([.number(1), .string("nan"), .number(3)]))
        #expect(json["panels"]?.arrayValue?.first?["hlines"]?.arrayValue?.first?["y"] == .number(2.5))
        // A long series keeps evenly spaced samples, first and last included, and its length.
        let long = PlotOutput.data(try Figure.line((0..<2000).map(Double.init)))
        let layer = long["panels"]?.arrayValue?.first?["layers"]?.arrayValue?.first
        let kept = layer?["y"]?.arrayValue ?? []
        #expect(kept.count == PlotOutput.savedValuesPerArray)
        #expect(kept.first == .number(0) && kept.last == .number(1999))
        #expect(layer?["count"] == .number(2000))
        // The data survive a save and a load.
        let nb = notebook([.display(data: PlotOutput.bundle(figure))])
        let back = try Notebook(ipynb: nb.ipynbData())
        #expect(OutputCheck.compare(saved: nb, rerun: back, options: .init(exact: true)).passed)
    }

    /// Braille dots: ⠁ is dot (0,0), ⠂ is (0,1), ⠄ is (0,2), ⠈ is (1,0) of a cell.
    @Test("the canvas may move a dot by one position, not two", arguments: [
        ("1 ┤⠁⠀│", "1 ┤⠂⠀│", true), ("1 ┤⠁⠀│", "1 ┤⠈⠀│", true), ("1 ┤⠈⠀│", "1 ┤⠀⠁│", true),
        ("1 ┤⠁⠀│", "1 ┤⠄⠀│", false), ("1 ┤⠁⠀│", "1 ┤⠀⠁│", false), ("1 ┤⠁⠀│", "1 ┤⠀⠀│", false),
        ("1 ┤⠁⠀│", "2 ┤⠁⠀│", false), ("1 ┤●⠀│", "1 ┤⠀●│", true),
    ])
    func canvas(_ saved: String, _ rerun: String, _ agree: Bool) {
        let r = report([.plot(text: saved + "\n  ⠀⠀ x", svg: "<svg/>")], [.plot(text: rerun + "\n  ⠀⠀ x", svg: "<svg a/>")])
        #expect(r.passed == agree)
        if !agree, saved.first == rerun.first {
            #expect(r.mismatches.first?.detail.hasPrefix("the canvas differs by more than one dot") == true)
        }
    }
}

@Suite("check: context and running")
struct OutputCheckRunTests {
    @Test("the differing region of 40,000 differing lines is shown in bounded memory")
    func linearMemory() {
        let a = (0..<40_000).map { "saved line \($0)" }
        let b = (0..<40_000).map { "other line \($0)" }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let before = usage.ru_maxrss
        let r = report([stream(a.joined(separator: "\n"))], [stream(b.joined(separator: "\n"))])
        let diff = OutputCheck.regionDiff(["same"] + a + ["tail"], ["same"] + b + ["tail"])
        getrusage(RUSAGE_SELF.rawValue, &usage)
        // ru_maxrss is in KiB. An LCS table for these inputs would take 40,001² Ints = 12.8 GB;
        // the strings themselves take a few MB.
        #expect(usage.ru_maxrss - before < 256 * 1024)
        #expect(r.mismatches.first?.detail.hasPrefix("line 1, token 1 differs: saved `saved`, re-run `other`") == true)
        #expect(diff == ["  same"] + (0..<6).map { "- saved line \($0)" } + ["- … 39994 more lines"]
            + (0..<6).map { "+ other line \($0)" } + ["+ … 39994 more lines"])
    }

    @Test("region diff keeps context before the first difference", arguments: [
        (["a", "b", "c"], ["a", "x", "c"], ["  a", "- b", "+ x"]),
        ([], ["n"], ["+ n"]),
        (["a", "b", "c", "d", "e"], ["a", "b", "c", "d", "f"], ["  …", "  c", "  d", "- e", "+ f"]),
    ])
    func region(_ a: [String], _ b: [String], _ expected: [String]) {
        #expect(OutputCheck.regionDiff(a, b) == expected)
    }

    @Test("a session saved after re-running cells (counts not 1..n) passes check")
    func rerunCounts() throws {
        var nb = Notebook(cells: [
            Cell(id: "a", source: "x = linspace(0, 1, 30)\nprint(sum(x ^ 2))"),
            Cell(id: "b", kind: .markdown, source: "text"),
            Cell(id: "c", source: "eigh([2, 1; 1, 3]).values"),
            Cell(id: "d", source: "plot(sin(6 * x), title=\"s\")"),
        ])
        try NotebookRunner(evaluator: SessionEvaluator()).runAll(&nb, stopOnError: false)
        #expect(nb.cells[3].outputs.first?.svg != nil)
        // As an interactive session leaves it: cells re-run out of order, counts 7, 3, 12.
        for (index, count) in [(0, 7), (2, 3), (3, 12)] {
            nb.cells[index].executionCount = count
            nb.cells[index].outputs = nb.cells[index].outputs.map {
                if case .result(_, let data) = $0 { return .result(executionCount: count, data: data) }
                return $0
            }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(getpid()).ipynb").path
        try nb.save(path: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var printed: [String] = []
        let status = OutputCheck.command(path: path, options: .init(), evaluator: SessionEvaluator()) { printed.append($0) }
        #expect(status == 0)
        #expect(printed == ["\(path): 3 cells compared, all outputs match"])
        let exact = OutputCheck.command(path: path, options: .init(exact: true), evaluator: SessionEvaluator()) { _ in }
        #expect(exact == 0)
    }

    @Test("a changed session fails check and names the cell")
    func changed() throws {
        var nb = Notebook(cells: [Cell(id: "a", source: "print(1.5)")])
        try NotebookRunner(evaluator: SessionEvaluator()).runAll(&nb, stopOnError: false)
        nb.cells[0].outputs = [.stream(name: "stdout", text: "1.6\n")]
        let r = try OutputCheck.run(nb, evaluator: SessionEvaluator())
        #expect(r.lines.first == "cell 1 `print(1.5)`, output 1 (stream stdout): line 1, token 1 differs: saved 1.6, "
            + "re-run 1.5 (|Δ| = 0.1 > atol 1e-12 + rtol 1e-06·1.6 = 1.6e-06)")
    }
}

@Suite("check: printed text in pieces")
struct OutputCheckStreamTests {
    @Test("adjacent stream outputs compare as one, as a kernel sends them in pieces")
    func piecesMatchWhole() {
        let value = CellOutput.result(executionCount: 1, data: [textMIME: "3"])
        #expect(report([stream("a 1\nb 2\n"), value], [stream("a 1\n"), stream("b 2\n"), value]).passed)
        // Text on both sides of another output stays two outputs.
        #expect(!report([stream("a 1\nb 2\n"), value], [stream("a 1\n"), value, stream("b 2\n")]).passed)
        // A stderr piece is not joined to stdout.
        #expect(!report([stream("a 1\nb 2\n")], [stream("a 1\n"), .stream(name: "stderr", text: "b 2\n")]).passed)
    }
}
