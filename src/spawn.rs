//! Starting threads, which can fail.
//!
//! A thread needs a stack and a kernel task, and the OS may refuse either: `ulimit -v` leaves
//! no address space for another stack, `ulimit -u` or a cgroup's `pids.max` no task. The
//! standard library's `std::thread::spawn` and `Scope::spawn` panic then. Every thread conpar
//! starts goes through this module instead, so a refusal is an ordinary error that names the
//! thread and the OS's reason (`main` prints it and exits 1), and no thread already started is
//! left behind: [`on_threads`] releases them from any wait on threads that will never exist
//! (a [`Gate`] they meet at) and joins them before it returns the error.
//!
//! Under a memory limit (`ulimit -v`, `ulimit -d`) a refused thread is not the only failure:
//! once thread stacks fill the address space, any allocation of any thread fails, and Rust
//! aborts on that; the standard library even panics inside a new thread, before its code
//! runs, when it cannot map the thread's signal stack. So where such a limit is set, a thread
//! is started only while the room left under it holds the thread's stack and
//! [`MEMORY_RESERVE`] besides; otherwise it is refused like any thread the OS refuses. Without
//! a limit (the usual case) this costs nothing.

use anyhow::anyhow;
use std::sync::{Condvar, Mutex, PoisonError};
use std::thread::{Builder, JoinHandle, Scope, ScopedJoinHandle};
use std::time::Instant;

/// Room a thread must leave under a memory limit for everything else: the heap, the signal
/// stacks, the report.
pub(crate) const MEMORY_RESERVE: u64 = 32 * 1024 * 1024;

/// The stack Rust gives a thread unless `RUST_MIN_STACK` says otherwise.
const DEFAULT_STACK: u64 = 2 * 1024 * 1024;

/// Fails where a memory limit leaves no room for one more thread (see the module doc).
fn check_room() -> std::io::Result<()> {
    check_room_for(1)
}

/// Fails where a memory limit leaves no room for `threads` more threads (see the module doc):
/// for thread pools that start their threads themselves.
pub(crate) fn check_room_for(threads: usize) -> std::io::Result<()> {
    let Some(room) = crate::sys::memory_room() else {
        return Ok(());
    };
    let stack = std::env::var("RUST_MIN_STACK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_STACK);
    let need = stack
        .saturating_mul(threads as u64)
        .saturating_add(MEMORY_RESERVE);
    if room < need {
        return Err(std::io::Error::new(
            std::io::ErrorKind::OutOfMemory,
            format!(
                "the memory limit leaves {} MiB, less than {} ({} MiB) and {} MiB to spare",
                room >> 20,
                if threads == 1 {
                    "a thread's stack".to_string()
                } else {
                    format!("the stacks of {threads} threads")
                },
                stack.saturating_mul(threads as u64) >> 20,
                MEMORY_RESERVE >> 20
            ),
        ));
    }
    Ok(())
}

/// The error for a thread the OS would not create: `what` it was, the OS's reason, and where
/// the reason is a limit, which limits those are.
fn refused(what: &str, error: &std::io::Error) -> anyhow::Error {
    let hint = match error.kind() {
        std::io::ErrorKind::WouldBlock => {
            " (a limit on threads or memory was reached: see ulimit -u, ulimit -v, cgroup pids.max)"
        }
        std::io::ErrorKind::OutOfMemory => " (see ulimit -v, ulimit -d)",
        _ => "",
    };
    anyhow!("cannot create {what}: {error}{hint}")
}

/// Starts `f` on a thread of its own that nobody joins (it ends with the process at the
/// latest); `what` names it in the error.
pub(crate) fn thread<T, F>(what: &str, f: F) -> anyhow::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    check_room()
        .and_then(|()| Builder::new().spawn(f))
        .map_err(|e| refused(what, &e))
}

/// Starts `f` on a thread of `scope`; `what` names it in the error.
pub(crate) fn scoped<'scope, 'env, T, F>(
    scope: &'scope Scope<'scope, 'env>,
    what: &str,
    f: F,
) -> anyhow::Result<ScopedJoinHandle<'scope, T>>
where
    F: FnOnce() -> T + Send + 'scope,
    T: Send + 'scope,
{
    check_room()
        .and_then(|()| Builder::new().spawn_scoped(scope, f))
        .map_err(|e| refused(what, &e))
}

/// Waits for a scoped thread; a panic in it (its message already printed by the panic hook)
/// becomes an error rather than a second panic here.
pub(crate) fn join<T>(handle: ScopedJoinHandle<'_, T>, what: &str) -> anyhow::Result<T> {
    handle.join().map_err(|_| anyhow!("{what} panicked"))
}

/// Runs `body(i)` for every `i` in `0..count`, each on a thread of its own, and returns their
/// results in order. `what` is the plural name of the threads ("race threads").
///
/// Where the OS refuses a thread, no further one is started, `release` is called so that the
/// threads already running stop waiting for the others (cancel the [`Gate`] they meet at), and
/// those threads are joined before the error comes back. Threads that wait for nobody need no
/// release: they just finish their work.
pub(crate) fn on_threads<T, F>(
    what: &str,
    count: usize,
    release: impl FnOnce(),
    body: F,
) -> anyhow::Result<Vec<T>>
where
    T: Send,
    F: Fn(usize) -> T + Sync,
{
    std::thread::scope(|scope| {
        let body = &body;
        let mut handles = Vec::with_capacity(count);
        for i in 0..count {
            match check_room().and_then(|()| Builder::new().spawn_scoped(scope, move || body(i))) {
                Ok(handle) => handles.push(handle),
                Err(error) => {
                    // Memory may be what ran out: give back the threads' stacks before the
                    // message is put together.
                    release();
                    for handle in handles {
                        let _ = handle.join();
                    }
                    let name = format!("thread {} of the {count} {what}", i + 1);
                    return Err(refused(&name, &error));
                }
            }
        }
        handles.into_iter().map(|h| join(h, what)).collect()
    })
}

