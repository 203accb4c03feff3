import CSocketShim

/// Hands memory that is free but kept by the allocator back to the system. After a reload the old snapshot's
/// memory is free, but glibc keeps it in the arenas of the threads that allocated it (the loader's worker threads
/// among them), so resident memory would stay at the peak of the reload.
public func returnFreedMemory() {
    csock_return_freed_memory()
}
