import Foundation
import RitzLang

/// The language's speed bars (issue 3): a scalar loop, small-tensor arithmetic, user calls,
/// and the startup of `ritz run` next to `python -c 'import numpy'`, with CPython and NumPy
/// running the same loops in the same run (`--peers`).
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
        // The bars are issue 3's (15 ns a scalar iteration, 250 ns a small-tensor op); CPython
        // and NumPy run the same loops in the peer, timed in process CPU seconds on both sides.
        let loop = try compare("s = 0; for i in 0:3000000 { s = s + i * 0.5 }", "scalar_loop", args: ["3000000"], peerName: "CPython")
        let nsLoop = loop.ours / 3e6 * 1e9
        Bench.report("scalar loop, ns per iteration", nsLoop, "ns",
                     detail: loop.detail(scale: 1e9 / 3e6, unit: "ns") + "; Lua not measured (no Lua peer)",
                     bar: ("<= 15 ns", nsLoop <= 15))

        let tensor = try compare("x = [1, 2, 3]; for i in 0:200000 { x = x * 1.0000001 + 0.1 }", "tensor_loop",
                                 args: ["200000"], peerName: "NumPy")
        let nsTensor = tensor.ours / 400_000 * 1e9
        Bench.report("3-element tensor op, ns per op", nsTensor, "ns",
                     detail: tensor.detail(scale: 1e9 / 400_000, unit: "ns"),
                     bar: ("<= 250 ns", nsTensor <= 250))

        let tCall = time("fn f(x) { x + 1 }; s = 0; for i in 0:1000000 { s = f(i) }")
        Bench.report("one-line user function call, ns per call", tCall / 1e6 * 1e9, "ns",
                     detail: "loop overhead included")

        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let ritz = dir.appendingPathComponent("ritz").path
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("ritz-bench-empty.ritz").path
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        if FileManager.default.isExecutableFile(atPath: ritz) {
            let tRitz = Bench.median(repeats: 5) { spawn(ritz, ["run", empty]) }
            let python = Peer.python()
            let pythonName = (python.leading.last ?? python.executable)
            var imported = true
            let tPy = Bench.median(repeats: 5) { imported = spawn(python.executable, python.leading + ["-c", "import numpy"]) && imported }
            Bench.report("startup: ritz run of an empty file", tRitz * 1e3, "ms",
                         detail: imported ? String(format: "%@ -c 'import numpy' %.1f ms, ratio %.2f", pythonName, tPy * 1e3, tRitz / tPy)
                                          : "\(pythonName) cannot import numpy: not measured")
        } else {
            print("  startup: \(ritz) not built; build the ritz product too")
        }
    }

    /// Runs `code` in one session against the peer's workload, in process CPU seconds.
    static func compare(_ code: String, _ workload: String, args: [String], peerName: String) throws -> PeerComparison {
        let session = Session()
        let sink = NullSink()
        return try PeerComparison.measure(workload, args: args, peerName: peerName, rounds: 5, clock: .cpu) {
            let out = session.run(cell: code, origin: .cell(1), sink: sink)
            guard out.status == .ok else {
                throw Peer.Failure(description: "benchmark cell failed: \(out.diagnostics.map { $0.render() })")
            }
        }
    }

    /// Runs a program to its end, its output discarded.
    ///
    /// - Returns: whether it started and exited with status 0.
    @discardableResult
    static func spawn(_ path: String, _ args: [String]) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run(); p.waitUntilExit() } catch {
            print("  could not start \(path): \(error)")
            return false
        }
        return p.terminationStatus == 0
    }
}
