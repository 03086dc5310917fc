import RitzTensor

/// The mean squared error as one node, with its rules beside it.
///
/// For predictions p and targets t of N elements, L = (1/N) Σ (p − t)², with ∂L/∂p = 2(p − t)/N =
/// −∂L/∂t and L̇ = (2/N) Σ (p − t)(ṗ − ṫ). Against class labels (``mse(classes:)``) t is their
/// one-hot rows, formed only inside a recorded derivative. Outside any recording the rules are
/// passes over raw buffers, the ones a replay runs; recorded, they are written with
/// differentiable primitives, so every order follows (the Hessian in p is (2/N) I).
extension Var {
    /// Mean squared difference mean((pred − target)²) over every element.
    ///
    /// The shapes must match exactly: a broadcast (`[n]` against `[n, 1]`) would silently
    /// average n² differences.
    /// - Parameters:
    ///   - target: The target, of this value's shape.
    /// - Returns: The 0-d mean.
    /// - Throws: `ShapeError.mismatch` for different shapes, `TensorError.invalidArgument` when empty
    ///   or complex.
    public func mse(_ target: Var) throws -> Var {
        guard shape == target.shape else { throw ShapeError.mismatch(op: "mse", lhs: shape, rhs: target.shape) }
        guard count > 0 else { throw TensorError.invalidArgument("mse of empty tensors") }
        guard !value.isComplex, !target.value.isComplex else { throw TensorError.invalidArgument("mse takes real values") }
        let (p, t) = (try value.asFloat(), try target.value.asFloat())
        let saved = SavedSquaredError(count: p.count, labels: nil, classes: 1)
        let sum = p.storage.withUnsafeBufferPointer { pp in
            t.storage.withUnsafeBufferPointer { tp in Var.squaredErrorSum(pp, targets: tp, labels: Var.noLabels, classes: 1) }
        }
        return try Var.apply("mse", [self, target], value: Tensor(sum * saved.scale), rule: Rule(
            vjp: { g, c in try saved.vjp(g, c) },
            jvp: { t, c in try saved.jvp(t, c) }, replay: saved))
    }

    /// The mean squared error of these rows against the one-hot rows of class labels (the
    /// classes on the last axis): mean((z − onehot(y))²) over every element, as a regression
    /// onto one-hot targets is scored (Hui & Belkin 2021), without forming the one-hot rows.
    ///
    /// - Parameters:
    ///   - labels: Labels converted for this value's class axis (``ClassLabels``).
    /// - Returns: The 0-d mean.
    /// - Throws: `TensorError.invalidArgument` when the labels were converted for another number
    ///   of classes or the rows are empty; `ShapeError.mismatch` when there is not one label a row.
    public func mse(classes labels: ClassLabels) throws -> Var {
        guard ndim >= 1, let k = shape.last, labels.classes == k else {
            throw TensorError.invalidArgument("mse: the labels were checked for \(labels.classes) classes, the outputs have \(shape.last ?? 0)")
        }
        guard labels.shape.elementsEqual(shape.dropLast()) else { throw ShapeError.mismatch(op: "mse", lhs: shape, rhs: labels.shape) }
        guard count > 0 else { throw TensorError.invalidArgument("mse of empty tensors") }
        guard !value.isComplex else { throw TensorError.invalidArgument("mse takes real values") }
        let z = try value.asFloat()
        let saved = SavedSquaredError(count: z.count, labels: labels.values, classes: k)
        let sum = z.storage.withUnsafeBufferPointer { pz in
            labels.values.withUnsafeBufferPointer { ys in Var.squaredErrorSum(pz, targets: nil, labels: ys, classes: k) }
        }
        return try Var.apply("mse", [self], value: Tensor(sum * saved.scale), rule: Rule(
            vjp: { g, c in try saved.vjp(g, c) },
            jvp: { t, c in try saved.jvp(t, c) }, replay: saved))
    }

    /// Σ (p − t)² over p's elements in order, t the `targets` or, without them, the one-hot rows
    /// of `labels` over `classes` classes.
    fileprivate static func squaredErrorSum(_ p: UnsafeBufferPointer<Double>, targets t: UnsafeBufferPointer<Double>?,
                                            labels: UnsafeBufferPointer<Int>, classes k: Int) -> Double {
        var sum = 0.0
        eachDifference(p, t, labels, k) { _, d in sum += d * d }
        return sum
    }

    /// out = (p − t)·s over p's elements (t as in ``squaredErrorSum``), and −out into `negated`
    /// when given.
    fileprivate static func squaredErrorGradient(_ p: UnsafeBufferPointer<Double>, targets t: UnsafeBufferPointer<Double>?,
                                                 labels: UnsafeBufferPointer<Int>, classes k: Int, scale s: Double,
                                                 into out: UnsafeMutablePointer<Double>?, negated: UnsafeMutablePointer<Double>?) {
        eachDifference(p, t, labels, k) { i, d in
            let e = d * s
            out?[i] = e
            negated?[i] = -e
        }
    }

    /// body(i, p[i] − t[i]) for each element in order, t the targets or the labels' one-hot rows
    /// (a row of `classes` at a time: no division per element).
    @inline(__always)
    private static func eachDifference(_ p: UnsafeBufferPointer<Double>, _ t: UnsafeBufferPointer<Double>?,
                                       _ labels: UnsafeBufferPointer<Int>, _ k: Int, _ body: (Int, Double) -> Void) {
        if let t {
            for i in 0..<p.count { body(i, p[i] - t[i]) }
            return
        }
        guard k > 0 else { return }
        for row in 0..<Swift.min(labels.count, p.count / k) {
            let (base, y) = (row * k, labels[row])
            for j in 0..<k { body(base + j, p[base + j] - (j == y ? 1 : 0)) }
        }
    }

