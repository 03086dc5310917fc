import Foundation
import RitzLearn
import RitzTensor

/// `kfac_op(m, data, kind=, damping=)`: K-FAC's or EKFAC's approximation of the Fisher of a
/// model on a data set as a symmetric operator (K + δI), with its factors for `.factors` and
/// its exact inverse for `inv(K, method="kfac")`.
public final class KroneckerOperator: Sendable {
    /// v ↦ (K + δI) v.
    public let op: LinearOperator
    /// The curvature behind it.
    public let curvature: KroneckerCurvature
    /// δ, the operator's own damping.
    public let damping: Double
    /// True when the operator is restricted to some blocks (then it has no closed-form inverse).
    public let restricted: Bool

    /// The operator of `model` on `data`.
    ///
    /// - Parameters:
    ///   - model: A model on the tape.
    ///   - data: The data set (one batch).
    ///   - ekfac: EKFAC's rescaling (George et al. 2018) instead of K-FAC's A ⊗ G.
    ///   - labels: Where G's gradients come from (default: labels drawn from the model).
    ///   - loss: The loss (nil: the data's default).
    ///   - damping: δ added to K.
    ///   - blocks: Restrict to these named blocks (P (K + δI) Pᵀ), or nil.
    /// - Throws: `TensorError.invalidArgument` for a non-finite damping; errors of
    ///   ``KroneckerCurvature/compute(model:x:y:loss:labels:ekfac:)``.
    public init(model: any Model, data: Dataset, ekfac: Bool, labels: KroneckerLabels = .mc(samples: 1, seed: 0),
                loss: LossKind? = nil, damping: Double = 0, blocks: [String]? = nil) throws {
        guard damping.isFinite else { throw TensorError.invalidArgument("damping must be finite, got \(damping)") }
        let k = try KroneckerCurvature.compute(model: model, x: data.x, y: data.y, loss: loss ?? data.defaultLoss,
                                               labels: labels, ekfac: ekfac)
        curvature = k
        self.damping = damping
        let what = "\(ekfac ? "ekfac" : "kfac") (\(labels.name)) of \(model.label) on \(data.count) rows"
            + (damping == 0 ? "" : " + \(damping)·I")
        let full = try LinearOperator(n: model.parameterCount, symmetric: true, label: what) { v in
            try k.apply(v, damping: damping)
        }
        if let blocks {
            op = try HessianOperator.restricted(full, model: model, blocks: blocks, what: what)
        } else {
            op = full
        }
        restricted = blocks != nil
    }

    /// The inverse of (K + δI) + extra·I in closed form, each product certified by its true residual.
    ///
    /// - Parameters:
    ///   - extra: Damping added on top of the operator's own.
    ///   - tol: The residual the products are expected to reach (a closed form reaches rounding).
    /// - Returns: The inverse operator (method `.kfac`).
    /// - Throws: `TensorError.invalidArgument` for a restricted operator; `LearnError.invalidArgument`
    ///   when K + δI is not positive definite.
    public func inverse(extra: Double, tol: Double = 1e-10) throws -> InverseOperator {
        guard !restricted else {
            throw TensorError.invalidArgument("the closed-form K-FAC inverse needs the whole kfac_op; invert a block with method=\"cg\"")
        }
        let total = damping + extra
        _ = try curvature.solve([Double](repeating: 0, count: curvature.parameterCount), damping: total)
        let k = curvature
        return try InverseOperator(op, method: .kfac, damping: extra, tol: tol, maxiter: 1) { v in
            try k.solve(v, damping: total)
        }
    }
}
