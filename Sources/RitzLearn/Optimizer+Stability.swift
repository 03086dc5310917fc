import Foundation

/// The linear stability of each optimizer's step: the threshold a tracked curvature is drawn
/// against, and the diagonal preconditioner of the adaptive steps.
///
/// Each threshold is where the iteration matrix of (parameter, momentum buffer) on one curvature
/// a first has the eigenvalue −1, for the update rules of ``Optimizer``:
/// * gradient descent p ← p − η(g + λp): ηa < 2, so a < 2/η − λ for the loss's curvature;
/// * heavy-ball momentum μ with dampening τ (PyTorch's b ← μb + (1 − τ)g, p ← p − ηb):
///   a < 2(1 + μ)/((1 − τ)η) − λ — (2 + 2μ)/η, Cohen et al. 2021, appendix on momentum;
/// * Nesterov momentum (never dampened): a < 2(1 + μ)/((1 + 2μ)η) − λ;
/// * Adam's p ← p − η·P⁻¹m with m ← β₁m + (1 − β₁)g and the preconditioner held fixed,
///   P = (1 − β₁ᵗ)(√v̂ + ε): heavy ball on P⁻¹H with step (1 − β₁)η, so
///   λ_max(P⁻¹(H + λI)) < (2 + 2β₁)/((1 − β₁)η) — 38/η for β₁ = 0.9, the threshold of Cohen et
///   al., "Adaptive Gradient Methods at the Edge of Stability" (2022); a coupled weight decay λ
///   joins the Hessian;
/// * a decoupled weight decay (AdamW's p ← p(1 − ηλ), AdaHessian's −ηλp) turns the parameter's
///   diagonal entry 1 into 1 − ηλ, and the threshold into c(1 − ηλ/2)/η = c/η − cλ/2.
/// K-FAC, MKOR, M-FAC and Shampoo precondition with full or Kronecker-factored matrices and
/// have none here.
extension Optimizer {
    /// The threshold of `bound`'s quantity for this step, nil when it has none: sharpness and
    /// trace only under sgd; the preconditioned sharpness under sgd (P = I), adam, adamw and
    /// adahessian. Momentum ≥ 1 or full dampening leaves no stable curvature: nil.
    public func stabilityThreshold(for bound: StabilityBound) -> StabilityThreshold? {
        switch (kind, bound) {
        case let (.sgd(mu, nesterov, wd, dampening), _):
            var c = 2.0
            if mu != 0 {  // the plain step ignores dampening
                guard mu < 1, dampening < 1 else { return nil }
                // Nesterov momentum comes without dampening (the initialiser checks).
                c = nesterov ? 2 * (1 + mu) / (1 + 2 * mu) : 2 * (1 + mu) / (1 - dampening)
            }
            // The preconditioned sharpness holds the coupled decay in its operator.
            return StabilityThreshold(numerator: c, offset: bound == .preconditioned ? 0 : wd)
        case let (.adam(b1, _, _, _), .preconditioned):
            return StabilityThreshold(numerator: Optimizer.adaptiveNumerator(b1), offset: 0)
        case let (.adamw(b1, _, _, wd), .preconditioned), let (.adahessian(b1, _, _, wd, _, _, _), .preconditioned):
            let c = Optimizer.adaptiveNumerator(b1)
            return StabilityThreshold(numerator: c, offset: c * wd / 2)
        default:
            return nil
        }
    }

    /// (2 + 2β₁)/(1 − β₁).
    private static func adaptiveNumerator(_ beta1: Double) -> Double { (2 + 2 * beta1) / (1 - beta1) }

    /// The thresholds this step has, by bound.
    public var stabilityThresholds: [StabilityBound: StabilityThreshold] {
        var out: [StabilityBound: StabilityThreshold] = [:]
        for bound in StabilityBound.allCases { out[bound] = stabilityThreshold(for: bound) }
        return out
    }

    /// What the preconditioned sharpness λ_max(P⁻¹(H + λI)) is measured with: the diagonal P of
    /// the latest step (nil: the identity, for sgd) and the coupled weight decay λ.
    public struct Preconditioning: Sendable {
        /// P, one entry per parameter; nil for the identity.
        public let diagonal: [Double]?
        /// λ, added to the Hessian.
        public let coupledDecay: Double
    }

    /// The preconditioning of the step just taken, nil for a step that has none on the
    /// Hessian's diagonal (K-FAC and the like) or, for adam, adamw and adahessian, before the
    /// first step, when there are no second moments yet.
    ///
    /// Adam's and AdamW's P = (1 − β₁ᵗ)(√(v/(1 − β₂ᵗ)) + ε); AdaHessian's
    /// P = (1 − β₁ᵗ)((√(v/(1 − β₂ᵗ)))ᵏ + ε), its v the moment of the Hessian's diagonal.
    public var preconditioning: Preconditioning? {
        switch kind {
        case let .sgd(_, _, wd, _):
            return Preconditioning(diagonal: nil, coupledDecay: wd)
        case let .adam(b1, b2, eps, _), let .adamw(b1, b2, eps, _):
            return adaptiveDiagonal(beta1: b1, beta2: b2, eps: eps, power: 1).map {
                let coupled: Double
                if case let .adam(_, _, _, wd) = kind { coupled = wd } else { coupled = 0 }
                return Preconditioning(diagonal: $0, coupledDecay: coupled)
            }
        case let .adahessian(b1, b2, eps, _, k, _, _):
            return adaptiveDiagonal(beta1: b1, beta2: b2, eps: eps, power: k).map { Preconditioning(diagonal: $0, coupledDecay: 0) }
        default:
            return nil
        }
    }

    /// (1 − β₁ᵗ)((√(v/(1 − β₂ᵗ)))ᵏ + ε) from the second moments; nil before the first step.
    private func adaptiveDiagonal(beta1: Double, beta2: Double, eps: Double, power: Double) -> [Double]? {
        guard t >= 1, !v.isEmpty else { return nil }
        let bc1 = 1 - pow(beta1, Double(t)), bc2 = 1 - pow(beta2, Double(t))
        return v.map { vi in
            let root = (max(vi, 0) / bc2).squareRoot()
            return bc1 * ((power == 1 ? root : pow(root, power)) + eps)
        }
    }
}
