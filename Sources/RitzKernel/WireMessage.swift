import Foundation
import RitzNotebook

/// One Jupyter message as it travels over ZeroMQ.
///
/// The wire form is a multipart message (Jupyter messaging 5.3, "The Wire Protocol"):
/// the routing identities, the delimiter `<IDS|MSG>`, the HMAC signature, then the header,
/// parent header, metadata and content as JSON, then any binary buffers.
public struct WireMessage: Sendable {
    /// The delimiter frame between routing identities and the signature.
    public static let delimiter = Data("<IDS|MSG>".utf8)

    /// Routing identities (ROUTER sockets prefix them; replies carry them back).
    public var identities: [Data]
    /// `msg_id`, `session`, `username`, `date`, `msg_type`, `version`.
    public var header: JSONValue
    /// The header of the request this message answers, or `{}`.
    public var parentHeader: JSONValue
    /// Free-form metadata.
    public var metadata: JSONValue
    /// The message's content, by type.
    public var content: JSONValue
    /// Extra binary frames.
    public var buffers: [Data]

    /// A message from its parts.
    ///
    /// - Parameters:
    ///   - identities: Routing identities.
    ///   - header: The header.
    ///   - parentHeader: The parent header (`{}` when none).
    ///   - metadata: Metadata (`{}` when none).
    ///   - content: The content.
    ///   - buffers: Binary buffers.
    public init(identities: [Data] = [], header: JSONValue, parentHeader: JSONValue = .object([:]),
                metadata: JSONValue = .object([:]), content: JSONValue, buffers: [Data] = []) {
        self.identities = identities
        self.header = header
        self.parentHeader = parentHeader
        self.metadata = metadata
        self.content = content
        self.buffers = buffers
    }

    /// The message type from the header (`execute_request`, …), or "" when missing.
    public var type: String { header["msg_type"]?.stringValue ?? "" }

    /// Splits received frames into a message, checking the signature first.
    ///
    /// - Parameters:
    ///   - frames: Every frame of one multipart message.
    ///   - signer: Verifies the signature.
    /// - Returns: The message.
    /// - Throws: `KernelError.malformed` without a delimiter, with fewer than the five frames
    ///   after it, or with frames that are not JSON objects; `KernelError.badSignature` when the
    ///   HMAC does not match (checked before any JSON is parsed).
    public static func decode(_ frames: [Data], signer: MessageSigner) throws -> WireMessage {
        guard let at = frames.firstIndex(of: delimiter) else {
            throw KernelError.malformed("no <IDS|MSG> delimiter among \(frames.count) frames")
        }
        let rest = Array(frames[(at + 1)...])
        guard rest.count >= 5 else {
            throw KernelError.malformed("\(rest.count) frames after the delimiter, at least 5 expected")
        }
        let signed = Array(rest[1...4])
        guard signer.isValid(signature: rest[0], frames: signed) else { throw KernelError.badSignature }
        let names = ["header", "parent_header", "metadata", "content"]
        var parts: [JSONValue] = []
        for (name, frame) in zip(names, signed) {
            guard let value = try? JSONValue.parse(frame), value.objectValue != nil else {
                throw KernelError.malformed("\(name) is not a JSON object")
            }
            parts.append(value)
        }
        guard parts[0]["msg_type"]?.stringValue != nil else { throw KernelError.malformed("header without msg_type") }
        return WireMessage(identities: Array(frames[..<at]), header: parts[0], parentHeader: parts[1],
                           metadata: parts[2], content: parts[3], buffers: Array(rest.dropFirst(5)))
    }

    /// The frames to send, signed.
    ///
    /// - Parameter signer: Signs header, parent header, metadata and content.
    /// - Returns: identities…, `<IDS|MSG>`, signature, the four JSON frames, buffers….
    public func encode(signer: MessageSigner) -> [Data] {
        let json = [header, parentHeader, metadata, content].map { Data($0.serialized(indent: 0).utf8) }
        return identities + [WireMessage.delimiter, Data(signer.signature(json).utf8)] + json + buffers
    }
}
