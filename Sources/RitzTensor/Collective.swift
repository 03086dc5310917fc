import Foundation

/// The processes of one data-parallel run and the few collective operations ritz needs of them.
///
/// Every process runs the same script; sums over examples are split among them and combined
/// with ``allreduceSum(_:)``, so each process sees the same numbers. The default,
/// ``SingleProcess``, is one process and costs nothing; the executable installs the Open MPI
/// communicator (module `RitzMPI`) in ``World`` when it runs under `mpirun`.
///
/// Every operation is collective: all processes must call it, in the same order, with the same
/// lengths. ritz keeps that by running the same code on every rank with identical inputs
/// (identical parameters, seeds and reduced values).
public protocol Communicator: AnyObject, Sendable {
    /// This process's index, `0..<size`.
    var rank: Int { get }
    /// Number of processes.
    var size: Int { get }
    /// The name and version of the library behind it ("single process", "Open MPI v4.1.4 …").
    var library: String { get }
    /// Replaces `values` on every process by their elementwise sum over all processes.
    ///
    /// - Parameters:
    ///   - values: This process's summands; the sums on return.
    func allreduceSum(_ values: inout [Double])
    /// Replaces `values` on every process by `root`'s.
    ///
    /// - Parameters:
    ///   - values: The data on `root`; on the others, a buffer of the same length that receives it.
    ///   - root: The rank whose values are sent.
    func broadcast(_ values: inout [Double], root: Int)
    /// Waits until every process has called it.
    func barrier()
    /// Whether every process reaches this point within `seconds`, and the lowest rank that
    /// passed `failed = true`: the check a process makes after a cell, on a channel of its own
    /// so it never matches a collective another process is still waiting in.
    ///
    /// - Parameters:
    ///   - failed: Whether this process's cell failed.
    ///   - seconds: How long to wait for the others (nil: as long as it takes).
    /// - Returns: nil when some process did not arrive in time; else whether any failed, and
    ///   the lowest rank that did.
    func agree(failed: Bool, within seconds: Double?) -> Agreement?
    /// Ends every process of the run at once with `code` (the library's abort).
    func abort(code: Int32) -> Never
}

/// What the processes agreed after a cell (see ``Communicator/agree(failed:within:)``).
public enum Agreement: Equatable, Sendable {
    /// No process failed.
    case allSucceeded
    /// These processes failed; the lowest is `lowest`.
    case failed(lowest: Int)
}

/// One process alone: rank 0 of 1; every collective is the identity.
public final class SingleProcess: Communicator {
    /// The communicator.
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public var library: String { "none (a single process)" }
    public func allreduceSum(_ values: inout [Double]) {}
    public func broadcast(_ values: inout [Double], root: Int) {}
    public func barrier() {}
    public func agree(failed: Bool, within seconds: Double?) -> Agreement? { failed ? .failed(lowest: 0) : .allSucceeded }
    public func abort(code: Int32) -> Never { exit(code) }
}

/// The communicator of this process: ``SingleProcess`` unless the executable installed another
/// before anything ran (it does so once, at start-up, under `mpirun`).
public enum World {
    nonisolated(unsafe) private static var installed: any Communicator = SingleProcess()
    private static let lock = NSLock()

    /// The process-wide communicator.
    public static var communicator: any Communicator {
        lock.lock()
        defer { lock.unlock() }
        return installed
    }

    /// Installs the communicator of a data-parallel run (once, at start-up).
    public static func install(_ communicator: any Communicator) {
        lock.lock()
        installed = communicator
        lock.unlock()
    }

    /// This process's rank (0 in a single process).
    public static var rank: Int { communicator.rank }
    /// Number of processes (1 in a single process).
    public static var size: Int { communicator.size }
    /// True on the process that prints, plots, saves and journals: rank 0.
    public static var isLead: Bool { communicator.rank == 0 }
}

/// The contiguous, deterministic share of `count` items that rank `rank` of `size` takes: with
/// `q = count / size` and `r = count % size`, the first `r` ranks take `q + 1` items and the
/// others `q`, in rank order. Shares differ by at most one item, every item has exactly one
/// owner, and the split depends only on `count` and `size`.
///
/// - Parameters:
///   - count: Items to share (a negative count is taken as 0).
///   - rank: The rank, `0..<size` (any other rank gets nothing).
///   - size: Number of ranks (fewer than 1 is taken as 1).
/// - Returns: The rank's half-open range of item indices.
public func shareRange(count: Int, rank: Int, size: Int) -> Range<Int> {
    let count = max(0, count), size = max(1, size)
    guard rank >= 0, rank < size else { return 0..<0 }
    let q = count / size, r = count % size
    let start = rank * q + min(rank, r)
    return start..<(start + q + (rank < r ? 1 : 0))
}

extension World {
    /// Runs a write (a file, a figure) on rank 0 alone, the others waiting for its outcome, so
    /// that every rank goes on knowing the file is there, or throws the same failure.
    ///
    /// - Parameters:
    ///   - write: The write; it runs only on rank 0 (and in a single process).
    /// - Throws: The write's error on rank 0; ``LeadWriteFailed`` on the other ranks.
    public static func onLead(_ write: () throws -> Void) throws {
        let c = communicator
        guard c.size > 1 else { return try write() }
        var status = [0.0]
        var failure: (any Error)?
        if c.rank == 0 {
            do { try write() } catch {
                failure = error
                status[0] = 1
            }
        }
        c.broadcast(&status, root: 0)
        if let failure { throw failure }
        if status[0] != 0 { throw LeadWriteFailed() }
    }
}

/// Rank 0 could not write what every rank asked for (its own diagnostic says why).
public struct LeadWriteFailed: Error, CustomStringConvertible {
    public var description: String { "rank 0 could not write the file (its diagnostic says why)" }
}
