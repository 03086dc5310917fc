import Foundation
import Testing
@testable import RitzNotebook

/// Malformed sessions are refused with the JSON path of the problem instead of loading as an
/// empty or altered notebook (issue 21), and the structural rules agree with the nbformat 4.5
/// JSON schema (the fixture `nbformat.v4.5.schema.json`, checked by `SchemaValidator`).
@Suite("ipynb validation") struct NotebookValidationTests {
    struct Mutation: CustomTestStringConvertible, Sendable {
        let name: String
        /// Changes a valid notebook (the written sample) into a malformed one.
        let apply: @Sendable (inout [String: JSONValue]) -> Void
        let message: String
        var testDescription: String { name }
    }

    static func editCell(_ index: Int, _ key: String, _ value: JSONValue?) -> @Sendable (inout [String: JSONValue]) -> Void {
        { root in
            guard var cells = root["cells"]?.arrayValue, var cell = cells[index].objectValue else { return }
            cell[key] = value
            cells[index] = .object(cell)
            root["cells"] = .array(cells)
        }
    }

    static let mutations: [Mutation] = [
        Mutation(name: "cells a string", apply: { $0["cells"] = .string("x") }, message: "cells: expected a list of cells, got a string"),
        Mutation(name: "cells an object", apply: { $0["cells"] = .object([:]) }, message: "cells: expected a list of cells, got an object"),
        Mutation(name: "cells a number", apply: { $0["cells"] = .number(3) }, message: "cells: expected a list of cells, got a number"),
        Mutation(name: "cells null", apply: { $0["cells"] = .null }, message: "cells: expected a list of cells, got null"),
        Mutation(name: "cells missing", apply: { $0["cells"] = nil }, message: "cells: missing"),
        Mutation(name: "nbformat a string", apply: { $0["nbformat"] = .string("4") },
                 message: "nbformat: expected the integer 4, got the string \"4\""),
        Mutation(name: "nbformat 4.5", apply: { $0["nbformat"] = .number(4.5) }, message: "nbformat: expected the integer 4, got 4.5"),
        Mutation(name: "nbformat 1e300", apply: { $0["nbformat"] = .number(1e300) }, message: "nbformat: expected the integer 4, got 1e+300"),
        Mutation(name: "nbformat missing", apply: { $0["nbformat"] = nil }, message: "nbformat: missing"),
        Mutation(name: "metadata a list", apply: { $0["metadata"] = .array([]) }, message: "metadata: expected an object, got a list"),
        Mutation(name: "source a number", apply: editCell(1, "source", .number(3)),
                 message: "cells[1].source: expected a string or a list of strings, got a number"),
        Mutation(name: "source an object", apply: editCell(1, "source", .object([:])),
                 message: "cells[1].source: expected a string or a list of strings, got an object"),
        Mutation(name: "source line a number", apply: editCell(0, "source", .array([.string("a"), .number(1)])),
                 message: "cells[0].source[1]: expected a string, got a number"),
        Mutation(name: "source missing", apply: editCell(1, "source", nil), message: "cells[1].source: missing"),
        Mutation(name: "unknown cell type", apply: editCell(1, "cell_type", .string("heading")),
                 message: "cells[1].cell_type: unknown cell type \"heading\" (expected code, markdown or raw)"),
        Mutation(name: "cell type missing", apply: editCell(1, "cell_type", nil), message: "cells[1].cell_type: missing"),
        Mutation(name: "execution count negative", apply: editCell(1, "execution_count", .number(-1)),
                 message: "cells[1].execution_count: expected a non-negative integer or null, got -1"),
        Mutation(name: "outputs an object", apply: editCell(1, "outputs", .object([:])),
                 message: "cells[1].outputs: expected a list of outputs, got an object"),
        Mutation(name: "stream text a number", apply: editCell(1, "outputs", .array([.object([
            "output_type": .string("stream"), "name": .string("stdout"), "text": .number(1)])])),
                 message: "cells[1].outputs[0].text: expected a string or a list of strings, got a number"),
        Mutation(name: "cell metadata a string", apply: editCell(0, "metadata", .string("m")),
                 message: "cells[0].metadata: expected an object, got a string"),
    ]

    /// The written sample notebook as a JSON object.
    static func sampleObject() throws -> [String: JSONValue] {
        try JSONValue.parse(sampleNotebook().ipynbText()).objectValue ?? [:]
    }

    @Test("malformed sessions are refused, naming the JSON path", arguments: mutations)
    func refused(_ m: Mutation) throws {
        var root = try Self.sampleObject()
        #expect(root["cells"]?.arrayValue?.count ?? 0 >= 2)
        m.apply(&root)
        let data = Data(JSONValue.object(root).serialized(indent: 1).utf8)
        #expect(throws: NotebookError.notANotebook(m.message)) { try Notebook(ipynb: data) }
        // The schema agrees that each of these files is not a valid nbformat 4.5 notebook.
        #expect(try !Fixture.schema().errors(.object(root)).isEmpty)
    }

    @Test func otherMajorVersionsAreUnsupported() throws {
        var root = try Self.sampleObject()
        root["nbformat"] = .number(5)
        #expect(throws: NotebookError.unsupportedVersion(5)) {
            try Notebook(ipynb: Data(JSONValue.object(root).serialized(indent: 1).utf8))
        }
    }

    /// What the schema accepts, the loader accepts: the written sample and the shipped sessions.
    @Test func schemaValidNotebooksLoad() throws {
        let validator = try Fixture.schema()
        let sessions = Fixture.directory.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sessions")
        var files = [Data(sampleNotebook().ipynbText().utf8)]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: sessions.path)) ?? [] where name.hasSuffix(".ipynb") {
            files.append(try Data(contentsOf: sessions.appendingPathComponent(name)))
        }
        #expect(files.count >= 2)
        for data in files {
            #expect(validator.errors(try JSONValue.parse(data)) == [])
            #expect(throws: Never.self) { try Notebook(ipynb: data) }
        }
    }
}
