import Foundation
import RitzTensor

/// The dynamical systems `simulate` knows, with their parameters and defaults.
///
/// Continuous-time systems are integrated by the classical fourth-order Runge–Kutta method with a
/// fixed step `dt` (local error O(dt⁵), global O(dt⁴)); maps are iterated and ignore `dt`.
///
/// | system | state | equations | parameters (defaults) |
/// |---|---|---|---|
/// | `logistic` (map) | x | x ← r·x·(1 − x) | r = 3.7 |
/// | `henon` (map) | (x, y) | x ← 1 − a·x² + y, y ← b·x | a = 1.4, b = 0.3 |
/// | `duffing` | (x, v) | ẋ = v, v̇ = −δv − αx − βx³ + γ·cos(ωt) | delta = 0.5, alpha = −1, beta = 1, gamma = 0, omega = 1.2 |
/// | `vanderpol` | (x, y) | ẋ = y, ẏ = μ(1 − x²)y − x | mu = 1 |
/// | `pendulum` | (θ, ω) | θ̇ = ω, ω̇ = −ω₀²·sin θ − c·ω | omega0 = 1, damping = 0 |
/// | `lorenz` | (x, y, z) | ẋ = σ(y − x), ẏ = x(ρ − z) − y, ż = xy − βz | sigma = 10, rho = 28, beta = 8/3 |
public enum KoopmanSystem: String, CaseIterable, Sendable {
    case logistic, henon, duffing, vanderpol, pendulum, lorenz

    /// Dimension of the state.
    public var dimension: Int {
        switch self {
        case .logistic: return 1
        case .henon, .duffing, .vanderpol, .pendulum: return 2
        case .lorenz: return 3
        }
    }

    /// True for the discrete maps (`dt` is ignored and rates use dt = 1).
    public var isMap: Bool { self == .logistic || self == .henon }

    /// The parameter names and their default values.
    public var defaultParameters: [String: Double] {
        switch self {
        case .logistic: return ["r": 3.7]
        case .henon: return ["a": 1.4, "b": 0.3]
        case .duffing: return ["delta": 0.5, "alpha": -1, "beta": 1, "gamma": 0, "omega": 1.2]
        case .vanderpol: return ["mu": 1]
        case .pendulum: return ["omega0": 1, "damping": 0]
        case .lorenz: return ["sigma": 10, "rho": 28, "beta": 8.0 / 3.0]
        }
    }

    /// The default time step (1 for maps).
    public var defaultDt: Double { isMap ? 1 : 0.01 }

    /// Simulates the system from `x0` for `steps` steps.
    ///
    /// - Parameters:
    ///   - x0: Initial state, a 1-d tensor of length `dimension` (or a d×1 column).
    ///   - steps: Number of steps; the result has `steps + 1` columns.
    ///   - dt: Time step for continuous systems (default `defaultDt`); must be positive and finite.
    ///   - parameters: Overrides of `defaultParameters`; an unknown name is an error.
    /// - Returns: The d×(steps+1) snapshot matrix, column j the state at time j·dt (column 0 is x0).
    /// - Throws: `TensorError.invalidArgument` for a wrong state length, a negative step count,
    ///   an unknown parameter, a bad `dt`, or a trajectory that leaves the finite numbers.
    public func simulate(x0: Tensor, steps: Int, dt: Double? = nil,
                         parameters: [String: Double] = [:]) throws -> Tensor {
        let d = dimension
        guard !x0.isComplex, x0.count == d, x0.ndim <= 2 else {
            throw TensorError.invalidArgument("simulate(\"\(rawValue)\"): x0 must hold \(d) real number\(d == 1 ? "" : "s"), got shape \(formatShape(x0.shape))")
        }
        guard steps >= 0 else { throw TensorError.invalidArgument("simulate: steps must be ≥ 0, got \(steps)") }
        let h = dt ?? defaultDt
        guard h.isFinite, h > 0 else { throw TensorError.invalidArgument("simulate: dt must be positive and finite, got \(h)") }
        var p = defaultParameters
        for (name, value) in parameters {
            guard p[name] != nil else {
                let known = p.keys.sorted().joined(separator: ", ")
                throw TensorError.invalidArgument("simulate(\"\(rawValue)\"): unknown parameter `\(name)` (known: \(known))")
            }
            guard value.isFinite else { throw TensorError.invalidArgument("simulate: parameter `\(name)` must be finite") }
            p[name] = value
        }
        let (cols, overflow) = steps.addingReportingOverflow(1)
        guard !overflow else { throw TensorError.invalidArgument("simulate: too many steps") }
        let total = try Tensor.elementCount([d, cols])
        var out = [Double](repeating: 0, count: total)
        var x = try x0.asFloat().storage
        for i in 0..<d { out[i * cols] = x[i] }
        let field = vectorField(p)
        for j in 1..<Swift.max(cols, 1) {
            if j % 4096 == 0 { try Interruption.check() }
            if isMap {
                x = step(map: x, p)
            } else {
                // Classical RK4 (Runge 1895, Kutta 1901).
                let t = Double(j - 1) * h
                let k1 = field(t, x)
                let k2 = field(t + h / 2, zip(x, k1).map { $0 + h / 2 * $1 })
                let k3 = field(t + h / 2, zip(x, k2).map { $0 + h / 2 * $1 })
                let k4 = field(t + h, zip(x, k3).map { $0 + h * $1 })
                for i in 0..<d { x[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]) }
            }
            guard x.allSatisfy({ $0.isFinite }) else {
                throw TensorError.invalidArgument("simulate(\"\(rawValue)\"): the trajectory left the finite numbers at step \(j); reduce dt or change x0")
            }
            for i in 0..<d { out[i * cols + j] = x[i] }
        }
        return try Tensor(shape: [d, cols], storage: out)
    }

    private func step(map x: [Double], _ p: [String: Double]) -> [Double] {
        switch self {
        case .logistic:
            let r = p["r"] ?? 3.7
            return [r * x[0] * (1 - x[0])]
        default:
            let a = p["a"] ?? 1.4, b = p["b"] ?? 0.3
            return [1 - a * x[0] * x[0] + x[1], b * x[0]]
        }
    }

    private func vectorField(_ p: [String: Double]) -> (Double, [Double]) -> [Double] {
        func v(_ name: String) -> Double { p[name] ?? 0 }
        switch self {
        case .duffing:
            let delta = v("delta"), alpha = v("alpha"), beta = v("beta"), gamma = v("gamma"), omega = v("omega")
            return { t, x in [x[1], -delta * x[1] - alpha * x[0] - beta * x[0] * x[0] * x[0] + gamma * cos(omega * t)] }
        case .vanderpol:
            let mu = v("mu")
            return { _, x in [x[1], mu * (1 - x[0] * x[0]) * x[1] - x[0]] }
        case .pendulum:
            let w2 = v("omega0") * v("omega0"), c = v("damping")
            return { _, x in [x[1], -w2 * sin(x[0]) - c * x[1]] }
        case .lorenz:
            let s = v("sigma"), r = v("rho"), b = v("beta")
            return { _, x in [s * (x[1] - x[0]), x[0] * (r - x[2]) - x[1], x[0] * x[1] - b * x[2]] }
        case .logistic, .henon:
            return { _, x in x }
        }
    }
}
