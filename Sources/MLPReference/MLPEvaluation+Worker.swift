import CBLAS
import Foundation
import RitzLearn
import RitzTensor

/// Row-major `C = op(A)·op(B) + beta·C` for the kernels (`gemmBlock`: the short-inner-dimension
/// row kernel where it applies, else OpenBLAS).
@inline(__always)
func gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
          _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int,
          _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
    gemmBlock(transA: transA, transB: transB, m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, beta: beta, c, ldc: ldc)
}

extension MLPEvaluation {
    /// One thread's share of a batch: rows `r0 ..< r0 + rows`, with its own scratch buffers and
    /// its own partial gradient.
    final class Worker: @unchecked Sendable {
        let layers: [MLP.Layer]
        var r0 = 0
        var rows = 0
        var capacity = -1
        // Per layer l, each `capacity × outputs(l)`.
        var z: [RawBuffer] = [], a: [RawBuffer] = [], g: [RawBuffer] = []
        var rz: [RawBuffer] = [], ra: [RawBuffer] = [], rg: [RawBuffer] = [], t: [RawBuffer] = []
        var ones = RawBuffer(count: 1)
        let grad: RawBuffer
        var lossSum = 0.0
        var correct = 0

        init(layers: [MLP.Layer], parameterCount: Int) {
            self.layers = layers
            grad = RawBuffer(count: parameterCount)
        }

        /// Makes room for `rows` rows (buffers only grow).
        func reserve(rows needed: Int) throws {
            guard needed > capacity else { return }
            let cap = max(needed, 1)
            let width = layers.reduce(0) { $0 + $1.outputs }
            let (elements, overflow) = cap.multipliedReportingOverflow(by: width * 7)
            guard !overflow else { throw LearnError.invalidArgument("batch of \(needed) rows is too large") }
            try AllocationLimit.check(elements: elements)
            func make() -> [RawBuffer] { layers.map { RawBuffer(count: cap * $0.outputs) } }
            z = make(); a = make(); g = make(); rz = make(); ra = make(); rg = make(); t = make()
            ones = RawBuffer(count: cap)
            ones.p.update(repeating: 1, count: cap)
            capacity = cap
        }

        // MARK: Forward

        func forward(_ e: MLPEvaluation, x: UnsafePointer<Double>, y: UnsafePointer<Double>?) {
            lossSum = 0
            correct = 0
            let m = rows
            guard m > 0 else { return }
            let d = layers[0].inputs
            let xw = x + r0 * d
            let last = layers.count - 1
            for (l, layer) in layers.enumerated() {
                let inp: UnsafePointer<Double> = l == 0 ? xw : UnsafePointer(a[l - 1].p)
                let w = e.params.p + layer.weightOffset
                let b = e.params.p + layer.biasOffset
                gemm(false, true, m, layer.outputs, layer.inputs, inp, layer.inputs, w, layer.inputs, 0, z[l].p, layer.outputs)
                if l < last {
                    activate(e.activation, z: z[l].p, bias: b, a: a[l].p, rows: m, width: layer.outputs)
                } else {
                    addBias(z[l].p, b, rows: m, width: layer.outputs)
                }
            }
            guard let y, let kind = e.lossKind else { return }
            let k = layers[last].outputs
            let zo = z[last].p, p = a[last].p
            switch kind {
            case .crossEntropy:
                // loss_i = logsumexp(z_i) − z_i[c] with the row maximum subtracted before exp.
                let maxima = t[last].p  // unused by the output layer otherwise
                for i in 0..<m {
                    let row = zo + i * k
                    var mx = row[0], arg = 0
                    for j in 1..<max(k, 1) where row[j] > mx { mx = row[j]; arg = j }
                    maxima[i] = mx
                    if arg == Int(y[r0 + i]) { correct += 1 }
                    for j in 0..<k { p[i * k + j] = row[j] - mx }
                }
                FastMath.exp(p, p, count: m * k)
                var total = 0.0
                for i in 0..<m {
                    let row = p + i * k
                    var s = 0.0
                    for j in 0..<k { s += row[j] }
                    let c = Int(y[r0 + i])
                    total += Foundation.log(s) + maxima[i] - zo[i * k + c]
                    let inv = 1 / s
                    for j in 0..<k { row[j] *= inv }
                }
                lossSum = total
            case .mse:
                var total = 0.0
                for i in 0..<m {
                    let row = zo + i * k
                    if e.labels {
                        let c = Int(y[r0 + i])
                        var mx = row[0], arg = 0
                        for j in 1..<max(k, 1) where row[j] > mx { mx = row[j]; arg = j }
                        if arg == c { correct += 1 }
                        for j in 0..<k {
                            let r = row[j] - (j == c ? 1 : 0)
                            p[i * k + j] = r
                            total += r * r
                        }
                    } else {
                        let target = y + (r0 + i) * k
                        for j in 0..<k {
                            let r = row[j] - target[j]
                            p[i * k + j] = r
                            total += r * r
                        }
                    }
                }
                lossSum = total
            }
        }

