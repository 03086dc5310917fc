import Foundation
import RitzTensor

/// Graph Laplacians in the conventions of `LaplacianNorm`.
extension Graph {
    /// The Laplacian as a dense n×n tensor.
    ///
    /// - Parameter norm: `.none`, `.sym` or `.rw`.
    /// - Returns: L, symmetric except for `.rw`.
    /// - Throws: `TensorError.tooLarge` when n² doubles exceed the allocation limit.
    public func laplacian(_ norm: LaplacianNorm = .none) throws -> Tensor {
        try laplacianCSR(norm).dense()
    }

    /// The Laplacian in CSR form (the diagonal is always stored, so every row has an entry).
    ///
    /// - Parameter norm: `.none`, `.sym` or `.rw`.
    /// - Returns: L as a CSR matrix.
    public func laplacianCSR(_ norm: LaplacianNorm = .none) -> CSRMatrix {
        let a = adjacencyCSR
        let d = degrees
        let inv: [Double], invSqrt: [Double]
        switch norm {
        case .none: inv = []; invSqrt = []
        case .sym: inv = []; invSqrt = d.map { $0 > 0 ? 1 / $0.squareRoot() : 0 }
        case .rw: inv = d.map { $0 > 0 ? 1 / $0 : 0 }; invSqrt = []
        }
        var ptr = [0], cIdx = [Int](), vals = [Double]()
        cIdx.reserveCapacity(a.nnz + n); vals.reserveCapacity(a.nnz + n)
        for i in 0..<n {
            var diagDone = false
            func scaled(_ j: Int, _ v: Double) -> Double {
                switch norm {
                case .none: return v
                case .sym: return v * invSqrt[i] * invSqrt[j]
                case .rw: return v * inv[i]
                }
            }
            for k in a.rowPtr[i]..<a.rowPtr[i + 1] {
                let j = a.colIdx[k]
                if !diagDone && j >= i {
                    let aii = j == i ? a.values[k] : 0
                    cIdx.append(i); vals.append(scaled(i, d[i] - aii)); diagDone = true
                    if j == i { continue }
                }
                cIdx.append(j); vals.append(scaled(j, -a.values[k]))
            }
            if !diagDone { cIdx.append(i); vals.append(scaled(i, d[i])) }
            ptr.append(cIdx.count)
        }
        return CSRMatrix(rows: n, cols: n, rowPtr: ptr, colIdx: cIdx, values: vals)
    }

    /// Connected components, each a sorted list of nodes, ordered by their smallest node.
    public func components() -> [[Int]] {
        var parent = Array(0..<n)
        func find(_ x: Int) -> Int {
            var r = x
            while parent[r] != r { r = parent[r] }
            var y = x
            while parent[y] != r { let next = parent[y]; parent[y] = r; y = next }
            return r
        }
        for e in edges {
            let a = find(e.i), b = find(e.j)
            if a != b { parent[Swift.max(a, b)] = Swift.min(a, b) }
        }
        var groups = [Int: [Int]]()
        var order = [Int]()
        for v in 0..<n {
            let r = find(v)
            if groups[r] == nil { order.append(r); groups[r] = [] }
            groups[r, default: []].append(v)
        }
        return order.map { groups[$0] ?? [] }
    }
}
