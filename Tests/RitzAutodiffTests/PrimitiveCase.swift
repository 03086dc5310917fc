import Testing
import RitzTensor
@testable import RitzAutodiff

/// Where a test draws one operand from.
enum Domain: Sendable {
    /// Uniform in [lo, hi).
    case uniform([Int], Double, Double)
    /// Magnitude uniform in [lo, hi) with a random sign (keeps away from kinks at 0).
    case awayFromZero([Int], Double, Double)
    /// Uniform in [−1, 1) with one entry set to exactly 0 (for `prod`).
    case withZero([Int])
    /// An n×n matrix n·I + uniform[−1, 1): well conditioned, nonsingular.
    case wellConditioned(Int)
    /// A symmetric n×n matrix with eigenvalues 1, 2, …, n rotated by a random orthogonal basis
    /// (well separated, so eigenvalue derivatives exist).
    case symmetric(Int)

    var shape: [Int] {
        switch self {
        case let .uniform(s, _, _), let .awayFromZero(s, _, _), let .withZero(s): return s
        case let .wellConditioned(n), let .symmetric(n): return [n, n]
        }
    }

    func draw(_ rng: inout RandomGenerator) throws -> Tensor {
        switch self {
        case let .uniform(s, lo, hi):
            return try uniformTensor(s, lo, hi, &rng)
        case let .awayFromZero(s, lo, hi):
            let m = try uniformTensor(s, lo, hi, &rng)
            let sign = try Tensor.rademacher(s, using: &rng)
            return try m * sign
        case let .withZero(s):
            var t = try uniformTensor(s, -1, 1, &rng)
            try t.assign(Array(repeating: IndexItem.at(0), count: s.count), Tensor(0))
            return t
        case let .wellConditioned(n):
            return try uniformTensor([n, n], -1, 1, &rng) + Tensor.eye(n) * Tensor(Double(n))
        case let .symmetric(n):
            // Gram–Schmidt on a random matrix gives an orthogonal Q; A = Q diag(1..n) Qᵀ.
            let a = try Tensor.randn([n, n], using: &rng)
            var q = [[Double]]()
            for j in 0..<n {
                var v = (0..<n).map { a.storage[$0 * n + j] }
                for u in q {
                    let d = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }
                    for i in 0..<n { v[i] -= d * u[i] }
                }
                let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                q.append(v.map { $0 / norm })
            }
            var out = [Double](repeating: 0, count: n * n)
            for i in 0..<n { for j in 0..<n { for k in 0..<n { out[i * n + j] += q[k][i] * Double(k + 1) * q[k][j] } } }
            return try Tensor(shape: [n, n], storage: out)
        }
    }
}

/// One primitive (or a small composite) under test: a function of traced operands.
struct PrimitiveCase: Sendable, CustomTestStringConvertible {
    let name: String
    let inputs: [Domain]
    let f: @Sendable ([Var]) throws -> Var
    /// False for piecewise-constant functions (derivative zero, checked as such).
    var smooth = true

    init(_ name: String, _ inputs: [Domain], smooth: Bool = true, _ f: @escaping @Sendable ([Var]) throws -> Var) {
        self.name = name
        self.inputs = inputs
        self.f = f
        self.smooth = smooth
    }

    var testDescription: String { name }
}

private func u(_ s: [Int], _ lo: Double = -1, _ hi: Double = 1) -> Domain { .uniform(s, lo, hi) }

/// Every primitive of the module, with shapes that exercise broadcasting and axes.
let primitiveCases: [PrimitiveCase] = elementwiseCases + reductionCases + shapeCases + productCases + linearCases + fusedLossCases + linalgCases

