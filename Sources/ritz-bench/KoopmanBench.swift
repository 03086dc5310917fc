import Foundation
import RitzAnalysis
import RitzTensor

/// EDMD with residuals, Laplacian positional encodings and principal angles (Koopman/graphs/Grassmann issue).
enum KoopmanBench {
    static func run() throws {
        Bench.section("koopman, graphs, grassmann")
        // EDMD + ResDMD on 10^5 Hénon snapshots with poly(5) (21 functions), against the same
        // algorithm in NumPy (QR, triangular solves, eig, residuals) on the same orbit; QR is asked
        // for, since the switch rule would take the Gram form at this size (M·w = 4.4e6 > 2²²).
        let henon = try KoopmanSystem.henon.simulate(x0: Tensor([0.1, 0.1]), steps: 100_000)
        var fit: EDMD?
        let edmd = try PeerComparison.measure("edmd_henon", args: ["100000", "5"], peerName: "NumPy", rounds: 5) {
            fit = try EDMD.fit(x: henon, dictionary: .poly(degree: 5), residuals: .training, method: .qr)
        }
        let resMax = fit?.residuals?.max() ?? .nan
        Bench.report("EDMD+residuals, Hénon 1e5, poly(5)", edmd.ours, "s",
                     detail: edmd.detail(scale: 1, unit: "s") + String(format: "; N=%d, max residual %.2e", fit?.eigenvalues.count ?? 0, resMax),
                     bar: edmd.bar(timeRatioAtMost: 0.5))

        try chunkedEDMD()

        // laplacian_pe(G, 8) on the 100×100 grid, symmetric normalisation, against SciPy eigsh
        // (shift-invert) on the same Laplacian, and its eigenvalues against the committed fixture.
        let grid = try Graph.grid(100, 100)
        var pe: LaplacianPE?
        let lpe = try PeerComparison.measure("laplacian_pe_grid", args: ["100", "100", "8"], peerName: "SciPy eigsh", rounds: 3) {
            pe = try LaplacianPE.compute(grid, k: 8)
        }
        var err = Double.nan
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Tests/RitzAnalysisTests/Fixtures/graphs/grid100.json")
        if let data = try? Data(contentsOf: fixture),
           let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let ref = (obj["smallest"] as? [NSNumber])?.map(\.doubleValue), let pe {
            err = zip(pe.eigenvalues, ref.dropFirst()).map { abs($0 - $1) }.max() ?? .nan
        }
        let groups = pe?.groups.map { "\($0.count)" }.joined(separator: "+") ?? "?"
        let speed = lpe.bar(timeRatioAtMost: 1)
        Bench.report("laplacian_pe(grid 100x100, 8), sym", lpe.ours, "s",
                     detail: lpe.detail(scale: 1, unit: "s")
                        + String(format: "; max |Δλ| vs the eigsh fixture %.1e; groups %@; %@, %d solves", err, groups,
                                 pe?.method ?? "?", pe?.solves ?? 0),
                     bar: ((speed.map { $0.text + " and " } ?? "") + "|Δλ| <= 1e-8", (speed?.met ?? true) && err <= 1e-8))

        // laplacian_pe(grid_graph(400, 400), 8) — the graph built inside the timing on both sides —
        // against SciPy's shift-invert eigsh (k + 1 = 9 pairs about σ = −1e-3, SuperLU) in the same run.
        var pe400: LaplacianPE?
        let c400 = try PeerComparison.measure("laplacian_pe_grid", args: ["400", "400", "8"], peerName: "SciPy eigsh(sigma)", rounds: 3) {
            pe400 = try LaplacianPE.compute(try Graph.grid(400, 400), k: 8)
        }
        Bench.report("laplacian_pe(grid 400x400, 8), sym", c400.ours, "s",
                     detail: c400.detail(scale: 1, unit: "s")
                        + String(format: "; %@, %d solves, max residual %.1e", pe400?.method ?? "?", pe400?.solves ?? 0, pe400?.residuals.max() ?? .nan),
                     bar: c400.bar(timeRatioAtMost: 1))

        // A 10^6-node grid, k = 8: under a minute with every residual ≤ 1e-8; the peak resident
        // set of the process (getrusage ru_maxrss, the whole bench run so far) printed beside it.
        let start = Date()
        let million = try LaplacianPE.compute(try Graph.grid(1000, 1000), k: 8)
        let seconds = Date().timeIntervalSince(start)
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let worst = million.residuals.max() ?? .nan
        Bench.report("laplacian_pe(grid 1000x1000, 8), sym", seconds, "s",
                     detail: String(format: "%@, %d solves, factor %.0f MiB, max residual %.1e, peak RSS (ru_maxrss) %.0f MiB",
                                    million.method, million.solves, Double(million.factorBytes) / 1_048_576, worst, Double(usage.ru_maxrss) / 1024),
                     bar: ("< 60 s and every residual <= 1e-8", seconds < 60 && worst <= 1e-8))

        // principal_angles of two 1000×50 bases next to one dense SVD of the same size.
        var rng = RandomGenerator(seed: 4)
        let a = try Tensor.randn([1000, 50], using: &rng), b = try Tensor.randn([1000, 50], using: &rng)
        let tAngles = try Bench.median { _ = try Grassmann.principalAngles(a, b) }
        let tSVD = try Bench.median { _ = try a.svd() }
        Bench.report("principal_angles, two 1000x50", tAngles * 1e3, "ms",
                     detail: String(format: "dense SVD 1000x50 %.2f ms, ratio %.1f SVDs", tSVD * 1e3, tAngles / tSVD))
    }

