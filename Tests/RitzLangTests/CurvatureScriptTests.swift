import Foundation
import Testing
@testable import RitzLang

/// Runs the scripts in `curvature/`: each `# %%` cell's display must equal its `# expect:` lines,
/// or the cell must fail with a message containing its `# expect error:` text. The expected
/// values are derived by hand in the comments beside each cell.
@Suite("Curvature scripts")
struct CurvatureScriptTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("curvature")

    static var scripts: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".ritz") }.sorted()
    }

    @Test("script", arguments: scripts)
    func script(_ name: String) throws {
        let text = try String(contentsOf: Self.folder.appendingPathComponent(name), encoding: .utf8)
        var cells: [[String]] = [[]]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("# %%") { cells.append([]) } else { cells[cells.count - 1].append(line) }
        }
        let session = Session()
        var checked = 0
        for (i, cell) in cells.enumerated() {
            let expected = cell.filter { $0.hasPrefix("# expect: ") }.map { String($0.dropFirst("# expect: ".count)) }
            let expectedError = cell.first { $0.hasPrefix("# expect error: ") }.map { String($0.dropFirst("# expect error: ".count)) }
            let source = cell.joined(separator: "\n")
            let outcome = session.run(cell: source, origin: .cell(i), sink: CollectingSink())
            if let expectedError {
                let messages = outcome.diagnostics.map { "\($0)" }.joined(separator: "\n")
                #expect(outcome.status == .error && messages.contains(expectedError), "\(name) cell \(i): \(messages)")
                checked += 1
            } else if !expected.isEmpty {
                let messages = outcome.diagnostics.map { "\($0)" }.joined(separator: "\n")
                #expect(outcome.status == .ok, "\(name) cell \(i): \(messages)")
                #expect(outcome.display == expected.joined(separator: "\n"), "\(name) cell \(i)")
                checked += 1
            } else {
                #expect(outcome.status == .ok, "\(name) cell \(i)")
            }
        }
        #expect(checked > 0, "\(name) has no expectations")
    }

    static var examples: [String] {
        Builtins.curvature.flatMap { e in e.examples.map { "\(e.name): \($0)" } }
    }

    @Test("every help example of the curvature builtins runs", arguments: examples)
    func example(_ labelled: String) throws {
        let source = String(labelled.drop { $0 != ":" }.dropFirst(2))
        let outcome = Session().run(cell: source, origin: .cell(0), sink: CollectingSink())
        #expect(outcome.status == .ok, "\(labelled): \(outcome.diagnostics.map { "\($0)" })")
    }
}