let elementwiseCases: [PrimitiveCase] = [
    PrimitiveCase("neg", [u([3, 4])]) { try -$0[0] },
    PrimitiveCase("exp", [u([3, 4])]) { try $0[0].exp() },
    PrimitiveCase("log", [u([3, 4], 0.5, 2)]) { try $0[0].log() },
    PrimitiveCase("log1p", [u([3, 4], -0.5, 2)]) { try $0[0].log1p() },
    PrimitiveCase("sqrt", [u([3, 4], 0.5, 2)]) { try $0[0].sqrt() },
    PrimitiveCase("abs", [.awayFromZero([3, 4], 0.2, 1.5)]) { try $0[0].abs() },
    PrimitiveCase("sin", [u([3, 4], -3, 3)]) { try $0[0].sin() },
    PrimitiveCase("cos", [u([3, 4], -3, 3)]) { try $0[0].cos() },
    PrimitiveCase("tan", [u([3, 4])]) { try $0[0].tan() },
    PrimitiveCase("tanh", [u([3, 4], -2, 2)]) { try $0[0].tanh() },
    PrimitiveCase("tanh backward, fused g·(1 − y²)", [u([3, 4]), u([3, 4], -0.9, 0.9)]) { try Var.tanhBackward($0[0], $0[1]) },
    PrimitiveCase("tanh of tanh (fused rule, second order)", [u([2, 5], -2, 2)]) { try $0[0].tanh().tanh() },
    PrimitiveCase("sigmoid", [u([3, 4], -3, 3)]) { try $0[0].sigmoid() },
    PrimitiveCase("relu", [.awayFromZero([3, 4], 0.2, 1.5)]) { try $0[0].relu() },
    PrimitiveCase("gelu", [u([3, 4], -3, 3)]) { try $0[0].gelu() },
    PrimitiveCase("softplus", [u([3, 4], -3, 3)]) { try $0[0].softplus() },
    PrimitiveCase("clip", [u([3, 4])]) { try $0[0].clip(-0.5, 0.4) },
    PrimitiveCase("sign", [.awayFromZero([3, 4], 0.2, 1.5)], smooth: false) { try $0[0].unary(.sign) },
    PrimitiveCase("floor", [u([3, 4], -3, 3)], smooth: false) { try $0[0].unary(.floor) },
    PrimitiveCase("ceil", [u([3, 4], -3, 3)], smooth: false) { try $0[0].unary(.ceil) },
    PrimitiveCase("round", [u([3, 4], -3, 3)], smooth: false) { try $0[0].unary(.round) },
    PrimitiveCase("add broadcast (3,4)+(4,)", [u([3, 4]), u([4])]) { try $0[0] + $0[1] },
    PrimitiveCase("sub broadcast (3,1)-(1,4)", [u([3, 1]), u([1, 4])]) { try $0[0] - $0[1] },
    PrimitiveCase("mul broadcast (2,3,4)*(3,1)", [u([2, 3, 4]), u([3, 1])]) { try $0[0] * $0[1] },
    PrimitiveCase("div broadcast (3,4)/(4,)", [u([3, 4]), .awayFromZero([4], 0.5, 2)]) { try $0[0] / $0[1] },
    PrimitiveCase("pow tensor^tensor", [u([3, 4], 0.5, 2), u([3, 1], -1.5, 2.5)]) { try $0[0].pow($0[1]) },
    PrimitiveCase("pow x^3 negative base", [u([3, 4], -2, 2)]) { try $0[0].pow(3) },
    PrimitiveCase("pow scalar exponent", [u([3, 4], 0.5, 2), u([], 0.5, 2)]) { try $0[0].binary(.pow, $0[1]) },
    PrimitiveCase("mod", [u([3, 4], -3, 3), .awayFromZero([4], 0.7, 2)]) { try $0[0].binary(.mod, $0[1]) },
    PrimitiveCase("maximum", [u([3, 4]), u([4])]) { try $0[0].binary(.maximum, $0[1]) },
    PrimitiveCase("minimum", [u([3, 4]), u([3, 1])]) { try $0[0].binary(.minimum, $0[1]) },
    PrimitiveCase("where", [u([3, 4]), u([4])]) { x in
        try Var.where(x[0].value.binary(.gt, Tensor(0)), x[0] * x[0], x[1])
    },
    PrimitiveCase("comparison mask times x", [u([3, 4]), u([4])]) { x in
        try x[0].binary(.gt, x[1]) * x[0] * x[1]
    },
    PrimitiveCase("logical and/or/not/isnan", [u([3, 4])], smooth: false) { x in
        let a = try x[0].binary(.gt, Var(0)).binary(.and, x[0].binary(.lt, Var(0.5)))
        return try a.binary(.or, x[0].unary(.isnan)).unary(.not)
    },
]

