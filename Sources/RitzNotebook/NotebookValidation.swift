/// The structural rules of nbformat 4 that a session must meet before it loads.
///
/// The rules are the types the nbformat 4 JSON schema (`nbformat.v4.5.schema.json`, carried in
/// the test fixtures) gives every field ritz reads: `nbformat` is the integer 4, `cells` a list
/// of objects, `cell_type` one of `code`, `markdown`, `raw`, `source` and stream text a string
/// or a list of strings, execution counts non-negative integers or null, and so on. They are
/// written here as code rather than by shipping the schema with a general validator because
/// ritz deliberately reads more than nbformat 4.5 strictly allows (notebooks of minor versions
/// 0–4, which have no cell ids, and writers that omit a cell's `metadata`, `outputs` or
/// `execution_count`), and because a schema's `oneOf` failures cannot say what was expected,
/// while each rule here names the JSON path and both sides: `cells[3].source: expected a
/// string or a list of strings, got a number`. The tests check these rules against the schema.
enum NotebookValidation {
    /// The cell types of nbformat 4.
    static let cellTypes: Set<String> = ["code", "markdown", "raw"]

    /// Checks the structure of a parsed notebook.
    ///
    /// - Parameter root: The parsed JSON.
    /// - Throws: `NotebookError.unsupportedVersion` for an integer nbformat other than 4,
    ///   `NotebookError.notANotebook` naming the JSON path of the first rule broken.
    static func validate(_ root: JSONValue) throws {
        guard let top = root.objectValue else { throw broken("the top level", "an object", root) }
        let nbformat = try required(top, "nbformat", at: "")
        guard let major = nbformat.intValue else { throw broken("nbformat", "the integer 4", nbformat, showValue: true) }
        guard major == 4 else { throw NotebookError.unsupportedVersion(major) }
        if let minor = top["nbformat_minor"] {
            guard let m = minor.intValue, m >= 0 else {
                throw broken("nbformat_minor", "a non-negative integer", minor, showValue: true)
            }
        }
        if let metadata = top["metadata"] { try expectObject(metadata, at: "metadata") }
        try validateList(try required(top, "cells", at: ""), at: "cells", of: "cells", validateCell)
    }

    private static func validateCell(_ value: JSONValue, at path: String) throws {
        guard let cell = value.objectValue else { throw broken(path, "a cell object", value) }
        let type = try requiredString(cell, "cell_type", at: path)
        guard cellTypes.contains(type) else {
            throw NotebookError.notANotebook("\(path).cell_type: unknown cell type \(quoted(type)) (expected code, markdown or raw)")
        }
        try expectText(try required(cell, "source", at: path), at: "\(path).source")
        if let id = cell["id"], id.stringValue == nil { throw broken("\(path).id", "a string", id) }
        if let metadata = cell["metadata"] { try expectObject(metadata, at: "\(path).metadata") }
        guard type == "code" else { return }
        if let count = cell["execution_count"] { try expectCount(count, at: "\(path).execution_count") }
        if let outputs = cell["outputs"] { try validateList(outputs, at: "\(path).outputs", of: "outputs", validateOutput) }
    }

    /// The known output types' fields; an output of another type is left to the reader, which
    /// skips it (Jupyter message types such as `update_display_data` turn up in saved files).
    private static func validateOutput(_ value: JSONValue, at path: String) throws {
        guard let output = value.objectValue else { throw broken(path, "an output object", value) }
        switch try requiredString(output, "output_type", at: path) {
        case "stream":
            if let name = output["name"], name.stringValue == nil { throw broken("\(path).name", "a string", name) }
            try expectText(try required(output, "text", at: path), at: "\(path).text")
        case let type where type == "execute_result" || type == "display_data":
            if type == "execute_result", let count = output["execution_count"] {
                try expectCount(count, at: "\(path).execution_count")
            }
            let data = try required(output, "data", at: path)
            try expectObject(data, at: "\(path).data")
            for (mime, payload) in data.objectValue ?? [:] where !mime.hasSuffix("json") {
                // JSON MIME types (application/json, …+json) may hold any JSON; the rest is text.
                try expectText(payload, at: "\(path).data[\(quoted(mime))]")
            }
            if let metadata = output["metadata"] { try expectObject(metadata, at: "\(path).metadata") }
        case "error":
            for field in ["ename", "evalue"] { _ = try requiredString(output, field, at: path) }
            let traceback = try required(output, "traceback", at: path)
            guard let lines = traceback.arrayValue, lines.allSatisfy({ $0.stringValue != nil }) else {
                throw broken("\(path).traceback", "a list of strings", traceback)
            }
        default:
            break
        }
    }

    /// The member `key` of `object` (at `path`), which must be present.
    private static func required(_ object: [String: JSONValue], _ key: String, at path: String) throws -> JSONValue {
        let at = path.isEmpty ? key : "\(path).\(key)"
        guard let value = object[key] else { throw NotebookError.notANotebook("\(at): missing") }
        return value
    }

    /// The member `key` of `object`, which must be a string.
    private static func requiredString(_ object: [String: JSONValue], _ key: String, at path: String) throws -> String {
        let value = try required(object, key, at: path)
        guard let s = value.stringValue else { throw broken("\(path).\(key)", "a string", value) }
        return s
    }

    /// Checks that `value` is a list and each item with `each`, at `path[i]`.
    private static func validateList(_ value: JSONValue, at path: String, of what: String,
                                     _ each: (JSONValue, String) throws -> Void) throws {
        guard let items = value.arrayValue else { throw broken(path, "a list of \(what)", value) }
        for (index, item) in items.enumerated() { try each(item, "\(path)[\(index)]") }
    }

    private static func expectText(_ value: JSONValue, at path: String) throws {
        guard value.multilineText == nil else { return }
        if let items = value.arrayValue, let bad = items.firstIndex(where: { $0.stringValue == nil }) {
            throw broken("\(path)[\(bad)]", "a string", items[bad])
        }
        throw broken(path, "a string or a list of strings", value)
    }

    private static func expectObject(_ value: JSONValue, at path: String) throws {
        guard value.objectValue == nil else { return }
        throw broken(path, "an object", value)
    }

    private static func expectCount(_ value: JSONValue, at path: String) throws {
        if value == .null { return }
        guard let n = value.intValue, n >= 0 else {
            throw broken(path, "a non-negative integer or null", value, showValue: true)
        }
    }

    private static func broken(_ path: String, _ expected: String, _ got: JSONValue, showValue: Bool = false) -> NotebookError {
        .notANotebook("\(path): expected \(expected), got \(describe(got, showValue: showValue))")
    }

    /// "a number", "an object", … (with the value itself for scalars when `showValue`).
    static func describe(_ value: JSONValue, showValue: Bool) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return showValue ? String(b) : "a boolean"
        case .number(let d): return showValue ? "\(d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) : String(d))" : "a number"
        case .string(let s): return showValue ? "the string \(quoted(s))" : "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    /// `s` in double quotes, cut to 40 characters and with control characters escaped, for
    /// messages that echo file contents.
    private static func quoted(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars.prefix(40) {
            if ch.value < 32 || ch.value == 127 { out += "\\u{\(String(ch.value, radix: 16))}" } else { out.unicodeScalars.append(ch) }
        }
        return out + (s.unicodeScalars.count > 40 ? "…\"" : "\"")
    }
}
