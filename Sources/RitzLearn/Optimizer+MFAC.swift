import Foundation
import RitzTensor

/// How M-FAC cuts the parameter vector into independently preconditioned blocks.
public enum MFACBlocking: Sendable, Equatable {
    /// One window over the whole vector (the paper's dense M-FAC).
    case dense
    /// Consecutive chunks of this many parameters (the last one may be shorter).
    case size(Int)
    /// One window per parameter tensor of the model (`m.blocks`).
    case parameters
}

/// The hyperparameters of M-FAC.
public struct MFACSettings: Sendable, Equatable {
    /// Gradients in the sliding window, m.
    public var window: Int
    /// Damping λ of F = λI + (1/m) Σ gᵢgᵢᵀ.
    public var damping: Double
    /// Momentum μ of the reference implementation: v ← μv + (1 − μ)F⁻¹g.
    public var momentum: Double
    /// L2 coefficient added to the gradient before it enters the window.
    public var weightDecay: Double
    /// Dense or block-wise.
    public var blocking: MFACBlocking

    /// Settings with the defaults of `mfac(lr)`.
    ///
    /// - Parameters:
    ///   - window: m (32).
    ///   - damping: λ (1e-4).
    ///   - momentum: μ (0).
    ///   - weightDecay: L2 coefficient (0).
    ///   - blocking: Dense or block-wise (dense).
    public init(window: Int = 32, damping: Double = 1e-4, momentum: Double = 0, weightDecay: Double = 0,
                blocking: MFACBlocking = .dense) {
        self.window = window
        self.damping = damping
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.blocking = blocking
    }

    /// Checks the ranges.
    ///
    /// - Throws: `LearnError.invalidArgument` for a window below 1 or above 1024, a damping that is
    ///   not finite and > 0, a momentum outside [0, 1), a negative weight decay or block size.
    func validate() throws {
        guard window >= 1, window <= 1024 else {
            throw LearnError.invalidArgument("m (the gradient window) must be between 1 and 1024, got \(window)")
        }
        guard damping.isFinite, damping > 0 else {
            throw LearnError.invalidArgument("damping must be a finite number > 0, got \(damping)")
        }
        guard momentum >= 0, momentum < 1 else { throw LearnError.invalidArgument("momentum must be in [0, 1), got \(momentum)") }
        guard weightDecay.isFinite, weightDecay >= 0 else {
            throw LearnError.invalidArgument("weight_decay must be a finite number ≥ 0, got \(weightDecay)")
        }
        if case let .size(b) = blocking, b < 1 { throw LearnError.invalidArgument("block must be at least 1, got \(b)") }
    }
}

/// The last m gradients of one block of parameters and the products with the inverse of their
/// damped empirical Fisher matrix.
///
/// F = λI + (1/m) GᵀG, where the rows of G (m × P) are the window's gradients (rows not yet
/// filled are zero, as in the reference implementation, which starts from a zero window). By
/// the Woodbury identity
///
///     F⁻¹x = (1/λ)·(x − Gᵀ(mλI + GGᵀ)⁻¹Gx),
///
/// the m×m formulation of the paper's dynamic algorithm (Frantar, Kurtic & Alistarh 2021,
/// "M-FAC", §3: the same inverse, there unrolled as m rank-1 Woodbury updates). The Gram matrix
/// GGᵀ is kept up to date one row and column per new gradient (m dot products, O(mP)); a
/// product costs Gx (O(mP), and free for the gradient just pushed: it is that new Gram row), a
/// solve with the k×k matrix of the k filled rows (O(k³), at most 32³ ≈ 3·10⁴ operations for
/// the default m, negligible beside mP), and Gᵀc (O(mP)): about 4mP flops a step and mP numbers
/// of memory.
final class MFACWindow {
    /// m.
    let size: Int
    /// P, the parameters of the block.
    let dimension: Int
    /// λ.
    let damping: Double
    /// The gradients, row-major m × P (a ring buffer).
    private(set) var gradients: [Double]
    /// GGᵀ, m × m row-major.
    private(set) var gram: [Double]
    /// The row the next gradient replaces.
    private(set) var next = 0
    /// Rows filled so far (≤ m); the filled rows are 0..<filled.
    private(set) var filled = 0
    /// Gx of the last push (the new row of the Gram matrix), reused by the product with that gradient.
    private var lastDots: [Double]

