import Foundation
import RitzTensor

// Before anything else runs: OpenBLAS's best kernel for this CPU (this may restart the
// process once, with `OPENBLAS_CORETYPE` set), then the allocator settings for large tensors.
BLASKernel.selectBest()
MemoryTuning.apply()
// The session's memory limit is read once, for every front end (RITZ_MEMORY_LIMIT or half of
// physical memory); a value that is not understood is said once.
if let problem = AllocationLimit.environmentProblem { FileHandle.standardError.write(Data("ritz: \(problem)\n".utf8)) }

RitzCommand.start(Array(CommandLine.arguments.dropFirst()))
