/// Where a piece of source text came from: a notebook cell or a file, with the line offset of
/// the text inside that file.
public struct SourceOrigin: Sendable, Equatable {
    /// `cell 7`, or a file name.
    public var name: String
    /// Added to line numbers inside the text (a cell starting at line 12 of a file has offset 11).
    public var lineOffset: Int
    /// True when `name` is a file name (diagnostics then say `FILE, line N`).
    public var isFile: Bool

    /// The origin of notebook cell `n`.
    ///
    /// - Parameter n: The execution count or cell number shown to the user.
    /// - Returns: An origin named `cell n`.
    public static func cell(_ n: Int) -> SourceOrigin { SourceOrigin(name: "cell \(n)", lineOffset: 0, isFile: false) }

    /// The origin of text taken from a file, starting after `lineOffset` lines of it.
    ///
    /// - Parameters:
    ///   - path: The file name as the user gave it.
    ///   - lineOffset: Lines of the file before this text.
    /// - Returns: A file origin.
    public static func file(_ path: String, lineOffset: Int = 0) -> SourceOrigin {
        SourceOrigin(name: path, lineOffset: lineOffset, isFile: true)
    }

    /// An origin with an arbitrary name.
    public init(name: String, lineOffset: Int = 0, isFile: Bool = false) {
        self.name = name
        self.lineOffset = lineOffset
        self.isFile = isFile
    }
}

/// The text of one cell, shared by every span into it.
public final class SourceText: @unchecked Sendable {
    /// The text as UTF-8 bytes; spans are byte offsets into it.
    let bytes: [UInt8]
    /// Where it came from.
    public let origin: SourceOrigin
    /// Byte offset at which each line starts.
    private let lineStarts: [Int]

    /// Wraps `text` from `origin`.
    public init(_ text: String, origin: SourceOrigin) {
        bytes = Array(text.utf8)
        self.origin = origin
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == 10 { starts.append(i + 1) }
        lineStarts = starts
    }

    /// The 0-based line index holding byte `offset`.
    func lineIndex(of offset: Int) -> Int {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// 1-based line (within the file, offset applied) and 1-based column (in characters) of `offset`.
    func location(of offset: Int) -> (line: Int, col: Int) {
        let li = lineIndex(of: offset)
        let start = lineStarts[li]
        let end = Swift.min(Swift.max(offset, start), bytes.count)
        let col = String(decoding: bytes[start..<end], as: UTF8.self).count + 1
        return (li + 1 + origin.lineOffset, col)
    }

    /// The text of the line holding `offset`, without its newline.
    func lineText(of offset: Int) -> String {
        let li = lineIndex(of: offset)
        let start = lineStarts[li]
        var end = li + 1 < lineStarts.count ? lineStarts[li + 1] - 1 : bytes.count
        if end > start && end <= bytes.count && bytes[end - 1] == 13 { end -= 1 }
        return String(decoding: bytes[start..<Swift.max(start, end)], as: UTF8.self)
    }

    /// Characters between `a` and `b` on one line (for underline widths).
    func characterCount(from a: Int, to b: Int) -> Int {
        let lo = Swift.max(0, Swift.min(a, bytes.count)), hi = Swift.max(lo, Swift.min(b, bytes.count))
        return String(decoding: bytes[lo..<hi], as: UTF8.self).count
    }

    /// The source text between two byte offsets.
    func slice(_ a: Int, _ b: Int) -> String {
        let lo = Swift.max(0, Swift.min(a, bytes.count)), hi = Swift.max(lo, Swift.min(b, bytes.count))
        return String(decoding: bytes[lo..<hi], as: UTF8.self)
    }
}

/// A half-open byte range of a source text; every AST node carries one.
public struct SourceSpan: Sendable {
    /// The text the offsets refer to.
    public let source: SourceText
    /// First byte.
    public let start: Int
    /// One past the last byte.
    public let end: Int

    init(_ source: SourceText, _ start: Int, _ end: Int) {
        self.source = source
        self.start = start
        self.end = Swift.max(start, end)
    }

    /// The span from the start of `self` to the end of `other`.
    func to(_ other: SourceSpan) -> SourceSpan { SourceSpan(source, start, Swift.max(end, other.end)) }

    /// 1-based line in the file (offset applied).
    public var line: Int { source.location(of: start).line }
    /// 1-based column.
    public var column: Int { source.location(of: start).col }
    /// The spanned text.
    public var text: String { source.slice(start, end) }
}