let reductionCases: [PrimitiveCase] = [
    PrimitiveCase("sum all", [u([3, 4])]) { try $0[0].sum() },
    PrimitiveCase("sum axis 0", [u([3, 4])]) { try $0[0].sum(axis: 0) },
    PrimitiveCase("sum axis -1 keepDims", [u([2, 3, 4])]) { try $0[0].sum(axis: -1, keepDims: true) },
    PrimitiveCase("mean all", [u([3, 4])]) { try $0[0].mean() },
    PrimitiveCase("mean axis 1", [u([3, 4])]) { try $0[0].mean(axis: 1) },
    PrimitiveCase("max all", [u([3, 4])]) { try $0[0].reduce(.max) },
    PrimitiveCase("max axis 0", [u([3, 4])]) { try $0[0].reduce(.max, axis: 0) },
    PrimitiveCase("min axis 1 keepDims", [u([3, 4])]) { try $0[0].reduce(.min, axis: 1, keepDims: true) },
    PrimitiveCase("prod all", [u([2, 3], 0.5, 1.5)]) { try $0[0].reduce(.prod) },
    PrimitiveCase("prod axis 1", [u([3, 4], 0.5, 1.5)]) { try $0[0].reduce(.prod, axis: 1) },
    PrimitiveCase("prod with a zero", [.withZero([3, 4])]) { try $0[0].reduce(.prod, axis: 1) },
    PrimitiveCase("prod all with a zero", [.withZero([2, 3])]) { try $0[0].reduce(.prod) },
    PrimitiveCase("std all", [u([3, 4])]) { try $0[0].reduce(.std) },
    PrimitiveCase("std axis 0", [u([3, 4])]) { try $0[0].reduce(.std, axis: 0) },
    PrimitiveCase("var axis 1", [u([3, 4])]) { try $0[0].reduce(.variance, axis: 1) },
    PrimitiveCase("argmax times x", [u([3, 4])]) { x in
        try x[0] * x[0].reduce(.argmax, axis: 1, keepDims: true)
    },
    PrimitiveCase("argmin all plus x", [u([3, 4])]) { x in try x[0] + x[0].reduce(.argmin) },
    PrimitiveCase("cumsum axis 0", [u([3, 4])]) { try $0[0].cumsum(axis: 0) },
    PrimitiveCase("cumsum axis 1", [u([3, 4])]) { try $0[0].cumsum(axis: 1) },
    PrimitiveCase("cumsum flat", [u([3, 4])]) { try $0[0].cumsum() },
    PrimitiveCase("logsumexp all", [u([3, 4], -3, 3)]) { try $0[0].logsumexp() },
    PrimitiveCase("logsumexp axis 1", [u([3, 4], -3, 3)]) { try $0[0].logsumexp(axis: 1) },
    PrimitiveCase("logsumexp axis 0 keepDims", [u([3, 4], -3, 3)]) { try $0[0].logsumexp(axis: 0, keepDims: true) },
    PrimitiveCase("softmax last axis", [u([3, 4], -3, 3)]) { try $0[0].softmax() },
    PrimitiveCase("softmax axis 0", [u([3, 4], -3, 3)]) { try $0[0].softmax(axis: 0) },
    PrimitiveCase("log-softmax", [u([3, 4], -3, 3)]) { try $0[0].logSoftmax() },
    PrimitiveCase("norm 2", [u([3, 4])]) { try $0[0].norm() },
    PrimitiveCase("norm 1", [.awayFromZero([3, 4], 0.2, 1)]) { try $0[0].norm(p: 1) },
    PrimitiveCase("norm inf", [u([3, 4])]) { try $0[0].norm(p: .infinity) },
    PrimitiveCase("norm 3", [.awayFromZero([3, 4], 0.2, 1)]) { try $0[0].norm(p: 3) },
]

