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
        let n = count
        for i in rows where i < 0 || i >= n { throw ShapeError.indexOutOfRange(index: i, axis: 0, size: n) }
        let xs = try Dataset.rows(of: x.storage, width: features, rows: rows)
        let ys = try Dataset.rows(of: y.storage, width: y.count / Swift.max(n, 1), rows: rows)
        return (try Tensor(shape: Dataset.shape(x.shape, rows: rows.count), storage: xs, dtype: x.dtype),
                try Tensor(shape: Dataset.shape(y.shape, rows: rows.count), storage: ys, dtype: y.dtype))
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
                guard let base = src.baseAddress else { return }
                for (k, i) in rows.enumerated() { (out + k * width).update(from: base + i * width, count: width) }
            }
        }
    }
}
