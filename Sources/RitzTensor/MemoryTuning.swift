import CSystem

/// Process-wide allocator settings for large tensors.
public enum MemoryTuning {
    /// Keeps large blocks in glibc's heap instead of mapping and unmapping them per allocation.
    ///
    /// By default glibc serves blocks over 128 KiB–32 MiB with `mmap` and returns them with
    /// `munmap`, so every large temporary tensor page-faults its memory in again (about 4 GB/s
    /// here, a quarter of copy bandwidth). With mapping off and trimming raised, freed blocks are
    /// reused warm. Call once at startup, before any tensor exists.
    ///
    /// One arena for every thread: the heap's in-use total (`mallinfo2`, which reads the main
    /// arena only) is then the whole process's, which `AllocationLimit.checkUntracked` relies on.
    public static func apply() {
        _ = mallopt(M_ARENA_MAX, 1)
        _ = mallopt(M_MMAP_MAX, 0)
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
        _ = mallopt(M_TOP_PAD, 64 << 20)
    }
}
