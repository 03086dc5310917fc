import Testing
@testable import RitzLang

/// The examples of `?language` run: every fenced block of `LanguageGuide.text`, in order, in
/// one session; a line ending in `# → text` must display exactly `text`.
@Suite struct LanguageGuideTests {
    /// One piece of a block: code run as a cell, and the display it must give (nil: any, or none).
    struct Step {
        let code: String
        let expected: String?
    }

    /// The guide's blocks cut into steps: the lines before a `# →` line form one cell (so
    /// multi-line functions stay whole), the `# →` line another.
    static func steps(_ text: String) -> [Step] {
        var steps: [Step] = []
        var pending: [String] = []
        var inBlock = false
        func flush() {
            if !pending.isEmpty { steps.append(Step(code: pending.joined(separator: "\n"), expected: nil)) }
            pending = []
        }
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingPrefix(while: { $0 == " " })
            if line.hasPrefix("```") {
                if inBlock { flush() }
                inBlock = line == "```ritz"
                continue
            }
            guard inBlock else { continue }
            if let arrow = raw.range(of: "# → ") {
                flush()
                steps.append(Step(code: String(raw[..<arrow.lowerBound]), expected: String(raw[arrow.upperBound...])))
            } else {
                pending.append(String(raw))
            }
        }
        return steps
    }

    @Test("the guide's examples run and show what it says")
    func examplesRun() {
        let steps = LanguageGuideTests.steps(LanguageGuide.text)
        #expect(steps.count > 40, "the guide lost its examples")
        #expect(steps.filter { $0.expected != nil }.count > 30)
        let session = Session(seed: 1)
        for (k, step) in steps.enumerated() {
            let out = session.run(cell: step.code, origin: .cell(k + 1), sink: CollectingSink())
            #expect(out.status == .ok, "\(step.code)\n→ \(out.diagnostics.map { $0.render() })")
            if let e = step.expected { #expect(out.display == e, "\(step.code)\n→ \(out.display ?? "nothing"), expected \(e)") }
        }
    }

    @Test("the guide covers the topics users look for")
    func topics() {
        let text = LanguageGuide.text
        for topic in ["Broadcasting", "Lists and tensors", "Names and scoping", "Records, tuples and unpacking", "pipes",
                      "Values, not references", "Integer results", "Derivatives", "`**`", "`//`", "`None`", "`...`",
                      "`eigh(A)` returns eigenvalues ascending", "`time(expr)`", "grad(f)(x)"] {
            #expect(text.contains(topic), "?language does not mention \(topic)")
        }
        #expect(text.split(separator: "\n").count > 150, "?language should be several screens long")
        #expect(Session().help("language") == text)
    }
}
