import Foundation

/// Timing and reporting helpers shared by every benchmark section.
enum Bench {
    /// Monotonic seconds.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Process CPU seconds (all threads): the work done, whatever else the machine runs.
    static func cpuNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// CPU seconds of the calling thread.
    static func threadCPUNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// The median of `values` (the upper one of an even count), NaN when empty.
    static func medianOf(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        return values.sorted()[values.count / 2]
    }

    /// The lower and upper quartiles (the values a quarter and three quarters up the sorted list).
    static func quartilesOf(_ values: [Double]) -> (Double, Double) {
        guard !values.isEmpty else { return (.nan, .nan) }
        let sorted = values.sorted()
        return (sorted[values.count / 4], sorted[(3 * values.count) / 4])
    }

    /// The median of rounds' paired ratios (each round's a/b, which a drift of the machine's speed
    /// between rounds does not move) and a line saying so with their quartiles, the machine's noise.
    static func pairedSummary(_ ratios: [Double]) -> (median: Double, spread: String) {
        let (q1, q3) = quartilesOf(ratios)
        return (medianOf(ratios), "median of \(ratios.count) rounds' ratios (quartiles \(format(q1))–\(format(q3)))")
    }

    /// Median wall time of `body` in seconds over `repeats` runs after `warmup` runs.
    static func median(repeats: Int = 7, warmup: Int = 1, _ body: () throws -> Void) rethrows -> Double {
        for _ in 0..<warmup { try body() }
        var times = [Double]()
        for _ in 0..<repeats {
            let t0 = now()
            try body()
            times.append(now() - t0)
        }
        return medianOf(times)
    }

    /// Prints a section heading.
    static func section(_ title: String) {
        print("\n== \(title)")
    }

    /// Prints one figure: its value, and where there is a bar, the ratio and whether it is met.
    ///
    /// - Parameters:
    ///   - name: What was measured.
    ///   - value: The figure, in `unit`.
    ///   - detail: Ratios or references to print beside it.
    ///   - bar: A description of the bar and whether it is met, or nil when the figure is reported only.
    static func report(_ name: String, _ value: Double, _ unit: String, detail: String = "",
                       bar: (text: String, met: Bool)? = nil) {
        var line = name.padding(toLength: 48, withPad: " ", startingAt: 0)
        line += format(value).leftPadded(10) + " " + unit.padding(toLength: 9, withPad: " ", startingAt: 0)
        if !detail.isEmpty { line += "  " + detail }
        if let bar { line += "  [bar \(bar.text): \(bar.met ? "met" : "NOT met")]" }
        print(line)
    }

    static func format(_ x: Double) -> String {
        if x.isNaN { return "-" }
        if x == 0 { return "0" }
        let a = abs(x)
        if a >= 1e5 || a < 1e-3 { return String(format: "%.3e", x) }
        if a >= 100 { return String(format: "%.1f", x) }
        return String(format: "%.3f", x)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
