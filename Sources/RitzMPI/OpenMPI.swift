import Foundation
import RitzTensor

/// The Open MPI communicator: ``Communicator`` over `MPI_COMM_WORLD`, with the library loaded
/// only when the process was started by `mpirun`.
///
/// A plain `ritz` neither links nor loads libmpi (linking it costs every start a few
/// milliseconds of loading libmpi, libopen-rte, libopen-pal, hwloc and libevent). Under `mpirun`
/// (`OMPI_COMM_WORLD_SIZE` set in the environment) ``startIfLaunched()`` opens `libmpi.so.40`
/// with `dlopen(RTLD_NOW | RTLD_GLOBAL)` (global, so the components Open MPI loads itself see
/// its symbols), finds the calls it needs with `dlsym`, and initialises MPI.
///
/// The calls follow Open MPI's ABI as its `mpi.h` declares it (v4.x): handles are pointers;
/// `MPI_COMM_WORLD`, `MPI_DOUBLE`, `MPI_SUM` and `MPI_MIN` are the addresses of the globals
/// `ompi_mpi_comm_world`, `ompi_mpi_double`, `ompi_mpi_op_sum`, `ompi_mpi_op_min`;
/// `MPI_IN_PLACE` is `(void *)1` and `MPI_STATUS_IGNORE` a null pointer. The library's own
/// version string is checked to be Open MPI's before anything else is called.
public final class OpenMPI: Communicator, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    public let library: String

    private let calls: Calls
    /// The world's duplicate for the after-cell agreement: a collective there never matches
    /// one on the world that another rank is still waiting in.
    private let control: OpaquePointer
    private let lock = NSLock()

    /// Elements per MPI call: counts are C ints.
    private static let chunk = 1 << 28

    /// Starts MPI when this process was launched by `mpirun` and installs it in ``World``;
    /// otherwise does nothing (and loads nothing).
    ///
    /// - Parameters:
    ///   - environment: The process environment.
    /// - Returns: The communicator, or nil outside `mpirun`.
    /// - Throws: `MPIError` when the launch asks for MPI but the library cannot be loaded or started.
    @discardableResult
    public static func startIfLaunched(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> OpenMPI? {
        guard environment["OMPI_COMM_WORLD_SIZE"] != nil else { return nil }
        let mpi = try OpenMPI()
        World.install(mpi)
        activeForExit = mpi
        atexit { OpenMPI.activeForExit?.finalize() }
        return mpi
    }

    nonisolated(unsafe) private static var activeForExit: OpenMPI?
    private var finalized = false

    private init() throws {
        calls = try Calls.load()
        var provided: Int32 = 0
        // MPI_THREAD_SERIALIZED (2): ritz calls MPI from one thread at a time (the evaluating one).
        try calls.check(calls.initThread(nil, nil, 2, &provided), "MPI_Init_thread")
        var r: Int32 = 0, s: Int32 = 0
        try calls.check(calls.commRank(calls.world, &r), "MPI_Comm_rank")
        try calls.check(calls.commSize(calls.world, &s), "MPI_Comm_size")
        var dup: OpaquePointer?
        try calls.check(calls.commDup(calls.world, &dup), "MPI_Comm_dup")
        guard let dup else { throw MPIError.failed(call: "MPI_Comm_dup", code: -1) }
        rank = Int(r)
        size = Int(s)
        control = dup
        library = calls.version
    }

    /// Ends MPI once (called at exit).
    func finalize() {
        lock.lock()
        defer { lock.unlock() }
        guard !finalized else { return }
        finalized = true
        _ = calls.finalize()
    }

    public func allreduceSum(_ values: inout [Double]) {
        guard size > 1 else { return }
        // MPI_IN_PLACE: each rank's buffer holds its summands and receives the sums.
        inChunks(&values, "MPI_Allreduce") { part, count in
            calls.allreduce(UnsafeRawPointer(bitPattern: 1), part, count, calls.double, calls.sum, calls.world)
        }
    }

    public func broadcast(_ values: inout [Double], root: Int) {
        guard size > 1 else { return }
        inChunks(&values, "MPI_Bcast") { part, count in
            calls.bcast(part, count, calls.double, Int32(root), calls.world)
        }
    }

    /// Runs the collective `call` on consecutive pieces of at most `chunk` values (MPI counts are
    /// 32-bit), failing every rank on an error code.
    private func inChunks(_ values: inout [Double], _ name: String,
                          _ call: (UnsafeMutablePointer<Double>, Int32) -> Int32) {
        let n = values.count
        values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var start = 0
            while start < n {
                let count = min(Self.chunk, n - start)
                let code = call(base + start, Int32(count))
                if code != 0 { fail(name, code) }
                start += count
            }
        }
    }

    public func barrier() {
        guard size > 1 else { return }
        let code = calls.barrier(calls.world)
        if code != 0 { fail("MPI_Barrier", code) }
    }

    public func agree(failed: Bool, within seconds: Double?) -> Agreement? {
        // The minimum over ranks of (failed ? rank : size): the lowest failing rank, or size.
        // The buffers outlive this call's frames: a nonblocking collective uses them until it
        // completes (and after a timeout, until the process ends).
        let buffers = UnsafeMutablePointer<Double>.allocate(capacity: 2)
        buffers[0] = Double(failed ? rank : size)
        buffers[1] = 0
        var request: OpaquePointer?
        let started = calls.iallreduce(buffers, buffers + 1, 1, calls.double, calls.min, control, &request)
        if started != 0 { fail("MPI_Iallreduce", started) }
        let deadline = seconds.map { Date().addingTimeInterval($0) }
        var done: Int32 = 0
        while true {
            let code = calls.test(&request, &done, nil)
            if code != 0 { fail("MPI_Test", code) }
            if done != 0 { break }
            if let deadline, Date() > deadline { return nil }
            usleep(1000)
        }
        let lowest = Int(buffers[1])
        buffers.deallocate()
        return lowest >= size ? .allSucceeded : .failed(lowest: lowest)
    }

    public func abort(code: Int32) -> Never {
        _ = calls.abort(calls.world, code)
        exit(code)
    }

    /// A failed collective leaves the ranks out of step: end them all.
    private func fail(_ call: String, _ code: Int32) -> Never {
        FileHandle.standardError.write(Data("ritz: rank \(rank): \(call) failed (MPI error \(code))\n".utf8))
        abort(code: 1)
    }
}

