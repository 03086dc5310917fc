import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An append-only autosave log of one running session.
///
/// The first line records the notebook as it was opened. A cell about to run is recorded with
/// its source (`begin`), and again with its outputs once it completes (`cell`), each before the
/// next step starts; a kill at any moment loses no completed cell and no source that ran.
///
/// Durability: each record is `write(2)` straight to a file opened with `O_APPEND`, with no
/// buffering in ritz. When `write` returns the bytes are in the kernel, so they survive the
/// death of the process (SIGKILL, a crash, the OOM killer), which is the failure the journal is
/// for. There is no `fsync`: surviving power loss or a kernel crash as well would cost a disk
/// flush per cell (20,000 small cells: 65 s instead of well under a second); a saved file,
/// written by `AtomicFile` with `fsync`, carries that stronger guarantee.
///
/// Ownership: the writer holds an exclusive `flock(2)` on the file for as long as it runs. The
/// kernel drops the lock as the dead process's last thread goes, without waiting for a parent
/// to reap it, so a journal is recoverable exactly when its lock can be taken: no PID check
/// that a zombie or a reused PID can fool. A clean exit removes the file; what remains is what
/// `ritz recover` offers.
public final class Journal: @unchecked Sendable {
    /// The journal file.
    public let path: String
    private var fd: Int32
    private let lock = NSLock()

    /// The folder of ritz's state files: `$XDG_STATE_HOME/ritz`, else `$HOME/.local/state/ritz`.
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
    /// The file is written under a hidden temporary name, locked, given its start record and
    /// only then renamed into place, so every visible journal has a complete start record and
    /// a lock from its first moment.
    ///
    /// - Parameters:
    ///   - stateDirectory: ritz's state folder; the journal goes in its `journal/` folder.
    ///   - notebook: The notebook as opened (may be empty).
    ///   - sourcePath: The file it came from, if any.
    /// - Throws: `NotebookError.io` when the folder or file cannot be created or locked.
    public init(stateDirectory: String, notebook: Notebook, sourcePath: String?) throws {
        let dir = Journal.journalDirectory(stateDirectory: stateDirectory)
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw NotebookError.io(path: dir, message: "cannot create the journal folder")
        }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let name = String(format: "%010ld%09ld", now.tv_sec, now.tv_nsec) + "-\(getpid()).jsonl"
        path = dir + "/" + name
        let temporary = dir + "/." + name + ".tmp"
        fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw NotebookError.io(path: temporary, message: String(cString: strerror(errno))) }
        do {
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                throw NotebookError.io(path: temporary, message: "cannot lock: " + String(cString: strerror(errno)))
            }
            var header: [String: JSONValue] = [
                "kind": .string("start"), "pid": .number(Double(getpid())),
                "started": .number(Double(now.tv_sec)),
                "notebook": Journal.notebookJSON(notebook),
            ]
            if let sourcePath { header["path"] = .string(Journal.absolute(sourcePath)) }
            try writeLine(.object(header))
            guard rename(temporary, path) == 0 else {
                throw NotebookError.io(path: path, message: String(cString: strerror(errno)))
            }
        } catch {
            close(fd)
            fd = -1
            unlink(temporary)
            throw error
        }
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Records that the cell at `index` starts running: its source reaches the journal before it
    /// runs, so a kill during the run keeps the source (recovered without outputs).
    ///
    /// - Parameters:
    ///   - cell: The cell as it will run.
    ///   - index: Its position in the notebook.
    /// - Throws: `NotebookError.io` when the write fails.
    public func begin(cell: Cell, at index: Int) throws {
        var started = cell
        started.outputs = []
        started.executionCount = nil
        try writeLine(.object(["kind": .string("begin"), "index": .number(Double(index)),
                               "cell": Notebook.json(for: started)]))
    }

    /// Records a completed cell at `index` (replacing the cell with the same id on recovery).
    ///
    /// - Parameters:
    ///   - cell: The cell with its outputs.
    ///   - index: Its position in the notebook.
    /// - Throws: `NotebookError.io` when the write fails.
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

    /// Ends the session cleanly: the journal is marked ended and removed, and will not be
    /// offered for recovery (the mark retires it even if the removal fails).
    public func finish() {
        try? writeLine(.object(["kind": .string("end")]))
        lock.lock()
        defer { lock.unlock() }
        unlink(path)
        if fd >= 0 {
            close(fd)
            fd = -1
        }
    }

    /// Writes one record as one line, all of it before returning (see the type's note on
    /// durability: `write(2)` without `fsync`).
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
    /// The id of the cell that was running when the process died: its source is in `notebook`,
    /// its outputs are not (it never completed).
    public var runningCellID: String?

    /// The position of the cell that was running when the process died, if one was.
    public var runningCellIndex: Int? {
        runningCellID.flatMap { id in notebook.cells.firstIndex { $0.id == id } }
    }
}

