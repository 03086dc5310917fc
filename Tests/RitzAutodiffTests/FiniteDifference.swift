import RitzTensor
@testable import RitzAutodiff

/// Central finite differences, the independent reference for every derivative test.
///
/// With step h the central difference (f(x + hv) − f(x − hv))/2h has truncation error O(h²) and
/// rounding error O(ε/h); h = 1e-5 balances them near 1e-10·|f‴| + 1e-11·|f|/h for smooth f.
enum FiniteDifference {
    static let step = 1e-5

    /// Directional derivative of `f` along `v` at `x`.
    static func directional(_ f: (Tensor) throws -> Tensor, at x: Tensor, along v: Tensor, h: Double = step) throws -> Tensor {
        let plus = try f(x + v * Tensor(h)), minus = try f(x - v * Tensor(h))
        return try (plus - minus) / Tensor(2 * h)
    }

    /// Gradient of a scalar `f` at `x`, one central difference per element.
    static func gradient(_ f: (Tensor) throws -> Double, at x: Tensor, h: Double = step) throws -> Tensor {
        var out = [Double](repeating: 0, count: x.count)
        for i in 0..<x.count {
            let e = try basis(i, shape: x.shape)
            let plus = try f(x + e * Tensor(h)), minus = try f(x - e * Tensor(h))
            out[i] = (plus - minus) / (2 * h)
        }
        return try Tensor(shape: x.shape, storage: out)
    }
}

/// Largest |a − b| / (atol + rtol·|b|) over the elements; ≤ 1 means within tolerance.
func toleranceRatio(_ a: Tensor, _ b: Tensor, rtol: Double, atol: Double) -> Double {
    guard a.shape == b.shape else { return .infinity }
    var worst = 0.0
    for i in 0..<a.count {
        let (x, y) = (a.storage[i], b.storage[i])
        if x.isNaN || y.isNaN { return .infinity }
        worst = max(worst, Swift.abs(x - y) / (atol + rtol * Swift.abs(y)))
    }
    return worst
}

/// A seeded tensor of `shape` with entries uniform in [lo, hi).
func uniformTensor(_ shape: [Int], _ lo: Double, _ hi: Double, _ rng: inout RandomGenerator) throws -> Tensor {
    let u = try Tensor.rand(shape, using: &rng)
    return try u * Tensor(hi - lo) + Tensor(lo)
}
