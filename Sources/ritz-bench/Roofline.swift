import CKernels
import Foundation
import RitzTensor

/// The hardware peak of dense float64 products on this machine: cores × FMA units × SIMD lanes
/// × 2 flops × clock, each factor with where it came from, and the peak measured by chains of
/// independent FMAs (`Sources/CKernels/fma_peak.c`) on one thread and on every core.
///
/// Rates are flops per second of each thread's own CPU time, so other work on a shared machine
/// lowers the wall-clock figure (printed beside) but not the peak; running on every core at once
/// still shows what cores share (SMT siblings, a clock that drops with more active cores).
struct Roofline {
    /// One vector width the FMA kernel ran at.
    struct Width {
        let isa: ck_fma_isa
        let name: String
        let lanes: Int
        /// Vector FMA instructions per cycle of the measured clock, on one thread.
        let fmaPerCycle: Double
        /// FMA units per core: `fmaPerCycle` rounded (at least 1).
        var units: Int { Swift.max(1, Int(fmaPerCycle.rounded())) }
        /// float64 flops per cycle per core: units × lanes × 2.
        var flopsPerCycle: Int { units * lanes * 2 }
    }

    /// A measured rate on `threads` threads at once.
    struct Measured {
        let threads: Int
        /// Sum over threads of flops / thread CPU seconds, GFLOP/s.
        let gflops: Double
        /// All flops over the wall time from start to the last thread's end, GFLOP/s.
        let wallGflops: Double
    }

    let vendor: String
    let brand: String
    let features: ck_cpu_features
    /// CPUs this process may run on.
    let cores: Int
    let coresSource: String
    /// The clock of the nominal peak, GHz, and where it was read.
    let nominalClock: Double
    let nominalClockSource: String
    /// The clock a dependent chain of integer adds runs at, GHz (turbo included).
    let measuredClock: Double
    let widths: [Width]
    /// The width with the most flops per cycle (the wider one on a tie).
    let best: Width?
    let measured: [Measured]

    /// Nominal peak of `cores` cores, GFLOP/s: cores × units × lanes × 2 × nominal clock.
    func nominalPeak(cores: Int) -> Double {
        Double(cores * (best?.flopsPerCycle ?? 0)) * nominalClock
    }

    /// The measured peak on `threads` threads (the nearest count measured at or below it), GFLOP/s.
    func measuredPeak(threads: Int) -> Double? {
        measured.last(where: { $0.threads <= threads })?.gflops
    }

    /// Measured once per process, on first use.
    static let shared = Roofline.measure(threadCounts: [1, Parallel.threads])

    /// Reads CPUID, the affinity mask and the clocks, and runs the FMA and clock kernels.
    ///
    /// - Parameter threadCounts: Thread counts to measure the peak at (the core count is added).
    /// - Returns: the roofline (with no widths on a CPU the kernel does not support).
    static func measure(threadCounts: [Int]) -> Roofline {
        let features = ck_cpu_features_read()
        let online = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        let affinity = Int(ck_affinity_cpu_count())
        let cores = affinity > 0 ? affinity : Swift.max(1, online)
        let coresSource = affinity > 0 ? "sched_getaffinity mask; sysconf reports \(online) online"
                                       : "sysconf online CPUs (affinity mask unreadable)"
        let (clock, clockSource) = nominalClockReading()
        let measuredClock = measureClock()
        var widths: [Width] = []
        for (isa, name) in [(CK_FMA_AVX2, "AVX2+FMA 256-bit"), (CK_FMA_AVX512, "AVX-512F 512-bit")] {
            let lanes = Int(ck_fma_lanes(isa))
            guard lanes > 0, measuredClock > 0 else { continue }
            let rate = bestRate(isa: isa)
            let instructionsPerSecond = rate / Double(lanes * 2)
            widths.append(Width(isa: isa, name: name, lanes: lanes, fmaPerCycle: instructionsPerSecond / (measuredClock * 1e9)))
        }
        let best = widths.max { ($0.flopsPerCycle, $0.lanes) < ($1.flopsPerCycle, $1.lanes) }
        var measured: [Measured] = []
        if let best {
            for threads in Set(threadCounts + [cores]).sorted() where threads >= 1 {
                measured.append(measureThreads(isa: best.isa, threads: threads))
            }
        }
        return Roofline(vendor: CPUFeatures.names.vendor, brand: CPUFeatures.names.brand, features: features,
                        cores: cores, coresSource: coresSource, nominalClock: clock, nominalClockSource: clockSource,
                        measuredClock: measuredClock, widths: widths, best: best, measured: measured)
    }