    /// An empty window.
    ///
    /// - Parameters:
    ///   - size: m.
    ///   - dimension: P.
    ///   - damping: λ > 0.
    /// - Throws: `TensorError` when m·P numbers do not fit the session's memory limit.
    init(size: Int, dimension: Int, damping: Double) throws {
        let (count, overflow) = size.multipliedReportingOverflow(by: dimension)
        try AllocationLimit.checkUntracked(bytes: overflow ? Int.max : count.multipliedReportingOverflow(by: 8).partialValue)
        self.size = size
        self.dimension = dimension
        self.damping = damping
        gradients = [Double](repeating: 0, count: count)
        gram = [Double](repeating: 0, count: size * size)
        lastDots = [Double](repeating: 0, count: size)
    }

    /// Replaces the oldest gradient with `g` and updates row and column of GGᵀ.
    ///
    /// - Parameters:
    ///   - g: P numbers.
    func push(_ g: UnsafeBufferPointer<Double>) {
        let row = next, p = dimension
        gradients.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress, let src = g.baseAddress else { return }
            (base + row * p).update(from: src, count: p)
        }
        filled = min(size, filled + 1)
        lastDots = dots(g)
        for j in 0..<filled {
            gram[row * size + j] = lastDots[j]
            gram[j * size + row] = lastDots[j]
        }
        next = (row + 1) % size
    }

    /// Gx over the filled rows (zeros beyond them).
    private func dots(_ x: UnsafeBufferPointer<Double>) -> [Double] {
        var out = [Double](repeating: 0, count: size)
        let k = filled, p = dimension
        guard k > 0, p > 0 else { return out }
        gradients.withUnsafeBufferPointer { gb in
            out.withUnsafeMutableBufferPointer { ob in
                guard let a = gb.baseAddress, let b = x.baseAddress, let c = ob.baseAddress else { return }
                matrixVector(transposed: false, rows: k, cols: p, a, b, c)
            }
        }
        return out
    }

    /// out ← F⁻¹x = (x − Gᵀ(mλI + GGᵀ)⁻¹Gx)/λ.
    ///
    /// - Parameters:
    ///   - x: P numbers.
    ///   - out: P numbers, overwritten.
    ///   - isLastPushed: x is the gradient of the last ``push(_:)``, whose Gx is already known.
    /// - Throws: `LinalgError` when the k×k system cannot be solved (non-finite gradients).
    func inverseProduct(_ x: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>,
                        isLastPushed: Bool = false) throws {
        let k = filled, p = dimension
        let invLambda = 1 / damping
        guard k > 0 else {
            for i in 0..<p { out[i] = x[i] * invLambda }
            return
        }
        let gx = isLastPushed ? lastDots : dots(x)
        var system = [Double](repeating: 0, count: k * k)
        let shift = Double(size) * damping
        for i in 0..<k {
            for j in 0..<k { system[i * k + j] = gram[i * size + j] }
            system[i * k + i] += shift
        }
        let c = try Tensor.solve(try Tensor(shape: [k, k], storage: system), Tensor(Array(gx.prefix(k)))).storage
        for i in 0..<p { out[i] = x[i] }
        // out ← x − Gᵀc: one product with the k filled rows, then the scale 1/λ.
        gradients.withUnsafeBufferPointer { gb in
            c.withUnsafeBufferPointer { cb in
                guard let a = gb.baseAddress, let b = cb.baseAddress, let o = out.baseAddress else { return }
                matrixVector(transposed: true, rows: k, cols: p, alpha: -1, a, b, beta: 1, o)
            }
        }
        for i in 0..<p { out[i] *= invLambda }
    }
}

