import Foundation
import RitzTensor

/// Continuous-time rates of discrete eigenvalues and the ordering shared by DMD and EDMD.
enum KoopmanSpectrum {
    /// ω = log(λ)/dt (principal logarithm): growth = Re ω, frequency = Im ω / 2π.
    static func rates(_ lambdas: [Complex], dt: Double) -> (omega: [Complex], growth: [Double], frequency: [Double]) {
        let omega = lambdas.map { l -> Complex in
            let w = Complex.log(l)
            return Complex(w.re / dt, w.im / dt)
        }
        return (omega, omega.map { $0.re }, omega.map { $0.im / (2 * Double.pi) })
    }

    /// The permutation sorting eigenvalues by decreasing modulus, then decreasing imaginary part,
    /// then original position, so the order does not depend on LAPACK's.
    static func order(_ lambdas: [Complex]) -> [Int] {
        lambdas.indices.sorted { a, b in
            let ma = lambdas[a].magnitude, mb = lambdas[b].magnitude
            if Swift.abs(ma - mb) > 1e-12 * Swift.max(ma, mb, 1e-300) { return ma > mb }
            if lambdas[a].im != lambdas[b].im { return lambdas[a].im > lambdas[b].im }
            return a < b
        }
    }

    /// Complex numbers as a 1-d complex128 tensor.
    static func tensor(_ z: [Complex]) -> Tensor {
        (try? Tensor(shape: [z.count], storage: z.flatMap { [$0.re, $0.im] }, dtype: .complex128)) ?? Tensor([])
    }

    /// Splits snapshot data into (X, Y): Y given, or X's columns 0..<m−1 and 1..<m.
    static func pairs(_ x: Tensor, _ y: Tensor?, _ op: String) throws -> (Tensor, Tensor) {
        let X = try SubspaceMath.matrix(x, op)
        guard X.shape[0] >= 1 else {
            throw TensorError.invalidArgument("\(op): the snapshots have no state variables (X is \(formatShape(X.shape))); give one row per variable")
        }
        if let y {
            let Y = try SubspaceMath.matrix(y, op)
            guard X.shape == Y.shape else { throw ShapeError.mismatch(op: op, lhs: X.shape, rhs: Y.shape) }
            guard X.shape[1] >= 1 else { throw TensorError.invalidArgument("\(op): no snapshots") }
            return (X, Y)
        }
        guard X.shape[1] >= 2 else {
            throw TensorError.invalidArgument("\(op): need at least 2 snapshots (columns) when Y is not given, got \(X.shape[1])")
        }
        let m = X.shape[1]
        return (try SubspaceMath.columns(X, 0, m - 1), try SubspaceMath.columns(X, 1, m))
    }
}
