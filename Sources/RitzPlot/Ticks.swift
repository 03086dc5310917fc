import Foundation

/// A labelled position on an axis.
public struct Tick: Sendable, Equatable {
    /// Position in data units.
    public var value: Double
    /// The label printed beside it.
    public var label: String

    /// Creates a tick.
    ///
    /// - Parameters:
    ///   - value: Position in data units.
    ///   - label: Its label.
    public init(_ value: Double, _ label: String) {
        self.value = value
        self.label = label
    }
}

/// Axis limits and the ticks chosen for them.
public struct AxisLayout: Sendable, Equatable {
    /// Lower limit shown.
    public var lo: Double
    /// Upper limit shown.
    public var hi: Double
    /// Whether the axis is logarithmic (then `lo > 0`).
    public var log: Bool
    /// Labelled ticks inside `[lo, hi]`, ascending.
    public var ticks: [Tick]

    /// The fraction of the way from `lo` to `hi` at which a value sits (NaN for values a log
    /// axis cannot show).
    ///
    /// - Parameters:
    ///   - v: A data value.
    /// - Returns: 0 at `lo`, 1 at `hi`; outside `[0, 1]` for values beyond the limits.
    @inline(__always)
    public func fraction(_ v: Double) -> Double {
        if log {
            guard v > 0 else { return .nan }
            return (Foundation.log10(v) - Foundation.log10(lo)) / (Foundation.log10(hi) - Foundation.log10(lo))
        }
        return (v - lo) / (hi - lo)
    }
}

/// `AxisLayout.fraction` with the logarithms of the limits taken once: the same numbers, bit for
/// bit, at the cost of one `log10` a point on a log axis and none on a linear one (maps that place
/// 10⁷ points call it for every point).
struct AxisFraction: Sendable {
    let log: Bool
    /// `lo`, or log₁₀ lo on a log axis.
    let origin: Double
    /// `hi − lo`, or log₁₀ hi − log₁₀ lo on a log axis.
    let span: Double

    init(_ axis: AxisLayout) {
        log = axis.log
        origin = axis.log ? Foundation.log10(axis.lo) : axis.lo
        span = axis.log ? Foundation.log10(axis.hi) - Foundation.log10(axis.lo) : axis.hi - axis.lo
    }

    /// The fraction of the way from `lo` to `hi` (NaN for values a log axis cannot show).
    @inline(__always)
    func callAsFunction(_ v: Double) -> Double {
        if log {
            guard v > 0 else { return .nan }
            return (Foundation.log10(v) - origin) / span
        }
        return (v - origin) / span
    }

    /// The data value at a fraction of the axis (the inverse of the map).
    @inline(__always)
    func inverse(_ f: Double) -> Double {
        log ? pow(10, origin + f * span) : origin + f * span
    }
}

/// The "nice numbers" tick algorithm: steps of 1, 2 or 5 times a power of ten.
///
/// Heckbert, "Nice numbers for graph labels", Graphics Gems (1990): the step is the member of
/// {1, 2, 5, 10}·10^k nearest span/target, and ticks are the multiples of the step in range.
public enum NiceTicks {
    /// The 1-2-5 step nearest to `raw` (Heckbert's rounding: mantissa below 1.5 → 1, below 3 → 2,
    /// below 7 → 5, else 10).
    ///
    /// - Parameters:
    ///   - raw: A positive finite rough step (span / wanted intervals).
    /// - Returns: 1, 2 or 5 times a power of ten (1 when `raw` is not usable).
    public static func step(near raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let magnitude = pow(10, floor(log10(raw)))
        let f = raw / magnitude
        let m: Double = f < 1.5 ? 1 : (f < 3 ? 2 : (f < 7 ? 5 : 10))
        return m * magnitude
    }

