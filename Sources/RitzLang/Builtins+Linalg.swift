import RitzAutodiff
import RitzTensor

extension Builtins {
    static func matrixEntry(_ name: String, _ summary: String, _ example: String,
                            _ f: @escaping (Tensor) throws -> Value) -> BuiltinEntry {
        BuiltinEntry(name, [Param("A")], group: "Linear algebra", summary: summary, examples: [example]) { a in
            try f(try a.tensor("A"))
        }
    }

    /// Linear algebra through LAPACK.
    static var linalg: [BuiltinEntry] {
        let g = "Linear algebra"
        return [
            matrixEntry("inv", "inverse of a square matrix (dgetrf/dgetri)", "inv([2, 0; 0, 4])") { .tensor(try $0.inv()) }.differentiable { a in try a.tracedVar("A").inv() },
            matrixEntry("det", "determinant of a square matrix", "det([1, 2; 3, 4])") { .number(try $0.det()) }.differentiable { a in try a.tracedVar("A").det() },
            BuiltinEntry("solve", [Param("A"), Param("b")], group: g, summary: "x with A x = b for square A (dgesv)",
                         examples: ["solve([2, 0; 0, 4], [2, 4])"]) { a in
                .tensor(try Tensor.solve(try a.tensor("A"), try a.tensor("b")))
            }.differentiable { a in try Var.solve(a.tracedVar("A"), a.tracedVar("b")) },
            BuiltinEntry("lstsq", [Param("A"), Param("b"), .keyword("rcond")], group: g,
                         summary: "minimum-norm least-squares solution of A x ≈ b (dgelsd)",
                         examples: ["lstsq([1, 0; 0, 1; 1, 1], [1, 2, 3])"]) { a in
                .tensor(try Tensor.lstsq(try a.tensor("A"), try a.tensor("b"), rcond: try a.optionalDouble("rcond")))
            },
            BuiltinEntry("pinv", [Param("A"), .keyword("rcond")], group: g, summary: "Moore–Penrose pseudo-inverse (by SVD)",
                         examples: ["pinv([1, 2; 2, 4])"]) { a in
                .tensor(try a.tensor("A").pinv(rcond: try a.optionalDouble("rcond")))
            },
            BuiltinEntry("rank", [Param("A"), .keyword("tol")], group: g, summary: "numerical rank (singular values above tol)",
                         examples: ["rank([1, 2; 2, 4])"]) { a in
                .number(Double(try a.tensor("A").rank(tol: try a.optionalDouble("tol"))))
            },
            matrixEntry("cholesky", "lower-triangular L with A = L Lᵀ for symmetric positive definite A",
                        "cholesky([4, 2; 2, 3])") { .tensor(try $0.cholesky()) },
            matrixEntry("qr", "reduced QR factorisation → (q=, r=)", "qr([1, 2; 3, 4])") {
                let (q, r) = try $0.qr()
                return .record(Record([("q", .tensor(q)), ("r", .tensor(r))]))
            },
            matrixEntry("svd", "thin singular value decomposition → (u=, s=, vt=), s descending", "svd([3, 0; 0, 4])") {
                let (u, s, vt) = try $0.svd()
                return .record(Record([("u", .tensor(u)), ("s", .tensor(s)), ("vt", .tensor(vt))]))
            },
            matrixEntry("eigh", "eigen-decomposition of a symmetric matrix → (values=, vectors=), ascending",
                        "eigh([2, 1; 1, 2])") {
                let (v, w) = try $0.eigh()
                return .record(Record([("values", .tensor(v)), ("vectors", .tensor(w))]))
            }.differentiation(.rule { a in
                let (w, v) = try a.tracedVar("A").eigh()
                return .record(Record([("values", Interpreter.valueOf(w)), ("vectors", Interpreter.valueOf(v))]))
            }),
            matrixEntry("eig", "eigenvalues and eigenvectors of a general matrix → (values=, vectors=), complex",
                        "eig([0, -1; 1, 0])") {
                let (v, w) = try $0.eig()
                return .record(Record([("values", .tensor(v)), ("vectors", .tensor(w))]))
            },
            matrixEntry("expm", "matrix exponential (Padé 13 with scaling and squaring)", "expm([0, 1; 0, 0])") {
                .tensor(try $0.expm())
            },
            matrixEntry("cond", "2-norm condition number σmax / σmin", "cond([1, 0; 0, 10])") { .number(try $0.cond()) },
        ]
    }
}
