#if canImport(Glibc)
import CSystem
import Glibc
#endif
import Synchronization

/// Bytes of tensor storage alive, and the limit they are held to.
///
/// Every tensor's storage holds a `StorageLease` that adds its bytes here when created and
/// subtracts them when the last tensor sharing the storage goes away; the counter is atomic
/// because the worker pool creates and drops tensors on its own thread too.
public final class MemoryAccount: Sendable {
    private let liveBytes = Atomic<Int>(0)
    private let limitBytes: Atomic<Int>
    /// Storage kept for reuse by the work under this account: at most 64 MiB, or a sixteenth
    /// of the limit when that is less.
    public let pool: StoragePool
    /// The NaN-filled arrays that ``Tensor/sharedNaN(_:)`` shares out under this account.
    let nanFills = NaNFills()

    /// An account with nothing alive.
    ///
    /// - Parameter limit: The limit in bytes.
    public init(limit: Int) {
        limitBytes = Atomic(Swift.max(limit, 0))
        pool = StoragePool(capacityBytes: Swift.min(64 << 20, Swift.max(limit, 0) / 16))
    }

    /// Bytes of tensor storage alive now.
    public var live: Int { liveBytes.load(ordering: .relaxed) }

    /// The limit in bytes.
    public var limit: Int {
        get { limitBytes.load(ordering: .relaxed) }
        set { limitBytes.store(Swift.max(newValue, 0), ordering: .relaxed) }
    }

    func add(_ bytes: Int) { liveBytes.wrappingAdd(bytes, ordering: .relaxed) }
    func remove(_ bytes: Int) { liveBytes.wrappingSubtract(bytes, ordering: .relaxed) }
}

/// One tensor storage array and its entry in a `MemoryAccount`: adds the array's bytes when
/// made, and in `deinit` (the last tensor holding it gone) subtracts them and gives the array to
/// the account's ``StoragePool``, so storage returns for reuse however its tensors die. Tensors
/// that share a storage array share its lease.
///
/// Unchecked `Sendable`: `array` changes only through a tensor that holds the lease alone
/// (``Tensor/storage`` gives a writer a lease of its own first).
final class StorageLease: @unchecked Sendable {
    /// Unchecked exclusivity: every tensor read goes through here, and a write happens only
    /// through a tensor that holds the lease alone, so accesses cannot overlap.
    @exclusivity(unchecked) var array: [Double]
    private(set) var bytes: Int
    let account: MemoryAccount
    /// False for an array kept elsewhere (a shared NaN fill): it never goes to the pool.
    let returnsToPool: Bool

    /// A lease of `array` in `account` (the account in effect unless given).
    init(_ array: [Double], account: MemoryAccount = AllocationLimit.account, returnsToPool: Bool = true) {
        self.array = array
        bytes = array.count &* MemoryLayout<Double>.size
        self.account = account
        self.returnsToPool = returnsToPool
        account.add(bytes)
    }

    /// Brings the account up to date after a write changed the array's length.
    func recount() {
        let now = array.count &* MemoryLayout<Double>.size
        guard now != bytes else { return }
        account.add(now &- bytes)
        bytes = now
    }

    deinit {
        account.remove(bytes)
        if returnsToPool, array.count >= StoragePool.minimumCount { account.pool.give(array) }
    }
}

/// One NaN-filled array per size, kept by a memory account for ``Tensor/sharedNaN(_:)``: at most
/// ``capacityBytes`` of them (outside the account, like the pool); past that, each request gets
/// an array of its own.
final class NaNFills: Sendable {
    /// The most bytes kept.
    static let capacityBytes = 16 << 20

    private struct State: ~Copyable {
        var arrays: [Int: [Double]] = [:]
        var bytes = 0
    }

    private let state = Mutex(State())

