import RitzTensor

/// Layer primitives: losses, one-hot labels, gathers, normalisation and dropout.
///
/// Each is written from primitives that carry their own rules (the fused cross-entropy and
/// layernorm nodes, the index gather and its scatter-add transpose, elementwise arithmetic), so
/// its VJP and JVP are those rules and differentiate again: the HVP needs nothing more.
extension Var {
    /// Class labels as integers: every element a whole number in `0 ..< classes`.
    ///
    /// Labels may come as integer-valued float tensors (as `.npy` files from NumPy often hold
    /// them) or booleans.
    /// - Parameters:
    ///   - labels: The labels, any shape.
    ///   - classes: The number of classes.
    ///   - op: The operation, named in errors.
    /// - Returns: The labels in row-major order.
    /// - Throws: `TensorError.invalidArgument` for a label that is not a whole number in range.
    public static func classLabels(_ labels: Tensor, classes: Int, op: String) throws -> [Int] {
        guard !labels.isComplex else { throw TensorError.invalidArgument("\(op) needs real labels, got a complex tensor") }
        guard classes >= 1 else { throw TensorError.invalidArgument("\(op) needs at least one class, got \(classes)") }
        let values = try labels.asFloat().storage
        var valid = true
        let out = values.withUnsafeBufferPointer { src in
            [Int](unsafeUninitializedCapacity: src.count) { dst, initialized in
                if let base = dst.baseAddress { valid = convertLabels(src, classes: classes, into: base) }
                initialized = src.count
            }
        }
        guard valid else { throw values.withUnsafeBufferPointer { badLabel(in: $0, classes: classes, op: op) } }
        return out
    }

    /// Converts `labels` to classes in `dst` (as many), returning whether every one is a whole
    /// number in `0 ..< classes`. One pass converts and checks without an early exit (a plain
    /// loop, about four times faster than one that stops); only a failed check looks for the
    /// offending label (``badLabel(in:classes:op:)``).
    static func convertLabels(_ labels: UnsafeBufferPointer<Double>, classes: Int, into dst: UnsafeMutablePointer<Int>) -> Bool {
        let limit = Double(classes)
        var valid = true
        for i in 0..<labels.count {
            // NaN fails the comparisons; inside the range Int(v) is exact, so a fraction shows.
            let v = labels[i]
            let ok = v >= 0 && v < limit
            let whole = ok ? Int(v) : 0
            valid = valid && ok && Double(whole) == v
            dst[i] = whole
        }
        return valid
    }

    /// The batch's `targets` as class labels into `labels` (kept from call to call, as many).
    ///
    /// - Throws: `TensorError.invalidArgument` naming `op` for a label that is not a whole number
    ///   in `0 ..< classes` or a count that differs.
    static func readLabels(_ targets: UnsafeBufferPointer<Double>, classes: Int, op: String, into labels: inout [Int]) throws {
        let valid = labels.withUnsafeMutableBufferPointer { ys in
            guard let dst = ys.baseAddress, targets.count == ys.count else { return false }
            return convertLabels(targets, classes: classes, into: dst)
        }
        guard valid else { throw badLabel(in: targets, classes: classes, op: op) }
    }

    /// The error for the first label of `labels` that is not a whole number in `0 ..< classes`.
    static func badLabel(in labels: UnsafeBufferPointer<Double>, classes: Int, op: String) -> TensorError {
        let limit = Double(classes)
        guard let v = labels.first(where: { v in !(v >= 0 && v < limit) || Double(Int(v)) != v }) else {
            return TensorError.invalidArgument("\(op) needs one label per position, got \(labels.count)")
        }
        let shown = v.isFinite && v == v.rounded() && v.magnitude < 1e15 ? "\(Int(v))" : "\(v)"
        return TensorError.invalidArgument("\(op) needs labels that are whole numbers in 0..<\(classes), got \(shown)")
    }

    /// One-hot rows: `labels.shape + [classes]`, 1 at each label's class and 0 elsewhere.
    ///
    /// A function of integer labels only, so its result is a constant.
    /// - Parameters:
    ///   - labels: Whole numbers in `0 ..< classes`.
    ///   - classes: The number of classes.
    /// - Returns: The one-hot tensor.
    /// - Throws: `TensorError.invalidArgument` for bad labels; `TensorError.tooLarge` for a huge result.
    public static func onehot(_ labels: Tensor, classes: Int) throws -> Tensor {
        let ys = try classLabels(labels, classes: classes, op: "onehot")
        let shape = labels.shape + [classes]
        var out = [Double](repeating: 0, count: try Tensor.elementCount(shape))
        for (i, y) in ys.enumerated() { out[i * classes + y] = 1 }
        return try Tensor(shape: shape, storage: out)
    }

