import Foundation
import CBLAS
import CLAPACK
import RitzTensor

/// Matrix product, elementwise bandwidth and LAPACK against raw library calls (foundation issue).
enum TensorBench {
    static func run() throws {
        Bench.section("tensor")
        var rng = RandomGenerator(seed: 1)
        for n in [256, 1000, 2000] {
            let a = try Tensor.randn([n, n], using: &rng), b = try Tensor.randn([n, n], using: &rng)
            var c = [Double](repeating: 0, count: n * n)
            let pairs = n >= 2000 ? 5 : (n >= 1000 ? 9 : 21)
            // ritz runs OpenBLAS on one thread and cuts products itself; the reference is one
            // OpenBLAS call given as many threads as ritz uses. The two are timed in separate
            // phases: OpenBLAS's idle threads spin for a while after each call and would take
            // the cores from ours if the calls alternated.
            let m = try phased(runs: pairs, ours: { _ = try a.matmul(b) }, raw: {
                openblas_set_num_threads(Int32(Parallel.threads))
                defer { openblas_set_num_threads(1) }
                a.storage.withUnsafeBufferPointer { pa in
                    b.storage.withUnsafeBufferPointer { pb in
                        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n),
                                    1, pa.baseAddress, Int32(n), pb.baseAddress, Int32(n), 0, &c, Int32(n))
                    }
                }
            })
            let flops = 2 * Double(n) * Double(n) * Double(n)
            Bench.report("matmul n=\(n)", flops / m.ours / 1e9, "GFLOP/s",
                         detail: String(format: "raw dgemm (%d threads) %.1f GFLOP/s, ratio %.3f (medians of %d runs)",
                                        Parallel.threads, flops / m.raw / 1e9, m.ratio, pairs),
                         bar: n == 1000 ? ("ratio >= 0.95", m.ratio >= 0.95) : nil)
        }
        try eigh(&rng)
        let n = 10_000_000
        let x = try Tensor.randn([n], using: &rng), y = try Tensor.randn([n], using: &rng)
        var dst = [Double](repeating: 0, count: n)
        let tCopy = Bench.median {
            x.storage.withUnsafeBytes { src in
                dst.withUnsafeMutableBytes { d in d.copyMemory(from: src) }
            }
        }
        // memcpy moves 2·8n bytes (read + write); a + b moves 3·8n.
        let copyGBs = 16 * Double(n) / tCopy / 1e9
        let tAdd = try Bench.median { _ = try x + y }
        let addGBs = 24 * Double(n) / tAdd / 1e9
        Bench.report("a + b, 1e7 elements", addGBs, "GB/s",
                     detail: String(format: "memcpy %.1f GB/s, ratio %.2f", copyGBs, addGBs / copyGBs),
                     bar: ("ratio >= 0.5", addGBs / copyGBs >= 0.5))
        let tExp = try Bench.median { _ = try x.unary(.exp) }
        let expGBs = 16 * Double(n) / tExp / 1e9
        Bench.report("exp(a), 1e7 elements", expGBs, "GB/s",
                     detail: String(format: "ratio to memcpy %.2f", expGBs / copyGBs))
        try transcendentals(x)
        try parallelPieces()
    }

    /// What handing work to the second core costs, and what it buys on arrays of the MLP's hidden
    /// layer (1797 × 64): the size of most passes of a differentiation sweep.
    static func parallelPieces() throws {
        let calls = 20_000
        let tHandoff = Bench.median {
            for _ in 0..<calls { Parallel.forEachPiece(2, minimum: 2) { _ in } }
        } / Double(calls)
        Bench.report("parallel hand-off, empty pieces", tHandoff * 1e6, "us", detail: "\(Parallel.threads) thread(s)")
        var rng = RandomGenerator(seed: 3)
        let a = try Tensor.randn([1797, 64], using: &rng), b = try Tensor.randn([1797, 64], using: &rng)
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        var times: [Int: Double] = [:]
        for threads in Set([1, saved]).sorted() {
            Parallel.threads = threads
            times[threads] = try Bench.median { for _ in 0..<100 { _ = try a + b } } / 100
        }
        let one = times[1] ?? .nan, many = times[saved] ?? .nan
        Bench.report("a + b, 1797 x 64", many * 1e6, "us",
                     detail: String(format: "%d thread(s); one thread %.1f us, speed-up %.2f", saved, one * 1e6, one / many))
    }

    /// The vectorised kernels of `FastMath` against calling libm per element on the same data.
    static func transcendentals(_ x: Tensor) throws {
        let n = x.count
        var out = [Double](repeating: 0, count: n)
        for (name, fast, libm) in [
            ("exp", FastMath.exp as (UnsafePointer<Double>, UnsafeMutablePointer<Double>, Int) -> Void,
             { (p: UnsafePointer<Double>, q: UnsafeMutablePointer<Double>, n: Int) in for i in 0..<n { q[i] = Foundation.exp(p[i]) } }),
            ("tanh", FastMath.tanh,
             { (p: UnsafePointer<Double>, q: UnsafeMutablePointer<Double>, n: Int) in for i in 0..<n { q[i] = Foundation.tanh(p[i]) } }),
        ] {
            func time(_ f: (UnsafePointer<Double>, UnsafeMutablePointer<Double>, Int) -> Void) -> Double {
                Bench.median(repeats: 5) {
                    x.storage.withUnsafeBufferPointer { p in
                        out.withUnsafeMutableBufferPointer { q in
                            if let a = p.baseAddress, let b = q.baseAddress { f(a, b, n) }
                        }
                    }
                }
            }
            let tFast = time(fast), tLibm = time(libm)
            Bench.report("\(name) kernel, 1e7 elements", tFast / Double(n) * 1e9, "ns/elt",
                         detail: String(format: "libm %.2f ns/elt, speed-up %.1fx", tLibm / Double(n) * 1e9, tLibm / tFast))
        }
    }

    /// `Tensor.eigh` at n = 500 against a raw LAPACKE_dsyevd call on a copy of the same data
    /// (the copy is part of any call: dsyevd overwrites its input with the eigenvectors), and
    /// against SciPy's eigh of a matrix of the same size with `--peers`.
    static func eigh(_ rng: inout RandomGenerator) throws {
        let n = 500
        let g = try Tensor.randn([n, n], using: &rng)
        let s = try g + g.T
        var work = [Double](repeating: 0, count: n * n)
        var w = [Double](repeating: 0, count: n)
        let m = try paired(pairs: 9, ours: { _ = try s.eigh() }, raw: {
            work = s.storage
            _ = LAPACKE_dsyevd(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "L")),
                               Int32(n), &work, Int32(n), &w)
        })
        Bench.report("eigh n=500", m.ours * 1e3, "ms",
                     detail: String(format: "raw dsyevd %.1f ms, ratio %.3f (median of 9 pairs)", m.raw * 1e3, m.ratio),
                     bar: ("ratio >= 0.95", m.ratio >= 0.95))
        let scipy = try PeerComparison.measure("eigh", args: ["\(n)"], peerName: "SciPy", rounds: 7) { _ = try s.eigh() }
        Bench.report("eigh n=500, alternating with SciPy", scipy.ours * 1e3, "ms",
                     detail: scipy.detail(scale: 1e3, unit: "ms") + " (scipy.linalg.eigh, LAPACK dsyevr; ritz: dsyevd)")
    }

    /// Times `ours` and `raw` in interleaved pairs (alternating which goes first) after one warm-up
    /// of each, so drifts in machine load hit both alike.
    ///
    /// - Returns: median times of each and the median of the per-pair ratios raw/ours.
    static func paired(pairs: Int, ours: () throws -> Void, raw: () throws -> Void) throws
        -> (ours: Double, raw: Double, ratio: Double) {
        try ours(); try raw()
        var tOurs = [Double](), tRaw = [Double](), ratios = [Double]()
        for k in 0..<pairs {
            var a = 0.0, b = 0.0
            if k % 2 == 0 {
                a = try time(ours); b = try time(raw)
            } else {
                b = try time(raw); a = try time(ours)
            }
            tOurs.append(a); tRaw.append(b); ratios.append(b / a)
        }
        return (Bench.medianOf(tOurs), Bench.medianOf(tRaw), Bench.medianOf(ratios))
    }

    /// Medians of `runs` timings of `raw`, then (after a pause that lets library threads go idle)
    /// of `ours`; ratio = raw / ours.
    static func phased(runs: Int, ours: () throws -> Void, raw: () throws -> Void) throws
        -> (ours: Double, raw: Double, ratio: Double) {
        try raw()
        let tRaw = try (0..<runs).map { _ in try time(raw) }
        Thread.sleep(forTimeInterval: 0.3)
        try ours()
        let tOurs = try (0..<runs).map { _ in try time(ours) }
        let (o, r) = (Bench.medianOf(tOurs), Bench.medianOf(tRaw))
        return (o, r, r / o)
    }

    static func time(_ body: () throws -> Void) throws -> Double {
        let t0 = Bench.now()
        try body()
        return Bench.now() - t0
    }
}