/// Open MPI could not be loaded or started.
public enum MPIError: Error, CustomStringConvertible {
    /// The library is missing or lacks a call.
    case unavailable(String)
    /// An MPI call returned an error code.
    case failed(call: String, code: Int32)

    public var description: String {
        switch self {
        case .unavailable(let why): return "started by mpirun, but Open MPI cannot be used: \(why)"
        case .failed(let call, let code): return "\(call) failed (MPI error \(code))"
        }
    }
}

/// The MPI calls and predefined handles, found in the loaded library.
private struct Calls {
    typealias InitThread = @convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?, Int32, UnsafeMutablePointer<Int32>?) -> Int32
    typealias CommInt = @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int32>?) -> Int32
    typealias CommDup = @convention(c) (OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
    typealias Allreduce = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, OpaquePointer?, OpaquePointer?, OpaquePointer?) -> Int32
    typealias Iallreduce = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, OpaquePointer?, OpaquePointer?, OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
    typealias Test = @convention(c) (UnsafeMutablePointer<OpaquePointer?>?, UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?) -> Int32
    typealias Bcast = @convention(c) (UnsafeMutableRawPointer?, Int32, OpaquePointer?, Int32, OpaquePointer?) -> Int32
    typealias Comm = @convention(c) (OpaquePointer?) -> Int32
    typealias Abort = @convention(c) (OpaquePointer?, Int32) -> Int32
    typealias Finalize = @convention(c) () -> Int32
    typealias LibraryVersion = @convention(c) (UnsafeMutablePointer<CChar>?, UnsafeMutablePointer<Int32>?) -> Int32

    let initThread: InitThread
    let commRank: CommInt
    let commSize: CommInt
    let commDup: CommDup
    let allreduce: Allreduce
    let iallreduce: Iallreduce
    let test: Test
    let bcast: Bcast
    let barrier: Comm
    let abort: Abort
    let finalize: Finalize
    let world: OpaquePointer
    let double: OpaquePointer
    let sum: OpaquePointer
    let min: OpaquePointer
    let version: String

    /// The soname Debian's Open MPI 4 ships (`libopenmpi3`).
    static let soname = "libmpi.so.40"

    static func load() throws -> Calls {
        guard let handle = dlopen(soname, RTLD_NOW | RTLD_GLOBAL) else {
            let why = dlerror().map { String(cString: $0) } ?? "dlopen failed"
            throw MPIError.unavailable("\(why) (Debian: apt-get install openmpi-bin libopenmpi-dev)")
        }
        func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
            guard let p = dlsym(handle, name) else { throw MPIError.unavailable("\(soname) has no \(name)") }
            return p
        }
        func call<F>(_ name: String, _ type: F.Type) throws -> F {
            guard MemoryLayout<F>.size == MemoryLayout<UnsafeMutableRawPointer>.size else {
                throw MPIError.unavailable("\(name) is not declared as a C function pointer")
            }
            return unsafeBitCast(try symbol(name), to: type)
        }
        let getVersion = try call("MPI_Get_library_version", LibraryVersion.self)
        var text = [CChar](repeating: 0, count: 257)  // MPI_MAX_LIBRARY_VERSION_STRING + 1
        var length: Int32 = 0
        _ = getVersion(&text, &length)
        let full = String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard full.hasPrefix("Open MPI") else {
            throw MPIError.unavailable("\(soname) is not Open MPI (\(full.prefix(60)))")
        }
        // "Open MPI v4.1.4, package: Debian OpenMPI, ident: 4.1.4, repo rev: v4.1.4, May 26, 2022"
        let short = full.split(separator: ",").first.map(String.init) ?? full
        return Calls(initThread: try call("MPI_Init_thread", InitThread.self),
                     commRank: try call("MPI_Comm_rank", CommInt.self),
                     commSize: try call("MPI_Comm_size", CommInt.self),
                     commDup: try call("MPI_Comm_dup", CommDup.self),
                     allreduce: try call("MPI_Allreduce", Allreduce.self),
                     iallreduce: try call("MPI_Iallreduce", Iallreduce.self),
                     test: try call("MPI_Test", Test.self),
                     bcast: try call("MPI_Bcast", Bcast.self),
                     barrier: try call("MPI_Barrier", Comm.self),
                     abort: try call("MPI_Abort", Abort.self),
                     finalize: try call("MPI_Finalize", Finalize.self),
                     world: OpaquePointer(try symbol("ompi_mpi_comm_world")),
                     double: OpaquePointer(try symbol("ompi_mpi_double")),
                     sum: OpaquePointer(try symbol("ompi_mpi_op_sum")),
                     min: OpaquePointer(try symbol("ompi_mpi_op_min")),
                     version: short.trimmingCharacters(in: .whitespaces))
    }

    func check(_ code: Int32, _ call: String) throws {
        if code != 0 { throw MPIError.failed(call: call, code: code) }
    }
}
