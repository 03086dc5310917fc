import Foundation
import Testing
@testable import RitzKernel
import RitzNotebook

/// Signing and framing against independent references: RFC 4231's HMAC-SHA256 vectors, and
/// messages signed by hand from the protocol's definition.
@Suite("kernel: wire format")
struct WireFormatTests {
    /// RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    static let rfcDigest = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"

    @Test("the signature is HMAC-SHA256 of the frames concatenated (RFC 4231 case 2)")
    func rfcVector() {
        let signer = MessageSigner(key: "Jefe")
        let frames = ["what do ya", " want ", "for nothing", "?"].map { Data($0.utf8) }
        #expect(signer.signature(frames) == WireFormatTests.rfcDigest)
        #expect(signer.isValid(signature: Data(WireFormatTests.rfcDigest.utf8), frames: frames))
        #expect(signer.isValid(signature: Data(WireFormatTests.rfcDigest.uppercased().utf8), frames: frames))
    }

    @Test("RFC 4231 case 1: a 20-byte key of 0x0b over \"Hi There\"")
    func rfcVectorOne() {
        let key = String(repeating: "\u{0b}", count: 20)
        #expect(MessageSigner(key: key).signature([Data("Hi There".utf8)])
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    @Test("wrong, short, odd-length or non-hex signatures are refused", arguments: [
        String(repeating: "0", count: 64), String(rfcDigest.dropLast(2)), String(rfcDigest.dropLast()),
        "zz" + String(rfcDigest.dropFirst(2)), "", rfcDigest + "00",
    ])
    func badSignatures(_ signature: String) {
        let frames = ["what do ya want for nothing?"].map { Data($0.utf8) }
        #expect(!MessageSigner(key: "Jefe").isValid(signature: Data(signature.utf8), frames: frames))
    }

    @Test("an empty key turns signing off")
    func unsigned() {
        let signer = MessageSigner(key: "")
        #expect(!signer.isSigning)
        #expect(signer.signature([Data("x".utf8)]) == "")
        #expect(signer.isValid(signature: Data(), frames: [Data("x".utf8)]))
    }

    static func frames(key: String, identities: [String] = ["id-a", "id-b"], header: String = #"{"msg_id":"1","msg_type":"kernel_info_request"}"#,
                       signature: String? = nil, buffers: [String] = []) -> [Data] {
        let json = [header, "{}", "{}", #"{"code":"1 + 1"}"#].map { Data($0.utf8) }
        let sig = signature ?? MessageSigner(key: key).signature(json)
        return identities.map { Data($0.utf8) } + [WireMessage.delimiter, Data(sig.utf8)] + json + buffers.map { Data($0.utf8) }
    }

    @Test("decoding splits identities, the four JSON frames and buffers")
    func decode() throws {
        let message = try WireMessage.decode(WireFormatTests.frames(key: "k", buffers: ["b1", "b2"]), signer: MessageSigner(key: "k"))
        #expect(message.identities == [Data("id-a".utf8), Data("id-b".utf8)])
        #expect(message.type == "kernel_info_request")
        #expect(message.content["code"]?.stringValue == "1 + 1")
        #expect(message.parentHeader == .object([:]))
        #expect(message.buffers == [Data("b1".utf8), Data("b2".utf8)])
    }

    @Test("encoding then decoding gives the message back, with a valid signature")
    func roundTrip() throws {
        let factory = MessageFactory(session: "s")
        let request = try WireMessage.decode(WireFormatTests.frames(key: "k"), signer: MessageSigner(key: "k"))
        let reply = factory.message(for: request, type: "kernel_info_reply", content: ["status": .string("ok")], routed: true)
        let frames = reply.encode(signer: MessageSigner(key: "k"))
        #expect(frames[2] == WireMessage.delimiter)
        let decoded = try WireMessage.decode(frames, signer: MessageSigner(key: "k"))
        #expect(decoded.identities == request.identities)
        #expect(decoded.parentHeader == request.header)
        #expect(decoded.header["session"]?.stringValue == "s")
        #expect(decoded.header["version"]?.stringValue == "5.3")
        #expect(decoded.content == .object(["status": .string("ok")]))
        // Another key does not verify it.
        #expect(throws: KernelError.badSignature) { try WireMessage.decode(frames, signer: MessageSigner(key: "other")) }
    }

    @Test("malformed messages are errors, not crashes", arguments: [
        ("no delimiter", [Data("a".utf8), Data("b".utf8)]),
        ("nothing", []),
        ("too few frames", Array(WireFormatTests.frames(key: "k").prefix(5))),
        ("header not JSON", WireFormatTests.frames(key: "k", header: "{not json")),
        ("header not an object", WireFormatTests.frames(key: "k", header: "[1]")),
        ("header without msg_type", WireFormatTests.frames(key: "k", header: #"{"msg_id":"1"}"#)),
        ("invalid UTF-8", WireFormatTests.frames(key: "k", header: "{\"msg_type\":\"\u{FFFD}\"}").map { $0 == Data("{\"msg_type\":\"\u{FFFD}\"}".utf8) ? Data([0x7B, 0xFF, 0xFE, 0x7D]) : $0 }),
    ] as [(String, [Data])])
    func malformed(_ name: String, _ frames: [Data]) {
        #expect(throws: KernelError.self, "\(name)") { try WireMessage.decode(frames, signer: MessageSigner(key: "")) }
    }

    @Test("a wrong signature is refused before the JSON is read")
    func badSignatureFirst() {
        let frames = WireFormatTests.frames(key: "k", header: "{not json", signature: String(repeating: "a", count: 64))
        #expect(throws: KernelError.badSignature) { try WireMessage.decode(frames, signer: MessageSigner(key: "k")) }
    }

    @Test("timestamps are ISO 8601 UTC with microseconds")
    func timestamp() {
        #expect(MessageFactory.timestamp(Date(timeIntervalSince1970: 1_700_000_000.25)) == "2023-11-14T22:13:20.250000Z")
    }
}

@Suite("kernel: connection file")
struct ConnectionFileTests {
    /// As jupyter_client writes it (`write_connection_file`).
    static let sample = """
        {"shell_port": 50001, "iopub_port": 50002, "stdin_port": 50003, "control_port": 50004,
         "hb_port": 50005, "ip": "127.0.0.1", "key": "a0436f6c-1916-498b-8eb9-e81ab9368e84",
         "transport": "tcp", "signature_scheme": "hmac-sha256", "kernel_name": "ritz"}
        """

    @Test("a jupyter_client connection file")
    func parse() throws {
        let info = try ConnectionInfo.parse(Data(ConnectionFileTests.sample.utf8))
        #expect(info.shellPort == 50001 && info.iopubPort == 50002 && info.stdinPort == 50003)
        #expect(info.controlPort == 50004 && info.heartbeatPort == 50005)
        #expect(info.key == "a0436f6c-1916-498b-8eb9-e81ab9368e84")
        #expect(info.endpoint(port: info.shellPort) == "tcp://127.0.0.1:50001")
        var ipc = info
        ipc.transport = "ipc"
        ipc.ip = "/tmp/kernel"
        #expect(ipc.endpoint(port: 7) == "ipc:///tmp/kernel-7")
    }

    @Test("bad connection files are errors naming the problem", arguments: [
        ("not JSON", "{", "not JSON"),
        ("an array", "[]", "not a JSON object"),
        ("missing port", #"{"ip": "127.0.0.1", "shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4}"#, "hb_port"),
        ("port out of range", sample.replacingOccurrences(of: "50005", with: "70000"), "hb_port"),
        ("port not a number", sample.replacingOccurrences(of: "50001", with: "\"x\""), "shell_port"),
        ("fractional port", sample.replacingOccurrences(of: "50001", with: "1.5"), "shell_port"),
        ("other scheme", sample.replacingOccurrences(of: "hmac-sha256", with: "hmac-md5"), "hmac-md5"),
        ("other transport", sample.replacingOccurrences(of: "\"tcp\"", with: "\"udp\""), "udp"),
        ("empty ip", sample.replacingOccurrences(of: "127.0.0.1", with: ""), "ip"),
        ("key not text", sample.replacingOccurrences(of: "\"a0436f6c-1916-498b-8eb9-e81ab9368e84\"", with: "5"), "key"),
    ])
    func bad(_ name: String, _ text: String, _ mention: String) {
        do {
            _ = try ConnectionInfo.parse(Data(text.utf8))
            Issue.record("\(name): accepted")
        } catch {
            #expect("\(error)".contains(mention), "\(name): \(error)")
        }
    }

    @Test("an unreadable connection file is an error")
    func missing() {
        #expect(throws: KernelError.self) { try ConnectionInfo.load(path: "/nonexistent/ritz-kernel.json") }
        #expect(throws: KernelError.self) { try ConnectionInfo.load(path: "bad\u{1}name.json") }
    }
}
