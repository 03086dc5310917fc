import Foundation
import RitzMPI
import RitzTensor

/// The executable's side of a data-parallel run (`mpirun -n N ritz run FILE`): starting Open MPI,
/// keeping standard output to rank 0, and ending every rank when a cell fails on any.
enum DataParallel {
    /// How long a rank whose cell failed waits for the others to reach the end of the cell
    /// before it ends them all: a rank that did not fail may be waiting in a collective that
    /// the failed rank will never join.
    static let agreementSeconds = 3.0

    /// Starts MPI when launched by mpirun; on ranks other than 0, standard output goes to
    /// /dev/null (standard error stays, for the diagnostic of a failure on that rank).
    /// A launch that asks for MPI but cannot have it ends the process with the reason.
    static func start() {
        do {
            guard let mpi = try OpenMPI.startIfLaunched() else { return }
            if mpi.rank != 0 {
                let null = open("/dev/null", O_WRONLY)
                if null >= 0 {
                    dup2(null, STDOUT_FILENO)
                    close(null)
                }
            }
        } catch {
            FileHandle.standardError.write(Data("ritz: \(error)\n".utf8))
            exit(1)
        }
    }

    /// What a rank of a data-parallel run does after a cell (in one process: nothing more than
    /// saying whether it failed; its diagnostic was printed as it came).
    ///
    /// * Every rank reached the end of the cell: the lowest failing rank prints its diagnostic
    ///   (once) and every rank ends the run with the same status.
    /// * A failed rank does not hear from the others within ``agreementSeconds``: some rank is
    ///   stuck in a collective; it prints its diagnostic (marked with its rank) and aborts the
    ///   whole run through MPI (`MPI_Abort`, exit 1 on every rank).
    ///
    /// - Parameters:
    ///   - failed: Whether this rank's cell failed.
    ///   - diagnostic: This rank's diagnostic text of the failure.
    ///   - printError: Writes to standard error.
    /// - Returns: Whether the run stops here (some rank failed).
    static func afterCell(failed: Bool, diagnostic: String, printError: (String) -> Void) -> Bool {
        let world = World.communicator
        guard world.size > 1 else { return failed }
        // A rank that did not fail waits as long as the others take (a failed one ends it).
        switch world.agree(failed: failed, within: failed ? agreementSeconds : nil) {
        case .allSucceeded?:
            return false
        case .failed(let lowest)?:
            if failed, lowest == world.rank { printError(lowest == 0 ? diagnostic : "rank \(world.rank): \(diagnostic)") }
            return true
        case nil:
            printError("rank \(world.rank): \(diagnostic)")
            printError("ritz: rank \(world.rank) failed while other ranks were still inside the cell; ending every rank\n")
            world.abort(code: 1)
        }
    }
}
