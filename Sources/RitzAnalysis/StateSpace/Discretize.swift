import Foundation
import RitzTensor

/// How a continuous-time SSM x′ = A x + B u becomes x_{k+1} = Ā x_k + B̄ u_k with step dt.
public enum Discretization: String, CaseIterable, Sendable {
    /// Zero-order hold: Ā = e^{dtA}, B̄ = ∫₀^dt e^{sA} ds B.
    case zoh
    /// Bilinear (Tustin, generalized bilinear with α = ½).
    case bilinear
}

/// A continuous-time state matrix with its input matrix: dense n×n, or diagonal given by its n
/// entries (as `s4d_init` returns them).
struct StateSystem {
    enum Matrix {
        case dense(ComplexLinear.Parts)
        case diagonal([Complex])
    }
    var a: Matrix
    /// B as n×m (a 1-d B is one column).
    var b: ComplexLinear.Parts
    /// True when B was given 1-d (the result keeps that shape).
    var vectorB: Bool
    var n: Int { b.rows }

    /// Checks and reads A (1-d diagonal or 2-d square, real or complex) and B (n or n×m).
    ///
    /// - Throws: `ShapeError`, `LinalgError.notSquare`, `LinalgError.nonFinite`.
    init(a t: Tensor, b bt: Tensor, op: String) throws {
        guard t.ndim == 1 || t.ndim == 2 else {
            throw ShapeError.wrongRank(op: op, expected: "a square matrix A or the 1-d diagonal of one", got: t.shape)
        }
        if t.ndim == 2 { guard t.shape[0] == t.shape[1] else { throw LinalgError.notSquare(op: op, shape: t.shape) } }
        let n = t.shape[0]
        guard n >= 1 else { throw ShapeError.invalid("\(op): the state matrix is empty") }
        guard (bt.ndim == 1 && bt.count == n) || (bt.ndim == 2 && bt.shape[0] == n) else {
            throw ShapeError.invalid("\(op): B must have n = \(n) rows (A is \(formatShape(t.shape))), got shape \(formatShape(bt.shape))")
        }
        guard t.storage.allSatisfy(\.isFinite), bt.storage.allSatisfy(\.isFinite) else { throw LinalgError.nonFinite(op: op) }
        if t.ndim == 1 {
            a = .diagonal((0..<n).map { let z = t.complexElement($0); return Complex(z.re, z.im) })
        } else {
            a = .dense(ComplexLinear.Parts(t))
        }
        vectorB = bt.ndim == 1
        b = ComplexLinear.Parts(bt)
    }

    /// A as a tensor of the shape it was given (float64 when real).
    func matrixTensor(_ m: Matrix) throws -> Tensor {
        switch m {
        case .dense(let p): return try p.tensorKeepingReal()
        case .diagonal(let d):
            var p = ComplexLinear.Parts(rows: 1, cols: d.count)
            for (i, z) in d.enumerated() { p[0, i] = z }
            return try p.tensorKeepingReal().reshaped([d.count])
        }
    }

    /// B in the shape it was given.
    func inputTensor(_ p: ComplexLinear.Parts) throws -> Tensor {
        let t = try p.tensorKeepingReal()
        return vectorB ? try t.reshaped([p.rows]) : t
    }

