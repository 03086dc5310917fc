import Foundation
import Testing
import RitzTensor
@testable import RitzAutodiff

/// Convolution and pooling against JAX (`lax.conv_general_dilated`, `lax.reduce_window`, float64
/// on CPU) from `Fixtures/make_convolution_fixtures.py`, stored in `Fixtures/convolutions.json`,
/// and against central finite differences.
///
/// Tolerances: values, VJPs and JVPs rtol 1e-10, atol 1e-12, second order rtol 1e-9, atol 1e-11,
/// as the composite tests (both sides are exact up to rounding in sums of at most a few hundred
/// terms of size O(1); only the order of summation differs). Finite differences: see each test.
@Suite("Convolution and pooling")
struct ConvolutionTests {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        struct Params: Decodable, Sendable {
            let stride: Int
            let pad: Pad?
            let dilation: Int?
            let k: Int?
            let ties: Bool?
        }

        /// A padding as the fixture writes it: a number or "same".
        enum Pad: Decodable, Sendable {
            case number(Int), same
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let n = try? c.decode(Int.self) { self = .number(n) } else { self = .same }
            }
            var padding: ConvPadding {
                switch self {
                case let .number(n): return .explicit(n)
                case .same: return .same
                }
            }
        }

        let name: String
        let op: String
        let params: Params
        let y_shape: [Int]
        let y, u, jvp: [Double]
        let loss: Double
        let x_shape: [Int]
        let x, x_tangent, x_vjp, x_hvp: [Double]
        let w_shape: [Int]?
        let w, w_tangent, w_vjp, w_hvp: [Double]?

        var testDescription: String { name }

        /// The operands, tangents, VJPs and HVPs concatenated as one flat vector θ = [x, w].
        var theta: Tensor { Tensor(x + (w ?? [])) }
        var tangent: Tensor { Tensor(x_tangent + (w_tangent ?? [])) }
        var vjp: Tensor { Tensor(x_vjp + (w_vjp ?? [])) }
        var hvp: Tensor { Tensor(x_hvp + (w_hvp ?? [])) }
        var smooth: Bool { !(params.ties ?? false) }

        /// The operation as a function of θ.
        func function(_ theta: Var) throws -> Var {
            let nx = x.count
            let xv = try theta.index([.slice(start: 0, stop: nx, step: 1)]).reshaped(x_shape)
            let wv = try w_shape.map { try theta.index([.slice(start: nx, stop: theta.count, step: 1)]).reshaped($0) }
            let p = params
            switch (op, wv) {
            case let ("conv2d", w?):
                return try xv.conv2d(w, stride: p.stride, padding: p.pad?.padding ?? .explicit(0), dilation: p.dilation ?? 1)
            case let ("conv1d", w?):
                return try xv.conv1d(w, stride: p.stride, padding: p.pad?.padding ?? .explicit(0), dilation: p.dilation ?? 1)
            case ("maxpool2d", _):
                return try xv.maxPool2d(p.k ?? 1, stride: p.stride)
            default:
                return try xv.avgPool2d(p.k ?? 1, stride: p.stride)
            }
        }

        /// L(θ) = Σ u·tanh(f(θ)), the scalar loss whose HVP the fixture holds.
        func loss(_ theta: Var) throws -> Var {
            try (Var(Tensor(shape: y_shape, storage: u)) * function(theta).tanh()).sum()
        }
    }

    struct CNN: Decodable {
        let images: [Double]
        let labels: [Int]
        let w1, w2, v1, v2, grad1, grad2, hvp1, hvp2: [Double]
        let loss: Double
    }

    struct File: Decodable {
        let cases: [Case]
        let cnn: CNN
    }

    static let file: File? = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/convolutions.json")
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(File.self, from: data)
    }()

    static let cases: [Case] = file?.cases ?? []

    @Test("the fixture file loads")
    func fixtureLoads() {
        #expect(ConvolutionTests.cases.count == 18)
        #expect(ConvolutionTests.file?.cnn != nil)
    }

    @Test("forward, VJP, JVP and HVP against JAX", arguments: cases)
    func againstJAX(_ c: Case) throws {
        let theta = Var(c.theta), v = Var(c.tangent), u = Var(try Tensor(shape: c.y_shape, storage: c.u))
        let y = try c.function(theta)
        #expect(y.shape == c.y_shape)
        #expect(toleranceRatio(y.value, try Tensor(shape: c.y_shape, storage: c.y), rtol: 1e-10, atol: 1e-12) <= 1)
        let pulled = try vjp(c.function, at: theta, u).cotangent
        #expect(toleranceRatio(pulled.value, c.vjp, rtol: 1e-10, atol: 1e-12) <= 1)
        let pushed = try jvp(c.function, at: theta, v).tangent
        #expect(toleranceRatio(pushed.value, try Tensor(shape: c.y_shape, storage: c.jvp), rtol: 1e-10, atol: 1e-12) <= 1)
        #expect(Swift.abs(try c.loss(theta).value.scalarValue.unwrap() - c.loss) <= 1e-10 * Swift.max(1, Swift.abs(c.loss)))
        for mode in [HVPMode.forwardOverReverse, .reverseOverReverse] {
            let h = try hvp(c.loss, at: theta, v, mode: mode)
            #expect(toleranceRatio(h.value, c.hvp, rtol: 1e-9, atol: 1e-11) <= 1, "\(mode)")
        }
    }

    /// Convolutions are bilinear and pooling piecewise linear, so the central difference of f is
    /// exact up to rounding, about ε·|f|/h ≈ 2e-11·|f| with h = 1e-5: rtol 1e-7, atol 1e-8. For the
    /// gradient of L = Σ u·tanh(f) the truncation term h²·|∇⁴L|/6 adds about 1e-10: rtol 1e-6,
    /// atol 1e-7. Inputs with ties are left out (a difference across a kink is not a derivative).
    @Test("JVP and HVP against finite differences", arguments: cases.filter(\.smooth))
    func againstFiniteDifferences(_ c: Case) throws {
        let theta = Var(c.theta), v = Var(c.tangent)
        let pushed = try jvp(c.function, at: theta, v).tangent
        let fd = try FiniteDifference.directional({ try c.function(Var($0)).value }, at: c.theta, along: c.tangent)
        #expect(toleranceRatio(pushed.value, fd, rtol: 1e-7, atol: 1e-8) <= 1)
        let h = try hvp(c.loss, at: theta, v, mode: .forwardOverReverse)
        let gradient = grad(c.loss)
        let fdH = try FiniteDifference.directional({ try gradient(Var($0)).value }, at: c.theta, along: c.tangent)
        #expect(toleranceRatio(h.value, fdH, rtol: 1e-6, atol: 1e-7) <= 1)
    }

    /// A CNN (conv → relu → maxpool → conv → tanh → avgpool → cross-entropy) as a function of both
    /// filter banks: loss, gradient and HVP against JAX, tolerances as above.
    @Test("a small CNN end to end against JAX")
    func cnnEndToEnd() throws {
        let fx = try #require(ConvolutionTests.file?.cnn)
        let images = Var(try Tensor(shape: [4, 1, 6, 6], storage: fx.images))
        let n1 = fx.w1.count
        let loss: (Var) throws -> Var = { theta in
            let w1 = try theta.index([.slice(start: 0, stop: n1, step: 1)]).reshaped([2, 1, 3, 3])
            let w2 = try theta.index([.slice(start: n1, stop: theta.count, step: 1)]).reshaped([3, 2, 3, 3])
            var h = try images.conv2d(w1, padding: .same).relu().maxPool2d(2)
            h = try h.conv2d(w2, padding: .same).tanh().avgPool2d(3)
            return try CompositeTests.crossEntropy(h.reshaped([4, 3]), fx.labels)
        }
        let theta = Var(Tensor(fx.w1 + fx.w2)), v = Var(Tensor(fx.v1 + fx.v2))
        let (value, g) = try valueAndGrad(loss)(theta)
        #expect(Swift.abs(try value.value.scalarValue.unwrap() - fx.loss) <= 1e-12 * fx.loss)
        #expect(toleranceRatio(g.value, Tensor(fx.grad1 + fx.grad2), rtol: 1e-10, atol: 1e-12) <= 1)
        let h = try hvp(loss, at: theta, v, mode: .forwardOverReverse)
        #expect(toleranceRatio(h.value, Tensor(fx.hvp1 + fx.hvp2), rtol: 1e-9, atol: 1e-11) <= 1)
    }

    @Test("bad shapes and parameters throw instead of trapping")
    func badInput() throws {
        let x = Var(try Tensor.zeros([1, 2, 4, 4])), w = Var(try Tensor.zeros([3, 2, 3, 3]))
        #expect(throws: ShapeError.self) { try x.conv2d(Var(try Tensor.zeros([3, 1, 3, 3]))) }
        #expect(throws: ShapeError.self) { try x.conv2d(Var(try Tensor.zeros([3, 2, 3]))) }
        #expect(throws: ShapeError.self) { try Var(try Tensor.zeros([2, 4, 4])).conv2d(w) }
        #expect(throws: ShapeError.self) { try x.conv2d(Var(try Tensor.zeros([3, 2, 5, 5]))) }
        #expect(throws: TensorError.self) { try x.conv2d(w, stride: 0) }
        #expect(throws: TensorError.self) { try x.conv2d(w, padding: .explicit(-1)) }
        #expect(throws: TensorError.self) { try x.conv2d(w, dilation: Int.max) }
        #expect(throws: TensorError.self) { try x.conv2d(w, padding: .explicit(Int.max)) }
        #expect(throws: ShapeError.self) { try Var(try Tensor.zeros([1, 2, 4])).conv1d(Var(try Tensor.zeros([1, 3, 2]))) }
        #expect(throws: ShapeError.self) { try x.maxPool2d(5) }
        #expect(throws: TensorError.self) { try x.avgPool2d(0) }
        #expect(throws: TensorError.self) { try x.maxPool2d(2, stride: -1) }
        #expect(throws: TensorError.self) { try x.maxPool2d(Int.max) }
    }

    @Test("an empty batch gives an empty result")
    func emptyBatch() throws {
        let x = Var(try Tensor.zeros([0, 2, 4, 4]))
        #expect(try x.conv2d(Var(try Tensor.zeros([3, 2, 3, 3])), padding: .same).shape == [0, 3, 4, 4])
        #expect(try x.maxPool2d(2).shape == [0, 2, 2, 2])
    }
}

private extension Optional {
    /// The wrapped value, or a test failure.
    func unwrap() throws -> Wrapped { try #require(self) }
}