    /// The nominal clock in GHz: cpufreq's `cpuinfo_max_freq` when the kernel exposes it, else the
    /// largest `cpu MHz` of /proc/cpuinfo (on many virtual machines the TSC's rate, not the turbo clock).
    static func nominalClockReading() -> (ghz: Double, source: String) {
        let maxFreq = "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"
        if let text = try? String(contentsOfFile: maxFreq, encoding: .utf8),
           let khz = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)), khz > 0 {
            return (khz / 1e6, "\(maxFreq)")
        }
        let mhz = ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
            .split(separator: "\n")
            .filter { $0.hasPrefix("cpu MHz") }
            .compactMap { $0.split(separator: ":").last.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } }
            .max()
        if let mhz { return (mhz / 1e3, "/proc/cpuinfo \"cpu MHz\" (no cpufreq max in /sys)") }
        return (0, "unknown (neither cpufreq nor /proc/cpuinfo \"cpu MHz\")")
    }

    /// Runs `body(iterations)` long enough to take about `seconds` of thread CPU time, three
    /// times, and returns the best rate in `perIteration` units per second.
    static func bestRate(perIteration: Double, seconds: Double = 0.15, _ body: (Int) -> Void) -> Double {
        var iterations = 1 << 16
        while true {
            let t0 = Bench.threadCPUNow()
            body(iterations)
            let t = Bench.threadCPUNow() - t0
            if t > 0.02 || iterations > 1 << 40 {
                iterations = Swift.max(1, Int(Double(iterations) * seconds / Swift.max(t, 1e-9)))
                break
            }
            iterations *= 4
        }
        var best = 0.0
        for _ in 0..<3 {
            let t0 = Bench.threadCPUNow()
            body(iterations)
            let t = Bench.threadCPUNow() - t0
            if t > 0 { best = Swift.max(best, Double(iterations) * perIteration / t) }
        }
        return best
    }

    /// The clock of the calling core in GHz, from the dependent-add chain (0 where it cannot run).
    static func measureClock() -> Double {
        let adds = Double(ck_clock_chain_adds_per_iteration())
        guard adds > 0 else { return 0 }
        return bestRate(perIteration: adds) { _ = ck_clock_chain($0) } / 1e9
    }

    /// flops per iteration of the FMA kernel at `isa`: chains × lanes × 2.
    static func flopsPerIteration(_ isa: ck_fma_isa) -> Double {
        Double(ck_fma_chains_per_iteration(isa)) * Double(ck_fma_lanes(isa)) * 2
    }

    /// The one-thread FMA rate at `isa`, flop/s.
    static func bestRate(isa: ck_fma_isa) -> Double {
        bestRate(perIteration: flopsPerIteration(isa)) { _ = ck_fma_chains(isa, $0) }
    }

    /// Results of threads that run at once, written under a lock.
    private final class Samples: @unchecked Sendable {
        let lock = NSLock()
        var rates: [Double] = []
        var ends: [Double] = []
    }

    /// Runs the FMA kernel on `threads` threads at once, each about 0.3 s.
    static func measureThreads(isa: ck_fma_isa, threads: Int) -> Measured {
        let perIteration = flopsPerIteration(isa)
        let iterations = Swift.max(1, Int(0.3 * bestRate(isa: isa) / perIteration))
        let samples = Samples()
        let done = DispatchSemaphore(value: 0)
        let start = Bench.now()
        for _ in 0..<threads {
            let thread = Thread {
                let t0 = Bench.threadCPUNow()
                _ = ck_fma_chains(isa, iterations)
                let cpu = Bench.threadCPUNow() - t0
                let end = Bench.now()
                samples.lock.lock()
                samples.rates.append(cpu > 0 ? Double(iterations) * perIteration / cpu : 0)
                samples.ends.append(end)
                samples.lock.unlock()
                done.signal()
            }
            thread.start()
        }
        for _ in 0..<threads { done.wait() }
        let wall = (samples.ends.max() ?? start) - start
        let total = Double(threads) * Double(iterations) * perIteration
        return Measured(threads: threads, gflops: samples.rates.reduce(0, +) / 1e9,
                        wallGflops: wall > 0 ? total / wall / 1e9 : 0)
    }

    /// The CPU features in CPUID's words, for the report.
    var featureSummary: String {
        let f = features
        let names = [("SSE2", f.sse2), ("AVX", f.avx), ("FMA", f.fma), ("AVX2", f.avx2), ("AVX-512F", f.avx512f),
                     ("AVX-512DQ", f.avx512dq), ("AVX-512BW", f.avx512bw), ("AVX-512VL", f.avx512vl)]
        let present = names.filter { $0.1 != 0 }.map(\.0)
        return present.isEmpty ? "none that ritz's kernels use" : present.joined(separator: " ")
    }

    /// Prints every factor of the peak and where it came from, then the measured peaks.
    func printFactors() {
        print("  CPU: \(vendor) \"\(brand)\", family \(features.family) model \(features.model) stepping \(features.stepping)")
        print("  CPUID features (with the OS saving their registers, XCR0): \(featureSummary)")
        print("  cores: \(cores) (\(coresSource))")
        print(String(format: "  clock: %.3f GHz nominal from %@; %.3f GHz measured (a chain of dependent integer adds, one per cycle)",
                     nominalClock, nominalClockSource, measuredClock))
        guard let best else {
            print("  no FMA kernel runs on this CPU (it needs x86-64 with AVX2+FMA or AVX-512F): no peak")
            return
        }
        for w in widths {
            print(String(format: "  %@: %d float64 lanes (CPUID); %.2f vector FMAs per cycle measured on one thread -> %d FMA unit(s) per core, %d flops/cycle",
                         w.name, w.lanes, w.fmaPerCycle, w.units, w.flopsPerCycle))
        }
        let perCore = nominalPeak(cores: 1)
        print(String(format: "  nominal peak: %d cores x %d FMA unit(s) x %d lanes x 2 x %.3f GHz = %.1f GFLOP/s (%.1f per core; %.1f per core at the measured clock)",
                     cores, best.units, best.lanes, nominalClock, nominalPeak(cores: cores), perCore,
                     Double(best.flopsPerCycle) * measuredClock))
        for m in measured {
            Bench.report("measured peak, \(best.name), \(m.threads) thread(s)", m.gflops, "GFLOP/s",
                         detail: String(format: "per thread CPU second; wall clock %.1f GFLOP/s (the machine's other work)", m.wallGflops))
        }
    }
}
