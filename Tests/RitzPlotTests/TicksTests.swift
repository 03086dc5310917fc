import Foundation
import Testing
@testable import RitzPlot

@Suite struct TicksTests {
    struct LinearCase: CustomTestStringConvertible, Sendable {
        let name: String
        let lo: Double, hi: Double, target: Int
        let expected: [Double]
        let labels: [String]?
        var testDescription: String { name }
    }

    // Expected ticks worked out by hand from the 1-2-5 rule: step = smallest of {1,2,5}·10^k
    // not below (hi − lo)/target, limits expanded to multiples of the step.
    static let linearCases: [LinearCase] = [
        .init(name: "unit interval", lo: 0, hi: 1, target: 5, expected: [0, 0.2, 0.4, 0.6, 0.8, 1], labels: ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]),
        .init(name: "millions", lo: 0, hi: 1e6, target: 5, expected: [0, 2e5, 4e5, 6e5, 8e5, 1e6], labels: ["0", "2e5", "4e5", "6e5", "8e5", "1e6"]),
        .init(name: "nano", lo: 1e-9, hi: 4.2e-9, target: 4, expected: [1e-9, 2e-9, 3e-9, 4e-9, 5e-9], labels: ["1e-9", "2e-9", "3e-9", "4e-9", "5e-9"]),
        .init(name: "negative", lo: -37, hi: -3, target: 4, expected: [-40, -30, -20, -10, 0], labels: ["-40", "-30", "-20", "-10", "0"]),
        .init(name: "straddling zero", lo: -0.7, hi: 2.3, target: 6, expected: [-1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5], labels: nil),
        .init(name: "tiny span at large offset", lo: 1000, hi: 1000.003, target: 3, expected: [1000, 1000.001, 1000.002, 1000.003], labels: ["1000.000", "1000.001", "1000.002", "1000.003"]),
        .init(name: "single value", lo: 5, hi: 5, target: 5, expected: [4.4, 4.6, 4.8, 5, 5.2, 5.4, 5.6], labels: nil),
        .init(name: "single zero", lo: 0, hi: 0, target: 4, expected: [-1, -0.5, 0, 0.5, 1], labels: nil),
        .init(name: "NaN limits", lo: .nan, hi: 3, target: 5, expected: [0, 0.2, 0.4, 0.6, 0.8, 1], labels: nil),
        .init(name: "infinite limit", lo: 0, hi: .infinity, target: 5, expected: [0, 0.2, 0.4, 0.6, 0.8, 1], labels: nil),
        .init(name: "huge", lo: 3e300, hi: 9e300, target: 3, expected: [2e300, 4e300, 6e300, 8e300, 1e301], labels: ["2e300", "4e300", "6e300", "8e300", "1e301"]),
    ]

    @Test(arguments: linearCases)
    func linearTicks(_ c: LinearCase) {
        let axis = NiceTicks.linear(c.lo, c.hi, target: c.target)
        #expect(axis.ticks.count == c.expected.count, "\(axis.ticks.map(\.value))")
        // Ticks are k·step, one or two roundings each; 1e-9 relative (far above ε) only says "this
        // tick", and no nice number lies that close to another.
        for (t, e) in zip(axis.ticks, c.expected) {
            #expect(abs(t.value - e) <= 1e-9 * max(1, abs(e)), "\(t.value) vs \(e)")
        }
        if let labels = c.labels { #expect(axis.ticks.map(\.label) == labels) }
        // Limits are the outermost ticks, and they cover the (sanitized) data.
        #expect(axis.lo == axis.ticks.first?.value)
        #expect(axis.hi == axis.ticks.last?.value)
    }

    @Test(arguments: [(0.0, 1.0), (-5e-7, 3e-6), (12.0, 9999.0), (-1e9, -1e3), (0.1, 0.1000001), (7.0, 7.0)])
    func stepIsOneTwoFiveAndEven(lo: Double, hi: Double) {
        for target in 1...12 {
            let axis = NiceTicks.linear(lo, hi, target: target)
            #expect(axis.ticks.count >= 2)
            let steps = zip(axis.ticks.dropFirst(), axis.ticks).map { $0.value - $1.value }
            guard let step = steps.first else { continue }
            // Differences of adjacent ticks cancel up to |tick|/step ≤ 1e7 times ε: 1e-6 relative.
            for s in steps { #expect(abs(s - step) <= 1e-6 * step) }
            let mantissa = step / pow(10, floor(log10(step)))
            #expect([1, 2, 5, 10].contains { abs(mantissa - $0) < 1e-6 }, "step \(step)")
            #expect(axis.ticks.count - 1 <= 2 * target + 2)
            // Labels are distinct: the precision follows the step.
            #expect(Set(axis.ticks.map(\.label)).count == axis.ticks.count)
        }
    }

    @Test(arguments: [(0.21, 0.2), (0.29, 0.2), (0.31, 0.5), (0.69, 0.5), (0.71, 1.0), (1.4, 1.0), (2.9e-5, 2e-5), (3.1e-5, 5e-5), (7e8, 1e9)])
    func stepRoundsToNearestNiceNumber(raw: Double, expected: Double) {
        // A nice number times a power of ten from pow(): a few ulps, well below 1e-12 relative.
        #expect(abs(NiceTicks.step(near: raw) - expected) <= 1e-12 * expected)
    }

    @Test func nonExpandedTicksStayInside() {
        let axis = NiceTicks.linear(0.13, 0.97, target: 4, expand: false)
        #expect(axis.lo == 0.13 && axis.hi == 0.97)
        #expect(axis.ticks.map(\.label) == ["0.2", "0.4", "0.6", "0.8"])
    }

    @Test func logDecades() {
        let u = NiceTicks.logarithmic(2e-3, 50, target: 6, unicode: true)
        #expect(u.lo == 1e-3 && abs(u.hi - 100) < 1e-12)   // pow(10, 2): a few ulps of 100
        #expect(u.ticks.map(\.label) == ["10⁻³", "10⁻²", "10⁻¹", "10⁰", "10¹", "10²"])
        let a = NiceTicks.logarithmic(2e-3, 50, target: 6, unicode: false)
        #expect(a.ticks.map(\.label) == ["1e-3", "1e-2", "1e-1", "1", "1e1", "1e2"])
    }

    @Test func logManyDecadesSkipsEvenly() {
        let axis = NiceTicks.logarithmic(1e-300, 1, target: 5, unicode: false)
        let exps = axis.ticks.map { Int(log10($0.value).rounded()) }
        #expect(exps == [-300, -240, -180, -120, -60, 0])
    }

    @Test func logWithinOneDecadeUsesOneTwoFive() {
        let axis = NiceTicks.logarithmic(1.5, 8, target: 4, unicode: true)
        #expect(axis.ticks.map(\.label) == ["1", "2", "5", "10"])
    }

    @Test func logWithoutPositiveDataFallsBack() {
        let axis = NiceTicks.logarithmic(.nan, -3, target: 4, unicode: true)
        #expect(axis.lo == 1 && axis.hi == 10)
    }

    @Test(arguments: [(0.25, 0.05, "0.25"), (-0.30000000000000004, 0.1, "-0.3"), (1234.5, 0.5, "1234.5"), (2.5e-7, 5e-8, "2.5e-7"),
                      (120000, 10000, "1.2e5"), (0, 1, "0"), (1e-20, 1, "0"), (-0.0, 0.1, "0")])
    func labels(v: Double, step: Double, expected: String) {
        #expect(NiceTicks.label(v, step: step) == expected)
    }

    @Test func fixedMatchesPrintf() {
        // Values whose rounding does not produce a negative zero (printed "0" here, "-0" by C).
        for v in [0.0, 1.5, -2.25, 99999.999, 0.000123, -3.04, 12.0, 0.125] {
            for d in 0...5 {
                #expect(NiceTicks.fixed(v, decimals: d) == String(format: "%.\(d)f", v), "\(v) \(d)")
            }
        }
    }
}
