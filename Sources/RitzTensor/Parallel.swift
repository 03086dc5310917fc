import CKernels
import Foundation
import Synchronization

/// Data-parallel loops over the machine's cores, for work whose result does not depend on how
/// it is split (elementwise maps, disjoint blocks of a matrix product), so any thread count
/// gives the same bytes.
///
/// Pieces run on the calling thread and on persistent helper threads (`WorkerPool`) that spin
/// for a moment after each piece before they sleep, so the many short passes of a
/// differentiation sweep hand work over in under a microsecond instead of waking a thread
/// each time.
public enum Parallel {
    /// Threads used for large tensor work (1 runs everything on the calling thread): two where
    /// two cores are usable (``UsableCores``) and OpenBLAS may be called from two threads at
    /// once (``BLASKernel/isThreadSafe``), else one.
    nonisolated(unsafe) public static var threads = BLASKernel.isThreadSafe ? Swift.min(2, UsableCores.count) : 1

    /// What narrowed ``threads``, for `ritz doctor`: OpenBLAS's single-threaded build, or what
    /// narrowed the usable cores (``UsableCores/limit``); nil when nothing did.
    public static var threadLimit: String? {
        BLASKernel.isThreadSafe ? UsableCores.limit
            : "OpenBLAS is its single-threaded build, which two threads must not call at once"
    }

    /// Elements below which a map runs on the calling thread: handing a piece to another core
    /// costs about as much as a pass over this many doubles.
    public static let minimumElements = 1 << 14

    /// Runs `body` over contiguous pieces covering 0..<n, concurrently when `n` reaches `minimum`
    /// and more than one thread is allowed. Pieces must write disjoint memory.
    ///
    /// - Parameters:
    ///   - n: The number of items.
    ///   - minimum: The smallest `n` worth splitting.
    ///   - body: Work on one piece.
    public static func forEachPiece(_ n: Int, minimum: Int = minimumElements, _ body: (Range<Int>) -> Void) {
        let parts = n >= Swift.max(minimum, 2) ? Swift.min(threads, n) : 1
        run(parts) { w in
            let lo = n * w / parts, hi = n * (w + 1) / parts
            if hi > lo { body(lo..<hi) }
        }
    }

    /// Runs `count` independent jobs, concurrently when more than one thread is allowed (each
    /// job may call BLAS, which runs on one thread: see `CKernels/blas_threads.c`).
    ///
    /// - Parameters:
    ///   - count: The number of jobs.
    ///   - body: One job, given its index.
    public static func jobs(_ count: Int, _ body: (Int) -> Void) {
        var next = 0
        while next < count {
            let wave = Swift.min(Swift.max(threads, 1), count - next)
            let base = next
            run(wave) { i in
                if count > 1 { ck_job_enter() }
                body(base + i)
                if count > 1 { ck_job_leave() }
            }
            next += wave
        }
    }

    /// True on a thread running one of several `jobs` (on any thread count, one included): work
    /// that would cut itself into parallel pieces of its own (`linear`'s halves, a large matrix
    /// product's blocks) runs whole there, since the jobs already occupy the cores and a nested
    /// cut would only run its pieces one after the other. The cut so depends on the program's
    /// structure, never on the thread count, and the bytes stay the same on any machine.
    public static var isInsideJobs: Bool { ck_job_depth() > 0 }

    /// Runs `count` independent jobs that each return a value or throw, concurrently when more
    /// than one thread is allowed, each under the caller's memory account (worker threads do not
    /// inherit the caller's account). Parallel work the jobs start runs on their own thread.
    /// Inlinable, so it is specialised where it is called: unspecialised, every call looked up
    /// the metadata of its generic arrays at run time.
    ///
    /// - Parameters:
    ///   - count: The number of jobs.
    ///   - body: One job, given its index.
    /// - Returns: The jobs' results in index order.
    /// - Throws: The error of the first job (by index) that threw.
    @inlinable
    public static func results<R>(_ count: Int, _ body: (Int) throws -> R) throws -> [R] {
        // One job runs here, under the account already in effect, with no slots to gather.
        if count == 1 { return [try body(0)] }
        let account = AllocationLimit.account
        var outcomes = [Result<R, any Error>?](repeating: nil, count: count)
        outcomes.withUnsafeMutableBufferPointer { buffer in
            let slots = UncheckedSendable(buffer)
            jobs(count) { i in
                slots.value[i] = AllocationLimit.withAccount(account) { Result { try body(i) } }
            }
        }
        return try outcomes.map { outcome in
            guard let outcome else { throw ParallelError.jobDidNotRun }
            return try outcome.get()
        }
    }

    /// Runs body(0..<parts) with piece 0 on the calling thread and the others on helpers; runs
    /// them all here when the pool is busy (a nested or concurrent call).
    private static func run(_ parts: Int, _ body: (Int) -> Void) {
        guard parts > 1, let pool = WorkerPool.shared(helpers: parts - 1), pool.tryAcquire() else {
            for w in 0..<parts { body(w) }
            return
        }
        defer { pool.release() }
        withoutActuallyEscaping(body) { escapable in
            pool.post(parts - 1, escapable)
            escapable(0)
            pool.waitForHelpers()
        }
    }
}

