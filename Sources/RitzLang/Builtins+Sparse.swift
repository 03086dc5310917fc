import Foundation
import RitzAnalysis
import RitzTensor

/// A sparse matrix value (compressed sparse rows): `.nnz`, `.shape`, `.T`; `S @ x` and `x @ S`
/// with a dense vector or matrix, `S ± S2`, `c * S`, `S / c`; `dense(S)`; `save("f.mtx", S)`.
final class SparseObject: ArithmeticObject {
    let matrix: CSRMatrix
    init(_ m: CSRMatrix) { matrix = m }
    var typeName: String { "sparse" }
    var fieldNames: [String] { ["nnz", "shape", "T"] }

    func field(_ name: String) throws -> Value? {
        switch name {
        case "nnz": return .number(Double(matrix.nnz))
        case "shape": return .tensor(Tensor(integers: [matrix.rows, matrix.cols]))
        case "T": return .object(SparseObject(matrix.transposed()))
        default: return nil
        }
    }

    func summary() -> String { "sparse \(matrix.rows)×\(matrix.cols), nnz \(matrix.nnz)" }

    func binary(_ o: BinaryOperator, _ other: Value, selfOnLeft: Bool, context: Interpreter) throws -> Value? {
        if case let .object(obj) = other, let s = obj as? SparseObject {
            let (a, b) = selfOnLeft ? (matrix, s.matrix) : (s.matrix, matrix)
            switch o {
            case .add: return .object(SparseObject(try a.adding(b)))
            case .sub: return .object(SparseObject(try a.adding(b, scaledBy: -1)))
            default: return nil
            }
        }
        if case let .number(c) = other {
            switch o {
            case .mul: return .object(SparseObject(matrix.scaled(by: c)))
            case .div where selfOnLeft:
                guard c != 0 else { throw Diagnostic("a sparse matrix divided by 0", span: nil) }
                return .object(SparseObject(matrix.scaled(by: 1 / c)))
            default: return nil
            }
        }
        guard o == .matmul else { return nil }
        let x = try Interpreter.toTensor(other, what: "the dense operand of `@`")
        if selfOnLeft { return .tensor(try matrix.multiply(x)) }
        // x @ S = (Sᵀ xᵀ)ᵀ.
        let t = matrix.transposed()
        return .tensor(x.ndim == 1 ? try t.multiply(x) : try t.multiply(x.T).T)
    }
}

extension Builtins {
    /// The sparse matrix argument `name`.
    static func sparseArg(_ a: Args, _ name: String) -> CSRMatrix? {
        if case let .object(o)? = a.raw(name), let s = o as? SparseObject { return s.matrix }
        return nil
    }

    /// Whole-number indices from a tensor or list argument (integers, or floats with no fraction).
    private static func indices(_ a: Args, _ name: String) throws -> [Int] {
        let t = try Interpreter.toTensor(a.raw(name) ?? .none, what: "`\(name)` of `sparse`")
        guard t.ndim <= 1, !t.isComplex else { throw Diagnostic("`\(name)` of `sparse` must be a vector of indices, got shape \(formatShape(t.shape))", span: nil) }
        return try t.asFloat().storage.enumerated().map { p, v in
            guard v == v.rounded(), abs(v) < 1e15 else {
                throw Diagnostic("`\(name)`[\(p)] of `sparse` is \(formatNumber(v)), not a whole-number index", span: nil)
            }
            return Int(v)
        }
    }

    /// Sparse matrices.
    static var sparse: [BuiltinEntry] {
        let g = "Sparse matrices"
        return [
            BuiltinEntry("sparse", [Param("i"), Param("j", default: .none), Param("v", default: .none), Param("n", default: .none), Param("m", default: .none)], group: g,
                         summary: "sparse n×m matrix from coordinates: entry (i[t], j[t]) = v[t], 0-based, duplicates summed (as scipy.sparse.coo_matrix), stored as compressed rows; n and m default to the largest index + 1; indices are integers or whole-number floats, checked against n and m; sparse(A) keeps the nonzeros of a dense matrix. Fields .nnz, .shape, .T; S @ x, x @ S with dense x, S ± S2, c * S, S / c; dense(S)",
                         examples: ["S = sparse([0, 1, 1], [1, 0, 1], [2, 3, 4], 2, 3)\n(nnz=S.nnz, y=S @ [1, 1, 1])",
                                    "dense(sparse([0, 0], [1, 1], [1, 2]))"]) { a in
                if !a.has("j"), !a.has("v") {
                    return .object(SparseObject(try CSRMatrix(dense: try a.tensor("i").asFloat())))
                }
                guard a.has("j"), a.has("v") else { throw Diagnostic("`sparse(i, j, v, n, m)` needs i, j and v", span: nil) }
                let i = try indices(a, "i"), j = try indices(a, "j")
                let v = try a.tensor("v").asFloat()
                guard v.ndim <= 1, i.count == j.count, j.count == v.count else {
                    throw Diagnostic("`sparse` needs i, j and v of one length, got \(i.count), \(j.count) and \(v.count)", span: nil)
                }
                let n = try a.optionalInt("n") ?? ((i.max() ?? -1) + 1)
                let m = try a.optionalInt("m") ?? ((j.max() ?? -1) + 1)
                guard n >= 0, m >= 0 else { throw Diagnostic("`sparse` needs n, m ≥ 0, got \(n)×\(m)", span: nil) }
                for (t, (r, c)) in zip(i, j).enumerated() {
                    guard r >= 0, r < n, c >= 0, c < m else {
                        throw Diagnostic("entry \(t) of `sparse` at (\(r), \(c)) lies outside the \(n)×\(m) matrix", span: nil)
                    }
                }
                guard v.storage.allSatisfy({ $0.isFinite }) else { throw Diagnostic("`sparse` values must be finite", span: nil) }
                try AllocationLimit.check(bytes: i.count &* 40)
                return .object(SparseObject(try CSRMatrix(rows: n, cols: m, triplets: (0..<i.count).map { (i[$0], j[$0], v.storage[$0]) })))
            },
        ]
    }
}
