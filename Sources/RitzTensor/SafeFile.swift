import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads and writes whole files for every part of ritz: `.npy`/`.csv` arrays, figures, sessions,
/// exports and history all go through here.
///
/// A write never opens the target itself. It creates a fresh temporary file
/// `.NAME.tmp-XXXXXXXXXXXX` in the target's folder with `O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC`
/// under twelve characters from the system random source (as `mkstemp` does, but with the mode
/// given to `open`, so the umask applies), so a file or symbolic link planted at a predictable
/// name cannot redirect it. It writes the data, fsyncs it, gives it the target's permission bits
/// and owner (a new file gets `0666 & ~umask`), renames it over the target and fsyncs the folder:
/// a reader sees the old contents or the new, never a torn file. A target that is a symbolic link
/// is resolved first and the file it points to is replaced, so the link stays a link.
///
/// A writer that dies between creating and renaming its temporary file (SIGKILL, SIGTERM, a
/// power cut) cannot remove it: no signal mask covers SIGKILL, and blocking signals in the
/// writing thread does not stop a process-directed SIGTERM taken by another thread. So each
/// temporary file is held under `flock(LOCK_EX)` while its writer lives (the kernel drops the
/// lock when the process dies; `flock` locks belong to the open file, so two writers in one
/// process exclude each other too), and each write first removes the unlocked temporary files
/// that earlier writers of the same target left behind.
public enum SafeFile {
    /// How far a write is flushed before `write` returns.
    public enum Durability: Sendable {
        /// fsync the file before the rename and the folder after it: the new contents survive a
        /// power cut once `write` returns.
        case survivesPowerLoss
        /// No fsync: the rename is still atomic, so a killed process leaves the old contents or
        /// the new, but a power cut may lose the last writes. For files rewritten very often
        /// (a session saved after every cell).
        case survivesProcessKill
    }

    /// Longest part of the target's name kept in a temporary name, in bytes: the name plus
    /// `.` `.tmp-` and twelve random characters stays under the 255-byte `NAME_MAX`.
    static let temporaryStemBytes = 200

    /// Writes `bytes` to `path` atomically (see the type's description).
    ///
    /// - Parameters:
    ///   - bytes: The new contents.
    ///   - path: The destination; `~` is expanded, a symbolic link is written through.
    ///   - durability: Whether to fsync the file and its folder (the default) or not.
    /// - Throws: `PathError` for an empty path or one with control characters;
    ///   `FileFormatError.io` when the target is a folder or not a regular file, or when any
    ///   step fails (the temporary file is removed).
    public static func write(_ bytes: some ContiguousBytes, to path: String,
                             durability: Durability = .survivesPowerLoss) throws {
        try write(bytes, to: path, durability: durability, suffixes: randomSuffix)
    }

    /// `write` with the source of temporary-name suffixes given (tests plant files at them).
    static func write(_ bytes: some ContiguousBytes, to path: String, durability: Durability,
                      suffixes: () -> String) throws {
        let given = try FilePath.checked(path)
        let target = try resolvingLinks(given)
        let (directory, name) = FilePath.split(target)
        guard !name.isEmpty, name != ".", name != ".." else { throw io(given, "names a folder, not a file") }
        let folder = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { throw io(given, "cannot open the folder \(directory): \(errnoText())") }
        defer { close(folder) }
        var existing = stat()
        let exists = fstatat(folder, name, &existing, AT_SYMLINK_NOFOLLOW) == 0
        if !exists && errno != ENOENT { throw io(given, "cannot write: \(errnoText())") }
        if exists { try requireRegular(existing, path: given) }
        removeAbandonedTemporaries(of: name, in: folder)
        let (fd, temporary) = try createTemporary(of: name, in: folder, mode: exists ? 0o600 : 0o666, path: given,
                                                  suffixes: suffixes)
        var renamed = false
        defer {
            if !renamed { unlinkat(folder, temporary, 0) }
            close(fd)
        }
        try writeAll(bytes, to: fd, path: given)
        if exists {
            // Owner first: fchown clears set-id bits, and only root may give a file away, so a
            // failure leaves the file ours, as any new file would be.
            if existing.st_uid != geteuid() || existing.st_gid != getegid() {
                _ = fchown(fd, existing.st_uid, existing.st_gid)
            }
            guard fchmod(fd, existing.st_mode & 0o777) == 0 else { throw io(given, "cannot set the mode: \(errnoText())") }
        }
        if durability == .survivesPowerLoss, fsync(fd) != 0 { throw io(given, "cannot write: \(errnoText())") }
        guard renameat(folder, temporary, folder, name) == 0 else { throw io(given, "cannot write: \(errnoText())") }
        renamed = true
        if durability == .survivesPowerLoss { _ = fsync(folder) }
    }

    /// Writes text as UTF-8 through `write(_:to:durability:)`.
    ///
    /// - Parameters:
    ///   - text: The new contents.
    ///   - path: The destination.
    ///   - durability: Whether to fsync.
    /// - Throws: As `write(_:to:durability:)`.
    public static func write(_ text: String, to path: String, durability: Durability = .survivesPowerLoss) throws {
        try write(Array(text.utf8), to: path, durability: durability)
    }