    /// Softmax cross-entropy: the mean over every position of −log softmax(logits)[label], the
    /// softmax taken along the last axis.
    ///
    /// −log softmax(z)[y] = logsumexp(z) − z[y], one fused node (`softmaxCrossEntropy`): the
    /// gradient is (softmax(z) − onehot(y))/n and every higher order follows from its rules.
    /// - Parameters:
    ///   - labels: One whole number per position: shape `logits.shape` without its last axis.
    /// - Returns: The 0-d mean loss.
    /// - Throws: `ShapeError.mismatch` (logits, labels) when the labels' shape is not the logits'
    ///   without the class axis; `TensorError.invalidArgument`
    ///   for labels outside `0 ..< classes` or 0-d logits.
    public func crossEntropy(_ labels: Tensor) throws -> Var {
        try crossEntropy(try ClassLabels(labels, logits: self))
    }

    /// Softmax cross-entropy at labels already converted (``ClassLabels``), as a trainer that
    /// scores the same batch every step keeps them; otherwise as ``crossEntropy(_:)-(Tensor)``.
    ///
    /// - Parameters:
    ///   - labels: Labels converted for this value's class axis.
    /// - Returns: The 0-d mean loss.
    /// - Throws: `TensorError.invalidArgument` when the labels were converted for another number
    ///   of classes or the batch is empty; `ShapeError.mismatch` as ``crossEntropy(_:)-(Tensor)``.
    public func crossEntropy(_ labels: ClassLabels) throws -> Var {
        let classes = try classAxis()
        guard labels.classes == classes else {
            throw TensorError.invalidArgument("cross_entropy: the labels were checked for \(labels.classes) classes, the logits have \(classes)")
        }
        try checkLabelShape(labels.shape, count: labels.values.count)
        guard !labels.values.isEmpty else { throw TensorError.invalidArgument("cross_entropy of an empty batch") }
        return try Var.softmaxCrossEntropy(self, labels: labels.values, classes: classes)
    }

    /// The length of the class axis (the last) of these logits.
    fileprivate func classAxis() throws -> Int {
        guard ndim >= 1, let classes = shape.last else {
            throw TensorError.invalidArgument("cross_entropy needs logits with a class axis, got a 0-d value")
        }
        return classes
    }

    /// Labels of shape `labelShape` fit these logits: one per position (the shape without the
    /// class axis), or one for a single row of logits.
    fileprivate func checkLabelShape(_ labelShape: [Int], count: Int) throws {
        let lead = shape.dropLast()
        guard labelShape.elementsEqual(lead) || (count == 1 && lead.isEmpty) else {
            throw ShapeError.mismatch(op: "cross_entropy", lhs: shape, rhs: labelShape)
        }
    }

    /// NumPy's `take(x, idx, axis)`: the slices of `x` along `axis` at the positions `idx`,
    /// of shape `shape[..<axis] + idx.shape + shape[(axis+1)...]` (an embedding lookup for axis 0).
    ///
    /// Negative indices count from the end. A gather of flat positions, linear in x: its VJP
    /// scatter-adds (repeated indices accumulate), its JVP gathers the tangent.
    /// - Parameters:
    ///   - indices: Whole numbers in `-n ..< n`, n the length of `axis`; any shape.
    ///   - axis: The axis (negative counts from the end).
    /// - Returns: The gathered slices.
    /// - Throws: `ShapeError.badAxis`, `ShapeError.indexOutOfRange`, `TensorError.invalidArgument`
    ///   for indices that are not whole numbers.
    public func take(_ indices: Tensor, axis: Int = 0) throws -> Var {
        guard ndim >= 1 else { throw TensorError.invalidArgument("take needs a tensor with at least one axis, got a 0-d value") }
        let ax = try value.normalizedAxis(axis)
        let n = shape[ax]
        let outer = shape[..<ax].reduce(1, *), inner = shape[(ax + 1)...].reduce(1, *)
        let idx = try indices.asFloat().storage.map { v -> Int in
            guard v.isFinite, v == v.rounded() else {
                throw TensorError.invalidArgument("take needs whole-number indices, got \(v)")
            }
            guard v.magnitude < 1e15 else {
                throw TensorError.invalidArgument("take: index \(v) is out of range for axis \(ax) of size \(n)")
            }
            guard v >= -Double(n), v < Double(n) else { throw ShapeError.indexOutOfRange(index: Int(v), axis: ax, size: n) }
            let i = Int(v)
            return i < 0 ? i + n : i
        }
        let outShape = Array(shape[..<ax]) + indices.shape + Array(shape[(ax + 1)...])
        _ = try Tensor.elementCount(outShape)
        var positions = [Int]()
        positions.reserveCapacity(outer * idx.count * inner)
        for o in 0..<outer {
            for i in idx {
                let base = (o * n + i) * inner
                for k in 0..<inner { positions.append(base + k) }
            }
        }
        return try gather(positions, shape: outShape)
    }

