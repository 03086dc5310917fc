import RitzTensor

extension Dataset {
    /// Rows `rows` of the data, in that order, as tensors of the data's dtypes and per-sample
    /// shapes, in storage drawn from the memory account's pool: once the last batch's tensors are
    /// released their arrays are back in the pool, and the next minibatch of the same size
    /// refills the same storage in place, so steady-state training allocates no new batch.
    ///
    /// - Parameter rows: Sample indices in `0..<count`.
    /// - Returns: The inputs `[rows.count] + sampleShape` and the targets `[rows.count, …]`.
    /// - Throws: `ShapeError.indexOutOfRange` for an index outside the data; `TensorError` past
    ///   the memory limit.
    func minibatch(rows: ArraySlice<Int>) throws -> (x: Tensor, y: Tensor) {
        try checkRows(rows)
        let xs = try Dataset.rows(of: x.storage, width: features, rows: rows)
        let ys = try Dataset.rows(of: y.storage, width: y.count / Swift.max(count, 1), rows: rows)
        return (try Tensor(shape: Dataset.shape(x.shape, rows: rows.count), storage: xs, dtype: x.dtype),
                try Tensor(shape: Dataset.shape(y.shape, rows: rows.count), storage: ys, dtype: y.dtype))
    }

    /// Rows `rows` of the inputs and the targets written into `inputs` and `targets`, one row
    /// after another (each resized to fit, in place when it already does): a minibatch gathered
    /// into the caller's arrays without making tensors, for a training step that replays its
    /// recording.
    ///
    /// - Throws: `ShapeError.indexOutOfRange` for an index outside the data.
    func gather(rows: ArraySlice<Int>, inputs: inout [Double], targets: inout [Double]) throws {
        try checkRows(rows)
        let (wx, wy) = (features, y.count / Swift.max(count, 1))
        Dataset.resize(&inputs, to: rows.count * wx)
        Dataset.resize(&targets, to: rows.count * wy)
        x.storage.withUnsafeBufferPointer { src in
            inputs.withUnsafeMutableBufferPointer { dst in Dataset.copyRows(src, width: wx, rows: rows, into: dst) }
        }
        y.storage.withUnsafeBufferPointer { src in
            targets.withUnsafeMutableBufferPointer { dst in Dataset.copyRows(src, width: wy, rows: rows, into: dst) }
        }
    }

    /// `array` made `count` long, in its own storage when that is large enough (an epoch's shorter
    /// last batch and the next full one then take no new array).
    private static func resize(_ array: inout [Double], to count: Int) {
        guard array.count != count else { return }
        if array.capacity >= count {
            array.removeAll(keepingCapacity: true)
            array.append(contentsOf: repeatElement(0, count: count))
        } else {
            array = [Double](repeating: 0, count: count)
        }
    }

    /// Throws for an index outside the data.
    private func checkRows(_ rows: ArraySlice<Int>) throws {
        let n = count
        for i in rows where i < 0 || i >= n { throw ShapeError.indexOutOfRange(index: i, axis: 0, size: n) }
    }

    /// `shape` with `rows` on its first axis (one array made, where building it from the sample
    /// shape made two).
    private static func shape(_ shape: [Int], rows: Int) -> [Int] {
        var s = shape
        if !s.isEmpty { s[0] = rows }
        return s
    }

    /// The rows `rows` of `source` (`width` values each), one after another, in pooled storage.
    private static func rows(of source: [Double], width: Int, rows: ArraySlice<Int>) throws -> [Double] {
        try source.withUnsafeBufferPointer { src in
            try makeStorage(rows.count * width) { out in
                copyRows(src, width: width, rows: rows, into: UnsafeMutableBufferPointer(start: out, count: rows.count * width))
            }
        }
    }

    /// The rows `rows` of `source` (`width` values each) one after another into `out`.
    private static func copyRows(_ source: UnsafeBufferPointer<Double>, width: Int, rows: ArraySlice<Int>,
                                 into out: UnsafeMutableBufferPointer<Double>) {
        guard let base = source.baseAddress, let dst = out.baseAddress else { return }
        for (k, i) in rows.enumerated() { (dst + k * width).update(from: base + i * width, count: width) }
    }
}
