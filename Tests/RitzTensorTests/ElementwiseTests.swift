import Testing
@testable import RitzTensor

/// Elementwise functions and broadcasting binary operators against NumPy/SciPy
/// (`reference.json` → "unary", "binary", "complex").
@Suite struct ElementwiseTests {
    static let unaryOps: [UnaryOp] = [.neg, .exp, .log, .log1p, .sqrt, .abs, .sign, .floor, .ceil, .round,
                                      .sin, .cos, .tan, .tanh, .sigmoid, .relu, .gelu, .softplus]

    /// Transcendentals may differ from NumPy's SIMD libm by a few ulps: rtol 1e-13.
    @Test(arguments: unaryOps)
    func unaryMatchesNumPy(op: UnaryOp) throws {
        let positive = ["log", "log1p", "sqrt"].contains(op.rawValue)
        let x = try Fixture.tensor("unary", positive ? "pos" : "x")
        let expected = try Fixture.tensor("unary", "results", op.rawValue)
        expectClose(try x.unary(op), expected, rtol: 1e-13, atol: 1e-15, op.rawValue)
    }

    /// Every real function through `Tensor.unary` (a loop of its own for the cheap ones, the
    /// shared dispatch for the rest) equals `UnaryOp.apply` element by element, bit for bit
    /// (NaN as NaN), over signed zeros, infinities, NaN, subnormals and values either side of
    /// every rounding and sign boundary; relu of −0 and of negatives is +0, of NaN the NaN.
    @Test(arguments: UnaryOp.allCases)
    func eachFunctionIsItsElementwiseDefinition(op: UnaryOp) throws {
        let values: [Double] = [0, -0.0, 1, -1, 0.5, -0.5, 1.5, -2.5, 3.7, -3.7, .infinity, -.infinity, .nan,
                                .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 1e300, -1e-300, 0.49999999999999994]
        let x = Tensor(values)
        let got = try x.unary(op).storage
        for (v, y) in zip(values, got) {
            let want = op.apply(v)
            #expect(want.isNaN ? y.isNaN : y.bitPattern == want.bitPattern, "\(op.rawValue)(\(v)) = \(y), not \(want)")
        }
        if op == .relu {
            #expect(got[1].bitPattern == Double(0).bitPattern && got[3] == 0 && got[12].isNaN && got[10] == .infinity)
        }
    }

    @Test func predicatesGiveBoolTensors() throws {
        let x = Tensor([1, .nan, .infinity, -2])
        let isnan = try x.unary(.isnan), fin = try x.unary(.isfinite)
        #expect(isnan.dtype == .bool && isnan.storage == [0, 1, 0, 0])
        #expect(fin.storage == [1, 0, 0, 1])
        #expect(try Tensor([0, 3]).unary(.not).storage == [1, 0])
    }

    static let shapes = ["same", "row", "col", "scalar"]
    static let binaryOps: [(String, BinaryOp)] = [("add", .add), ("sub", .sub), ("mul", .mul), ("div", .div),
                                                 ("pow", .pow), ("mod", .mod), ("maximum", .maximum),
                                                 ("minimum", .minimum), ("lt", .lt), ("ge", .ge)]

    /// + − × ÷ are exact in IEEE arithmetic (rtol 1e-15 allows only rounding of the
    /// reference's repr round trip); pow within a few ulps.
    @Test(arguments: shapes)
    func binaryBroadcastsAsNumPy(shape: String) throws {
        let x = try Fixture.tensor("unary", "x"), pos = try Fixture.tensor("unary", "pos")
        let other = try Fixture.tensor("binary", shape, "other")
        for (name, op) in Self.binaryOps {
            let expected = try Fixture.tensor("binary", shape, name)
            let got = try (op == .pow ? pos : x).binary(op, other)
            expectClose(got, expected, rtol: op == .pow ? 1e-14 : 1e-15, atol: 0, "\(name) with \(shape)")
            if op.isPredicate { #expect(got.dtype == .bool) }
        }
        #expect(try x.binary(.eq, x).storage.allSatisfy { $0 == 1 })
    }

    @Test func operatorsThrowOnMismatch() throws {
        let a = try Tensor.zeros([3, 4]), b = try Tensor.zeros([2, 4])
        #expect(throws: ShapeError.mismatch(op: "*", lhs: [3, 4], rhs: [2, 4])) { try a * b }
        #expect(throws: ShapeError.self) { try a.binary(.maximum, b) }
    }

    /// Complex ×, ÷, exp, sqrt are a few real operations each (rtol 1e-14 ≈ 45ε, atol for parts
    /// that cancel to ~0); |z| and angle are one correctly rounded hypot/atan2 (rtol 1e-15 ≈ 4.5ε).
    @Test func complexArithmetic() throws {
        let z = try Fixture.tensor("complex", "z"), w = try Fixture.tensor("complex", "w")
        expectClose(try z * w, try Fixture.tensor("complex", "mul"), rtol: 1e-14, atol: 1e-15)
        expectClose(try z / w, try Fixture.tensor("complex", "div"), rtol: 1e-14, atol: 1e-15)
        expectClose(try z.unary(.exp), try Fixture.tensor("complex", "exp"), rtol: 1e-14, atol: 1e-15)
        expectClose(try z.unary(.abs), try Fixture.tensor("complex", "abs"), rtol: 1e-15)
        expectClose(try z.unary(.sqrt), try Fixture.tensor("complex", "sqrt"), rtol: 1e-14, atol: 1e-15)
        expectClose(z.angle(), try Fixture.tensor("complex", "angle"), rtol: 1e-15)
        #expect(throws: TensorError.unsupportedDType(op: "<", dtype: .complex128)) { try z.binary(.lt, w) }
    }

    @Test func clipAndWhere() throws {
        let x = Tensor([-2, 0.5, .nan, 7])
        let c = try x.clip(0, 1)
        #expect(c.storage[0] == 0 && c.storage[1] == 0.5 && c.storage[2].isNaN && c.storage[3] == 1)
        let w = try Tensor.where(Tensor([1, 0, 1]).asBool(), Tensor([1, 2, 3]), Tensor(-1))
        #expect(w.storage == [1, -1, 3])
    }
}

extension UnaryOp: CustomTestStringConvertible {
    public var testDescription: String { rawValue }
}