    /// The kept array of `count` NaNs, filled on the first request of its size; nil when it would
    /// take the kept bytes past the capacity.
    func array(_ count: Int) -> [Double]? {
        state.withLock { s -> [Double]? in
            if let kept = s.arrays[count] { return kept }
            let bytes = count &* MemoryLayout<Double>.size
            guard count >= 0, bytes <= NaNFills.capacityBytes &- s.bytes else { return nil }
            let filled = [Double](repeating: .nan, count: count)
            s.arrays[count] = filled
            s.bytes &+= bytes
            return filled
        }
    }
}

/// The memory limit of the session: all live tensor storage together stays under it.
///
/// The default is `RITZ_MEMORY_LIMIT` from the environment when set (bytes, or with a suffix
/// `K`, `M`, `G`, `T` for powers of 1024), else half of physical memory. Every front end reads
/// it through here, so `ritz run`, the REPL and the notebook honour the variable alike.
public enum AllocationLimit {
    /// The process-wide account.
    private static let processAccount = MemoryAccount(limit: limitSource.bytes)

    /// An account that holds only inside `withLimit` or `withAccount`, on the thread running it.
    private static let scoped = ThreadScoped<MemoryAccount>()

    /// The account in effect here.
    public static var account: MemoryAccount { scoped.value ?? processAccount }

    /// The limit in bytes in effect here.
    public static var bytes: Int { account.limit }

    /// Bytes of tensor storage alive in the account in effect here.
    public static var liveBytes: Int { account.live }

    /// Where the process-wide limit came from, for messages: "set by RITZ_MEMORY_LIMIT" or
    /// "half of physical memory".
    public static var origin: String { limitSource.origin }

    /// A sentence for the user when `RITZ_MEMORY_LIMIT` is set but not understood (the default
    /// is used instead); nil otherwise. Front ends print it once at start-up.
    public static var environmentProblem: String? { limitSource.problem }

    private static let limitSource = defaultLimit()

    /// Sets the process-wide limit (for a `--memory` option; call at startup).
    public static func set(bytes: Int) { processAccount.limit = bytes }

