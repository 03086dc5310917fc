import Foundation
import RitzTensor

/// Session files read and written through `SafeFile` (atomic, link-safe writes; checked paths),
/// with its errors reported as `NotebookError.io`.
public enum AtomicFile {
    /// Writes `data` to `path` through a fresh temporary file beside it, fsync and rename (see
    /// `SafeFile.write`): a reader sees the old contents or the new, never a torn file.
    ///
    /// - Parameters:
    ///   - data: The new contents.
    ///   - path: The destination; a symbolic link is written through, the mode of an existing
    ///     file is kept.
    ///   - durability: Whether to fsync the file and its folder (the default) or not.
    /// - Throws: `NotebookError.io` when the path is refused or any step fails; the temporary
    ///   file is removed.
    public static func write(_ data: Data, to path: String,
                             durability: SafeFile.Durability = .survivesPowerLoss) throws {
        try reportingIO(path) { try SafeFile.write(data, to: path, durability: durability) }
    }

    /// Writes text as UTF-8 through `write(_:to:durability:)`.
    ///
    /// - Parameters:
    ///   - text: The new contents.
    ///   - path: The destination.
    ///   - durability: Whether to fsync.
    /// - Throws: `NotebookError.io`.
    public static func write(_ text: String, to path: String,
                             durability: SafeFile.Durability = .survivesPowerLoss) throws {
        try write(Data(text.utf8), to: path, durability: durability)
    }

    /// Reads a whole regular file (see `SafeFile.read`).
    ///
    /// - Parameter path: The file.
    /// - Returns: Its contents.
    /// - Throws: `NotebookError.io` when the path is refused or the file cannot be read.
    public static func read(_ path: String) throws -> Data {
        try reportingIO(path) { Data(try SafeFile.read(path)) }
    }

    /// A session path checked before anything looks at it (see `FilePath.checked`): no control
    /// characters, a leading `~` expanded to `$HOME`.
    ///
    /// - Parameter path: The path as given.
    /// - Returns: The path to use.
    /// - Throws: `NotebookError.io` for an empty path or one with a control character.
    public static func checkedPath(_ path: String) throws -> String {
        try reportingIO(path) { try FilePath.checked(path) }
    }

    /// Runs `body`, turning `SafeFile`'s errors into `NotebookError.io`.
    private static func reportingIO<R>(_ path: String, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let FileFormatError.io(_, reason) {
            throw NotebookError.io(path: path, message: reason)
        } catch let error as PathError {
            throw NotebookError.io(path: path, message: error.description)
        }
    }
}
