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
    ///
    /// - Throws: as `SnapshotPairs.of`.
    static func pairs(_ x: Tensor, _ y: Tensor?, _ op: String) throws -> (Tensor, Tensor) {
        let p = try SnapshotPairs.of(x, y, op)
        return (try SubspaceMath.columns(p.x, p.xStart, p.xStart + p.count),
                try SubspaceMath.columns(p.y, p.yStart, p.yStart + p.count))
    }
}