    /// (Ā, B̄) for step dt, as `StateSpace.discretize` documents.
    ///
    /// - Throws: `TensorError.tooLarge` when zoh's block matrix passes the allocation limit,
    ///   `LinalgError.singular` when I − dt/2·A is singular (bilinear).
    func discretized(dt: Double, method: Discretization) throws -> (a: Matrix, b: ComplexLinear.Parts) {
        let m = b.cols
        switch (a, method) {
        case (.diagonal(let d), _):
            var bBar = b
            let aBar = d.enumerated().map { i, lambda -> Complex in
                let (z, gain) = Self.diagonalStep(lambda, dt: dt, method: method)
                for j in 0..<m { bBar[i, j] = gain * b[i, j] }
                return z
            }
            return (.diagonal(aBar), bBar)
        case (.dense(let dense), .zoh):
            // e^{dt·[[A, B], [0, 0]]} = [[Ā, B̄], [0, I]] (Van Loan 1978; as SciPy's cont2discrete).
            let real = dense.isReal && b.isReal
            _ = try Tensor.elementCount(real ? [n + m, n + m] : [2 * (n + m), 2 * (n + m)])
            var big = ComplexLinear.Parts(rows: n + m, cols: n + m)
            for i in 0..<n {
                for k in 0..<n { big[i, k] = dt * dense[i, k] }
                for j in 0..<m { big[i, n + j] = dt * b[i, j] }
            }
            let e = try ComplexLinear.expm(big)
            return (.dense(e.block(rows: 0..<n, cols: 0..<n)), e.block(rows: 0..<n, cols: n..<(n + m)))
        case (.dense(let dense), .bilinear):
            // Ā = (I − dt/2·A)⁻¹(I + dt/2·A), B̄ = (I − dt/2·A)⁻¹·dt·B (SciPy's gbt with α = ½).
            var lhs = ComplexLinear.Parts.identity(n), rhs = lhs
            for i in 0..<n { for k in 0..<n {
                lhs[i, k] = lhs[i, k] - (dt / 2) * dense[i, k]
                rhs[i, k] = rhs[i, k] + (dt / 2) * dense[i, k]
            } }
            var scaledB = b
            for i in 0..<n { for j in 0..<m { scaledB[i, j] = dt * b[i, j] } }
            return (.dense(try ComplexLinear.solveKeepingReal(lhs, rhs)), try ComplexLinear.solveKeepingReal(lhs, scaledB))
        }
    }

    /// Ā and the factor g with B̄ = g·B for one diagonal entry λ: zoh Ā = e^{λdt},
    /// g = (e^{λdt} − 1)/λ (dt when λ = 0), with e^{λdt} − 1 = expm1(x)cos y − 2sin²(y/2) + i·e^x sin y
    /// (x + iy = λdt) so that small λdt loses no digits; bilinear Ā = (1 + λdt/2)/(1 − λdt/2),
    /// g = dt/(1 − λdt/2).
    static func diagonalStep(_ lambda: Complex, dt: Double, method: Discretization) -> (Complex, Complex) {
        let h = dt * lambda
        switch method {
        case .zoh:
            let em1 = Complex(expm1(h.re) * cos(h.im) - 2 * pow(sin(h.im / 2), 2), exp(h.re) * sin(h.im))
            let gain = h.re == 0 && h.im == 0 ? Complex(dt) : dt * (em1 / h)
            return (Complex.exp(h), gain)
        case .bilinear:
            let denominator = Complex(1) - 0.5 * h
            return ((Complex(1) + 0.5 * h) / denominator, Complex(dt) / denominator)
        }
    }
}

extension StateSpace {
    /// The discrete-time (Ā, B̄) of x′ = A x + B u with step dt, matching SciPy's
    /// `scipy.signal.cont2discrete` (`"zoh"`, and `"bilinear"`, its generalized bilinear
    /// transform with α = ½).
    ///
    /// Dense A: zoh takes Ā and B̄ from e^{dt·[[A, B], [0, 0]]} (`Tensor.expm`, Al-Mohy & Higham
    /// 2009; complex A through the real embedding); bilinear solves (I − dt/2·A)Ā = I + dt/2·A and
    /// (I − dt/2·A)B̄ = dt·B by LU. Diagonal A (a 1-d tensor of its entries, real or complex, as
    /// `s4dInit` returns): the same formulas entrywise, Ā_i = e^{λ_i dt}, B̄_i = (e^{λ_i dt} − 1)/λ_i·B_i
    /// (zoh) or Ā_i = (1 + λ_i dt/2)/(1 − λ_i dt/2), B̄_i = dt/(1 − λ_i dt/2)·B_i (bilinear).
    /// - Parameters:
    ///   - a: A, n×n or its n diagonal entries.
    ///   - b: B, n or n×m.
    ///   - dt: The step, finite and > 0.
    ///   - method: zoh or bilinear.
    /// - Returns: Ā and B̄ in the shapes of A and B; float64 when A and B are real.
    /// - Throws: `TensorError.invalidArgument` for a bad dt, shape errors for mismatched A and B,
    ///   `LinalgError.singular` when I − dt/2·A is singular (bilinear).
    public static func discretize(a: Tensor, b: Tensor, dt: Double, method: Discretization) throws -> (a: Tensor, b: Tensor) {
        try checkStep(dt, op: "discretize")
        let system = try StateSystem(a: a, b: b, op: "discretize")
        let (aBar, bBar) = try system.discretized(dt: dt, method: method)
        return (try system.matrixTensor(aBar), try system.inputTensor(bBar))
    }

