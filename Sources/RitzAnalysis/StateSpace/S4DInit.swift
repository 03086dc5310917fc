import Foundation
import RitzLearn
import RitzTensor

/// The diagonal initialisations of S4D (Gu, Gupta, Goel, Ré, "On the Parameterization and
/// Initialization of Diagonal State Space Models", NeurIPS 2022).
public enum S4DInitKind: String, CaseIterable, Sendable {
    /// S4D-Lin: −½ + iπk.
    case lin
    /// S4D-Inv: −½ + i(N/π)(N/(2k+1) − 1).
    case inv
    /// S4D-LegS: the eigenvalues of the normal part of HiPPO-LegS.
    case legs
}

extension StateSpace {
    /// The n diagonal entries λ_k (k = 0 … n − 1) of an S4D state matrix.
    ///
    /// As in the S4D paper and its code, the n entries stand for a real SSM of state size N = 2n:
    /// each λ_k comes with its conjugate, which is not listed, and the convolution kernel is
    /// 2·Re Σ_k C_k B̄_k Ā_kˡ (`ssmKernel` with `conjugatePairs`). With N = 2n:
    ///
    /// * Lin: λ_k = −½ + iπk.
    /// * Inv: λ_k = −½ + i(N/π)(N/(2k+1) − 1).
    /// * LegS: the eigenvalues of the normal part S = A + PPᵀ of the NPLR form of HiPPO-LegS of
    ///   order N, P[i] = √(i + ½): S = −½I + K with K skew-symmetric, K[i,k] = −½√(2i+1)√(2k+1)
    ///   for i > k. The eigenvalues are −½ ± iω; the ω ≥ 0 are the singular values of K (each
    ///   twice, as K is normal), accurate to about N·u·‖K‖. Listed by increasing ω.
    /// - Parameters:
    ///   - n: The number of entries, ≥ 1.
    ///   - kind: The initialisation.
    /// - Returns: A complex128 tensor of n entries.
    /// - Throws: `TensorError.invalidArgument` for n < 1, `TensorError.tooLarge` past the
    ///   allocation limit, `LinalgError` from the SVD (LegS).
    public static func s4dInit(n: Int, kind: S4DInitKind) throws -> Tensor {
        guard n >= 1 else { throw TensorError.invalidArgument("s4d_init: the number of entries n must be ≥ 1, got \(n)") }
        let size = try Tensor.elementCount([n, 2])   // N = 2n, checked against the allocation limit
        var imaginary = [Double](repeating: 0, count: n)
        switch kind {
        case .lin:
            imaginary = S4D.Initialization.lin.imaginaryParts(count: n, stateSize: size)
        case .inv:
            imaginary = S4D.Initialization.inv.imaginaryParts(count: n, stateSize: size)
        case .legs:
            var skew = [Double](repeating: 0, count: try Tensor.elementCount([size, size]))
            for i in 0..<size {
                for k in 0..<i {
                    let v = 0.5 * (2 * Double(i) + 1).squareRoot() * (2 * Double(k) + 1).squareRoot()
                    skew[i * size + k] = -v
                    skew[k * size + i] = v
                }
            }
            let s = try Tensor(shape: [size, size], storage: skew).singularValues().storage
            // Descending pairs (s₀ = s₁ ≥ s₂ = s₃ ≥ …): the mean of each pair, listed ascending.
            for k in 0..<n { imaginary[n - 1 - k] = (s[2 * k] + s[2 * k + 1]) / 2 }
        }
        var storage = [Double](repeating: -0.5, count: 2 * n)
        for k in 0..<n { storage[2 * k + 1] = imaginary[k] }
        return try Tensor(shape: [n], storage: storage, dtype: .complex128)
    }
}
