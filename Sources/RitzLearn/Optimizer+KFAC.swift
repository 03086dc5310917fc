import Foundation
import RitzTensor

/// The Kronecker-factored rules: `kfac` and `mkor`.
///
/// * `kfac` (Martens & Grosse 2015): every `updateEvery` steps the factors A, G of every dense
///   and convolution layer are measured on the step's batch with labels drawn from the model
///   (``KroneckerStatistics``) and averaged into running estimates, A ← εA + (1 − ε)A_batch with
///   ε = min(1 − 1/k, 0.95) at the k-th measurement (their §5), then eigendecomposed. Each step
///   Δ = (A ⊗ G + δI)⁻¹ g exactly through the eigenbases (``KroneckerCurvature``; the identity on
///   blocks no layer covers); b ← μb + Δ; p ← p − ηb.
/// * `mkor` (Mozaffari, Li, Zhang & Dehnavi 2023): the inverse factors themselves are kept and
///   updated by rank one every `updateEvery` steps from the batch means ā of the layer inputs
///   and ḡ of the output gradients (at the data's labels): X ← γX + (1 − γ)uuᵀ becomes, by
///   Sherman–Morrison, X⁻¹ ← (1/γ)[X⁻¹ − (1 − γ)X⁻¹uuᵀX⁻¹ / (γ + (1 − γ)uᵀX⁻¹u)], γ = 0.95,
///   from X⁻¹ = I. Stabilisation (their norm-based stabiliser): an inverse factor whose largest
///   entry exceeds 1/δ is blended towards the identity, X⁻¹ ← ½X⁻¹ + ½I, until it does not
///   (at most 50 times); it stays symmetric positive definite. Each step ΔW = L⁻¹ ∇W R⁻¹
///   rescaled to the gradient's norm (their gradient rescaling, so the learning rate means what
///   it means for SGD); other blocks take the gradient; b ← μb + Δ; p ← p − ηb.
extension Optimizer {
    /// K-FAC.
    ///
    /// - Parameters:
    ///   - lr: Learning rate η.
    ///   - damping: δ added to A ⊗ G (> 0).
    ///   - updateEvery: Steps between measurements of the factors.
    ///   - momentum: μ.
    /// - Returns: The optimizer.
    /// - Throws: `LearnError.invalidArgument` for bad hyperparameters.
    public static func kfac(lr: Double, damping: Double = 1e-3, updateEvery: Int = 10, momentum: Double = 0) throws -> Optimizer {
        try Optimizer(.kfac(damping: damping, updateEvery: updateEvery, momentum: momentum), lr: lr)
    }

    /// MKOR.
    ///
    /// - Parameters:
    ///   - lr: Learning rate η.
    ///   - damping: δ: inverse factors are kept below 1/δ entrywise (> 0).
    ///   - updateEvery: Steps between rank-one updates.
    ///   - momentum: μ.
    /// - Returns: The optimizer.
    /// - Throws: `LearnError.invalidArgument` for bad hyperparameters.
    public static func mkor(lr: Double, damping: Double = 1e-2, updateEvery: Int = 10, momentum: Double = 0) throws -> Optimizer {
        try Optimizer(.mkor(damping: damping, updateEvery: updateEvery, momentum: momentum), lr: lr)
    }

    /// Checks kfac's and mkor's hyperparameters.
    static func checkKronecker(damping: Double, updateEvery: Int, momentum: Double) throws {
        guard damping.isFinite, damping > 0 else { throw LearnError.invalidArgument("damping must be a finite number > 0, got \(damping)") }
        guard updateEvery >= 1 else { throw LearnError.invalidArgument("update_every must be at least 1, got \(updateEvery)") }
        guard momentum.isFinite, momentum >= 0, momentum < 1 else {
            throw LearnError.invalidArgument("momentum must be in [0, 1), got \(momentum)")
        }
    }

