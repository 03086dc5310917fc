import Foundation
import RitzTensor

extension Builtins {
    /// Session: help, variables, printing, formatting and timing.
    static var session: [BuiltinEntry] {
        let g = "Session"
        return [
            BuiltinEntry("print", [.variadic("values")], group: g,
                         summary: "prints the values separated by spaces",
                         examples: ["print(\"loss\", 0.25)"]) { a in
                a.context.print(a.rest.map { Display.plain($0) }.joined(separator: " "))
                return .none
            },
        ]
    }
}