/// M-FAC's state: one window per block of the parameter vector.
final class MFACState {
    /// The blocks' positions in the flat vector, with their windows.
    let windows: [(range: Range<Int>, window: MFACWindow)]
    /// Parameters covered.
    let count: Int

    /// Windows for `count` parameters cut as `settings.blocking` says.
    ///
    /// - Throws: `TensorError` when the windows do not fit the memory limit.
    init(settings: MFACSettings, count: Int, blocks: [ParameterBlock]?) throws {
        var ranges: [Range<Int>] = []
        switch settings.blocking {
        case .dense:
            ranges = [0..<count]
        case let .size(b):
            var start = 0
            while start < count { ranges.append(start..<min(count, start + b)); start += b }
        case .parameters:
            if let blocks, blocks.reduce(0, { $0 + $1.count }) == count {
                ranges = blocks.map(\.range).filter { !$0.isEmpty }
            } else {
                ranges = [0..<count]
            }
        }
        windows = try ranges.map { ($0, try MFACWindow(size: settings.window, dimension: $0.count, damping: settings.damping)) }
        self.count = count
    }
}

extension Optimizer {
    /// M-FAC (Frantar, Kurtic & Alistarh 2021) as its reference implementation steps: the
    /// gradient g (+ λ_wd·p) replaces the oldest of the window, d = F⁻¹g with F the damped
    /// empirical Fisher of the window (per block), v ← μv + (1 − μ)d (d when μ = 0), p ← p − ηv.
    ///
    /// - Parameters:
    ///   - settings: The hyperparameters.
    ///   - parameters: Updated in place.
    ///   - gradient: The gradient, same length.
    ///   - blocks: The model's parameter tensors (for `.parameters` blocking).
    /// - Throws: `TensorError` when the window does not fit the memory limit; `LinalgError` for
    ///   non-finite gradients.
    func mfacStep(_ settings: MFACSettings, parameters: inout [Double], gradient: [Double],
                  blocks: [ParameterBlock]?) throws {
        let n = parameters.count
        if mfacState?.count != n { mfacState = try MFACState(settings: settings, count: n, blocks: blocks) }
        guard let state = mfacState else { return }
        var g = gradient
        if settings.weightDecay != 0 { for i in 0..<n { g[i] += settings.weightDecay * parameters[i] } }
        var direction = [Double](repeating: 0, count: n)
        try g.withUnsafeBufferPointer { gb in
            try direction.withUnsafeMutableBufferPointer { db in
                for (range, window) in state.windows {
                    let slice = UnsafeBufferPointer(rebasing: gb[range])
                    window.push(slice)
                    try window.inverseProduct(slice, into: UnsafeMutableBufferPointer(rebasing: db[range]), isLastPushed: true)
                }
            }
        }
        let mu = settings.momentum, eta = lr
        for i in 0..<n {
            if mu != 0 {
                m[i] = mu * m[i] + (1 - mu) * direction[i]
                parameters[i] -= eta * m[i]
            } else {
                parameters[i] -= eta * direction[i]
            }
        }
    }
}

extension Optimizer {
    /// M-FAC with the defaults of `mfac(lr)`.
    ///
    /// - Parameters:
    ///   - lr: Learning rate η.
    ///   - window: Gradients in the window, m (32).
    ///   - damping: λ (1e-4).
    ///   - momentum: μ (0).
    ///   - weightDecay: L2 coefficient added to the gradient (0).
    ///   - blocking: Dense (default), chunks of a size, or per parameter tensor.
    /// - Returns: The optimizer.
    /// - Throws: `LearnError.invalidArgument` for bad hyperparameters.
    public static func mfac(lr: Double, window: Int = 32, damping: Double = 1e-4, momentum: Double = 0,
                            weightDecay: Double = 0, blocking: MFACBlocking = .dense) throws -> Optimizer {
        try Optimizer(.mfac(MFACSettings(window: window, damping: damping, momentum: momentum, weightDecay: weightDecay,
                                         blocking: blocking)), lr: lr)
    }
}
