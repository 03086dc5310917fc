import Foundation

/// The one seeded generator of ritz: xoshiro256** (Blackman and Vigna, 2018), seeded through
/// SplitMix64, so the same seed gives the same stream on every machine.
public struct RandomGenerator: Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    private var spareNormal: Double?

    /// A generator whose state is four SplitMix64 outputs of `seed`.
    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(); s1 = splitmix(); s2 = splitmix(); s3 = splitmix()
    }

    /// The next 64 random bits.
    @inlinable public mutating func next() -> UInt64 { nextBits() }

    @usableFromInline mutating func nextBits() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform on [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(nextBits() >> 11) * 0x1.0p-53 }

    /// Standard normal by the Box–Muller transform; the second value of each pair is kept.
    public mutating func normal() -> Double {
        if let z = spareNormal { spareNormal = nil; return z }
        var u1 = uniform()
        while u1 == 0 { u1 = uniform() }
        let u2 = uniform()
        let r = (-2 * log(u1)).squareRoot(), theta = 2 * Double.pi * u2
        spareNormal = r * sin(theta)
        return r * cos(theta)
    }

    /// ±1 with equal probability (Rademacher), for Hutchinson probes.
    public mutating func rademacher() -> Double { nextBits() >> 63 == 0 ? 1 : -1 }

    /// Uniform integer in 0..<n (n > 0) without modulo bias (Lemire's method).
    public mutating func int(below n: Int) -> Int {
        guard n > 1 else { return 0 }
        let bound = UInt64(n)
        var m = nextBits().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = nextBits().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, int(below: i + 1)) }
        return p
    }
}

extension Tensor {
    /// Uniform [0, 1) values of `shape`.
    public static func rand(_ shape: [Int], using rng: inout RandomGenerator) throws -> Tensor {
        let n = try elementCount(shape)
        return Tensor(unchecked: shape, (0..<n).map { _ in rng.uniform() })
    }

    /// Standard normal values of `shape`.
    public static func randn(_ shape: [Int], using rng: inout RandomGenerator) throws -> Tensor {
        let n = try elementCount(shape)
        return Tensor(unchecked: shape, (0..<n).map { _ in rng.normal() })
    }

    /// ±1 values of `shape`.
    public static func rademacher(_ shape: [Int], using rng: inout RandomGenerator) throws -> Tensor {
        let n = try elementCount(shape)
        return Tensor(unchecked: shape, (0..<n).map { _ in rng.rademacher() })
    }
}
