/// IPython's help syntax: `?name` and `name?` on one line ask for help instead of running.
public enum HelpRequest {
    /// The name an input asks help for, or nil when it is code to run.
    ///
    /// `?` alone (or `?` followed by blanks) asks for the topic list and gives "". `name?` is
    /// help only when the rest of the line is a name or a dotted name (`run.loss?`), so code
    /// that happens to end in `?` is never taken for a help request.
    ///
    /// - Parameter input: The input, any surrounding blanks included.
    /// - Returns: The name (possibly empty), or nil.
    public static func name(in input: String) -> String? {
        let trimmed = input.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("?") {
            return String(trimmed.dropFirst()).trimmingCharacters(in: .whitespaces)
        }
        guard trimmed.hasSuffix("?") else { return nil }
        let name = String(trimmed.dropLast()).trimmingCharacters(in: .whitespaces)
        let isName = !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
        return isName ? name : nil
    }
}
