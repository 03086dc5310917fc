import Foundation
import Testing
@testable import RitzTensor

/// Reference values made by `Fixtures/make_fixtures.py` with NumPy and SciPy (see its docstring):
/// `reference.json` holds inputs and results with every double written exactly (Python repr).
enum Fixture {
    /// The folder holding the fixture files.
    static let directory: URL = {
        if let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) { return url }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    }()

    /// The parsed `reference.json`.
    nonisolated(unsafe) static let root: [String: Any] = load("reference.json")

    /// The parsed `linalg_hard.json`: hard matrices with mpmath references, by case name.
    nonisolated(unsafe) static let hardLinalg: [String: Any] = load("linalg_hard.json")

    /// A fixture file's top-level object, or an empty one when it is missing or malformed.
    ///
    /// Parsed here rather than by JSONSerialization, whose number parsing is not correctly
    /// rounded on Linux; Swift's Double(String) is (strtod), so every double is exact.
    static func load(_ file: String) -> [String: Any] {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent(file)),
              let text = String(data: data, encoding: .utf8) else { return [:] }
        var parser = MiniJSON(Array(text.utf8))
        return (try? parser.value()) as? [String: Any] ?? [:]
    }

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The object at a path of keys, e.g. `node("linalg", "S")`.
    static func node(_ keys: String...) throws -> Any {
        var current: Any = root
        for k in keys {
            guard let d = current as? [String: Any], let next = d[k] else { throw FixtureError.missing(keys.joined(separator: ".")) }
            current = next
        }
        return current
    }

    static func dict(_ keys: String...) throws -> [String: Any] {
        var current: Any = root
        for k in keys {
            guard let d = current as? [String: Any], let next = d[k] else { throw FixtureError.missing(keys.joined(separator: ".")) }
            current = next
        }
        guard let d = current as? [String: Any] else { throw FixtureError.missing(keys.joined(separator: ".")) }
        return d
    }

    static func tensor(_ keys: String...) throws -> Tensor {
        var current: Any = root
        for k in keys {
            guard let d = current as? [String: Any], let next = d[k] else { throw FixtureError.missing(keys.joined(separator: ".")) }
            current = next
        }
        return try tensor(from: current)
    }

    static func number(_ keys: String...) throws -> Double {
        var current: Any = root
        for k in keys {
            guard let d = current as? [String: Any], let next = d[k] else { throw FixtureError.missing(keys.joined(separator: ".")) }
            current = next
        }
        guard let n = current as? Double else { throw FixtureError.missing(keys.joined(separator: ".")) }
        return n
    }

    /// A tensor from `{"shape": [...], "data": [...]}` or `{"shape", "re", "im"}`.
    static func tensor(from any: Any) throws -> Tensor {
        guard let d = any as? [String: Any], let shape = d["shape"] as? [Any] else { throw FixtureError.notTensor }
        let dims = shape.compactMap { ($0 as? Double).map { Int($0) } }
        if let data = d["data"] as? [Any] {
            return try Tensor(shape: dims, storage: data.compactMap { $0 as? Double })
        }
        guard let re = d["re"] as? [Any], let im = d["im"] as? [Any] else { throw FixtureError.notTensor }
        return try Tensor.complex(re: Tensor(shape: dims, storage: re.compactMap { $0 as? Double }),
                                  im: Tensor(shape: dims, storage: im.compactMap { $0 as? Double }))
    }
}

enum FixtureError: Error { case missing(String), notTensor, badJSON(Int) }

/// A minimal JSON reader: objects → [String: Any], arrays → [Any], numbers → Double (correctly
/// rounded), strings, booleans → Bool, null → NSNull. Strings support the escapes the fixture
/// script can emit (\" \\ \/ \n \t and \uXXXX of the BMP).
struct MiniJSON {
    let b: [UInt8]
    var i = 0
    init(_ bytes: [UInt8]) { b = bytes }

    mutating func skip() { while i < b.count, [0x20, 0x0A, 0x0D, 0x09].contains(b[i]) { i += 1 } }