    /// True for the rules that measure Kronecker factors on the step's batch
    /// (``refreshCurvature(model:loss:batch:)`` before ``step(parameters:gradient:blocks:hvp:)``).
    public var usesKroneckerFactors: Bool {
        switch kind {
        case .kfac, .mkor: return true
        default: return false
        }
    }

    /// Measures the factors on the batch when they are due (at the first step and every
    /// `updateEvery` steps); call before the step, with the model at the step's parameters.
    ///
    /// - Parameters:
    ///   - model: The model (on the tape).
    ///   - loss: The loss.
    ///   - batch: The step's inputs and targets, asked for only when the factors are due.
    /// - Throws: Errors of ``KroneckerStatistics/compute(model:x:y:loss:labels:)``.
    public func refreshCurvature(model: any Model, loss: LossKind, batch: () throws -> (x: Tensor, y: Tensor)) throws {
        let state = kronecker ?? KroneckerOptimizerState()
        kronecker = state
        switch kind {
        case let .kfac(damping, every, _):
            guard state.measurements == 0 || t % every == 0 else { return }
            let (x, y) = try batch()
            let stats = try KroneckerStatistics.compute(model: model, x: x, y: y, loss: loss,
                                                        labels: .mc(samples: 1, seed: rng.next()))
            state.measurements += 1
            let eps = min(1 - 1 / Double(state.measurements), 0.95)
            var layers = stats.layers
            if let old = state.average, old.count == layers.count {
                for i in layers.indices {
                    layers[i].a = try runningAverage(old[i].a, layers[i].a, eps)
                    layers[i].g = try runningAverage(old[i].g, layers[i].g, eps)
                }
            }
            state.average = layers
            let curvature = KroneckerCurvature(layers: try KroneckerEigenLayer.decompose(layers), blocks: model.blocks, ekfac: false)
            state.inverse = try curvature.inverse(damping: damping)
        case let .mkor(damping, every, _):
            guard state.measurements == 0 || t % every == 0 else { return }
            let (x, y) = try batch()
            let stats = try KroneckerStatistics.compute(model: model, x: x, y: y, loss: loss, labels: .empirical)
            state.measurements += 1
            if state.inverses.count != stats.layers.count {
                state.inverses = stats.layers.map { (left: identity($0.outputs), right: identity($0.inputs)) }
            }
            state.layers = stats.layers
            for l in stats.layers.indices {
                let (abar, gbar) = stats.means(l)
                state.inverses[l].left = stabilised(shermanMorrison(state.inverses[l].left, gbar), damping: damping)
                state.inverses[l].right = stabilised(shermanMorrison(state.inverses[l].right, abar), damping: damping)
            }
        default:
            return
        }
    }

    /// The kfac or mkor update with the factors of the last ``refreshCurvature(model:loss:batch:)``.
    func kroneckerStep(parameters: inout [Double], gradient: [Double]) throws {
        guard let state = kronecker else {
            throw LearnError.invalidArgument("\(name) needs the Kronecker factors of the batch: train with it, or call refreshCurvature first")
        }
        let direction: [Double]
        let mu: Double
        switch kind {
        case let .kfac(_, _, momentum):
            guard let inverse = state.inverse else { throw LearnError.invalidArgument("kfac has no factors yet") }
            direction = try inverse.apply(gradient)
            mu = momentum
        case let .mkor(_, _, momentum):
            direction = try mkorDirection(state, gradient)
            mu = momentum
        default:
            return
        }
        let eta = lr
        // Through a buffer: element accesses of the stored `m` would each pay a dynamic
        // exclusivity check.
        m.withUnsafeMutableBufferPointer { mb in
            for i in 0..<min(parameters.count, mb.count, direction.count) {
                mb[i] = mu * mb[i] + direction[i]
                parameters[i] -= eta * mb[i]
            }
        }
    }

