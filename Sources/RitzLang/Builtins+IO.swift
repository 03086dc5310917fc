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
            BuiltinEntry("load", [Param("path"), .keyword("delimiter"), .keyword("header")], group: g,
                         summary: "reads a tensor from a .npy or .csv file; for .csv (RFC 4180 quoting), delimiter= is one character (default: the most frequent of , ; tab on the first line) and header= true or false (default: a first row with no number is a header); any other field that is not a number is an error",
                         examples: ["save(\"/tmp/ritz-example.npy\", [1, 2]); load(\"/tmp/ritz-example.npy\")",
                                    "save(\"/tmp/ritz-example.csv\", [1, 2; 3, 4]); load(\"/tmp/ritz-example.csv\", delimiter=\",\", header=false)"]) { a in
                let path = try a.path("path")
                let delimiter = try a.optionalString("delimiter")
                let header = a.has("header") ? try a.bool("header") : nil
                if try kind(path) == "npy" {
                    guard delimiter == nil, header == nil else {
                        throw Diagnostic("delimiter= and header= apply to .csv files only", span: nil)
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