    /// EDMD + residuals with poly(5) on 10^6 and 10^7 Hénon snapshots by the chunked Gram form:
    /// the time against NumPy's Gram form (Ψ of the whole orbit, then Ψ_XᵀΨ_X, Ψ_XᵀΨ_Y, Ψ_YᵀΨ_Y)
    /// on the 10^7 orbit (NumPy holds it: Ψ is 1.7 GB), and the growth of the peak resident set
    /// over each fit, which stays the same from 10^6 to 10^7 snapshots.
    static func chunkedEDMD() throws {
        for steps in [1_000_000, 10_000_000] {
            let orbit = try KoopmanSystem.henon.simulate(x0: Tensor([0.1, 0.1]), steps: steps)
            let label = steps == 1_000_000 ? "1e6" : "1e7"
            // Peak of one fit over the resident set before it (the orbit already in memory).
            resetPeakRSS()
            let before = residentBytes(field: "VmRSS:")
            var fit = try EDMD.fit(x: orbit, dictionary: .poly(degree: 5), residuals: .training)
            let growth = residentBytes(field: "VmHWM:") - before
            let data = Double(orbit.count * 8)
            let flagged = fit.residuals?.filter { $0 > 0.1 }.count ?? 0
            Bench.report("EDMD+residuals peak memory, Hénon \(label)", growth / 1048576, "MB",
                         detail: String(format: "growth of the peak resident set (VmHWM, reset before the fit) over the %.0f MB resident before it (orbit %.0f MB); method %@, %d of %d eigenvalues with residual > 0.1",
                                        before / 1048576, data / 1048576, fit.method.rawValue, flagged, fit.eigenvalues.count))
            guard steps == 10_000_000 else { continue }
            let timing = try PeerComparison.measure("edmd_gram_henon", args: ["\(steps)", "5"], peerName: "NumPy", rounds: 3) {
                fit = try EDMD.fit(x: orbit, dictionary: .poly(degree: 5), residuals: .training)
            }
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            Bench.report("EDMD+residuals, Hénon 1e7, poly(5)", timing.ours, "s",
                         detail: timing.detail(scale: 1, unit: "s")
                            + String(format: "; method %@; ru_maxrss of ritz-bench %.0f MB", fit.method.rawValue, Double(usage.ru_maxrss) / 1024),
                         bar: timing.bar(timeRatioAtMost: 0.5))
        }
    }

    /// Resets this process's peak resident set (VmHWM) to its current one (Linux ≥ 4.0:
    /// writing 5 to /proc/self/clear_refs).
    static func resetPeakRSS() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// A field of /proc/self/status in bytes (VmRSS: resident now, VmHWM: peak), NaN when unreadable.
    static func residentBytes(field: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }) else { return .nan }
        return (Double(line.split(separator: " ").dropFirst().first ?? "") ?? .nan) * 1024
    }
}
