import Foundation

/// A complex double, with the few functions ritz needs (no dependency on swift-numerics).
public struct Complex: Sendable, Equatable, Hashable {
    public var re: Double
    public var im: Double

    @inlinable public init(_ re: Double, _ im: Double = 0) { self.re = re; self.im = im }

    /// |z|, computed without overflow (hypot).
    @inlinable public var magnitude: Double { hypot(re, im) }
    /// arg z in (−π, π].
    @inlinable public var argument: Double { atan2(im, re) }
    @inlinable public var conjugate: Complex { Complex(re, -im) }

    @inlinable public static func + (a: Complex, b: Complex) -> Complex { Complex(a.re + b.re, a.im + b.im) }
    @inlinable public static func - (a: Complex, b: Complex) -> Complex { Complex(a.re - b.re, a.im - b.im) }
    @inlinable public static func * (a: Complex, b: Complex) -> Complex {
        Complex(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re)
    }
    @inlinable public static func * (a: Double, b: Complex) -> Complex { Complex(a * b.re, a * b.im) }

    /// Division by Smith's algorithm, which avoids overflow in |b|².
    public static func / (a: Complex, b: Complex) -> Complex {
        if Swift.abs(b.re) >= Swift.abs(b.im) {
            if b.re == 0 && b.im == 0 { return Complex(a.re / 0, a.im / 0) }
            let r = b.im / b.re, d = b.re + b.im * r
            return Complex((a.re + a.im * r) / d, (a.im - a.re * r) / d)
        }
        let r = b.re / b.im, d = b.re * r + b.im
        return Complex((a.re * r + a.im) / d, (a.im * r - a.re) / d)
    }

    public static func exp(_ z: Complex) -> Complex {
        let e = Foundation.exp(z.re)
        return Complex(e * Foundation.cos(z.im), e * Foundation.sin(z.im))
    }

    /// Principal logarithm: log|z| + i arg z.
    public static func log(_ z: Complex) -> Complex { Complex(Foundation.log(z.magnitude), z.argument) }

    /// Principal square root, branch cut on the negative real axis.
    public static func sqrt(_ z: Complex) -> Complex {
        if z.re == 0 && z.im == 0 { return Complex(0, z.im) }
        let m = z.magnitude
        let t = ((m + Swift.abs(z.re)) / 2).squareRoot()
        if z.re >= 0 { return Complex(t, z.im / (2 * t)) }
        return Complex(Swift.abs(z.im) / (2 * t), z.im >= 0 ? t : -t)
    }

    public static func sin(_ z: Complex) -> Complex {
        Complex(Foundation.sin(z.re) * Foundation.cosh(z.im), Foundation.cos(z.re) * Foundation.sinh(z.im))
    }

    public static func cos(_ z: Complex) -> Complex {
        Complex(Foundation.cos(z.re) * Foundation.cosh(z.im), -Foundation.sin(z.re) * Foundation.sinh(z.im))
    }

    public static func tanh(_ z: Complex) -> Complex {
        let e2 = exp(Complex(2 * z.re, 2 * z.im))
        return (e2 - Complex(1)) / (e2 + Complex(1))
    }

    /// z^w = exp(w log z), with 0^w = 0 for Re w > 0 and 0^0 = 1.
    public static func pow(_ z: Complex, _ w: Complex) -> Complex {
        if z.re == 0 && z.im == 0 {
            if w.re == 0 && w.im == 0 { return Complex(1) }
            return w.re > 0 ? Complex(0) : Complex(.nan, .nan)
        }
        return exp(w * log(z))
    }
}
