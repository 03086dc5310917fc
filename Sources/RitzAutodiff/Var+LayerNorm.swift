import RitzTensor

/// Layer normalisation as one node, with its rules beside it.
///
/// Per row x (n elements along the axis): d = x − mean(x), r = 1/√(mean(d²) + eps), y = d·r.
/// The Jacobian is J = r·P with P = I − 11ᵀ/n − y yᵀ/n (symmetric), so the VJP and the JVP are
/// the same map B(g) = r·(g − mean(g) − y·⟨g, y⟩/n). B(g, x) is the gradient of ⟨g, y(x)⟩, so
/// its derivative in x is that function's Hessian, symmetric again: along u,
/// C(g, u) = −r·a·B(g) − r·b·B(u) − r·y·⟨g, B(u)⟩/n with a = ⟨y, u⟩/n and b = ⟨g, y⟩/n (from
/// ṙ = −r²a, ẏ = B(u)). Forward, B and C are each one pass over the rows outside a recording;
/// C inside a recording is written with `Var` primitives, so every order stays exact.
extension Var {
    /// The fused layernorm of `x` along `axis` (already normalised): one node.
    ///
    /// - Parameters:
    ///   - axis: The normalised axis, in 0..<ndim.
    ///   - eps: Added to the variance, ≥ 0.
    /// - Returns: (x − mean)/√(var + eps).
    /// - Throws: `TensorError.invalidArgument` for complex values.
    static func fusedLayerNorm(_ x: Var, axis: Int, eps: Double) throws -> Var {
        let rows = try LayerNormRows(x.value, axis: axis, eps: eps)
        return try apply("layernorm", [x], value: rows.output(), rule: Rule(
            vjp: { g, c in [try layerNormBackward(g, c.inputs[0], rows)] },
            jvp: { t, c in try t[0].map { try layerNormBackward($0, c.inputs[0], rows) } }))
    }

    /// B(g) = r·(g − mean(g) − y·⟨g, y⟩/n) per row, the VJP (and JVP) of layernorm at x: one node
    /// whose rules are B again in g and the curvature C in x.
    private static func layerNormBackward(_ g: Var, _ x: Var, _ rows: LayerNormRows) throws -> Var {
        let gv = try g.value.broadcast(to: rows.shape).asFloat()
        let value = try Tensor(shape: rows.shape, storage: rows.backward(gv.storage))
        return try apply("layernorm_backward", [g, x], value: value, rule: Rule(
            vjp: { h, c in
                let (g, x) = (c.inputs[0], c.inputs[1])
                return [c.needs[0] ? try layerNormBackward(h, x, rows) : nil,
                        c.needs[1] ? try layerNormCurvature(g, h, x, rows) : nil]
            },
            jvp: { t, c in
                let (g, x) = (c.inputs[0], c.inputs[1])
                var out: Var?
                if let tg = t[0] { out = try layerNormBackward(tg, x, rows) }
                if let tx = t[1] {
                    let term = try layerNormCurvature(g, tx, x, rows)
                    out = try out.map { try $0 + term } ?? term
                }
                return out
            }))
    }

    /// C(g, u) = D_x B(g, x)[u], symmetric in the roles of u and a cotangent (a Hessian): one
    /// pass outside a recording; inside one, the same formula from `Var` primitives of x.
    private static func layerNormCurvature(_ g: Var, _ u: Var, _ x: Var, _ rows: LayerNormRows) throws -> Var {
        guard g.isTraced || u.isTraced || x.isTraced else {
            let gv = try g.value.broadcast(to: rows.shape).asFloat(), uv = try u.value.broadcast(to: rows.shape).asFloat()
            return Var(try Tensor(shape: rows.shape, storage: rows.curvature(gv.storage, uv.storage)))
        }
        let ax = rows.axis, n = Double(rows.n)
        let d = try x - x.mean(axis: ax, keepDims: true)
        let r = try 1 / ((d * d).mean(axis: ax, keepDims: true) + rows.eps).sqrt()
        let y = try d * r
        func b(_ v: Var) throws -> Var {
            try r * (v - v.mean(axis: ax, keepDims: true) - y * (v * y).sum(axis: ax, keepDims: true) / n)
        }
        let bu = try b(u)
        let a = try (y * u).sum(axis: ax, keepDims: true) / n
        let gy = try (g * y).sum(axis: ax, keepDims: true) / n
        let gbu = try (g * bu).sum(axis: ax, keepDims: true) / n
        return try -(r * (a * b(g) + gy * bu + y * gbu))
    }
}

/// The rows of one layernorm: `outer × inner` rows of `n` elements, `inner` apart, with the
/// forward's y and r = 1/√(var + eps) kept for the rules.
struct LayerNormRows: Sendable {
    let shape: [Int]
    let axis: Int
    let eps: Double
    let outer: Int, n: Int, inner: Int
    /// y = (x − mean)·r in x's layout.
    let normalized: [Double]
    /// r per row, row o·inner + i.
    let inverseStd: [Double]

