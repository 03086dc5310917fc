import Foundation
import Testing
@testable import RitzTensor

/// `.txt` tables as `numpy.loadtxt` reads them (and edge lists come), and comment lines in CSV.
@Suite struct TextTableTests {
    static func parse(_ text: String) throws -> Tensor { try Tensor.parseText(Array(text.utf8), path: "t.txt") }

    @Test func commentsSeparatorsAndLineEnds() throws {
        // SNAP style: '#' header lines, tabs; a trailing '%' comment; CRLF and CR line ends.
        let snap = try Self.parse("# Nodes: 3\r\n# From\tTo\r\n1\t2\r\n2 \t 3 % last\r3\t1\n\n")
        expectSame(snap, try Tensor(shape: [3, 2], storage: [1, 2, 2, 3, 3, 1]))
        // Commas with spaces around them; a row of one value is a column vector → 1-d.
        expectSame(try Self.parse("0.5 , -2\n1e3,inf\n"), try Tensor(shape: [2, 2], storage: [0.5, -2, 1000, .infinity]))
        expectSame(try Self.parse("1\n2\n3\n"), Tensor([1.0, 2, 3]))
        expectSame(try Self.parse("# nothing\n\n"), Tensor(unchecked: [0], []))
    }

    @Test(arguments: [("1 2\n3\n", "line 2 has 1 values, earlier rows have 2"),
                      ("1 x\n", "line 1, column 2: 'x' is not a number"),
                      ("1,,2\n", "line 1, column 2: empty value"),
                      ("0x10 1\n", "'0x10' is not a number")])
    func errorsNameTheLine(text: String, message: String) throws {
        do {
            _ = try Self.parse(text)
            Issue.record("no error for \(text)")
        } catch let e as FileFormatError {
            #expect("\(e)".contains(message), "\(e)")
        }
    }

    @Test func roundTripsExactly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ritz-txt-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("a.txt").path
        let t = try Tensor(shape: [2, 3], storage: [0.1, -1e-300, 3, .pi, 2.5e17, -0.0])
        try t.saveText(path: path)
        // %.17g reads back the same doubles.
        expectSame(try Tensor.loadText(path: path), t)
        // One line a row, values separated by one space (as numpy.savetxt's default delimiter).
        let lines = String(decoding: try SafeFile.read(path), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.split(separator: " ", omittingEmptySubsequences: false).count == 3 })
    }

    @Test func csvSkipsCommentLines() throws {
        let t = try Tensor.parseCSV("% made by hand\n# source,target\n0,1\n  # inner\n1,2\n", path: "e.csv")
        expectSame(t, try Tensor(shape: [2, 2], storage: [0, 1, 1, 2]))
        // The delimiter is detected on the first line that is not a comment.
        let semi = try Tensor.parseCSV("# a,b,c,d\n1;2\n3;4\n", path: "e.csv")
        expectSame(semi, try Tensor(shape: [2, 2], storage: [1, 2, 3, 4]))
    }
}
