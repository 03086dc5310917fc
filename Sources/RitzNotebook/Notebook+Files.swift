import Foundation
import RitzLang

/// The session file formats ritz reads and writes.
public enum SessionFormat: String, Sendable, CaseIterable {
    case ipynb, ritz, md, html

    /// The format named by a path's extension.
    ///
    /// - Parameter path: A file path.
    /// - Returns: The format.
    /// - Throws: `NotebookError.unknownFormat` for any other extension.
    public static func of(path: String) throws -> SessionFormat {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        guard let format = SessionFormat(rawValue: ext == "markdown" ? "md" : ext == "htm" ? "html" : ext) else {
            throw NotebookError.unknownFormat(ext)
        }
        return format
    }
}

extension Notebook {
    /// Loads a `.ipynb` session or a `.ritz` script.
    ///
    /// - Parameter path: The file.
    /// - Returns: The notebook.
    /// - Throws: `NotebookError` when the file cannot be read or parsed.
    public static func load(path: String) throws -> Notebook {
        try loadStamped(path: path).notebook
    }

    /// Loads like `load(path:)` and records the file as read, so a later save can tell whether
    /// someone else wrote it in between (`FileStamp.change(since:path:)`).
    ///
    /// - Parameter path: The file.
    /// - Returns: The notebook and the stamp of the bytes it was parsed from.
    /// - Throws: `NotebookError` when the file cannot be read or parsed.
    public static func loadStamped(path: String) throws -> (notebook: Notebook, stamp: FileStamp) {
        let path = try AtomicFile.checkedPath(path)
        let data = try AtomicFile.read(path)
        let stamp = FileStamp(data: data, path: path)
        switch try SessionFormat.of(path: path) {
        case .ipynb: return (try Notebook(ipynb: data, path: path), stamp)
        case .ritz: return (Notebook(percentScript: try scriptText(data, path: path)), stamp)
        case let other: throw NotebookError.unknownFormat(other.rawValue)
        }
    }

    /// Loads a `.ritz` script with the line in the file where each cell starts.
    ///
    /// - Parameter path: The script.
    /// - Returns: The notebook and each cell's line offset (see `percentScript(_:)`).
    /// - Throws: `NotebookError.io` when the file cannot be read or is not UTF-8.
    public static func loadScript(path: String) throws -> (notebook: Notebook, lineOffsets: [Int]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NotebookError.io(path: path, message: "cannot read the file")
        }
        return percentScript(try scriptText(data, path: path))
    }

    /// A script's bytes as text, refusing bytes that are not UTF-8 (running a lossy decoding
    /// would run something other than the file).
    static func scriptText(_ data: Data, path: String) throws -> String {
        do { return try ScriptCells.decode(data) } catch {
            throw NotebookError.io(path: path, message: "\(error)")
        }
    }

    /// Saves atomically as `.ipynb` or `.ritz`, by the path's extension.
    ///
    /// - Parameter path: The destination.
    /// - Returns: The stamp of the file as written (for `.md`/`.html`, of the file on disk).
    /// - Throws: `NotebookError` for an unknown extension or a failed write.
    @discardableResult
    public func save(path: String) throws -> FileStamp? {
        let path = try AtomicFile.checkedPath(path)
        let data: Data
        switch try SessionFormat.of(path: path) {
        case .ipynb: data = ipynbData()
        case .ritz: data = Data(percentScript().utf8)
        case .md, .html:
            try export(to: path)
            return FileStamp.current(path: path)
        }
        try AtomicFile.write(data, to: path)
        return FileStamp(data: data, path: path)
    }
}