let shapeCases: [PrimitiveCase] = [
    PrimitiveCase("reshape", [u([3, 4])]) { try $0[0].reshaped([2, -1]) },
    PrimitiveCase("flatten", [u([2, 3, 2])]) { try $0[0].flattened() },
    PrimitiveCase("transpose 2-d", [u([3, 4])]) { try $0[0].T },
    PrimitiveCase("transpose 3-d perm", [u([2, 3, 4])]) { try $0[0].transposed([1, 2, 0]) },
    PrimitiveCase("index at", [u([3, 4])]) { try $0[0].index([.at(1)]) },
    PrimitiveCase("index slice with step", [u([5, 4])]) { try $0[0].index([.slice(start: 1, stop: nil, step: 2), .at(-1)]) },
    PrimitiveCase("index negative step", [u([5, 4])]) { try $0[0].index([.all, .slice(start: nil, stop: nil, step: -1)]) },
    PrimitiveCase("index repeated integers", [u([3, 4])]) { try $0[0].index([.array(Tensor([0, 2, 0, 0]))]) },
    PrimitiveCase("index full mask", [u([3, 4])]) { x in try x[0].index([.array(x[0].value.binary(.gt, Tensor(0)))]) },
    PrimitiveCase("index axis mask", [u([3, 4])]) { try $0[0].index([.all, .array(Tensor([1, 0, 1, 1]).asBool())]) },
    PrimitiveCase("index contiguous rows", [u([5, 4])]) { try $0[0].index([.slice(start: 1, stop: 4, step: nil), .all]) },
    PrimitiveCase("index contiguous run of a vector", [u([12])]) { try $0[0].index([.slice(start: 3, stop: 9, step: 1)]).reshaped([2, 3]) },
    PrimitiveCase("index row then slice", [u([3, 4, 2])]) { try $0[0].index([.at(-1), .slice(start: 1, stop: nil, step: nil)]) },
    PrimitiveCase("unstack and stack", [u([3, 4])]) { x in try Var.stack(x[0].unstacked().reversed(), axis: 1) },
    PrimitiveCase("assign slice (base and value)", [u([4, 3]), u([3])]) { x in
        try x[0].assigning([.slice(start: 1, stop: 3, step: nil)], x[1] * x[1])
    },
    PrimitiveCase("assign into a constant", [u([2, 3])]) { x in
        try Var(Tensor.zeros([3, 3])).assigning([.slice(start: 1, stop: nil, step: nil)], x[0])
    },
    PrimitiveCase("assign repeated positions", [u([5]), u([4])]) { x in
        try x[0].assigning([.array(Tensor([0, 2, 0, 4]))], x[1].exp())
    },
    PrimitiveCase("assign mask, broadcast value", [u([3, 4]), u([1])]) { x in
        try x[0].assigning([.array(x[0].value.binary(.gt, Tensor(0)))], x[1])
    },
    PrimitiveCase("concat axis 0", [u([2, 3]), u([1, 3]), u([3, 3])]) { try Var.concat($0, axis: 0) },
    PrimitiveCase("concat axis 1", [u([2, 3]), u([2, 1])]) { try Var.concat($0, axis: 1) },
    PrimitiveCase("stack axis 1", [u([2, 3]), u([2, 3])]) { try Var.stack($0, axis: 1) },
    // A node of more than three operands keeps their indices apart from the inline three, and an
    // operand met again gathers every one of its cotangents.
    PrimitiveCase("concat of five, operands repeated", [u([2, 3]), u([1, 3])]) { x in
        try Var.concat([x[0], x[1], x[0] * x[0], x[1], x[0]], axis: 0)
    },
    PrimitiveCase("broadcast to", [u([3, 1])]) { try $0[0].broadcast(to: [2, 3, 4]) },
    PrimitiveCase("sum to shape", [u([2, 3, 4])]) { try $0[0].sumToShape([3, 1]) },
]

/// The fused dense layer `linear` for every activation it fuses; relu's bias keeps the pre-activations
/// at least 1.2 from its kink (|x wᵀ| ≤ 3·0.3·0.3); one batch large enough to be split in halves.
let linearCases: [PrimitiveCase] = [
    PrimitiveCase("linear identity", [u([4, 3]), u([5, 3]), u([5])]) { try Var.linear($0[0], $0[1], $0[2]) },
    PrimitiveCase("linear tanh", [u([4, 3]), u([5, 3]), u([5])]) { try Var.linear($0[0], $0[1], $0[2], activation: .tanh) },
    PrimitiveCase("linear sigmoid", [u([4, 3]), u([5, 3]), u([5])]) { try Var.linear($0[0], $0[1], $0[2], activation: .sigmoid) },
    PrimitiveCase("linear relu", [u([4, 3], -0.3, 0.3), u([5, 3], -0.3, 0.3), .awayFromZero([5], 1.5, 2.5)]) {
        try Var.linear($0[0], $0[1], $0[2], activation: .relu)
    },
    PrimitiveCase("linear gelu", [u([4, 3], -2, 2), u([5, 3]), u([5])]) { try Var.linear($0[0], $0[1], $0[2], activation: .gelu) },
    PrimitiveCase("linear tanh, batch split in halves", [u([260, 3]), u([2, 3]), u([2])]) {
        try Var.linear($0[0], $0[1], $0[2], activation: .tanh)
    },
    PrimitiveCase("two linear layers, tanh then identity", [u([4, 3]), u([5, 3]), u([5]), u([2, 5]), u([2])]) {
        try Var.linear(Var.linear($0[0], $0[1], $0[2], activation: .tanh), $0[3], $0[4])
    },
]

