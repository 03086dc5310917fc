import Foundation
import Testing

/// `ritz run` as a child process (stdout a pipe, so not a terminal): plots as text at 80
/// columns, braille or ASCII by locale, no colour, only a live plot's final frame, and
/// `--no-plots`.
@Suite struct RunCommandTests {
    static let script = """
    # %%
    print("before")
    plot([1, 3, 2, 5], title="ups and downs")
    # %%
    r = train(mlp([2, 8, 2], seed=0), moons(100, noise=0.1, seed=0), sgd(0.5), steps=100, every=5, track=["sharpness"])
    print("after")
    r
    """

    /// Runs `ritz run` on a script; returns stdout and the exit status.
    static func run(_ source: String, _ options: [String] = [], lang: String = "C.UTF-8",
                    extra: [String: String] = [:]) throws -> (out: Data, status: Int32) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ritz-run-\(UUID().uuidString).ritz")
        try source.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try runFile(file.path, options, lang: lang, extra: extra)
    }

    static func runFile(_ path: String, _ options: [String] = [], lang: String = "C.UTF-8",
                        extra: [String: String] = [:]) throws -> (out: Data, status: Int32) {
        let p = Process()
        p.executableURL = RobustnessTests.ritzBinary
        p.arguments = ["run", path] + options
        var env = ProcessInfo.processInfo.environment
        for key in ["LC_ALL", "LC_CTYPE", "NO_COLOR"] { env[key] = nil }
        env["LANG"] = lang
        for (k, v) in extra { env[k] = v }
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (out, p.terminationStatus)
    }

    static var binaryBuilt: Bool {
        if FileManager.default.isExecutableFile(atPath: RobustnessTests.ritzBinary.path) { return true }
        Issue.record("build the ritz product first: \(RobustnessTests.ritzBinary.path)")
        return false
    }

    static func isBraille(_ s: Unicode.Scalar) -> Bool { (0x2800...0x28FF).contains(s.value) }

    @Test("plots print at 80 columns in braille, without escape codes, live plots once")
    func plotsPrinted() throws {
        guard RunCommandTests.binaryBuilt else { return }
        let (out, status) = try RunCommandTests.run(RunCommandTests.script)
        #expect(status == 0)
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.unicodeScalars.contains { RunCommandTests.isBraille($0) })
        #expect(!text.contains("\u{1B}"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.allSatisfy { $0.count <= 80 })
        #expect(lines.contains { $0.count >= 76 })  // the frame spans the width
        #expect(text.contains("Out[1]:\n"))
        #expect(text.contains("ups and downs"))
        // The live curves appear once (one sharpness panel), after the training and before "after".
        #expect(text.components(separatedBy: "sharpness").count - 1 == 2)  // panel title and legend
        let live = try #require(text.range(of: "┌─ loss"))
        let after = try #require(text.range(of: "after\n"))
        #expect(live.lowerBound < after.lowerBound)
        #expect(text.contains("\nafter\nOut[2]: run: 100/100 steps of sgd"))
    }

    @Test("--no-plots prints text and values but no plot")
    func noPlots() throws {
        guard RunCommandTests.binaryBuilt else { return }
        let (out, status) = try RunCommandTests.run(RunCommandTests.script, ["--no-plots"])
        #expect(status == 0)
        let text = String(decoding: out, as: UTF8.self)
        #expect(!text.unicodeScalars.contains { RunCommandTests.isBraille($0) })
        #expect(!text.contains("┌"))
        #expect(!text.contains("ups and downs"))
        #expect(text.hasPrefix("before\nafter\nOut[2]: run: 100/100 steps of sgd"))
    }

    @Test("without a UTF-8 locale plots are pure ASCII")
    func asciiLocale() throws {
        guard RunCommandTests.binaryBuilt else { return }
        let (out, status) = try RunCommandTests.run(RunCommandTests.script, lang: "C")
        #expect(status == 0)
        #expect(out.allSatisfy { $0 < 0x80 })
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.contains("ups and downs"))
        #expect(text.contains("sharpness"))
    }

    @Test("same script, same bytes: an example with live and plotted values, twice")
    func deterministic() throws {
        guard RunCommandTests.binaryBuilt else { return }
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/live_training.ritz").path
        let first = try RunCommandTests.runFile(example)
        let second = try RunCommandTests.runFile(example)
        #expect(first.status == 0)
        #expect(!first.out.isEmpty)
        #expect(first.out == second.out)
        let text = String(decoding: first.out, as: UTF8.self)
        #expect(text.contains("2/lr"))
        #expect(text.contains("training loss"))
    }
}
