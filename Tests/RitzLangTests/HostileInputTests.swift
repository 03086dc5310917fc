import Foundation
import Testing
import RitzTensor
@testable import RitzLang

/// Bounds that hostile input meets: format widths and precisions, script encodings.
@Suite struct HostileInputTests {
    @Test func formatAcceptsItsBounds() throws {
        let wide = try Format.printf("%\(Format.maxWidth)d", [.number(7)])
        #expect(wide.count == Format.maxWidth)
        #expect(wide.hasSuffix(" 7"))
        let precise = try Format.printf("%.\(Format.maxPrecision)f", [.number(0.5)])
        #expect(precise.count == Format.maxPrecision + 2)
        let padded = try Format.printf("%-\(Format.maxWidth)s|", [.string("a")])
        #expect(padded.count == Format.maxWidth + 1)
    }

    @Test(arguments: ["%\(Format.maxWidth + 1)d", "%.\(Format.maxPrecision + 1)g", "%9223372036854775808s",
                      "%.99999999999999999999f"])
    func formatRefusesPastTheBounds(_ fmt: String) {
        #expect(throws: Diagnostic.self) { try Format.printf(fmt, [.number(1)]) }
    }

    @Test(arguments: [
        (bytes: [0x61, 0x0A, 0xFF, 0x62] as [UInt8], offset: 2),
        (bytes: [0xC3], offset: 0),                                 // truncated two-byte sequence
        (bytes: Array("x = 1 # é\n".utf8) + [0xE2, 0x82], offset: 11),  // truncated three-byte sequence
        (bytes: [0x31, 0xED, 0xA0, 0x80], offset: 1),               // an encoded surrogate
        (bytes: [0xC0, 0xAF], offset: 0),                           // an overlong '/'
    ])
    func scriptDecodingNamesTheFirstInvalidByte(_ c: (bytes: [UInt8], offset: Int)) {
        #expect(throws: ScriptCells.InvalidUTF8(offset: c.offset)) { try ScriptCells.decode(Data(c.bytes)) }
    }

    @Test func scriptDecodingKeepsValidText() throws {
        let text = "x = 1  # é, 𝜆\n# %%\nprint(x)\n"
        #expect(try ScriptCells.decode(Data(text.utf8)) == text)
        #expect(try ScriptCells.decode(Data()) == "")
    }

