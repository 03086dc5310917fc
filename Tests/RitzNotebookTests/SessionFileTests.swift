import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import RitzNotebook

/// Saving, loading and exporting sessions through `AtomicFile` (and so `SafeFile`): paths with
/// control characters are refused as `NotebookError.io` before any file is touched, a 0600
/// session stays 0600, and a session reached through a symbolic link is updated in place of
/// its target.
@Suite struct SessionFileTests {
    @Test("a NUL or escape in a session path is refused before the extension is looked at")
    func controlCharactersInSessionPaths() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for path in [dir + "/victim.sh\u{0}.ipynb", dir + "/a\u{1B}]0;t\u{07}.ritz", dir + "/x\u{0}.docx"] {
            #expect(throws: NotebookError.self) { try sampleNotebook().save(path: path) }
            #expect(throws: NotebookError.self) { try sampleNotebook().export(to: path) }
            #expect(throws: NotebookError.self) { try Notebook.load(path: path) }
            do {
                try sampleNotebook().save(path: path)
            } catch let NotebookError.io(_, message) {
                #expect(message.contains("paths may not contain NUL or other control characters"))
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test("saving over a 0600 session keeps 0600; saving through a link updates the target")
    func modeAndLinks() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/private.ipynb"
        try sampleNotebook().save(path: path)
        #expect(chmod(path, 0o600) == 0)
        #expect(symlink("private.ipynb", dir + "/current.ipynb") == 0)
        var notebook = try Notebook.load(path: dir + "/current.ipynb")
        notebook.cells.removeLast()
        try notebook.save(path: dir + "/current.ipynb")
        var info = stat()
        #expect(lstat(dir + "/current.ipynb", &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(try Notebook.load(path: path).cells.count == sampleNotebook().cells.count - 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["current.ipynb", "private.ipynb"])
    }
}
