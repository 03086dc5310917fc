import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A path ritz was given that it refuses to use.
public enum PathError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path is the empty string.
    case empty(argument: String)
    /// The path holds a control character (C0, DEL or C1) at a character offset, counted from 0.
    case controlCharacter(argument: String, codePoint: UInt32, offset: Int)

    public var description: String {
        switch self {
        case let .empty(argument):
            return "\(argument) is empty; give a file name"
        case let .controlCharacter(argument, codePoint, offset):
            let name = codePoint == 0 ? "a NUL byte" : "the control character U+" + String(format: "%04X", codePoint)
            return "\(argument) contains \(name) at position \(offset); paths may not contain NUL or other control characters"
        }
    }
}

/// Checks paths from scripts, files and the command line before anything opens them.
///
/// A C path ends at its first NUL byte, so `"victim.sh\u{0}.txt"` passes a check of its extension
/// and then opens `victim.sh`; other control characters in a name are never intended and reach
/// the terminal when the name is printed. Every control character (Unicode general category Cc:
/// U+0000–U+001F, U+007F–U+009F) is refused, before any other check looks at the path.
public enum FilePath {
    /// The path to use for `path`: refused if empty or holding a control character, with a
    /// leading `~` or `~/` replaced by the home folder.
    ///
    /// The home folder is `$HOME` when it is an absolute path, else the user's entry in the
    /// password database (as the shells do). `~user` is not expanded. ritz reads and writes files
    /// with the expanded path through POSIX calls, so Foundation never expands `~` (it would take
    /// the password database's home even when `$HOME` says otherwise).
    ///
    /// - Parameters:
    ///   - path: The path as given.
    ///   - argument: What gave the path, for the message (e.g. "argument `path` of `save`").
    ///   - environment: The process environment (for `HOME`).
    /// - Returns: The path with `~` expanded; otherwise unchanged.
    /// - Throws: `PathError.empty` or `PathError.controlCharacter`.
    public static func checked(_ path: String, argument: String = "the path",
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        guard !path.isEmpty else { throw PathError.empty(argument: argument) }
        for (offset, scalar) in path.unicodeScalars.enumerated() where scalar.properties.generalCategory == .control {
            throw PathError.controlCharacter(argument: argument, codePoint: scalar.value, offset: offset)
        }
        guard path == "~" || path.hasPrefix("~/"), let home = homeDirectory(environment: environment) else { return path }
        return home + path.dropFirst()
    }

    /// `$HOME` when absolute, else the password database's home of the real user.
    static func homeDirectory(environment: [String: String]) -> String? {
        if let home = environment["HOME"], home.hasPrefix("/") {
            return home.count > 1 && home.hasSuffix("/") ? String(home.dropLast()) : home
        }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(getuid(), &entry, &buffer, buffer.count, &result) == 0, result != nil,
              let dir = entry.pw_dir else { return nil }
        let home = String(cString: dir)
        return home.hasPrefix("/") ? home : nil
    }

    /// The folder part and the last component of a path, split at the last `/`
    /// (`"a/b.csv"` → `("a", "b.csv")`, `"b.csv"` → `(".", "b.csv")`, `"/b"` → `("/", "b")`).
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}
