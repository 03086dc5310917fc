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
    /// One arena for every thread. User code runs on the session's evaluation thread, not the
    /// main one, and glibc's other arenas cannot hold a block over 64 MiB in their heaps: they map
    /// and unmap each such block, page faults and all, whatever `M_MMAP_MAX` says. With one arena
    /// a large tensor's memory is reused warm on every thread. The price falls on the small
    /// allocations of both halves of a batch recorded in parallel, which share the arena's lock
    /// and its heap: against two arenas, the digits MLP's H v with its forward pass takes 4–7%
    /// longer, a GD step no longer. `mallinfo2`, which `AllocationLimit.checkUntracked` reads,
    /// sums every arena either way.
    public static func apply() {
        _ = mallopt(M_ARENA_MAX, 1)
        _ = mallopt(M_MMAP_MAX, 0)
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
        _ = mallopt(M_TOP_PAD, 64 << 20)
    }
}
