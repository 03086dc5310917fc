import RitzTensor

/// Dense products against the hardware: the peak's factors, the measured peak, and ritz's dgemm
/// at n = 1000 as a fraction of both, beside NumPy's in the same run (issue 12).
enum RooflineBench {
    static func run() throws {
        Bench.section("roofline (dense float64 products against the hardware)")
        let roof = Roofline.shared
        roof.printFactors()
        let n = 1000, threads = Parallel.threads
        var rng = RandomGenerator(seed: 1)
        let a = try Tensor.randn([n, n], using: &rng), b = try Tensor.randn([n, n], using: &rng)
        let flops = 2 * Double(n) * Double(n) * Double(n)
        let c = try PeerComparison.measure("dgemm", args: ["\(n)"], peerName: "NumPy", rounds: 9) { _ = try a.matmul(b) }
        let nominal = roof.nominalPeak(cores: Swift.min(threads, roof.cores))
        let peak = roof.measuredPeak(threads: threads)
        func ofPeaks(_ gflops: Double) -> String {
            let measured = peak.map { String(format: "%.0f%% of the measured peak on %d thread(s) (%.1f GFLOP/s)", 100 * gflops / $0, threads, $0) }
                ?? "no measured peak"
            return measured + (nominal > 0 ? String(format: ", %.0f%% of the nominal peak of %d core(s) (%.1f GFLOP/s)",
                                                     100 * gflops / nominal, Swift.min(threads, roof.cores), nominal) : "")
        }
        let ours = flops / c.ours / 1e9
        Bench.report("dgemm n=\(n), ritz Tensor.matmul (\(threads) thr.)", ours, "GFLOP/s",
                     detail: ofPeaks(ours) + "; median of 9 rounds")
        guard let peer = c.peer else {
            Bench.report("dgemm n=\(n), NumPy", .nan, "GFLOP/s", detail: c.note)
            return
        }
        let theirs = flops / peer / 1e9
        Bench.report("dgemm n=\(n), NumPy (same run, alternating)", theirs, "GFLOP/s", detail: ofPeaks(theirs))
        Bench.report("dgemm n=\(n): ritz speed / NumPy's", ours / theirs, "x",
                     detail: String(format: "CPU per call ritz %.1f ms, NumPy %.1f ms", c.oursCPU * 1e3, (c.peerCPU ?? .nan) * 1e3),
                     bar: (">= 0.8", ours / theirs >= 0.8))
    }
}
