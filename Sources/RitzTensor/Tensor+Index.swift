/// One item of a subscript such as `A[0, 1:3, mask]`.
public enum IndexItem: Sendable, Equatable {
    /// A single position; removes the axis. Negative counts from the end.
    case at(Int)
    /// A half-open slice with NumPy semantics (nil bounds are the ends; negative counts from the end).
    case slice(start: Int?, stop: Int?, step: Int?)
    /// A boolean mask or an integer index tensor (fancy indexing).
    case array(Tensor)

    /// The whole axis, `:`.
    public static let all = IndexItem.slice(start: nil, stop: nil, step: nil)
}

/// Indexing and indexed assignment. Every result is a copy.
extension Tensor {
    /// Reads `self[items]`.
    ///
    /// A bool mask of the tensor's full shape selects elements into a 1-d tensor; a bool mask of
    /// one axis or an integer tensor picks positions along that axis. At most one array item per
    /// subscript.
    /// - Throws: `ShapeError.indexOutOfRange`, `ShapeError.invalid` for too many indices.
    public func index(_ items: [IndexItem]) throws -> Tensor {
        if items.count == 1, case let .array(mask) = items[0], mask.dtype == .bool, mask.ndim > 1 || ndim == 1 {
            return try maskSelect(mask)
        }
        let plan = try indexPlan(items)
        let w = isComplex ? 2 : 1
        let n = try Tensor.elementCount(plan.shape, complex: isComplex)
        var out = [Double](repeating: 0, count: n * w)
        if n > 0, let last = plan.positions.last, let first = last.first,
           last.last == first + last.count - 1, zip(last, last.dropFirst()).allSatisfy({ $1 == $0 + 1 }) {
            // The last axis selects one ascending run: copy whole runs.
            let run = last.count * w
            var outer = plan
            outer.positions[outer.positions.count - 1] = [first]
            var k = 0
            storage.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                    forEachOffset(outer) { start in
                        (d + k).update(from: s + start * w, count: run)
                        k += run
                    }
                }
            }
        } else if n > 0 {
            var k = 0
            forEachOffset(plan) { src in
                for c in 0..<w { out[k * w + c] = storage[src * w + c] }
                k += 1
            }
        }
        return Tensor(unchecked: plan.shape, out, dtype: dtype)
    }

    /// Writes `value` (broadcast to the indexed shape) into `self[items]`.
    ///
    /// - Throws: as `index`, plus `ShapeError.mismatch` when `value` does not broadcast.
    public mutating func assign(_ items: [IndexItem], _ value: Tensor) throws {
        if value.isComplex && !isComplex { self = asComplex() }
        if dtype == .bool && value.dtype != .bool { self = try asFloat() }
        // An int64 tensor stays int64 only while every value written is an exact integer.
        if dtype == .int64 && !value.storage.allSatisfy({ $0 == $0.rounded() && Swift.abs($0) <= DType.exactIntegerLimit }) {
            self = try asFloat()
        }
        let v0 = isComplex ? value.asComplex() : value
        if items.count == 1, case let .array(mask) = items[0], mask.dtype == .bool, mask.ndim > 1 || ndim == 1 {
            guard mask.shape == shape else { throw ShapeError.mismatch(op: "mask", lhs: shape, rhs: mask.shape) }
            let positions = (0..<count).filter { mask.storage[$0] != 0 }
            let v = try v0.broadcast(to: [positions.count])
            let w = isComplex ? 2 : 1
            for (k, p) in positions.enumerated() { for c in 0..<w { storage[p * w + c] = v.storage[k * w + c] } }
            return
        }
        let plan = try indexPlan(items)
        let v = try v0.broadcast(to: plan.shape)
        let w = isComplex ? 2 : 1
        var k = 0
        var target = storage
        forEachOffset(plan) { dst in
            for c in 0..<w { target[dst * w + c] = v.storage[k * w + c] }
            k += 1
        }
        storage = target
    }

    private func maskSelect(_ mask: Tensor) throws -> Tensor {
        guard mask.shape == shape else { throw ShapeError.mismatch(op: "mask", lhs: shape, rhs: mask.shape) }
        let w = isComplex ? 2 : 1
        var out = [Double]()
        for i in 0..<count where mask.storage[i] != 0 {
            for c in 0..<w { out.append(storage[i * w + c]) }
        }
        return Tensor(unchecked: [out.count / w], out, dtype: dtype)
    }

    /// For each axis, the source positions it reads; `shape` is the result's shape.
    struct IndexPlan {
        var positions: [[Int]]
        var shape: [Int]
    }

    private func indexPlan(_ items: [IndexItem]) throws -> IndexPlan {
        guard items.count <= ndim else {
            throw ShapeError.invalid("too many indices: \(items.count) for a tensor with \(ndim) dimension\(ndim == 1 ? "" : "s")")
        }
        var positions = [[Int]]()
        var outShape = [Int]()
        var arrays = 0
        for axis in 0..<ndim {
            let size = shape[axis]
            let item = axis < items.count ? items[axis] : .all
            switch item {
            case let .at(i):
                let j = i < 0 ? i + size : i
                guard j >= 0 && j < size else { throw ShapeError.indexOutOfRange(index: i, axis: axis, size: size) }
                positions.append([j])
            case let .slice(start, stop, step):
                let r = try Tensor.sliceIndices(start: start, stop: stop, step: step, size: size)
                positions.append(r)
                outShape.append(r.count)
            case let .array(t):
                arrays += 1
                guard arrays == 1 else {
                    throw ShapeError.invalid("only one index array per subscript; index twice, e.g. A[i][:, j]")
                }
                if t.dtype == .bool {
                    guard t.ndim == 1, t.count == size else {
                        throw ShapeError.mismatch(op: "mask", lhs: [size], rhs: t.shape)
                    }
                    let p = (0..<size).filter { t.storage[$0] != 0 }
                    positions.append(p)
                    outShape.append(p.count)
                } else {
                    guard !t.isComplex else { throw TensorError.unsupportedDType(op: "index", dtype: .complex128) }
                    var p = [Int]()
                    p.reserveCapacity(t.count)
                    for v in t.storage {
                        guard v == v.rounded(), Swift.abs(v) < 1e15 else {
                            throw ShapeError.invalid("index \(v) is not an integer")
                        }
                        let i = Int(v), j = i < 0 ? i + size : i
                        guard j >= 0 && j < size else { throw ShapeError.indexOutOfRange(index: i, axis: axis, size: size) }
                        p.append(j)
                    }
                    positions.append(p)
                    outShape.append(contentsOf: t.shape)
                }
            }
        }
        return IndexPlan(positions: positions, shape: outShape)
    }

    /// Calls `body` with each flat source offset of the plan, in row-major result order.
    private func forEachOffset(_ plan: IndexPlan, _ body: (Int) -> Void) {
        let st = strides
        let lists = plan.positions
        if lists.contains(where: { $0.isEmpty }) { return }
        if lists.isEmpty { body(0); return }
        var counter = [Int](repeating: 0, count: lists.count)
        while true {
            var off = 0
            for a in 0..<lists.count { off += lists[a][counter[a]] * st[a] }
            body(off)
            var d = lists.count - 1
            while d >= 0 {
                counter[d] += 1
                if counter[d] < lists[d].count { break }
                counter[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }

    /// The positions `start:stop:step` selects along an axis of `size`, as Python's `slice.indices`.
    ///
    /// - Throws: `ShapeError.invalid` for a zero step.
    public static func sliceIndices(start: Int?, stop: Int?, step: Int?, size: Int) throws -> [Int] {
        let r = try sliceRange(start: start, stop: stop, step: step, size: size)
        return (0..<r.count).map { r.first + $0 * r.step }
    }

    /// The same selection as `sliceIndices`, as its first position, count and step (no array).
    ///
    /// - Throws: `ShapeError.invalid` for a zero step.
    public static func sliceRange(start: Int?, stop: Int?, step: Int?, size: Int) throws -> (first: Int, count: Int, step: Int) {
        let s = step ?? 1
        guard s != 0 else { throw ShapeError.invalid("slice step cannot be zero") }
        func clamp(_ v: Int?, _ dflt: Int, lo: Int, hi: Int) -> Int {
            guard let v else { return dflt }
            let x = v < 0 ? v &+ size : v
            return Swift.min(Swift.max(x, lo), hi)
        }
        if s > 0 {
            let a = clamp(start, 0, lo: 0, hi: size), b = clamp(stop, size, lo: 0, hi: size)
            return (a, a < b ? (b - a - 1) / s + 1 : 0, s)
        }
        let a = clamp(start, size - 1, lo: -1, hi: size - 1), b = clamp(stop, -1, lo: -1, hi: size - 1)
        // s may be Int.min: count with magnitudes that cannot overflow.
        let span = a - b, mag = s == Int.min ? Int.max : -s
        return (a, a > b ? (span - 1) / mag + 1 : 0, s)
    }
}
