import Foundation

/// Splits a `.ritz` script into cells at lines starting with `# %%`.
public enum ScriptCells {
    /// One cell: its text and the number of file lines before it.
    public struct Cell {
        public var text: String
        public var lineOffset: Int
    }

    /// A script file that is not UTF-8 text.
    public struct InvalidUTF8: Error, Equatable, CustomStringConvertible {
        /// Byte offset (from 0) of the first byte that does not start a valid UTF-8 sequence.
        public let offset: Int

        public var description: String { "the script is not valid UTF-8 (invalid byte at offset \(offset))" }
    }

    /// Decodes a script file's bytes as UTF-8, refusing anything else.
    ///
    /// - Parameter data: The file's bytes.
    /// - Returns: The text.
    /// - Throws: `InvalidUTF8` naming the offset of the first invalid byte.
    public static func decode(_ data: Data) throws -> String {
        var parser = Unicode.UTF8.ForwardParser()
        var bytes = data.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &bytes) {
            case .valid(let encoded): offset += encoded.count
            case .error: throw InvalidUTF8(offset: offset)
            case .emptyInput: return String(decoding: data, as: UTF8.self)
            }
        }
    }

    /// The cells of a script; cells with nothing but blank lines and comments are dropped.
    ///
    /// - Parameter text: The whole script.
    /// - Returns: The cells in order.
    public static func split(_ text: String) -> [Cell] {
        var cells: [Cell] = []
        var current: [Substring] = []
        var start = 0
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, line) in lines.enumerated() {
            if line.hasPrefix("# %%") {
                cells.append(Cell(text: current.joined(separator: "\n"), lineOffset: start))
                current = []
                start = i + 1
            } else {
                current.append(line)
            }
        }
        cells.append(Cell(text: current.joined(separator: "\n"), lineOffset: start))
        return cells.filter { cell in
            cell.text.split(separator: "\n").contains { l in
                let t = l.trimmingCharacters(in: .whitespaces)
                return !t.isEmpty && !t.hasPrefix("#")
            }
        }
    }
}
