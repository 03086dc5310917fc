/// What can go wrong between the kernel and its clients, with a message for standard error.
public enum KernelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The connection file is missing, not JSON, or lacks a field.
    case connectionFile(String)
    /// A multipart message that is not a Jupyter wire message (no delimiter, missing frames,
    /// frames that are not JSON objects).
    case malformed(String)
    /// A message whose HMAC does not match its frames.
    case badSignature
    /// A ZeroMQ call failed: the call and `zmq_strerror`'s text.
    case transport(String)
    /// The kernelspec could not be written or removed.
    case kernelSpec(String)

    public var description: String {
        switch self {
        case .connectionFile(let m): return "connection file: \(m)"
        case .malformed(let m): return "malformed message: \(m)"
        case .badSignature: return "message with an invalid signature"
        case .transport(let m): return "zmq: \(m)"
        case .kernelSpec(let m): return "kernelspec: \(m)"
        }
    }
}
