#if canImport(Glibc)
import Glibc
#endif

/// A reference bound for the length of a synchronous call on the calling thread: what a
/// task-local value does for synchronous code, without the heap record a task-local binding
/// makes (about a microsecond, paid on every training step and on every job handed to a helper
/// thread). Work handed to another thread does not see the binding; whoever hands it over
/// passes the value along (as ``Parallel/results(_:_:)`` does for the memory account).
///
/// The binding holds no reference of its own: `withValue` keeps the value alive while it is
/// bound.
public final class ThreadScoped<Value: AnyObject>: @unchecked Sendable {
    private var key = pthread_key_t()

    /// A binding that every thread starts without. Made once per purpose, as a static constant:
    /// the system has some hundreds of thread-specific keys, and the process asks for a handful.
    public init() {
        let made = pthread_key_create(&key, nil)
        precondition(made == 0, "no thread-specific key left (pthread_key_create: \(made))")
    }

    /// The value bound on this thread, or nil.
    public var value: Value? {
        guard let raw = pthread_getspecific(key) else { return nil }
        return Unmanaged<Value>.fromOpaque(raw).takeUnretainedValue()
    }

    /// Runs `body` with `value` bound on this thread, then restores the binding before it.
    ///
    /// - Parameters:
    ///   - value: The value to bind (nil unbinds).
    ///   - body: The work to run; it must not hop threads (it is synchronous).
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    public func withValue<R>(_ value: Value?, _ body: () throws -> R) rethrows -> R {
        let raw = value.map { Unmanaged.passUnretained($0).toOpaque() }
        let saved = pthread_getspecific(key)
        pthread_setspecific(key, raw)
        defer { pthread_setspecific(key, saved) }
        return try withExtendedLifetime(value) { try body() }
    }
}
