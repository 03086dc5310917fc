import Foundation
import Testing
import RitzTensor
@testable import RitzLang

/// Fuzzing for a bounded time: plausible programs (calls of every builtin with arguments of
/// the kinds builtins take) and mutated saved sessions, each batch in a child `ritz` process.
/// A child must end with exit 0 or 1: a signal, an abort, another status, or a child that
/// outlives its cells' Ctrl-C deadlines fails the test, and the input is kept for a reproducer.
///
/// `RITZ_FUZZ_SECONDS` sets the time each test spends (CI gives it a minute; longer on demand);
/// without it each test runs one batch. Seeds follow the batch number, so a failure names a
/// batch that reproduces.
@Suite struct FuzzTests {
    /// Values of every kind builtins take: numbers (edge values included), tensors (empty,
    /// complex, matrices), strings (paths, formats), lists, records and objects.
    static let values: [String] = [
        "0", "1", "2", "3", "-1", "0.5", "2.5", "1e300", "-1e-320", "nan", "inf", "-inf", "1e9", "2im",
        "[1, 2, 3]", "[1, 2; 3, 4]", "[3, 1; 1, 3]", "zeros(0)", "zeros(0, 3)", "zeros(3, 0)", "ones(3, 3)",
        "randn(4, 4, seed=1)", "randn(6, 2, seed=2)", "eye(3)", "[1+2im, 3]", "linspace(0, 1, 5)", "[nan, 1]",
        "arange(0, 8)", "[0, 1; 1, 2; 2, 0]", "[true, false]",
        "\"a\"", "\"\"", "\"%d %s\"", "\"fuzz.csv\"", "\"fuzz.npy\"", "\"fuzz.svg\"", "\"sym\"", "\"tanh\"",
        "[\"a\", 1]", "[[1, 2], [3]]", "(a=1, b=[1, 2])", "x -> x * 2", "(a, b) -> a + b",
        "mlp([2, 3, 2], seed=0)", "moons(20, seed=0)", "cycle_graph(5)", "grid_graph(2, 3)", "sgd(0.1)",
        "op(eye(3))", "poly(2)", "simulate(\"duffing\", [0.1, 0.2], 20)", "plot([1, 2, 3])",
    ]

    /// A cell of one to four statements, each a call of a random builtin whose arguments are
    /// random values or earlier results, sometimes with keyword arguments it declares (or not).
    static func program(_ g: inout RandomGenerator, entries: [BuiltinEntry], cell: Int) -> String {
        var lines: [String] = []
        var names: [String] = []
        for s in 0..<(1 + g.int(below: 4)) {
            let entry = entries[g.int(below: entries.count)]
            let required = entry.params.filter { $0.kind == .positional && $0.defaultValue == nil }.count
            let count = max(0, required + g.int(below: 3) - 1)
            var args: [String] = (0..<count).map { _ in
                if !names.isEmpty && g.int(below: 4) == 0 { return names[g.int(below: names.count)] }
                return values[g.int(below: values.count)]
            }
            let keywords = entry.params.filter { $0.kind == .keyword || $0.defaultValue != nil }
            if !keywords.isEmpty && g.int(below: 3) == 0 {
                let name = g.int(below: 8) == 0 ? "bogus" : keywords[g.int(below: keywords.count)].name
                args.append("\(name)=\(values[g.int(below: values.count)])")
            }
            let name = "v\(cell)_\(s)"
            lines.append("\(name) = \(entry.name)(\(args.joined(separator: ", ")))")
            names.append(name)
        }
        lines.append(names.last ?? "0")
        return lines.joined(separator: "\n")
    }

    /// One of the shipped sessions with its JSON or its bytes damaged.
    static func mutatedSession(_ g: inout RandomGenerator, sessions: [Data]) -> Data {
        let original = sessions[g.int(below: sessions.count)]
        if g.int(below: 3) == 0 {
            // Bytes: truncate, flip, or splice.
            var bytes = [UInt8](original)
            switch g.int(below: 3) {
            case 0: bytes = Array(bytes.prefix(g.int(below: bytes.count + 1)))
            case 1: for _ in 0..<(1 + g.int(below: 8)) where !bytes.isEmpty { bytes[g.int(below: bytes.count)] = UInt8(truncatingIfNeeded: g.next()) }
            default:
                let i = g.int(below: bytes.count + 1)
                bytes.insert(contentsOf: Array("\"cells\": 3, ".utf8), at: i)
            }
            return Data(bytes)
        }
        guard var json = (try? JSONSerialization.jsonObject(with: original)) else { return original }
        let replacements: [Any] = ["text", 4.5, 1e300, NSNull(), [Any](), [String: Any](), -1, true, "4"]
        for _ in 0..<(1 + g.int(below: 3)) {
            json = mutate(json, &g, replacements: replacements, depth: 0)
        }
        return (try? JSONSerialization.data(withJSONObject: json)) ?? original
    }