/// A failure of the parallel machinery itself (never of a job's own work).
public enum ParallelError: Error, CustomStringConvertible {
    /// A job's slot was empty after the jobs finished.
    case jobDidNotRun

    public var description: String { "internal error: a parallel job did not run" }
}

/// Persistent helper threads for `Parallel`: each waits for a posted job by spinning (yielding
/// the core to other threads after `busySpinNanoseconds`) for up to `spinNanoseconds`, then
/// sleeps on a condition until the next post.
final class WorkerPool: @unchecked Sendable {
    /// How long an idle helper waits for the next piece before it sleeps.
    static let spinNanoseconds: UInt64 = 200_000
    /// How long of that it spins without yielding the core.
    static let busySpinNanoseconds: UInt64 = 20_000

    nonisolated(unsafe) private static var pool: WorkerPool?
    private static let creation = NSLock()

    /// The pool with at least `helpers` threads, created on first use.
    static func shared(helpers: Int) -> WorkerPool? {
        creation.lock()
        defer { creation.unlock() }
        if let pool, pool.helpers.count >= helpers { return pool }
        guard pool == nil else { return nil }  // grown thread counts run serially rather than rebuild
        let made = WorkerPool(helpers: helpers)
        pool = made
        return made
    }

    private final class Helper: @unchecked Sendable {
        let posted = Atomic<Int>(0)
        let finished = Atomic<Int>(0)
        let sleeping = Atomic<Bool>(false)
        let condition = NSCondition()
        var job: ((Int) -> Void)?
    }

    private let helpers: [Helper]
    private let busy = Atomic<Bool>(false)
    private var activeHelpers = 0

    private init(helpers count: Int) {
        helpers = (0..<count).map { _ in Helper() }
        for (index, helper) in helpers.enumerated() {
            let thread = Thread { WorkerPool.loop(helper, index: index) }
            thread.name = "ritz-worker-\(index + 1)"
            thread.start()
        }
    }

    func tryAcquire() -> Bool {
        busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    }

    func release() { busy.store(false, ordering: .releasing) }

    /// Hands job(1...count) to the first `count` helpers (piece 0 is the caller's). The job is
    /// held as it is, not wrapped, so a post makes no object.
    func post(_ count: Int, _ job: @escaping (Int) -> Void) {
        activeHelpers = count
        for helper in helpers.prefix(count) {
            helper.job = job
            helper.posted.add(1, ordering: .sequentiallyConsistent)
            if helper.sleeping.load(ordering: .sequentiallyConsistent) {
                helper.condition.lock()
                helper.condition.signal()
                helper.condition.unlock()
            }
        }
    }

    /// Waits until every posted helper has finished its piece: spinning, then yielding the core
    /// after `busySpinNanoseconds` (a helper that lost its core to another thread gets it back
    /// sooner when this thread steps aside).
    func waitForHelpers() {
        for helper in helpers.prefix(activeHelpers) {
            let target = helper.posted.load(ordering: .relaxed)
            var spins = 0
            var start: UInt64 = 0
            while helper.finished.load(ordering: .acquiring) != target {
                spins += 1
                if spins & 63 != 0 { ck_spin_pause(); continue }
                let now = DispatchTime.now().uptimeNanoseconds
                if start == 0 { start = now } else if now - start > WorkerPool.busySpinNanoseconds { sched_yield() }
            }
            helper.job = nil
        }
        activeHelpers = 0
    }

    private static func loop(_ helper: Helper, index: Int) {
        var seen = 0
        while true {
            var start: UInt64 = 0
            var spins = 0
            while helper.posted.load(ordering: .acquiring) == seen {
                spins += 1
                if spins & 63 != 0 { ck_spin_pause(); continue }
                let now = DispatchTime.now().uptimeNanoseconds
                if start == 0 { start = now; continue }
                let waited = now - start
                guard waited > spinNanoseconds else {
                    // Past the first moments, give the core to any other thread that wants it
                    // (the notebook's screen, another process) while still answering quickly.
                    if waited > busySpinNanoseconds { sched_yield() }
                    continue
                }
                helper.condition.lock()
                helper.sleeping.store(true, ordering: .sequentiallyConsistent)
                while helper.posted.load(ordering: .sequentiallyConsistent) == seen { helper.condition.wait() }
                helper.sleeping.store(false, ordering: .sequentiallyConsistent)
                helper.condition.unlock()
            }
            seen = helper.posted.load(ordering: .acquiring)
            helper.job?(index + 1)
            helper.finished.store(seen, ordering: .releasing)
        }
    }
}

/// Carries a non-Sendable value into a concurrent closure whose callers guarantee disjoint use.
public struct UncheckedSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}
