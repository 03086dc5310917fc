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

/// The truncation rank DMD uses when none is given, and why.
///
/// The hard threshold of Gavish and Donoho assumes a low-rank signal plus i.i.d. noise that
/// fills every direction, with enough singular values that their median lies in the noise bulk.
/// The rule:
/// * fewer than `minimumForThreshold` singular values: too few for a median of the noise, so the
///   numerical rank (σ > σ₁·ε·max(m, n), as `numpy.linalg.matrix_rank`);
/// * some singular values at rounding level (σ_min ≤ that tolerance): the data has no noise floor
///   (noise-free or exactly low-rank), so the numerical rank;
/// * otherwise the hard threshold ω(β)·median σ, and rank 1 with a warning when nothing passes it.
public enum DMDRankChoice {
    /// The fewest singular values for which the hard threshold is used (its median must estimate
    /// the noise; with a handful of values it is mostly signal).
    public static let minimumForThreshold = 10

    /// The chosen rank, the reason in words, and warnings.
    ///
    /// - Parameters:
    ///   - singularValues: σ of the m×n snapshot matrix, descending, all min(m, n) of them.
    ///   - rows: m.
    ///   - cols: n.
    /// - Returns: The rank (≥ 1 when σ₁ > 0), the reason and any warning.
    public static func choose(singularValues s: [Double], rows: Int, cols: Int) -> (rank: Int, reason: String, warnings: [String]) {
        let numerical = numericalRank(s, rows: rows, cols: cols)
        if s.count < minimumForThreshold {
            return (numerical, "numerical rank: \(s.count) singular value\(s.count == 1 ? "" : "s"), fewer than the \(minimumForThreshold) the optimal hard threshold needs", [])
        }
        if numerical < s.count {
            return (numerical, "numerical rank: the singular values fall to rounding level after \(numerical) (no noise floor)", [])
        }
        let (ght, tau) = OptimalHardThreshold.rank(singularValues: s, rows: rows, cols: cols)
        let reason = String(format: "optimal hard threshold (Gavish–Donoho): %d singular values above ω(β)·median σ = %.3g", ght, tau)
        if ght == 0 {
            return (1, reason + "; none passes, so rank 1",
                    [String(format: "dmd: no singular value exceeds the optimal hard threshold %.3g; using rank 1", tau)])
        }
        return (ght, reason, [])
    }

    /// The number of singular values above σ₁·ε·max(m, n).
    public static func numericalRank(_ s: [Double], rows: Int, cols: Int) -> Int {
        let smax = s.first ?? 0
        return s.filter { $0 > smax * Double.ulpOfOne * Double(Swift.max(rows, cols)) }.count
    }
}