    /// Normalises x along `axis` in one pass per row (two sums, then the scaled write).
    ///
    /// - Throws: `TensorError.invalidArgument` for complex x.
    init(_ x: Tensor, axis: Int, eps: Double) throws {
        guard !x.isComplex else { throw TensorError.invalidArgument("layernorm needs real values, got a complex tensor") }
        let xs = try x.asFloat().storage
        shape = x.shape
        self.axis = axis
        self.eps = eps
        n = shape[axis]
        outer = shape[..<axis].reduce(1, *)
        inner = shape[(axis + 1)...].reduce(1, *)
        let (n, inner, rowCount) = (n, inner, outer * inner)
        var r = [Double](repeating: 0, count: rowCount)
        var y = [Double](repeating: 0, count: xs.count)
        let count = Double(n)
        xs.withUnsafeBufferPointer { src in
            y.withUnsafeMutableBufferPointer { dst in
                r.withUnsafeMutableBufferPointer { rs in
                    guard let s = src.baseAddress, let d = dst.baseAddress, let rp = rs.baseAddress else { return }
                    Parallel.forEachPiece(rowCount, minimum: Swift.max(1, Parallel.minimumElements / Swift.max(n, 1))) { piece in
                        for row in piece {
                            let base = (row / inner) * n * inner + row % inner
                            var sum = 0.0
                            for j in 0..<n { sum += s[base + j * inner] }
                            let mean = sum / count
                            var squares = 0.0
                            for j in 0..<n {
                                let dj = s[base + j * inner] - mean
                                squares += dj * dj
                            }
                            let scale = 1 / (squares / count + eps).squareRoot()
                            rp[row] = scale
                            for j in 0..<n { d[base + j * inner] = (s[base + j * inner] - mean) * scale }
                        }
                    }
                }
            }
        }
        normalized = y
        inverseStd = r
    }

    /// y as a tensor of x's shape.
    func output() throws -> Tensor { try Tensor(shape: shape, storage: normalized) }

    /// Runs `body(base, r)` for every row, split over the threads; `base` indexes the row's
    /// first element, its others `inner` apart.
    private func forEachRow(_ body: (Int, Double) -> Void) {
        let (n, inner) = (n, inner)
        Parallel.forEachPiece(outer * inner, minimum: Swift.max(1, Parallel.minimumElements / Swift.max(n, 1))) { piece in
            for row in piece { body((row / inner) * n * inner + row % inner, inverseStd[row]) }
        }
    }

    /// B(g) = r·(g − mean(g) − y·⟨g, y⟩/n) per row, one read of g and y.
    func backward(_ g: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: g.count)
        let (n, inner, count) = (n, inner, Double(n))
        g.withUnsafeBufferPointer { gp in
            normalized.withUnsafeBufferPointer { yp in
                out.withUnsafeMutableBufferPointer { op in
                    guard let g = gp.baseAddress, let y = yp.baseAddress, let o = op.baseAddress else { return }
                    forEachRow { base, r in
                        var gSum = 0.0, gyDot = 0.0
                        for j in 0..<n {
                            let k = base + j * inner
                            gSum += g[k]
                            gyDot += g[k] * y[k]
                        }
                        let (gMean, gy) = (gSum / count, gyDot / count)
                        for j in 0..<n {
                            let k = base + j * inner
                            o[k] = r * (g[k] - gMean - y[k] * gy)
                        }
                    }
                }
            }
        }
        return out
    }

    /// C(g, u) = −r·(a·B(g) + b·B(u) + y·⟨g, B(u)⟩/n), a = ⟨y, u⟩/n, b = ⟨g, y⟩/n, per row.
    func curvature(_ g: [Double], _ u: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: g.count)
        let (n, inner, count) = (n, inner, Double(n))
        g.withUnsafeBufferPointer { gp in
            u.withUnsafeBufferPointer { up in
                normalized.withUnsafeBufferPointer { yp in
                    out.withUnsafeMutableBufferPointer { op in
                        guard let g = gp.baseAddress, let u = up.baseAddress, let y = yp.baseAddress,
                              let o = op.baseAddress else { return }
                        forEachRow { base, r in
                            var gSum = 0.0, uSum = 0.0, gy = 0.0, uy = 0.0, gu = 0.0
                            for j in 0..<n {
                                let k = base + j * inner
                                gSum += g[k]; uSum += u[k]
                                gy += g[k] * y[k]; uy += u[k] * y[k]; gu += g[k] * u[k]
                            }
                            let (gMean, uMean) = (gSum / count, uSum / count)
                            let (b, a) = (gy / count, uy / count)
                            // ⟨g, B(u)⟩/n = r·(⟨g, u⟩ − n·mean(g)·mean(u) − ⟨g, y⟩·a)/n.
                            let gbu = r * (gu / count - gMean * uMean - b * a)
                            for j in 0..<n {
                                let k = base + j * inner
                                let bg = r * (g[k] - gMean - y[k] * b)
                                let bu = r * (u[k] - uMean - y[k] * a)
                                o[k] = -r * (a * bg + b * bu + y[k] * gbu)
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