    /// Runs `body` with a fresh account and limit that apply only to it (on the calling thread,
    /// and in the parallel jobs it starts, which are handed the account), so a test can lower
    /// the limit without disturbing others running in parallel.
    ///
    /// - Parameters:
    ///   - bytes: the limit inside `body`.
    ///   - body: the work to run.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    public static func withLimit<R>(bytes: Int, _ body: () throws -> R) rethrows -> R {
        try scoped.withValue(MemoryAccount(limit: bytes)) { try body() }
    }

    /// Runs `body` with `account` in effect, for work handed to another thread (a worker thread
    /// does not inherit the caller's account, so its tensors would count against the process's).
    ///
    /// - Parameters:
    ///   - account: The account to use, usually ``account`` read on the thread that hands the
    ///     work over.
    ///   - body: The work to run.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    public static func withAccount<R>(_ account: MemoryAccount, _ body: () throws -> R) rethrows -> R {
        try scoped.withValue(account) { try body() }
    }

    /// Throws when `elements` more doubles would take live storage past the limit.
    ///
    /// - Throws: `TensorError.tooLarge` when the allocation alone exceeds the limit,
    ///   `TensorError.memoryLimit` when it fits alone but not beside what is alive.
    public static func check(elements: Int) throws {
        try check(elements: elements, in: account)
    }

    /// ``check(elements:)`` against `account` (the account in effect, already looked up).
    static func check(elements: Int, in account: MemoryAccount) throws {
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: MemoryLayout<Double>.size)
        try check(bytes: overflow ? Int.max : bytes, in: account)
    }

    /// Throws when `bytes` more would take live storage past the limit (for memory that is not
    /// tensor storage, such as graphs and strings, checked before it is built).
    ///
    /// - Throws: `TensorError.tooLarge` or `TensorError.memoryLimit`.
    public static func check(bytes: Int) throws {
        try check(bytes: bytes, in: account)
    }

    private static func check(bytes: Int, in account: MemoryAccount) throws {
        let limit = account.limit
        if bytes > limit { throw TensorError.tooLarge(bytes: bytes, limit: limit) }
        let live = account.live
        if live > limit - bytes { throw TensorError.memoryLimit(requested: bytes, live: live, limit: limit) }
    }

    /// Throws when `bytes` more of memory that is not tensor storage (strings, lists, graphs)
    /// would take the session past its limit.
    ///
    /// Such memory is not counted while it lives, so for a block of 64 KiB or more the bytes the
    /// allocator has handed out and not taken back (`mallinfo2`: in use in the heap plus mapped
    /// blocks; one arena for the process, see `MemoryTuning`) stand in for the live total when
    /// they are larger: a list of many small strings is then bounded too. Only the process-wide
    /// account looks at the heap; a scoped test account counts its tensors alone.
    ///
    /// - Throws: `TensorError.tooLarge` or `TensorError.memoryLimit`.
    public static func checkUntracked(bytes: Int) throws {
        let account = account
        let limit = account.limit
        if bytes > limit { throw TensorError.tooLarge(bytes: bytes, limit: limit) }
        var live = account.live
        if bytes >= 64 << 10, account === processAccount {
            let heap = mallinfo2()
            live = Swift.max(live, Int(clamping: heap.uordblks &+ heap.hblkhd))
        }
        if live > limit - bytes { throw TensorError.memoryLimit(requested: bytes, live: live, limit: limit) }
    }

    /// Parses a `RITZ_MEMORY_LIMIT` value: a whole number of bytes, optionally followed by `K`,
    /// `M`, `G` or `T` (powers of 1024, case-insensitive, an optional trailing `B` or `iB`).
    ///
    /// - Parameter text: The value.
    /// - Returns: The bytes, or nil when the text is not such a number or overflows.
    public static func parse(_ text: String) -> Int? {
        var body = Substring(text.trimmingCharacters(in: .whitespaces).uppercased())
        if body.hasSuffix("IB") { body = body.dropLast(2) } else if body.hasSuffix("B") { body = body.dropLast() }
        var shift = 0
        if let last = body.last, let i = ["K", "M", "G", "T"].firstIndex(of: String(last)) {
            shift = 10 * (i + 1)
            body = body.dropLast()
        }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(body) else { return nil }
        let (bytes, overflow) = n.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? nil : bytes
    }

    private static func defaultLimit() -> (bytes: Int, origin: String, problem: String?) {
        var half = halfOfPhysicalMemory()
        var origin = "half of physical memory"
        // Under `ulimit -v` the address space, not the memory, runs out first. What is left after
        // the process's present mappings and the evaluation thread's 1 GiB stack reservation is
        // halved, for allocator arenas, fragmentation and the temporaries of a computation, so a
        // refused allocation ends in a ritz error rather than a failed malloc.
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max {
            let cap = Int(clamping: limit.rlim_cur)
            let free = cap - mappedBytes() - (1 << 30)
            let share = Swift.max(64 << 20, free / 2)
            if share < half {
                half = share
                origin = "half of what the address-space limit (ulimit -v) leaves"
            }
        }
        guard let raw = getenv("RITZ_MEMORY_LIMIT") else { return (half, origin, nil) }
        let text = String(cString: raw)
        guard let bytes = parse(text) else {
            return (half, origin,
                    "RITZ_MEMORY_LIMIT=\(text) is not a size (bytes, or a number with K, M, G or T); using \(origin)")
        }
        return (bytes, "set by RITZ_MEMORY_LIMIT", nil)
    }

    /// The process's mapped address space now (`VmSize` of /proc/self/status), 0 when unknown.
    private static func mappedBytes() -> Int {
        guard let file = fopen("/proc/self/status", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("VmSize:"), let kb = Int(text.dropFirst(7).filter(\.isNumber)) { return kb * 1024 }
        }
        return 0
    }

    private static func halfOfPhysicalMemory() -> Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, pageSize > 0 else { return 8 << 30 }
        let (total, overflow) = pages.multipliedReportingOverflow(by: pageSize)
        return overflow ? Int.max / 2 : total / 2
    }
}
