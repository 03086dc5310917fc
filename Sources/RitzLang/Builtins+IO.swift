import Foundation
import RitzTensor

extension Builtins {
    /// Loading and saving arrays (`.npy`, `.csv`).
    static var io: [BuiltinEntry] {
        let g = "Data and I/O"
        func kind(_ path: String) throws -> String {
            let ext = (path as NSString).pathExtension.lowercased()
            guard ext == "npy" || ext == "csv" else {
                throw Diagnostic("cannot tell the format of `\(path)`", span: nil, help: ["use a .npy or .csv file name"])
            }
            return ext
        }
        return [
            BuiltinEntry("load", [Param("path")], group: g, summary: "reads a tensor from a .npy or .csv file",
                         examples: ["save(\"/tmp/ritz-example.npy\", [1, 2]); load(\"/tmp/ritz-example.npy\")"]) { a in
                let path = try a.path("path")
                return .tensor(try kind(path) == "npy" ? Tensor.loadNPY(path: path) : Tensor.loadCSV(path: path))
            },
            BuiltinEntry("save", [Param("path"), Param("x")], group: g,
                         summary: "writes a tensor to a .npy or .csv file (by its extension)",
                         examples: ["save(\"/tmp/ritz-example.csv\", [1, 2; 3, 4])"]) { a in
                let path = try a.path("path")
                let t = try a.tensor("x")
                if try kind(path) == "npy" { try t.saveNPY(path: path) } else { try t.saveCSV(path: path) }
                return .none
            },
        ]
    }
}
