import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that a reader sees either the old contents or the new, never a torn file.
public enum AtomicFile {
    /// Writes `data` to `path` through a temporary file in the same directory, fsync and rename.
    ///
    /// The existing file is never opened for writing, so a crash mid-write leaves it intact.
    ///
    /// - Parameters:
    ///   - data: The new contents.
    ///   - path: The destination.
    /// - Throws: `NotebookError.io` when any step fails; the temporary file is removed.
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        let temp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw NotebookError.io(path: path, message: String(cString: strerror(errno))) }
        var ok = true
        var message = ""
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count, let base = raw.baseAddress {
                let n = Glibc.write(fd, base + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    ok = false
                    message = String(cString: strerror(errno))
                    return
                }
                offset += n
            }
        }
        if ok && fsync(fd) != 0 { ok = false; message = String(cString: strerror(errno)) }
        close(fd)
        if ok && rename(temp, path) != 0 { ok = false; message = String(cString: strerror(errno)) }
        guard ok else {
            unlink(temp)
            throw NotebookError.io(path: path, message: message)
        }
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }

    /// Writes text as UTF-8 through `write(_:to:)`.
    ///
    /// - Parameters:
    ///   - text: The new contents.
    ///   - path: The destination.
    /// - Throws: `NotebookError.io`.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
