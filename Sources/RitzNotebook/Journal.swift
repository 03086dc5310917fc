import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An append-only autosave log of one running session.
///
/// The first line records the notebook as it was opened; every completed cell is appended as one
/// JSON line and fsynced before `append` returns, so a process killed at any moment after that
/// loses no completed cell. A clean exit removes the file; what remains is what `ritz recover`
/// offers. Writes use `write(2)` and `fsync(2)` directly, with no buffering in between.
public final class Journal: @unchecked Sendable {
    /// The journal file.
    public let path: String
    private var fd: Int32
    private let lock = NSLock()

    /// The folder of ritz's state files: `$XDG_STATE_HOME/ritz`, else `~/.local/state/ritz`.
    ///
    /// - Parameter environment: The process environment.
    /// - Returns: The folder path (not created).
    public static func stateDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") { return xdg + "/ritz" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.local/state/ritz"
    }

    /// The folder holding journals under a state directory.
    ///
    /// - Parameter stateDirectory: From `stateDirectory(environment:)`.
    /// - Returns: `<stateDirectory>/journal`.
    public static func journalDirectory(stateDirectory: String) -> String { stateDirectory + "/journal" }

    /// Starts a journal for a session, recording the notebook as opened.
    ///
    /// - Parameters:
    ///   - stateDirectory: ritz's state folder; the journal goes in its `journal/` folder.
    ///   - notebook: The notebook as opened (may be empty).
    ///   - sourcePath: The file it came from, if any.
    /// - Throws: `NotebookError.io` when the folder or file cannot be created.
    public init(stateDirectory: String, notebook: Notebook, sourcePath: String?) throws {
        let dir = Journal.journalDirectory(stateDirectory: stateDirectory)
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw NotebookError.io(path: dir, message: "cannot create the journal folder")
        }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let stamp = String(format: "%010ld%09ld", now.tv_sec, now.tv_nsec)
        path = dir + "/\(stamp)-\(getpid()).jsonl"
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw NotebookError.io(path: path, message: String(cString: strerror(errno))) }
        var header: [String: JSONValue] = [
            "kind": .string("start"), "pid": .number(Double(getpid())),
            "started": .number(Double(now.tv_sec)),
            "notebook": Journal.notebookJSON(notebook),
        ]
        if let sourcePath { header["path"] = .string(Journal.absolute(sourcePath)) }
        try writeLine(.object(header))
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Records a completed cell at `index` (replacing the cell with the same id on recovery).
    ///
    /// - Parameters:
    ///   - cell: The cell with its outputs.
    ///   - index: Its position in the notebook.
    /// - Throws: `NotebookError.io` when the write or fsync fails.
    public func append(cell: Cell, at index: Int) throws {
        try writeLine(.object(["kind": .string("cell"), "index": .number(Double(index)),
                               "cell": Notebook.json(for: cell)]))
    }

    /// Records the whole notebook (after a save, a delete or a reorder).
    ///
    /// - Parameter notebook: The current notebook.
    /// - Throws: `NotebookError.io`.
    public func snapshot(_ notebook: Notebook) throws {
        try writeLine(.object(["kind": .string("snapshot"), "notebook": Journal.notebookJSON(notebook)]))
    }

    /// Ends the session cleanly: the journal is removed and will not be offered for recovery.
    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        unlink(path)
    }

    private func writeLine(_ value: JSONValue) throws {
        lock.lock()
        defer { lock.unlock() }
        guard fd >= 0 else { throw NotebookError.io(path: path, message: "the journal is closed") }
        let bytes = Array((value.serialized(indent: 0) + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.write(fd, raw.baseAddress.map { $0 + offset }, bytes.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw NotebookError.io(path: path, message: String(cString: strerror(errno)))
            }
            offset += n
        }
        guard fsync(fd) == 0 else { throw NotebookError.io(path: path, message: String(cString: strerror(errno))) }
    }

    static func notebookJSON(_ notebook: Notebook) -> JSONValue {
        .object(["cells": .array(notebook.cells.map(Notebook.json(for:)))])
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}

/// A session that ended without a clean exit, as found in its journal.
public struct RecoverableSession: Equatable, Sendable {
    /// The journal file.
    public var journalPath: String
    /// The file the session had open, if any.
    public var sourcePath: String?
    /// Seconds since 1970 when the session started.
    public var started: Int
    /// The process that wrote it.
    public var pid: Int
    /// Completed cells recorded after the start.
    public var completedCells: Int
    /// The notebook rebuilt from the journal.
    public var notebook: Notebook
}

extension Journal {
    /// Journals of sessions that did not end cleanly and whose process is gone, oldest first.
    ///
    /// Unreadable lines (a torn last line) are skipped; everything before them is kept.
    ///
    /// - Parameter stateDirectory: ritz's state folder.
    /// - Returns: The recoverable sessions.
    public static func recoverable(stateDirectory: String) -> [RecoverableSession] {
        let dir = journalDirectory(stateDirectory: stateDirectory)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasSuffix(".jsonl") }.sorted()
        return names.compactMap { name in
            guard let session = read(journal: dir + "/" + name) else { return nil }
            if session.pid != Int(getpid()), session.pid > 0, kill(pid_t(session.pid), 0) == 0 { return nil }
            if session.pid == Int(getpid()) { return nil }
            return session
        }
    }

    /// Rebuilds the notebook a journal describes.
    ///
    /// - Parameter path: The journal file.
    /// - Returns: The session, or nil when the file has no readable start record.
    public static func read(journal path: String) -> RecoverableSession? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var session: RecoverableSession?
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let record = try? JSONValue.parse(Data(line)), let kind = record["kind"]?.stringValue else { continue }
            switch kind {
            case "start":
                guard let notebook = notebook(from: record["notebook"]) else { continue }
                session = RecoverableSession(journalPath: path, sourcePath: record["path"]?.stringValue,
                                             started: record["started"]?.intValue ?? 0,
                                             pid: record["pid"]?.intValue ?? 0, completedCells: 0,
                                             notebook: notebook)
            case "snapshot":
                if let notebook = notebook(from: record["notebook"]) { session?.notebook = notebook }
            case "cell":
                guard var current = session, let cellJSON = record["cell"],
                      let cell = notebook(from: .object(["cells": .array([cellJSON])]))?.cells.first else { continue }
                let index = max(0, record["index"]?.intValue ?? current.notebook.cells.count)
                if let existing = current.notebook.cells.firstIndex(where: { $0.id == cell.id }) {
                    current.notebook.cells[existing] = cell
                } else {
                    current.notebook.cells.insert(cell, at: min(index, current.notebook.cells.count))
                }
                current.completedCells += 1
                session = current
            case "end":
                return nil
            default:
                continue
            }
        }
        return session
    }

    static func notebook(from value: JSONValue?) -> Notebook? {
        guard let value, var object = value.objectValue else { return nil }
        object["nbformat"] = .number(4)
        return try? Notebook(ipynb: Data(JSONValue.object(object).serialized(indent: 0).utf8))
    }

    /// Writes a recovered session to `path` and retires its journal.
    ///
    /// - Parameters:
    ///   - session: From `recoverable(stateDirectory:)`.
    ///   - path: Where to write the `.ipynb` (or `.ritz`).
    /// - Throws: `NotebookError` when the file cannot be written; the journal is then kept.
    public static func restore(_ session: RecoverableSession, to path: String) throws {
        try session.notebook.save(path: path)
        let retired = session.journalPath + ".recovered"
        if rename(session.journalPath, retired) != 0 { unlink(session.journalPath) }
    }
}
