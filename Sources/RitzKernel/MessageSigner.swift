import Crypto
import Foundation

/// Signs and verifies wire messages with HMAC-SHA256 over the connection file's key.
///
/// The signature is the lowercase hex digest of HMAC-SHA256(key, header ‖ parent_header ‖
/// metadata ‖ content), the four JSON frames as sent (Jupyter messaging, "The Wire Protocol").
/// An empty key turns signing off: the signature is the empty string and every message passes.
public struct MessageSigner: Sendable {
    private let keyBytes: Data

    /// A signer for a key.
    ///
    /// - Parameter key: The connection file's `key`, as text (its UTF-8 bytes are the HMAC key).
    public init(key: String) {
        keyBytes = Data(key.utf8)
    }

    /// Whether messages are signed.
    public var isSigning: Bool { !keyBytes.isEmpty }

    private var key: SymmetricKey? { keyBytes.isEmpty ? nil : SymmetricKey(data: keyBytes) }

    /// The hex signature of four frames.
    ///
    /// - Parameter frames: header, parent_header, metadata and content, as sent.
    /// - Returns: 64 lowercase hex digits, or "" when signing is off.
    public func signature(_ frames: [Data]) -> String {
        guard let key else { return "" }
        var mac = HMAC<SHA256>(key: key)
        for f in frames { mac.update(data: f) }
        return mac.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Checks a received signature in constant time (swift-crypto's comparison of the MAC).
    ///
    /// - Parameters:
    ///   - signature: The signature frame as received (hex text).
    ///   - frames: The four JSON frames as received.
    /// - Returns: True when signing is off, or when the signature is the HMAC of the frames.
    public func isValid(signature: Data, frames: [Data]) -> Bool {
        guard let key else { return true }
        guard let code = MessageSigner.bytes(hex: signature), code.count == SHA256.byteCount else { return false }
        var joined = Data()
        for f in frames { joined.append(f) }
        return HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: joined, using: key)
    }

    /// Bytes from hex text (either case), or nil when it is not an even run of hex digits.
    static func bytes(hex: Data) -> Data? {
        guard hex.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out = Data(capacity: hex.count / 2)
        var index = hex.startIndex
        while index < hex.endIndex {
            guard let high = nibble(hex[index]), let low = nibble(hex[hex.index(after: index)]) else { return nil }
            out.append(high << 4 | low)
            index = hex.index(index, offsetBy: 2)
        }
        return out
    }
}
