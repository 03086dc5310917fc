import Foundation

extension S4D.Initialization {
    /// The imaginary parts Im λ_k, k = 0 … count − 1, of the S4D initialisation (Gu, Gupta, Goel,
    /// Ré 2022, "On the Parameterization and Initialization of Diagonal State Space Models", §4):
    /// Lin πk, Inv (N/π)(N/(2k+1) − 1). The paper and its code take N as the size of the real
    /// state, twice the number of complex modes (each mode stands for a conjugate pair).
    ///
    /// - Parameters:
    ///   - count: The number of modes.
    ///   - stateSize: N in the Inv formula.
    /// - Returns: `count` values.
    public func imaginaryParts(count: Int, stateSize: Int) -> [Double] {
        let big = Double(stateSize)
        return (0..<count).map { k in
            switch self {
            case .lin: return Double.pi * Double(k)
            case .inv: return big / Double.pi * (big / Double(2 * k + 1) - 1)
            }
        }
    }
}
