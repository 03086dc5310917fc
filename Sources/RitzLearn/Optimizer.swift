import Foundation
import RitzTensor

/// A first- or second-order optimizer with its state (moments, step count).
///
/// The update rules, for parameters p, gradient g and step t = 1, 2, …:
/// * `sgd` (PyTorch `SGD`): g ← g + λp; with momentum μ, b ← g at t = 1, else
///   b ← μb + (1 − dampening)g; then g ← g + μb (Nesterov) or g ← b; p ← p − ηg.
/// * `adam` (Kingma & Ba 2015, PyTorch `Adam`, L2 weight decay): g ← g + λp;
///   m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; p ← p − η·(m/(1 − β₁ᵗ)) / (√(v/(1 − β₂ᵗ)) + ε).
/// * `adamw` (Loshchilov & Hutter 2019, PyTorch `AdamW`): p ← p(1 − ηλ), then the Adam step
///   with the raw gradient (decoupled weight decay).
/// * `adahessian` (Yao et al. 2021, AAAI, and its reference implementation): D = mean over
///   probes z (Rademacher) of z ⊙ Hz (Hutchinson's estimate of diag H), optionally averaged
///   over blocks of `block` consecutive weights of a row (the paper's spatial averaging, eq. 10);
///   m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)D²;
///   p ← p − η·( (m/(1 − β₁ᵗ)) / ((√v/√(1 − β₂ᵗ))^k + ε) + λp ) with k = `hessianPower`.
///   The paper's defaults: η = 0.15, β = (0.9, 0.999), ε = 1e-4, k = 1, λ = 0.
/// * `kfac` and `mkor`: preconditioned by Kronecker factors of the model's layers
///   (`Optimizer+KFAC.swift`).
/// * `mfac` (Frantar et al. 2021): p ← p − η·F⁻¹g with F the damped empirical Fisher of the last
///   m gradients, dense or per block (Optimizer+MFAC.swift).
/// * `shampoo` (Gupta et al. 2018): p ← p − η·L^{-1/4} G R^{-1/4} per parameter tensor
///   (Optimizer+Shampoo.swift).
public final class Optimizer {
    /// The rule and its hyperparameters (besides the learning rate).
    public enum Kind: Sendable, Equatable {
        case sgd(momentum: Double, nesterov: Bool, weightDecay: Double, dampening: Double)
        case adam(beta1: Double, beta2: Double, eps: Double, weightDecay: Double)
        case adamw(beta1: Double, beta2: Double, eps: Double, weightDecay: Double)
        case adahessian(beta1: Double, beta2: Double, eps: Double, weightDecay: Double, hessianPower: Double,
                        probes: Int, block: Int)
        case kfac(damping: Double, updateEvery: Int, momentum: Double)
        case mkor(damping: Double, updateEvery: Int, momentum: Double)
        case mfac(MFACSettings)
        case shampoo(ShampooSettings)
    }

    /// The rule.
    public let kind: Kind
    /// Learning rate η (may be changed between steps, e.g. by a schedule).
    public var lr: Double
    /// Steps taken so far.
    public private(set) var t = 0
    /// Hessian-vector products used so far (adahessian).
    public private(set) var hessianProducts = 0

    var m: [Double] = []
    var v: [Double] = []
    var probe: [Double] = []
    var hz: [Double] = []
    var diag: [Double] = []
    var rng = RandomGenerator(seed: 0x5EED)
    /// The Kronecker factors and momentum of kfac and mkor.
    var kronecker: KroneckerOptimizerState?
    var mfacState: MFACState?
    var shampooState: ShampooState?

