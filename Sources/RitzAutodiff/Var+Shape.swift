import RitzTensor

/// Shape primitives: all linear, each with its transpose as the reverse rule.
extension Var {
    /// The same elements in a new shape (one dimension may be −1).
    ///
    /// - Parameters:
    ///   - newShape: The shape.
    /// - Returns: The reshaped value.
    /// - Throws: `ShapeError.badReshape`.
    public func reshaped(_ newShape: [Int]) throws -> Var {
        let y = try value.reshaped(newShape)
        if y.shape == shape { return self }
        let from = shape, to = y.shape
        return try Var.apply("reshape", [self], value: y,
                             rule: .linear(apply: { try $0.reshaped(to) }, transpose: { try $0.reshaped(from) }))
    }

    /// All elements as a 1-d value.
    public func flattened() throws -> Var { try reshaped([count]) }

    /// Axes permuted by `perm` (reversed when nil).
    ///
    /// - Parameters:
    ///   - perm: A permutation of the axes.
    /// - Returns: The transposed value.
    /// - Throws: `ShapeError.invalid` for a bad permutation.
    public func transposed(_ perm: [Int]? = nil) throws -> Var {
        let y = try value.transposed(perm)
        if ndim < 2 { return self }
        let p = try (perm ?? Array((0..<ndim).reversed())).map { try value.normalizedAxis($0) }
        var inverse = [Int](repeating: 0, count: p.count)
        for (i, axis) in p.enumerated() { inverse[axis] = i }
        return try Var.apply("transpose", [self], value: y,
                             rule: .linear(apply: { try $0.transposed(p) }, transpose: { try $0.transposed(inverse) }))
    }

    /// Reversed axes (NumPy's `.T`).
    public var T: Var { get throws { try transposed() } }

    /// The last two axes swapped (the matrix transpose of each matrix in a stack).
    public func swapLastAxes() throws -> Var {
        guard ndim >= 2 else { return self }
        var p = Array(0..<ndim)
        p.swapAt(ndim - 1, ndim - 2)
        return try transposed(p)
    }

    /// Broadcast to `target` (NumPy rules); its transpose sums back (`sumToShape`).
    ///
    /// - Parameters:
    ///   - target: A shape this one broadcasts to.
    /// - Returns: The broadcast value.
    /// - Throws: `ShapeError.mismatch`.
    public func broadcast(to target: [Int]) throws -> Var {
        if shape == target { return self }
        let from = shape
        return try Var.apply("broadcast", [self], value: value.broadcast(to: target),
                             rule: .linear(apply: { try $0.broadcast(to: target) }, transpose: { try $0.sumToShape(from) }))
    }

    /// Sums a broadcast value down to `target` (the adjoint of broadcasting).
    ///
    /// - Parameters:
    ///   - target: A shape that broadcasts to this one.
    /// - Returns: The sums.
    /// - Throws: `ShapeError.mismatch`.
    public func sumToShape(_ target: [Int]) throws -> Var {
        if shape == target { return self }
        let from = shape
        return try Var.apply("sum_to_shape", [self], value: Var.sumLeading(value, to: target) ?? value.sumToShape(target),
                             rule: .linear(apply: { try $0.sumToShape(target) }, transpose: { try $0.broadcast(to: from) }))
    }

