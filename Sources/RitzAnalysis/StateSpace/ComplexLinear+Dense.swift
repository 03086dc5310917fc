import RitzTensor

/// Dense complex matrix functions for the state-space tools, on the real embedding
/// [[Re, −Im], [Im, Re]] when a matrix is complex and on the real matrix when it is not.
extension ComplexLinear.Parts {
    /// True when every imaginary part is zero.
    var isReal: Bool { im.allSatisfy { $0 == 0 } }

    /// The identity of order n.
    static func identity(_ n: Int) -> Self {
        var p = Self(rows: n, cols: n)
        for i in 0..<n { p.re[i * n + i] = 1 }
        return p
    }

    /// The real part as a float64 tensor.
    func realTensor() throws -> Tensor { try Tensor(shape: [rows, cols], storage: re) }

    /// The matrix as a tensor: float64 when it is real, complex128 otherwise.
    func tensorKeepingReal() throws -> Tensor { isReal ? try realTensor() : try tensor() }

    /// The transpose (not conjugated).
    func transposed() -> Self {
        var t = Self(rows: cols, cols: rows)
        for i in 0..<rows { for j in 0..<cols { t[j, i] = self[i, j] } }
        return t
    }

    /// The block of rows `r` and columns `c`.
    func block(rows r: Range<Int>, cols c: Range<Int>) -> Self {
        var b = Self(rows: r.count, cols: c.count)
        for i in r { for j in c { b[i - r.lowerBound, j - c.lowerBound] = self[i, j] } }
        return b
    }

    /// From the real embedding [[Re, −Im], [Im, Re]] of a rows×cols complex matrix: Re is the
    /// top-left block, Im the bottom-left.
    static func unembedded(_ e: Tensor, rows: Int, cols: Int) -> Self {
        var p = Self(rows: rows, cols: cols)
        let w = 2 * cols
        for i in 0..<rows { for j in 0..<cols {
            p.re[i * cols + j] = e.storage[i * w + j]
            p.im[i * cols + j] = e.storage[(rows + i) * w + j]
        } }
        return p
    }
}

extension ComplexLinear {
    /// e^M of a square complex matrix: `Tensor.expm` (Al-Mohy & Higham 2009) on M when it is real,
    /// else on its real embedding, since e^{embed(M)} = embed(e^M).
    ///
    /// - Throws: as `Tensor.expm`.
    static func expm(_ m: Parts) throws -> Parts {
        if m.isReal {
            var p = Parts(rows: m.rows, cols: m.cols)
            p.re = try m.realTensor().expm().storage
            return p
        }
        return Parts.unembedded(try m.embedded().expm(), rows: m.rows, cols: m.cols)
    }

    /// The solution X of A·X = B, by LU on the real matrices when both are real.
    ///
    /// - Throws: `LinalgError.singular` for a singular A.
    static func solveKeepingReal(_ a: Parts, _ b: Parts) throws -> Parts {
        guard a.isReal, b.isReal else { return try solve(a, b) }
        var x = Parts(rows: a.cols, cols: b.cols)
        x.re = try Tensor.solve(a.realTensor(), b.realTensor()).storage
        return x
    }

    /// The 2-norm ‖M‖₂ (largest singular value; the embedding has M's singular values twice).
    static func spectralNorm(_ m: Parts) throws -> Double {
        let t = m.isReal ? try m.realTensor() : try m.embedded()
        return try t.singularValues().storage.first ?? 0
    }

    /// κ₂(M) = σ_max/σ_min of a square complex matrix (∞ when σ_min = 0).
    static func condition(_ m: Parts) throws -> Double {
        try (m.isReal ? m.realTensor() : m.embedded()).cond()
    }

    /// σ_min(M − z·[I; 0]) for each z of a grid, M with rows ≥ cols (I of order cols on top),
    /// by a dense SVD of the shifted matrix's real embedding at each point; polls `Interruption`
    /// once per point. σ_min(zI − A) (a pseudospectrum) is the case M = A.
    ///
    /// - Parameters:
    ///   - m: The matrix.
    ///   - grid: The shifts z.
    /// - Returns: One σ_min per grid point.
    /// - Throws: `CurvatureError.interrupted`, `LinalgError` from the SVD.
    static func smallestSingularValues(_ m: Parts, shiftedBy grid: [Complex]) throws -> [Double] {
        let k = Swift.min(m.rows, m.cols)
        return try grid.map { z in
            try Interruption.check()
            var s = m
            for i in 0..<k { s[i, i] = m[i, i] - z }
            return try smallestSingularValue(s)
        }
    }
}
