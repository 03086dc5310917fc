import CBLAS
import CKernels
import Foundation

/// The vector extensions of this CPU that the operating system lets programs use.
public struct CPUFeatures: Equatable, Sendable {
    /// CPUID's vendor string (`GenuineIntel`, `AuthenticAMD`), empty off x86.
    public var vendor: String
    /// Display family and model (CPUID leaf 1, extended fields folded in).
    public var family: Int, model: Int
    public var avx: Bool, avx2: Bool, fma: Bool
    /// AVX-512 Foundation with the byte/word, doubleword/quadword and vector-length subsets
    /// that OpenBLAS's SkylakeX kernels use.
    public var avx512: Bool

    /// Features as given (for tests of the kernel choice).
    public init(vendor: String = "", family: Int = 0, model: Int = 0, avx: Bool = false,
                avx2: Bool = false, fma: Bool = false, avx512: Bool = false) {
        self.vendor = vendor
        self.family = family
        self.model = model
        self.avx = avx
        self.avx2 = avx2
        self.fma = fma
        self.avx512 = avx512
    }

    /// This machine's features, read once.
    public static let current: CPUFeatures = {
        let f = ck_cpu_features_read()
        return CPUFeatures(vendor: names.vendor, family: Int(f.family), model: Int(f.model),
                           avx: f.avx != 0, avx2: f.avx2 != 0, fma: f.fma != 0,
                           avx512: f.avx512f != 0 && f.avx512bw != 0 && f.avx512dq != 0 && f.avx512vl != 0)
    }()

    /// CPUID's vendor and brand strings (empty off x86).
    public static let names: (vendor: String, brand: String) = {
        var vendor = [CChar](repeating: 0, count: 16), brand = [CChar](repeating: 0, count: 64)
        ck_cpu_names(&vendor, vendor.count, &brand, brand.count)
        func text(_ chars: [CChar]) -> String {
            String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return (text(vendor), text(brand).trimmingCharacters(in: .whitespaces))
    }()

    /// The widest vector level: 4 AVX-512, 3 AVX2+FMA, 2 AVX, 1 SSE (any x86-64), 0 unknown.
    public var level: Int {
        if avx512 { return 4 }
        if avx2 && fma { return 3 }
        if avx { return 2 }
        return vendor.isEmpty ? 0 : 1
    }

    /// The extensions present, as `avx2 fma avx512`.
    public var names: String {
        [("avx", avx), ("avx2", avx2), ("fma", fma), ("avx512", avx512)]
            .filter(\.1).map(\.0).joined(separator: " ")
    }
}

/// Which OpenBLAS kernel family runs the products, and the choice ritz makes at start-up.
///
/// Debian's OpenBLAS is built with `DYNAMIC_ARCH`: its load-time constructor reads CPUID and
/// picks kernels for the CPU model. A model newer than the library is not recognised and gets
/// the generic `Prescott` (SSE3) kernels, 4–5× slower than the AVX2 or AVX-512 ones the CPU can
/// run. The constructor also honours `OPENBLAS_CORETYPE`, so the one way to change the choice is
/// to set that variable and start the process again before any product runs.
public enum BLASKernel {
    /// The kernel family OpenBLAS runs (`openblas_get_corename`).
    public static var coreName: String { String(cString: openblas_get_corename()) }
    /// OpenBLAS's build description (`openblas_get_config`): version and build options.
    public static var config: String { String(cString: openblas_get_config()) }

    /// How OpenBLAS was built to use threads (`openblas_get_parallel`): 0 single-threaded,
    /// 1 its own threads, 2 OpenMP. Debian ships all three (`libopenblas0-serial`, `-pthread`,
    /// `-openmp`) and `update-alternatives` picks one.
    public static var threading: Int { Int(openblas_get_parallel()) }

    /// Whether two threads may call OpenBLAS at once. The single-threaded build is compiled
    /// without locks around its shared buffers (upstream's `USE_THREAD=0` without
    /// `USE_LOCKING=1`, as Debian builds it): concurrent calls corrupt each other's results.
    public static var isThreadSafe: Bool { threading != 0 }

    /// Vector level of OpenBLAS's kernel families by name (lower-cased), as in its `dynamic.c`.
    static let coreLevels: [String: Int] = {
        var levels: [String: Int] = [:]
        for name in ["katmai", "coppermine", "northwood", "prescott", "banias", "core2", "penryn",
                     "dunnington", "nehalem", "atom", "nano", "athlon", "opteron", "opteron_sse3",
                     "barcelona", "bobcat"] { levels[name] = 1 }
        for name in ["sandybridge", "bulldozer", "piledriver", "steamroller", "excavator"] { levels[name] = 2 }
        for name in ["haswell", "zen", "skylake"] { levels[name] = 3 }
        for name in ["skylakex", "cooperlake", "sapphirerapids"] { levels[name] = 4 }
        return levels
    }()

