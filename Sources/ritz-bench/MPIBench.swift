import Foundation
import RitzLearn
import RitzMPI
import RitzTensor

/// `ritz-bench mpi`: the full-data Hessian-vector product and one full-batch training step on
/// 10^5 synthetic examples, in one process and under `mpirun -n 2` (oversubscribed when the
/// machine has fewer cores), with the parallel efficiency T₁ / (N·T_N) and the bytes each
/// collective moves, counted at the communicator.
///
/// The parent measures one rank in-process, then starts `mpirun --oversubscribe -n 2` on its own
/// binary; rank 0 of that run prints one `mpi-result` line that the parent reads.
enum MPIBench {
    /// The line rank 0 of the child run prints: `mpi-result hvp=S step=S collectives=C bytes=B per-hvp=B`.
    static let resultTag = "mpi-result"
    static let examples = 100_000
    static let sizes = [32, 64, 10]

    /// The workload's data and model (the same on every rank: seeded).
    static func workload() throws -> (data: Dataset, model: MLP) {
        (try Dataset.blobs(n: examples, centers: sizes[2], dim: sizes[0], std: 2, seed: 1),
         try MLP(sizes: sizes, activation: .tanh, seed: 0))
    }

    /// Median seconds of one HVP and of one training step (forward with gradient, the gradient's
    /// allreduce, an SGD update) on the whole data, and what the communicator moved per HVP.
    static func measure(communicator: any Communicator) throws -> (hvp: Double, step: Double, counter: CountingCommunicator) {
        let (data, model) = try workload()
        let counter = CountingCommunicator(communicator)
        let evaluation = model.makeEvaluation(for: data, communicator: counter)
        try evaluation.prepare(model: model, x: data.x, y: data.y, loss: .crossEntropy, withGradient: false)
        var rng = RandomGenerator(seed: 3)
        let v = (0..<model.parameterCount).map { _ in rng.normal() }
        var out: [Double] = []
        // Every rank times the same calls (they synchronise at each allreduce); rank 0's clock is reported.
        let hvp = try Bench.median(repeats: 5) { try evaluation.hvp(v, into: &out) }
        counter.reset()
        try evaluation.hvp(v, into: &out)
        let perHVP = counter.snapshot
        var grad: [Double] = []
        let step = try Bench.median(repeats: 5) {
            try evaluation.prepare(model: model, x: data.x, y: data.y, loss: .crossEntropy, withGradient: true)
            try evaluation.gradient(into: &grad)
            var p = model.parameters
            for i in p.indices { p[i] -= 1e-3 * grad[i] }
            model.parameters = p
        }
        counter.reset()
        try evaluation.prepare(model: model, x: data.x, y: data.y, loss: .crossEntropy, withGradient: true)
        try evaluation.gradient(into: &grad)
        counter.perStep = counter.snapshot
        counter.perHVP = perHVP
        return (hvp, step, counter)
    }

    /// Under mpirun: measure and let rank 0 print the result line.
    static func worker() {
        do {
            let (hvp, step, counter) = try measure(communicator: World.communicator)
            if World.rank == 0 {
                print("\(resultTag) hvp=\(hvp) step=\(step) hvp-collectives=\(counter.perHVP.calls) hvp-bytes=\(counter.perHVP.bytes)"
                      + " step-collectives=\(counter.perStep.calls) step-bytes=\(counter.perStep.bytes) library=\(World.communicator.library.replacingOccurrences(of: " ", with: "_"))")
            }
        } catch {
            FileHandle.standardError.write(Data("ritz-bench mpi (rank \(World.rank)): \(error)\n".utf8))
            World.communicator.abort(code: 1)
        }
    }

