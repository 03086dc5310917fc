import Foundation
import RitzLang

/// The language's speed bars (issue 3): a scalar loop, small-tensor arithmetic, user calls,
/// and the startup of `ritz run` next to `python3 -c 'import numpy'`.
enum LangBench {
    final class NullSink: EventSink, @unchecked Sendable {
        func emit(_ event: EvalEvent) {}
    }

    /// CPU seconds to run `code` once in a fresh session (median over repeats); prints the
    /// median wall time beside it.
    static func time(_ code: String, repeats: Int = 5) -> Double {
        let session = Session()
        let sink = NullSink()
        var cpu: [Double] = []
        let wall = Bench.median(repeats: repeats) {
            let c0 = Bench.cpuNow()
            let out = session.run(cell: code, origin: .cell(1), sink: sink)
            cpu.append(Bench.cpuNow() - c0)
            if out.status != .ok { print("  benchmark cell failed: \(out.diagnostics.map { $0.render() })") }
        }
        cpu.sort()
        print(String(format: "  (wall %.3f s, CPU %.3f s)", wall, cpu[cpu.count / 2]))
        return cpu[cpu.count / 2]
    }

    static func run() throws {
        Bench.section("lang")
        let n1 = 3_000_000.0
        let tLoop = time("s = 0; for i in 0:3000000 { s = s + i * 0.5 }")
        let nsLoop = tLoop / n1 * 1e9
        Bench.report("scalar loop, ns per iteration", nsLoop, "ns",
                     detail: String(format: "ratio to bar %.2f (CPython 36 ns, Lua 15 ns)", nsLoop / 15),
                     bar: ("<= 15 ns", nsLoop <= 15))

        let tTensor = time("x = [1, 2, 3]; for i in 0:200000 { x = x * 1.0000001 + 0.1 }")
        let nsTensor = tTensor / 400_000 * 1e9
        Bench.report("3-element tensor op, ns per op", nsTensor, "ns",
                     detail: String(format: "ratio to bar %.2f (NumPy 490 ns)", nsTensor / 250),
                     bar: ("<= 250 ns", nsTensor <= 250))

        let tCall = time("fn f(x) { x + 1 }; s = 0; for i in 0:1000000 { s = f(i) }")
        Bench.report("one-line user function call, ns per call", tCall / 1e6 * 1e9, "ns",
                     detail: "loop overhead included")

        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let ritz = dir.appendingPathComponent("ritz").path
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("ritz-bench-empty.ritz").path
        FileManager.default.createFile(atPath: empty, contents: Data())
        if FileManager.default.isExecutableFile(atPath: ritz) {
            let tRitz = Bench.median(repeats: 5) { spawn(ritz, ["run", empty]) }
            let tPy = Bench.median(repeats: 5) { spawn("/usr/bin/env", ["python3", "-c", "import numpy"]) }
            Bench.report("startup: ritz run of an empty file", tRitz * 1e3, "ms",
                         detail: String(format: "python3 -c 'import numpy' %.1f ms, ratio %.2f", tPy * 1e3, tRitz / tPy))
        } else {
            print("  startup: \(ritz) not built; build the ritz product too")
        }
    }

    static func spawn(_ path: String, _ args: [String]) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run(); p.waitUntilExit() } catch { print("  could not start \(path): \(error)") }
    }
}
