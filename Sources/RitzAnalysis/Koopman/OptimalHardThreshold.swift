import Foundation

/// The optimal hard threshold for singular values of Gavish and Donoho (IEEE Trans. Inf. Theory
/// 60, 2014) when the noise level is unknown.
enum OptimalHardThreshold {
    /// ω(β) ≈ 0.56β³ − 0.95β² + 1.82β + 1.43, the published polynomial approximation of the
    /// optimal coefficient (eq. (5) of the paper; error below 0.02 on 0 < β ≤ 1).
    static func omega(_ beta: Double) -> Double {
        0.56 * beta * beta * beta - 0.95 * beta * beta + 1.82 * beta + 1.43
    }

    /// The rank: the number of singular values above τ = ω(β)·median(σ), β = min(m, n)/max(m, n).
    ///
    /// - Parameters:
    ///   - singularValues: σ of an m×n matrix, all min(m, n) of them.
    ///   - rows: m.
    ///   - cols: n.
    /// - Returns: The rank (possibly 0) and τ.
    static func rank(singularValues s: [Double], rows: Int, cols: Int) -> (rank: Int, tau: Double) {
        guard !s.isEmpty, rows > 0, cols > 0 else { return (0, 0) }
        let beta = Double(Swift.min(rows, cols)) / Double(Swift.max(rows, cols))
        let sorted = s.sorted()
        let k = sorted.count
        let median = k % 2 == 1 ? sorted[k / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2
        let tau = omega(beta) * median
        return (s.filter { $0 > tau }.count, tau)
    }
}
