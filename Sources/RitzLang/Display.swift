import Foundation
import RitzTensor

/// Display of values, deterministic byte for byte.
///
/// Tensors print as NumPy's `str` does (aligned columns, brackets per axis) with 6 significant
/// digits (int64 tensors as integers without a decimal point), switching to scientific notation when NumPy would (largest ≥ 1e8, smallest nonzero
/// < 1e-4, or a ratio above 1e3); beyond 1000 elements only the first and last 3 entries along
/// each axis are shown, with `…` between.
public enum Display {
    /// Elements above which a tensor is summarised.
    public static let threshold = 1000
    /// Entries kept at each end of a summarised axis.
    public static let edgeItems = 3
    /// Lines of 1-d rows wrap at this width.
    public static let lineWidth = 75

    /// Lists and records nested deeper than this display as `[…]` and `(…)`.
    public static let maxDepth = 100

    /// The display string of a value, as `Out[n]` shows it.
    ///
    /// Two passes over the value, each linear in the length of the text: the first renders the
    /// leaves and finds which records span lines, the second writes everything into one buffer
    /// (so a deeply nested record costs no repeated re-indenting). Lists and records below
    /// `maxDepth` levels are elided.
    ///
    /// - Parameter v: The value.
    /// - Returns: One or more lines, without a trailing newline.
    public static func string(_ v: Value) -> String {
        var layout = Layout()
        layout.plan(v, depth: 0)
        var out = [UInt8]()
        layout.write(v, into: &out, indent: 0, depth: 0)
        return String(decoding: out, as: UTF8.self)
    }

    /// The leaves' text and which records span lines, in the order a walk of the value meets them.
    private struct Layout {
        var leaves: [String] = []
        var recordBreaks: [Bool] = []
        var nextLeaf = 0
        var nextRecord = 0

        /// The text of a value that holds no lists or records, or nil for one that does.
        static func leafText(_ v: Value) -> String? {
            switch v {
            case .none: return "none"
            case let .number(x): return formatNumber(x)
            case let .bool(b): return b ? "true" : "false"
            case let .string(s): return quote(s)
            case let .tensor(t): return tensor(t)
            case let .traced(x): return leafText(Interpreter.wrap(x.value))
            case .list, .record: return nil
            case let .function(f):
                if case .builtin = f.kind { return "<builtin \(f.signature)>" }
                return "<fn \(f.signature)>"
            case let .object(o): return o.summary()
            }
        }

        /// The elided text at `depth`, or nil when the value is shown.
        static func elided(_ v: Value, depth: Int) -> String? {
            guard depth >= maxDepth else { return nil }
            switch v {
            case let .list(items) where !items.isEmpty: return "[…]"
            case let .record(r) where !r.names.isEmpty: return "(…)"
            default: return nil
            }
        }

        /// First pass: renders the leaves and records whether each record spans lines.
        ///
        /// - Returns: Whether the display of `v` has a line break.
        @discardableResult
        mutating func plan(_ v: Value, depth: Int) -> Bool {
            if Layout.elided(v, depth: depth) != nil { return false }
            switch v {
            case let .list(items):
                var broke = false
                for item in items { broke = plan(item, depth: depth + 1) || broke }
                return broke
            case let .record(r):
                let slot = recordBreaks.count
                recordBreaks.append(false)
                var broke = false
                for value in r.values { broke = plan(value, depth: depth + 1) || broke }
                recordBreaks[slot] = broke
                return broke
            default:
                let text = Layout.leafText(v) ?? ""
                leaves.append(text)
                return text.utf8.contains(UInt8(ascii: "\n"))
            }
        }