    /// Replaces or removes one value somewhere inside `json`.
    static func mutate(_ json: Any, _ g: inout RandomGenerator, replacements: [Any], depth: Int) -> Any {
        if depth > 0 && g.int(below: 4) == 0 { return replacements[g.int(below: replacements.count)] }
        if var object = json as? [String: Any], !object.isEmpty {
            let keys = object.keys.sorted()
            let key = keys[g.int(below: keys.count)]
            if g.int(below: 6) == 0 { object[key] = nil } else {
                object[key] = mutate(object[key] ?? NSNull(), &g, replacements: replacements, depth: depth + 1)
            }
            return object
        }
        if var array = json as? [Any], !array.isEmpty {
            let i = g.int(below: array.count)
            array[i] = mutate(array[i], &g, replacements: replacements, depth: depth + 1)
            return array
        }
        return replacements[g.int(below: replacements.count)]
    }

    /// Runs `ritz ARGS` in a scratch directory with a memory limit; nil when it ended with 0 or
    /// 1 within `deadline` seconds, else what went wrong.
    static func runChild(_ arguments: [String], in directory: String, deadline: Double) throws -> String? {
        let p = Process()
        p.executableURL = RobustnessTests.ritzBinary
        p.arguments = arguments
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        env["RITZ_MEMORY_LIMIT"] = String(256 << 20)
        env["XDG_STATE_HOME"] = directory + "/state"
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let end = Date().addingTimeInterval(deadline)
        while p.isRunning && Date() < end { usleep(20_000) }
        if p.isRunning {
            p.terminate()
            p.waitUntilExit()
            return "`ritz \(arguments.joined(separator: " "))` outlived its deadline of \(Int(deadline)) s (Ctrl-C was not honoured)"
        }
        if p.terminationReason == .uncaughtSignal || p.terminationStatus > 1 {
            return "`ritz \(arguments.joined(separator: " "))` ended with \(p.terminationReason == .uncaughtSignal ? "signal" : "status") \(p.terminationStatus)"
        }
        return nil
    }

    /// Seconds each fuzz test runs (nil: one batch).
    static var budget: Double? {
        ProcessInfo.processInfo.environment["RITZ_FUZZ_SECONDS"].flatMap(Double.init).map { $0 / 2 }
    }

    /// Runs batches until the budget is spent (at least one), recording each failure with the
    /// file that reproduces it.
    static func batches(_ name: String, _ body: (Int, String) throws -> String?) throws {
        let stop = Date().addingTimeInterval(budget ?? 0)
        var batch = 0
        repeat {
            let dir = NSTemporaryDirectory() + "ritz-fuzz-\(name)-\(batch)-\(UUID().uuidString.prefix(6))"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            if let failure = try body(batch, dir) {
                Issue.record("\(name) batch \(batch): \(failure); input kept in \(dir)")
            } else {
                try? FileManager.default.removeItem(atPath: dir)
            }
            batch += 1
        } while Date() < stop
    }

    @Test("plausible programs calling every builtin end in exit 0 or 1, never a signal or a hang")
    func programs() throws {
        guard RunCommandTests.binaryBuilt else { return }
        let entries = Session().registry.entries
        try Self.batches("programs") { batch, dir in
            var g = RandomGenerator(seed: 5000 + UInt64(batch))
            let cells = (0..<60).map { Self.program(&g, entries: entries, cell: $0) }
            let file = dir + "/fuzz.ritz"
            try cells.joined(separator: "\n# %%\n").write(toFile: file, atomically: true, encoding: .utf8)
            // Each cell is interrupted after 0.5 s; a cell gets 3 s more to stop.
            return try Self.runChild(["run", file, "--keep-going", "--cell-timeout", "0.5", "--no-plots"],
                                     in: dir, deadline: Double(cells.count) * 3.5 + 20)
        }
    }

    @Test("mutated sessions are refused or run, by run and by check, never a signal or a hang")
    func sessions() throws {
        guard RunCommandTests.binaryBuilt else { return }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sessions")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        // The sessions that train for minutes in a debug build (`check` runs every cell to its
        // end) are left out; CI replays them whole in release.
        let training = ["edge_of_stability", "transformer_hessian", "ssm_digits"]
        let sessions = files.filter { f in f.hasSuffix(".ipynb") && !training.contains { f.hasPrefix($0) } }.sorted()
            .compactMap { FileManager.default.contents(atPath: root.appendingPathComponent($0).path) }
        #expect(!sessions.isEmpty)
        guard !sessions.isEmpty else { return }
        try Self.batches("sessions") { batch, dir in
            var g = RandomGenerator(seed: 7000 + UInt64(batch))
            for k in 0..<4 {
                let file = dir + "/s\(k).ipynb"
                try Self.mutatedSession(&g, sessions: sessions).write(to: URL(fileURLWithPath: file))
                let command = k % 2 == 0 ? ["run", file, "--no-plots", "--keep-going", "--cell-timeout", "2"] : ["check", file]
                if let failure = try Self.runChild(command, in: dir, deadline: 120) { return failure }
            }
            return nil
        }
    }
}
