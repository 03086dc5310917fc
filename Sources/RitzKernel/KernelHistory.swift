import Foundation
import RitzNotebook

/// The inputs executed in this kernel process, answering `history_request`.
///
/// Entries are `[session, line, input]` (or `[session, line, [input, output]]` when outputs
/// are asked for), with `session` 1 (this process) and `line` the cell's execution count.
struct KernelHistory {
    /// The session number entries carry.
    static let session = 1

    private var entries: [(line: Int, input: String, output: String?)] = []

    /// Records an executed input and the text of its value, if any.
    mutating func add(line: Int, input: String, output: String?) {
        entries.append((line, input, output))
    }

    /// The reply's `history` list for a request's content.
    ///
    /// `tail`: the last `n`; `range`: lines `start..<stop` of session 1 (or 0, the current one);
    /// `search`: inputs matching the glob `pattern` (fnmatch), newest last, only the latest of equal
    /// inputs when `unique`, the last `n` when given.
    ///
    /// - Parameter request: The `history_request` content.
    /// - Returns: The entries as JSON.
    func reply(_ request: JSONValue) -> [JSONValue] {
        let withOutput = request["output"].flatMap { if case .bool(let b) = $0 { return b } else { return nil } } ?? false
        let n = request["n"]?.intValue
        var chosen: [(line: Int, input: String, output: String?)]
        switch request["hist_access_type"]?.stringValue ?? "tail" {
        case "range":
            let session = request["session"]?.intValue ?? 0
            guard session == 0 || session == KernelHistory.session else { return [] }
            let start = request["start"]?.intValue ?? 0
            let stop = request["stop"]?.intValue ?? Int.max
            chosen = entries.filter { $0.line >= start && $0.line < stop }
        case "search":
            let pattern = request["pattern"]?.stringValue ?? "*"
            chosen = entries.filter { fnmatch(pattern, $0.input, 0) == 0 }
            if case .bool(true)? = request["unique"] {
                var seen = Set<String>()
                chosen = chosen.reversed().filter { seen.insert($0.input).inserted }.reversed()
            }
            if let n, n >= 0 { chosen = Array(chosen.suffix(n)) }
        default:
            chosen = n.map { Array(entries.suffix(max(0, $0))) } ?? entries
        }
        return chosen.map { entry in
            let input: JSONValue = withOutput
                ? .array([.string(entry.input), entry.output.map { .string($0) } ?? .null])
                : .string(entry.input)
            return .array([.number(Double(KernelHistory.session)), .number(Double(entry.line)), input])
        }
    }
}
