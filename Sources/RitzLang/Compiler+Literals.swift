import Foundation
import RitzTensor

extension Compiler {
    // MARK: - Literals and indexing

    func compileMatrix(_ rows: [[Node]], hasRows: Bool, span: SourceSpan) -> Compiled {
        let interp = self.interp
        let compiled = rows.map { $0.map { compile($0) } }
        // All-constant numeric vector: build once.
        if !hasRows, let row = compiled.first, compiled.count == 1, !row.isEmpty {
            var numbers: [Double] = []
            for c in row { if case let .constant(.number(x)) = c.leaf { numbers.append(x) } }
            if numbers.count == row.count { return constant(.tensor(Tensor(numbers))) }
        }
        let codes = compiled.map { $0.map(\.code) }
        return Compiled(code: { f in
            var values: [[Value]] = []
            values.reserveCapacity(codes.count)
            for r in codes {
                var row: [Value] = []
                row.reserveCapacity(r.count)
                for c in r { row.append(try c(f)) }
                values.append(row)
            }
            do { return try Interpreter.buildMatrix(values, hasRows: hasRows) } catch { throw interp.diagnose(error, span: span) }
        }, leaf: nil, jumps: false)
    }

    func compileItems(_ items: [IndexNode]) -> [(Frame) throws -> IndexValue] {
        items.map { item in
            switch item {
            case let .at(n):
                let c = compile(n).code
                return { f in .at(try c(f)) }
            case let .slice(a, b, s):
                let ca = a.map { compile($0).code }, cb = b.map { compile($0).code }, cs = s.map { compile($0).code }
                return { f in
                    .slice(try ca.map { try $0(f) }, try cb.map { try $0(f) }, try cs.map { try $0(f) })
                }
            case .ellipsis:
                return { _ in .ellipsis }
            }
        }
    }

    func compileIndex(_ target: Node, _ items: [IndexNode], span: SourceSpan) -> Compiled {
        let t = compile(target).code
        let interp = self.interp
        if items.count == 1, case let .at(n) = items[0] {
            let c = compile(n).code
            return Compiled(code: { f in
                let base = try t(f)
                let i = try c(f)
                if case let .tensor(tt) = base, case let .number(x) = i, tt.ndim == 1, tt.dtype == .float64 {
                    let size = tt.shape[0]
                    if x == x.rounded(), abs(x) < 9e15 {
                        let k = Int(x), j = k < 0 ? k + size : k
                        if j >= 0 && j < size { return .number(tt.storage[j]) }
                    }
                }
                do { return try interp.index(base, [.at(i)]) } catch { throw interp.diagnose(error, span: span) }
            }, leaf: nil, jumps: false)
        }
        let codes = compileItems(items)
        return Compiled(code: { f in
            let base = try t(f)
            let idx = try codes.map { try $0(f) }
            do { return try interp.index(base, idx) } catch { throw interp.diagnose(error, span: span) }
        }, leaf: nil, jumps: false)
    }
}

/// One evaluated subscript item; `.at(.none)` is a new axis.
enum IndexValue {
    case at(Value)
    case slice(Value?, Value?, Value?)
    /// `...`, the whole axes the other items leave.
    case ellipsis
}

/// What a fused binary operation needs on its slow path.
