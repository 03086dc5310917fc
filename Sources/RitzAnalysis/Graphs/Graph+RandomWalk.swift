import RitzTensor

/// Random-walk positional encodings.
extension Graph {
    /// Random-walk structural encoding (Dwivedi et al. 2022, as PyTorch Geometric's
    /// `AddRandomWalkPE`): column t−1 holds the return probabilities diag((D^-1 A)^t) for
    /// t = 1…k. An isolated node has zeros.
    ///
    /// Computed exactly by propagating the walk from each node over its k-hop ball (sparse
    /// vectors), so the cost is n·(ball size)·k rather than a dense n³ power.
    /// - Parameters:
    ///   - k: Number of walk lengths, k ≥ 1.
    /// - Returns: An n×k tensor.
    /// - Throws: `TensorError.invalidArgument` for k < 1.
    public func rwpe(_ k: Int) throws -> Tensor {
        guard k >= 1, k <= 10_000 else { throw TensorError.invalidArgument("rwpe: k must be in 1...10000, got \(k)") }
        let total = try Tensor.elementCount([n, k])
        var out = [Double](repeating: 0, count: total)
        let a = adjacencyCSR
        let inv = degrees.map { $0 > 0 ? 1 / $0 : 0 }
        var prob = [Double](repeating: 0, count: n), next = [Double](repeating: 0, count: n)
        var mark = [Bool](repeating: false, count: n)
        for s in 0..<n where degrees[s] > 0 {
            // p_{t+1}(j) = Σ_i p_t(i)·A_ij / d_i, starting from p_0 = e_s; P^t[s, s] = p_t(s).
            var support = [s]
            prob[s] = 1
            for t in 0..<k {
                var nextSupport = [Int]()
                for i in support {
                    let w = prob[i] * inv[i]
                    if w == 0 { continue }
                    for q in a.rowPtr[i]..<a.rowPtr[i + 1] {
                        let j = a.colIdx[q]
                        if !mark[j] { mark[j] = true; nextSupport.append(j) }
                        next[j] += w * a.values[q]
                    }
                }
                for i in support { prob[i] = 0 }
                for j in nextSupport { prob[j] = next[j]; next[j] = 0; mark[j] = false }
                out[s * k + t] = prob[s]
                support = nextSupport
            }
            for i in support { prob[i] = 0 }
        }
        return try Tensor(shape: [n, k], storage: out)
    }
}
