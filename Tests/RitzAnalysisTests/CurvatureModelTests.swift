import Foundation
import Testing
import MLPReference
@testable import RitzLearn
import RitzTensor
@testable import RitzAnalysis

/// A small model and data set (≤ 500 parameters) at a named point.
struct ModelCase: CustomTestStringConvertible, Sendable {
    let name: String
    let sizes: [Int]
    let loss: LossKind
    let trainSteps: Int
    var testDescription: String { name }

    /// The data: `spirals` for classification (3 classes), `teacher` targets for mse.
    func data() throws -> Dataset {
        loss == .crossEntropy ? try Dataset.spirals(n: 90, classes: sizes.last ?? 3, noise: 0.1, seed: 4)
                              : try Dataset.teacher(n: 80, dim: sizes[0], hidden: 8, seed: 4)
    }

    /// The model after `trainSteps` steps of full-batch gradient descent.
    func model(_ data: Dataset) throws -> MLP {
        let m = try MLP(sizes: sizes, activation: .tanh, seed: 3)
        if trainSteps > 0 {
            _ = try Trainer.train(model: m, data: data, optimizer: try .sgd(lr: 0.5), steps: trainSteps, seed: 1, loss: loss)
        }
        return m
    }
}

let modelCases: [ModelCase] = [
    ModelCase(name: "ce 2-16-3 at init (83 parameters)", sizes: [2, 16, 3], loss: .crossEntropy, trainSteps: 0),
    ModelCase(name: "ce 2-12-12-3 trained 200 steps (231 parameters)", sizes: [2, 12, 12, 3], loss: .crossEntropy, trainSteps: 200),
    ModelCase(name: "mse 3-20-16-1 trained 100 steps (433 parameters)", sizes: [3, 20, 16, 1], loss: .mse, trainSteps: 100),
]

/// Dense symmetric matrix of an operator, with its asymmetry.
func denseSymmetric(_ H: LinearOperator) throws -> (matrix: Tensor, asymmetry: Double) {
    let d = try H.dense()
    let n = H.n
    var s = d.storage, asym = 0.0
    for i in 0..<n {
        for j in 0..<n {
            asym = max(asym, abs(d.storage[i * n + j] - d.storage[j * n + i]))
            s[i * n + j] = 0.5 * (d.storage[i * n + j] + d.storage[j * n + i])
        }
    }
    return (try Tensor(shape: [n, n], storage: s), asym)
}

@Suite("Curvature: Hessian and Gauss-Newton operators of models against dense references")
struct CurvatureModelTests {
    @Test("Hessian-vector products agree with central differences of the gradient", arguments: modelCases)
    func hvpFiniteDifferences(_ c: ModelCase) throws {
        let data = try c.data()
        let model = try c.model(data)
        let H = try hessianOperator(model: model, data: data, loss: c.loss)
        var rng = RandomGenerator(seed: 12)
        let v = (0..<model.parameterCount).map { _ in rng.normal() }
        let hv = try H.apply(vector: v)
        // (∇L(θ + εv) − ∇L(θ − εv)) / 2ε = Hv + (ε²/6)·∇³L[v, v] + O(ε_mach·‖∇L‖/ε): with ε = 1e-5
        // truncation ≈ 1e-11·‖∇³L[v, v]‖ and rounding ≈ 1e-11·‖∇L‖; 1e-6·‖Hv‖ leaves room for third
        // derivatives of the tanh layers up to 1e5 times ‖Hv‖.
        let eps = 1e-5
        let theta = model.parameters
        // The gradients by the hand-derived kernels: an independent reference for the tape's H v.
        let probe = ReferenceMLP(model)
        try probe.setParameters(zip(theta, v).map { $0 + eps * $1 })
        let gp = try probe.lossAndGradient(x: data.x, y: data.y, loss: c.loss).gradient
        try probe.setParameters(zip(theta, v).map { $0 - eps * $1 })
        let gm = try probe.lossAndGradient(x: data.x, y: data.y, loss: c.loss).gradient
        let fd = zip(gp, gm).map { ($0 - $1) / (2 * eps) }
        let err = Blas.norm(zip(hv, fd).map { $0 - $1 }), scale = Blas.norm(hv)
        #expect(err <= 1e-6 * scale, "‖Hv − FD‖ = \(err), ‖Hv‖ = \(scale)")
    }

