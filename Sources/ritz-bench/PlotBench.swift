import Foundation
import RitzPlot

/// Plot rendering against the bars of the plots issue: a 200×50 panel of 3 × 10⁶ points, 10⁷
/// points (a run sampled every step, a scatter) to the terminal and to SVG, and appending one
/// point to a live plot then re-rendering 120×30. Beside the median wall time it
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

        try tenMillion(next)

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

    /// 10⁷ points as a user brings them: a training run's loss sampled every step (x = step,
    /// with spikes and a NaN stretch) and a scatter of 10⁷ points (a Gaussian cloud). Each is
    /// drawn to the terminal (braille, 120×30) and to SVG at the notebook's size (72×20 cells at
    /// 9×18 pixels); the SVG's bytes are reported against the 1 MB bar.
    ///
    /// - Parameter uniform: The bench's seeded generator, uniform on [−0.5, 0.5).
    static func tenMillion(_ uniform: () -> Double) throws {
        let n = 10_000_000
        var steps = [Double](repeating: 0, count: n), loss = [Double](repeating: 0, count: n)
        for i in 0..<n {
            steps[i] = Double(i)
            loss[i] = 2 / (1 + Double(i) / 1e5) * (1 + 0.3 * uniform())
        }
        for i in stride(from: 777, to: n, by: 1_000_003) { loss[i] = 50 }
        for i in 5_000_000..<5_000_100 { loss[i] = .nan }
        var xs = [Double](repeating: 0, count: n), ys = [Double](repeating: 0, count: n)
        for i in 0..<n {
            // Box–Muller from two uniforms (shifted into (0, 1]).
            let u1 = uniform() + 0.5 + 1e-12, u2 = uniform() + 0.5
            let r = (-2 * log(u1)).squareRoot()
            xs[i] = r * cos(2 * Double.pi * u2)
            ys[i] = 0.5 * xs[i] + r * sin(2 * Double.pi * u2)
        }
        var built: [(String, Figure)] = []
        let build = measure(repeats: 3) {
            built = [("run of 1e7 steps", (try? Figure.line(loss, x: steps, name: "loss")) ?? Figure()),
                     ("scatter of 1e7 points", (try? Figure.scatter(x: xs, y: ys)) ?? Figure())]
        }
        Bench.report("plot(x, y) + scatter(x, y) of 1e7 each", build.wall * 1e3, "ms",
                     detail: String(format: "thread CPU %.1f ms (ranges and order of the data, computed once)", build.cpu * 1e3))
        for (name, figure) in built {
            var grid = StyledGrid(width: 0, height: 0)
            let text = measure(repeats: 5) { grid = figure.render(width: 120, height: 30, canvas: .braille) }
            _ = grid
            Bench.report("\(name) -> terminal 120x30", text.wall * 1e3, "ms",
                         detail: String(format: "thread CPU %.1f ms, ratio to bar %.3f", text.cpu * 1e3, text.cpu / 0.100),
                         bar: ("<= 100 ms", text.cpu <= 0.100))
            var svg = ""
            let drawn = measure(repeats: 5) { svg = figure.svg(width: 72 * 9, height: 20 * 18) }
            let bytes = svg.utf8.count
            Bench.report("\(name) -> SVG 648x360", drawn.wall * 1e3, "ms",
                         detail: String(format: "thread CPU %.1f ms, ratio to bar %.3f", drawn.cpu * 1e3, drawn.cpu / 0.200),
                         bar: ("<= 200 ms", drawn.cpu <= 0.200))
            Bench.report("\(name) -> SVG size", Double(bytes) / 1e3, "kB",
                         detail: String(format: "ratio to bar %.3f", Double(bytes) / 1e6), bar: ("<= 1 MB", bytes <= 1_000_000))
        }
    }
}
