import Foundation
import RitzTensor

/// The hyperparameters of Shampoo.
public struct ShampooSettings: Sendable, Equatable {
    /// ε: the statistics start at εI (and the diagonal rule's at ε).
    public var eps: Double
    /// The inverse roots are recomputed every this many steps (1: every step, as the paper).
    public var updateEvery: Int
    /// Heavy-ball momentum μ on the preconditioned gradient: b ← μb + P(g).
    public var momentum: Double

    /// Settings with the defaults of `shampoo(lr)`.
    ///
    /// - Parameters:
    ///   - eps: ε (1e-4).
    ///   - updateEvery: Steps between recomputations of the roots (1).
    ///   - momentum: μ (0).
    public init(eps: Double = 1e-4, updateEvery: Int = 1, momentum: Double = 0) {
        self.eps = eps
        self.updateEvery = updateEvery
        self.momentum = momentum
    }

    /// Checks the ranges.
    ///
    /// - Throws: `LearnError.invalidArgument` for ε not finite and > 0, `update_every` below 1 or
    ///   momentum outside [0, 1).
    func validate() throws {
        guard eps.isFinite, eps > 0 else { throw LearnError.invalidArgument("eps must be a finite number > 0, got \(eps)") }
        guard updateEvery >= 1 else { throw LearnError.invalidArgument("update_every must be at least 1, got \(updateEvery)") }
        guard momentum >= 0, momentum < 1 else { throw LearnError.invalidArgument("momentum must be in [0, 1), got \(momentum)") }
    }
}

/// Shampoo's statistics for one parameter tensor.
///
/// A tensor of two or more axes is read as the matrix [d₀, d₁·d₂·…] (a convolution kernel
/// [out, in, k, k] as [out, in·k·k]) and preconditioned on both sides (Gupta, Koren & Singer
/// 2018, Algorithm 1): L ← L + GGᵀ, R ← R + GᵀG from L₀ = εI, R₀ = εI, and the update is
/// L^{-1/4} G R^{-1/4}. The inverse fourth roots come from the symmetric eigendecomposition
/// V diag(μᵢ) Vᵀ as V diag(max(μᵢ, ε)^{-1/4}) Vᵀ (the floor only absorbs rounding: in exact
/// arithmetic every μᵢ ≥ ε). A vector, or a matrix with a side longer than
/// ``ShampooBlock/maxSide`` (whose eigendecomposition would dominate the step), takes the diagonal
/// rule instead: h ← h + g² from h₀ = ε, update g/√h (AdaGrad, Duchi et al. 2011: the order-1
/// case of Shampoo's exponent −1/(2k) with a diagonal statistic). No grafting: the step is the
/// paper's, its scale set by the learning rate alone.
final class ShampooBlock {
    /// The longest side preconditioned by a full matrix.
    static let maxSide = 1024

    /// Positions in the flat vector.
    let range: Range<Int>
    /// Rows and columns of the matrix view (0 rows: the diagonal rule).
    let rows: Int, columns: Int
    /// L (rows²) and R (columns²), row-major; for the diagonal rule `left` holds h.
    private(set) var left: [Double], right: [Double]
    /// L^{-1/4} and R^{-1/4} as last recomputed.
    private(set) var leftRoot: [Double], rightRoot: [Double]

    /// Statistics at εI for the tensor at `range` with `shape`.
    ///
    /// - Throws: `TensorError` when the statistics do not fit the memory limit.
    init(range: Range<Int>, shape: [Int], eps: Double) throws {
        self.range = range
        let first = shape.first ?? 0
        let rest = first > 0 ? range.count / first : 0
        if shape.count >= 2, first >= 1, rest >= 1, first <= Self.maxSide, rest <= Self.maxSide {
            rows = first
            columns = rest
            try AllocationLimit.checkUntracked(bytes: 16 * (rows * rows + columns * columns))
            left = Self.scaledIdentity(rows, eps)
            right = Self.scaledIdentity(columns, eps)
        } else {
            rows = 0
            columns = 0
            left = [Double](repeating: eps, count: range.count)
            right = []
        }
        leftRoot = []
        rightRoot = []
    }

    static func scaledIdentity(_ n: Int, _ s: Double) -> [Double] {
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { a[i * n + i] = s }
        return a
    }

    /// A⁻¹ᐟ⁴ of a symmetric positive definite matrix by its eigendecomposition, eigenvalues
    /// floored at `floor`.
    ///
    /// - Throws: `LinalgError` for non-finite entries.
    static func inverseFourthRoot(_ a: [Double], n: Int, floor: Double) throws -> [Double] {
        let (values, vectors) = try Tensor(shape: [n, n], storage: a).eigh()
        let v = vectors.storage
        var scaled = v
        for j in 0..<n {
            let s = 1 / max(values.storage[j], floor).squareRoot().squareRoot()
            for i in 0..<n { scaled[i * n + j] *= s }
        }
        return try Tensor.gemm(Tensor(shape: [n, n], storage: scaled), transA: false,
                               Tensor(shape: [n, n], storage: v), transB: true).storage
    }

