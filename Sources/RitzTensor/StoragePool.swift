import Synchronization

/// Storage arrays kept for reuse, by element count, so that a computation repeated on the same
/// shapes (a training step, an HVP inside Lanczos) draws its tensors' storage from the last
/// repetition instead of the allocator.
///
/// Each memory account has its pool (``MemoryAccount/pool``), so one session's (or one
/// test's) reuse is its own. An array comes back when the last tensor holding it goes away
/// (its lease's `deinit`), to the pool of the account it was made under, wherever that
/// happens: a discarded tape, a cotangent a sweep drops, a temporary inside a rule. Arrays go
/// out through ``makeStorage(_:_:)``, the allocation of the kernels on the training and
/// curvature paths (products, dense layers, elementwise maps, reductions, losses, attention,
/// convolutions). An array that is, after all, still referenced
/// elsewhere (a raw copy of `storage` somebody kept) is never written through: the first write
/// copies it, as for any Swift array, so reuse cannot change a value anyone holds.
///
/// A pool holds at most ``capacityBytes`` (outside the account, which counts live tensors
/// only) and ``perSizeLimit`` arrays of one size; one lock protects it.
public final class StoragePool: Sendable {
    /// Arrays shorter than this are left to the allocator (cheap, and too many to keep).
    public static let minimumCount = 64

    /// The most arrays kept of one size: enough for the temporaries of one size that a step holds
    /// at once, twice over (the step being recorded and the one being discarded) — a
    /// transformer's activations, residual sums and norms all share one size — while a size
    /// that is only ever given back (storage made outside ``makeStorage(_:_:)``) cannot take
    /// more than its share of the pool.
    public static let perSizeLimit = 64

    /// The most sizes remembered with an empty list before the empty ones are dropped.
    static let sizesKept = 1024

    /// How often a request was served by a kept array (`hits`) or went to the allocator
    /// (`misses`: none of its size was kept, or the kept one turned out to be shared and was
    /// copied), and the bytes kept now.
    public struct Statistics: Sendable, Equatable {
        public var hits = 0
        public var misses = 0
        public var keptBytes = 0
    }

    private struct State: ~Copyable {
        var free: [Int: [[Double]]] = [:]
        var statistics = Statistics()
    }

    private let state = Mutex(State())
    /// The most bytes kept.
    public let capacityBytes: Int

    /// An empty pool.
    ///
    /// - Parameter capacityBytes: The most bytes it keeps.
    public init(capacityBytes: Int) {
        self.capacityBytes = Swift.max(capacityBytes, 0)
    }

    /// The counters so far.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// An array of exactly `count` elements (its values arbitrary), or nil when none is kept.
    func take(_ count: Int) -> [Double]? {
        guard count >= StoragePool.minimumCount else { return nil }
        return state.withLock { s -> [Double]? in
            // A size's list keeps its key and capacity when it empties (the next step gives the
            // arrays back without allocating a list); a miss adds no key. The list is popped in
            // place through its index (one hash of the key; `free[count]?.popLast()` would copy
            // the list first).
            guard let i = s.free.index(forKey: count), let array = s.free.values[i].popLast() else {
                s.statistics.misses += 1
                return nil
            }
            s.statistics.hits += 1
            s.statistics.keptBytes -= count &* MemoryLayout<Double>.size
            return array
        }
    }

    /// Counts a request that ``take(_:)`` served but whose array was still shared, so that
    /// writing it copied: an allocation after all.
    func noteCopied() {
        state.withLock { s in
            s.statistics.hits -= 1
            s.statistics.misses += 1
        }
    }

    /// Keeps `array` for the next request of its size, unless the pool is full.
    func give(_ array: [Double]) {
        let count = array.count
        guard count >= StoragePool.minimumCount else { return }
        let bytes = count &* MemoryLayout<Double>.size
        state.withLock { s in
            guard s.statistics.keptBytes &+ bytes <= capacityBytes else { return }
            // A kept size's list is appended to in place through its index (one hash of the key).
            if let i = s.free.index(forKey: count) {
                guard s.free.values[i].count < StoragePool.perSizeLimit else { return }
                s.free.values[i].append(array)
            } else {
                // Sizes whose lists have emptied are forgotten once there are many of them.
                if s.free.count >= StoragePool.sizesKept { s.free = s.free.filter { !$0.value.isEmpty } }
                s.free[count] = [array]
            }
            s.statistics.keptBytes += bytes
        }
    }

    /// Runs `body` on `count` doubles of scratch space (uninitialised), drawn from the pool of the
    /// account in effect and given back afterwards: for a kernel's temporaries that never become
    /// a tensor.
    ///
    /// - Parameters:
    ///   - count: Doubles wanted.
    ///   - body: Work on the space; the pointer must not escape.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    public static func withScratch<R>(_ count: Int, _ body: (UnsafeMutablePointer<Double>) throws -> R) throws -> R {
        let pool = AllocationLimit.account.pool
        let n = Swift.max(count, 1)
        var space = pool.take(n) ?? [Double](unsafeUninitializedCapacity: n) { _, initialized in initialized = n }
        defer { pool.give(space) }
        return try space.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { throw StoragePoolError.noAddress }
            return try body(base)
        }
    }

    /// Frees every kept array.
    public func drain() {
        state.withLock { s in
            s.free = [:]
            s.statistics.keptBytes = 0
        }
    }
}

/// A failure of the pool's own bookkeeping (an array of a positive count without storage).
enum StoragePoolError: Error {
    case noAddress
}
