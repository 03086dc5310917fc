import Foundation
import RitzPlot

/// Plot rendering against the bars of the plots issue: a 200×50 panel of 3 × 10⁶ points, and
/// appending one point to a live plot then re-rendering 120×30. Beside the median wall time it
/// prints the least thread CPU time of the repeats, which a machine shared with other work does
/// not inflate; the bars are judged on that.
enum PlotBench {
    /// CPU seconds used by this thread.
    static func threadCPU() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Median wall time and least thread CPU time of `body` over `repeats` runs after one warm-up.
    static func measure(repeats: Int, _ body: () -> Void) -> (wall: Double, cpu: Double) {
        body()
        var cpu = Double.infinity
        let wall = Bench.median(repeats: repeats, warmup: 0) {
            let c0 = threadCPU()
            body()
            cpu = min(cpu, threadCPU() - c0)
        }
        return (wall, cpu)
    }

    static func run() throws {
        Bench.section("plot")
        let n = 1_000_000
        var state: UInt64 = 42
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        var series: [(name: String, x: [Double]?, y: [Double])] = []
        for k in 0..<3 {
            var y = [Double](repeating: 0, count: n)
            var v = 0.0
            for i in 0..<n { v += next(); y[i] = v + Double(k) * 100 }
            series.append(("s\(k)", nil, y))
        }
        let figure = try Figure.lines(series)
        var grid = StyledGrid(width: 0, height: 0)
        let big = measure(repeats: 7) { grid = figure.render(width: 200, height: 50, canvas: .braille) }
        _ = grid
        Bench.report("render 200x50, 3 x 1e6 points", big.wall * 1e3, "ms",
                     detail: String(format: "thread CPU %.3f ms, ratio to bar %.3f", big.cpu * 1e3, big.cpu / 0.020),
                     bar: ("<= 20 ms", big.cpu <= 0.020))

        var live = try LivePlot(series: ["loss", "acc", "sharpness"], panels: [0, 0, 1])
        for i in 0..<20_000 {
            try live.append(series: 0, x: Double(i), y: 1 / (1 + Double(i) / 100) + 0.01 * next())
            try live.append(series: 1, x: Double(i), y: 1 - exp(-Double(i) / 3000))
            try live.append(series: 2, x: Double(i), y: 20 + 5 * next())
        }
        let rounds = 2000
        var step = 20_000
        let liveTimes = measure(repeats: 5) {
            for _ in 0..<rounds {
                try? live.append(series: step % 3, x: Double(step / 3 + 20_000), y: 0.5 + next())
                grid = live.figure().render(width: 120, height: 30, canvas: .braille)
                step += 1
            }
        }
        let wall = liveTimes.wall / Double(rounds), cpu = liveTimes.cpu / Double(rounds)
        Bench.report("live append + render 120x30", wall * 1e3, "ms",
                     detail: String(format: "thread CPU %.3f ms, ratio to bar %.3f (60k points in 3 series, %d entries kept each)",
                                    cpu * 1e3, cpu / 0.0002, live.capacity),
                     bar: ("<= 0.2 ms", cpu <= 0.0002))
    }
}
