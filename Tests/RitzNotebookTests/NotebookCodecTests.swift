import Foundation
import Testing
@testable import RitzNotebook

@Suite("ipynb codec")
struct NotebookCodecTests {
    @Test("write then read gives the same notebook, and the bytes are stable")
    func roundTrip() throws {
        let notebook = sampleNotebook()
        let text = notebook.ipynbText()
        let back = try Notebook(ipynb: Data(text.utf8))
        #expect(back == notebook)
        #expect(back.ipynbText() == text)
    }

    @Test("written notebooks satisfy the nbformat 4.5 schema")
    func schemaValid() throws {
        let validator = try Fixture.schema()
        let written = try JSONValue.parse(sampleNotebook().ipynbText())
        #expect(validator.errors(written) == [])
        #expect(written["nbformat"] == .number(4))
        #expect(written["nbformat_minor"] == .number(5))
        #expect(written["metadata"]?["kernelspec"]?["name"] == .string("ritz"))
        #expect(written["metadata"]?["language_info"]?["name"] == .string("ritz"))
        let tolerant = try Notebook(ipynb: Fixture.data("tolerant.ipynb"))
        #expect(validator.errors(try JSONValue.parse(tolerant.ipynbText())) == [])
    }

    struct Breakage: CustomTestStringConvertible, Sendable {
        let name: String
        let edit: @Sendable (inout [String: JSONValue]) -> Void
        var testDescription: String { name }
    }

    static let breakages: [Breakage] = [
        Breakage(name: "cell without id") { cell in cell["id"] = nil },
        Breakage(name: "id with a space") { cell in cell["id"] = .string("a b") },
        Breakage(name: "unknown cell type") { cell in cell["cell_type"] = .string("sql") },
        Breakage(name: "outputs on a markdown cell") { cell in
            cell["cell_type"] = .string("markdown")
        },
        Breakage(name: "negative execution count") { cell in cell["execution_count"] = .number(-1) },
        Breakage(name: "stream without name") { cell in
            cell["outputs"] = .array([.object(["output_type": .string("stream"), "text": .string("x")])])
        },
    ]

    @Test("the schema checker rejects broken notebooks", arguments: breakages)
    func schemaRejects(_ breakage: Breakage) throws {
        let validator = try Fixture.schema()
        guard case .object(var root) = try JSONValue.parse(sampleNotebook().ipynbText()),
              case .array(var cells) = root["cells"], case .object(var cell) = cells[1] else {
            Issue.record("unexpected shape")
            return
        }
        breakage.edit(&cell)
        cells[1] = .object(cell)
        root["cells"] = .array(cells)
        #expect(!validator.errors(.object(root)).isEmpty)
    }

    @Test("the reader tolerates line arrays, missing ids, outputs and counts")
    func tolerantReader() throws {
        let notebook = try Notebook(ipynb: Fixture.data("tolerant.ipynb"))
        #expect(notebook.cells.count == 4)
        #expect(notebook.cells.map(\.kind) == [.markdown, .code, .code, .code])
        #expect(notebook.cells[0].source == "# Title\n\nSome text.")
        #expect(notebook.cells[1].source == "x = [1, 2,\n     3]\nx")
        #expect(notebook.cells[1].executionCount == 3)
        #expect(notebook.cells[1].metadata["tags"] == .array([.string("keep")]))
        #expect(notebook.cells[1].outputs.count == 3)  // update_display_data dropped
        #expect(notebook.cells[1].outputs[0] == .stream(name: "stdout", text: "line one\nline two\n"))
        #expect(notebook.cells[1].outputs[1].plainText == "[1, 2,\n 3]")
        if case .display(let data) = notebook.cells[1].outputs[2] {
            #expect(data["application/json"] == #"{"a":[1,2]}"#)
        } else {
            Issue.record("expected a display")
        }
        #expect(notebook.cells[2].source == "y = 2")
        #expect(notebook.cells[2].outputs.isEmpty && notebook.cells[2].executionCount == nil)
        #expect(notebook.cells[3].outputs.first?.isError == true)
        #expect(Set(notebook.cells.map(\.id)).count == 4)
        #expect(notebook.cells.allSatisfy { Notebook.isValidCellID($0.id) })
        #expect(notebook.metadata["custom"] == .object(["k": .number(1)]))
    }

