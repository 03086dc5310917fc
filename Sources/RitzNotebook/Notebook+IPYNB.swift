import Foundation

extension Notebook {
    /// Reads a Jupyter notebook (nbformat 4), after checking its structure.
    ///
    /// Every field present must have the type nbformat 4 gives it (`NotebookValidation`), so a
    /// malformed file is refused rather than loaded as an empty or altered notebook. Optional
    /// fields may be missing: text may be one string or an array of lines; a cell without a
    /// valid, unique id gets a fresh one; a cell without outputs or execution count gets none;
    /// outputs of types other than nbformat's four are skipped.
    ///
    /// - Parameters:
    ///   - data: The `.ipynb` bytes.
    ///   - path: The file name, for messages.
    /// - Throws: `NotebookError` when the bytes are not JSON, not a notebook (naming the JSON
    ///   path of the problem), or not version 4.
    public init(ipynb data: Data, path: String = "notebook") throws {
        let root: JSONValue
        do {
            root = try JSONValue.parse(data)
        } catch let error as JSONParseError {
            throw NotebookError.invalidJSON(path: path, message: error.description)
        }
        try NotebookValidation.validate(root)
        guard let object = root.objectValue, let rawCells = object["cells"]?.arrayValue else {
            throw NotebookError.notANotebook("no `cells` list")
        }
        var metadata = object["metadata"]?.objectValue ?? [:]
        metadata["kernelspec"] = nil
        metadata["language_info"] = nil
        var notebook = Notebook(metadata: metadata)
        for (index, raw) in rawCells.enumerated() {
            guard let cellObject = raw.objectValue else {
                throw NotebookError.notANotebook("cell \(index + 1) is not an object")
            }
            guard let kind = CellKind(rawValue: cellObject["cell_type"]?.stringValue ?? "") else {
                throw NotebookError.notANotebook("cells[\(index)].cell_type: not a cell type")
            }
            let source = cellObject["source"]?.multilineText ?? ""
            var id = cellObject["id"]?.stringValue ?? ""
            if !Notebook.isValidCellID(id) || notebook.cells.contains(where: { $0.id == id }) {
                id = notebook.freshCellID()
            }
            var cell = Cell(id: id, kind: kind, source: source,
                            metadata: cellObject["metadata"]?.objectValue ?? [:])
            if kind == .code {
                cell.executionCount = cellObject["execution_count"]?.intValue
                cell.outputs = (cellObject["outputs"]?.arrayValue ?? []).compactMap(Notebook.output(from:))
            }
            notebook.cells.append(cell)
        }
        self = notebook
    }

    /// True when `id` is a valid nbformat 4.5 cell id: 1 to 64 of `[a-zA-Z0-9-_]`.
    ///
    /// - Parameter id: The candidate id.
    /// - Returns: Whether it is valid.
    public static func isValidCellID(_ id: String) -> Bool {
        guard (1...64).contains(id.count) else { return false }
        return id.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
        }
    }

    static func output(from value: JSONValue) -> CellOutput? {
        guard let o = value.objectValue, let type = o["output_type"]?.stringValue else { return nil }
        func bundle() -> [String: String] {
            var data: [String: String] = [:]
            for (mime, v) in o["data"]?.objectValue ?? [:] {
                if let text = v.multilineText {
                    data[mime] = text
                } else {
                    data[mime] = v.serialized(indent: 0)  // JSON MIME types keep their JSON text
                }
            }
            return data
        }
        switch type {
        case "stream":
            return .stream(name: o["name"]?.stringValue ?? "stdout", text: o["text"]?.multilineText ?? "")
        case "execute_result":
            return .result(executionCount: o["execution_count"]?.intValue, data: bundle())
        case "display_data":
            return .display(data: bundle())
        case "error":
            let traceback = (o["traceback"]?.arrayValue ?? []).compactMap(\.stringValue)
            return .error(name: o["ename"]?.stringValue ?? "error", value: o["evalue"]?.stringValue ?? "",
                          traceback: traceback)
        default:
            return nil
        }
    }

    /// The notebook as nbformat 4.5 JSON: sorted keys, one-space indent, trailing newline.
    ///
    /// - Returns: The `.ipynb` text.
    public func ipynbText() -> String {
        var meta = metadata
        meta["kernelspec"] = .object([
            "name": .string("ritz"), "display_name": .string("ritz"), "language": .string("ritz"),
        ])
        meta["language_info"] = .object(Notebook.languageInfo)
        let root: JSONValue = .object([
            "nbformat": .number(4), "nbformat_minor": .number(5),
            "metadata": .object(meta),
            "cells": .array(cells.map(Notebook.json(for:))),
        ])
        return root.serialized(indent: 1) + "\n"
    }

    /// The notebook as nbformat 4.5 JSON bytes.
    ///
    /// - Returns: UTF-8 bytes of `ipynbText()`.
    public func ipynbData() -> Data { Data(ipynbText().utf8) }

    static func json(for cell: Cell) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(cell.id), "cell_type": .string(cell.kind.rawValue),
            "metadata": .object(cell.metadata), "source": JSONValue.lines(cell.source),
        ]
        if cell.kind == .code {
            o["execution_count"] = cell.executionCount.map { .number(Double($0)) } ?? .null
            o["outputs"] = .array(cell.outputs.map(json(for:)))
        }
        return .object(o)
    }

    /// The `language_info` of ritz sessions (also what the Jupyter kernel reports): name, file
    /// extension, MIME type and the CodeMirror mode front ends highlight with.
    public static let languageInfo: [String: JSONValue] = [
        "name": .string("ritz"), "file_extension": .string(".ritz"),
        "mimetype": .string("text/x-ritz"), "codemirror_mode": .string("julia"),
    ]

    /// A MIME bundle as JSON: `…json` types as their parsed JSON, the others as text.
    ///
    /// - Parameters:
    ///   - data: Text by MIME type.
    ///   - asLines: Text as nbformat's list of lines (in a file) rather than one string (in a
    ///     Jupyter message).
    /// - Returns: The `data` object of an output.
    public static func mimeBundle(_ data: [String: String], asLines: Bool = true) -> JSONValue {
        var out: [String: JSONValue] = [:]
        for (mime, text) in data {
            if mime.hasSuffix("json"), let parsed = try? JSONValue.parse(text) {
                out[mime] = parsed
            } else {
                out[mime] = asLines ? JSONValue.lines(text) : .string(text)
            }
        }
        return .object(out)
    }

    static func json(for output: CellOutput) -> JSONValue {
        func bundle(_ data: [String: String]) -> JSONValue { mimeBundle(data) }
        switch output {
        case .stream(let name, let text):
            return .object(["output_type": .string("stream"), "name": .string(name), "text": JSONValue.lines(text)])
        case .result(let count, let data):
            return .object(["output_type": .string("execute_result"),
                            "execution_count": count.map { .number(Double($0)) } ?? .null,
                            "data": bundle(data), "metadata": .object([:])])
        case .display(let data):
            return .object(["output_type": .string("display_data"), "data": bundle(data), "metadata": .object([:])])
        case .error(let name, let value, let traceback):
            return .object(["output_type": .string("error"), "ename": .string(name), "evalue": .string(value),
                            "traceback": .array(traceback.map { .string($0) })])
        }
    }
}
