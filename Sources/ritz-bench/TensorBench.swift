import CBLAS
import RitzTensor

/// Matrix product, elementwise bandwidth and LAPACK against raw library calls (foundation issue).
enum TensorBench {
    static func run() throws {
        Bench.section("tensor")
        var rng = RandomGenerator(seed: 1)
        for n in [256, 1000, 2000] {
            let a = try Tensor.randn([n, n], using: &rng), b = try Tensor.randn([n, n], using: &rng)
            let repeats = n >= 2000 ? 3 : 7
            let tTensor = try Bench.median(repeats: repeats) { _ = try a.matmul(b) }
            var c = [Double](repeating: 0, count: n * n)
            let tRaw = Bench.median(repeats: repeats) {
                a.storage.withUnsafeBufferPointer { pa in
                    b.storage.withUnsafeBufferPointer { pb in
                        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n),
                                    1, pa.baseAddress, Int32(n), pb.baseAddress, Int32(n), 0, &c, Int32(n))
                    }
                }
            }
            let flops = 2 * Double(n) * Double(n) * Double(n)
            let ratio = tRaw / tTensor
            Bench.report("matmul n=\(n)", flops / tTensor / 1e9, "GFLOP/s",
                         detail: String(format: "raw dgemm %.1f GFLOP/s, ratio %.3f", flops / tRaw / 1e9, ratio),
                         bar: n == 1000 ? ("ratio >= 0.95", ratio >= 0.95) : nil)
        }
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
    }
}