/// The fused softmax cross-entropy, on rows and on a stack of rows.
let fusedLossCases: [PrimitiveCase] = [
    PrimitiveCase("cross entropy, fused", [u([4, 5], -2, 2)]) { try $0[0].crossEntropy(Tensor([0, 3, 1, 4])) },
    PrimitiveCase("cross entropy over a stack", [u([2, 3, 4], -2, 2)]) {
        try $0[0].crossEntropy(try Tensor(shape: [2, 3], storage: [0, 3, 1, 2, 2, 0]))
    },
]

let productCases: [PrimitiveCase] = [
    PrimitiveCase("matmul (3,4)@(4,2)", [u([3, 4]), u([4, 2])]) { try $0[0].matmul($0[1]) },
    PrimitiveCase("matmul (4,)@(4,2)", [u([4]), u([4, 2])]) { try $0[0].matmul($0[1]) },
    PrimitiveCase("matmul (3,4)@(4,)", [u([3, 4]), u([4])]) { try $0[0].matmul($0[1]) },
    PrimitiveCase("matmul (4,)@(4,)", [u([4]), u([4])]) { try $0[0].matmul($0[1]) },
    PrimitiveCase("matmul stack (2,3,4)@(4,2)", [u([2, 3, 4]), u([4, 2])]) { try $0[0].matmul($0[1]) },
    PrimitiveCase("matmul stacks (2,1,3,4)@(3,4,2)", [u([2, 1, 3, 4]), u([3, 4, 2])]) { try $0[0].matmul($0[1]) },
    PrimitiveCase("x @ w.T read in place (3,4),(2,4)", [u([3, 4]), u([2, 4])]) { try $0[0].matmul(transposed: $0[1]) },
    PrimitiveCase("x @ x.T in place, one operand twice", [u([3, 4])]) { try $0[0].matmul(transposed: $0[0]) },
    PrimitiveCase("x @ w.T of a stack falls back to .T", [u([2, 3, 4]), u([5, 4])]) { try $0[0].matmul(transposed: $0[1]) },
    PrimitiveCase("tanh(x @ w.T + b) in place", [u([5, 3]), u([4, 3]), u([4])]) { x in
        try (x[0].matmul(transposed: x[1]) + x[2]).tanh()
    },
    PrimitiveCase("dot", [u([4]), u([4])]) { try $0[0].dot($0[1]) },
    PrimitiveCase("outer", [u([3]), u([4])]) { try $0[0].outer($0[1]) },
    PrimitiveCase("kron", [u([2, 2]), u([2, 3])]) { try $0[0].kron($0[1]) },
    PrimitiveCase("trace square", [u([3, 3])]) { try $0[0].trace() },
    PrimitiveCase("trace rectangular", [u([3, 4])]) { try $0[0].trace() },
    PrimitiveCase("tanh layer", [u([5, 3]), u([3, 4]), u([4])]) { x in try (x[0].matmul(x[1]) + x[2]).tanh() },
]

let linalgCases: [PrimitiveCase] = [
    PrimitiveCase("solve vector", [.wellConditioned(3), u([3])]) { try Var.solve($0[0], $0[1]) },
    PrimitiveCase("solve matrix", [.wellConditioned(3), u([3, 2])]) { try Var.solve($0[0], $0[1]) },
    PrimitiveCase("inv", [.wellConditioned(3)]) { try $0[0].inv() },
    PrimitiveCase("det", [.wellConditioned(3)]) { try $0[0].det() },
    PrimitiveCase("expm (non-normal, Fréchet derivative)", [u([3, 3], -2, 2)]) { try $0[0].expm() },
    PrimitiveCase("eigh values", [.symmetric(4)]) { try $0[0].eigh().values },
    PrimitiveCase("eigvalsh", [.symmetric(3)]) { try $0[0].eigvalsh() },
    PrimitiveCase("eigh vectors squared (sign-free)", [.symmetric(3)]) { x in
        let v = try x[0].eigh().vectors
        return try v * v
    },
]