    /// Makes a usable range out of data limits: non-finite limits give [0, 1], a single value
    /// (or a span below 1e-12 of its magnitude) is widened by 10% of the value (±1 around 0).
    ///
    /// - Parameters:
    ///   - lo: Smallest data value (may be NaN or infinite when there is no data).
    ///   - hi: Largest data value.
    /// - Returns: A range with `lo < hi`, both finite.
    public static func sanitize(_ lo: Double, _ hi: Double) -> (Double, Double) {
        guard lo.isFinite, hi.isFinite, lo <= hi else { return (0, 1) }
        let magnitude = max(abs(lo), abs(hi))
        if hi - lo <= magnitude * 1e-12 {
            let mid = (lo + hi) / 2
            let pad = mid == 0 ? 1 : abs(mid) * 0.1
            return (mid - pad, mid + pad)
        }
        return (lo, hi)
    }

    /// Linear ticks for a range.
    ///
    /// - Parameters:
    ///   - lo: Lower data limit.
    ///   - hi: Upper data limit.
    ///   - target: About how many intervals between ticks are wanted (at least 1); the result has
    ///     between about 0.7 and 1.5 times as many.
    ///   - expand: When true, the limits grow outward to the nearest multiples of the step, so
    ///     the frame ends on labelled ticks; when false they stay and ticks fall inside.
    /// - Returns: The limits and ticks; labels share one precision chosen from the step.
    public static func linear(_ lo: Double, _ hi: Double, target: Int, expand: Bool = true) -> AxisLayout {
        let (a, b) = sanitize(lo, hi)
        let s = step(near: (b - a) / Double(max(1, target)))
        let first = (a / s).rounded(.down), last = (b / s).rounded(.up)
        guard abs(first) < 1e15, abs(last) < 1e15 else {
            return AxisLayout(lo: a, hi: b, log: false, ticks: [Tick(a, label(a, step: b - a)), Tick(b, label(b, step: b - a))])
        }
        var i0 = Int(first), i1 = Int(last)
        let newLo = expand ? Double(i0) * s : a
        let newHi = expand ? Double(i1) * s : b
        if !expand {
            if Double(i0) * s < a - s * 1e-9 { i0 += 1 }
            if Double(i1) * s > b + s * 1e-9 { i1 -= 1 }
        }
        var ticks: [Tick] = []
        if i0 <= i1 {
            for i in i0...i1 {
                let v = Double(i) * s
                ticks.append(Tick(v, label(v, step: s)))
            }
        }
        return AxisLayout(lo: newLo, hi: newHi, log: false, ticks: ticks)
    }

    /// Logarithmic ticks: powers of ten (every k-th decade when there are many), or 1-2-5
    /// multiples when the range covers at most one decade.
    ///
    /// - Parameters:
    ///   - lo: Smallest positive data value (non-positive or non-finite gives the decade [1, 10]).
    ///   - hi: Largest data value.
    ///   - target: About how many tick intervals are wanted.
    ///   - unicode: Labels as `10⁻³` when true, `1e-3` when false.
    ///   - expand: When true the limits grow to whole decades.
    /// - Returns: The limits and ticks.
    public static func logarithmic(_ lo: Double, _ hi: Double, target: Int, unicode: Bool,
                                   expand: Bool = true) -> AxisLayout {
        var a = lo, b = hi
        if !(a > 0) || !a.isFinite || !b.isFinite || b < a { (a, b) = (1, 10) }
        if b <= a * (1 + 1e-12) { a /= 2; b *= 2 }
        let la = log10(a), lb = log10(b)
        let e0 = Int(la.rounded(.down))
        var e1 = Int(lb.rounded(.up))
        if e1 == e0 { e1 += 1 }
        let lowLimit = expand ? pow(10, Double(e0)) : a
        let highLimit = expand ? pow(10, Double(e1)) : b
        var ticks: [Tick] = []
        if e1 - e0 <= 1 || (e1 - e0 <= 2 && target >= 6) {
            // Within a decade or two: 1, 2, 5 times each power, labelled as plain numbers.
            for e in e0...e1 {
                for m in [1.0, 2.0, 5.0] {
                    let v = m * pow(10, Double(e))
                    if v >= lowLimit * (1 - 1e-9), v <= highLimit * (1 + 1e-9) {
                        ticks.append(Tick(v, label(v, step: pow(10, Double(e)))))
                    }
                }
            }
        } else {
            let stride = max(1, Int((Double(e1 - e0) / Double(max(1, target))).rounded(.up)))
            var e = Int((Double(e0) / Double(stride)).rounded(.up)) * stride
            while e <= e1 {
                let v = pow(10, Double(e))
                if v >= lowLimit * (1 - 1e-9), v <= highLimit * (1 + 1e-9) {
                    ticks.append(Tick(v, powerLabel(e, unicode: unicode)))
                }
                e += stride
            }
        }
        return AxisLayout(lo: lowLimit, hi: highLimit, log: true, ticks: ticks)
    }

