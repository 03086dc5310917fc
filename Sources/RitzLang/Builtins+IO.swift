import Foundation
import RitzAnalysis
import RitzTensor

extension Builtins {
    /// Loading and saving arrays (`.npy`, `.npz`, `.csv`).
    static var io: [BuiltinEntry] {
        let g = "Data and I/O"
        func kind(_ path: String) throws -> String {
            let ext = (path as NSString).pathExtension.lowercased()
            guard ["npy", "npz", "csv", "mtx"].contains(ext) else {
                throw Diagnostic("cannot tell the format of `\(path)`", span: nil, help: ["use a .npy, .npz, .csv or .mtx file name"])
            }
            return ext
        }
        return [
            BuiltinEntry("load", [Param("path"), .keyword("delimiter"), .keyword("header")], group: g,
                         summary: "reads a tensor from a .npy or .csv file, a sparse matrix from a Matrix Market .mtx file (coordinate real/integer/pattern, general/symmetric; an array-format file gives a dense matrix; errors name the line), or a record of the arrays of a .npz file (numpy.savez / savez_compressed); for .csv (RFC 4180 quoting), delimiter= is one character (default: the most frequent of , ; tab on the first line) and header= true or false (default: a first row with no number is a header); any other field that is not a number is an error",
                         examples: ["save(\"/tmp/ritz-example.npy\", [1, 2]); load(\"/tmp/ritz-example.npy\")",
                                    "save(\"/tmp/ritz-example.csv\", [1, 2; 3, 4]); load(\"/tmp/ritz-example.csv\", delimiter=\",\", header=false)",
                                    "save(\"/tmp/ritz-example.npz\", (a=[1, 2], i=argsort([2, 1]))); load(\"/tmp/ritz-example.npz\")"]) { a in
                let path = try a.path("path")
                let delimiter = try a.optionalString("delimiter")
                let header = a.has("header") ? try a.bool("header") : nil
                let format = try kind(path)
                if format == "mtx" {
                    guard delimiter == nil, header == nil else { throw Diagnostic("delimiter= and header= apply to .csv files only", span: nil) }
                    switch try MatrixMarket.read(path: path) {
                    case let .sparse(m): return .object(SparseObject(m))
                    case let .dense(t): return .tensor(t)
                    }
                }
                if format != "csv" {
                    guard delimiter == nil, header == nil else {
                        throw Diagnostic("delimiter= and header= apply to .csv files only", span: nil)
                    }
                    if format == "npz" {
                        return .record(Record(try Tensor.loadNPZ(path: path).map { ($0.name, Interpreter.wrap($0.tensor)) }))
                    }
                    return .tensor(try Tensor.loadNPY(path: path))
                }
                var sep: Character?
                if let delimiter {
                    guard delimiter.count == 1, let c = delimiter.first else {
                        throw Diagnostic("delimiter= must be one character, got \(Display.string(.string(delimiter)))", span: nil)
                    }
                    sep = c
                }
                return .tensor(try Tensor.loadCSV(path: path, delimiter: sep, header: header))
            },
            BuiltinEntry("save", [Param("path"), Param("x"), .keyword("compressed", default: .bool(false))], group: g,
                         summary: "writes a tensor to a .npy or .csv file (by its extension), a sparse (or dense) matrix to a Matrix Market .mtx file (coordinate real general, %.17g), or a record of tensors to a .npz file (deflated with compressed=true)",
                         examples: ["save(\"/tmp/ritz-example.csv\", [1, 2; 3, 4])",
                                    "save(\"/tmp/ritz-example.npz\", (w=eye(2), b=[0, 1]), compressed=true)"]) { a in
                let path = try a.path("path")
                let format = try kind(path)
                if format == "npz" {
                    guard case let .record(r)? = a.raw("x") else {
                        throw Diagnostic("a .npz file holds named arrays: pass a record such as (a=x, b=y)", span: nil)
                    }
                    let members = try zip(r.names, r.values).map { name, v in
                        (name, try Interpreter.toTensor(v, what: "field `\(name)` of the record saved to .npz"))
                    }
                    let compressed = try a.bool("compressed")
                    try World.onLead { try Tensor.saveNPZ(members, path: path, compressed: compressed) }
                    return .none
                }
                if format == "mtx" {
                    let m = try sparseArg(a, "x") ?? CSRMatrix(dense: try a.tensor("x").asFloat())
                    try MatrixMarket.write(m, path: path)
                    return .none
                }
                let t = try a.tensor("x")
                try World.onLead { if format == "npy" { try t.saveNPY(path: path) } else { try t.saveCSV(path: path) } }
                return .none
            },
        ]
    }
}