extension Journal {
    /// Journals of sessions that did not end cleanly and whose process is gone, oldest first.
    ///
    /// A journal is offered when its lock can be taken (its writer is dead), it has a readable
    /// start record, it was not ended, and no newer journal supersedes it (see `prune`).
    /// Unreadable lines (a torn last line) are skipped; everything before them is kept.
    ///
    /// - Parameters:
    ///   - stateDirectory: ritz's state folder.
    ///   - prune: Also delete the journals nothing can be recovered from (`prune`'s rule).
    /// - Returns: The recoverable sessions.
    public static func recoverable(stateDirectory: String, prune: Bool = false) -> [RecoverableSession] {
        let scan = scan(stateDirectory: stateDirectory)
        if prune {
            for path in scan.retired { unlink(path) }
        }
        return scan.recoverable
    }

    /// Deletes the journals nothing can be recovered from, and returns what is left to recover.
    ///
    /// The rule: a journal whose writer is alive (its lock is held) is never touched. Of the
    /// others, these go: one that was ended (a clean exit whose removal failed) or renamed
    /// `.recovered` by an older ritz; one with no readable start record, or a temporary file
    /// that never became a journal; and a superseded one, an older journal of the same source
    /// path (or of no path, for untitled sessions) every cell of which — kind, source,
    /// execution count and outputs — appears in a newer dead journal of that path, so restoring
    /// it could give nothing the newer one does not. A restored journal is removed by `restore`.
    ///
    /// - Parameter stateDirectory: ritz's state folder.
    /// - Returns: The recoverable sessions that remain, oldest first.
    @discardableResult
    public static func prune(stateDirectory: String) -> [RecoverableSession] {
        recoverable(stateDirectory: stateDirectory, prune: true)
    }

    /// What a look through the journal folder found.
    struct Scan {
        /// Dead sessions worth offering, oldest first.
        var recoverable: [RecoverableSession] = []
        /// Files of dead sessions with nothing to recover.
        var retired: [String] = []
    }

    /// Sorts the journal folder's files into recoverable and retired (live ones are left out).
    static func scan(stateDirectory: String) -> Scan {
        let dir = journalDirectory(stateDirectory: stateDirectory)
        // The name starts with a fixed-width time stamp, so name order is start order.
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
        var result = Scan()
        var dead: [RecoverableSession] = []
        for name in names {
            let path = dir + "/" + name
            if name.hasSuffix(".jsonl.recovered") {
                result.retired.append(path)
            } else if name.hasPrefix("."), name.hasSuffix(".jsonl.tmp") {
                // A journal being created is unlocked for the moment between its `open` and its
                // `flock`; only one left for a minute is an orphan.
                var info = stat()
                let stale = stat(path, &info) == 0 && time(nil) - info.st_mtim.tv_sec > 60
                if stale, ownerIsAlive(journal: path) == false { result.retired.append(path) }
            } else if name.hasSuffix(".jsonl"), !name.hasPrefix(".") {
                switch ownerIsAlive(journal: path) {
                case true?: continue
                case nil: continue  // vanished while we looked
                case false?:
                    switch parse(journal: path) {
                    case .session(let session): dead.append(session)
                    case .ended, .unreadable: result.retired.append(path)
                    }
                }
            }
        }
        for (i, older) in dead.enumerated() {
            let newer = dead[(i + 1)...].filter { $0.sourcePath == older.sourcePath }
            if newer.contains(where: { contains($0.notebook, everyCellOf: older.notebook) }) {
                result.retired.append(older.journalPath)
            } else {
                result.recoverable.append(older)
            }
        }
        return result
    }

    /// Whether every cell of `part` (kind, source, execution count, outputs) appears in `whole`.
    static func contains(_ whole: Notebook, everyCellOf part: Notebook) -> Bool {
        let keys = Set(whole.cells.map(contentKey))
        return part.cells.allSatisfy { keys.contains(contentKey($0)) }
    }

    /// A cell's content as text, without its id and metadata.
    static func contentKey(_ cell: Cell) -> String {
        guard var object = Notebook.json(for: cell).objectValue else { return "" }
        object["id"] = nil
        object["metadata"] = nil
        return JSONValue.object(object).serialized(indent: 0)
    }

