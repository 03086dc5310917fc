import CZMQ
import Foundation

/// A ZeroMQ context: owns the sockets of one kernel.
final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// A new context.
    ///
    /// - Throws: `KernelError.transport` when libzmq cannot make one.
    init() throws {
        guard let h = zmq_ctx_new() else { throw KernelError.transport("zmq_ctx_new: \(ZMQContext.lastError())") }
        handle = h
    }

    /// Makes blocking calls on this context's sockets return (ETERM), so threads can close them.
    func shutdown() { zmq_ctx_shutdown(handle) }

    /// Waits for every socket to close and frees the context.
    func terminate() {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }

    /// `zmq_strerror` of the calling thread's last error.
    static func lastError() -> String { String(cString: zmq_strerror(zmq_errno())) }
}

/// One of the kernel's sockets (Jupyter calls them channels): shell, control and stdin are
/// ROUTER, IOPub is PUB, heartbeat is REP.
///
/// Receiving belongs to one thread; sending is serialised by a lock, so the execution worker
/// and the main loop may both publish on IOPub (ZeroMQ allows a socket to pass between
/// threads with a full memory barrier, which the lock gives).
final class Channel: @unchecked Sendable {
    /// The socket kinds the kernel uses.
    enum Kind {
        case router, publisher, reply

        var zmqType: Int32 {
            switch self {
            case .router: return ZMQ_ROUTER
            case .publisher: return ZMQ_PUB
            case .reply: return ZMQ_REP
            }
        }
    }

    /// The largest message accepted (512 MiB): a larger one is dropped by libzmq instead of
    /// exhausting memory.
    static let maximumMessageSize: Int64 = 512 << 20

    let name: String
    let socket: UnsafeMutableRawPointer
    private let lock = NSLock()
    private var closed = false

    /// Opens a socket and binds it.
    ///
    /// - Parameters:
    ///   - name: The channel's name, for messages (`shell`, `iopub`, …).
    ///   - kind: The socket type.
    ///   - context: The owning context.
    ///   - endpoint: `tcp://IP:PORT` or `ipc://PATH`.
    /// - Throws: `KernelError.transport` when the socket cannot be made or bound.
    init(name: String, kind: Kind, context: ZMQContext, endpoint: String) throws {
        guard let s = zmq_socket(context.handle, kind.zmqType) else {
            throw KernelError.transport("\(name): zmq_socket: \(ZMQContext.lastError())")
        }
        self.name = name
        socket = s
        var linger: Int32 = 1000
        zmq_setsockopt(s, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        var maximum = Channel.maximumMessageSize
        zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maximum, MemoryLayout<Int64>.size)
        guard zmq_bind(s, endpoint) == 0 else {
            let message = ZMQContext.lastError()
            zmq_close(s)
            throw KernelError.transport("\(name): cannot bind \(endpoint): \(message)")
        }
    }

    /// Closes the socket (unsent messages linger up to a second); later sends do nothing.
    func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        zmq_close(socket)
    }

    /// Receives one multipart message, waiting for it.
    ///
    /// - Parameter wait: Block until a message comes; false returns nil when none is queued.
    /// - Returns: Its frames, or nil when none was waiting or the context is shutting down.
    func receive(wait initialWait: Bool = true) -> [Data]? {
        var wait = initialWait
        var frames: [Data] = []
        while true {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            var received = zmq_msg_recv(&message, socket, wait ? 0 : ZMQ_DONTWAIT)
            while received < 0 && zmq_errno() == EINTR {
                received = zmq_msg_recv(&message, socket, wait ? 0 : ZMQ_DONTWAIT)
            }
            if received < 0 { return frames.isEmpty ? nil : frames }
            let size = zmq_msg_size(&message)
            if size > 0, let bytes = zmq_msg_data(&message) {
                frames.append(Data(bytes: bytes, count: size))
            } else {
                frames.append(Data())
            }
            if zmq_msg_more(&message) == 0 { return frames }
            wait = true  // the rest of a multipart message has arrived with its first frame
        }
    }

    /// Sends one multipart message.
    ///
    /// - Parameter frames: The frames, in order.
    /// - Returns: False when libzmq refused a frame (the peer is gone, the context is ending).
    @discardableResult
    func send(_ frames: [Data]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return false }
        for (i, frame) in frames.enumerated() {
            let flags = i + 1 < frames.count ? ZMQ_SNDMORE : 0
            let sent = frame.withUnsafeBytes { raw -> Int32 in
                var result: Int32
                repeat {
                    result = zmq_send(socket, raw.baseAddress, raw.count, flags)
                } while result < 0 && zmq_errno() == EINTR
                return result
            }
            if sent < 0 { return false }
        }
        return true
    }

    /// Waits until any of `channels` has a message to read.
    ///
    /// - Parameters:
    ///   - channels: The channels to watch.
    ///   - timeout: Milliseconds to wait at most (−1: no limit).
    /// - Returns: For each channel, whether it is readable; nil when polling failed for good.
    static func poll(_ channels: [Channel], timeout: Int) -> [Bool]? {
        var items = channels.map { zmq_pollitem_t(socket: $0.socket, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        let count = items.count
        let result = items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, Int32(count), timeout) }
        if result < 0 {
            return zmq_errno() == EINTR ? Array(repeating: false, count: channels.count) : nil
        }
        return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
    }
}
