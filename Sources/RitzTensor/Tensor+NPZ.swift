import Foundation
import ZIPFoundation

/// NumPy's `.npz` format (`numpy.savez`, `numpy.savez_compressed`): a ZIP archive with one
/// `NAME.npy` member per array, stored or deflated, with ZIP64 headers as NumPy writes them.
/// ZIPFoundation reads and writes the archive (central directory, ZIP64, deflate through zlib,
/// CRC-32 checks); the members go through the `.npy` codec.
extension Tensor {
    /// Reads every array of a `.npz` file, in archive order.
    ///
    /// - Parameter path: The file (read through `SafeFile.read`, within the allocation limit).
    /// - Returns: The members' names (without `.npy`) and arrays.
    /// - Throws: `PathError` for a bad path; `FileFormatError.io` when the file cannot be read,
    ///   `.malformed` for a broken archive, a failed CRC or a bad member, `.unsupported` for a
    ///   member that is not `.npy`; `TensorError.tooLarge` for a member above the allocation limit.
    public static func loadNPZ(path: String) throws -> [(name: String, tensor: Tensor)] {
        let bytes = try SafeFile.read(path, maxBytes: AllocationLimit.bytes)
        let archive: Archive
        do {
            archive = try Archive(data: Data(bytes), accessMode: .read)
        } catch {
            throw FileFormatError.malformed(path: path, reason: "not a ZIP archive (\(error))")
        }
        var out: [(name: String, tensor: Tensor)] = []
        for entry in archive where entry.type == .file {
            let member = entry.path
            guard member.hasSuffix(".npy") else {
                throw FileFormatError.unsupported(path: path, reason: "member `\(member)` is not a .npy array")
            }
            let limit = AllocationLimit.bytes
            guard entry.uncompressedSize <= UInt64(limit) else {
                throw TensorError.tooLarge(bytes: Int(clamping: entry.uncompressedSize), limit: limit)
            }
            var data = Data()
            do {
                // The consumer also counts, so a member whose header understates its size still
                // cannot exceed the limit.
                let crc = try archive.extract(entry, skipCRC32: false) { chunk in
                    guard data.count + chunk.count <= limit else { throw TensorError.tooLarge(bytes: data.count + chunk.count, limit: limit) }
                    data.append(chunk)
                }
                // `extract` returns the CRC-32 of what it read; comparing is the caller's part.
                guard crc == entry.checksum else {
                    throw FileFormatError.malformed(path: path, reason: "member `\(member)` fails its CRC-32 check (damaged archive)")
                }
            } catch let e as TensorError {
                throw e
            } catch let e as FileFormatError {
                throw e
            } catch {
                throw FileFormatError.malformed(path: path, reason: "member `\(member)` cannot be extracted (\(error))")
            }
            let name = String(member.dropLast(4))
            out.append((name, try decodeNPY([UInt8](data), path: "\(path)[\(name)]")))
        }
        return out
    }

    /// Writes arrays as a `.npz` file that `numpy.load` reads: one `NAME.npy` member each,
    /// stored (as `numpy.savez`) or deflated (as `numpy.savez_compressed`). Every member has the
    /// same fixed timestamp (1980-01-01, the ZIP epoch), so the same arrays give the same bytes.
    ///
    /// - Parameters:
    ///   - members: Names (without `.npy`; no `/`, not empty, unique) and arrays.
    ///   - path: The destination (written by `SafeFile.write`: a temporary file and a rename).
    ///   - compressed: Deflate the members.
    /// - Throws: `TensorError.invalidArgument` for a bad or repeated name, `PathError`,
    ///   `FileFormatError.io` when the archive cannot be built or written.
    public static func saveNPZ(_ members: [(name: String, tensor: Tensor)], path: String, compressed: Bool = false) throws {
        var seen = Set<String>()
        for (name, _) in members {
            guard !name.isEmpty, !name.contains("/"), !name.contains("\\"), !name.unicodeScalars.contains(where: { $0.value < 32 }) else {
                throw TensorError.invalidArgument("an .npz member name must be non-empty text without / \\ or control characters, got \"\(name)\"")
            }
            guard seen.insert(name).inserted else { throw TensorError.invalidArgument("the .npz member name \"\(name)\" is given twice") }
        }
        let epoch = Date(timeIntervalSince1970: 315_532_800)
        do {
            let archive = try Archive(data: Data(), accessMode: .create)
            for (name, tensor) in members {
                let npy = Data(tensor.encodeNPY())
                try archive.addEntry(with: name + ".npy", type: .file, uncompressedSize: Int64(npy.count),
                                     modificationDate: epoch, compressionMethod: compressed ? .deflate : .none) { position, size in
                    npy.subdata(in: Int(position)..<(Int(position) + size))
                }
            }
            guard let data = archive.data else { throw FileFormatError.io(path: path, reason: "the archive was not built") }
            try SafeFile.write(data, to: path)
        } catch let e as FileFormatError {
            throw e
        } catch let e as PathError {
            throw e
        } catch {
            throw FileFormatError.io(path: path, reason: "cannot build the archive (\(error))")
        }
    }
}
