import CKernels
import Foundation
import Testing

/// The CPUID reading and the peak kernels of `CKernels/fma_peak.c` (which ritz-bench times) against
/// what Linux reports and against closed forms. No timing: only that each kernel does the work it
/// claims and that the features are the machine's.
@Suite struct FMAPeakKernelTests {
    /// The `flags` of the first processor in /proc/cpuinfo (empty where there is none).
    private func cpuinfo() -> (flags: Set<String>, fields: [String: String]) {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return ([], [:]) }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            if fields[key] == nil { fields[key] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return (Set((fields["flags"] ?? "").split(separator: " ").map(String.init)), fields)
    }

    @Test func cpuFeaturesAgreeWithTheKernelsFlags() throws {
        #if arch(x86_64) && os(Linux)
        let (flags, fields) = cpuinfo()
        try #require(!flags.isEmpty, "no flags in /proc/cpuinfo")
        let f = ck_cpu_features_read()
        // Linux lists a feature only when the CPU has it and the kernel enabled its register state,
        // which is what the XCR0 check of ck_cpu_features_read adds to CPUID.
        let pairs: [(String, Int32)] = [("sse2", f.sse2), ("avx", f.avx), ("fma", f.fma), ("avx2", f.avx2),
                                        ("avx512f", f.avx512f), ("avx512dq", f.avx512dq),
                                        ("avx512bw", f.avx512bw), ("avx512vl", f.avx512vl)]
        for (name, value) in pairs {
            #expect((value != 0) == flags.contains(name), "\(name): CPUID \(value), /proc/cpuinfo \(flags.contains(name))")
        }
        #expect(fields["cpu family"].flatMap { Int32($0) } == f.family)
        #expect(fields["model"].flatMap { Int32($0) } == f.model)
        #expect(fields["stepping"].flatMap { Int32($0) } == f.stepping)
        #expect(ck_fma_lanes(CK_FMA_AVX2) == (f.avx2 != 0 && f.fma != 0 ? 4 : 0))
        #expect(ck_fma_lanes(CK_FMA_AVX512) == (f.avx512f != 0 ? 8 : 0))
        #endif
    }

    @Test func affinityCountMatchesProcSelfStatus() throws {
        #if os(Linux)
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let list = try #require(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        // "0-3,6,8-9": count every CPU of every range.
        let count = list.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces)
            .split(separator: ",").reduce(0) { total, range in
                let ends = range.split(separator: "-").compactMap { Int($0) }
                return total + (ends.count == 2 ? ends[1] - ends[0] + 1 : 1)
            }
        #expect(Int(ck_affinity_cpu_count()) == count)
        #endif
    }

    /// Each of the chains × lanes accumulators starts at 1 + chain and adds m·c = fl(1e-5 · 1e-5)
    /// once per iteration, so the sum is lanes · Σ(1 + i) + chains · lanes · n · m·c. Each addition
    /// rounds by at most ulp(acc)/2 ≤ ulp(chains + 1)/2, so the sum is within
    /// chains · lanes · n · ulp(chains + 1)/2 of that (about 1e-9 here), far below the
    /// 1e-6-sized term the additions contribute: a kernel that skipped work would fail.
    @Test(arguments: [CK_FMA_AVX2, CK_FMA_AVX512])
    func fmaChainsDoTheirWork(isa: ck_fma_isa) {
        let lanes = Double(ck_fma_lanes(isa))
        guard lanes > 0 else {
            #expect(ck_fma_chains(isa, 100) == 0)
            return
        }
        let chains = Double(ck_fma_chains_per_iteration(isa))
        let n = 1000.0
        let step = 1e-5 * 1e-5
        let expected = lanes * chains * (chains + 1) / 2 + chains * lanes * n * step
        let bound = chains * lanes * n * (chains + 1).ulp / 2
        let sum = ck_fma_chains(isa, Int(n))
        #expect(abs(sum - expected) <= bound, "sum \(sum), expected \(expected) ± \(bound)")
        #expect(ck_fma_chains(isa, 0) == 0)
    }

    @Test func clockChainAddsOncePerStep() {
        let adds = Int(ck_clock_chain_adds_per_iteration())
        #if arch(x86_64)
        #expect(adds > 0)
        #endif
        #expect(ck_clock_chain(1000) == 1000 * adds)
        #expect(ck_clock_chain(0) == 0)
    }
}
