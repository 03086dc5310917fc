import RitzAutodiff
import RitzTensor

extension Builtins {
    static func matrixEntry(_ name: String, _ summary: String, _ example: String,
                            _ f: @escaping (Tensor) throws -> Value) -> BuiltinEntry {
        BuiltinEntry(name, [Param("A")], group: "Linear algebra", summary: summary, examples: [example]) { a in
            try f(try a.tensor("A"))
        }
    }

    /// Emits `Tensor.illConditionedWarning` for an LU-based result, through the warning path of
    /// the other builtins.
    ///
    /// - Parameters:
    ///   - a: The call's arguments (its name and context).
    ///   - rcond: The reciprocal condition estimate of the factored matrix.
    static func warnIfIllConditioned(_ a: Args, rcond: Double) {
        warnAll(a, Tensor.illConditionedWarning(a.entry.name, rcond: rcond).map { [$0] } ?? [])
    }

    /// Linear algebra through LAPACK.
    static var linalg: [BuiltinEntry] {
        let g = "Linear algebra"
        return [
            BuiltinEntry("inv", [Param("A"), .keyword("method"), .keyword("damping"), .keyword("tol"), .keyword("maxiter")], group: g,
                         summary: "inverse of a square matrix by LU (dgetrf/dgetri); ‖AX − I‖ ≤ c·n·ε‖A‖‖X‖, forward error ≲ κ(A)·ε; warns with LAPACK's condition estimate when rcond < ε; an exactly zero pivot is an error. inv(H, method=\"cg\"|\"minres\"|\"neumann\", damping=0, tol=1e-10, maxiter=10n) of a symmetric operator is an operator whose @ v solves (H + damping·I) x = v; .iters, .residual (true ‖(H+δI)x − v‖/‖v‖) and .converged report the last solve, a warning each missed tol; cg stops with the Rayleigh quotient at negative curvature, minres takes indefinite H, neumann sums α Σ (I − α(H+δI))ᵏ v with α = 1/λ_max (Lanczos) after checking λ_min > 0",
                         examples: ["inv([2, 0; 0, 4])", "S = inv(op([4, 1; 1, 3]), method=\"cg\")\nx = S @ [1, 2]\n(x=x, iters=S.iters, residual=S.residual < 1e-10)",
                                    "S = inv(op([1, 0; 0, -2]), method=\"minres\", damping=0.5)\nS @ [1.5, -1.5]"]) { a in
                if let r = try operatorInverse(a) { return r }
                let (x, rcond) = try a.tensor("A").invEstimatingCondition()
                warnIfIllConditioned(a, rcond: rcond)
                return .tensor(x)
            }.differentiable { a in try a.tracedVar("A").inv() },
            matrixEntry("det", "determinant from the LU (dgetrf); backward stable LU, so relative error ≲ c·n·κ(A)·ε; 0 when a pivot is exactly 0, ±inf on overflow",
                        "det([1, 2; 3, 4])") { .number(try $0.det()) }.differentiable { a in try a.tracedVar("A").det() },
            BuiltinEntry("solve", [Param("A"), Param("b")], group: g,
                         summary: "x with A x = b for square A by LU with partial pivoting (dgesv); backward stable: ‖b − Ax‖ ≤ c·n·ε‖A‖‖x‖, forward error ≲ κ(A)·ε; warns with dgecon's rcond ≈ 1/κ₁(A) when rcond < ε (as SciPy); an exactly zero pivot is an error",
                         examples: ["solve([2, 0; 0, 4], [2, 4])"]) { a in
                let (x, rcond) = try Tensor.solveEstimatingCondition(try a.tensor("A"), try a.tensor("b"))
                warnIfIllConditioned(a, rcond: rcond)
                return .tensor(x)
            }.differentiable { a in try Var.solve(a.tracedVar("A"), a.tracedVar("b")) },
            BuiltinEntry("lstsq", [Param("A"), Param("b"), .keyword("rcond")], group: g,
                         summary: "minimum-norm least-squares solution of A x ≈ b by the SVD (dgelsd); backward stable; σ ≤ rcond·σ_max (default ε·max(m, n)) count as zero, so a nearly rank-deficient A gives the truncated solution, error ≲ ε·σ_max/σ_r with σ_r the smallest kept",
                         examples: ["lstsq([1, 0; 0, 1; 1, 1], [1, 2, 3])"]) { a in
                .tensor(try Tensor.lstsq(try a.tensor("A"), try a.tensor("b"), rcond: try a.optionalDouble("rcond")))
            },
            BuiltinEntry("pinv", [Param("A"), .keyword("rcond")], group: g, summary: "Moore–Penrose pseudo-inverse by the SVD; σ ≤ rcond·σ_max (default 1e-15) are dropped; relative error ≲ ε·σ_max/σ_r with σ_r the smallest kept",
                         examples: ["pinv([1, 2; 2, 4])"]) { a in
                .tensor(try a.tensor("A").pinv(rcond: try a.optionalDouble("rcond")))
            },
            BuiltinEntry("rank", [Param("A"), .keyword("tol")], group: g, summary: "numerical rank: the number of σ > tol (default σ_max·max(m, n)·ε, as NumPy); each σ is computed to ±c·n·ε·σ_max, so the count is reliable when no σ lies that close to tol",
                         examples: ["rank([1, 2; 2, 4])"]) { a in
                .number(Double(try a.tensor("A").rank(tol: try a.optionalDouble("tol"))))
            },
            matrixEntry("cholesky", "lower-triangular L with A = L Lᵀ for symmetric positive definite A (lower triangle read, dpotrf); backward stable: ‖A − LLᵀ‖ ≤ c·n·ε‖A‖; an error naming the failing leading minor when A is not positive definite to working precision (λ_min ≲ n·ε‖A‖ may fail)",
                        "cholesky([4, 2; 2, 3])") { .tensor(try $0.cholesky()) },
            matrixEntry("qr", "reduced QR by Householder reflections (dgeqrf/dorgqr) → (q=, r=); backward stable at any conditioning: ‖A − QR‖ ≤ c·m·n·ε‖A‖, ‖QᵀQ − I‖ ≤ c·m·ε", "qr([1, 2; 3, 4])") {
                let (q, r) = try $0.qr()
                return .record(Record([("q", .tensor(q)), ("r", .tensor(r))]))
            },
            matrixEntry("svd", "thin singular value decomposition (dgesdd) → (u=, s=, vt=), s descending; backward stable: each σ within c·n·ε·σ_max of the exact one (tiny σ are accurate only absolutely), a singular vector within ε‖A‖/gap", "svd([3, 0; 0, 4])") {
                let (u, s, vt) = try $0.svd()
                return .record(Record([("u", .tensor(u)), ("s", .tensor(s)), ("vt", .tensor(vt))]))
            },
            matrixEntry("eigh", "eigen-decomposition of a symmetric matrix (lower triangle read, dsyevd) → (values=, vectors=), values ascending as in NumPy (eigs orders largest first by default); `values, vectors = eigh(A)` unpacks it; each eigenvalue within c·n·ε‖A‖₂ (Weyl), vectors orthonormal to c·n·ε and each within ε‖A‖/gap, so a cluster determines only its invariant subspace",
                        "eigh([2, 1; 1, 2])") {
                let (v, w) = try $0.eigh()
                return .record(Record([("values", .tensor(v)), ("vectors", .tensor(w))]))
            }.differentiation(.rule { a in
                let (w, v) = try a.tracedVar("A").eigh()
                return .record(Record([("values", Interpreter.valueOf(w)), ("vectors", Interpreter.valueOf(v))]))
            }),
            matrixEntry("eig", "eigenvalues and eigenvectors of a general matrix (dgeev, after balancing B = D⁻¹AD) → (values=, vectors=), complex; backward stable for B: ‖BṼ − ṼΛ‖ ≤ c·n·ε‖B‖‖Ṽ‖ (for badly scaled A far less than ε‖A‖), but an eigenvalue's error is ≲ ε‖A‖/|yᴴx| (x, y unit right and left eigenvectors) and ≈ (ε‖A‖)^(1/m) at a defective one of multiplicity m: non-normal matrices have sensitive eigenvalues",
                        "eig([0, -1; 1, 0])") {
                let (v, w) = try $0.eig()
                return .record(Record([("values", .tensor(v)), ("vectors", .tensor(w))]))
            },
            matrixEntry("expm", "matrix exponential by scaling and squaring (Al-Mohy & Higham 2009, with balancing); backward error ≤ 2⁻⁵³ in exact arithmetic, forward error ≲ κ_exp(A)·ε; differentiable (Fréchet derivative from exp([A, E; 0, A]))", "expm([0, 1; 0, 0])") {
                .tensor(try $0.expm())
            }.differentiable { a in try a.tracedVar("A").expm() },
            matrixEntry("cond", "2-norm condition number σmax / σmin by the SVD; σmin is computed to ±c·n·ε·σmax, so the relative error is ≲ c·n·κ·ε and values ≳ 1/ε mean singular to working precision; inf when σmin = 0", "cond([1, 0; 0, 10])") { .number(try $0.cond()) },
        ]
    }
}