    /// The length-L convolution kernel of a single-input single-output SSM under the bilinear
    /// discretisation with step dt: K[l] = C Āˡ B̄, l = 0 … L − 1, so that y = K ∗ u.
    ///
    /// A diagonal A (1-d) gives a Vandermonde product, K[l] = Σ_i C_i B̄_i Ā_iˡ (n·L operations);
    /// a dense A repeated matrix-vector products v ← Ā v from v = B̄ (n²·L). With
    /// `conjugatePairs` the entries of A, B and C stand for themselves and their conjugates (the
    /// S4D convention, "On the Parameterization and Initialization of Diagonal State Space
    /// Models", §3: a real SSM of state size 2n), and the kernel is that real SSM's,
    /// K[l] = 2·Re(C Āˡ B̄).
    /// - Parameters:
    ///   - a: A, n×n or its n diagonal entries, real or complex.
    ///   - b: B, n (or n×1).
    ///   - c: C, n (or 1×n).
    ///   - dt: The step, finite and > 0.
    ///   - length: L ≥ 0.
    ///   - conjugatePairs: Take 2·Re of the kernel.
    /// - Returns: K (L), float64 when `conjugatePairs` or when A, B and C are real, else complex128.
    /// - Throws: shape errors, `TensorError.invalidArgument` for a bad dt or L,
    ///   `TensorError.tooLarge` past the allocation limit, `CurvatureError.interrupted`.
    public static func ssmKernel(a: Tensor, b: Tensor, c: Tensor, dt: Double, length: Int, conjugatePairs: Bool) throws -> Tensor {
        try checkStep(dt, op: "ssm_kernel")
        guard length >= 0 else { throw TensorError.invalidArgument("ssm_kernel: the length L must be ≥ 0, got \(length)") }
        let n = a.shape.first ?? 0
        let column = b.count == n && (b.ndim == 1 || (b.ndim == 2 && b.shape[1] == 1)) ? try b.reshaped([n]) : b
        guard column.ndim == 1 else {
            throw ShapeError.invalid("ssm_kernel: B must be a vector of n = \(n) entries (one input), got shape \(formatShape(b.shape))")
        }
        guard c.count == n, c.ndim == 1 || (c.ndim == 2 && c.shape[0] == 1) else {
            throw ShapeError.invalid("ssm_kernel: C must be a vector of n = \(n) entries (one output), got shape \(formatShape(c.shape))")
        }
        guard c.storage.allSatisfy(\.isFinite) else { throw LinalgError.nonFinite(op: "ssm_kernel") }
        let system = try StateSystem(a: a, b: column, op: "ssm_kernel")
        let cs = (0..<n).map { let z = c.complexElement($0); return Complex(z.re, z.im) }
        _ = try Tensor.elementCount([length], complex: true)
        var kernel = [Complex](repeating: Complex(0), count: length)
        let (aBar, bBar) = try system.discretized(dt: dt, method: .bilinear)
        var v = bBar.column(0)
        switch aBar {
        case .diagonal(let z):
            // K[l] = Σ_i w_i z_iˡ with w_i = C_i B̄_i: v holds w_i z_iˡ.
            for i in 0..<n { v[i] = cs[i] * v[i] }
            for l in 0..<length {
                if l % 256 == 0 { try Interruption.check() }
                var sum = Complex(0)
                for i in 0..<n { sum = sum + v[i]; v[i] = v[i] * z[i] }
                kernel[l] = sum
            }
        case .dense(let m):
            for l in 0..<length {
                try Interruption.check()
                var sum = Complex(0)
                for i in 0..<n { sum = sum + cs[i] * v[i] }
                kernel[l] = sum
                var next = [Complex](repeating: Complex(0), count: n)
                for i in 0..<n { for k in 0..<n { next[i] = next[i] + m[i, k] * v[k] } }
                v = next
            }
        }
        if conjugatePairs { return try Tensor(shape: [length], storage: kernel.map { 2 * $0.re }) }
        if !a.isComplex && !b.isComplex && !c.isComplex {
            return try Tensor(shape: [length], storage: kernel.map(\.re))
        }
        return try Tensor(shape: [length], storage: kernel.flatMap { [$0.re, $0.im] }, dtype: .complex128)
    }

    /// Refuses a step that is not finite and positive.
    static func checkStep(_ dt: Double, op: String) throws {
        guard dt.isFinite, dt > 0 else { throw TensorError.invalidArgument("\(op): the step dt must be finite and > 0, got \(dt)") }
    }
}
