import Foundation
import RitzTensor

/// Reads the JSON fixtures written by Fixtures/make_fixtures.py (numpy, scipy, networkx, pydmd).
enum KoopmanFixtures {
    static func load(_ path: String) throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/" + path)
        let data = try Data(contentsOf: url)
        guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FileFormatError.malformed(path: path, reason: "not a JSON object")
        }
        return obj
    }

    static func doubles(_ any: Any?) -> [Double] { (any as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? [] }

    static func matrix(_ any: Any?) throws -> Tensor {
        let rows = (any as? [Any])?.map { doubles($0) } ?? []
        return try Tensor(rows: rows)
    }

    static func complexes(_ any: Any?) -> [Complex] {
        ((any as? [Any]) ?? []).map { let p = doubles($0); return Complex(p[0], p[1]) }
    }

    static func complexMatrix(_ any: Any?) -> [[Complex]] { ((any as? [Any]) ?? []).map { complexes($0) } }

    static func sub(_ obj: [String: Any], _ key: String) -> [String: Any] { obj[key] as? [String: Any] ?? [:] }

    /// Sorts complex numbers by (re, im) so two spectra can be compared elementwise.
    static func sorted(_ z: [Complex]) -> [Complex] {
        z.sorted { ($0.re, $0.im) < ($1.re, $1.im) }
    }
}
