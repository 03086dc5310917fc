import Foundation
import RitzLang
import RitzNotebook

/// ritz as a Jupyter kernel (messaging protocol 5.3 over ZeroMQ): one session, driven by a
/// Jupyter client through the sockets its connection file names.
///
/// Threads: the main loop polls control, shell and stdin (`zmq_poll`) and answers requests;
/// a cell runs on a worker (the session's evaluation thread), so control can interrupt or shut
/// down while it runs, and its outputs go to IOPub as they come; shell requests wait in their
/// socket until the cell ends, as they do in IPython's kernel. The heartbeat echoes on a thread
/// of its own. SIGINT interrupts the running cell too.
public final class Kernel: @unchecked Sendable {
    /// How long one poll waits (ms): how soon a finished cell is answered and due output sent.
    static let pollInterval = 20

    let connection: ConnectionInfo
    let signer: MessageSigner
    let factory = MessageFactory()
    let evaluator: SessionEvaluator
    let version: String
    private let context: ZMQContext
    let shell: Channel
    let control: Channel
    let iopub: Channel
    let stdin: Channel
    private let heartbeat: Channel
    /// Executed inputs of this session, for `history_request`.
    var history = KernelHistory()
    var running: RunningCell?
    var stopping = false
    private let logLine: @Sendable (String) -> Void

    /// Opens and binds the five sockets.
    ///
    /// - Parameters:
    ///   - connection: The connection file's contents.
    ///   - version: ritz's version, for `kernel_info_reply`.
    ///   - evaluator: The session cells run in.
    ///   - log: Where diagnostics go (standard error by default; Jupyter shows it in its log).
    /// - Throws: `KernelError.transport` when a socket cannot be bound.
    public init(connection: ConnectionInfo, version: String, evaluator: SessionEvaluator = SessionEvaluator(),
                log: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(("ritz kernel: " + $0 + "\n").utf8)) }) throws {
        self.connection = connection
        self.version = version
        self.evaluator = evaluator
        logLine = log
        signer = MessageSigner(key: connection.key)
        context = try ZMQContext()
        var opened: [Channel] = []
        let layout: [(String, Channel.Kind, Int)] = [
            ("shell", .router, connection.shellPort), ("control", .router, connection.controlPort),
            ("iopub", .publisher, connection.iopubPort), ("stdin", .router, connection.stdinPort),
            ("heartbeat", .reply, connection.heartbeatPort),
        ]
        do {
            for (name, kind, port) in layout {
                opened.append(try Channel(name: name, kind: kind, context: context, endpoint: connection.endpoint(port: port)))
            }
        } catch {
            for c in opened { c.close() }
            context.terminate()
            throw error
        }
        (shell, control, iopub, stdin, heartbeat) = (opened[0], opened[1], opened[2], opened[3], opened[4])
    }

    /// Serves requests until a `shutdown_request`, then closes the sockets.
    ///
    /// - Returns: The process's exit status: 0 after a shutdown, 1 when polling failed.
    public func run() -> Int32 {
        let heartbeatThread = Thread { [heartbeat] in
            while let frames = heartbeat.receive() { heartbeat.send(frames) }
            heartbeat.close()
        }
        heartbeatThread.name = "ritz-heartbeat"
        heartbeatThread.start()
        let interrupts = installInterruptSignal()
        publishStatus("starting", parent: nil)
        var status: Int32 = 0
        while !stopping {
            let channels = running == nil ? [control, shell, stdin] : [control, stdin]
            guard let ready = Channel.poll(channels, timeout: Kernel.pollInterval) else {
                log("polling failed: \(ZMQContext.lastError())")
                status = 1
                break
            }
            for (channel, isReady) in zip(channels, ready) where isReady {
                while let frames = channel.receive(wait: false) {
                    receive(frames, on: channel)
                    if channel === shell && running != nil { break }  // later requests wait for the cell
                }
            }
            if let cell = running {
                cell.output.flushDue()
                if let run = cell.result { finishExecution(cell, run) }
            }
        }
        interrupts.cancel()
        for channel in [shell, control, stdin, iopub] { channel.close() }
        context.shutdown()
        context.terminate()
        return status
    }

    /// Writes one line to the kernel's log.
    func log(_ message: String) { logLine(message) }

    /// Decodes one multipart message; a malformed or badly signed one is dropped and logged.
    ///
    /// - Parameters:
    ///   - frames: The frames received.
    ///   - channel: Where they came, for the log.
    /// - Returns: The message, or nil when it was dropped.
    func decode(_ frames: [Data], on channel: Channel) -> WireMessage? {
        do {
            return try WireMessage.decode(frames, signer: signer)
        } catch {
            log("dropped a message on \(channel.name): \(error)")
            return nil
        }
    }

    /// Decodes and dispatches one multipart message; a malformed or badly signed one is never
    /// acted on.
    private func receive(_ frames: [Data], on channel: Channel) {
        guard let message = decode(frames, on: channel) else { return }
        if channel === stdin { return }  // the kernel never asks for input: nothing to answer
        handle(message, onControl: channel === control)
    }

    /// SIGINT interrupts the running cell (Jupyter's `interrupt_mode: signal`).
    private func installInterruptSignal() -> DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [evaluator] in evaluator.interrupt() }
        source.resume()
        return source
    }

    // MARK: - Sending

    /// Sends a reply on the request's channel.
    func reply(to request: WireMessage, on channel: Channel, type: String, content: [String: JSONValue]) {
        channel.send(factory.message(for: request, type: type, content: content, routed: true).encode(signer: signer))
    }

    /// Publishes on IOPub on behalf of `parent`.
    func publish(_ type: String, _ content: [String: JSONValue], parent: WireMessage?) {
        iopub.send(factory.message(for: parent, type: type, content: content).encode(signer: signer))
    }

    /// Publishes `busy`, `idle` or `starting`.
    func publishStatus(_ state: String, parent: WireMessage?) {
        publish("status", ["execution_state": .string(state)], parent: parent)
    }
}

/// A cell running on the worker: its request, its output sink and, once done, its result.
final class RunningCell: @unchecked Sendable {
    let request: WireMessage
    let code: String
    let storeHistory: Bool
    /// Abort the execute requests queued behind this cell when it fails.
    let stopOnError: Bool
    let output: KernelOutput
    private let lock = NSLock()
    private var finished: CellRun?

    init(request: WireMessage, code: String, storeHistory: Bool, stopOnError: Bool, output: KernelOutput) {
        self.request = request
        self.code = code
        self.storeHistory = storeHistory
        self.stopOnError = stopOnError
        self.output = output
    }

    /// The cell's result once it has ended, else nil.
    var result: CellRun? {
        lock.lock()
        defer { lock.unlock() }
        return finished
    }

    /// Records the result (called on the worker).
    func finish(_ run: CellRun) {
        lock.lock()
        finished = run
        lock.unlock()
    }
}
