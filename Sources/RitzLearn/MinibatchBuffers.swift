import RitzTensor

/// The rows of minibatches gathered into arrays kept from one step to the next: once the last
/// batch's tensors are released, each gather refills the same storage in place, so steady-state
/// training allocates no new batch (copy-on-write makes a fresh array only while an old tensor
/// still holds the storage).
struct MinibatchBuffers {
    private var x: [Double] = []
    private var y: [Double] = []

    /// Rows `rows` of `data`, in that order, as tensors of the data's dtypes and per-sample shapes.
    ///
    /// - Parameters:
    ///   - data: The data set.
    ///   - rows: Sample indices in `0..<data.count`.
    /// - Returns: The inputs `[rows.count] + sampleShape` and the targets `[rows.count, …]`.
    /// - Throws: `ShapeError.indexOutOfRange` for an index outside the data; `TensorError` past
    ///   the memory limit.
    mutating func gather(_ data: Dataset, rows: ArraySlice<Int>) throws -> (x: Tensor, y: Tensor) {
        let n = data.count
        for i in rows where i < 0 || i >= n { throw ShapeError.indexOutOfRange(index: i, axis: 0, size: n) }
        MinibatchBuffers.fill(&x, from: data.x.storage, width: data.features, rows: rows)
        MinibatchBuffers.fill(&y, from: data.y.storage, width: data.y.count / Swift.max(n, 1), rows: rows)
        return (try Tensor(shape: [rows.count] + data.sampleShape, storage: x, dtype: data.x.dtype),
                try Tensor(shape: [rows.count] + data.y.shape.dropFirst(), storage: y, dtype: data.y.dtype))
    }

    /// `buffer` ← the rows of `source` (`width` values each), keeping the buffer's capacity.
    private static func fill(_ buffer: inout [Double], from source: [Double], width: Int, rows: ArraySlice<Int>) {
        buffer.removeAll(keepingCapacity: true)
        buffer.reserveCapacity(rows.count * width)
        for i in rows { buffer.append(contentsOf: source[(i * width)..<((i + 1) * width)]) }
    }
}
