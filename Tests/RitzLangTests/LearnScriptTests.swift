import Foundation
import Testing
@testable import RitzLang

/// Runs the scripts in `learn/`: each `# %%` cell's display must equal its `# expect:` lines,
/// or the cell must fail with a message containing its `# expect error:` text. The expected
/// values are derived by hand in the comments beside each cell.
@Suite("Learn scripts")
struct LearnScriptTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("learn")

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
}

/// Every example in the help of the learning builtins runs without error.
@Suite("Learn builtin examples")
struct LearnExampleTests {
    static var entries: [String] { Builtins.learn.map(\.name) }

    @Test("example", arguments: entries)
    func example(_ name: String) throws {
        let session = Session()
        guard let entry = session.registry.entry(name) else {
            Issue.record("\(name) is not registered")
            return
        }
        #expect(!entry.examples.isEmpty)
        for (i, source) in entry.examples.enumerated() {
            let outcome = session.run(cell: source, origin: .cell(i), sink: CollectingSink())
            #expect(outcome.status == .ok, "\(name): \(outcome.diagnostics.map { "\($0)" })")
        }
    }
}