    /// Layer normalisation without affine part: (x − mean)/√(var + eps) along `axis`, var
    /// dividing by n (Ba et al., 2016; `jax.nn.standardize`).
    ///
    /// One fused node with hand-derived rules (`Var+LayerNorm.swift`).
    /// - Parameters:
    ///   - axis: The normalised axis.
    ///   - eps: Added to the variance; must be ≥ 0.
    /// - Returns: The normalised value, of this value's shape.
    /// - Throws: `ShapeError.badAxis`; `TensorError.invalidArgument` for eps < 0.
    public func layernorm(axis: Int = -1, eps: Double = 1e-5) throws -> Var {
        guard eps >= 0, eps.isFinite else { throw TensorError.invalidArgument("layernorm needs eps ≥ 0, got \(eps)") }
        guard ndim >= 1 else { throw TensorError.invalidArgument("layernorm needs a tensor with at least one axis, got a 0-d value") }
        return try Var.fusedLayerNorm(self, axis: value.normalizedAxis(axis), eps: eps)
    }

    /// Inverted dropout: each element kept with probability 1 − p and scaled by 1/(1 − p), else
    /// 0, so the expectation is x; the identity when p = 0 or in evaluation (`train` false), and
    /// then nothing is drawn.
    ///
    /// The mask is drawn from `rng` (uniform u, kept where u ≥ p), so the same seed gives the same
    /// mask. A dropped element is selected away, not multiplied by 0, as JAX's and Flax's dropout
    /// select: it is exactly +0 even where x is negative, ±∞ or NaN (x·0 would be −0 or NaN).
    /// The map is linear and diagonal, so its tangent and its cotangent are the same selection.
    /// - Parameters:
    ///   - p: The drop probability in [0, 1].
    ///   - train: False in evaluation: the identity.
    ///   - rng: The generator the mask is drawn from.
    /// - Returns: The masked, rescaled value (all zeros for p = 1).
    /// - Throws: `TensorError.invalidArgument` for p outside [0, 1].
    public func dropout(_ p: Double, train: Bool = true, using rng: inout RandomGenerator) throws -> Var {
        guard p >= 0, p <= 1 else { throw TensorError.invalidArgument("dropout needs 0 ≤ p ≤ 1, got \(p)") }
        if p == 0 || !train { return self }
        let keep = try Tensor.rand(shape, using: &rng).storage.map { $0 >= p }
        let scale = p < 1 ? 1 / (1 - p) : 0
        if value.isComplex {
            return try self * Var(try Tensor(shape: shape, storage: keep.map { $0 ? scale : 0 }))
        }
        return try selected(keep, scale: scale)
    }

    /// x·scale where `keep` is true and exactly 0 elsewhere (`keep` one flag per element): the
    /// selection of ``dropout(_:train:using:)``, its own tangent and transpose.
    private func selected(_ keep: [Bool], scale: Double) throws -> Var {
        let x = try value.asFloat()
        let n = x.count
        guard keep.count == n else { throw ShapeError.invalid("a dropout mask of \(keep.count) flags for \(n) values") }
        let out = try x.storage.withUnsafeBufferPointer { src in
            try makeStorage(n) { dst in
                for i in 0..<n { dst[i] = keep[i] ? src[i] * scale : 0 }
            }
        }
        return try Var.apply("dropout", [self], value: try Tensor(shape: shape, storage: out),
                             rule: .linear(apply: { try $0.selected(keep, scale: scale) },
                                           transpose: { try $0.selected(keep, scale: scale) }))
    }
}

/// Class labels checked and converted to integers once, for a loss that meets the same labels
/// again (a full-batch trainer's every step): ``Var/crossEntropy(_:)-(ClassLabels)``.
public struct ClassLabels: Sendable {
    /// The labels in row-major order, each in `0 ..< classes`.
    public let values: [Int]
    /// The labels' tensor shape.
    public let shape: [Int]
    /// The number of classes they were checked against.
    public let classes: Int

    /// Checks and converts `labels` (``Var/classLabels(_:classes:op:)``).
    ///
    /// - Parameters:
    ///   - labels: Whole numbers in `0 ..< classes`, any shape.
    ///   - classes: The number of classes.
    ///   - op: The operation, named in errors.
    /// - Throws: `TensorError.invalidArgument` for a label that is not a whole number in range.
    public init(_ labels: Tensor, classes: Int, op: String) throws {
        values = try Var.classLabels(labels, classes: classes, op: op)
        shape = labels.shape
        self.classes = classes
    }

    /// Checks and converts `labels` for the logits `logits`: one label per position, in range
    /// of its class axis.
    ///
    /// - Parameters:
    ///   - labels: One whole number per position: shape `logits.shape` without its last axis.
    ///   - logits: The logits they label.
    /// - Throws: As ``Var/crossEntropy(_:)-(Tensor)``.
    public init(_ labels: Tensor, logits: Var) throws {
        let classes = try logits.classAxis()
        try logits.checkLabelShape(labels.shape, count: labels.count)
        try self.init(labels, classes: classes, op: "cross_entropy")
    }
}
