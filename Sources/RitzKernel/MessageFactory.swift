import Foundation
import RitzNotebook

/// Makes the kernel's outgoing messages: fresh headers under one session id, replies that carry
/// the request's identities and header as parent.
public struct MessageFactory: Sendable {
    /// The protocol version every header states.
    public static let protocolVersion = "5.3"
    /// The kernel's session id (one per process).
    public let session: String

    /// A factory for one kernel process.
    ///
    /// - Parameter session: The session id put in every header (default: a new UUID).
    public init(session: String = UUID().uuidString.lowercased()) {
        self.session = session
    }

    /// A header for a new message.
    ///
    /// - Parameter type: `msg_type`.
    /// - Returns: `msg_id` (a new UUID), `session`, `username`, `date` (ISO 8601 UTC), `msg_type`, `version`.
    public func header(type: String) -> JSONValue {
        .object(["msg_id": .string(UUID().uuidString.lowercased()), "session": .string(session),
                 "username": .string("ritz"), "date": .string(MessageFactory.timestamp()),
                 "msg_type": .string(type), "version": .string(MessageFactory.protocolVersion)])
    }

    /// A reply or a message published on behalf of a request.
    ///
    /// - Parameters:
    ///   - parent: The request.
    ///   - type: The new message's type.
    ///   - content: Its content.
    ///   - routed: Keep the request's identities (a reply on a ROUTER socket); false for IOPub.
    ///   - metadata: Its metadata.
    /// - Returns: The message, with the request's header as parent header.
    public func message(for parent: WireMessage?, type: String, content: [String: JSONValue],
                        routed: Bool = false, metadata: [String: JSONValue] = [:]) -> WireMessage {
        WireMessage(identities: routed ? (parent?.identities ?? []) : [Data("kernel.\(session).\(type)".utf8)],
                    header: header(type: type), parentHeader: parent?.header ?? .object([:]),
                    metadata: .object(metadata), content: .object(content))
    }

    /// Now as ISO 8601 with microseconds, UTC (`2026-12-05T03:00:00.123456Z`).
    static func timestamp(_ date: Date = Date()) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = seconds.rounded(.down)
        var time = time_t(whole)
        var parts = tm()
        gmtime_r(&time, &parts)
        let micro = min(999_999, Int((seconds - whole) * 1_000_000))
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), micro)
    }
}