    /// Creates an optimizer after checking its hyperparameters.
    ///
    /// - Parameters:
    ///   - kind: The rule.
    ///   - lr: Learning rate (finite, ≥ 0).
    /// - Throws: `LearnError.invalidArgument` for out-of-range hyperparameters.
    public init(_ kind: Kind, lr: Double) throws {
        guard lr.isFinite, lr >= 0 else { throw LearnError.invalidArgument("learning rate must be a finite number ≥ 0, got \(lr)") }
        func beta(_ b: Double, _ name: String) throws {
            guard b >= 0, b < 1 else { throw LearnError.invalidArgument("\(name) must be in [0, 1), got \(b)") }
        }
        func nonNegative(_ x: Double, _ name: String) throws {
            guard x.isFinite, x >= 0 else { throw LearnError.invalidArgument("\(name) must be a finite number ≥ 0, got \(x)") }
        }
        switch kind {
        case let .sgd(momentum, nesterov, wd, dampening):
            try nonNegative(momentum, "momentum")
            try nonNegative(wd, "weight_decay")
            try nonNegative(dampening, "dampening")
            if nesterov, momentum <= 0 || dampening != 0 {
                throw LearnError.invalidArgument("Nesterov momentum needs momentum > 0 and no dampening")
            }
        case let .adam(b1, b2, eps, wd), let .adamw(b1, b2, eps, wd):
            try beta(b1, "beta1"); try beta(b2, "beta2")
            try nonNegative(eps, "eps"); try nonNegative(wd, "weight_decay")
        case let .adahessian(b1, b2, eps, wd, k, probes, block):
            try beta(b1, "beta1"); try beta(b2, "beta2")
            try nonNegative(eps, "eps"); try nonNegative(wd, "weight_decay")
            guard k >= 0, k <= 1 else { throw LearnError.invalidArgument("hessian_power must be in [0, 1], got \(k)") }
            guard probes >= 1 else { throw LearnError.invalidArgument("probes must be at least 1, got \(probes)") }
            guard block >= 1 else { throw LearnError.invalidArgument("block must be at least 1, got \(block)") }
        case let .kfac(damping, every, momentum), let .mkor(damping, every, momentum):
            try Optimizer.checkKronecker(damping: damping, updateEvery: every, momentum: momentum)
        case let .mfac(settings):
            try settings.validate()
        case let .shampoo(settings):
            try settings.validate()
        }
        self.kind = kind
        self.lr = lr
    }

    /// SGD with PyTorch's defaults (no momentum, no weight decay).
    ///
    /// - Parameters:
    ///   - lr: Learning rate.
    ///   - momentum: μ.
    ///   - nesterov: Nesterov momentum.
    ///   - weightDecay: L2 coefficient λ.
    /// - Returns: The optimizer.
    /// - Throws: `LearnError.invalidArgument` for bad hyperparameters.
    public static func sgd(lr: Double, momentum: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) throws -> Optimizer {
        try Optimizer(.sgd(momentum: momentum, nesterov: nesterov, weightDecay: weightDecay, dampening: 0), lr: lr)
    }

    /// Adam with PyTorch's defaults.
    ///
    /// - Parameters:
    ///   - lr: Learning rate.
    ///   - beta1: β₁.
    ///   - beta2: β₂.
    ///   - eps: ε.
    ///   - weightDecay: L2 coefficient added to the gradient.
    /// - Returns: The optimizer.
    /// - Throws: `LearnError.invalidArgument` for bad hyperparameters.
    public static func adam(lr: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8,
                            weightDecay: Double = 0) throws -> Optimizer {
        try Optimizer(.adam(beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay), lr: lr)
    }

    /// AdamW with PyTorch's defaults (weight decay 0.01, decoupled).
    ///
    /// - Parameters:
    ///   - lr: Learning rate.
    ///   - beta1: β₁.
    ///   - beta2: β₂.
    ///   - eps: ε.
    ///   - weightDecay: Decoupled decay coefficient λ.
    /// - Returns: The optimizer.
    /// - Throws: `LearnError.invalidArgument` for bad hyperparameters.
    public static func adamw(lr: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8,
                             weightDecay: Double = 0.01) throws -> Optimizer {
        try Optimizer(.adamw(beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay), lr: lr)
    }

