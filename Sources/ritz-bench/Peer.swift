import Foundation
import RitzTensor

/// The peer process of `ritz-bench --peers`: `bench/peers.py` timing the same workloads in NumPy,
/// SciPy and JAX on this machine, in the same run.
///
/// The protocol is one line each way: `run NAME INNER CLOCK [ARG...]` answers the seconds per
/// call, `cpu=` its process CPU seconds per call, and an optional note; `quit` ends the peer; see
/// `bench/peers.py`.
final class Peer {
    /// An error of the peer: it could not start, died, or answered `error ...`.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Which clock a workload is timed with, on both sides.
    enum Clock: String {
        /// Monotonic wall time.
        case wall
        /// Process CPU time: for one-thread interpreter loops on a shared machine.
        case cpu
    }

    /// Each side's untimed warm-up at the start of its turn, in seconds (at least one call): after
    /// the pause that lets the other side's threads go idle, its own thread pool, caches and
    /// processors are back in their steady state before the clock starts, so a turn measures what
    /// a long run sees rather than how fast each side wakes up.
    static let warmSeconds = 0.03

    /// The peer of this run, nil without `--peers` (or when it could not start).
    nonisolated(unsafe) static var current: Peer?

    /// What a figure without a peer says instead.
    nonisolated(unsafe) static var absence = "not measured (run ritz-bench --peers)"

    /// The repository's root, where `bench/` lives.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The command that makes the peer's environment.
    static let venvCommand = "python3 -m venv bench/.venv && bench/.venv/bin/pip install -r bench/requirements.txt"

    /// The Python that runs the peer: `RITZ_PEERS_PYTHON`, else `bench/.venv/bin/python`, else
    /// `python3` on the PATH.
    ///
    /// - Returns: the executable and its arguments before the script, and where it came from.
    static func python() -> (executable: String, leading: [String], source: String) {
        let env = ProcessInfo.processInfo.environment
        if let chosen = env["RITZ_PEERS_PYTHON"], !chosen.isEmpty {
            return chosen.contains("/") ? (chosen, [], "RITZ_PEERS_PYTHON")
                                        : ("/usr/bin/env", [chosen], "RITZ_PEERS_PYTHON")
        }
        let venv = root.appendingPathComponent("bench/.venv/bin/python").path
        if FileManager.default.isExecutableFile(atPath: venv) { return (venv, [], "bench/.venv") }
        return ("/usr/bin/env", ["python3"], "python3 on the PATH")
    }

    /// Saves `tensor` as .npy in the temporary directory for the peer to load.
    ///
    /// - Returns: the file's path.
    /// - Throws: when the file cannot be written.
    static func save(_ tensor: Tensor, as name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ritz-bench-\(name).npy").path
        try tensor.saveNPY(path: path)
        return path
    }

    private let process: Process
    private let input: FileHandle
    private let output: FileHandle
    private var buffer = Data()
    /// The `info` lines the peer printed on start.
    private(set) var info: [String] = []
    /// Packages the peer could not import, with the reason.
    private(set) var missing: [String] = []

    /// Starts the peer and reads its start-up lines.
    ///
    /// The peer gets this process's environment except `OPENBLAS_CORETYPE`, which here selects
    /// the kernel of ritz's OpenBLAS (to simulate a CPU that OpenBLAS does not recognise);
    /// NumPy's own OpenBLAS picks its kernel by CPUID, as it would on such a machine.
    /// `RITZ_PEERS_OPENBLAS_CORETYPE`, when set, is passed to the peer as its `OPENBLAS_CORETYPE`.
    ///
    /// - Parameter threads: BLAS threads the peer may use (ritz's thread count).
    /// - Throws: `Failure` when Python or the script cannot start or says nothing sensible.
    init(threads: Int) throws {
        let (executable, leading, _) = Peer.python()
        let script = Peer.root.appendingPathComponent("bench/peers.py").path
        guard FileManager.default.fileExists(atPath: script) else {
            throw Failure(description: "\(script) not found (run ritz-bench from a checkout of ritz)")
        }
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_CORETYPE"] = env["RITZ_PEERS_OPENBLAS_CORETYPE"]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = leading + [script, "--threads", "\(threads)", "--warm", "\(Peer.warmSeconds)"]
        process.environment = env
        let toPeer = Pipe(), fromPeer = Pipe()
        process.standardInput = toPeer
        process.standardOutput = fromPeer
        do { try process.run() } catch {
            throw Failure(description: "cannot start \(executable): \(error.localizedDescription)")
        }
        self.process = process
        input = toPeer.fileHandleForWriting
        output = fromPeer.fileHandleForReading
        while true {
            guard let line = readLine() else {
                throw Failure(description: "the peer (\(executable) \(script)) ended before it was ready")
            }
            if line == "ready" { break }
            if line.hasPrefix("info ") { info.append(String(line.dropFirst(5))) }
            else if line.hasPrefix("missing ") { missing.append(String(line.dropFirst(8))) }
            else { info.append(line) }
        }
    }