    /// Adds the gradient to the statistics, recomputes the roots when asked, and writes the
    /// preconditioned gradient.
    ///
    /// - Parameters:
    ///   - g: The block's gradient.
    ///   - recompute: Recompute the inverse roots from the updated statistics.
    ///   - eps: ε, the floor of the eigenvalues.
    ///   - out: The block's update direction, overwritten.
    /// - Throws: `LinalgError` for non-finite gradients.
    func precondition(_ g: ArraySlice<Double>, recompute: Bool, eps: Double, into out: inout ArraySlice<Double>) throws {
        guard rows > 0 else {
            for (k, i) in g.indices.enumerated() {
                left[k] += g[i] * g[i]
                out[out.startIndex + k] = g[i] / left[k].squareRoot()
            }
            return
        }
        let gm = try Tensor(shape: [rows, columns], storage: Array(g))
        left = try Tensor.gemm(gm, transA: false, gm, transB: true, adding: Tensor(shape: [rows, rows], storage: left)).storage
        right = try Tensor.gemm(gm, transA: true, gm, transB: false, adding: Tensor(shape: [columns, columns], storage: right)).storage
        if recompute || leftRoot.isEmpty {
            leftRoot = try Self.inverseFourthRoot(left, n: rows, floor: eps)
            rightRoot = try Self.inverseFourthRoot(right, n: columns, floor: eps)
        }
        let lg = try Tensor.gemm(Tensor(shape: [rows, rows], storage: leftRoot), transA: false, gm, transB: false)
        let update = try Tensor.gemm(lg, transA: false, Tensor(shape: [columns, columns], storage: rightRoot), transB: false)
        out.replaceSubrange(out.startIndex..<out.endIndex, with: update.storage)
    }
}

/// Shampoo's state: one ``ShampooBlock`` per parameter tensor.
final class ShampooState {
    let blocks: [ShampooBlock]
    /// Parameters covered.
    let count: Int

    /// Statistics for `count` parameters laid out as `blocks` (nil, or blocks that do not cover
    /// the vector: one vector under the diagonal rule).
    ///
    /// - Throws: `TensorError` when the statistics do not fit the memory limit.
    init(count: Int, blocks: [ParameterBlock]?, eps: Double) throws {
        if let blocks, blocks.reduce(0, { $0 + $1.count }) == count {
            self.blocks = try blocks.filter { $0.count > 0 }.map { try ShampooBlock(range: $0.range, shape: $0.shape, eps: eps) }
        } else {
            self.blocks = [try ShampooBlock(range: 0..<count, shape: [count], eps: eps)]
        }
        self.count = count
    }
}

extension Optimizer {
    /// Shampoo (Gupta, Koren & Singer 2018) per parameter tensor, see ``ShampooBlock``: the
    /// direction d = L^{-1/4} G R^{-1/4} (or g/√h), b ← μb + d (d when μ = 0), p ← p − ηb; the
    /// roots are recomputed at steps 1, 1 + k, 1 + 2k, … for k = `updateEvery`, the statistics
    /// updated every step.
    ///
    /// - Parameters:
    ///   - settings: The hyperparameters.
    ///   - parameters: Updated in place.
    ///   - gradient: The gradient, same length.
    ///   - blocks: The model's parameter tensors.
    /// - Throws: `TensorError` when the statistics do not fit the memory limit; `LinalgError` for
    ///   non-finite gradients.
    func shampooStep(_ settings: ShampooSettings, parameters: inout [Double], gradient: [Double],
                     blocks: [ParameterBlock]?) throws {
        let n = parameters.count
        if shampooState?.count != n { shampooState = try ShampooState(count: n, blocks: blocks, eps: settings.eps) }
        guard let state = shampooState else { return }
        let recompute = (t - 1) % settings.updateEvery == 0
        var direction = [Double](repeating: 0, count: n)
        for block in state.blocks {
            try block.precondition(gradient[block.range], recompute: recompute, eps: settings.eps,
                                   into: &direction[block.range])
        }
        let mu = settings.momentum, eta = lr
        for i in 0..<n {
            if mu != 0 {
                m[i] = mu * m[i] + direction[i]
                parameters[i] -= eta * m[i]
            } else {
                parameters[i] -= eta * direction[i]
            }
        }
    }
}

extension Optimizer {
    /// Shampoo with the defaults of `shampoo(lr)`.
    ///
    /// - Parameters:
    ///   - lr: Learning rate η.
    ///   - eps: ε (1e-4).
    ///   - updateEvery: Steps between recomputations of the inverse roots (1).
    ///   - momentum: μ (0).
    /// - Returns: The optimizer.
    /// - Throws: `LearnError.invalidArgument` for bad hyperparameters.
    public static func shampoo(lr: Double, eps: Double = 1e-4, updateEvery: Int = 1, momentum: Double = 0) throws -> Optimizer {
        try Optimizer(.shampoo(ShampooSettings(eps: eps, updateEvery: updateEvery, momentum: momentum)), lr: lr)
    }
}
