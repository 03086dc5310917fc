import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a file looked like when ritz last read or wrote it, to notice another program (or a
/// second notebook) writing it in between.
///
/// The file counts as changed when its size or its content digest differs. The modification
/// time is recorded to say *when* it changed; it does not decide on its own, because its
/// granularity (a kernel tick) lets two writes in one tick share a time, and `touch` changes it
/// without changing a byte.
public struct FileStamp: Equatable, Sendable {
    /// Size in bytes.
    public var size: Int
    /// Modification time, seconds since 1970.
    public var modified: Double
    /// FNV-1a 64 of the contents (Fowler–Noll–Vo; a change detector, not a defence against a
    /// crafted collision).
    public var digest: UInt64

    /// The stamp of bytes just read from or written to `path`, with the file's time and size.
    ///
    /// - Parameters:
    ///   - data: The contents ritz read or wrote.
    ///   - path: The file.
    public init(data: Data, path: String) {
        var info = stat()
        let found = stat(path, &info) == 0
        size = data.count
        modified = found ? Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) * 1e-9 : 0
        digest = FileStamp.fnv1a(data)
    }

    /// The stamp of the file at `path` now.
    ///
    /// - Parameter path: The file.
    /// - Returns: The stamp, or nil when the file does not exist or cannot be read.
    public static func current(path: String) -> FileStamp? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return FileStamp(data: data, path: path)
    }

    /// Whether the file at `path` is no longer as recorded.
    ///
    /// A file that was missing and still is, or that was recorded and is now gone, has not
    /// changed in a way a save could lose: there is nobody else's work to overwrite.
    ///
    /// - Parameters:
    ///   - recorded: The stamp at the last load or save, nil when the file did not exist then.
    ///   - path: The file.
    /// - Returns: The file's current stamp when it differs from `recorded`, else nil.
    public static func change(since recorded: FileStamp?, path: String) -> FileStamp? {
        guard let now = current(path: path) else { return nil }
        guard let recorded else { return now }
        return now.size == recorded.size && now.digest == recorded.digest ? nil : now
    }

    /// "modified 2026-01-31 12:00:05, 1234 bytes", in local time, for messages.
    public var summary: String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return "modified \(formatter.string(from: Date(timeIntervalSince1970: modified))), \(size) bytes"
    }

    /// FNV-1a, 64-bit: h ← (h ⊕ byte) · 0x100000001b3 from the offset basis 0xcbf29ce484222325.
    static func fnv1a(_ data: Data) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        data.withUnsafeBytes { raw in
            for byte in raw.bindMemory(to: UInt8.self) {
                h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            }
        }
        return h
    }
}
