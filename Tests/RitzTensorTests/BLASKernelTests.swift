import Testing
@testable import RitzTensor

/// The start-up choice of OpenBLAS kernel family: a narrower family than the CPU supports is
/// replaced; a matching or unknown one is kept.
@Suite struct BLASKernelTests {
    static let avx512Intel = CPUFeatures(vendor: "GenuineIntel", family: 6, model: 207, avx: true, avx2: true, fma: true, avx512: true)
    static let avx2AMD = CPUFeatures(vendor: "AuthenticAMD", family: 23, model: 49, avx: true, avx2: true, fma: true)
    static let avx2Intel = CPUFeatures(vendor: "GenuineIntel", family: 6, model: 60, avx: true, avx2: true, fma: true)
    static let sseOnly = CPUFeatures(vendor: "GenuineIntel", family: 6, model: 15)

    @Test("generic kernels on a wider CPU are replaced by the CPU's family",
          arguments: [("Prescott", avx512Intel, "SkylakeX"), ("Core2", avx2Intel, "Haswell"),
                      ("Katmai", avx2AMD, "Zen"), ("Haswell", avx512Intel, "SkylakeX"),
                      ("Sandybridge", avx2Intel, "Haswell"), ("PRESCOTT", avx2AMD, "Zen")])
    func replaced(reported: String, cpu: CPUFeatures, expected: String) {
        #expect(BLASKernel.preferred(reported: reported, cpu: cpu) == expected)
    }

    @Test("a family that matches the CPU, or one ritz does not know, is kept",
          arguments: [("SkylakeX", avx512Intel), ("Cooperlake", avx512Intel), ("Zen", avx2AMD),
                      ("Haswell", avx2Intel), ("Prescott", sseOnly), ("NEOVERSEN1", avx2Intel),
                      ("armv8", CPUFeatures())])
    func kept(reported: String, cpu: CPUFeatures) {
        #expect(BLASKernel.preferred(reported: reported, cpu: cpu) == nil)
    }

    @Test("this process: OpenBLAS names a kernel and the CPU reports its features consistently")
    func thisMachine() {
        #expect(!BLASKernel.coreName.isEmpty)
        #expect(BLASKernel.config.contains("OpenBLAS"))
        let cpu = CPUFeatures.current
        // AVX-512 implies AVX2 and FMA on every CPU that has it; AVX2 implies AVX.
        if cpu.avx512 { #expect(cpu.avx2 && cpu.fma) }
        if cpu.avx2 { #expect(cpu.avx) }
    }
}