        /// Second pass: appends the display of `v`, following every line break with `indent`
        /// spaces (the column a record field's value starts at).
        mutating func write(_ v: Value, into out: inout [UInt8], indent: Int, depth: Int) {
            if let e = Layout.elided(v, depth: depth) { out.append(contentsOf: e.utf8); return }
            switch v {
            case let .list(items):
                out.append(UInt8(ascii: "["))
                for (i, item) in items.enumerated() {
                    if i > 0 { out.append(contentsOf: ", ".utf8) }
                    write(item, into: &out, indent: indent, depth: depth + 1)
                }
                out.append(UInt8(ascii: "]"))
            case let .record(r):
                // `(name=value, …)` on one line, or one field a line when any value spans lines,
                // a field's continuation lines aligned under its value.
                let broken = recordBreaks[nextRecord]
                nextRecord += 1
                out.append(UInt8(ascii: "("))
                for (i, (name, value)) in zip(r.names, r.values).enumerated() {
                    if i > 0 {
                        out.append(contentsOf: (broken ? ",\n" : ", ").utf8)
                        if broken { out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent + 1)) }
                    }
                    out.append(contentsOf: name.utf8)
                    out.append(UInt8(ascii: "="))
                    write(value, into: &out, indent: indent + name.count + 2, depth: depth + 1)
                }
                out.append(UInt8(ascii: ")"))
            default:
                let text = leaves[nextLeaf]
                nextLeaf += 1
                for byte in text.utf8 {
                    out.append(byte)
                    if byte == UInt8(ascii: "\n") { out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent)) }
                }
            }
        }
    }

    /// The text `print` and `string` produce: strings without quotes, everything else as displayed.
    public static func plain(_ v: Value) -> String {
        if case let .string(s) = v { return s }
        return string(v)
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if ch.value < 32 { out += "\\u{\(String(ch.value, radix: 16))}" } else { out.unicodeScalars.append(ch) }
            }
        }
        return out + "\""
    }

    // MARK: - Tensors

    /// A tensor in NumPy's layout.
    public static func tensor(_ t: Tensor) -> String {
        if t.ndim == 0 {
            if t.isComplex { return complexString(t.storage[0], t.storage.count > 1 ? t.storage[1] : 0) }
            if t.dtype == .bool { return (t.storage.first ?? 0) != 0 ? "true" : "false" }
            return formatNumber(t.storage.first ?? 0)
        }
        if t.count == 0 { return "[]" }
        let summarise = t.count > threshold
        // Positions kept along each axis.
        let kept: [[Int?]] = t.shape.map { n in
            if summarise && n > 2 * edgeItems {
                return Array(0..<edgeItems).map { Optional($0) } + [nil] + Array((n - edgeItems)..<n).map { Optional($0) }
            }
            return (0..<n).map { Optional($0) }
        }
        // Collect the shown elements to choose one format for all.
        let strides = t.strides
        var shown: [Int] = []
        func collect(_ axis: Int, _ offset: Int) {
            if axis == t.ndim { shown.append(offset); return }
            for p in kept[axis] { if let p { collect(axis + 1, offset + p * strides[axis]) } }
        }
        collect(0, 0)
        let formatter = ElementFormatter(t, shown)
        var out = ""
        func emit(_ axis: Int, _ offset: Int, _ indent: Int) {
            if axis == t.ndim - 1 {
                out += "["
                var lineLen = indent + 1
                var first = true
                for p in kept[axis] {
                    let s = p.map { formatter.format(offset + $0 * strides[axis]) } ?? "…"
                    let piece = (first ? "" : " ") + s
                    if !first && lineLen + piece.count + 1 > lineWidth {
                        out += "\n" + String(repeating: " ", count: indent + 1)
                        lineLen = indent + 1
                        out += s
                        lineLen += s.count
                    } else {
                        out += piece
                        lineLen += piece.count
                    }
                    first = false
                }
                out += "]"
                return
            }
            out += "["
            var first = true
            for p in kept[axis] {
                if !first {
                    out += String(repeating: "\n", count: t.ndim - axis - 1) + String(repeating: " ", count: indent + 1)
                }
                if let p { emit(axis + 1, offset + p * strides[axis], indent + 1) } else { out += "…" }
                first = false
            }
            out += "]"
        }
        emit(0, 0, 0)
        return out
    }

    /// Formats the elements of one tensor with a common width.
    struct ElementFormatter {
        enum Mode { case int64, integer, fixed(Int), scientific(Int), bool, complex }
        let t: Tensor
        let mode: Mode
        let width: Int

        init(_ t: Tensor, _ shown: [Int]) {
            self.t = t
            if t.dtype == .bool {
                mode = .bool
                width = shown.contains { t.storage[$0] == 0 } ? 5 : 4
                return
            }
            if t.dtype == .int64 {
                mode = .int64
                width = shown.map { ElementFormatter.integerString(t.storage[$0]).count }.max() ?? 1
                return
            }
            if t.isComplex {
                mode = .complex
                width = shown.map { complexString(t.storage[2 * $0], t.storage[2 * $0 + 1]).count }.max() ?? 1
                return
            }
            let finite = shown.map { t.storage[$0] }.filter { $0.isFinite }
            let absVals = finite.map { Swift.abs($0) }
            let maxAbs = absVals.max() ?? 0
            let minNonzero = absVals.filter { $0 > 0 }.min() ?? 0
            var m: Mode
            if finite.allSatisfy({ $0 == $0.rounded() }) && maxAbs < 1e16 {
                m = .integer
            } else if maxAbs >= 1e8 || (minNonzero > 0 && (minNonzero < 1e-4 || maxAbs / minNonzero > 1e3)) {
                // Mantissa digits after the point: the most any element needs at 6 significant digits.
                let digits = finite.map { x -> Int in
                    let s = String(format: "%.5e", x)
                    let mant = s.split(separator: "e")[0]
                    let frac = mant.split(separator: ".").dropFirst().first.map(String.init) ?? ""
                    return frac.reversed().drop(while: { $0 == "0" }).count
                }.max() ?? 0
                m = .scientific(Swift.max(digits, 1))
            } else {
                let digits = finite.map { x -> Int in
                    guard x != 0 else { return 0 }
                    let mag = Int(Foundation.floor(Foundation.log10(Swift.abs(x))))
                    let d = Swift.max(0, Swift.min(15, 5 - mag))
                    let s = String(format: "%.\(d)f", x)
                    guard let dot = s.firstIndex(of: ".") else { return 0 }
                    return s[s.index(after: dot)...].reversed().drop(while: { $0 == "0" }).count
                }.max() ?? 0
                m = .fixed(digits)
            }
            mode = m
            var w = 0
            let probe = ElementFormatter(t: t, mode: m, width: 0)
            for i in shown { w = Swift.max(w, probe.format(i).count) }
            width = w
        }

        private init(t: Tensor, mode: Mode, width: Int) { self.t = t; self.mode = mode; self.width = width }

        func format(_ i: Int) -> String {
            let s: String
            switch mode {
            case .bool: s = t.storage[i] != 0 ? "true" : "false"
            case .int64: s = ElementFormatter.integerString(t.storage[i])
            case .complex: s = complexString(t.storage[2 * i], t.storage[2 * i + 1])
            case .integer:
                let x = t.storage[i]
                s = x.isFinite ? String(format: "%.0f", x) + "." : special(x)
            case let .fixed(d):
                let x = t.storage[i]
                if !x.isFinite { s = special(x); break }
                let mag = x == 0 ? 0 : Int(Foundation.floor(Foundation.log10(Swift.abs(x))))
                let own = Swift.max(0, Swift.min(15, 5 - mag))
                var str = String(format: "%.\(Swift.min(own, d))f", x)
                // Strip this element's trailing zeros, then pad the fraction with spaces (NumPy's maxprec).
                if let dot = str.firstIndex(of: ".") {
                    while str.last == "0" && str.index(before: str.endIndex) > dot { str.removeLast() }
                    let frac = str.distance(from: str.index(after: dot), to: str.endIndex)
                    str += String(repeating: " ", count: d - frac)
                } else {
                    str += "." + String(repeating: " ", count: d)
                }
                s = str
            case let .scientific(d):
                let x = t.storage[i]
                s = x.isFinite ? scientific(x, d) : special(x)
            }
            return s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
        }

        /// An int64 element; `+ 0` turns the −0 a product or negation may leave into 0.
        static func integerString(_ x: Double) -> String { String(format: "%.0f", x + 0) }

        private func special(_ x: Double) -> String { x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
    }

    static func scientific(_ x: Double, _ digits: Int) -> String {
        let s = String(format: "%.\(digits)e", x)
        // C prints at least two exponent digits, as NumPy does.
        return s
    }

    static func complexString(_ re: Double, _ im: Double) -> String {
        let r = formatNumber(re)
        let i = formatNumber(Swift.abs(im))
        let sign = im < 0 || (im == 0 && im.sign == .minus) ? "-" : "+"
        if im.isNaN { return "\(r)+nanim" }
        return "\(r)\(sign)\(i)im"
    }
}

/// A number as the language shows it: integral values without a fraction, else 6 significant digits.
public func formatNumber(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    if x == x.rounded() && Swift.abs(x) < 1e16 {
        if x == 0 { return "0" }
        return String(format: "%.0f", x)
    }
    return String(format: "%.6g", x)
}

/// A one-line rendering for signatures and summaries.
func displayInline(_ v: Value) -> String {
    let s = Display.string(v)
    if let nl = s.firstIndex(of: "\n") { return String(s[..<nl]) + " …" }
    return s
}
