import Foundation
import Testing
import RitzTensor
@testable import RitzLang

/// Hostile input never crashes: thousands of random token sequences and mutated scripts run
/// through parse and evaluation in a child `ritz run` process, where a trap ends the child (and
/// is reported here) instead of the test run.
@Suite struct RobustnessTests {
    static let vocabulary: [String] = [
        "x", "y", "f", "A", "v", "i", "sum", "zeros", "eye", "print", "reshape", "inv", "fft", "format", "svd",
        "0", "1", "2", "-1", "3.5", "1e308", "1e-320", "2im", "nan", "inf", "\"s\"", "\"%d\"",
        "+", "-", "*", "/", "^", "%", "@", "==", "<", ">=", "and", "or", "not", "=", "+=", "->", "|>", ":", ",", ";", ".", ".T",
        "(", ")", "[", "]", "{", "}", "?", "fn", "if", "else", "for", "in", "while", "return", "break", "continue",
        "true", "none", "\n", "\n", " ", "#c\n", "0:3", "x[", "f(", "[1, 2; 3, 4]", "(a=1, b=2)", "x -> x", "\\",
    ]

    static var ritzBinary: URL {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        while dir.path != "/" && !dir.lastPathComponent.hasSuffix("debug") && !dir.lastPathComponent.hasSuffix("release") {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("ritz")
    }

    static func randomCells(count: Int, seed: UInt64) -> [String] {
        var g = RandomGenerator(seed: seed)
        return (0..<count).map { _ in
            let n = 1 + g.int(below: 30)
            return (0..<n).map { _ in vocabulary[g.int(below: vocabulary.count)] }.joined(separator: " ")
        }
    }

    static func mutatedCells(count: Int, seed: UInt64) throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let dirs = [root.appendingPathComponent("Scripts"), root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples")]
        var sources: [String] = []
        for d in dirs {
            guard let e = FileManager.default.enumerator(atPath: d.path) else { continue }
            for case let p as String in e where p.hasSuffix(".ritz") && !p.contains("long_sum") && !p.contains("nested") {
                sources.append(try String(contentsOf: d.appendingPathComponent(p), encoding: .utf8))
            }
        }
        guard !sources.isEmpty else { return [] }
        var g = RandomGenerator(seed: seed)
        return (0..<count).map { _ in
            var chars = Array(sources[g.int(below: sources.count)].unicodeScalars)
            for _ in 0..<(1 + g.int(below: 6)) where !chars.isEmpty {
                let i = g.int(below: chars.count)
                switch g.int(below: 4) {
                case 0: chars.remove(at: i)
                case 1: chars.insert(chars[g.int(below: chars.count)], at: i)
                case 2: chars.swapAt(i, g.int(below: chars.count))
                default: chars.insert(contentsOf: Array(vocabulary[g.int(below: vocabulary.count)].unicodeScalars), at: i)
                }
            }
            return String(String.UnicodeScalarView(chars)).replacingOccurrences(of: "# %%", with: "#")
        }
    }

    /// Runs cells in one child process; returns nil when it ended normally, else a description.
    static func runChild(_ cells: [String], name: String) throws -> String? {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ritz-robust-\(name).ritz")
        try cells.joined(separator: "\n# %%\n").write(to: file, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = ritzBinary
        p.arguments = ["run", file.path, "--keep-going", "--cell-timeout", "0.5", "--no-plots"]
        var env = ProcessInfo.processInfo.environment
        env["RITZ_MEMORY_LIMIT"] = String(256 << 20)
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        if p.terminationReason == .uncaughtSignal || p.terminationStatus > 1 {
            return "child ended with \(p.terminationReason == .uncaughtSignal ? "signal" : "status") \(p.terminationStatus); input kept at \(file.path)"
        }
        try? FileManager.default.removeItem(at: file)
        return nil
    }

    @Test("random token sequences", arguments: 0..<8)
    func randomTokens(_ batch: Int) throws {
        guard FileManager.default.isExecutableFile(atPath: RobustnessTests.ritzBinary.path) else {
            Issue.record("build the ritz product first: \(RobustnessTests.ritzBinary.path)"); return
        }
        let cells = RobustnessTests.randomCells(count: 400, seed: UInt64(100 + batch))
        if let failure = try RobustnessTests.runChild(cells, name: "random-\(batch)") { Issue.record("\(failure)") }
    }

    @Test("mutated scripts", arguments: 0..<4)
    func mutated(_ batch: Int) throws {
        guard FileManager.default.isExecutableFile(atPath: RobustnessTests.ritzBinary.path) else {
            Issue.record("build the ritz product first: \(RobustnessTests.ritzBinary.path)"); return
        }
        let cells = try RobustnessTests.mutatedCells(count: 300, seed: UInt64(900 + batch))
        #expect(!cells.isEmpty)
        if let failure = try RobustnessTests.runChild(cells, name: "mutated-\(batch)") { Issue.record("\(failure)") }
    }
}
