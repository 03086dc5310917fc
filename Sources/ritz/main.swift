import Foundation
import RitzMPI
import RitzTensor

// Before anything else runs: OpenBLAS's best kernel for this CPU (this may restart the
// process once, with `OPENBLAS_CORETYPE` set), then the allocator settings for large tensors.
BLASKernel.selectBest()
MemoryTuning.apply()
// Under mpirun (and only there) Open MPI is loaded and started; ranks other than 0 print
// nothing on standard output (see DataParallel).
DataParallel.start()
// The session's memory limit is read once, for every front end (RITZ_MEMORY_LIMIT or half of
// physical memory); a value that is not understood is said once.
if let problem = AllocationLimit.environmentProblem { FileHandle.standardError.write(Data("ritz: \(problem)\n".utf8)) }

RitzCommand.start(Array(CommandLine.arguments.dropFirst()))