    /// Runs the `ritz` binary with `arguments`; returns its status, stdout and stderr.
    static func ritz(_ arguments: [String], environment extra: [String: String] = [:], input: String? = nil) throws
        -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = RobustnessTests.ritzBinary
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in extra { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input == nil ? FileHandle.nullDevice : inp
        try p.run()
        if let input {
            inp.fileHandleForWriting.write(Data(input.utf8))
            try inp.fileHandleForWriting.close()
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// A file of `bytes` in the temporary directory, removed by the caller.
    static func temporaryFile(_ bytes: [UInt8], suffix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ritz-hostile-\(UUID().uuidString)\(suffix)")
        try Data(bytes).write(to: url)
        return url
    }

    @Test func runRefusesAScriptThatIsNotUTF8() throws {
        guard RunCommandTests.binaryBuilt else { return }
        let file = try HostileInputTests.temporaryFile(Array("print(1)\n".utf8) + [0xFE] + Array("\nprint(2)\n".utf8), suffix: ".ritz")
        defer { try? FileManager.default.removeItem(at: file) }
        let r = try HostileInputTests.ritz(["run", file.path])
        #expect(r.status == 1)
        #expect(r.out.isEmpty)
        #expect(r.err.contains("not valid UTF-8 (invalid byte at offset 9)"))
    }

    /// Memory bombs end in a ritz error, not a signal: strings and lists doubling in a loop, and
    /// two tensors that fit the limit alone but not together (issue 21).
    @Test func memoryBombsEndInErrors() throws {
        guard RunCommandTests.binaryBuilt else { return }
        let script = """
        s = "x"
        while true { s = s + s }
        # %%
        l = [1, "a"]
        while true { l = l + l }
        # %%
        a = ones(0.9e6)
        b = ones(0.9e6)
        """
        let file = try HostileInputTests.temporaryFile(Array(script.utf8), suffix: ".ritz")
        defer { try? FileManager.default.removeItem(at: file) }
        let r = try HostileInputTests.ritz(["run", file.path, "--keep-going"], environment: ["RITZ_MEMORY_LIMIT": "10M"])
        #expect(r.status == 1)
        #expect(r.err.contains("line 2, col 18") && r.err.contains("line 5, col 18"))
        // The doubling string and list stop either at a single block over the limit or, once the
        // heap in use counts (blocks of 64 KiB or more), when it and the next block pass it.
        #expect(r.err.contains("exceeds the memory limit of 10.0 MiB") || r.err.contains("past its limit of 10.0 MiB"))
        #expect(r.err.contains("out of memory: 6.9 MiB more would bring the session's 6.9 MiB past its limit of 10.0 MiB"))
    }

    /// The REPL reads RITZ_MEMORY_LIMIT too (it used to be read by `ritz run` alone).
    @Test func replHonoursTheMemoryLimit() throws {
        guard RunCommandTests.binaryBuilt else { return }
        let r = try HostileInputTests.ritz(["repl"], environment: ["RITZ_MEMORY_LIMIT": "2M"],
                                           input: "a = ones(2e5)\nb = ones(2e5)\nprint(\"still here\")\n")
        #expect(r.err.contains("out of memory: 1.5 MiB more would bring the session's 1.5 MiB past its limit of 2.0 MiB"))
        #expect(r.out.contains("still here"))
    }

    /// `ritz run` and `ritz check` refuse a session whose `cells` is not a list (issue 12), with
    /// the JSON path, instead of running an empty notebook and exiting 0.
    @Test(arguments: ["run", "check"])
    func malformedSessionsExitOne(_ command: String) throws {
        guard RunCommandTests.binaryBuilt else { return }
        let text = #"{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": "print(1)"}"#
        let file = try HostileInputTests.temporaryFile(Array(text.utf8), suffix: ".ipynb")
        defer { try? FileManager.default.removeItem(at: file) }
        let r = try HostileInputTests.ritz([command, file.path])
        #expect(r.status == 1)
        #expect(r.err.contains("cells: expected a list of cells, got a string"))
        #expect(!r.out.contains("all outputs match"))
    }

    /// `string()` of a record nested 10,000 deep is built in one pass and elided below
    /// `Display.maxDepth` levels.
    @Test func deeplyNestedRecordsDisplayElided() {
        var v = Value.number(1)
        for _ in 0..<10_000 { v = .record(Record([("a", v)])) }
        let text = Display.string(v)
        let depth = Display.maxDepth
        #expect(text == String(repeating: "(a=", count: depth) + "(…)" + String(repeating: ")", count: depth))
        var list = Value.list([])
        for _ in 0..<10_000 { list = .list([.number(1), list]) }
        #expect(Display.string(list).hasSuffix("[1, […]" + String(repeating: "]", count: depth)))
    }

    /// The one-pass layout against the former layout (render each field, re-indent its line
    /// breaks, one field a line once any spans lines), kept here as the reference, on random
    /// nests of records, lists, matrices and strings.
    @Test func nestedLayoutMatchesTheReference() throws {
        func reference(_ v: Value) -> String {
            switch v {
            case let .list(items): return "[" + items.map(reference).joined(separator: ", ") + "]"
            case let .record(r):
                let parts = zip(r.names, r.values).map { name, value in
                    name + "=" + reference(value).replacingOccurrences(of: "\n", with: "\n" + String(repeating: " ", count: name.count + 2))
                }
                return "(" + parts.joined(separator: parts.contains { $0.contains("\n") } ? ",\n " : ", ") + ")"
            default: return Display.string(v)
            }
        }
        var rng = RandomGenerator(seed: 21)
        func random(_ depth: Int) throws -> Value {
            switch depth == 0 ? rng.int(below: 3) : rng.int(below: 5) {
            case 0: return .number(Double(rng.int(below: 100)))
            case 1: return .string(rng.int(below: 2) == 0 ? "s" : "two\nlines")
            case 2: return .tensor(try Tensor.eye(1 + rng.int(below: 3)))
            case 3: return .list(try (0..<rng.int(below: 4)).map { _ in try random(depth - 1) })
            default:
                let names = ["a", "bb", "ccc", "d"]
                return .record(Record(try (0..<(1 + rng.int(below: 3))).map { _ in (names[rng.int(below: 4)], try random(depth - 1)) }))
            }
        }
        for _ in 0..<300 {
            let v = try random(5)
            #expect(Display.string(v) == reference(v))
        }
    }
}
