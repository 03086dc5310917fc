import Foundation
import Testing
@testable import RitzTensor

/// CSV reading against Python's csv module and numpy.loadtxt: the cases and their expected
/// values or errors are written by `Fixtures/csv/make_csv_fixtures.py` (see its docstring).
@Suite struct CSVFixtureTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var delimiter: Character?
        var header: Bool?
        var shape: [Int]?
        var values: [Double]
        var error: String?
        var description: String { name }
    }

    static let cases: [Case] = {
        let url = Fixture.directory.appendingPathComponent("csv/expected.json")
        guard let data = try? Data(contentsOf: url),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else { return [] }
        return root.keys.sorted().compactMap { name in
            guard let c = root[name] else { return nil }
            // Values are Python reprs ('nan', '-inf', '0.001', …), which Double(String) reads exactly.
            let values = (c["values"] as? [String] ?? []).compactMap(Double.init)
            return Case(name: name, delimiter: (c["delimiter"] as? String)?.first, header: c["header"] as? Bool,
                        shape: c["shape"] as? [Int], values: values, error: c["error"] as? String)
        }
    }()

    @Test func fixturesArePresent() { #expect(Self.cases.count == 31) }

    @Test(arguments: cases)
    func matchesPython(_ c: Case) throws {
        let path = Fixture.path("csv/\(c.name).csv")
        if let error = c.error {
            do {
                let t = try Tensor.loadCSV(path: path, delimiter: c.delimiter, header: c.header)
                Issue.record("expected an error (\(error)), got \(t.shape)")
            } catch let e as FileFormatError {
                guard case let .malformed(_, reason) = e else { Issue.record("unexpected \(e)"); return }
                #expect(reason.contains(error) || (error == "fields" && reason.contains("fields, earlier rows have")),
                        "\(reason)")
                #expect(reason.hasPrefix("row "), "the message names the row: \(reason)")
            }
            return
        }
        let t = try Tensor.loadCSV(path: path, delimiter: c.delimiter, header: c.header)
        #expect(t.shape == c.shape)
        #expect(t.storage.count == c.values.count)
        for (a, b) in zip(t.storage, c.values) {
            #expect(a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN), "\(a) vs \(b)")
        }
    }

    /// The issue's reproducer: a bad field in the first row is an error naming row and column,
    /// not a header that drops the row.
    @Test func aBadFirstRowIsAnErrorNotAHeader() {
        #expect(throws: FileFormatError.malformed(path: "r.csv", reason: "row 1 (line 1), column 2: '2x' is not a number")) {
            try Tensor.parseCSV("1,2x,3\n4,5,6", path: "r.csv")
        }
        #expect(throws: FileFormatError.malformed(path: "h.csv", reason: "row 2 (line 2), column 1: '0x10' is not a number")) {
            try Tensor.parseCSV("a\n0x10\n", path: "h.csv")
        }
    }

    @Test func delimiterDetectionFollowsTheStatedRule() {
        #expect(Tensor.detectDelimiter(Array("a;b;c,d\n1,2,3,4,5".utf8)) == UInt8(ascii: ";"))
        #expect(Tensor.detectDelimiter(Array("\n\n\"x;y\",z\n".utf8)) == UInt8(ascii: ","))
        #expect(Tensor.detectDelimiter(Array("1\t2;3\n".utf8)) == UInt8(ascii: ";"))   // a tie goes to ; before tab
        #expect(Tensor.detectDelimiter(Array("42\n".utf8)) == UInt8(ascii: ","))
    }

    @Test func badDelimitersAreRefused() {
        for d: Character in ["\"", "\n", "é"] {
            #expect(throws: TensorError.self) { try Tensor.parseCSV("1", path: "x.csv", delimiter: d) }
        }
    }
}
