import Foundation
import RitzTensor

/// The HiPPO measures whose state matrices `hippo` builds (Gu, Dao, Ermon, Rudra, Ré, "HiPPO:
/// Recurrent Memory with Optimal Polynomial Projections", NeurIPS 2020; Gu, Johnson, Timalsina,
/// Rudra, Ré, "How to Train Your HiPPO", arXiv 2022, ICLR 2023).
public enum HiPPOKind: String, CaseIterable, Sendable {
    /// Scaled Legendre: the measure is uniform on [0, t].
    case legs
    /// Translated Legendre: uniform on the window [t − 1, t].
    case legt
    /// Translated Laguerre: exponentially decaying e^{−(t − s)} on (−∞, t].
    case lagt
    /// Translated Fourier: the window [t − 1, t] in the basis 1, cos 2πjs, sin 2πjs.
    case fout
}

/// HiPPO state matrices, structured-SSM initialisations, discretisation, convolution kernels,
/// perturb-then-diagonalize and pseudospectra of state matrices.
public enum StateSpace {
    /// The continuous-time HiPPO operator (A, B) of order n, with x′ = A x + B u, in the
    /// orthonormal-basis convention of "How to Train Your HiPPO" (signs included in A), indices
    /// i, k = 0 … n − 1:
    ///
    /// * LegS: A[i,k] = −√(2i+1)√(2k+1) for i > k, −(i+1) for i = k, 0 for i < k; B[i] = √(2i+1).
    /// * LegT (window length 1): A[i,k] = −√(2i+1)√(2k+1) for i ≥ k and −(−1)^{i−k}√(2i+1)√(2k+1)
    ///   for i < k; B[i] = √(2i+1).
    /// * LagT: A[i,k] = −1 for i > k, −½ for i = k, 0 for i < k; B[i] = 1.
    /// * FouT (window length 1; state 0 the constant, 2j − 1 and 2j the cosine and sine of
    ///   frequency j): A = 2πJ − ½BBᵀ with J[2j, 2j−1] = j, J[2j−1, 2j] = −j; B[0] = 2,
    ///   B[2j−1] = 2√2, B[2j] = 0. Entrywise: A[0,0] = −2, A[0,c] = A[c,0] = −2√2 and
    ///   A[c,c′] = −4 for cosine states c, c′, ±2πj on the rotation pairs.
    ///
    /// (The state-spaces reference code halves LegT and FouT "for timescale correctness", which is
    /// the same operator on a window of length 2.)
    /// - Parameters:
    ///   - n: The order, ≥ 1.
    ///   - kind: The measure.
    /// - Returns: A (n×n) and B (n).
    /// - Throws: `TensorError.invalidArgument` for n < 1, `TensorError.tooLarge` past the
    ///   allocation limit.
    public static func hippo(n: Int, kind: HiPPOKind) throws -> (a: Tensor, b: Tensor) {
        guard n >= 1 else { throw TensorError.invalidArgument("hippo: the order n must be ≥ 1, got \(n)") }
        var a = [Double](repeating: 0, count: try Tensor.elementCount([n, n]))
        var b = [Double](repeating: 0, count: n)
        let r = (0..<n).map { (2 * Double($0) + 1).squareRoot() }
        switch kind {
        case .legs:
            for i in 0..<n {
                b[i] = r[i]
                a[i * n + i] = -Double(i + 1)
                for k in 0..<i { a[i * n + k] = -r[i] * r[k] }
            }
        case .legt:
            for i in 0..<n {
                b[i] = r[i]
                for k in 0..<n { a[i * n + k] = (i >= k || (k - i) % 2 == 0 ? -1 : 1) * r[i] * r[k] }
            }
        case .lagt:
            for i in 0..<n {
                b[i] = 1
                a[i * n + i] = -0.5
                for k in 0..<i { a[i * n + k] = -1 }
            }
        case .fout:
            for i in 0..<n { b[i] = i == 0 ? 2 : (i % 2 == 1 ? 2 * 2.0.squareRoot() : 0) }
            for i in 0..<n { for k in 0..<n { a[i * n + k] = -0.5 * b[i] * b[k] } }
            for c in stride(from: 1, to: n - 1, by: 2) {
                let j = Double(c + 1) / 2
                a[(c + 1) * n + c] += 2 * Double.pi * j
                a[c * n + c + 1] -= 2 * Double.pi * j
            }
        }
        return (try Tensor(shape: [n, n], storage: a), try Tensor(shape: [n], storage: b))
    }
}
