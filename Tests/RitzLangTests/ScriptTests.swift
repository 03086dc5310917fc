import Foundation
import Testing
@testable import RitzLang

/// Runs every script under `Scripts/<feature>/` and compares its output with the `# expect: …`
/// and `# expect error: …` lines written in it, in order. Printed text and cell values form the
/// output; an error ends its cell and contributes `error: <message>`, which an `# expect error:`
/// line matches when the message contains its text.
@Suite struct ScriptTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts")

    /// Every script, as a path relative to `Scripts/` (the test case names).
    static let scripts: [String] = {
        guard let e = FileManager.default.enumerator(atPath: root.path) else { return [] }
        return e.compactMap { $0 as? String }.filter { $0.hasSuffix(".ritz") }.sorted()
    }()

    /// Runs a script; returns the output lines and the expected lines.
    static func run(_ text: String, name: String) -> (actual: [String], expected: [String]) {
        var expected: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let t = line.drop { $0 == " " }
            if t.hasPrefix("# expect error:") {
                expected.append("error: " + t.dropFirst("# expect error:".count).drop { $0 == " " })
            } else if t.hasPrefix("# expect:") {
                let rest = t.dropFirst("# expect:".count)
                expected.append(String(rest.hasPrefix(" ") ? rest.dropFirst() : rest))
            }
        }
        let session = Session()
        let sink = CollectingSink()
        var transcript = ""
        for cell in ScriptCells.split(text) {
            let before = sink.events.count
            let out = session.run(cell: cell.text, origin: .file(name, lineOffset: cell.lineOffset), sink: sink)
            for e in sink.events[before...] {
                switch e {
                case let .text(s): transcript += s
                case let .value(s), let .display(s): transcript += s + "\n"
                default: break
                }
            }
            if out.status != .ok {
                transcript += "error: " + (out.diagnostics.first?.message ?? "?") + "\n"
            }
        }
        var actual = transcript.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if actual.last == "" { actual.removeLast() }
        return (actual, expected)
    }

    @Test("script", arguments: scripts)
    func script(_ path: String) throws {
        let text = try String(contentsOf: ScriptTests.root.appendingPathComponent(path), encoding: .utf8)
        let (actual, expected) = ScriptTests.run(text, name: path)
        #expect(!expected.isEmpty, "\(path) has no expectations")
        let matches = actual.count == expected.count && zip(actual, expected).allSatisfy { a, e in
            a == e || (e.hasPrefix("error: ") && a.hasPrefix("error: ") && a.contains(e.dropFirst("error: ".count)))
        }
        #expect(matches, "\(path)\n--- actual\n\(actual.joined(separator: "\n"))\n--- expected\n\(expected.joined(separator: "\n"))")
    }
}