    /// Reads a whole regular file.
    ///
    /// - Parameters:
    ///   - path: The file; `~` is expanded.
    ///   - maxBytes: The largest file accepted.
    /// - Returns: Its bytes.
    /// - Throws: `PathError` for an empty path or one with control characters;
    ///   `FileFormatError.io` when it cannot be opened or read, is a folder, a device or a pipe,
    ///   or is larger than `maxBytes`.
    public static func read(_ path: String, maxBytes: Int = Int.max) throws -> [UInt8] {
        let checked = try FilePath.checked(path)
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
        let fd = open(checked, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else { throw io(checked, "cannot read: \(errnoText())") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw io(checked, "cannot read: \(errnoText())") }
        try requireRegular(info, path: checked)
        let tooLarge = io(checked, "is larger than the \(formatBytes(maxBytes)) ritz may allocate")
        guard Int(info.st_size) <= maxBytes else { throw tooLarge }
        var bytes = [UInt8]()
        bytes.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw io(checked, "cannot read: \(errnoText())")
            }
            if n == 0 { return bytes }
            guard bytes.count + n <= maxBytes else { throw tooLarge }
            bytes += chunk[0..<n]
        }
    }

    // MARK: - Steps

    static func io(_ path: String, _ reason: String) -> FileFormatError { .io(path: path, reason: reason) }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// Refuses folders, devices, pipes and sockets.
    static func requireRegular(_ info: stat, path: String) throws {
        switch info.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw io(path, "is a folder, not a file")
        default: throw io(path, "is not a regular file")
        }
    }

    /// The file a chain of symbolic links ends at (that file may not exist yet); `path` itself
    /// when it is not a link. Relative links are taken from the folder of the link.
    static func resolvingLinks(_ path: String) throws -> String {
        var current = path
        // Linux's own limit on links followed in one lookup (MAXSYMLINKS).
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
            let n = readlink(current, &buffer, buffer.count)
            guard n > 0 else { throw io(path, "cannot read the symbolic link \(current): \(errnoText())") }
            guard let link = String(validating: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) else {
                throw io(path, "the symbolic link \(current) points to a name that is not UTF-8")
            }
            let folder = FilePath.split(current).directory
            current = link.hasPrefix("/") ? link : (folder == "/" ? "/" : folder + "/") + link
        }
        throw io(path, "too many levels of symbolic links")
    }

    /// `.NAME.tmp-`, the start of every temporary name for target `name`.
    static func temporaryPrefix(of name: String) -> String {
        var stem = Substring(name)
        while stem.utf8.count > temporaryStemBytes { stem = stem.dropLast() }
        return "." + stem + ".tmp-"
    }

    /// Twelve characters from `[a-z0-9]` drawn from the system random source (getrandom):
    /// 36¹² ≈ 4.7·10¹⁸ names, so none can be guessed ahead.
    static func randomSuffix() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var random = SystemRandomNumberGenerator()
        return String(decoding: (0..<12).map { _ in alphabet[Int(random.next(upperBound: UInt64(alphabet.count)))] },
                      as: UTF8.self)
    }

    /// Creates and locks a new temporary file for `name` in `folder`, trying names until one
    /// is free (a name taken by any file or link is skipped, never opened).
    ///
    /// - Returns: Its descriptor (open for writing, locked) and name.
    static func createTemporary(of name: String, in folder: Int32, mode: mode_t, path: String,
                                suffixes: () -> String) throws -> (Int32, String) {
        let prefix = temporaryPrefix(of: name)
        for _ in 0..<100 {
            let temporary = prefix + suffixes()
            let fd = openat(folder, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd < 0 {
                if errno == EEXIST || errno == EINTR { continue }
                throw io(path, "cannot create a temporary file in its folder: \(errnoText())")
            }
            // A sweeper of another writer may have opened this name between our create and our
            // lock: if it holds the lock, or already removed the name, take another name.
            var info = stat()
            guard flock(fd, LOCK_EX | LOCK_NB) == 0, fstat(fd, &info) == 0, info.st_nlink > 0 else {
                close(fd)
                continue
            }
            return (fd, temporary)
        }
        throw io(path, "cannot create a temporary file in its folder: every name tried was taken")
    }

    /// Removes the temporary files of `name` in `folder` whose writers died (their lock is free).
    /// Only regular files owned by this user are considered; failures are ignored.
    static func removeAbandonedTemporaries(of name: String, in folder: Int32) {
        let prefix = temporaryPrefix(of: name)
        let listing = openat(folder, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard listing >= 0, let dir = fdopendir(listing) else {
            if listing >= 0 { close(listing) }
            return
        }
        var candidates: [String] = []
        while let entry = readdir(dir) {
            // Read the name in place: glibc packs entries at their record length, so the last
            // entry of a buffer may end before the 256 bytes `d_name` is declared with, and
            // copying the whole field can read past the buffer.
            let entryName = withUnsafeMutablePointer(to: &entry.pointee.d_name) { field in
                field.withMemoryRebound(to: CChar.self, capacity: 1) { String(cString: $0) }
            }
            if entryName.hasPrefix(prefix) { candidates.append(entryName) }
        }
        closedir(dir)
        for candidate in candidates {
            let fd = openat(folder, candidate, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var held = stat(), named = stat()
            guard fstat(fd, &held) == 0, held.st_mode & S_IFMT == S_IFREG, held.st_uid == geteuid(),
                  flock(fd, LOCK_EX | LOCK_NB) == 0,
                  fstatat(folder, candidate, &named, AT_SYMLINK_NOFOLLOW) == 0,
                  named.st_ino == held.st_ino, named.st_dev == held.st_dev else { continue }
            unlinkat(folder, candidate, 0)
        }
    }

    /// Writes every byte, retrying short writes and EINTR.
    static func writeAll(_ bytes: some ContiguousBytes, to fd: Int32, path: String) throws {
        let failure: String? = bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count, let base = raw.baseAddress {
                let n = Glibc.write(fd, base + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errnoText()
                }
                offset += n
            }
            return nil
        }
        if let failure { throw io(path, "cannot write: \(failure)") }
    }
}