    /// AdaHessian with the paper's defaults.
    ///
    /// - Parameters:
    ///   - lr: Learning rate (0.15).
    ///   - beta1: β₁ (0.9).
    ///   - beta2: β₂ (0.999).
    ///   - eps: ε (1e-4).
    ///   - weightDecay: Decoupled decay λ (0).
    ///   - hessianPower: k in [0, 1] (1).
    ///   - probes: Rademacher probes per step (1).
    ///   - block: Size of the blocks the diagonal is averaged over (1 = none).
    /// - Returns: The optimizer.
    /// - Throws: `LearnError.invalidArgument` for bad hyperparameters.
    public static func adahessian(lr: Double = 0.15, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-4,
                                  weightDecay: Double = 0, hessianPower: Double = 1, probes: Int = 1,
                                  block: Int = 1) throws -> Optimizer {
        try Optimizer(.adahessian(beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
                                  hessianPower: hessianPower, probes: probes, block: block), lr: lr)
    }

    /// The rule's name in the language.
    public var name: String {
        switch kind {
        case .sgd: return "sgd"
        case .adam: return "adam"
        case .adamw: return "adamw"
        case .adahessian: return "adahessian"
        case .kfac: return "kfac"
        case .mkor: return "mkor"
        case .mfac: return "mfac"
        case .shampoo: return "shampoo"
        }
    }

    /// True when ``step(parameters:gradient:blocks:hvp:)`` needs Hessian-vector products.
    public var needsHessian: Bool {
        if case .adahessian = kind { return true }
        return false
    }

    /// Forgets the moments and the step count.
    public func reset() {
        t = 0
        m = []
        v = []
        kronecker = nil
        mfacState = nil
        shampooState = nil
    }

    /// Reseeds the generator of the Hutchinson probes.
    ///
    /// - Parameters:
    ///   - seed: The new seed.
    public func reseed(_ seed: UInt64) { rng = RandomGenerator(seed: seed) }

