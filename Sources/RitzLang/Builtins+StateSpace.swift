import RitzAnalysis
import RitzTensor

extension Builtins {
    /// State-space models: HiPPO operators, S4D initialisations, discretisation, convolution
    /// kernels and perturb-then-diagonalize (`pseudospectrum` of a matrix is in `koopman`).
    public static var stateSpace: [BuiltinEntry] {
        let g = "State-space models"
        return [
            BuiltinEntry("hippo", [Param("n"), .keyword("kind", default: .string("legs"))], group: g,
                         summary: "the HiPPO operator (A, B) of order n, x′ = Ax + Bu, in the orthonormal convention of Gu et al. (\"HiPPO\", 2020; \"How to Train Your HiPPO\", 2023), i, k = 0…n−1 → (A=, B=). \"legs\": A[i,k] = −√(2i+1)√(2k+1) for i > k, −(i+1) for i = k, 0 above; B[i] = √(2i+1). \"legt\" (window 1): A[i,k] = −√(2i+1)√(2k+1) for i ≥ k, −(−1)^(i−k)√(2i+1)√(2k+1) above; B[i] = √(2i+1). \"lagt\": A[i,k] = −1 for i > k, −1/2 for i = k, 0 above; B[i] = 1. \"fout\" (window 1; state 0 the constant, 2j−1 and 2j cos and sin of frequency j): A = 2πJ − BBᵀ/2 with J[2j, 2j−1] = j = −J[2j−1, 2j]; B[0] = 2, B[2j−1] = 2√2, B[2j] = 0",
                         examples: ["h = hippo(4); h.A", "hippo(3, kind=\"lagt\").B", "eig(hippo(6, kind=\"legt\").A).values"]) { a in
                let kind = try choice(a, "kind", HiPPOKind.self)
                let (m, b) = try StateSpace.hippo(n: a.int("n"), kind: kind)
                return .record(Record([("A", .tensor(m)), ("B", .tensor(b))]))
            }.differentiation(.notDifferentiable),
            BuiltinEntry("s4d_init", [Param("n"), .keyword("kind", default: .string("lin"))], group: g,
                         summary: "the n diagonal entries λ_k (k = 0…n−1, complex) of an S4D state matrix (Gu, Gupta, Goel, Ré 2022, \"On the Parameterization and Initialization of Diagonal State Space Models\"); as in S4D each stands for a conjugate pair of a real SSM of state size N = 2n. \"lin\": −1/2 + iπk; \"inv\": −1/2 + i(N/π)(N/(2k+1) − 1); \"legs\": the eigenvalues −1/2 + iω (ω ≥ 0, ascending) of the normal part of HiPPO-LegS of order N (A + PPᵀ, P[i] = √(i + 1/2))",
                         examples: ["s4d_init(4)", "s4d_init(3, kind=\"inv\")", "imag(s4d_init(4, kind=\"legs\"))"]) { a in
                .tensor(try StateSpace.s4dInit(n: a.int("n"), kind: choice(a, "kind", S4DInitKind.self)))
            }.differentiation(.notDifferentiable),
            BuiltinEntry("discretize", [Param("A"), Param("B"), Param("dt"), .keyword("method", default: .string("zoh"))], group: g,
                         summary: "(Ā, B̄) of x′ = Ax + Bu with step dt, as SciPy's cont2discrete → (A=, B=). \"zoh\": Ā, B̄ from expm(dt·[A, B; 0, 0]); \"bilinear\" (α = 1/2): Ā = (I − dt/2·A)⁻¹(I + dt/2·A), B̄ = (I − dt/2·A)⁻¹·dt·B. A is n×n, or a 1-d diagonal (real or complex, as s4d_init gives), discretised entrywise: zoh Ā = e^(λdt), B̄ = (e^(λdt) − 1)/λ·B; B is n or n×m",
                         examples: ["d = discretize(hippo(3).A, hippo(3).B, 0.1); d.A",
                                    "discretize(s4d_init(2), ones(2), 0.5, method=\"bilinear\").A"]) { a in
                let (m, b) = try StateSpace.discretize(a: a.tensor("A"), b: a.tensor("B"), dt: a.double("dt"),
                                                       method: choice(a, "method", Discretization.self))
                return .record(Record([("A", .tensor(m)), ("B", .tensor(b))]))
            }.differentiation(.notDifferentiable),
            BuiltinEntry("ssm_kernel", [Param("A"), Param("B"), Param("C"), Param("dt"), Param("L"), .keyword("conj")], group: g,
                         summary: "the length-L convolution kernel K[l] = C Āˡ B̄ (l = 0…L−1; y = K ∗ u) of a single-input single-output SSM under the bilinear discretisation with step dt; B and C are vectors of n. A 1-d (diagonal) A uses the Vandermonde product Σ_i C_i B̄_i Ā_iˡ, an n×n A repeated products. conj=true (the default when A is a complex 1-d diagonal, as s4d_init gives) reads each entry as one of a conjugate pair and returns the real SSM's kernel 2·Re(C Āˡ B̄), as S4D does; otherwise K is real for real A, B, C and complex when any is complex",
                         examples: ["ssm_kernel(s4d_init(4), ones(4), ones(4), 0.1, 8)",
                                    "h = hippo(4); ssm_kernel(h.A, h.B, ones(4), 0.05, 5)"]) { a in
                let m = try a.tensor("A")
                let conj = try a.has("conj") ? a.bool("conj") : (m.ndim == 1 && m.isComplex)
                return .tensor(try StateSpace.ssmKernel(a: m, b: a.tensor("B"), c: a.tensor("C"), dt: a.double("dt"),
                                                        length: a.int("L"), conjugatePairs: conj))
            }.differentiation(.notDifferentiable),
            BuiltinEntry("ptd", [Param("A"), .keyword("eps", default: .number(1e-4)), .keyword("seed")], group: g,
                         summary: "perturb-then-diagonalize (Yu, Mahoney, Erichson 2024, \"Robustifying State-space Models for Long Sequences via Approximate Diagonalization\"): eigendecomposition Ã = VΛV⁻¹ of Ã = A + E, E a seeded Gaussian matrix scaled to ‖E‖₂ = eps·‖A‖₂, for a real square A → (values=, vectors=, cond=, cond_before=, backward_error=, perturbation=): cond = κ₂(V) of Ã's eigenvectors, cond_before = κ₂ of A's own eigenvectors (the exact diagonalisation), backward_error = ‖A − VΛV⁻¹‖₂/‖A‖₂ (about eps), perturbation = ‖E‖₂; seed= absent draws from the session generator",
                         examples: ["p = ptd(hippo(16).A, eps=1e-6, seed=0); p.cond < p.cond_before"]) { a in
                let r = try StateSpace.ptd(a: a.tensor("A"), eps: a.double("eps"), seed: curvatureSeed(a))
                return .record(Record([("values", .tensor(r.values)), ("vectors", .tensor(r.vectors)),
                                       ("cond", .number(r.cond)), ("cond_before", .number(r.condBefore)),
                                       ("backward_error", .number(r.backwardError)), ("perturbation", .number(r.perturbation))]))
            }.differentiation(.notDifferentiable),
        ]
    }

    /// The value of a string argument naming a case of `T`, with the accepted names in the error.
    ///
    /// - Throws: A `Diagnostic` naming the choices for an unknown name.
    static func choice<T: RawRepresentable & CaseIterable>(_ a: Args, _ name: String, _ type: T.Type) throws -> T where T.RawValue == String {
        let s = try a.string(name)
        guard let v = T(rawValue: s) else {
            let names = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw Diagnostic("unknown \(name) \"\(s)\" for `\(a.entry.name)`", span: nil, help: ["\(name) is one of " + names])
        }
        return v
    }
}
