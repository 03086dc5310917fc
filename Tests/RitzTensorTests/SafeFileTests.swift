import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import RitzTensor

/// `FilePath` and `SafeFile`: paths with control characters are refused before any file is
/// touched, `~` is `$HOME`, and writes are atomic, keep the mode, write through links and
/// cannot be redirected by files planted at temporary names.
@Suite struct SafeFileTests {
    /// A fresh folder for one test; removed by the caller.
    static func folder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ritz-safefile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func contents(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return info.st_mode & 0o7777
    }

    static func isLink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
    }

    /// The process umask, read from /proc (reading it with umask(2) would change it for the
    /// tests running in parallel).
    static func umaskValue() throws -> mode_t {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Umask:") })
        return try #require(mode_t(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8))
    }

    /// The files in `dir` whose names start with `.`, i.e. temporaries and planted files.
    static func hidden(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }.sorted()
    }

    static let controls: [(String, UInt32)] = [
        ("NUL", 0x00), ("BEL", 0x07), ("newline", 0x0A), ("ESC", 0x1B), ("DEL", 0x7F), ("CSI (C1)", 0x9B), ("U+009F", 0x9F),
    ]

    @Test("a control character anywhere in a path is refused, naming the argument and position",
          arguments: controls)
    func controlCharactersRefused(name: String, codePoint: UInt32) throws {
        let scalar = try #require(Unicode.Scalar(codePoint))
        let path = "/tmp/ritz-victim.sh" + String(Character(scalar)) + ".txt"
        #expect(throws: PathError.controlCharacter(argument: "argument `path` of `save`", codePoint: codePoint, offset: 19)) {
            try FilePath.checked(path, argument: "argument `path` of `save`")
        }
        #expect(throws: PathError.self) { try SafeFile.write("x", to: path) }
        #expect(throws: PathError.self) { try SafeFile.read(path) }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/ritz-victim.sh"))
    }

    @Test("printable paths pass unchanged; the empty path is refused")
    func ordinaryPaths() throws {
        for p in ["a.csv", "/tmp/x y/ü.npy", "~user/a.npy", "dir/~/a", "\u{A0}.txt", "e\u{301}.txt"] {
            #expect(try FilePath.checked(p, environment: ["HOME": "/home/h"]) == p)
        }
        #expect(throws: PathError.empty(argument: "the path")) { try FilePath.checked("") }
        #expect(PathError.controlCharacter(argument: "the path", codePoint: 0, offset: 3).description
            == "the path contains a NUL byte at position 3; paths may not contain NUL or other control characters")
        #expect(PathError.controlCharacter(argument: "the path", codePoint: 0x1B, offset: 0).description
            .contains("the control character U+001B at position 0"))
    }

    @Test("~ and ~/ expand to $HOME, not the password database's home")
    func tildeIsHome() throws {
        let env = ["HOME": "/srv/someone"]
        #expect(try FilePath.checked("~", environment: env) == "/srv/someone")
        #expect(try FilePath.checked("~/a/b.npy", environment: env) == "/srv/someone/a/b.npy")
        #expect(try FilePath.checked("~/a", environment: ["HOME": "/srv/someone/"]) == "/srv/someone/a")
        // A relative or missing HOME falls back to the password database, as the shells do.
        let passwd = try #require(FilePath.homeDirectory(environment: [:]))
        #expect(passwd.hasPrefix("/"))
        #expect(try FilePath.checked("~/a", environment: ["HOME": "relative"]) == passwd + "/a")
    }

    @Test("a new file gets 0666 & ~umask; an existing 0600 file stays 0600 and its contents are replaced")
    func modes() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fresh = dir + "/new.csv"
        try SafeFile.write("1\n", to: fresh)
        #expect(Self.mode(fresh) == 0o666 & ~(try Self.umaskValue()))
        let secret = dir + "/secret.npy"
        try SafeFile.write("old", to: secret)
        #expect(chmod(secret, 0o600) == 0)
        try SafeFile.write("new", to: secret)
        #expect(Self.mode(secret) == 0o600)
        #expect(Self.contents(secret) == "new")
        #expect(chmod(secret, 0o640) == 0)
        try SafeFile.write("newer", to: secret, durability: .survivesProcessKill)
        #expect(Self.mode(secret) == 0o640)
        #expect(Self.contents(secret) == "newer")
        #expect(try Self.hidden(dir).isEmpty, "no temporary file is left")
    }

    @Test("saving through a symbolic link updates its target and keeps the link")
    func writesThroughLinks() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/real", withIntermediateDirectories: true)
        let target = dir + "/real/data.csv"
        try SafeFile.write("old", to: target)
        #expect(chmod(target, 0o600) == 0)
        #expect(symlink("real/data.csv", dir + "/link.csv") == 0)          // relative to the link's folder
        #expect(symlink(dir + "/link.csv", dir + "/chain.csv") == 0)       // a link to a link
        try SafeFile.write("via link", to: dir + "/link.csv")
        #expect(Self.isLink(dir + "/link.csv"))
        #expect(Self.contents(target) == "via link")
        #expect(Self.mode(target) == 0o600)
        try SafeFile.write("via chain", to: dir + "/chain.csv")
        #expect(Self.isLink(dir + "/chain.csv") && Self.isLink(dir + "/link.csv"))
        #expect(Self.contents(target) == "via chain")
        // The temporary file went beside the target, and nothing is left in either folder.
        #expect(try Self.hidden(dir).isEmpty && Self.hidden(dir + "/real").isEmpty)
        // A dangling link creates the file it names.
        #expect(symlink("real/made.csv", dir + "/dangling.csv") == 0)
        try SafeFile.write("made", to: dir + "/dangling.csv")
        #expect(Self.isLink(dir + "/dangling.csv"))
        #expect(Self.contents(dir + "/real/made.csv") == "made")
        // A loop of links is refused.
        #expect(symlink("loop-b", dir + "/loop-a") == 0 && symlink("loop-a", dir + "/loop-b") == 0)
        #expect(throws: FileFormatError.self) { try SafeFile.write("x", to: dir + "/loop-a") }
    }

    @Test("a symbolic link planted at the temporary name does not redirect the write")
    func plantedLinkAtTemporaryName() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let victim = dir + "/victim.txt"
        try SafeFile.write("victim's text", to: victim)
        // The name the old writer used (`.NAME.tmp-PID`) and the first name this write will try.
        let planted = [".export.html.tmp-\(getpid())", ".export.html.tmp-plantedname1"]
        for name in planted { #expect(symlink(victim, dir + "/" + name) == 0) }
        var offered = ["plantedname1", "freshname002"].makeIterator()
        try SafeFile.write(Array("export".utf8), to: dir + "/export.html", durability: .survivesPowerLoss,
                           suffixes: { offered.next() ?? SafeFile.randomSuffix() })
        #expect(Self.contents(victim) == "victim's text")
        #expect(Self.contents(dir + "/export.html") == "export")
        #expect(!Self.isLink(dir + "/export.html"))
        // The planted links are not followed, and not removed either (they are not ours).
        #expect(try Self.hidden(dir) == planted.sorted())
        for name in planted { #expect(Self.isLink(dir + "/" + name)) }
    }

    @Test("temporary files of dead writers are removed by the next write; a live writer's is kept")
    func abandonedTemporariesSwept() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let target = dir + "/s.ipynb"
        // What a writer killed mid-write leaves: an unlocked temporary file (old and new naming).
        for name in [".s.ipynb.tmp-4242", ".s.ipynb.tmp-abcdefghijkl"] {
            #expect(FileManager.default.createFile(atPath: dir + "/" + name, contents: Data(count: 1 << 16)))
        }
        // A writer still running holds its file locked.
        let live = dir + "/.s.ipynb.tmp-stillwriting"
        #expect(FileManager.default.createFile(atPath: live, contents: Data("partial".utf8)))
        let fd = open(live, O_RDONLY | O_CLOEXEC)
        #expect(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        // Temporaries of other targets are not this write's business.
        #expect(FileManager.default.createFile(atPath: dir + "/.other.ipynb.tmp-1", contents: nil))
        try SafeFile.write("{}", to: target)
        #expect(try Self.hidden(dir) == [".other.ipynb.tmp-1", ".s.ipynb.tmp-stillwriting"])
        close(fd)
        try SafeFile.write("{}", to: target)
        #expect(try Self.hidden(dir) == [".other.ipynb.tmp-1"])
    }

    @Test("folders, pipes and over-long files are refused; reading a FIFO does not block")
    func nonRegularFiles() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: FileFormatError.io(path: dir, reason: "is a folder, not a file")) { try SafeFile.write("x", to: dir) }
        #expect(throws: FileFormatError.self) { try SafeFile.write("x", to: dir + "/") }
        #expect(throws: FileFormatError.io(path: dir, reason: "is a folder, not a file")) { try SafeFile.read(dir) }
        #expect(mkfifo(dir + "/pipe", 0o600) == 0)
        #expect(throws: FileFormatError.io(path: dir + "/pipe", reason: "is not a regular file")) { try SafeFile.read(dir + "/pipe") }
        #expect(throws: FileFormatError.self) { try SafeFile.write("x", to: dir + "/pipe") }
        #expect(throws: FileFormatError.self) { try SafeFile.write("x", to: dir + "/missing-folder/a.csv") }
        try SafeFile.write(Array(repeating: UInt8(7), count: 100), to: dir + "/big")
        #expect(try SafeFile.read(dir + "/big", maxBytes: 100).count == 100)
        #expect(throws: FileFormatError.self) { try SafeFile.read(dir + "/big", maxBytes: 99) }
        #expect(try Self.hidden(dir).isEmpty)
    }

    @Test("a name near NAME_MAX still gets a temporary name that fits")
    func longNames() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let name = String(repeating: "é", count: 120) + ".csv"   // 244 bytes
        try SafeFile.write("1", to: dir + "/" + name)
        #expect(Self.contents(dir + "/" + name) == "1")
        #expect(SafeFile.temporaryPrefix(of: name).utf8.count + 12 <= 255)
    }

    @Test("error messages quote at most a short excerpt of a file's text")
    func excerpts() throws {
        let line = "\u{1B}]52;c;" + String(repeating: "A", count: 500)
        let error = try #require(throws: FileFormatError.self) { try Tensor.parseCSV("1,2\n3,\(line)\n", path: "t.csv") }
        let text = String(describing: error)
        #expect(text.count < 120)
        #expect(text.contains("…"))
        #expect(FileFormatError.excerpt("short") == "short")
        #expect(FileFormatError.excerpt(String(repeating: "x", count: 33)) == String(repeating: "x", count: 32) + "…")
    }
}
