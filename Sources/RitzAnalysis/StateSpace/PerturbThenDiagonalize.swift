import Foundation
import RitzTensor

/// The result of perturb-then-diagonalize.
public struct PTDResult: Sendable {
    /// The eigenvalues Λ of Ã = A + E (complex, LAPACK's order).
    public var values: Tensor
    /// The eigenvectors V of Ã as columns (complex, unit 2-norm).
    public var vectors: Tensor
    /// κ₂(V) of Ã's eigenvectors: the conditioning of the returned diagonalisation.
    public var cond: Double
    /// κ₂ of the eigenvectors of A itself (exact diagonalisation, before the perturbation).
    public var condBefore: Double
    /// ‖A − VΛV⁻¹‖₂/‖A‖₂.
    public var backwardError: Double
    /// ‖E‖₂ = eps·‖A‖₂.
    public var perturbation: Double
}

extension StateSpace {
    /// Perturb-then-diagonalize (Yu, Mahoney, Erichson, "Robustifying State-space Models for Long
    /// Sequences via Approximate Diagonalization", ICLR 2024): diagonalise Ã = A + E instead of A,
    /// with E a seeded Gaussian matrix scaled to ‖E‖₂ = eps·‖A‖₂. A non-normal A (HiPPO-LegS) has
    /// eigenvectors so close to dependent that κ(V) overflows any useful precision; a small
    /// random perturbation makes Ã diagonalisable with a moderate κ(V) at a backward error
    /// ‖A − VΛV⁻¹‖/‖A‖ of about eps (it is ≤ eps + κ(V)·O(n·u) by the triangle inequality).
    ///
    /// - Parameters:
    ///   - a: A real n×n matrix, n ≥ 1.
    ///   - eps: The relative size of E, finite and ≥ 0.
    ///   - seed: Seeds E's xoshiro256** generator (standard normal entries).
    /// - Returns: Λ, V, κ(V) after and before the perturbation, the backward error and ‖E‖₂.
    /// - Throws: `ShapeError.wrongRank`, `LinalgError.notSquare`, `LinalgError.nonFinite`,
    ///   `TensorError.unsupportedDType` for a complex A, `TensorError.invalidArgument` for a bad eps,
    ///   `LinalgError.notConverged` from LAPACK.
    public static func ptd(a: Tensor, eps: Double, seed: UInt64) throws -> PTDResult {
        guard a.ndim == 2 else { throw ShapeError.wrongRank(op: "ptd", expected: "a square matrix", got: a.shape) }
        guard a.shape[0] == a.shape[1], a.shape[0] >= 1 else { throw LinalgError.notSquare(op: "ptd", shape: a.shape) }
        guard !a.isComplex else { throw TensorError.unsupportedDType(op: "ptd", dtype: a.dtype) }
        guard a.storage.allSatisfy(\.isFinite) else { throw LinalgError.nonFinite(op: "ptd") }
        guard eps.isFinite, eps >= 0 else { throw TensorError.invalidArgument("ptd: eps must be finite and ≥ 0, got \(eps)") }
        let n = a.shape[0]
        let real = try a.asFloat()
        let normA = try real.singularValues().storage.first ?? 0
        var rng = RandomGenerator(seed: seed)
        var e = try Tensor.randn([n, n], using: &rng)
        let normE = try e.singularValues().storage.first ?? 0
        let scale = normE > 0 ? eps * normA / normE : 0
        e = try Tensor(shape: [n, n], storage: e.storage.map { $0 * scale })
        let perturbed = try Tensor(shape: [n, n], storage: zip(real.storage, e.storage).map { $0 + $1 })
        let (values, vectors) = try perturbed.eig()
        let before = try real.eig().vectors
        let v = ComplexLinear.Parts(vectors)
        let backward = try reconstructionError(real, values: values, vectors: v)
        return PTDResult(values: values, vectors: vectors,
                         cond: try ComplexLinear.condition(v),
                         condBefore: try ComplexLinear.condition(ComplexLinear.Parts(before)),
                         backwardError: normA > 0 ? backward / normA : backward,
                         perturbation: scale * normE)
    }

    /// ‖A − VΛV⁻¹‖₂, with R = VΛV⁻¹ from Vᵀ Rᵀ = (VΛ)ᵀ by LU; ∞ when V is singular.
    static func reconstructionError(_ a: Tensor, values: Tensor, vectors v: ComplexLinear.Parts) throws -> Double {
        let n = v.rows
        var scaled = v
        for j in 0..<n {
            let z = values.complexElement(j)
            for i in 0..<n { scaled[i, j] = v[i, j] * Complex(z.re, z.im) }
        }
        let r: ComplexLinear.Parts
        do { r = try ComplexLinear.solve(v.transposed(), scaled.transposed()).transposed() } catch LinalgError.singular {
            return .infinity
        }
        var d = r
        for i in 0..<n { for j in 0..<n { d[i, j] = Complex(a.storage[i * n + j]) - r[i, j] } }
        return try ComplexLinear.spectralNorm(d)
    }
}