    /// Whether the process that wrote a journal still runs, by its lock.
    ///
    /// - Parameter path: The journal file.
    /// - Returns: True when the lock is held, false when it can be taken (the writer is dead),
    ///   nil when the file is gone. Where the file system refuses `flock` altogether, the
    ///   recorded PID decides instead.
    static func ownerIsAlive(journal path: String) -> Bool? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return false }
        if errno == EWOULDBLOCK { return true }
        guard case .session(let session) = parse(journal: path), session.pid > 0 else { return false }
        return session.pid == Int(getpid()) || kill(pid_t(session.pid), 0) == 0
    }

    /// What a journal file holds.
    enum Contents {
        /// A session that did not end.
        case session(RecoverableSession)
        /// A session that ended cleanly.
        case ended
        /// No readable start record.
        case unreadable
    }

    /// Rebuilds the notebook a journal describes.
    ///
    /// - Parameter path: The journal file.
    /// - Returns: The session, or nil when the file has no readable start record or was ended.
    public static func read(journal path: String) -> RecoverableSession? {
        if case .session(let session) = parse(journal: path) { return session }
        return nil
    }

    /// Replays a journal's records.
    static func parse(journal path: String) -> Contents {
        guard let data = FileManager.default.contents(atPath: path) else { return .unreadable }
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
                guard var current = session, var notebook = notebook(from: record["notebook"]) else { continue }
                // A snapshot taken while a cell runs (on SIGTERM) holds that cell's outputs from
                // an earlier run; it has not completed, so it comes back without them.
                if let id = current.runningCellID, let running = notebook.cells.firstIndex(where: { $0.id == id }) {
                    notebook.cells[running].outputs = []
                    notebook.cells[running].executionCount = nil
                }
                current.notebook = notebook
                session = current
            case "begin", "cell":
                guard var current = session, let cellJSON = record["cell"],
                      let cell = notebook(from: .object(["cells": .array([cellJSON])]))?.cells.first else { continue }
                let index = max(0, record["index"]?.intValue ?? current.notebook.cells.count)
                if let existing = current.notebook.cells.firstIndex(where: { $0.id == cell.id }) {
                    current.notebook.cells[existing] = cell
                } else {
                    current.notebook.cells.insert(cell, at: min(index, current.notebook.cells.count))
                }
                if kind == "begin" {
                    current.runningCellID = cell.id
                } else {
                    current.completedCells += 1
                    if current.runningCellID == cell.id { current.runningCellID = nil }
                }
                session = current
            case "end":
                return .ended
            default:
                continue
            }
        }
        return session.map(Contents.session) ?? .unreadable
    }

    static func notebook(from value: JSONValue?) -> Notebook? {
        guard let value, var object = value.objectValue else { return nil }
        object["nbformat"] = .number(4)
        return try? Notebook(ipynb: Data(JSONValue.object(object).serialized(indent: 0).utf8))
    }

    /// The name a recovered session gets when none is given: `STEM-recovered.ipynb`, then
    /// `STEM-recovered-2.ipynb`, … (STEM is the source file's name without extension, or
    /// `untitled`).
    ///
    /// - Parameters:
    ///   - session: The session.
    ///   - attempt: 1 for the first choice, 2 for the next, ….
    /// - Returns: A file name.
    public static func recoveryName(for session: RecoverableSession, attempt: Int) -> String {
        let stem = session.sourcePath.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? "untitled"
        return stem + "-recovered" + (attempt > 1 ? "-\(attempt)" : "") + ".ipynb"
    }

    /// Writes a recovered session to a new file and removes its journal. An existing file is
    /// never overwritten.
    ///
    /// - Parameters:
    ///   - session: From `recoverable(stateDirectory:prune:)`.
    ///   - path: Where to write the `.ipynb` (or `.ritz`); nil picks the first free
    ///     `recoveryName(for:attempt:)` in `folder`.
    ///   - folder: Where a picked name goes (the current folder by default).
    /// - Returns: The file written.
    /// - Throws: `NotebookError.io` when the file exists or cannot be written, or the journal
    ///   is being recovered by another process; the journal is then kept.
    @discardableResult
    public static func restore(_ session: RecoverableSession, to path: String? = nil, folder: String = ".") throws -> String {
        // Hold the journal's lock while restoring, so two `ritz recover` cannot both restore it.
        let journalFD = open(session.journalPath, O_RDONLY | O_CLOEXEC)
        guard journalFD >= 0 else {
            throw NotebookError.io(path: session.journalPath, message: "the journal is gone (restored already?)")
        }
        defer { close(journalFD) }
        guard flock(journalFD, LOCK_EX | LOCK_NB) == 0 else {
            throw NotebookError.io(path: session.journalPath, message: "the journal is in use by another process")
        }
        let target: String
        if let path {
            guard try claim(path) else { throw NotebookError.io(path: path, message: "exists; recover never overwrites a file") }
            target = path
        } else {
            func candidate(_ attempt: Int) -> String {
                let name = recoveryName(for: session, attempt: attempt)
                return folder == "." ? name : folder + "/" + name
            }
            var attempt = 1
            while try !claim(candidate(attempt)) {
                attempt += 1
                guard attempt <= 10_000 else {
                    throw NotebookError.io(path: candidate(1), message: "no free name for the recovered session")
                }
            }
            target = candidate(attempt)
        }
        do {
            try session.notebook.save(path: target)
        } catch {
            unlink(target)
            throw error
        }
        unlink(session.journalPath)
        return target
    }

    /// Creates `path` empty unless it exists, so the name is ours until the save replaces it.
    ///
    /// - Returns: False when the file exists.
    /// - Throws: `NotebookError.io` for any other failure.
    private static func claim(_ path: String) throws -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            if errno == EEXIST { return false }
            throw NotebookError.io(path: path, message: String(cString: strerror(errno)))
        }
        close(fd)
        return true
    }
}
