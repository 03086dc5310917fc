/// Tolerances counted in machine epsilon, the way LAPACK's test drivers count them.
///
/// LAPACK accepts a result when its error divided by n·ε·(norm) is below `THRESH = 30` (its
/// `dtest.in`); ε = 2⁻⁵² is `Double.ulpOfOne`. Such a bound holds for any summation order, so it
/// holds for every BLAS kernel (Prescott, Haswell, SkylakeX) and for NumPy's own OpenBLAS.
let lapackThreshold = 30.0

/// threshold·n·ε·norm: the error of a backward-stable result of size n on data of size `norm`.
///
/// - Parameters:
///   - n: the dimension (the terms in each inner product).
///   - norm: the norm or conditioning figure the error is proportional to (‖A‖, ‖A‖·κ, …).
///   - threshold: the multiple allowed, LAPACK's 30 unless a test states another.
/// - Returns: the absolute tolerance.
func backwardTol(n: Int, norm: Double, threshold: Double = lapackThreshold) -> Double {
    threshold * Double(n) * Double.ulpOfOne * norm
}

/// threshold·n·ε·‖A‖/gap: the angle error of an eigenvector of a symmetric matrix whose eigenvalue
/// is `gap` away from the rest of the spectrum (Davis–Kahan sin θ ≤ ‖E‖/gap with ‖E‖ the backward error).
///
/// - Parameters:
///   - n: the dimension.
///   - norm: ‖A‖.
///   - gap: the distance from the eigenvalue to the rest of the spectrum.
/// - Returns: the tolerance on the angle (or on a unit vector's entries).
func angleTol(n: Int, norm: Double, gap: Double) -> Double {
    backwardTol(n: n, norm: norm / gap)
}