        /// ∂L/∂Z of the output layer into `out` (scaled by the batch's mean).
        func outputGradient(_ e: MLPEvaluation, y: UnsafePointer<Double>, out: UnsafeMutablePointer<Double>) {
            let last = layers.count - 1
            let k = layers[last].outputs, m = rows
            let p = a[last].p
            let n = Double(e.count)
            switch e.lossKind ?? .crossEntropy {
            case .crossEntropy:
                // ∂/∂z (logsumexp z − z_c) = softmax(z) − e_c.
                let s = 1 / n
                for i in 0..<(m * k) { out[i] = p[i] * s }
                for i in 0..<m { out[i * k + Int(y[r0 + i])] -= s }
            case .mse:
                let s = 2 / (n * Double(k))
                for i in 0..<(m * k) { out[i] = p[i] * s }
            }
        }

        // MARK: Gradient

        func backward(_ e: MLPEvaluation, x: UnsafePointer<Double>, y: UnsafePointer<Double>) {
            guard rows > 0 else { grad.p.update(repeating: 0, count: grad.count); return }
            let last = layers.count - 1
            outputGradient(e, y: y, out: g[last].p)
            backpropagate(e, x: x, deltas: g, from: last)
        }

        /// Backpropagation of `deltas[top]` (∂L/∂Z of layer `top`) into the partial gradient.
        func backpropagate(_ e: MLPEvaluation, x: UnsafePointer<Double>, deltas: [RawBuffer], from top: Int) {
            let m = rows
            let xw = x + r0 * layers[0].inputs
            for l in stride(from: top, through: 0, by: -1) {
                let layer = layers[l]
                let inp: UnsafePointer<Double> = l == 0 ? xw : UnsafePointer(a[l - 1].p)
                let gl = deltas[l].p
                gemm(true, false, layer.outputs, layer.inputs, m, gl, layer.outputs, inp, layer.inputs,
                     0, grad.p + layer.weightOffset, layer.inputs)
                cblas_dgemv(CblasRowMajor, CblasTrans, blas(m), blas(layer.outputs), 1, gl, blas(layer.outputs),
                            ones.p, 1, 0, grad.p + layer.biasOffset, 1)
                if l > 0 {
                    let below = deltas[l - 1].p
                    gemm(false, false, m, layer.inputs, layer.outputs, gl, layer.outputs,
                         e.params.p + layer.weightOffset, layer.inputs, 0, below, layer.inputs)
                    multiplyDerivative(e.activation, below, z: z[l - 1].p, a: a[l - 1].p, count: m * layer.inputs)
                }
            }
        }

        // MARK: Curvature

