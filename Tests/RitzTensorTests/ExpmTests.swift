import Foundation
import Testing
@testable import RitzTensor

/// `expm` on matrices where the 2005 scaling and squaring overscales or loses digits, against
/// closed forms. Each case's tolerance is entrywise relative: c·u with u = 2⁻⁵³ and c covering
/// the rounding of the closed form itself and of e^A's O(n) products (a few u), with margin —
/// these matrices are well conditioned for the exponential once balanced (κ_exp small), so the
/// forward error is that of rounding, as SciPy attains.
@Suite struct ExpmTests {
    static let u = Double.ulpOfOne / 2

    /// A closed-form case: the matrix, e^A, and the entrywise tolerance in units of u.
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let a: [[Double]]
        let exact: [[Double]]
        let units: Double
        var testDescription: String { name }
    }

    /// e^A for upper triangular [a, b; 0, c]: the (0,1) entry is b·(e^a − e^c)/(a − c), written
    /// as b·e^c·expm1(a − c)/(a − c) so the reference does not cancel.
    static func triangular(_ a: Double, _ b: Double, _ c: Double) -> Case {
        Case(name: "[\(a), \(b); 0, \(c)]", a: [[a, b], [0, c]],
             exact: [[exp(a), b * exp(c) * expm1(a - c) / (a - c)], [0, exp(c)]], units: 16)
    }

    /// S_ij = 10^{3(i−j)} has rank one and S² = 3S, so e^S = I + (e³ − 1)/3·S.
    static let graded: Case = {
        let s = (0..<3).map { i in (0..<3).map { j in pow(10, 3 * Double(i - j)) } }
        let c = (exp(3.0) - 1) / 3
        let e = (0..<3).map { i in (0..<3).map { j in (i == j ? 1 : 0) + c * s[i][j] } }
        return Case(name: "graded rank one 10^{3(i−j)}", a: s, exact: e, units: 32)
    }()

    /// D·M·D⁻¹ with D = diag(10⁻⁴, 10⁻¹, 10², 10⁵) and M two rotation-scaling blocks
    /// [α, β; −β, α], whose exponential is e^α[cos β, sin β; −sin β, cos β]; e^{DMD⁻¹} = D e^M D⁻¹.
    static let diagonallyScaled: Case = {
        let d = [1e-4, 1e-1, 1e2, 1e5]
        let blocks = [(0.3, 1.7), (-0.8, 0.6)]
        var m = [[Double]](repeating: [Double](repeating: 0, count: 4), count: 4)
        var e = m
        for (k, (alpha, beta)) in blocks.enumerated() {
            let i = 2 * k
            m[i][i] = alpha; m[i][i + 1] = beta; m[i + 1][i] = -beta; m[i + 1][i + 1] = alpha
            let g = exp(alpha)
            e[i][i] = g * cos(beta); e[i][i + 1] = g * sin(beta); e[i + 1][i] = -g * sin(beta); e[i + 1][i + 1] = g * cos(beta)
        }
        // Couple the blocks through one entry above them, keeping the closed form: with N = E₀₂·γ,
        // MN = NM is false in general, so couple only the diagonal scaling instead.
        let a = (0..<4).map { i in (0..<4).map { j in d[i] * m[i][j] / d[j] } }
        let x = (0..<4).map { i in (0..<4).map { j in d[i] * e[i][j] / d[j] } }
        return Case(name: "D·M·D⁻¹ graded by 10⁹", a: a, exact: x, units: 32)
    }()

    /// t·N for the 6×6 nilpotent Jordan block: e^{tN} has t^k/k! on the k-th superdiagonal.
    static func jordan(_ t: Double) -> Case {
        let n = 6
        var fact = [1.0]
        for k in 1..<n { fact.append(fact[k - 1] * Double(k)) }
        let a = (0..<n).map { i in (0..<n).map { j in j == i + 1 ? t : 0 } }
        let e = (0..<n).map { i in (0..<n).map { j in j >= i ? pow(t, Double(j - i)) / fact[j - i] : 0 } }
        return Case(name: "Jordan block ×\(t)", a: a, exact: e, units: 32)
    }

    static let cases: [Case] = [
        triangular(1, 1e8, -1), triangular(1, 1e10, -1), triangular(0.5, 1e6, 0.4999), triangular(-20, 3, 5),
        graded, diagonallyScaled, jordan(1e3), jordan(1e-3),
        Case(name: "diag(−50, 0, 30)", a: [[-50, 0, 0], [0, 0, 0], [0, 0, 30]],
             exact: [[exp(-50), 0, 0], [0, 1, 0], [0, 0, exp(30)]], units: 32),
        Case(name: "zero", a: [[0, 0], [0, 0]], exact: [[1, 0], [0, 1]], units: 0),
        Case(name: "1×1", a: [[-7.25]], exact: [[exp(-7.25)]], units: 8),
    ]

    @Test("entrywise relative error within c·u of the closed form", arguments: cases)
    func closedForms(_ c: Case) throws {
        let got = try Tensor(rows: c.a).expm()
        let n = c.a.count
        for i in 0..<n {
            for j in 0..<n {
                let x = got.storage[i * n + j], want = c.exact[i][j]
                let err = want == 0 ? Swift.abs(x) : Swift.abs(x - want) / Swift.abs(want)
                #expect(err <= c.units * Self.u, "\(c.name) (\(i), \(j)): got \(x), want \(want), error \(err / Self.u) u")
            }
        }
    }

    /// A normal matrix of norm 30 (rotation by 30 radians): normwise error ≤ c·‖A‖·u, the
    /// conditioning of e^A for a skew-symmetric A being ‖A‖.
    @Test("a large rotation: normwise error within c·‖A‖·u")
    func largeRotation() throws {
        let theta = 30.0
        let got = try Tensor(rows: [[0, theta], [-theta, 0]]).expm()
        let want = [cos(theta), sin(theta), -sin(theta), cos(theta)]
        let err = zip(got.storage, want).map { Swift.abs($0 - $1) }.max() ?? 0
        #expect(err <= 64 * theta * Self.u)
    }
}
