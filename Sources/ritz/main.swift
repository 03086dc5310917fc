import RitzTensor

// Before anything else runs: OpenBLAS's best kernel for this CPU (this may restart the
// process once, with `OPENBLAS_CORETYPE` set), then the allocator settings for large tensors.
BLASKernel.selectBest()
MemoryTuning.apply()

RitzCommand.start(Array(CommandLine.arguments.dropFirst()))