        /// Hv (exact) or JᵀH_L J v (Gauss–Newton) into the partial gradient buffer.
        func curvature(_ e: MLPEvaluation, x: UnsafePointer<Double>, y: UnsafePointer<Double>,
                       v: UnsafePointer<Double>, exact: Bool) {
            let m = rows
            guard m > 0 else { grad.p.update(repeating: 0, count: grad.count); return }
            let xw = x + r0 * layers[0].inputs
            let last = layers.count - 1
            let act = e.activation
            // R-forward: R{Z_l} = R{A_{l-1}} W_lᵀ + A_{l-1} V_lᵀ + vb_l, R{A_l} = f' ⊙ R{Z_l}.
            for (l, layer) in layers.enumerated() {
                let inp: UnsafePointer<Double> = l == 0 ? xw : UnsafePointer(a[l - 1].p)
                gemm(false, true, m, layer.outputs, layer.inputs, inp, layer.inputs, v + layer.weightOffset,
                     layer.inputs, 0, rz[l].p, layer.outputs)
                if l > 0 {
                    gemm(false, true, m, layer.outputs, layer.inputs, ra[l - 1].p, layer.inputs,
                         e.params.p + layer.weightOffset, layer.inputs, 1, rz[l].p, layer.outputs)
                }
                addBias(rz[l].p, v + layer.biasOffset, rows: m, width: layer.outputs)
                if l < last {
                    derivativeProduct(act, ra[l].p, rz[l].p, z: z[l].p, a: a[l].p, count: m * layer.outputs)
                }
            }
            // H_L applied to J v = R{Z_L}.
            let k = layers[last].outputs
            let n = Double(e.count)
            let u = rg[last].p, rzo = rz[last].p, p = a[last].p
            switch e.lossKind ?? .crossEntropy {
            case .crossEntropy:
                // (diag p − p pᵀ) r / n per row.
                let s = 1 / n
                for i in 0..<m {
                    var dotPR = 0.0
                    for j in 0..<k { dotPR += p[i * k + j] * rzo[i * k + j] }
                    for j in 0..<k { u[i * k + j] = s * p[i * k + j] * (rzo[i * k + j] - dotPR) }
                }
            case .mse:
                let s = 2 / (n * Double(k))
                for i in 0..<(m * k) { u[i] = s * rzo[i] }
            }
            guard exact else {
                backpropagate(e, x: x, deltas: rg, from: last)
                return
            }
            outputGradient(e, y: y, out: g[last].p)
            for l in stride(from: last, through: 0, by: -1) {
                let layer = layers[l]
                let (ni, no) = (layer.inputs, layer.outputs)
                let inp: UnsafePointer<Double> = l == 0 ? xw : UnsafePointer(a[l - 1].p)
                let gw = grad.p + layer.weightOffset
                // R{∂L/∂W_l} = R{G_l}ᵀ A_{l-1} + G_lᵀ R{A_{l-1}}.
                gemm(true, false, no, ni, m, rg[l].p, no, inp, ni, 0, gw, ni)
                if l > 0 { gemm(true, false, no, ni, m, g[l].p, no, ra[l - 1].p, ni, 1, gw, ni) }
                cblas_dgemv(CblasRowMajor, CblasTrans, blas(m), blas(no), 1, rg[l].p, blas(no), ones.p, 1, 0,
                            grad.p + layer.biasOffset, 1)
                guard l > 0 else { continue }
                let w = e.params.p + layer.weightOffset, vw = v + layer.weightOffset
                let dA = t[l - 1].p, rdA = rg[l - 1].p
                gemm(false, false, m, ni, no, g[l].p, no, w, ni, 0, dA, ni)
                gemm(false, false, m, ni, no, rg[l].p, no, w, ni, 0, rdA, ni)
                gemm(false, false, m, ni, no, g[l].p, no, vw, ni, 1, rdA, ni)
                let gb = g[l - 1].p
                derivativeProduct(act, gb, dA, z: z[l - 1].p, a: a[l - 1].p, count: m * ni)
                // R{G} = R{dA} ⊙ f' + dA ⊙ f'' ⊙ R{Z}.
                secondOrderTerm(act, rdA, dA: dA, rz: rz[l - 1].p, z: z[l - 1].p, a: a[l - 1].p, count: m * ni)
            }
        }
    }
}

