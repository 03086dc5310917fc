import Foundation
import RitzTensor

/// A dictionary of observables ψ_1…ψ_N for EDMD, evaluated on states x ∈ ℝ^d.
///
/// * `poly(degree)`: every monomial x^α with |α| ≤ degree, the constant included, in
///   scikit-learn's `PolynomialFeatures` order (by total degree, then lexicographic in the
///   variable indices: 1, x₀, x₁, x₀², x₀x₁, x₁², …); N = C(d + degree, degree).
/// * `rbf(centers, eps)`: ψ_k(x) = exp(−(ε‖x − c_k‖₂)²) for each row c_k of `centers` (K×d); N = K.
/// * `fourier(k)`: 1, then cos(j·x_i), sin(j·x_i) for each coordinate i and j = 1…k (no cross
///   terms); N = 1 + 2kd.
public enum KoopmanDictionary: Sendable {
    case poly(degree: Int)
    case rbf(centers: Tensor, eps: Double)
    case fourier(k: Int)

    /// A short name, e.g. `poly(3)`.
    public var name: String {
        switch self {
        case .poly(let d): return "poly(\(d))"
        case .rbf(let c, let e): return "rbf(\(c.shape.first ?? 0) centers, eps=\(e))"
        case .fourier(let k): return "fourier(\(k))"
        }
    }

    /// The exponent vectors of `poly(degree)` in dimension d.
    static func exponents(dimension d: Int, degree: Int) -> [[Int]] {
        guard d > 0 else { return [[]] }   // a 0-dimensional state has only the constant
        var out = [[Int]]()
        for total in 0...degree {
            // Combinations with replacement of variable indices, in lexicographic order.
            var combo = [Int](repeating: 0, count: total)
            while true {
                var alpha = [Int](repeating: 0, count: d)
                for v in combo { alpha[v] += 1 }
                out.append(alpha)
                var i = total - 1
                while i >= 0 && combo[i] == d - 1 { i -= 1 }
                if i < 0 { break }
                combo[i] += 1
                for j in (i + 1)..<Swift.max(i + 1, total) { combo[j] = combo[i] }
            }
        }
        return out
    }

    /// Number of functions N for states of dimension d.
    ///
    /// - Throws: `TensorError.invalidArgument` for a bad degree, k, eps or center shape, or N > 10⁵.
    public func size(dimension d: Int) throws -> Int {
        switch self {
        case .poly(let degree):
            guard degree >= 0, degree <= 50 else { throw TensorError.invalidArgument("poly: degree must be in 0...50, got \(degree)") }
            // C(d + degree, degree), stopping once it passes the cap.
            var n = 1.0
            for i in 1...Swift.max(degree, 1) where degree > 0 { n = n * Double(d + i) / Double(i) }
            guard n <= 100_000 else { throw TensorError.invalidArgument("poly(\(degree)) in dimension \(d) has \(Int(n)) functions (limit 100000)") }
            return Int(n.rounded())
        case .rbf(let centers, let eps):
            guard eps.isFinite, eps > 0 else { throw TensorError.invalidArgument("rbf: eps must be positive, got \(eps)") }
            let c = centers.ndim == 1 && d == 1 ? centers.count : (centers.ndim == 2 ? centers.shape[0] : -1)
            guard c >= 1, centers.ndim == 1 ? d == 1 : centers.shape[1] == d, !centers.isComplex else {
                throw TensorError.invalidArgument("rbf: centers must be a K×\(d) matrix (one center per row), got shape \(formatShape(centers.shape))")
            }
            return c
        case .fourier(let k):
            guard k >= 0, k <= 10_000 else { throw TensorError.invalidArgument("fourier: k must be in 0...10000, got \(k)") }
            return 1 + 2 * k * d
        }
    }