    mutating func value() throws -> Any {
        skip()
        guard i < b.count else { throw FixtureError.badJSON(i) }
        switch b[i] {
        case UInt8(ascii: "{"):
            i += 1
            var d = [String: Any]()
            skip()
            if b[i] == UInt8(ascii: "}") { i += 1; return d }
            while true {
                skip()
                guard let key = try value() as? String else { throw FixtureError.badJSON(i) }
                skip()
                guard b[i] == UInt8(ascii: ":") else { throw FixtureError.badJSON(i) }
                i += 1
                d[key] = try value()
                skip()
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                guard b[i] == UInt8(ascii: "}") else { throw FixtureError.badJSON(i) }
                i += 1
                return d
            }
        case UInt8(ascii: "["):
            i += 1
            var a = [Any]()
            skip()
            if b[i] == UInt8(ascii: "]") { i += 1; return a }
            while true {
                a.append(try value())
                skip()
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                guard b[i] == UInt8(ascii: "]") else { throw FixtureError.badJSON(i) }
                i += 1
                return a
            }
        case UInt8(ascii: "\""):
            i += 1
            var s = [UInt8]()
            while i < b.count, b[i] != UInt8(ascii: "\"") {
                if b[i] == UInt8(ascii: "\\") {
                    i += 1
                    switch b[i] {
                    case UInt8(ascii: "n"): s.append(0x0A)
                    case UInt8(ascii: "t"): s.append(0x09)
                    case UInt8(ascii: "u"):
                        let hex = String(decoding: b[(i + 1)...(i + 4)], as: UTF8.self)
                        if let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) {
                            s.append(contentsOf: Array(String(Character(scalar)).utf8))
                        }
                        i += 4
                    default: s.append(b[i])
                    }
                } else {
                    s.append(b[i])
                }
                i += 1
            }
            i += 1
            return String(decoding: s, as: UTF8.self)
        case UInt8(ascii: "t"): i += 4; return true
        case UInt8(ascii: "f"): i += 5; return false
        case UInt8(ascii: "n"): i += 4; return NSNull()
        default:
            let start = i
            while i < b.count, !([UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x20, 0x0A].contains(b[i])) { i += 1 }
            guard let x = Double(String(decoding: b[start..<i], as: UTF8.self)) else { throw FixtureError.badJSON(start) }
            return x
        }
    }
}

/// Expects equal shapes and |a − b| ≤ atol + rtol·|b| elementwise (NumPy's `allclose`), on the
/// real storage (complex tensors compare re and im parts).
func expectClose(_ a: Tensor, _ b: Tensor, rtol: Double = 1e-12, atol: Double = 1e-12,
                 _ note: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.shape == b.shape, "shape \(a.shape) vs \(b.shape) \(note)", sourceLocation: sourceLocation)
    let x = a.isComplex || b.isComplex ? a.asComplex().storage : a.storage
    let y = a.isComplex || b.isComplex ? b.asComplex().storage : b.storage
    guard x.count == y.count else {
        Issue.record("sizes \(x.count) vs \(y.count) \(note)", sourceLocation: sourceLocation)
        return
    }
    var worst = 0.0, at = -1
    for i in 0..<x.count {
        let err = Swift.abs(x[i] - y[i])
        let bound = atol + rtol * Swift.abs(y[i])
        if !(err <= bound) || x[i].isNaN != y[i].isNaN {
            if err > worst || at < 0 { worst = err; at = i }
        }
    }
    if at >= 0 {
        Issue.record("element \(at): \(x[at]) vs \(y[at]) (|err| \(worst)) \(note)", sourceLocation: sourceLocation)
    }
}

/// Expects |a − b| ≤ atol + rtol·|b|.
func expectClose(_ a: Double, _ b: Double, rtol: Double = 1e-12, atol: Double = 0,
                 _ note: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(Swift.abs(a - b) <= atol + rtol * Swift.abs(b), "\(a) vs \(b) \(note)", sourceLocation: sourceLocation)
}

/// threshold·n·ε·norm: the error LAPACK's test drivers accept from a backward-stable result.
///
/// LAPACK divides an error by n·ε·(norm) and accepts ratios below `THRESH = 30` (its `dtest.in`);
/// ε = 2⁻⁵² is `Double.ulpOfOne`. The bound holds for any summation order, so for every BLAS kernel
/// and for NumPy's own OpenBLAS. Forward errors multiply `norm` by a condition number or divide it
/// by a gap.
/// - Parameters:
///   - n: the dimension (the terms in each inner product).
///   - norm: the norm or conditioning figure the error is proportional to (‖A‖, κ·‖x‖, ‖A‖/gap, …).
///   - threshold: the multiple allowed, LAPACK's 30 unless a test states another.
/// - Returns: the absolute tolerance.
func backwardTol(n: Int, norm: Double, threshold: Double = 30) -> Double {
    threshold * Double(n) * Double.ulpOfOne * norm
}
