import Foundation
import RitzNotebook

/// A JSON Schema (draft 4) checker for the keywords the nbformat schema uses: `type`,
/// `required`, `properties`, `additionalProperties`, `patternProperties`, `enum`, `oneOf`,
/// `not`, `$ref` (local `#/definitions/…`), `items`, `minimum`, `maximum`, `minLength`,
/// `maxLength`, `pattern` and `uniqueItems`. Any other keyword is reported as unsupported, so
/// a schema this checker cannot fully read fails loudly instead of passing.
struct SchemaValidator {
    let root: JSONValue
    static let known: Set<String> = [
        "$schema", "description", "title", "definitions", "type", "required", "properties",
        "additionalProperties", "patternProperties", "enum", "oneOf", "not", "$ref", "items",
        "minimum", "maximum", "minLength", "maxLength", "pattern", "uniqueItems", "default",
    ]

    /// The schema errors of `value`, each as "path: message"; empty when valid.
    func errors(_ value: JSONValue) -> [String] {
        var out: [String] = []
        check(value, against: root, path: "$", into: &out)
        return out
    }

    private func resolve(_ ref: String) -> JSONValue? {
        guard ref.hasPrefix("#/") else { return nil }
        var node = root
        for part in ref.dropFirst(2).split(separator: "/") {
            guard let next = node[String(part)] else { return nil }
            node = next
        }
        return node
    }

    private func typeMatches(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null):
            return true
        case ("number", .number): return true
        case ("integer", .number(let d)): return d.rounded() == d
        default: return false
        }
    }

    private func check(_ value: JSONValue, against schema: JSONValue, path: String, into out: inout [String]) {
        guard let s = schema.objectValue else {
            if schema == .bool(false) { out.append("\(path): not allowed") }
            return
        }
        for key in s.keys where !SchemaValidator.known.contains(key) {
            out.append("\(path): unsupported schema keyword \(key)")
        }
        if let ref = s["$ref"]?.stringValue {
            guard let target = resolve(ref) else { out.append("\(path): unresolved \(ref)"); return }
            check(value, against: target, path: path, into: &out)
            return
        }
        if let type = s["type"] {
            let types = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue ?? ""]
            if !types.contains(where: { typeMatches(value, $0) }) {
                out.append("\(path): expected \(types.joined(separator: "|"))")
                return
            }
        }
        if let options = s["enum"]?.arrayValue, !options.contains(value) {
            out.append("\(path): \(value.serialized(indent: 0)) not in enum")
        }
        if let alternatives = s["oneOf"]?.arrayValue {
            let passing = alternatives.filter { alt in
                var sub: [String] = []
                check(value, against: alt, path: path, into: &sub)
                return sub.isEmpty
            }.count
            if passing != 1 { out.append("\(path): matches \(passing) of oneOf, expected exactly 1") }
        }
        if let negated = s["not"] {
            var sub: [String] = []
            check(value, against: negated, path: path, into: &sub)
            if sub.isEmpty { out.append("\(path): matches a `not` schema") }
        }
        switch value {
        case .object(let members):
            for key in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[key] == nil {
                out.append("\(path): missing required \(key)")
            }
            let properties = s["properties"]?.objectValue ?? [:]
            let patterns = s["patternProperties"]?.objectValue ?? [:]
            for (key, member) in members {
                var matched = false
                if let sub = properties[key] {
                    matched = true
                    check(member, against: sub, path: path + "." + key, into: &out)
                }
                for (pattern, sub) in patterns where key.range(of: pattern, options: .regularExpression) != nil {
                    matched = true
                    check(member, against: sub, path: path + "." + key, into: &out)
                }
                if !matched, let additional = s["additionalProperties"] {
                    if additional == .bool(false) {
                        out.append("\(path): unexpected property \(key)")
                    } else if additional.objectValue != nil {
                        check(member, against: additional, path: path + "." + key, into: &out)
                    }
                }
            }
        case .array(let items):
            if let itemSchema = s["items"] {
                for (i, item) in items.enumerated() {
                    check(item, against: itemSchema, path: "\(path)[\(i)]", into: &out)
                }
            }
            if s["uniqueItems"] == .bool(true) {
                for i in items.indices where items[..<i].contains(items[i]) {
                    out.append("\(path): duplicate item \(i)")
                }
            }
        case .number(let d):
            if let lo = s["minimum"], case .number(let m) = lo, d < m { out.append("\(path): below minimum \(m)") }
            if let hi = s["maximum"], case .number(let m) = hi, d > m { out.append("\(path): above maximum \(m)") }
        case .string(let str):
            if let lo = s["minLength"]?.intValue, str.count < lo { out.append("\(path): shorter than \(lo)") }
            if let hi = s["maxLength"]?.intValue, str.count > hi { out.append("\(path): longer than \(hi)") }
            if let pattern = s["pattern"]?.stringValue, str.range(of: pattern, options: .regularExpression) == nil {
                out.append("\(path): does not match \(pattern)")
            }
        default:
            break
        }
    }
}

/// Paths of the test fixtures.
enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static func data(_ name: String) throws -> Data { try Data(contentsOf: url(name)) }

    static func schema() throws -> SchemaValidator {
        SchemaValidator(root: try JSONValue.parse(data("nbformat.v4.5.schema.json")))
    }
}

/// A fresh temporary folder, removed by the caller.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "ritz-nb-test-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Whether `python3` on PATH can import `module`.
func pythonHas(_ module: String) -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import " + module]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
}
