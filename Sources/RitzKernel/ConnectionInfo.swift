import Foundation
import RitzNotebook

/// A kernel's connection file, as the Jupyter client writes it before starting the kernel:
/// where the five sockets listen and the key that signs every message.
///
/// Fields (Jupyter messaging, "Connection files"): `transport` (`tcp` or `ipc`), `ip`,
/// `shell_port`, `control_port`, `iopub_port`, `stdin_port`, `hb_port`, `key` (may be empty:
/// messages are then unsigned) and `signature_scheme` (`hmac-sha256`, the only one accepted).
public struct ConnectionInfo: Equatable, Sendable {
    /// `tcp` or `ipc`.
    public var transport: String
    /// The address (tcp) or path stem (ipc) of the sockets.
    public var ip: String
    /// Shell requests (ROUTER).
    public var shellPort: Int
    /// Control requests: interrupt, shutdown (ROUTER).
    public var controlPort: Int
    /// Published outputs and status (PUB).
    public var iopubPort: Int
    /// Input requests to the front end (ROUTER).
    public var stdinPort: Int
    /// Heartbeat echo (REP).
    public var heartbeatPort: Int
    /// The HMAC key, as text.
    public var key: String
    /// The signature scheme; always `hmac-sha256` once parsed.
    public var signatureScheme: String

    /// Reads a connection file.
    ///
    /// - Parameter path: The file the client wrote.
    /// - Returns: The parsed connection.
    /// - Throws: `KernelError.connectionFile` when it cannot be read or is not a valid connection.
    public static func load(path: String) throws -> ConnectionInfo {
        let data: Data
        do {
            data = try AtomicFile.read(AtomicFile.checkedPath(path))
        } catch {
            throw KernelError.connectionFile("\(error)")
        }
        return try parse(data)
    }

    /// Parses a connection file's bytes.
    ///
    /// - Parameter data: The JSON text.
    /// - Returns: The parsed connection.
    /// - Throws: `KernelError.connectionFile` naming the first missing or invalid field.
    public static func parse(_ data: Data) throws -> ConnectionInfo {
        let root: JSONValue
        do {
            root = try JSONValue.parse(data)
        } catch {
            throw KernelError.connectionFile("not JSON (\(error))")
        }
        guard root.objectValue != nil else { throw KernelError.connectionFile("not a JSON object") }
        func port(_ name: String) throws -> Int {
            guard let p = root[name]?.intValue, (1...65535).contains(p) else {
                throw KernelError.connectionFile("`\(name)` must be a port number 1…65535")
            }
            return p
        }
        let transport = root["transport"]?.stringValue ?? "tcp"
        guard transport == "tcp" || transport == "ipc" else {
            throw KernelError.connectionFile("transport `\(transport)` is neither tcp nor ipc")
        }
        guard let ip = root["ip"]?.stringValue, !ip.isEmpty, !ip.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw KernelError.connectionFile("`ip` must be a non-empty address")
        }
        let scheme = root["signature_scheme"]?.stringValue ?? "hmac-sha256"
        guard scheme == "hmac-sha256" else {
            throw KernelError.connectionFile("signature scheme `\(scheme)` is not supported (only hmac-sha256)")
        }
        guard let key = root["key"]?.stringValue ?? (root["key"] == nil ? "" : nil) else {
            throw KernelError.connectionFile("`key` must be a string")
        }
        return ConnectionInfo(transport: transport, ip: ip, shellPort: try port("shell_port"),
                              controlPort: try port("control_port"), iopubPort: try port("iopub_port"),
                              stdinPort: try port("stdin_port"), heartbeatPort: try port("hb_port"),
                              key: key, signatureScheme: scheme)
    }

    /// The ZeroMQ endpoint of a port: `tcp://IP:PORT`, or `ipc://IP-PORT` (jupyter_client's
    /// naming of ipc sockets).
    ///
    /// - Parameter port: One of the ports.
    /// - Returns: The endpoint to bind.
    public func endpoint(port: Int) -> String {
        transport == "ipc" ? "ipc://\(ip)-\(port)" : "tcp://\(ip):\(port)"
    }
}
