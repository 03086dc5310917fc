import Foundation

/// How far a long computation has come (a factorisation, a large eigensolve), for a status line.
public struct ComputationProgress: Sendable {
    /// What is being done ("factorising L + sI", "shift-invert Lanczos").
    public var stage: String
    /// Steps done.
    public var step: Int
    /// Steps in all (0 when unknown).
    public var total: Int
    /// Named figures (solves, residual, …).
    public var fields: [(String, Double)]
}

/// A per-thread progress reporter for long computations, installed like `Interruption`'s check:
/// the language session installs one around a builtin with `withReporter`, and the computation
/// calls `report` at its stages; without a reporter `report` does nothing.
public enum ProgressReporting {
    private final class Box { let report: (ComputationProgress) -> Void; init(_ f: @escaping (ComputationProgress) -> Void) { report = f } }
    private static let key = "ritz.analysis.progress"

    /// Runs `body` with `reporter` receiving the progress reports of the current thread.
    ///
    /// - Parameters:
    ///   - reporter: Called with each report, on the computing thread; keep it cheap.
    ///   - body: The work.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    public static func withReporter<T>(_ reporter: @escaping (ComputationProgress) -> Void, _ body: () throws -> T) rethrows -> T {
        let dict = Thread.current.threadDictionary
        let previous = dict[key]
        dict[key] = Box(reporter)
        defer { dict[key] = previous }
        return try body()
    }

    /// Reports progress to the current thread's reporter, if any.
    ///
    /// - Parameters:
    ///   - stage: What is being done.
    ///   - step: Steps done.
    ///   - total: Steps in all (0 when unknown).
    ///   - fields: Named figures.
    public static func report(_ stage: String, step: Int, total: Int = 0, fields: [(String, Double)] = []) {
        guard let box = Thread.current.threadDictionary[key] as? Box else { return }
        box.report(ComputationProgress(stage: stage, step: step, total: total, fields: fields))
    }
}