    /// L⁻¹ ∇W R⁻¹ per layer, rescaled to ‖∇W‖; the gradient elsewhere.
    private func mkorDirection(_ state: KroneckerOptimizerState, _ gradient: [Double]) throws -> [Double] {
        var out = gradient
        try gradient.withUnsafeBufferPointer { g in
            for (l, layer) in state.layers.enumerated() {
                let (o, p) = (layer.outputs, layer.inputs)
                let gm = try Tensor(shape: [o, p], storage: layer.gather(g))
                let (left, right) = state.inverses[l]
                let d = try Tensor.gemm(try Tensor.gemm(left, transA: false, gm, transB: false), transA: false, right, transB: false)
                let (gn, dn) = (try gm.norm(), try d.norm())
                let scale = dn > 0 && dn.isFinite ? gn / dn : 0
                layer.scatter(d.storage.map { $0 * scale }, into: &out)
            }
        }
        return out
    }

    /// ε·old + (1 − ε)·new, elementwise in one pass (the factors' running average).
    private func runningAverage(_ old: Tensor, _ new: Tensor, _ eps: Double) throws -> Tensor {
        guard old.shape == new.shape else { throw LearnError.shape("a factor changed shape from \(old.shape) to \(new.shape)") }
        let (a, b) = (old.storage, new.storage)
        return try Tensor(shape: new.shape, storage: (0..<b.count).map { eps * a[$0] + (1 - eps) * b[$0] })
    }

    private func identity(_ n: Int) -> Tensor {
        (try? Tensor.eye(n)) ?? Tensor([Double](repeating: 1, count: n))
    }

    /// (γX + (1 − γ)uuᵀ)⁻¹ from X⁻¹ by Sherman–Morrison, γ = 0.95, symmetrised.
    private func shermanMorrison(_ inverse: Tensor, _ u: [Double]) -> Tensor {
        let gamma = 0.95, c = 1 - gamma
        let n = u.count
        let xi = inverse.storage
        guard xi.count == n * n else { return inverse }
        var w = [Double](repeating: 0, count: n)  // X⁻¹u
        for i in 0..<n { var s = 0.0; for j in 0..<n { s += xi[i * n + j] * u[j] }; w[i] = s }
        var quad = 0.0
        for i in 0..<n { quad += u[i] * w[i] }
        let denom = gamma + c * quad
        guard denom > 0, denom.isFinite else { return inverse }
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n { out[i * n + j] = (xi[i * n + j] - c * w[i] * w[j] / denom) / gamma }
        }
        for i in 0..<n { for j in (i + 1)..<max(n, i + 1) { let s = 0.5 * (out[i * n + j] + out[j * n + i]); out[i * n + j] = s; out[j * n + i] = s } }
        return (try? Tensor(shape: [n, n], storage: out)) ?? inverse
    }

    /// X⁻¹ blended towards I, ½X⁻¹ + ½I, until its largest entry is at most 1/δ (at most 50 times).
    private func stabilised(_ inverse: Tensor, damping: Double) -> Tensor {
        var s = inverse.storage
        let n = inverse.shape.first ?? 0
        var rounds = 0
        while (s.map(abs).max() ?? 0) > 1 / damping, rounds < 50 {
            for i in 0..<s.count { s[i] *= 0.5 }
            for i in 0..<n { s[i * n + i] += 0.5 }
            rounds += 1
        }
        return (try? Tensor(shape: inverse.shape, storage: s)) ?? inverse
    }
}

/// What kfac and mkor carry between steps.
final class KroneckerOptimizerState {
    /// Factor measurements so far.
    var measurements = 0
    /// kfac: the running A and G, and (K + δI)⁻¹ from their decomposition.
    var average: [KroneckerLayerFactors]?
    var inverse: KroneckerScaling?
    /// mkor: the layers (for their layout) and their inverse factors L⁻¹ (o × o) and R⁻¹ (p × p).
    var layers: [KroneckerLayerFactors] = []
    var inverses: [(left: Tensor, right: Tensor)] = []
}
