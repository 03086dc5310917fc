import Foundation
import Testing
@testable import RitzLang

/// Runs the scripts in this folder: each `# %%` cell's output (printed text, then the value's
/// display) must equal its `# expect:` lines, or the cell must fail with a message containing
/// its `# expect error:` text. The plot renderings expected here are the same layouts the
/// RitzPlot golden tests fix, at small sizes. `RITZ_PLOT_REGENERATE=1` rewrites the `# expect:`
/// lines from the current output (only deliberately, reviewing the diff before committing).
@Suite("Plot scripts")
struct PlotScriptTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    static var scripts: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".ritz") }.sorted()
    }

    /// A session whose registry has the plot builtins (registered here too, in case the
    /// standard registry does not list them yet).
    static func session() -> Session {
        let registry = BuiltinRegistry.standard()
        if registry.entry("plot") == nil { registry.register(Builtins.plots) }
        return Session(registry: registry)
    }

    @Test("script", arguments: scripts)
    func script(_ name: String) throws {
        let text = try String(contentsOf: Self.folder.appendingPathComponent(name), encoding: .utf8)
        var cells: [[String]] = [[]]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("# %%") { cells.append([]) } else { cells[cells.count - 1].append(line) }
        }
        let session = Self.session()
        let regenerate = ProcessInfo.processInfo.environment["RITZ_PLOT_REGENERATE"] == "1"
        var rewritten: [[String]] = []
        var checked = 0
        for (i, cell) in cells.enumerated() {
            let expected = cell.filter { $0.hasPrefix("# expect: ") || $0 == "# expect:" }
                .map { String($0.dropFirst(min($0.count, "# expect: ".count))) }
            let expectedError = cell.first { $0.hasPrefix("# expect error: ") }.map { String($0.dropFirst("# expect error: ".count)) }
            let sink = CollectingSink()
            let outcome = session.run(cell: cell.joined(separator: "\n"), origin: .cell(i), sink: sink)
            let messages = outcome.diagnostics.map { $0.render() }.joined(separator: "\n")
            if let expectedError {
                #expect(outcome.status == .error && messages.contains(expectedError), "\(name) cell \(i): \(messages)")
                checked += 1
            } else if !expected.isEmpty {
                #expect(outcome.status == .ok, "\(name) cell \(i): \(messages)")
                var output = sink.transcript
                while output.hasSuffix("\n") { output.removeLast() }
                let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map {
                    var s = String($0)
                    while s.hasSuffix(" ") { s.removeLast() }
                    return s
                }
                if regenerate {
                    rewritten.append(cell.filter { !($0.hasPrefix("# expect: ") || $0 == "# expect:") }
                                     + lines.map { $0.isEmpty ? "# expect:" : "# expect: " + $0 })
                    continue
                }
                #expect(lines == expected, "\(name) cell \(i):\n\(lines.joined(separator: "\n"))")
                checked += 1
            } else {
                #expect(outcome.status == .ok, "\(name) cell \(i): \(messages)")
            }
            rewritten.append(cell)
        }
        if regenerate {
            let body = rewritten.enumerated().map { i, lines in (i == 0 ? "" : "# %%\n") + lines.joined(separator: "\n") }.joined(separator: "\n")
            try body.write(to: Self.folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
            return
        }
        #expect(checked > 0, "\(name) has no expectations")
    }

    @Test func everyPlotBuiltinHasARunnableExample() {
        for entry in Builtins.plots {
            #expect(!entry.examples.isEmpty, "\(entry.name) has no example")
            let session = Self.session()
            for example in entry.examples {
                let outcome = session.run(cell: example, origin: .cell(1), sink: CollectingSink())
                #expect(outcome.status == .ok, "\(entry.name): \(example)\n\(outcome.diagnostics.map { $0.render() })")
            }
        }
    }
}
