import RitzTensor

/// A stochastic trace estimate with its standard error.
public struct HutchinsonResult: Sendable {
    /// The estimate (1/p) Σ z_iᵀ H z_i.
    public let trace: Double
    /// Standard error s/√p, s the sample standard deviation of the p ≥ 2 samples.
    public let stderr: Double
    /// The samples z_iᵀ H z_i.
    public let samples: [Double]
    /// Matrix-vector products.
    public let matvecs: Int
}

/// A stochastic estimate of the diagonal with per-entry standard errors.
public struct HutchinsonDiagResult: Sendable {
    /// The estimate (1/p) Σ z_i ⊙ H z_i, length n.
    public let diagonal: Tensor
    /// Per-entry standard errors from p ≥ 2 probes, length n.
    public let stderr: Tensor
    /// Matrix-vector products.
    public let matvecs: Int
}

/// Hutchinson's trace estimator with Rademacher probes.
///
/// tr(H) = E[zᵀHz] for z with independent ±1 entries (Hutchinson 1989); the variance of one sample
/// is 2(‖H‖_F² − Σ H_ii²), the smallest among i.i.d. probe distributions. The standard error is
/// the sample standard deviation over √probes, so the estimate lies within 2 standard errors of
/// the trace about 95% of the time (central limit theorem).
///
/// - Parameters:
///   - H: An operator (need not be symmetric).
///   - probes: Number of probe vectors, at least 2 (default 100).
///   - seed: Seed of the probes.
/// - Returns: Trace, standard error, samples and matvecs.
/// - Throws: `TensorError.invalidArgument` for probes < 2 (see `requireSpread`); errors of the operator.
public func hutchinson(_ H: LinearOperator, probes: Int = 100, seed: UInt64 = 0) throws -> HutchinsonResult {
    try requireSpread("hutchinson", probes: probes)
    let before = H.matvecs
    var rng = RandomGenerator(seed: seed)
    var samples = [Double]()
    for _ in 0..<probes {
        try Interruption.check()
        let z = (0..<H.n).map { _ in rng.rademacher() }
        samples.append(Blas.dot(z, try H.apply(vector: z)))
    }
    let (mean, se) = meanAndStandardError(samples)
    return HutchinsonResult(trace: mean, stderr: se, samples: samples, matvecs: H.matvecs - before)
}

/// Hutchinson's diagonal estimator with Rademacher probes: diag(H) = E[z ⊙ Hz] (Bekas, Kokiopoulou
/// & Saad, Appl. Numer. Math. 57, 2007); entry i's error comes from Σ_{j≠i} H_ij z_i z_j.
///
/// - Parameters:
///   - H: An operator.
///   - probes: Number of probe vectors, at least 2 (default 100).
///   - seed: Seed of the probes.
/// - Returns: The diagonal estimate, per-entry standard errors and matvecs.
/// - Throws: `TensorError.invalidArgument` for probes < 2 (see `requireSpread`); errors of the operator.
public func hutchinsonDiag(_ H: LinearOperator, probes: Int = 100, seed: UInt64 = 0) throws -> HutchinsonDiagResult {
    try requireSpread("hutchinson_diag", probes: probes)
    let n = H.n
    let before = H.matvecs
    var rng = RandomGenerator(seed: seed)
    // Welford's running mean and sum of squared deviations, per entry.
    var mean = [Double](repeating: 0, count: n), m2 = [Double](repeating: 0, count: n)
    for p in 0..<probes {
        try Interruption.check()
        let z = (0..<n).map { _ in rng.rademacher() }
        let hz = try H.apply(vector: z)
        for i in 0..<n {
            let s = z[i] * hz[i]
            let d = s - mean[i]
            mean[i] += d / Double(p + 1)
            m2[i] += d * (s - mean[i])
        }
    }
    let se = m2.map { ($0 / Double(probes - 1) / Double(probes)).squareRoot() }
    return HutchinsonDiagResult(diagonal: Tensor(mean), stderr: Tensor(se), matvecs: H.matvecs - before)
}

/// Refuses fewer than two probes: the standard error is the samples' spread s/√p, and one
/// sample has no spread to measure (s would be 0/0), so the estimate would come without any error bar.
///
/// - Parameters:
///   - op: The estimator's name, for the message.
///   - probes: The number of probes asked for.
/// - Throws: `TensorError.invalidArgument` when probes < 2.
func requireSpread(_ op: String, probes: Int) throws {
    guard probes >= 2 else {
        throw TensorError.invalidArgument("\(op) needs probes >= 2, got \(probes): its standard error is the spread of the probe samples, which one sample does not have")
    }
}

/// Sample mean and its standard error (sample standard deviation with n − 1, over √n).
func meanAndStandardError(_ xs: [Double]) -> (mean: Double, stderr: Double) {
    let p = Double(xs.count)
    guard xs.count > 0 else { return (.nan, .nan) }
    let mean = xs.reduce(0, +) / p
    guard xs.count > 1 else { return (mean, .nan) }
    let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (p - 1)
    return (mean, (variance / p).squareRoot())
}
