import Foundation
import RitzTensor

/// Pseudospectra and prediction from an EDMD fit.
extension EDMD {
    /// The smallest singular value of C − zQ at each grid point (Colbrook & Townsend's pseudospectrum).
    ///
    /// σ_min(C − zQ) = σ_min([K̃ − zI; E]) because C − zQ = [Q Q₂]·[K̃ − zI; E] with [Q Q₂]
    /// orthonormal; the 2N×N complex matrix is handled through its real embedding (singular values
    /// exact to LAPACK accuracy, ~1e-15·‖[K̃; E]‖). The ε-pseudospectrum is {z : σ_min ≤ ε}; it
    /// contains every true eigenvalue within ε of the data's accuracy as M grows.
    /// - Parameter grid: Points z of the complex plane.
    /// - Returns: σ_min(z) for each point.
    /// - Throws: `LinalgError` from the SVD.
    public func pseudospectrum(_ grid: [Complex]) throws -> [Double] {
        let n = kTilde.shape[0]
        var a = ComplexLinear.Parts(rows: 2 * n, cols: n)
        for i in 0..<n { for j in 0..<n {
            a.re[i * n + j] = kTilde.storage[i * n + j]
            a.re[(n + i) * n + j] = eTilde.storage[i * n + j]
        } }
        return try ComplexLinear.smallestSingularValues(a, shiftedBy: grid)
    }

    /// The eigenfunction values φ_j(x) = Σ_i ψ_i(x) g_ij at the columns of X.
    ///
    /// - Parameter x: d×M states.
    /// - Returns: M×N complex128.
    /// - Throws: as the dictionary's `evaluate`.
    public func eigenfunctionValues(_ x: Tensor) throws -> Tensor {
        try dictionary.evaluate(x).matmul(eigenfunctions)
    }

    /// Forecasts the state from x0: x_t = Re Σ_j λ_j^t φ_j(x0) ξ_j, t = 0…steps.
    ///
    /// - Parameters:
    ///   - x0: Initial state (d).
    ///   - steps: Number of steps; the result has steps + 1 columns.
    /// - Returns: d×(steps+1), laid out as `simulate`'s output.
    /// - Throws: `ShapeError.mismatch` for a wrong x0 length, `TensorError.invalidArgument` for steps < 0.
    public func predict(x0: Tensor, steps: Int) throws -> Tensor {
        guard steps >= 0 else { throw TensorError.invalidArgument("predict: steps must be ≥ 0") }
        let d = modes.shape[0], n = eigenvalues.count
        guard x0.count == d, !x0.isComplex else { throw ShapeError.mismatch(op: "predict", lhs: x0.shape, rhs: [d]) }
        let phi0 = ComplexLinear.Parts(try eigenfunctionValues(x0.reshaped([d, 1])))   // 1×N
        return try ComplexLinear.evolve(modes: ComplexLinear.Parts(modes), coefficients: (0..<n).map { phi0[0, $0] },
                                        eigenvalues: eigenvalues, steps: steps)
    }
}
