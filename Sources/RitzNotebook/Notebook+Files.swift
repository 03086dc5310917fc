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
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw NotebookError.io(path: path, message: "cannot read the file")
        }
        switch try SessionFormat.of(path: path) {
        case .ipynb: return try Notebook(ipynb: data, path: path)
        case .ritz:
            do { return Notebook(percentScript: try ScriptCells.decode(data)) } catch {
                throw NotebookError.io(path: path, message: "\(error)")
            }
        case let other: throw NotebookError.unknownFormat(other.rawValue)
        }
    }

    /// Saves atomically as `.ipynb` or `.ritz`, by the path's extension.
    ///
    /// - Parameter path: The destination.
    /// - Throws: `NotebookError` for an unknown extension or a failed write.
    public func save(path: String) throws {
        switch try SessionFormat.of(path: path) {
        case .ipynb: try AtomicFile.write(ipynbData(), to: path)
        case .ritz: try AtomicFile.write(percentScript(), to: path)
        case .md, .html: try export(to: path)
        }
    }
}
