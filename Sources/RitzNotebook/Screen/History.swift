import Foundation

/// Input history shared across sessions: Up/Down prefix search and Ctrl-R reverse search.
///
/// Entries may span lines. The file stores one entry per line with `\` and newline escaped
/// (`\\`, `\n`), so a multi-line cell stays one entry. Adjacent duplicates are not stored.
public struct History: Equatable, Sendable {
    /// Entries, oldest first.
    public private(set) var entries: [String]
    /// The most entries kept.
    public let limit: Int
    /// Position while browsing with Up/Down: an index into `entries`, or nil when not browsing.
    public private(set) var browseIndex: Int?
    /// The prefix typed before browsing started.
    public private(set) var browsePrefix = ""
    /// The text being edited before browsing started, restored past the newest entry.
    public private(set) var draft = ""

    /// Creates a history.
    ///
    /// - Parameters:
    ///   - entries: Initial entries, oldest first.
    ///   - limit: The most entries kept.
    public init(entries: [String] = [], limit: Int = 5000) {
        self.entries = Array(entries.suffix(limit))
        self.limit = limit
    }

    /// The history file under ritz's state folder.
    ///
    /// - Parameters:
    ///   - stateDirectory: ritz's state folder.
    ///   - name: `notebook_history` or `repl_history`.
    /// - Returns: The path.
    public static func path(stateDirectory: String, name: String = "history") -> String {
        stateDirectory + "/" + name
    }

    /// Loads a history file; a missing or unreadable file gives an empty history.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - limit: The most entries kept.
    /// - Returns: The history.
    public static func load(path: String, limit: Int = 5000) -> History {
        guard let data = FileManager.default.contents(atPath: path) else { return History(limit: limit) }
        let entries = String(decoding: data, as: UTF8.self).split(separator: "\n").map { unescape(String($0)) }
        return History(entries: entries, limit: limit)
    }

    /// Saves to a file atomically (`AtomicFile`, without fsync: losing the last entries to a
    /// power cut is acceptable for history), creating its folder.
    ///
    /// - Parameter path: The file.
    /// - Throws: When the folder or file cannot be written.
    public func save(path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let text = entries.map(History.escape).joined(separator: "\n") + (entries.isEmpty ? "" : "\n")
        try AtomicFile.write(text, to: path, durability: .survivesProcessKill)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func unescape(_ s: String) -> String {
        var out = ""
        var escaped = false
        for c in s {
            if escaped {
                out.append(c == "n" ? "\n" : c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        if escaped { out.append("\\") }
        return out
    }

    /// Adds an entry (blank entries and repeats of the newest are skipped) and stops browsing.
    ///
    /// - Parameter entry: The text that was run.
    public mutating func add(_ entry: String) {
        resetBrowsing()
        let trimmed = entry.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, entries.last != entry else { return }
        entries.append(entry)
        if entries.count > limit { entries.removeFirst(entries.count - limit) }
    }

    /// Stops browsing (after an edit or a run).
    public mutating func resetBrowsing() {
        browseIndex = nil
        browsePrefix = ""
        draft = ""
    }

    /// The previous (older) entry starting with the prefix typed before browsing began.
    ///
    /// - Parameter current: The editor's text; on the first Up it becomes the prefix and draft.
    /// - Returns: The entry to show, or nil when there is no older match.
    public mutating func previous(current: String) -> String? {
        if browseIndex == nil {
            browsePrefix = current
            draft = current
        }
        var i = (browseIndex ?? entries.count) - 1
        while i >= 0 {
            if entries[i].hasPrefix(browsePrefix) && entries[i] != current {
                browseIndex = i
                return entries[i]
            }
            i -= 1
        }
        return nil
    }

    /// The next (newer) matching entry, or the draft when past the newest.
    ///
    /// - Returns: The text to show, or nil when not browsing.
    public mutating func next() -> String? {
        guard let start = browseIndex else { return nil }
        var i = start + 1
        while i < entries.count {
            if entries[i].hasPrefix(browsePrefix) {
                browseIndex = i
                return entries[i]
            }
            i += 1
        }
        let text = draft
        resetBrowsing()
        return text
    }

    /// Reverse search: the newest entry before `before` containing `query`.
    ///
    /// - Parameters:
    ///   - query: Text to find (empty matches nothing).
    ///   - before: Search entries with index below this (default: all).
    /// - Returns: The index and entry, or nil.
    public func search(_ query: String, before: Int? = nil) -> (index: Int, entry: String)? {
        guard !query.isEmpty else { return nil }
        var i = min(before ?? entries.count, entries.count) - 1
        while i >= 0 {
            if entries[i].contains(query) { return (i, entries[i]) }
            i -= 1
        }
        return nil
    }
}
