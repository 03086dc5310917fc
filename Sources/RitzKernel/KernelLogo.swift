import Foundation

/// The kernel's logo for Jupyter's launcher: a spectrum, four bars of falling height, white on
/// a dark blue rounded square. The SVG and the PNGs draw the same shapes in a 0…1 square.
enum KernelLogo {
    /// Background colour (RGB).
    static let background: (UInt8, UInt8, UInt8) = (0x1F, 0x3A, 0x5F)
    /// The bars: left edge, width, top (y grows downward), all in 0…1; they stand on y = 0.82.
    static let bars: [(x: Double, width: Double, top: Double)] = [
        (0.18, 0.12, 0.18), (0.36, 0.12, 0.38), (0.54, 0.12, 0.56), (0.72, 0.12, 0.68),
    ]
    static let baseline = 0.82
    /// Corner radius of the square.
    static let radius = 0.18

    /// The logo as an SVG document, 64×64.
    static var svg: String {
        func f(_ v: Double) -> String { String(format: "%.2f", v * 64) }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\" viewBox=\"0 0 64 64\">\n"
        out += "<rect width=\"64\" height=\"64\" rx=\"\(f(radius))\" fill=\"#1F3A5F\"/>\n"
        for bar in bars {
            out += "<rect x=\"\(f(bar.x))\" y=\"\(f(bar.top))\" width=\"\(f(bar.width))\" height=\"\(f(baseline - bar.top))\" fill=\"#FFFFFF\"/>\n"
        }
        return out + "</svg>\n"
    }

    /// The logo as a PNG (RGBA, transparent outside the rounded square).
    ///
    /// - Parameter size: Width and height in pixels.
    /// - Returns: The PNG file's bytes.
    static func png(size: Int) -> Data {
        var raw = [UInt8]()
        raw.reserveCapacity(size * (1 + 4 * size))
        for row in 0..<size {
            raw.append(0)  // filter: none
            for column in 0..<size {
                let x = (Double(column) + 0.5) / Double(size), y = (Double(row) + 0.5) / Double(size)
                raw += pixel(x, y)
            }
        }
        var ihdr = Data()
        ihdr.append(bigEndian: UInt32(size))
        ihdr.append(bigEndian: UInt32(size))
        ihdr.append(contentsOf: [8, 6, 0, 0, 0])  // 8 bits, RGBA, deflate, no filter, no interlace
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        png.appendChunk("IHDR", ihdr)
        png.appendChunk("IDAT", zlibStored(raw))
        png.appendChunk("IEND", Data())
        return png
    }

    /// The colour at a point of the unit square.
    static func pixel(_ x: Double, _ y: Double) -> [UInt8] {
        // Outside the rounded corners: transparent.
        let cx = min(max(x, radius), 1 - radius), cy = min(max(y, radius), 1 - radius)
        if (x - cx) * (x - cx) + (y - cy) * (y - cy) > radius * radius { return [0, 0, 0, 0] }
        for bar in bars where x >= bar.x && x < bar.x + bar.width && y >= bar.top && y < baseline {
            return [255, 255, 255, 255]
        }
        return [background.0, background.1, background.2, 255]
    }

    /// A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 §3.2.4): no compression,
    /// which a 64×64 logo does not need.
    static func zlibStored(_ bytes: [UInt8]) -> Data {
        var out = Data([0x78, 0x01])
        var offset = 0
        repeat {
            let count = min(65_535, bytes.count - offset)
            let final = offset + count == bytes.count
            out.append(final ? 1 : 0)
            out.append(UInt8(count & 0xFF))
            out.append(UInt8(count >> 8))
            out.append(UInt8(~count & 0xFF))
            out.append(UInt8((~count >> 8) & 0xFF))
            out.append(contentsOf: bytes[offset..<(offset + count)])
            offset += count
        } while offset < bytes.count
        // Adler-32 of the uncompressed bytes, modulo 65521.
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        out.append(bigEndian: b << 16 | a)
        return out
    }

    /// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) as PNG chunks use it.
    static func crc32<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

private extension Data {
    mutating func append(bigEndian value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)])
    }

    /// A PNG chunk: length, type, data, CRC-32 of type and data.
    mutating func appendChunk(_ type: String, _ data: Data) {
        append(bigEndian: UInt32(data.count))
        let typed = Data(type.utf8) + data
        append(typed)
        append(bigEndian: KernelLogo.crc32(typed))
    }
}
