//! Running deep recursion (parsing, loading an artifact) on a thread with a large stack.

/// Stack size for parsing nested input: pest descends several frames per nesting level, and
/// debug builds use large frames. Reserved (not committed) memory.
const PARSE_STACK: usize = 64 * 1024 * 1024;

/// Runs `f` on a thread with a large stack when the input nests deeply, so that the caller's
/// stack size (a 2 MiB worker thread) does not matter. `None` if that thread could not run.
pub(crate) fn with_stack<T: Send>(depth: usize, f: impl FnOnce() -> T + Send) -> Option<T> {
    if depth <= 8 {
        return Some(f());
    }
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name("polc-parse".into())
            .stack_size(PARSE_STACK)
            .spawn_scoped(s, f);
        handle.ok()?.join().ok()
    })
}