    @Test("Lanczos top-4 and bottom-4 match dense eigh to 1e-8 relative, with true residuals", arguments: modelCases)
    func extremeEigenvalues(_ c: ModelCase) throws {
        let data = try c.data()
        let model = try c.model(data)
        #expect(model.parameterCount <= 500)
        let H = try hessianOperator(model: model, data: data, loss: c.loss)
        let (dense, asymmetry) = try denseSymmetric(H)
        let reference = CurvatureReference.eigh(dense).values
        let scale = reference.map(abs).max() ?? 1, n = model.parameterCount
        // Columns H e_j are products over the rows: their rounding, n·ε·‖H‖, is all that breaks symmetry.
        #expect(asymmetry <= backwardTol(n: n, norm: scale))
        for which in [EigsWhich.largestAlgebraic, .smallestAlgebraic] {
            let r = try eigs(H, k: 4, which: which, tol: 1e-10, seed: 5)
            let ordered = reference.sorted { which.precedes($0, $1) }
            #expect(r.converged)
            for i in 0..<4 {
                // The requested 1e-10 relative residual bounds |θ − λ| (Weyl); 1e-8 allows the
                // 64ε‖T‖ floor near zero and the dense reference's own n·ε·‖H‖.
                #expect(abs(r.values[i] - ordered[i]) <= 1e-8 * max(abs(ordered[i]), 1e-3 * scale),
                        "\(which) \(i): \(r.values[i]) vs \(ordered[i])")
                let independent = CurvatureReference.residual(dense, CurvatureReference.column(r.vectors, i), r.values[i])
                // The operator and its symmetrised dense matrix differ by the asymmetry bound above.
                #expect(abs(independent - r.residuals[i]) <= backwardTol(n: n, norm: scale))
            }
        }
    }

    @Test("a layer's block is the diagonal block of the dense Hessian")
    func layerBlock() throws {
        let c = modelCases[1]
        let data = try c.data()
        let model = try c.model(data)
        let full = try hessianOperator(model: model, data: data).dense()
        let n = model.parameterCount
        for layer in [0, 1, -1] {
            let range = try HessianOperator.layerRange(model, layer)
            let block = try hessianOperator(model: model, data: data, layer: layer)
            #expect(block.n == range.count)
            let b = try block.dense()
            var worst = 0.0
            for (bi, i) in range.enumerated() {
                for (bj, j) in range.enumerated() {
                    worst = max(worst, abs(b.storage[bi * range.count + bj] - full.storage[i * n + j]))
                }
            }
            #expect(worst == 0, "layer \(layer)")
        }
        #expect(throws: TensorError.self) { try hessianOperator(model: model, data: data, layer: 3) }
    }

    @Test("ggn_op is positive semidefinite and equals JᵀH_L J from finite-difference Jacobians")
    func gaussNewton() throws {
        let data = try Dataset.spirals(n: 30, classes: 3, noise: 0.1, seed: 2)
        let model = try MLP(sizes: [2, 8, 3], activation: .tanh, seed: 1)
        let G = try ggnOperator(model: model, data: data)
        let (dense, asymmetry) = try denseSymmetric(G)
        let n = model.parameterCount, rows = data.count, k = 3
        // J[r, o, p] = ∂z_{r,o}/∂θ_p by central differences of the logits.
        let theta = model.parameters
        // The gradients by the hand-derived kernels: an independent reference for the tape's H v.
        let probe = ReferenceMLP(model)
        var jac = [Double](repeating: 0, count: rows * k * n)
        // Central differences of the logits: truncation ≈ (1e-6)²/6·|z‴| and rounding ≈ ε·|z|/1e-6 ≈
        // 2e-10 per entry, so JᵀH_L J is good to about 1e-9 relative; 1e-6 leaves a wide margin.
        let eps = 1e-6
        for p in 0..<n {
            var tp = theta; tp[p] += eps
            try probe.setParameters(tp)
            let zp = try probe.predict(data.x).storage
            tp[p] -= 2 * eps
            try probe.setParameters(tp)
            let zm = try probe.predict(data.x).storage
            for i in 0..<(rows * k) { jac[i * n + p] = (zp[i] - zm[i]) / (2 * eps) }
        }
        // H_L of the mean softmax cross-entropy for row r: (diag p − ppᵀ)/rows.
        let z = try model.predict(data.x).storage
        var ref = [Double](repeating: 0, count: n * n)
        for r in 0..<rows {
            let zr = Array(z[(r * k)..<((r + 1) * k)])
            let m = zr.max() ?? 0
            let e = zr.map { Foundation.exp($0 - m) }
            let s = e.reduce(0, +)
            let prob = e.map { $0 / s }
            for a in 0..<k {
                for b in 0..<k {
                    let h = ((a == b ? prob[a] : 0) - prob[a] * prob[b]) / Double(rows)
                    if h == 0 { continue }
                    for p in 0..<n {
                        let ja = jac[(r * k + a) * n + p] * h
                        for q in 0..<n { ref[p * n + q] += ja * jac[(r * k + b) * n + q] }
                    }
                }
            }
        }
        let scale = ref.map(abs).max() ?? 1
        var worst = 0.0
        for i in 0..<(n * n) { worst = max(worst, abs(dense.storage[i] - ref[i])) }
        #expect(worst <= 1e-6 * scale, "max |G − JᵀH_L J| = \(worst), scale \(scale)")
        #expect(asymmetry <= backwardTol(n: n, norm: scale))
        let values = CurvatureReference.eigh(dense).values
        // PSD: the smallest eigenvalue is ≥ 0 up to the backward error of the dense solver.
        #expect((values.first ?? 0) >= -backwardTol(n: n, norm: values.last ?? 1))
        // The Lanczos top eigenvalue of the operator agrees with the dense one (eigs' default 1e-8).
        let top = try eigs(G, k: 1)
        #expect(abs(top.values[0] - (values.last ?? 0)) <= 1e-8 * (values.last ?? 1))
    }

    @Test("sharpness and batch_sharpness: full batch equals the dense top eigenvalue")
    func sharpnessFunctions() throws {
        let c = modelCases[1]
        let data = try c.data()
        let model = try c.model(data)
        let (dense, _) = try denseSymmetric(try hessianOperator(model: model, data: data))
        let top = CurvatureReference.eigh(dense).values.last ?? 0
        // Each value comes with ‖Hv − θv‖ ≤ 1e-8·|θ| (sharpness' default tolerance, and the tol
        // passed to batch_sharpness), which puts an eigenvalue within 1e-8·|θ| of θ (Weyl).
        let s = try sharpness(model: model, data: data)
        #expect(s.converged && abs(s.value - top) <= 1e-8 * abs(top))
        let b = try BatchSharpness(model: model, data: data, batches: [10, 45, 90, 500], draws: 3, tol: 1e-8, seed: 1)
        #expect(b.batchSizes == [10, 45, 90, 90])
        #expect(b.values.map(\.count) == [3, 3, 1, 1])
        #expect(abs(b.mean[2] - top) <= 1e-8 * abs(top) && b.std[2] == 0)
        // Each draw of size 10 is the top eigenvalue of that batch's dense Hessian.
        var rng = RandomGenerator(seed: 1)
        let subset = try HessianOperator.subset(data, batch: 10, seed: rng.next())
        let (small, _) = try denseSymmetric(try hessianOperator(model: model, data: subset))
        let smallTop = CurvatureReference.eigh(small).values.last ?? 0
        #expect(abs(b.values[0][0] - smallTop) <= 1e-8 * abs(smallTop))
        #expect(throws: TensorError.self) { try BatchSharpness(model: model, data: data, batches: [], seed: 1) }
        #expect(throws: TensorError.self) { try BatchSharpness(model: model, data: data, batches: [0], seed: 1) }
    }
}