    /// One update of `parameters` in place.
    ///
    /// - Parameters:
    ///   - parameters: Updated in place.
    ///   - gradient: ∂L/∂p at `parameters`, same length.
    ///   - blocks: Row structure for adahessian's block averaging (each parameter tensor is
    ///     averaged within rows along its last axis: an mlp layer's weights within rows of
    ///     `inputs` values, its bias as one row); nil treats the vector as one row. mfac's
    ///     per-tensor windows and shampoo's matrices follow the same blocks.
    ///   - hvp: For adahessian: writes H·z into its second argument for the direction in its
    ///     first, at the same point as `gradient`.
    /// - Throws: `LearnError.shape` for mismatched lengths; `LearnError.invalidArgument` when
    ///   adahessian gets no `hvp`; whatever `hvp` throws.
    public func step(parameters: inout [Double], gradient: [Double], blocks: [ParameterBlock]? = nil,
                     hvp: ((_ z: [Double], _ out: inout [Double]) throws -> Void)? = nil) throws {
        let n = parameters.count
        guard gradient.count == n else {
            throw LearnError.shape("gradient has \(gradient.count) values for \(n) parameters")
        }
        if m.count != n { m = [Double](repeating: 0, count: n); v = [Double](repeating: 0, count: n); t = 0 }
        t += 1
        let eta = lr
        switch kind {
        case let .sgd(mu, nesterov, wd, dampening):
            parameters.withUnsafeMutableBufferPointer { p in
                gradient.withUnsafeBufferPointer { g in
                    m.withUnsafeMutableBufferPointer { b in
                        guard mu != 0 else {
                            // Plain gradient descent: one branch-free pass the compiler vectorises.
                            for i in 0..<n { p[i] -= eta * (g[i] + wd * p[i]) }
                            return
                        }
                        for i in 0..<n {
                            var d = g[i] + wd * p[i]
                            b[i] = t == 1 ? d : mu * b[i] + (1 - dampening) * d
                            d = nesterov ? d + mu * b[i] : b[i]
                            p[i] -= eta * d
                        }
                    }
                }
            }
        case let .adam(b1, b2, eps, wd), let .adamw(b1, b2, eps, wd):
            let decoupled: Bool
            if case .adamw = kind { decoupled = true } else { decoupled = false }
            let bc1 = 1 - pow(b1, Double(t)), bc2 = 1 - pow(b2, Double(t))
            let sbc2 = bc2.squareRoot()
            parameters.withUnsafeMutableBufferPointer { p in
                gradient.withUnsafeBufferPointer { g in
                    m.withUnsafeMutableBufferPointer { mm in
                        v.withUnsafeMutableBufferPointer { vv in
                            for i in 0..<n {
                                var d = g[i]
                                if decoupled { p[i] *= 1 - eta * wd } else { d += wd * p[i] }
                                mm[i] = b1 * mm[i] + (1 - b1) * d
                                vv[i] = b2 * vv[i] + (1 - b2) * d * d
                                p[i] -= eta * (mm[i] / bc1) / (vv[i].squareRoot() / sbc2 + eps)
                            }
                        }
                    }
                }
            }
        case let .adahessian(b1, b2, eps, wd, k, probes, block):
            guard let hvp else {
                throw LearnError.invalidArgument("adahessian needs Hessian-vector products of the loss")
            }
            try hutchinsonDiagonal(n: n, probes: probes, hvp: hvp)
            if block > 1 { averageBlocks(block: block, blocks: blocks, n: n) }
            let bc1 = 1 - pow(b1, Double(t)), bc2 = 1 - pow(b2, Double(t))
            let sbc2 = bc2.squareRoot()
            for i in 0..<n {
                m[i] = b1 * m[i] + (1 - b1) * gradient[i]
                v[i] = b2 * v[i] + (1 - b2) * diag[i] * diag[i]
                let root = v[i].squareRoot() / sbc2
                let denom = (k == 1 ? root : pow(root, k)) + eps
                parameters[i] -= eta * ((m[i] / bc1) / denom + wd * parameters[i])
            }
        case .kfac, .mkor:
            try kroneckerStep(parameters: &parameters, gradient: gradient)
        case let .mfac(settings):
            try mfacStep(settings, parameters: &parameters, gradient: gradient, blocks: blocks)
        case let .shampoo(settings):
            try shampooStep(settings, parameters: &parameters, gradient: gradient, blocks: blocks)
        }
    }

    /// diag ← mean over probes of z ⊙ Hz, z Rademacher.
    func hutchinsonDiagonal(n: Int, probes: Int, hvp: (_ z: [Double], _ out: inout [Double]) throws -> Void) throws {
        if probe.count != n {
            probe = [Double](repeating: 0, count: n)
            hz = probe
            diag = probe
        }
        for i in 0..<n { diag[i] = 0 }
        for _ in 0..<probes {
            for i in 0..<n { probe[i] = rng.rademacher() }
            try hvp(probe, &hz)
            guard hz.count == n else { throw LearnError.shape("Hessian-vector product returned \(hz.count) values for \(n) parameters") }
            for i in 0..<n { diag[i] += probe[i] * hz[i] }
            hessianProducts += 1
        }
        let s = 1 / Double(probes)
        for i in 0..<n { diag[i] *= s }
    }

    /// Replaces each run of `block` consecutive entries within a row (the last axis of each
    /// parameter tensor) by its mean.
    func averageBlocks(block: Int, blocks: [ParameterBlock]?, n: Int) {
        var rows: [(start: Int, length: Int)] = []
        if let blocks {
            for b in blocks {
                let length = max(b.shape.last ?? 1, 1)
                for r in 0..<(b.count / length) { rows.append((b.offset + r * length, length)) }
            }
        } else {
            rows = [(0, n)]
        }
        for (start, length) in rows {
            var j = 0
            while j < length {
                let end = min(length, j + block)
                var s = 0.0
                for i in j..<end { s += diag[start + i] }
                let mean = s / Double(end - j)
                for i in j..<end { diag[start + i] = mean }
                j = end
            }
        }
    }
}