    /// Evaluates the dictionary on the columns of X.
    ///
    /// - Parameter x: d×M states, one per column.
    /// - Returns: Ψ, M×N row-major: row m holds ψ_1(x_m)…ψ_N(x_m).
    /// - Throws: as `size`, plus `TensorError.tooLarge`.
    public func evaluate(_ x: Tensor) throws -> Tensor {
        let X = try SubspaceMath.matrix(x, "dictionary")
        let d = X.shape[0], m = X.shape[1]
        let evaluator = try Evaluator(self, dimension: d)
        let n = evaluator.count
        var out = [Double](repeating: 0, count: try Tensor.elementCount([m, n]))
        X.storage.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { o in
                guard let xp = xs.baseAddress, let op = o.baseAddress else { return }
                evaluator.rows(of: xp, columns: 0..<m, stride: m, into: op, rowStride: n)
            }
        }
        return try Tensor(shape: [m, n], storage: out)
    }

    /// The dictionary prepared for one state dimension, writing Ψ rows straight into a caller's
    /// buffer (so chunked reductions evaluate a few thousand snapshots at a time).
    struct Evaluator {
        let dictionary: KoopmanDictionary
        /// The state dimension d.
        let dimension: Int
        /// N, the number of functions.
        let count: Int
        /// poly: monomial i is monomial parent[i] times x_variable[i].
        private var parent = [Int](), variable = [Int]()
        /// rbf: the K×d centers, row-major.
        private var centers = [Double]()

        /// Prepares `dictionary` for states of dimension `d`.
        ///
        /// - Throws: as `size`.
        init(_ dictionary: KoopmanDictionary, dimension d: Int) throws {
            self.dictionary = dictionary
            dimension = d
            count = try dictionary.size(dimension: d)
            switch dictionary {
            case .poly(let degree):
                // Each monomial is a lower-degree one times one variable: ψ(α) = ψ(α − e_v)·x_v with v
                // the last variable of α, so every value costs one multiplication.
                let exps = KoopmanDictionary.exponents(dimension: d, degree: degree)
                var index = [[Int]: Int]()
                for (i, a) in exps.enumerated() { index[a] = i }
                parent = [Int](repeating: 0, count: count)
                variable = [Int](repeating: 0, count: count)
                for (i, a) in exps.enumerated() where i > 0 {
                    var v = d - 1
                    while a[v] == 0 { v -= 1 }
                    var b = a; b[v] -= 1
                    parent[i] = index[b] ?? 0; variable[i] = v
                }
            case .rbf(let c, _):
                centers = try c.asFloat().storage
            case .fourier:
                break
            }
        }

        /// Writes ψ_1(x_s)…ψ_N(x_s) for the columns s in `columns` of a d×`stride` row-major matrix
        /// `xs` as consecutive rows of `out`, `rowStride` apart (columns beyond N are left alone).
        ///
        /// - Parameters:
        ///   - xs: The states, d rows of `stride` values.
        ///   - columns: Which states.
        ///   - stride: The length of a row of `xs` (the number of states it holds).
        ///   - out: Row 0 of the output.
        ///   - rowStride: Distance between output rows, ≥ N.
        func rows(of xs: UnsafePointer<Double>, columns: Range<Int>, stride: Int,
                  into out: UnsafeMutablePointer<Double>, rowStride: Int) {
            let d = dimension, n = count
            switch dictionary {
            case .poly:
                parent.withUnsafeBufferPointer { parent in
                    variable.withUnsafeBufferPointer { variable in
                        withUnsafeTemporaryAllocation(of: Double.self, capacity: Swift.max(d, 1)) { point in
                            for (r, s) in columns.enumerated() {
                                for v in 0..<d { point[v] = xs[v * stride + s] }
                                let o = out + r * rowStride
                                o[0] = 1
                                for i in 1..<Swift.max(n, 1) { o[i] = o[parent[i]] * point[variable[i]] }
                            }
                        }
                    }
                }
            case .rbf(_, let eps):
                let e2 = eps * eps
                for (r, s) in columns.enumerated() {
                    for k in 0..<n {
                        var acc = 0.0
                        for v in 0..<d { let t = xs[v * stride + s] - centers[k * d + v]; acc += t * t }
                        out[r * rowStride + k] = Foundation.exp(-e2 * acc)
                    }
                }
            case .fourier(let k):
                for (r, s) in columns.enumerated() {
                    let o = out + r * rowStride
                    o[0] = 1
                    var col = 1
                    for v in 0..<d {
                        let xv = xs[v * stride + s]
                        for j in 1...Swift.max(k, 1) where k > 0 {
                            o[col] = Foundation.cos(Double(j) * xv)
                            o[col + 1] = Foundation.sin(Double(j) * xv)
                            col += 2
                        }
                    }
                }
            }
        }
    }
}