    deinit { close() }

    /// Asks the peer to stop and waits for it.
    func close() {
        guard process.isRunning else { return }
        try? input.write(contentsOf: Data("quit\n".utf8))
        try? input.close()
        process.waitUntilExit()
    }

    /// Reads one line from the peer, nil at its end.
    private func readLine() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                return line
            }
            let chunk = output.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }

    /// Runs one round of a workload in the peer.
    ///
    /// - Parameters:
    ///   - name: The workload's name in `bench/peers.py`.
    ///   - inner: Calls in the round.
    ///   - clock: The clock the peer times with.
    ///   - args: The workload's arguments.
    /// - Returns: seconds per call on `clock`, process CPU seconds per call, and the peer's note
    ///   (empty when none).
    /// - Throws: `Failure` when the peer answers an error or has ended.
    func run(_ name: String, inner: Int, clock: Clock, args: [String]) throws -> (seconds: Double, cpu: Double, note: String) {
        let request = (["run", name, "\(inner)", clock.rawValue] + args).joined(separator: " ") + "\n"
        do { try input.write(contentsOf: Data(request.utf8)) } catch {
            throw Failure(description: "the peer has ended (\(error.localizedDescription))")
        }
        guard let line = readLine() else { throw Failure(description: "the peer ended during \(name)") }
        let words = line.split(separator: " ", maxSplits: 2)
        guard words.count >= 2, let seconds = Double(words[0]), words[1].hasPrefix("cpu="),
              let cpu = Double(words[1].dropFirst(4)) else {
            throw Failure(description: line.hasPrefix("error ") ? String(line.dropFirst(6)) : "unexpected answer: \(line)")
        }
        return (seconds, cpu, words.count > 2 ? String(words[2]) : "")
    }
}

/// A workload timed in ritz and, with `--peers`, in the peer, round by round.
struct PeerComparison {
    /// What the peer's figure is (e.g. "NumPy", "JAX jit").
    let peerName: String
    /// Median seconds per call in ritz.
    let ours: Double
    /// Median seconds per call in the peer, nil when it was not measured.
    let peer: Double?
    /// Median process CPU seconds per call (all threads, spinning ones included) of each side:
    /// the work done, which the machine's other load changes less than the wall time.
    let oursCPU: Double
    let peerCPU: Double?
    /// The peer's note of its last round, or why it was not measured.
    let note: String
    /// Each round's ritz time over the peer's time in the same round (empty without a peer):
    /// a drift of the machine's speed between rounds falls on both sides of a round's ratio.
    var roundRatios: [Double] = []

    /// ritz's time over the peer's (below 1: ritz is faster): the median of the rounds' ratios,
    /// else the ratio of the medians; nil without a peer figure.
    var timeRatio: Double? {
        guard let peer else { return nil }
        return roundRatios.isEmpty ? ours / peer : Bench.medianOf(roundRatios)
    }

    /// "JAX jit 1.234 ms, ritz/JAX jit time 0.61" or "JAX jit not measured (...)", scaled to `unit`.
    ///
    /// - Parameters:
    ///   - scale: Seconds to the printed unit (1e3 for ms).
    ///   - unit: The unit's name.
    ///   - withNote: Whether to add the peer's note (when the caller prints it otherwise).
    func detail(scale: Double, unit: String, withNote: Bool = true) -> String {
        guard let peer, let ratio = timeRatio else { return "\(peerName) \(note)" }
        let cpu = peerCPU.map { "; CPU per call ritz \(Bench.format(oursCPU * scale)) \(unit), \(peerName) \(Bench.format($0 * scale)) \(unit)" } ?? ""
        let spread = roundRatios.count < 4 ? "" : ", " + Bench.pairedSummary(roundRatios).spread
        return "\(peerName) \(Bench.format(peer * scale)) \(unit), ritz/\(peerName) time \(String(format: "%.2f", ratio))"
            + spread + cpu + (note.isEmpty || !withNote ? "" : " (\(note))")
    }