    static func run() throws {
        Bench.section("mpi: data-parallel HVP and training step, \(examples) examples, mlp \(sizes) (P = \(try workload().model.parameterCount))")
        let one = try measure(communicator: SingleProcess())
        Bench.report("HVP, 1 rank", one.hvp * 1e3, "ms")
        Bench.report("training step (full batch), 1 rank", one.step * 1e3, "ms")
        guard let two = runChild(ranks: 2) else { return }
        let cores = UsableCores.count
        Bench.report("HVP, 2 ranks", two.hvp * 1e3, "ms",
                     detail: "speed-up T1/T2 = \(Bench.format(one.hvp / two.hvp)), efficiency T1/(2·T2) = \(Bench.format(one.hvp / (2 * two.hvp)))")
        Bench.report("training step, 2 ranks", two.step * 1e3, "ms",
                     detail: "speed-up T1/T2 = \(Bench.format(one.step / two.step)), efficiency T1/(2·T2) = \(Bench.format(one.step / (2 * two.step)))")
        Bench.report("HVP: allreduces, bytes each", Double(two.hvpBytes / max(two.hvpCalls, 1)), "B",
                     detail: "\(two.hvpCalls) allreduce(s) per product (P doubles: the product)")
        Bench.report("step: allreduces, bytes in all", Double(two.stepBytes), "B",
                     detail: "\(two.stepCalls) allreduces per step (4 doubles: loss and accuracy; P doubles: the gradient)")
        print("  \(two.library), \(cores) core(s) for 2 ranks\(cores < 2 ? " (oversubscribed: no speed-up possible)" : "");"
              + " each rank also runs ritz's own two threads, so 2 ranks share the cores one rank used")
    }

    struct ChildResult {
        var hvp = Double.nan, step = Double.nan
        var hvpCalls = 0, hvpBytes = 0, stepCalls = 0, stepBytes = 0
        var library = ""
    }

    /// Runs this binary's `mpi` section under `mpirun --oversubscribe -n ranks` and reads rank 0's line.
    static func runChild(ranks: Int) -> ChildResult? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["mpirun", "--oversubscribe", "-n", "\(ranks)", CommandLine.arguments[0], "mpi"]
        var environment = ProcessInfo.processInfo.environment
        if getuid() == 0 {
            // Open MPI refuses root without both.
            environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
            environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch {
            print("  \(ranks) ranks not measured: mpirun did not start (\(error)); install openmpi-bin")
            return nil
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix(resultTag) }) else {
            print("  \(ranks) ranks not measured: mpirun exited \(process.terminationStatus) without a result")
            return nil
        }
        var r = ChildResult()
        for field in line.split(separator: " ").dropFirst() {
            let kv = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { continue }
            switch kv[0] {
            case "hvp": r.hvp = Double(kv[1]) ?? .nan
            case "step": r.step = Double(kv[1]) ?? .nan
            case "hvp-collectives": r.hvpCalls = Int(kv[1]) ?? 0
            case "hvp-bytes": r.hvpBytes = Int(kv[1]) ?? 0
            case "step-collectives": r.stepCalls = Int(kv[1]) ?? 0
            case "step-bytes": r.stepBytes = Int(kv[1]) ?? 0
            case "library": r.library = kv[1].replacingOccurrences(of: "_", with: " ")
            default: break
            }
        }
        return r
    }
}

/// A communicator that counts the collectives passed through it and the bytes each rank sends.
final class CountingCommunicator: Communicator, @unchecked Sendable {
    private let inner: any Communicator
    private(set) var calls = 0
    private(set) var bytes = 0
    var perHVP = (calls: 0, bytes: 0)
    var perStep = (calls: 0, bytes: 0)

    init(_ inner: any Communicator) { self.inner = inner }

    var snapshot: (calls: Int, bytes: Int) { (calls, bytes) }
    func reset() { calls = 0; bytes = 0 }

    var rank: Int { inner.rank }
    var size: Int { inner.size }
    var library: String { inner.library }
    func allreduceSum(_ values: inout [Double]) {
        calls += 1
        bytes += 8 * values.count
        inner.allreduceSum(&values)
    }
    func broadcast(_ values: inout [Double], root: Int) {
        calls += 1
        bytes += 8 * values.count
        inner.broadcast(&values, root: root)
    }
    func barrier() { inner.barrier() }
    func agree(failed: Bool, within seconds: Double?) -> Agreement? { inner.agree(failed: failed, within: seconds) }
    func abort(code: Int32) -> Never { inner.abort(code: code) }
}
