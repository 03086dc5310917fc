/// Why a session file could not be read or written.
public enum NotebookError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file is not valid JSON.
    case invalidJSON(path: String, message: String)
    /// The JSON is not a notebook (says what is missing or wrong).
    case notANotebook(String)
    /// An nbformat major version other than 4.
    case unsupportedVersion(Int)
    /// A file system operation failed.
    case io(path: String, message: String)
    /// A file extension ritz does not know how to read or write.
    case unknownFormat(String)
    /// No recoverable session with this number or name.
    case noSuchJournal(String)

    public var description: String {
        switch self {
        case .invalidJSON(let path, let message): return "\(path): not valid JSON (\(message))"
        case .notANotebook(let why): return "not a notebook: \(why)"
        case .unsupportedVersion(let v): return "nbformat \(v) is not supported (ritz reads nbformat 4)"
        case .io(let path, let message): return "\(path): \(message)"
        case .unknownFormat(let ext): return "unknown format `\(ext)` (expected ipynb, ritz, md or html)"
        case .noSuchJournal(let name): return "no recoverable session `\(name)`"
        }
    }
}