    /// A bar on ritz's time as a fraction of the peer's, judged only when the peer was measured.
    ///
    /// - Parameter atMost: The largest acceptable ritz/peer time ratio.
    func bar(timeRatioAtMost atMost: Double) -> (text: String, met: Bool)? {
        guard let ratio = timeRatio else { return nil }
        return ("ritz time <= \(Bench.format(atMost)) x \(peerName)'s", ratio <= atMost)
    }

    /// Times `ours` and the peer's workload `name` in alternating rounds (which side goes first
    /// alternates too), after one discarded warm-up round of each, with a pause between sides so
    /// the spinning threads of one (OpenBLAS's, XLA's, ritz's worker pool) are idle before the
    /// other starts, and each turn beginning with `Peer.warmSeconds` of untimed calls. Without a peer, times `ours` alone over the same rounds.
    ///
    /// - Parameters:
    ///   - name: The workload in `bench/peers.py`.
    ///   - args: Its arguments.
    ///   - peerName: How to call the peer's figure.
    ///   - inner: Calls per round, on each side.
    ///   - rounds: Timed rounds.
    ///   - clock: Wall or process CPU time, on both sides.
    ///   - ours: ritz's workload, one call.
    /// - Returns: the medians per call and each round's ratio of the two sides.
    /// - Throws: what `ours` throws; a peer failure is reported in `note`, not thrown.
    static func measure(_ name: String, args: [String] = [], peerName: String, inner: Int = 1, rounds: Int = 7,
                        clock: Peer.Clock = .wall, ours: () throws -> Void) throws -> PeerComparison {
        let peer = Peer.current
        let settle = 0.2
        var mineCPU = [Double](), theirsCPU = [Double]()
        func timeOurs() throws -> Double {
            let warmUntil = Bench.now() + Peer.warmSeconds
            repeat { try ours() } while Bench.now() < warmUntil
            let (t0, c0) = (clock == .wall ? Bench.now() : Bench.cpuNow(), Bench.cpuNow())
            for _ in 0..<inner { try ours() }
            mineCPU.append((Bench.cpuNow() - c0) / Double(inner))
            return ((clock == .wall ? Bench.now() : Bench.cpuNow()) - t0) / Double(inner)
        }
        var failure: String? = peer == nil ? Peer.absence : nil
        var note = ""
        func timePeer() -> Double? {
            guard failure == nil, let peer else { return nil }
            do {
                let answer = try peer.run(name, inner: inner, clock: clock, args: args)
                note = answer.note
                theirsCPU.append(answer.cpu)
                return answer.seconds
            } catch {
                failure = "not measured: \(error)"
                return nil
            }
        }
        _ = try timeOurs()
        if peer != nil { Thread.sleep(forTimeInterval: settle); _ = timePeer(); Thread.sleep(forTimeInterval: settle) }
        mineCPU.removeAll()
        theirsCPU.removeAll()
        var mine = [Double](), theirs = [Double]()
        func peerRound() {
            guard failure == nil else { return }
            if let t = timePeer() { theirs.append(t) }
            Thread.sleep(forTimeInterval: settle)
        }
        for round in 0..<rounds {
            if round % 2 == 1 { peerRound() }
            mine.append(try timeOurs())
            if failure == nil { Thread.sleep(forTimeInterval: settle) }
            if round % 2 == 0 { peerRound() }
        }
        let measured = failure == nil && !theirs.isEmpty
        let peerMedian = measured ? Bench.medianOf(theirs) : nil
        return PeerComparison(peerName: peerName, ours: Bench.medianOf(mine), peer: peerMedian,
                              oursCPU: Bench.medianOf(mineCPU), peerCPU: peerMedian == nil ? nil : Bench.medianOf(theirsCPU),
                              note: failure ?? note,
                              roundRatios: measured && theirs.count == mine.count ? zip(mine, theirs).map { $0 / $1 } : [])
    }
}