    /// `10⁻³` (Unicode) or `1e-3` (ASCII); `1` for the zeroth power.
    ///
    /// - Parameters:
    ///   - exponent: The power of ten.
    ///   - unicode: Whether superscript digits may be used.
    /// - Returns: The label.
    public static func powerLabel(_ exponent: Int, unicode: Bool) -> String {
        if !unicode { return exponent == 0 ? "1" : "1e\(exponent)" }
        let sup: [Character: Character] = ["0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴",
                                           "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻"]
        return "10" + String(String(exponent).map { sup[$0] ?? $0 })
    }

    /// A compact label for a tick value, with the precision its step needs.
    ///
    /// Fixed notation while it stays short (magnitudes in [1e-4, 1e5)), else `2.5e-7` style
    /// with no `+` and no leading zeros in the exponent.
    /// - Parameters:
    ///   - v: The value.
    ///   - step: The spacing of neighbouring ticks (sets the digits shown).
    /// - Returns: The label.
    public static func label(_ v: Double, step: Double) -> String {
        if v == 0 || abs(v) < abs(step) * 1e-9 { return "0" }
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        let s = abs(step) > 0 && step.isFinite ? abs(step) : abs(v)
        let magnitude = abs(v)
        let stepExp = Int((log10(s) + 1e-9).rounded(.down))
        if magnitude >= 1e5 || magnitude < 1e-4 {
            let vExp = Int(log10(magnitude).rounded(.down))
            let digits = max(0, min(15, vExp - stepExp))
            return compactExponent(String(format: "%.\(digits)e", v))
        }
        return fixed(v, decimals: max(0, min(15, -stepExp)))
    }

    /// A short label for a value on its own (colour-bar ends): integers as integers, others
    /// with three significant digits.
    ///
    /// - Parameters:
    ///   - v: The value.
    /// - Returns: The label, e.g. `3`, `-0.125`, `2.5e-7`.
    public static func compact(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        if v == v.rounded(), Swift.abs(v) < 1e5 { return String(Int(v)) }
        let magnitude = Swift.abs(v)
        if magnitude >= 1e5 || magnitude < 1e-4 { return compactExponent(String(format: "%.2e", v)) }
        let digits = max(0, 2 - Int(log10(magnitude).rounded(.down)))
        var s = fixed(v, decimals: min(6, digits))
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    /// `v` with `decimals` digits after the point (the same digits as `%.*f` for |v| < 1e5).
    static func fixed(_ v: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (Swift.abs(v) * scale).rounded(.toNearestOrEven)
        guard scaled < 9e15 else { return String(format: "%.\(decimals)f", v) }
        var digits = String(Int64(scaled))
        if decimals > 0 {
            if digits.count <= decimals { digits = String(repeating: "0", count: decimals - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -decimals))
        }
        return (v < 0 && scaled != 0 ? "-" : "") + digits
    }

    /// Rewrites C's `%e` output compactly: `2.50e-04` → `2.5e-4`, `1e+06` → `1e6`.
    static func compactExponent(_ s: String) -> String {
        guard let eIndex = s.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return s }
        var mantissa = String(s[s.startIndex..<eIndex])
        var exponent = String(s[s.index(after: eIndex)...])
        if mantissa.contains(".") {
            while mantissa.hasSuffix("0") { mantissa.removeLast() }
            if mantissa.hasSuffix(".") { mantissa.removeLast() }
        }
        var negative = false
        if exponent.hasPrefix("+") { exponent.removeFirst() } else if exponent.hasPrefix("-") { negative = true; exponent.removeFirst() }
        while exponent.count > 1, exponent.hasPrefix("0") { exponent.removeFirst() }
        return mantissa + "e" + (negative ? "-" : "") + exponent
    }
}