@Suite("Curvature: sharpness and trace trackers during training")
struct CurvatureTrackerTests {
    @Test("tracked sharpness and trace match dense references at the recorded weights; warm starts save products")
    func trackers() throws {
        CurvatureTrackers.register()
        let data = try Dataset.spirals(n: 90, classes: 3, noise: 0.1, seed: 4)
        let model = try MLP(sizes: [2, 12, 12, 3], activation: .tanh, seed: 3)
        let run = try Trainer.train(model: model, data: data, optimizer: try .sgd(lr: 0.5), steps: 60, every: 5,
                                    track: ["sharpness", "trace", "weights"], seed: 2)
        let sharp = try #require(run.tracked["sharpness"])
        let trace = try #require(run.tracked["trace"])
        let stderr = try #require(run.tracked["trace.stderr"])
        #expect(sharp.count == run.steps.count && run.weights.count == run.steps.count)
        // The gradients by the hand-derived kernels: an independent reference for the tape's H v.
        let probe = ReferenceMLP(model)
        for (row, w) in run.weights.enumerated() {
            try probe.setParameters(w)
            let (dense, _) = try denseSymmetric(try hessianOperator(model: probe, data: data))
            let values = CurvatureReference.eigh(dense).values
            let top = values.last ?? 0
            // The tracker's relative residual tolerance bounds the eigenvalue error by the same.
            #expect(abs(sharp[row] - top) <= SharpnessTracker.tolerance * abs(top), "row \(row): \(sharp[row]) vs \(top)")
            let exactTrace = values.reduce(0, +)
            // Four standard errors, plus rounding (n·ε·|tr H|) for rows where every probe agrees.
            #expect(abs(trace[row] - exactTrace) <= 4 * stderr[row] + backwardTol(n: values.count, norm: abs(exactTrace)), "row \(row)")
        }
        // The same run with cold starts costs more products.
        let coldModel = try MLP(sizes: [2, 12, 12, 3], activation: .tanh, seed: 3)
        let cold = try Trainer.train(model: coldModel, data: data, optimizer: try .sgd(lr: 0.5), steps: 60, every: 5,
                                     track: ["sharpness"], seed: 2,
                                     extraTrackers: ["sharpness": SharpnessTracker(warmStart: .none)])
        let warmProducts = run.trackerMatvecs["sharpness"] ?? 0, coldProducts = cold.trackerMatvecs["sharpness"] ?? 0
        #expect(warmProducts > 0 && warmProducts < coldProducts, "warm \(warmProducts), cold \(coldProducts)")
        // Stability of the run: lr 0.5, bound 4.
        let s = try Stability(steps: run.steps, lr: run.lr,
                              traces: [.init(name: "sharpness", values: sharp, threshold: try #require(run.thresholds[.gradientDescent])),
                                       .init(name: "trace", values: trace, threshold: try #require(run.thresholds[.stochastic]))])
        let firstAbove = zip(run.steps, sharp).first { $0.1 >= 4 }?.0
        #expect(s.crossings[0].firstStep == firstAbove)
    }

    @Test("the preconditioned sharpness is the top eigenvalue of the dense P^{-1/2}(H + λI)P^{-1/2}",
          arguments: ["adam", "adamw", "sgd"])
    func preconditionedSharpness(_ rule: String) throws {
        CurvatureTrackers.register()
        let data = try Dataset.spirals(n: 60, classes: 3, noise: 0.1, seed: 4)
        let model = try MLP(sizes: [2, 8, 3], activation: .tanh, seed: 3)
        let optimizer: Optimizer
        switch rule {
        case "adam": optimizer = try .adam(lr: 0.01, weightDecay: 0.05)  // coupled: joins H
        case "adamw": optimizer = try .adamw(lr: 0.01, weightDecay: 0.05)
        default: optimizer = try .sgd(lr: 0.1, momentum: 0.9, weightDecay: 0.05)
        }
        let tracker = SharpnessTracker(operator: .preconditioned)
        let state = TrackerState(name: "preconditioned_sharpness", loss: .crossEntropy, seed: 1, shared: SharedPass(),
                                 optimizer: optimizer)
        if rule != "sgd" {
            // Before the first step an adaptive optimizer has no second moments: NaN, no products.
            #expect(try tracker.measure(model: model, data: data, state: state).isNaN && state.lastMatvecs == 0)
        }
        _ = try Trainer.train(model: model, data: data, optimizer: optimizer, steps: 30, every: 30, seed: 2)
        state.step = 30
        let measured = try tracker.measure(model: model, data: data, state: state)
        let p = try #require(optimizer.preconditioning)
        let n = model.parameterCount
        let (H, _) = try denseSymmetric(try hessianOperator(model: model, data: data))
        let scale = p.diagonal.map { $0.map { 1 / $0.squareRoot() } } ?? [Double](repeating: 1, count: n)
        var A = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                A[i * n + j] = scale[i] * (H.storage[i * n + j] + (i == j ? p.coupledDecay : 0)) * scale[j]
            }
        }
        let top = CurvatureReference.eigh(try Tensor(shape: [n, n], storage: A)).values.last ?? 0
        #expect(abs(measured - top) <= SharpnessTracker.tolerance * abs(top), "\(rule): \(measured) vs \(top)")
        #expect(p.coupledDecay == (rule == "adamw" ? 0 : 0.05))
        #expect(throws: LearnError.self) {
            try tracker.measure(model: model, data: data,
                                state: TrackerState(name: "preconditioned_sharpness", loss: .crossEntropy, seed: 1,
                                                    shared: SharedPass(), optimizer: try .kfac(lr: 0.1)))
        }
    }
}
