import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
import RitzTensor

/// The `ritz` binary as a child process: escape sequences that arrive in a script, a saved
/// session or a value (OSC 52 clipboard writes, title changes, screen clears, C1 CSI) reach
/// stdout and stderr only as visible `\u{…}` text; and a save killed mid-write leaves neither a
/// torn file nor, after the next save, a temporary file.
@Suite struct InertOutputTests {
    /// The hostile text: set the clipboard, change the title, clear the screen (ESC and C1 forms).
    static let hostile = "\u{1B}]52;c;cm0gLXJmIH4=\u{07}\u{1B}]0;pwned\u{07}\u{1B}[2J\u{9B}H\u{7F}"

    /// What the terminal may see instead.
    static let shown = "\\u{1b}]52;c;cm0gLXJmIH4=\\u{7}\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{9b}H\\u{7f}"

    /// Runs `ritz` with `arguments` (and `input` on stdin); returns stdout and stderr together.
    static func ritz(_ arguments: [String], input: String? = nil) throws -> (output: String, bytes: [UInt8], status: Int32) {
        let p = Process()
        p.executableURL = RobustnessTests.ritzBinary
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["LANG"] = "C.UTF-8"
        env["XDG_STATE_HOME"] = FileManager.default.temporaryDirectory.appendingPathComponent("ritz-inert-state").path
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        let stdin = Pipe()
        p.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try p.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (String(decoding: data, as: UTF8.self), [UInt8](data), p.terminationStatus)
    }

    /// True when the bytes hold a control character other than newline and tab: a C0 byte,
    /// DEL, or C1 (U+0080–U+009F, UTF-8 `C2 80…C2 9F`).
    static func hasControls(_ bytes: [UInt8]) -> Bool {
        for (i, b) in bytes.enumerated() {
            if (b < 0x20 && b != 0x0A && b != 0x09) || b == 0x7F { return true }
            if b == 0xC2, i + 1 < bytes.count, (0x80...0x9F).contains(bytes[i + 1]) { return true }
        }
        return false
    }

    static func temporaryFile(_ name: String, _ contents: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ritz-inert-\(UUID().uuidString)-\(name)").path
        try SafeFile.write(contents, to: path)
        return path
    }

    /// A session with one code cell whose saved output is `saved` and whose source prints "fine".
    static func session(saved: String, source: String = "print(\"fine\")") throws -> String {
        let cell: [String: Any] = [
            "cell_type": "code", "execution_count": 1, "id": "hostile", "metadata": [String: Any](),
            "source": [source],
            "outputs": [["name": "stdout", "output_type": "stream", "text": [saved + "\n"]]],
        ]
        let notebook: [String: Any] = ["cells": [cell], "metadata": [String: Any](), "nbformat": 4, "nbformat_minor": 5]
        let data = try JSONSerialization.data(withJSONObject: notebook)
        return try temporaryFile("s.ipynb", String(decoding: data, as: UTF8.self))
    }

    @Test("ritz run FILE.ritz: printed text, values and the echoed source line of an error are inert")
    func runScript() throws {
        guard RunCommandTests.binaryBuilt else { return }
        // The escapes are raw bytes in the script's source, inside string literals.
        let script = "# %%\nprint(\"\(Self.hostile)\")\n# %%\n\"\(Self.hostile)\"\n# %%\nx = \"\(Self.hostile)\" + nope\n"
        let path = try Self.temporaryFile("hostile.ritz", script)
        defer { unlink(path) }
        let (output, bytes, status) = try Self.ritz(["run", path])
        #expect(status == 1)
        #expect(!Self.hasControls(bytes), "\(output)")
        #expect(output.components(separatedBy: Self.shown).count - 1 == 3, "print, value and source line")
        #expect(output.contains("error: unknown name `nope`"))
    }

    @Test("ritz check: saved outputs in the report are inert")
    func checkReport() throws {
        guard RunCommandTests.binaryBuilt else { return }
        let path = try Self.session(saved: Self.hostile)
        defer { unlink(path) }
        let (output, bytes, status) = try Self.ritz(["check", path])
        #expect(status == 1)
        #expect(!Self.hasControls(bytes), "\(output)")
        #expect(output.contains("\\u{1b}]52;c;"))
    }

    @Test("ritz run FILE.ipynb and the REPL without a terminal print outputs and errors inert")
    func sessionAndRepl() throws {
        guard RunCommandTests.binaryBuilt else { return }
        let source = "print(\"\(Self.hostile)\")\nx = \"\(Self.hostile)\" + nope"
        let path = try Self.session(saved: "", source: source)
        defer { unlink(path) }
        let run = try Self.ritz(["run", path])
        #expect(run.status == 1)
        #expect(!Self.hasControls(run.bytes), "\(run.output)")
        #expect(run.output.components(separatedBy: Self.shown).count - 1 == 2, "printed text and source line")
        let repl = try Self.ritz(["repl"], input: source + "\n?\(Self.hostile)\n")
        #expect(!Self.hasControls(repl.bytes), "\(repl.output)")
        #expect(repl.output.contains(Self.shown))
    }

    @Test("a save killed mid-write leaves the old file whole, and the next save removes its temporary file")
    func killedSave() throws {
        guard RunCommandTests.binaryBuilt else { return }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ritz-killed-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let target = dir + "/big.npy"
        let count = 1_000_000   // 8 MB a save: long enough to be caught mid-write now and then
        let script = try Self.temporaryFile("saver.ritz", "x = ones(\(count))\nwhile true { save(\"\(target)\", x) }\n")
        defer { unlink(script) }
        let child = Process()
        child.executableURL = RobustnessTests.ritzBinary
        child.arguments = ["run", script]
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        // Kill it after a few saves have landed; where the kill falls does not matter to what is checked.
        var saves = 0
        var lastInode: ino_t = 0
        for _ in 0..<6000 where saves < 3 {   // at most 30 s on a loaded machine
            var info = stat()
            if stat(target, &info) == 0, info.st_ino != lastInode { saves += 1; lastInode = info.st_ino }
            usleep(5_000)
        }
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        #expect(saves >= 1, "the child saved")
        let saved = try Tensor.loadNPY(path: target)
        #expect(saved.shape == [count] && saved.storage.allSatisfy { $0 == 1 })
        try Tensor([1, 2]).saveNPY(path: target)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(left == ["big.npy"], "\(left)")
    }
}