/// Runs `body` on one thread of its own (one named `what`) and returns what it returned.
pub(crate) fn on_thread<T: Send>(what: &str, body: impl FnOnce() -> T + Send) -> anyhow::Result<T> {
    std::thread::scope(|scope| join(scoped(scope, what, body)?, what))
}

/// A one-use meeting point for `parties` threads that can be called off: like
/// `std::sync::Barrier`, except that [`Gate::cancel`] releases everyone waiting (and anyone
/// who comes later) when some party will never come, for example because its thread could not
/// be created, and that nobody waits past the deadline it brings: a party that another
/// program keeps off its CPU may come late, and the others go on without it.
#[derive(Debug)]
pub(crate) struct Gate {
    parties: usize,
    /// Arrivals so far, and whether the meeting was called off.
    state: Mutex<(usize, bool)>,
    changed: Condvar,
}

/// How a wait at a [`Gate`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Meeting {
    /// Every party came.
    All,
    /// The meeting was called off: give up at once.
    CalledOff,
    /// The deadline passed before every party came: go on without them.
    Late,
}

impl Gate {
    pub(crate) fn new(parties: usize) -> Gate {
        Gate {
            parties,
            state: Mutex::new((0, false)),
            changed: Condvar::new(),
        }
    }

    /// Checks in and sleeps until every party has checked in, the meeting is called off, or
    /// `by` passes, whichever comes first.
    pub(crate) fn wait(&self, by: Instant) -> Meeting {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.0 += 1;
        if state.0 >= self.parties {
            self.changed.notify_all();
        }
        loop {
            if state.1 {
                return Meeting::CalledOff;
            }
            if state.0 >= self.parties {
                return Meeting::All;
            }
            let left = by.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Meeting::Late;
            }
            state = self
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Calls the meeting off: every party waiting, and every later one, gets
    /// [`Meeting::CalledOff`].
    pub(crate) fn cancel(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.1 = true;
        self.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn threads_run_in_order_and_panics_are_errors() {
        let squares = on_threads("test threads", 5, || {}, |i| i * i).unwrap();
        assert_eq!(squares, vec![0, 1, 4, 9, 16]);
        let error = on_threads("test threads", 2, || {}, |i| assert!(i == 0)).unwrap_err();
        assert_eq!(error.to_string(), "test threads panicked");
        assert_eq!(on_thread("a test thread", || 7).unwrap(), 7);
    }

    /// Far beyond any wait in these tests: a deadline that never decides.
    fn never() -> Instant {
        Instant::now() + std::time::Duration::from_secs(3600)
    }

    #[test]
    fn a_gate_opens_when_all_are_there() {
        let gate = Gate::new(3);
        let passed = AtomicUsize::new(0);
        on_threads(
            "gate threads",
            3,
            || {},
            |_| {
                if gate.wait(never()) == Meeting::All {
                    passed.fetch_add(1, Ordering::SeqCst);
                }
            },
        )
        .unwrap();
        assert_eq!(passed.into_inner(), 3);
    }

    #[test]
    fn nobody_waits_at_a_gate_past_its_deadline() {
        // Two of three parties come, the third never does, and nobody calls the meeting off.
        let gate = Gate::new(3);
        let by = Instant::now() + std::time::Duration::from_millis(20);
        let met = on_threads("gate threads", 2, || {}, |_| gate.wait(by)).unwrap();
        assert_eq!(met, vec![Meeting::Late, Meeting::Late]);
        assert!(Instant::now() >= by);
    }

    #[test]
    fn a_cancelled_gate_releases_those_waiting_and_those_to_come() {
        // Two of three parties come; the third never will. Without the cancel this would hang.
        let gate = Gate::new(3);
        let arrived = AtomicUsize::new(0);
        let released = std::thread::scope(|s| {
            let waiters: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        arrived.fetch_add(1, Ordering::SeqCst);
                        gate.wait(never())
                    })
                })
                .collect();
            while arrived.load(Ordering::SeqCst) < 2 {
                std::thread::yield_now();
            }
            gate.cancel();
            waiters
                .into_iter()
                .map(|w| w.join().unwrap())
                .collect::<Vec<Meeting>>()
        });
        assert_eq!(released, vec![Meeting::CalledOff, Meeting::CalledOff]);
        assert_eq!(
            gate.wait(never()),
            Meeting::CalledOff,
            "a party coming after the cancel gives up too"
        );
    }

    #[test]
    fn a_refusal_names_the_thread_and_the_limit() {
        let error = std::io::Error::from(std::io::ErrorKind::WouldBlock);
        let text = refused("thread 3 of the 8 race threads", &error).to_string();
        assert!(text.starts_with("cannot create thread 3 of the 8 race threads: "));
        assert!(text.contains("ulimit"), "{text}");
    }
}