    @Test("duplicate and invalid ids are replaced by fresh ones")
    func duplicateIDs() throws {
        let text = #"{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[{"cell_type":"code","id":"a","source":"1"},{"cell_type":"code","id":"a","source":"2"},{"cell_type":"code","id":"bad id!","source":"3"}]}"#
        let notebook = try Notebook(ipynb: Data(text.utf8))
        #expect(notebook.cells[0].id == "a")
        #expect(Set(notebook.cells.map(\.id)).count == 3)
        #expect(notebook.cells.allSatisfy { Notebook.isValidCellID($0.id) })
    }

    struct BadFile: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let expected: String
        var testDescription: String { name }
    }

    static let badFiles: [BadFile] = [
        BadFile(name: "empty", text: "", expected: "invalidJSON"),
        BadFile(name: "truncated", text: #"{"cells": ["#, expected: "invalidJSON"),
        BadFile(name: "array at top", text: "[1, 2]", expected: "notANotebook"),
        BadFile(name: "no cells", text: #"{"metadata": {}}"#, expected: "notANotebook"),
        BadFile(name: "nbformat 3", text: #"{"nbformat": 3, "worksheets": []}"#, expected: "unsupportedVersion"),
        BadFile(name: "cell not an object", text: #"{"nbformat": 4, "cells": [3]}"#, expected: "notANotebook"),
        BadFile(name: "deep nesting", text: String(repeating: "[", count: 100_000), expected: "invalidJSON"),
        BadFile(name: "lone surrogate", text: #"{"nbformat": 4, "cells": [{"cell_type": "code", "source": "\ud800"}]}"#, expected: "ok"),
    ]

    @Test("bad files throw a typed error instead of crashing", arguments: badFiles)
    func badFile(_ bad: BadFile) {
        do {
            _ = try Notebook(ipynb: Data(bad.text.utf8))
            #expect(bad.expected == "ok")
        } catch let error as NotebookError {
            #expect(String(describing: error).isEmpty == false)
            switch error {
            case .invalidJSON: #expect(bad.expected == "invalidJSON")
            case .notANotebook: #expect(bad.expected == "notANotebook")
            case .unsupportedVersion: #expect(bad.expected == "unsupportedVersion")
            default: Issue.record("unexpected \(error)")
            }
        } catch {
            Issue.record("untyped error \(error)")
        }
    }

    @Test("the nbformat package accepts written notebooks",
          .enabled(if: pythonHas("nbformat"), "needs python3 with nbformat"))
    func nbformatPackage() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = dir + "/sample.ipynb", b = dir + "/tolerant.ipynb"
        try sampleNotebook().save(path: a)
        try Notebook(ipynb: Fixture.data("tolerant.ipynb")).save(path: b)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Fixture.url("validate_nbformat.py").path, a, b]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
    }
}

@Suite("JSON")
struct JSONValueTests {
    @Test("strings with escapes, non-ASCII and surrogate pairs survive a round trip",
          arguments: ["plain", "quote \" backslash \\ tab \t nl \n", "ünïcödé ⣿ 日本", "\u{01} ctl", "😀 astral"])
    func stringRoundTrip(_ s: String) throws {
        let text = JSONValue.string(s).serialized()
        #expect(try JSONValue.parse(text) == .string(s))
    }

    @Test("surrogate-pair escapes decode to one scalar")
    func surrogates() throws {
        #expect(try JSONValue.parse(#""\ud83d\ude00""#) == .string("😀"))
    }

    @Test("numbers keep integers integral", arguments: [("1", "1"), ("-2.5", "-2.5"), ("1e3", "1000"), ("0.1", "0.1")])
    func numbers(_ pair: (String, String)) throws {
        #expect(try JSONValue.parse(pair.0).serialized() == pair.1)
    }

    @Test("objects are written with sorted keys and one-space indent")
    func layout() throws {
        let v = try JSONValue.parse(#"{"b": [1, {"d": null}], "a": true}"#)
        #expect(v.serialized() == "{\n \"a\": true,\n \"b\": [\n  1,\n  {\n   \"d\": null\n  }\n ]\n}")
        #expect(v.serialized(indent: 0) == #"{"a":true,"b":[1,{"d":null}]}"#)
    }
}
