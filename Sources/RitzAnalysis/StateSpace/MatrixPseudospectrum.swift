import Foundation
import RitzTensor

extension StateSpace {
    /// σ_min(zI − A) at each grid point z, and A's eigenvalues (Trefethen & Embree, "Spectra and
    /// Pseudospectra", 2005: the ε-pseudospectrum is {z : σ_min(zI − A) ≤ ε}).
    ///
    /// A dense real A: one Hessenberg reduction, then per point an O(n²) LU of H − zI and inverse
    /// Lanczos (`ShiftedHessenberg`; accurate to about n·u·‖A‖, as a dense SVD), polling
    /// `Interruption` once per point; eigenvalues by dgeev.
    /// A diagonal A (a 1-d tensor of its entries, real or complex, as `s4dInit` returns) is
    /// normal, so σ_min(zI − A) = min_i |z − λ_i| exactly.
    /// - Parameters:
    ///   - a: A real n×n matrix or the n diagonal entries of one, n ≥ 1.
    ///   - grid: The points z.
    /// - Returns: σ_min per point and the eigenvalues.
    /// - Throws: shape errors, `TensorError.invalidArgument` for a complex 2-d A,
    ///   `LinalgError.nonFinite`, `LinalgError.notConverged`, `CurvatureError.interrupted`.
    public static func pseudospectrum(a: Tensor, grid: [Complex]) throws -> (sigma: [Double], eigenvalues: [Complex]) {
        guard a.ndim == 1 || a.ndim == 2 else {
            throw ShapeError.wrongRank(op: "pseudospectrum", expected: "a square matrix or the 1-d diagonal of one", got: a.shape)
        }
        guard a.count >= 1 else { throw ShapeError.invalid("pseudospectrum: the matrix is empty") }
        guard a.storage.allSatisfy(\.isFinite) else { throw LinalgError.nonFinite(op: "pseudospectrum") }
        if a.ndim == 1 {
            let lambda = (0..<a.count).map { let z = a.complexElement($0); return Complex(z.re, z.im) }
            let sigma = grid.map { z in lambda.map { (z - $0).magnitude }.min() ?? .infinity }
            return (sigma, lambda)
        }
        guard a.shape[0] == a.shape[1] else { throw LinalgError.notSquare(op: "pseudospectrum", shape: a.shape) }
        guard !a.isComplex else {
            throw TensorError.invalidArgument("pseudospectrum: a 2-d A must be real (a complex diagonal is taken as the 1-d tensor of its entries)")
        }
        let values = try a.eig().values
        let lambda = (0..<values.count).map { let z = values.complexElement($0); return Complex(z.re, z.im) }
        let shifted = try ShiftedHessenberg(a)
        return (try grid.map { z in
            try Interruption.check()
            return try shifted.smallestSingularValue(at: z)
        }, lambda)
    }

    /// A square box of the complex plane around the eigenvalues for a default pseudospectrum grid:
    /// centred on the middle of their bounding box, half-width ¾·max(span of Re, span of Im, 0.1·max(1, max|λ|)).
    ///
    /// - Parameter eigenvalues: The eigenvalues (at least one).
    /// - Returns: The ranges of Re z and Im z.
    public static func pseudospectrumBox(around eigenvalues: [Complex]) -> (re: (lo: Double, hi: Double), im: (lo: Double, hi: Double)) {
        let re = eigenvalues.map(\.re), im = eigenvalues.map(\.im)
        let reLo = re.min() ?? 0, reHi = re.max() ?? 0, imLo = im.min() ?? 0, imHi = im.max() ?? 0
        let radius = eigenvalues.map(\.magnitude).max() ?? 0
        let half = 0.75 * Swift.max(reHi - reLo, imHi - imLo, 0.1 * Swift.max(1, radius))
        let cr = (reLo + reHi) / 2, ci = (imLo + imHi) / 2
        return ((cr - half, cr + half), (ci - half, ci + half))
    }
}