    /// The common case of `sumToShape` where only leading axes are summed away (a bias gradient):
    /// rows are added in order, contiguously, instead of a strided reduction per output element.
    /// Rounding error at most (rows)·ε relative to the sum of magnitudes.
    static func sumLeading(_ x: Tensor, to target: [Int]) -> Tensor? {
        let shape = x.shape
        guard x.dtype == .float64, target.count <= shape.count,
              Array(shape.suffix(target.count)) == target,
              target.allSatisfy({ $0 > 0 }) else { return nil }
        let inner = target.reduce(1, *)
        let rows = x.count / inner
        guard rows > 1 else { return nil }
        var out = [Double](repeating: 0, count: inner)
        x.storage.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                for r in 0..<rows {
                    let row = s + r * inner
                    for j in 0..<inner { d[j] += row[j] }
                }
            }
        }
        return try? Tensor(shape: target, storage: out)
    }

    /// `self[items]` with NumPy semantics (integers, slices, one mask or index array).
    ///
    /// Recorded as a gather of flat positions; its transpose scatter-adds, so repeated indices
    /// accumulate.
    /// - Parameters:
    ///   - items: The subscript.
    /// - Returns: The selected elements.
    /// - Throws: `ShapeError` for indices out of range.
    public func index(_ items: [IndexItem]) throws -> Var {
        let y = try value.index(items)
        guard isTraced else { return Var(y) }
        // The flat source position of every selected element: index an arange of the same shape.
        let positions = try Tensor.arange(0, Double(count)).reshaped(shape).index(items).storage.map { Int($0) }
        return try gather(positions, shape: y.shape)
    }

    /// Elements at flat `positions`, arranged in `shape`.
    func gather(_ positions: [Int], shape outShape: [Int]) throws -> Var {
        let src = value.storage
        let y = try Tensor(shape: outShape, storage: positions.map { src[$0] })
        let inShape = shape
        return try Var.apply("index", [self], value: y,
                             rule: .linear(apply: { try $0.gather(positions, shape: outShape) },
                                           transpose: { try $0.scatterAdd(positions, shape: inShape) }))
    }

    /// A tensor of `shape` holding zeros plus this value's elements added at flat `positions`.
    func scatterAdd(_ positions: [Int], shape outShape: [Int]) throws -> Var {
        let n = try Tensor.elementCount(outShape)
        var out = [Double](repeating: 0, count: n)
        let src = value.storage
        for (k, p) in positions.enumerated() { out[p] += src[k] }
        let y = try Tensor(shape: outShape, storage: out)
        let inShape = shape
        return try Var.apply("index_add", [self], value: y,
                             rule: .linear(apply: { try $0.scatterAdd(positions, shape: outShape) },
                                           transpose: { try $0.gather(positions, shape: inShape) }))
    }

    /// Joins values along an existing axis.
    ///
    /// - Parameters:
    ///   - parts: The values (at least one, equal shapes except along `axis`).
    ///   - axis: The axis.
    /// - Returns: The joined value.
    /// - Throws: `ShapeError`.
    public static func concat(_ parts: [Var], axis: Int = 0) throws -> Var {
        let y = try Tensor.concat(parts.map(\.value), axis: axis)
        guard parts.contains(where: { $0.isTraced }) else { return Var(y) }
        let ax = try y.normalizedAxis(axis)
        let sizes = parts.map { $0.shape[ax] }
        let shapes = parts.map(\.shape)
        return try apply("concat", parts, value: y, rule: Rule(
            vjp: { g, c in
                var out = [Var?]()
                var offset = 0
                for (k, size) in sizes.enumerated() {
                    if c.needs[k] {
                        var items = [IndexItem](repeating: .all, count: ax)
                        items.append(.slice(start: offset, stop: offset + size, step: 1))
                        out.append(try g.index(items))
                    } else {
                        out.append(nil)
                    }
                    offset += size
                }
                return out
            },
            jvp: { t, _ in
                try concat(zip(t, shapes).map { ti, s in try ti ?? Var(Tensor.zeros(s)) }, axis: ax)
            }))
    }

    /// Joins equal-shaped values along a new axis.
    ///
    /// - Parameters:
    ///   - parts: The values.
    ///   - axis: Position of the new axis.
    /// - Returns: The stacked value.
    /// - Throws: `ShapeError`.
    public static func stack(_ parts: [Var], axis: Int = 0) throws -> Var {
        guard let first = parts.first else { throw ShapeError.invalid("stack needs at least one tensor") }
        for p in parts where p.shape != first.shape {
            throw ShapeError.mismatch(op: "stack", lhs: first.shape, rhs: p.shape)
        }
        let a = axis < 0 ? axis + first.ndim + 1 : axis
        guard a >= 0 && a <= first.ndim else { throw ShapeError.badAxis(axis: axis, ndim: first.ndim + 1) }
        var expanded = first.shape
        expanded.insert(1, at: a)
        return try concat(parts.map { try $0.reshaped(expanded) }, axis: a)
    }

    /// The elements along `axis` in reverse order.
    func flipped(axis: Int) throws -> Var {
        var items = [IndexItem](repeating: .all, count: axis)
        items.append(.slice(start: nil, stop: nil, step: -1))
        return try index(items)
    }
}