    /// The kernel family to ask for when OpenBLAS chose one narrower than the CPU supports.
    ///
    /// - Parameters:
    ///   - reported: The family OpenBLAS chose.
    ///   - cpu: What the CPU offers.
    /// - Returns: `SkylakeX` (AVX-512), `Haswell` or `Zen` (AVX2+FMA, by vendor), or nil when
    ///   the reported family already uses the CPU's widest vectors or is not an x86 family
    ///   ritz knows.
    public static func preferred(reported: String, cpu: CPUFeatures) -> String? {
        guard let have = coreLevels[reported.lowercased()] else { return nil }
        let want = cpu.level
        guard want > have else { return nil }
        switch want {
        case 4: return "SkylakeX"
        case 3: return cpu.vendor == "AuthenticAMD" || cpu.vendor == "HygonGenuine" ? "Zen" : "Haswell"
        default: return nil  // an AVX-only CPU gains little from Sandybridge over a misdetection
        }
    }

    /// How the running kernel was chosen, for `ritz --version --verbose`.
    public enum Choice: Equatable, Sendable {
        /// OpenBLAS's own detection.
        case detected
        /// `OPENBLAS_CORETYPE` set before ritz started.
        case environment(String)
        /// ritz set `OPENBLAS_CORETYPE` and restarted because OpenBLAS had chosen `from`.
        case selected(from: String)
    }

    /// Marks a process that ritz restarted with a kernel of its choosing.
    static let selectedFromVariable = "RITZ_BLAS_SELECTED_FROM"
    /// Testing aid: the family `selectBest` takes OpenBLAS to have chosen.
    static let reportedForTestingVariable = "RITZ_BLAS_ASSUME_REPORTED"

    /// How this process's kernel was chosen.
    public static var choice: Choice {
        let env = ProcessInfo.processInfo.environment
        if let from = env[selectedFromVariable], !from.isEmpty { return .selected(from: from) }
        if let set = env["OPENBLAS_CORETYPE"], !set.isEmpty { return .environment(set) }
        return .detected
    }

    /// Restarts the process with the best kernel when OpenBLAS chose a narrower one.
    ///
    /// Call first thing in `main`, before any other thread exists. A kernel the user (or the
    /// machine's administrator) set with `OPENBLAS_CORETYPE` is always kept; so is the current
    /// process when the restart fails (ritz then runs with what OpenBLAS chose). The restart
    /// runs `/proc/self/exe` with the same arguments and environment plus `OPENBLAS_CORETYPE`,
    /// so it happens at most once.
    ///
    /// The same restart sets `OMP_NUM_THREADS=1` under OpenBLAS's OpenMP build, which takes
    /// its thread count from each calling thread's OpenMP setting: `openblas_set_num_threads`
    /// changes only the thread that calls it, and the variable, read when the OpenMP runtime
    /// loads, is the one setting that reaches every thread.
    public static func selectBest() {
        let env = ProcessInfo.processInfo.environment
        var restart = false
        if threading == 2 && env["OMP_NUM_THREADS"] != "1" {
            setenv("OMP_NUM_THREADS", "1", 1)
            restart = true
        }
        if env["OPENBLAS_CORETYPE"].map({ $0.isEmpty }) ?? true {
            // Testing aid: act as if OpenBLAS had reported this family (the restart path cannot
            // be reached otherwise on a CPU the library knows).
            let reported = env[reportedForTestingVariable].flatMap { $0.isEmpty ? nil : $0 } ?? coreName
            if let better = preferred(reported: reported, cpu: .current) {
                setenv("OPENBLAS_CORETYPE", better, 1)
                setenv(selectedFromVariable, reported, 1)
                unsetenv(reportedForTestingVariable)
                restart = true
            }
        }
        guard restart else { return }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Still here: the restart failed; carry on with OpenBLAS's choice.
        for (name, value) in [("OPENBLAS_CORETYPE", env["OPENBLAS_CORETYPE"]), (selectedFromVariable, env[selectedFromVariable]),
                              ("OMP_NUM_THREADS", env["OMP_NUM_THREADS"])] {
            if let value { setenv(name, value, 1) } else { unsetenv(name) }
        }
    }
}
