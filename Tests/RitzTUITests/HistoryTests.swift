import Foundation
import Testing
@testable import RitzNotebook
@testable import RitzTUI

@Suite("history")
struct HistoryTests {
    @Test("Up walks back through entries starting with the typed prefix; Down returns to the draft")
    func prefixSearch() {
        var h = History(entries: ["x = 1", "plot(x)", "x = 2", "y = 3"])
        #expect(h.previous(current: "x") == "x = 2")
        #expect(h.previous(current: "x = 2") == "x = 1")
        #expect(h.previous(current: "x = 1") == nil)
        #expect(h.next() == "x = 2")
        #expect(h.next() == "x")
        #expect(h.next() == nil)
        #expect(h.previous(current: "") == "y = 3")
    }

    @Test("reverse search finds the newest match, then older ones")
    func reverseSearch() {
        let h = History(entries: ["train(m)", "a = 1", "train(m, steps=5)", "b"])
        #expect(h.search("train")?.index == 2)
        #expect(h.search("train", before: 2)?.index == 0)
        #expect(h.search("train", before: 0) == nil)
        #expect(h.search("") == nil)
    }

    @Test("blank entries and repeats are not stored; the limit drops the oldest")
    func addRules() {
        var h = History(limit: 3)
        for e in ["a", "a", "  ", "b", "c", "d"] { h.add(e) }
        #expect(h.entries == ["b", "c", "d"])
    }

    @Test("multi-line entries and backslashes survive the history file")
    func fileRoundTrip() throws {
        let dir = NSTemporaryDirectory() + "ritz-hist-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = History.path(stateDirectory: dir)
        var h = History()
        for e in ["fn f(x) {\n  x \\ 2\n}", "s = \"a\\nb\"", "plain"] { h.add(e) }
        try h.save(path: path)
        #expect(History.load(path: path).entries == h.entries)
        #expect(History.load(path: dir + "/missing").entries.isEmpty)
    }
}

/// Names for completion tests: a few variables and builtins with keyword parameters.
final class FakeNames: CompletionSource {
    let all = ["zeros", "zip_x", "train", "tanh", "trace", "x", "xs", "model", "mlp", "data"]
    let keywordTable = ["train": ["steps", "batch", "every", "track", "seed"], "mlp": ["act", "seed"]]
    func names(prefix: String) -> [String] { all.filter { $0.hasPrefix(prefix) } }
    func keywords(of name: String) -> [String] { keywordTable[name] ?? [] }
}

@Suite("completion")
struct CompletionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let before: String
        let candidates: [String]?
        let common: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "builtin by prefix", before: "y = ze", candidates: ["zeros"], common: "zeros"),
        Case(name: "several with a common prefix", before: "t", candidates: ["tanh", "trace", "train"], common: "t"),
        Case(name: "keywords of the called builtin first", before: "train(model, data, s", candidates: ["seed=", "steps="], common: "s"),
        Case(name: "keywords with empty word", before: "mlp([2, 8], ", candidates: ["act=", "seed="], common: ""),
        Case(name: "innermost call after a nested call closed", before: "train(mlp([2]), st", candidates: ["steps="], common: "steps="),
        Case(name: "nothing inside a string", before: "print(\"ze", candidates: nil, common: ""),
        Case(name: "nothing after a digit", before: "1e", candidates: nil, common: ""),
        Case(name: "nothing for an empty word outside a call", before: "x = ", candidates: nil, common: ""),
        Case(name: "variables", before: "x", candidates: ["x", "xs"], common: "x"),
    ]

    @Test("candidates", arguments: cases)
    func complete(_ c: Case) {
        let result = Completer.complete(c.before, source: FakeNames())
        #expect(result?.candidates == c.candidates)
        if let result { #expect(result.commonPrefix == c.common) }
    }
}
