import Foundation

/// Errors of the curvature methods that are neither shape nor linear-algebra errors.
public enum CurvatureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The computation was stopped by the interrupt check installed with `Interruption`.
    case interrupted

    public var description: String {
        switch self {
        case .interrupted: return "interrupted"
        }
    }
}

/// A cooperative stop for long computations in builtins (Lanczos, SLQ, Hutchinson, tracking,
/// graph builders and eigensolvers, simulations, Karcher means).
///
/// The language session installs a check with `withCheck` around every cell it runs on its
/// worker thread; every long loop calls `check()` (once per matrix-vector product or per
/// iteration, or every few thousand cheap steps) and throws `CurvatureError.interrupted` when it
/// reports true. The check is per thread, so sessions on
/// different threads do not see each other's interrupts.
public enum Interruption {
    private final class Box { let shouldStop: () -> Bool; init(_ f: @escaping () -> Bool) { shouldStop = f } }
    private static let key = "ritz.curvature.interrupt"

    /// Runs `body` with `shouldStop` as the interrupt check of the current thread.
    ///
    /// - Parameters:
    ///   - shouldStop: Returns true when the computation should stop.
    ///   - body: The work.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    public static func withCheck<T>(_ shouldStop: @escaping () -> Bool, _ body: () throws -> T) rethrows -> T {
        let dict = Thread.current.threadDictionary
        let previous = dict[key]
        dict[key] = Box(shouldStop)
        defer { dict[key] = previous }
        return try body()
    }

    /// Throws `CurvatureError.interrupted` when the current thread's check reports true.
    ///
    /// - Throws: `CurvatureError.interrupted`.
    public static func check() throws {
        if let box = Thread.current.threadDictionary[key] as? Box, box.shouldStop() {
            throw CurvatureError.interrupted
        }
    }
}
