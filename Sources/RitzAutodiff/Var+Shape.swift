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
        let t = try Var.apply("transpose", [self], value: y, rule: try transposeRule(perm))
        if t.isTraced { KroneckerCapture.noteTranspose(of: self, t) }
        return t
    }

    /// The rule of ``transposed(_:)``: the permutation forward, its inverse back. A matrix's `.T`
    /// is its own inverse and needs no permutation built or captured.
    private func transposeRule(_ perm: [Int]?) throws -> Rule {
        if perm == nil, ndim == 2 { return .linear(apply: { try $0.transposed() }, transpose: { try $0.transposed() }) }
        let p = try (perm ?? Array((0..<ndim).reversed())).map { try value.normalizedAxis($0) }
        var inverse = [Int](repeating: 0, count: p.count)
        for (i, axis) in p.enumerated() { inverse[axis] = i }
        return .linear(apply: { try $0.transposed(p) }, transpose: { try $0.transposed(inverse) })
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

    /// Sums a broadcast value down to `target` (the adjoint of broadcasting). Its cotangent is
    /// the broadcast of ḡ, which the tape leaves to broadcasting arithmetic (see `Tape.backward`).
    ///
    /// - Parameters:
    ///   - target: A shape that broadcasts to this one.
    /// - Returns: The sums.
    /// - Throws: `ShapeError.mismatch`.
    public func sumToShape(_ target: [Int]) throws -> Var {
        if shape == target { return self }
        return try sumToShapeNode(target, value: value.sumToShape(target))
    }

    /// ``sumToShape(_:)`` recorded without computing its sums when `valueUnread` (a cotangent
    /// recorded only to be differentiated again, ``RuleContext/valuesUnread``: a bias's in H v)
    /// and this value is traced: the node holds a placeholder and the same linear rule, which
    /// never reads it.
    func sumToShape(_ target: [Int], valueUnread: Bool) throws -> Var {
        guard valueUnread, isTraced, shape != target else { return try sumToShape(target) }
        guard Tensor.broadcasts(target, into: shape) else {
            throw ShapeError.mismatch(op: "sum_to_shape", lhs: shape, rhs: target)
        }
        return try sumToShapeNode(target, value: Var.placeholder(target))
    }

    /// The recorded sum down to `target`, with the value `y`.
    private func sumToShapeNode(_ target: [Int], value y: Tensor) throws -> Var {
        try Var.apply("sum_to_shape", [self], value: y, rule: .linear(apply: { try $0.sumToShape(target) }, transpose: { $0 }))
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
        guard isTraced else { return Var(try value.index(items)) }
        if let (offset, outShape) = try contiguousBlock(items) { return try block(offset: offset, shape: outShape) }
        let y = try value.index(items)
        // The flat source position of every selected element: index an arange of the same shape.
        let positions = try Tensor.arange(0, Double(count)).reshaped(shape).index(items).storage.map { Int($0) }
        return try gather(positions, shape: y.shape)
    }

    /// The flat offset and result shape of a subscript that selects one contiguous run of the
    /// row-major storage: leading integers, then at most one step-1 slice, then whole axes
    /// (`w[0:4096]`, `A[i]`, `A[2:5, :]`); nil for any other subscript.
    ///
    /// - Throws: `ShapeError` for positions out of range, as `Tensor.index` would.
    func contiguousBlock(_ items: [IndexItem]) throws -> (offset: Int, shape: [Int])? {
        guard items.count <= ndim, value.dtype == .float64 else { return nil }
        let dims = shape
        var strides = [Int](repeating: 1, count: dims.count)
        for d in stride(from: dims.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * dims[d + 1] }
        var offset = 0, outShape = [Int](), sliced = false
        for axis in 0..<dims.count {
            let size = dims[axis]
            let item = axis < items.count ? items[axis] : .all
            switch item {
            case let .at(i):
                if sliced { return nil }
                let j = i < 0 ? i + size : i
                guard j >= 0 && j < size else { throw ShapeError.indexOutOfRange(index: i, axis: axis, size: size) }
                offset += j * strides[axis]
            case let .slice(start, stop, step):
                guard step == nil || step == 1 else { return nil }
                let r = try Tensor.sliceRange(start: start, stop: stop, step: 1, size: size)
                if sliced && r.count != size { return nil }
                if !sliced, r.count > 0 { offset += r.first * strides[axis] }
                sliced = true
                outShape.append(r.count)
            case .array:
                return nil
            }
        }
        return (offset, outShape)
    }

    /// The `shape`-sized run of the flat storage starting at `offset`; linear, its transpose
    /// pads with zeros back to this value's shape.
    func block(offset: Int, shape outShape: [Int]) throws -> Var {
        let n = try Tensor.elementCount(outShape)
        precondition(offset >= 0 && offset + n <= count, "block outside the storage")
        let y = try Tensor(shape: outShape, storage: Array(value.storage[offset..<(offset + n)]))
        let inShape = shape
        return try Var.apply("index", [self], value: y,
                             rule: .linear(apply: { try $0.block(offset: offset, shape: outShape) },
                                           transpose: { try $0.padBlock(offset: offset, shape: inShape) }))
    }

    /// A tensor of `shape`, zero except for this value's elements written from flat `offset`.
    func padBlock(offset: Int, shape outShape: [Int]) throws -> Var {
        let total = try Tensor.elementCount(outShape)
        precondition(offset >= 0 && offset + count <= total, "block outside the storage")
        var out = [Double](repeating: 0, count: total)
        let src = try value.asFloat().storage
        out.replaceSubrange(offset..<(offset + src.count), with: src)
        let y = try Tensor(shape: outShape, storage: out)
        let inShape = shape
        return try Var.apply("index_pad", [self], value: y,
                             rule: .linear(apply: { try $0.padBlock(offset: offset, shape: outShape) },
                                           transpose: { try $0.block(offset: offset, shape: inShape) }))
    }

    /// The slices along the first axis, each a traced view (a `for` loop over a traced tensor).
    ///
    /// - Returns: `self[0]`, `self[1]`, …
    /// - Throws: `ShapeError.wrongRank` for a 0-d value.
    public func unstacked() throws -> [Var] {
        guard ndim >= 1 else {
            throw ShapeError.wrongRank(op: "iteration", expected: "a tensor with at least one dimension", got: shape)
        }
        return try (0..<shape[0]).map { try index([.at($0)]) }
    }

    /// This value with `self[items]` replaced by `newValue` (broadcast), as indexed assignment
    /// `y[items] = v` does, differentiable in both: where(written, scatter(v), self). Where a
    /// fancy index writes one position twice the last write wins (as NumPy), and only that
    /// write receives the position's derivative.
    ///
    /// - Parameters:
    ///   - items: The subscript.
    ///   - newValue: The values written, broadcast to the selection's shape.
    /// - Returns: The updated value (a new node; `self` is unchanged).
    /// - Throws: `ShapeError` as `Tensor.assign` for bad subscripts or shapes.
    public func assigning(_ items: [IndexItem], _ newValue: Var) throws -> Var {
        var y = value
        try y.assign(items, newValue.value)
        guard isTraced || newValue.isTraced else { return Var(y) }
        let base = value.dtype == .float64 ? self : Var(try value.asFloat())
        let selection = try Tensor.arange(0, Double(count)).reshaped(shape).index(items)
        let positions = selection.storage.map { Int($0) }
        var last = [Int: Int]()
        for (k, p) in positions.enumerated() { last[p] = k }
        var written = [Double](repeating: 0, count: count)
        var winners = [Int](), targets = [Int]()
        for (k, p) in positions.enumerated() where last[p] == k {
            winners.append(k)
            targets.append(p)
            written[p] = 1
        }
        let spread = try newValue.broadcast(to: selection.shape).flattened()
        let scattered = try spread.gather(winners, shape: [winners.count]).scatterAdd(targets, shape: shape)
        return try Var.where(Tensor(shape: shape, storage: written), scattered, base)
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