    /// No labels: the squared error against targets.
    fileprivate static var noLabels: UnsafeBufferPointer<Int> { UnsafeBufferPointer(start: nil, count: 0) }

    /// What the rules of a squared-error node keep: its size and its labels (against class
    /// labels), one object both capture. It is also the node's replay kernel, which reads the
    /// labels from the batch's targets.
    private final class SavedSquaredError: ReplaySource, ReplayKernel {
        let count: Int
        /// Whether the targets are class labels (one per row of `classes` outputs).
        let byLabels: Bool
        private var labels: [Int]
        let classes: Int
        /// 1/N.
        var scale: Double { 1 / Double(count) }

        init(count: Int, labels: [Int]?, classes: Int) {
            (self.count, self.byLabels, self.labels, self.classes) = (count, labels != nil, labels ?? [], classes)
        }

        /// p − t as a differentiable value, for a recorded rule (the labels' one-hot rows a constant).
        private func difference(_ c: RuleContext) throws -> Var {
            guard byLabels else { return try c.inputs[0] - c.inputs[1] }
            var onehot = [Double](repeating: 0, count: count)
            for (i, y) in labels.enumerated() { onehot[i * classes + y] = 1 }
            return try c.inputs[0] - Var(try Tensor(shape: c.inputs[0].shape, storage: onehot))
        }

        func vjp(_ g: Var, _ c: RuleContext) throws -> [Var?] {
            let traced = g.isTraced || c.inputs.contains(where: \.isTraced)
            guard !traced, let gv = g.value.scalarValue else {
                let e = try difference(c) * (g * (2 * scale))
                return byLabels ? [e] : [c.needs[0] ? e : nil, c.needs[1] ? try -e : nil]
            }
            let p = try c.inputs[0].value.asFloat()
            let t = byLabels ? nil : try c.inputs[1].value.asFloat()
            let needsTarget = !byLabels && c.needs[1]
            var dp = c.needs[0] ? try makeStorage(count) { _ in } : []
            var dt = needsTarget ? try makeStorage(count) { _ in } : []
            p.storage.withUnsafeBufferPointer { pp in
                (t?.storage ?? []).withUnsafeBufferPointer { tp in
                    labels.withUnsafeBufferPointer { ys in
                        dp.withUnsafeMutableBufferPointer { op in
                            dt.withUnsafeMutableBufferPointer { ot in
                                // An array not asked for is empty, and an empty array's buffer may still
                                // have an address, which must not be written.
                                Var.squaredErrorGradient(pp, targets: byLabels ? nil : tp, labels: ys, classes: classes,
                                                         scale: gv * (2 * scale), into: c.needs[0] ? op.baseAddress : nil,
                                                         negated: needsTarget ? ot.baseAddress : nil)
                            }
                        }
                    }
                }
            }
            let gp = c.needs[0] ? Var(try Tensor(shape: p.shape, storage: dp)) : nil
            return byLabels ? [gp] : [gp, needsTarget ? Var(try Tensor(shape: p.shape, storage: dt)) : nil]
        }

        func jvp(_ t: [Var?], _ c: RuleContext) throws -> Var? {
            var dt = t.first ?? nil
            if !byLabels, t.count > 1, let tt = t[1] { dt = try dt.map { try $0 - tt } ?? (try -tt) }
            guard let dt else { return nil }
            return try (difference(c) * dt).sum() * (2 * scale)
        }

        func replayKernel() -> (any ReplayKernel)? {
            SavedSquaredError(count: count, labels: byLabels ? labels : nil, classes: classes)
        }

        // MARK: Replay

        var outputCount: Int { 1 }
        var keptCount: Int { 0 }
        var scratchCount: Int { 0 }
        var targetCount: Int { byLabels ? labels.count : 0 }

        func forward(_ frame: ReplayFrame) throws {
            let p = UnsafeBufferPointer(start: frame.operands[0], count: count)
            guard byLabels else {
                let t = UnsafeBufferPointer(start: frame.operands[1], count: count)
                frame.output[0] = Var.squaredErrorSum(p, targets: t, labels: Var.noLabels, classes: 1) * scale
                return
            }
            let k = classes
            try Var.readLabels(frame.targets, classes: k, op: "mse", into: &labels)
            frame.output[0] = labels.withUnsafeBufferPointer { Var.squaredErrorSum(p, targets: nil, labels: $0, classes: k) } * scale
        }

        func backward(_ g: UnsafeMutablePointer<Double>, _ frame: ReplayFrame,
                      into cotangents: UnsafePointer<UnsafeMutablePointer<Double>?>) {
            let p = UnsafeBufferPointer(start: frame.operands[0], count: count)
            let t = byLabels ? nil : UnsafeBufferPointer(start: frame.operands[1], count: count)
            labels.withUnsafeBufferPointer { ys in
                Var.squaredErrorGradient(p, targets: t, labels: ys, classes: classes, scale: g[0] * (2 * scale),
                                         into: cotangents[0], negated: byLabels ? nil : cotangents[1])
            }
        }
    }
}
