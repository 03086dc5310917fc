import Foundation
import RitzTensor

/// K-FAC or EKFAC curvature of a model: a block-diagonal matrix with one Kronecker block
/// Q (diag s) Qᵀ per dense or convolution layer (``KroneckerEigenLayer``, A ⊗ G for K-FAC) and
/// the identity on every parameter block no such layer covers (layer-norm gains, embeddings,
/// s4d parameters, weights used only through `w.T`): there the matrix claims no curvature
/// information and its inverse leaves the gradient as it is (up to 1/(1 + δ)).
///
/// Products and solves are exact through the eigendecompositions:
/// (K + δI) v and (K + δI)⁻¹ v = Q (diag 1/(s + δ)) Qᵀ v blockwise — plain damping of the whole
/// matrix, not split between the factors (Martens & Grosse's π-damping approximates this).
public final class KroneckerCurvature: @unchecked Sendable {
    /// The decomposed layers.
    public let layers: [KroneckerEigenLayer]
    /// The parameter blocks with an identity block.
    public let uncovered: [ParameterBlock]
    /// Number of parameters.
    public let parameterCount: Int
    /// EKFAC's scales (else K-FAC's).
    public let ekfac: Bool

    /// The curvature from decomposed layers over the model's blocks.
    ///
    /// - Parameters:
    ///   - layers: The layers.
    ///   - blocks: All the model's blocks.
    ///   - ekfac: Whether the scales are EKFAC's.
    public init(layers: [KroneckerEigenLayer], blocks: [ParameterBlock], ekfac: Bool) {
        self.layers = layers
        let covered = Set(layers.flatMap { $0.factors.blockNames })
        uncovered = blocks.filter { !covered.contains($0.name) }
        parameterCount = blocks.map(\.count).reduce(0, +)
        self.ekfac = ekfac
    }

    /// The K-FAC (or EKFAC) curvature of `model` on the batch (x, y).
    ///
    /// - Parameters:
    ///   - model: A model on the tape.
    ///   - x: Inputs.
    ///   - y: Labels or targets.
    ///   - loss: The loss.
    ///   - labels: Where G's gradients come from.
    ///   - ekfac: Rescale in the Kronecker eigenbasis (George et al. 2018).
    /// - Returns: The curvature.
    /// - Throws: As ``KroneckerStatistics/compute(model:x:y:loss:labels:)`` and `eigh`.
    public static func compute(model: any Model, x: Tensor, y: Tensor, loss: LossKind, labels: KroneckerLabels,
                               ekfac: Bool) throws -> KroneckerCurvature {
        let stats = try KroneckerStatistics.compute(model: model, x: x, y: y, loss: loss, labels: labels)
        return KroneckerCurvature(layers: try stats.decomposed(ekfac: ekfac), blocks: model.blocks, ekfac: ekfac)
    }

    /// (K + δI) v.
    ///
    /// - Throws: `LearnError.shape` when `v` does not have one value per parameter.
    public func apply(_ v: [Double], damping: Double = 0) throws -> [Double] {
        try damped(damping).apply(v)
    }

    /// (K + δI)⁻¹ v, exact in the eigenbases.
    ///
    /// - Throws: `LearnError.shape` for a `v` of the wrong length; `LearnError.invalidArgument`
    ///   when K + δI is singular or indefinite (some s + δ ≤ 0: raise the damping).
    public func solve(_ v: [Double], damping: Double) throws -> [Double] {
        try inverse(damping: damping).apply(v)
    }

    /// K + δI as multipliers s + δ in the eigenbases (1 + δ on the identity blocks), to apply to many vectors.
    ///
    /// - Parameters:
    ///   - damping: δ.
    /// - Returns: The scaling.
    public func damped(_ damping: Double) -> KroneckerScaling {
        KroneckerScaling(curvature: self, multipliers: layers.map { $0.scales.map { $0 + damping } }, identity: 1 + damping)
    }

    /// (K + δI)⁻¹ as multipliers 1/(s + δ) in the eigenbases (1/(1 + δ) on the identity blocks),
    /// checked once and applied to many vectors (a K-FAC optimizer's steps between two refreshes).
    ///
    /// - Parameters:
    ///   - damping: δ.
    /// - Returns: The inverse scaling.
    /// - Throws: `LearnError.invalidArgument` when K + δI is singular or indefinite (some s + δ ≤ 0:
    ///   raise the damping).
    public func inverse(damping: Double) throws -> KroneckerScaling {
        var smallest = 1 + damping
        for layer in layers { for s in layer.scales { smallest = min(smallest, s + damping) } }
        guard smallest > 0, damping.isFinite else {
            throw LearnError.invalidArgument("K + δI with δ = \(damping) has an eigenvalue \(smallest) ≤ 0 and cannot be inverted; raise the damping")
        }
        return KroneckerScaling(curvature: self, multipliers: layers.map { $0.scales.map { 1 / ($0 + damping) } },
                                identity: 1 / (1 + damping))
    }

    /// The smallest and largest eigenvalue of K (the scales, and 1 for the identity blocks).
    public var eigenvalueRange: (min: Double, max: Double) {
        var all = layers.flatMap(\.scales)
        if !uncovered.isEmpty { all.append(1) }
        return (all.min() ?? 0, all.max() ?? 0)
    }
}

/// A function of a ``KroneckerCurvature`` K made once for many vectors: each layer's part of a
/// vector scaled in its Kronecker eigenbasis, V ↦ Q_G (D ⊙ (Q_Gᵀ V Q_A)) Q_Aᵀ, and the
/// parameters outside the layers by one number (D = s + δ and 1 + δ for K + δI; their
/// reciprocals for the inverse).
public struct KroneckerScaling: Sendable {
    /// The curvature.
    public let curvature: KroneckerCurvature
    /// Each layer's D, o·p row-major.
    let multipliers: [[Double]]
    /// The factor on the parameters no layer covers.
    let identity: Double

    /// The scaling applied to `v`.
    ///
    /// - Parameters:
    ///   - v: One value per parameter.
    /// - Returns: The scaled vector.
    /// - Throws: `LearnError.shape` when `v` does not have one value per parameter.
    public func apply(_ v: [Double]) throws -> [Double] {
        let k = curvature
        guard v.count == k.parameterCount else {
            throw LearnError.shape("a vector of \(v.count) values for \(k.parameterCount) parameters")
        }
        var out = [Double](repeating: 0, count: v.count)
        let scratch = k.layers.map(\.workspaceCount).max() ?? 0
        let workspace = UnsafeMutablePointer<Double>.allocate(capacity: max(scratch, 1))
        defer { workspace.deallocate() }
        v.withUnsafeBufferPointer { pv in
            out.withUnsafeMutableBufferPointer { po in
                for (layer, d) in zip(k.layers, multipliers) {
                    d.withUnsafeBufferPointer { layer.apply(pv, into: po, multipliers: $0, workspace: workspace) }
                }
                for b in k.uncovered { for i in b.range { po[i] = identity * pv[i] } }
            }
        }
        return out
    }
}