// MARK: - Elementwise passes

/// A = f(Z + b) row by row; for relu, gelu and identity Z is updated to include b, for tanh and
/// sigmoid Z is left without it (their derivatives are read from A).
func activate(_ act: Activation, z: UnsafeMutablePointer<Double>, bias: UnsafePointer<Double>,
              a: UnsafeMutablePointer<Double>, rows: Int, width: Int) {
    let n = rows * width
    switch act {
    case .tanh:
        FastMath.tanhRows(z, bias: bias, rows: rows, width: width, out: a)
    case .sigmoid:
        // The same 1/(1 + e^−x) as the language's `sigmoid`.
        for i in 0..<rows { for j in 0..<width { a[i * width + j] = z[i * width + j] + bias[j] } }
        FastMath.sigmoid(a, a, count: n)
    case .relu:
        addBias(z, bias, rows: rows, width: width)
        for i in 0..<n { a[i] = z[i] > 0 ? z[i] : 0 }
    case .gelu:
        addBias(z, bias, rows: rows, width: width)
        for i in 0..<n { a[i] = 0.5 * z[i] * (1 + erf(z[i] * 0.7071067811865476)) }
    case .identity:
        addBias(z, bias, rows: rows, width: width)
        a.update(from: z, count: n)
    }
}

@inline(__always)
func addBias(_ z: UnsafeMutablePointer<Double>, _ b: UnsafePointer<Double>, rows: Int, width: Int) {
    for i in 0..<rows {
        let row = z + i * width
        for j in 0..<width { row[j] += b[j] }
    }
}

/// d *= f′(z, a) elementwise.
func multiplyDerivative(_ act: Activation, _ d: UnsafeMutablePointer<Double>, z: UnsafePointer<Double>,
                        a: UnsafePointer<Double>, count n: Int) {
    switch act {
    case .tanh: for i in 0..<n { d[i] *= 1 - a[i] * a[i] }
    case .identity: break
    case .relu: for i in 0..<n where !(z[i] > 0) { d[i] = 0 }
    default: for i in 0..<n { d[i] *= act.first(z[i], a[i]) }
    }
}

/// dst = src ⊙ f′(z, a) elementwise.
func derivativeProduct(_ act: Activation, _ dst: UnsafeMutablePointer<Double>, _ src: UnsafePointer<Double>,
                       z: UnsafePointer<Double>, a: UnsafePointer<Double>, count n: Int) {
    switch act {
    case .tanh: for i in 0..<n { dst[i] = src[i] * (1 - a[i] * a[i]) }
    case .identity: dst.update(from: src, count: n)
    case .relu: for i in 0..<n { dst[i] = z[i] > 0 ? src[i] : 0 }
    default: for i in 0..<n { dst[i] = src[i] * act.first(z[i], a[i]) }
    }
}

/// rdA ← rdA ⊙ f′ + dA ⊙ f″ ⊙ rz (the R-operator of the activation's backward pass).
func secondOrderTerm(_ act: Activation, _ rdA: UnsafeMutablePointer<Double>, dA: UnsafePointer<Double>,
                     rz: UnsafePointer<Double>, z: UnsafePointer<Double>, a: UnsafePointer<Double>, count n: Int) {
    switch act {
    case .tanh:
        // f' = 1 − a², f'' = −2a·f'.
        for i in 0..<n {
            let f1 = 1 - a[i] * a[i]
            rdA[i] = f1 * (rdA[i] - 2 * a[i] * dA[i] * rz[i])
        }
    case .identity: break
    case .relu: for i in 0..<n where !(z[i] > 0) { rdA[i] = 0 }
    default:
        for i in 0..<n { rdA[i] = rdA[i] * act.first(z[i], a[i]) + dA[i] * act.second(z[i], a[i]) * rz[i] }
    }
}
