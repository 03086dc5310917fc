import CBLAS
import Foundation
import RitzMPI
import RitzTensor

/// ritz-bench: prints each figure beside the hardware limit or the reference workload of its
/// issue. `ritz-bench [--peers] [SECTION...]` runs only the named sections; with `--peers` the
/// reference workloads run live in NumPy, SciPy and JAX (`bench/peers.py`), alternating with ritz.
let sections: [(name: String, run: () throws -> Void)] = [
    ("roofline", RooflineBench.run),
    ("tensor", TensorBench.run),
    ("lang", LangBench.run),
    ("autodiff", AutodiffBench.run),
    ("cnn", ModelLibraryBench.runCNN),
    ("plot", PlotBench.run),
    ("koopman", KoopmanBench.run),
    ("learn", LearnBench.run),
    ("optimizers", OptimizerStepBench.run),
    ("engine", EngineBench.run),
    ("curvature", CurvatureBench.run),
    ("notebook", NotebookBench.run),
    ("live", LiveBench.run),
    ("mpi", MPIBench.run),
]

let usage = """
usage: ritz-bench [--peers] [SECTION...]
  sections: \(sections.map(\.name).joined(separator: " "))
  --peers   time NumPy/SciPy/JAX on the same workloads in the same run (bench/peers.py; python from
            RITZ_PEERS_PYTHON, else bench/.venv/bin/python, else python3); make its environment with
            \(Peer.venvCommand)
  --engine-gd kernels|tape|function [STEPS [THREADS [BATCH]]]
            only train the digits MLP (default 500 steps, full batch) through one path, for a profiler
  --engine-hvp kernels|tape|function [CALLS [THREADS]]
            only compute the digits MLP's HVP with its forward pass (default 500 calls) through one path
"""

// The kernel a user gets (ritz restarts itself with the CPU's OpenBLAS kernel when the
// library chose a narrower one), then the allocator settings.
BLASKernel.selectBest()
MemoryTuning.apply()
// A rank of the data-parallel run `ritz-bench mpi` starts under mpirun: it measures and rank 0 reports.
do {
    if try OpenMPI.startIfLaunched() != nil {
        MPIBench.worker()
        exit(0)
    }
} catch {
    FileHandle.standardError.write(Data("ritz-bench: \(error)\n".utf8))
    exit(1)
}
// A child started by the model library's bench to measure one HVP's peak memory on its own.
if CommandLine.arguments.dropFirst().first == ModelLibraryBench.peakChildArgument {
    do { try ModelLibraryBench.hvpPeakChild(); exit(0) } catch { print("error: \(error)"); exit(1) }
}
// A child that only trains the digits MLP, or only computes its HVPs, through one path, for
// profiling (see EngineBench).
if let mode = CommandLine.arguments.dropFirst().first,
   mode == EngineBench.gdChildArgument || mode == EngineBench.hvpChildArgument {
    let args = Array(CommandLine.arguments.dropFirst(2))
    let (path, threads) = (args.first ?? "", args.count > 2 ? Int(args[2]) : nil)
    let count = args.count > 1 ? Int(args[1]) ?? 500 : 500
    let batch = args.count > 3 ? Int(args[3]) ?? 0 : 0
    do {
        if mode == EngineBench.gdChildArgument {
            try EngineBench.gdChild(path: path, steps: count, threads: threads, batch: batch)
        } else {
            try EngineBench.hvpChild(path: path, calls: count, threads: threads)
        }
        exit(0)
    } catch { print("error: \(error)"); exit(1) }
}
var wanted = Set<String>()
var withPeers = false
for argument in CommandLine.arguments.dropFirst() {
    switch argument {
    case "--peers": withPeers = true
    case "-h", "--help": print(usage); exit(0)
    case _ where sections.contains { $0.name == argument }: wanted.insert(argument)
    default:
        FileHandle.standardError.write(Data("ritz-bench: unknown argument \(argument)\n\(usage)\n".utf8))
        exit(2)
    }
}

/// The BLAS ritz runs: OpenBLAS's kernel and build, and how the kernel was chosen.
func printBLAS() {
    print("OpenBLAS (ritz): kernel \(BLASKernel.coreName); \(BLASKernel.config.trimmingCharacters(in: .whitespaces))")
    switch BLASKernel.choice {
    case .detected: print("  OpenBLAS chose the kernel by CPUID")
    case .environment(let set): print("  OPENBLAS_CORETYPE=\(set) set before the start")
    case .selected(let from): print("  chosen at start-up: OpenBLAS had picked \(from), narrower than the CPU's vectors")
    }
    if let l2 = ProcessInfo.processInfo.environment["OPENBLAS_L2_SIZE"] { print("  OPENBLAS_L2_SIZE=\(l2) set") }
    print("  ritz threads: \(Parallel.threads) (its own pieces; OpenBLAS on \(openblas_get_num_threads()) thread per call)")
}

/// Starts the peer and prints what it runs, or why it could not start.
func startPeer() {
    // A peer that dies must not take ritz-bench with it when a request is written to its pipe.
    signal(SIGPIPE, SIG_IGN)
    let python = Peer.python()
    let command = ([python.executable] + python.leading).joined(separator: " ")
    do {
        let peer = try Peer(threads: Parallel.threads)
        print("Peers (bench/peers.py, \(command) from \(python.source)); NumPy and SciPy's OpenBLAS limited to \(Parallel.threads) thread(s), the cores ritz uses:")
        for line in peer.info { print("  \(line)") }
        if !peer.missing.isEmpty {
            for line in peer.missing { print("  missing \(line)") }
            print("  workloads of the missing packages are not measured; make the environment with:\n    \(Peer.venvCommand)")
        }
        Peer.current = peer
    } catch {
        print("Peers not started: \(error)\n  make the environment with:\n    \(Peer.venvCommand)")
        Peer.absence = "not measured (the peer did not start)"
    }
}

printBLAS()
if withPeers { startPeer() } else { print("Peers: not measured (ritz-bench --peers times NumPy/SciPy/JAX in the same run)") }
for section in sections where wanted.isEmpty || wanted.contains(section.name) {
    do { try section.run() } catch { print("  \(section.name) failed: \(error)") }
}
Peer.current?.close()
