//! A global interpreter lock that behaves the way CPython's does, with counters.
//!
//! `gil-sim` needs a lock whose *policy* is the one Python threads live under, not just any
//! mutex: who gets it, when the holder lets go, and whether it can take it straight back decide
//! why CPU-bound Python threads do not run faster than one thread. So this is a small model of
//! `Python/ceval_gil.c`, built on `std::sync::{Mutex, Condvar}` (no unsafe code):
//!
//! - [`GilKind::New`] (CPython 3.2+): a thread that wants the lock waits on a condition
//!   variable for one switch interval; if the wait timed out and no switch happened meanwhile,
//!   it sets a drop request. The holder polls the request between steps ([`Gil::check`]), drops
//!   the lock and, with forced switching, waits until another thread has taken it.
//! - [`GilKind::Old`] (CPython 3.1 and earlier): the holder releases and at once re-acquires the
//!   lock every `check_interval` steps, with no hand-off. A woken waiter usually finds it taken
//!   again: a futile wake-up, the "GIL battle".
//! - [`GilKind::None`] (free-threaded, PEP 703): every call is a no-op.
//!
//! Every thread holds a [`Holder`] that counts what the lock did to it (hold and wait time,
//! acquisitions, drop requests, forced switches, futile wake-ups); the lock itself counts
//! hand-offs (a take by a thread other than the last holder) and how long each took from the
//! drop to the next holder owning the lock.
// CPython, the interpreter whose lock this models, is named in most docs here: a name, not code.
#![allow(clippy::doc_markdown)]

use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Which lock the threads run under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GilKind {
    /// CPython 3.2+: switch interval, drop requests, forced switching.
    New,
    /// CPython 3.1 and earlier: release and re-acquire every `--check-interval` steps.
    Old,
    /// Free-threaded (PEP 703): no global lock at all.
    None,
}

impl GilKind {
    /// The mode name of threads under this lock in reports.
    pub(crate) fn mode(self) -> &'static str {
        match self {
            GilKind::New => "gil-new",
            GilKind::Old => "gil-old",
            GilKind::None => "no-gil",
        }
    }
}

/// How the lock behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GilConfig {
    pub(crate) kind: GilKind,
    /// New GIL: how long a waiter waits before it asks the holder to drop the lock
    /// (`sys.getswitchinterval()`, 5 ms in CPython).
    pub switch_interval: Duration,
    /// Old GIL: steps between a release and re-acquire (`sys.getcheckinterval()`, 100).
    pub check_interval: u32,
}

/// CPython's default switch interval (`sys.getswitchinterval()`): 5 ms.
pub(crate) const CPYTHON_SWITCH_INTERVAL: Duration = Duration::from_millis(5);
/// CPython 2's default check interval (`sys.getcheckinterval()`): 100 steps.
pub(crate) const CPYTHON_CHECK_INTERVAL: u32 = 100;

impl GilConfig {
    /// CPython's defaults for `kind`.
    pub fn new(kind: GilKind) -> GilConfig {
        GilConfig {
            kind,
            switch_interval: CPYTHON_SWITCH_INTERVAL,
            check_interval: CPYTHON_CHECK_INTERVAL,
        }
    }
}

/// What the lock did to one thread.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ThreadStats {
    /// Time owning the lock.
    #[serde(serialize_with = "as_ms", rename = "hold_ms")]
    pub(crate) hold: Duration,
    /// Time waiting to take it.
    #[serde(serialize_with = "as_ms", rename = "wait_ms")]
    pub(crate) wait: Duration,
    /// The longest single wait.
    #[serde(serialize_with = "as_ms", rename = "max_wait_ms")]
    pub max_wait: Duration,
    /// Times it took the lock.
    pub acquisitions: u64,
    /// New GIL: drop requests it set while waiting.
    pub drop_requests: u64,
    /// New GIL: times it dropped the lock on request and waited until another thread took it.
    pub forced_switches: u64,
    /// Wake-ups that found the lock taken again.
    pub(crate) futile_wakeups: u64,
}

fn as_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(ms(*d))
}

/// A lock time in milliseconds as the JSON gives it (to the microsecond): the text quotes
/// this value, so that it rounds as the JSON does.
pub fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// One thread's handle on the lock: its identity, whether it holds the lock, and its counts.
#[derive(Debug)]
pub struct Holder {
    id: usize,
    holding: bool,
    held_since: Instant,
    steps: u32,
    pub stats: ThreadStats,
}

impl Holder {
    pub fn new(id: usize) -> Holder {
        Holder {
            id,
            holding: false,
            held_since: Instant::now(),
            steps: 0,
            stats: ThreadStats::default(),
        }
    }
}

/// The state behind the internal mutex (CPython's `gil->mutex`).
#[derive(Debug)]
struct State {
    locked: bool,
    /// Threads waiting to take the lock.
    waiting: usize,
    last_holder: Option<usize>,
    /// Takes of the lock so far (CPython's `switch_number`).
    switch_number: u64,
    /// Takes by a thread other than the last holder.
    handoffs: u64,
    /// When the lock was last dropped while a thread was waiting, for the hand-off latency.
    dropped_at: Option<Instant>,
    handoff_latency: Duration,
    handoff_latency_count: u64,
}

/// The global interpreter lock. See the module documentation for its three behaviours.
#[derive(Debug)]
pub struct Gil {
    config: GilConfig,
    state: Mutex<State>,
    /// Signalled when the lock is dropped (CPython's `gil->cond`).
    cond: Condvar,
    /// Signalled when a thread takes the lock (CPython's `gil->switch_cond`).
    switch_cond: Condvar,
    /// The drop request (CPython's `gil_drop_request`): set and reset under `state`, polled
    /// without it between steps, as the eval breaker does.
    drop_request: AtomicBool,
}

/// What the lock did as a whole.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LockStats {
    /// Takes by a thread other than the last holder.
    pub handoffs: u64,
    /// Mean time from a drop to the next holder owning the lock, over hand-offs that followed
    /// a drop.
    pub(crate) handoff_latency: Option<Duration>,
}

impl Gil {
    pub fn new(config: GilConfig) -> Gil {
        Gil {
            config,
            state: Mutex::new(State {
                locked: false,
                waiting: 0,
                last_holder: None,
                switch_number: 0,
                handoffs: 0,
                dropped_at: None,
                handoff_latency: Duration::ZERO,
                handoff_latency_count: 0,
            }),
            cond: Condvar::new(),
            switch_cond: Condvar::new(),
            drop_request: AtomicBool::new(false),
        }
    }

    /// The internal mutex; a panic while holding it cannot leave the state half-changed, so a
    /// poisoned lock is still usable.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes the lock, waiting as the lock's kind says (`take_gil`).
    pub fn acquire(&self, me: &mut Holder) {
        debug_assert!(!me.holding, "thread {} takes the lock twice", me.id);
        if self.config.kind == GilKind::None {
            return;
        }
        let start = Instant::now();
        let state = self.lock();
        self.take(me, state, start);
    }

    /// The body of `take_gil`, entered with the internal mutex held; `since` is when this
    /// thread stopped holding the lock, for its wait time.
    fn take(&self, me: &mut Holder, mut state: MutexGuard<'_, State>, since: Instant) {
        let waited_at_all = state.locked;
        if waited_at_all {
            state.waiting += 1;
        }
        while state.locked {
            if self.config.kind == GilKind::New {
                let saved = state.switch_number;
                let (guard, wait) = self
                    .cond
                    .wait_timeout(state, self.config.switch_interval)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                state = guard;
                if wait.timed_out() && state.locked && state.switch_number == saved {
                    self.drop_request.store(true, Ordering::Release);
                    me.stats.drop_requests += 1;
                } else if !wait.timed_out() && state.locked {
                    me.stats.futile_wakeups += 1;
                }
            } else {
                state = self
                    .cond
                    .wait(state)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if state.locked {
                    me.stats.futile_wakeups += 1;
                }
            }
        }
        if waited_at_all {
            state.waiting -= 1;
        }
        state.locked = true;
        let now = Instant::now();
        if state.last_holder != Some(me.id) {
            if state.last_holder.is_some() {
                state.handoffs += 1;
            }
            if let Some(dropped) = state.dropped_at {
                state.handoff_latency += now.saturating_duration_since(dropped);
                state.handoff_latency_count += 1;
            }
        }
        state.dropped_at = None;
        state.last_holder = Some(me.id);
        state.switch_number += 1;
        // Every thread waiting on either condition variable counts in `waiting`, so with none
        // there is nobody to wake (and std's notify would still cost a system call).
        if state.waiting > 0 {
            self.switch_cond.notify_all();
        }
        if self.drop_request.load(Ordering::Relaxed) {
            self.drop_request.store(false, Ordering::Relaxed);
        }
        drop(state);
        let waited = now.saturating_duration_since(since);
        me.stats.wait += waited;
        me.stats.max_wait = me.stats.max_wait.max(waited);
        me.stats.acquisitions += 1;
        me.holding = true;
        me.held_since = now;
        me.steps = 0;
    }

    /// Drops the lock (`drop_gil`) and returns the internal mutex, still held, with the time of
    /// the drop. With `forced` (the new GIL's forced switching), a thread that drops the lock
    /// because another asked for it first waits until some other thread has taken it, so that
    /// it cannot take it straight back; meanwhile it counts as waiting for the lock.
    fn drop_lock(&self, me: &mut Holder, forced: bool) -> Option<(MutexGuard<'_, State>, Instant)> {
        if self.config.kind == GilKind::None || !me.holding {
            return None;
        }
        let mut state = self.lock();
        let now = Instant::now();
        me.stats.hold += now.saturating_duration_since(me.held_since);
        me.holding = false;
        state.locked = false;
        state.dropped_at = (state.waiting > 0).then_some(now);
        if state.waiting > 0 {
            self.cond.notify_one();
        }
        if forced
            && self.config.kind == GilKind::New
            && self.drop_request.load(Ordering::Relaxed)
            && state.last_holder == Some(me.id)
        {
            self.drop_request.store(false, Ordering::Relaxed);
            me.stats.forced_switches += 1;
            state.waiting += 1;
            while state.last_holder == Some(me.id) {
                state = self
                    .switch_cond
                    .wait(state)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            state.waiting -= 1;
        }
        Some((state, now))
    }

    /// Releases the lock around a blocking call (`Py_BEGIN_ALLOW_THREADS`); take it back with
    /// [`Gil::acquire`] afterwards.
    pub(crate) fn release(&self, me: &mut Holder) {
        self.drop_lock(me, true);
    }

    /// Releases the lock for good, when the thread ends: nobody is left to hand over to.
    pub fn release_final(&self, me: &mut Holder) {
        self.drop_lock(me, false);
    }

    /// The check between two steps (the eval breaker). New GIL: drops the lock if another
    /// thread asked and takes it back after someone else had it. Old GIL: every
    /// `check_interval` steps releases and at once re-acquires it, letting go of the internal
    /// mutex in between so that a woken waiter may win the race. Returns whether the lock was
    /// let go, so that the caller restarts its clock.
    pub fn check(&self, me: &mut Holder) -> bool {
        match self.config.kind {
            GilKind::None => false,
            GilKind::New => {
                if !self.drop_request.load(Ordering::Acquire) {
                    return false;
                }
                if let Some((state, since)) = self.drop_lock(me, true) {
                    self.take(me, state, since);
                }
                true
            }
            GilKind::Old => {
                me.steps += 1;
                if me.steps < self.config.check_interval {
                    return false;
                }
                if let Some((state, since)) = self.drop_lock(me, false) {
                    drop(state);
                    let state = self.lock();
                    self.take(me, state, since);
                }
                true
            }
        }
    }

    /// Drops the lock as if asked to and takes it back once another thread has had it: one
    /// forced hand-off each way. Only for two or more threads that all keep calling it (the
    /// hand-off bench); a lone caller would wait forever.
    pub fn force_switch(&self, me: &mut Holder) {
        if self.config.kind != GilKind::New {
            return;
        }
        {
            let _state = self.lock();
            self.drop_request.store(true, Ordering::Relaxed);
        }
        if let Some((state, since)) = self.drop_lock(me, true) {
            self.take(me, state, since);
        }
    }

    /// Hand-offs so far and their mean latency.
    pub fn stats(&self) -> LockStats {
        let state = self.lock();
        LockStats {
            handoffs: state.handoffs,
            handoff_latency: (state.handoff_latency_count > 0)
                .then(|| state.handoff_latency / state.handoff_latency_count as u32),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// One thread's hold intervals and counts.
    type Holds = (Vec<(Instant, Instant)>, ThreadStats);

    /// Threads that each hold the lock for `steps` busy steps of about `step`, checking between
    /// steps; returns each thread's hold intervals and stats, and the lock's stats.
    fn contend(
        config: GilConfig,
        threads: usize,
        steps: usize,
        step: Duration,
    ) -> (Vec<Holds>, LockStats, Duration) {
        let gil = Gil::new(config);
        let start = Instant::now();
        let out = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|id| {
                    let gil = &gil;
                    scope.spawn(move || {
                        let mut me = Holder::new(id);
                        let mut holds = Vec::new();
                        gil.acquire(&mut me);
                        let mut since = Instant::now();
                        for _ in 0..steps {
                            let end = Instant::now() + step;
                            while Instant::now() < end {
                                std::hint::spin_loop();
                            }
                            let before = Instant::now();
                            if gil.check(&mut me) {
                                holds.push((since, before));
                                since = Instant::now();
                            }
                        }
                        holds.push((since, Instant::now()));
                        gil.release_final(&mut me);
                        (holds, me.stats)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<_>>()
        });
        (out, gil.stats(), start.elapsed())
    }

    fn assert_exclusive(per_thread: &[Holds]) {
        let mut all: Vec<(Instant, Instant, usize)> = per_thread
            .iter()
            .enumerate()
            .flat_map(|(t, (holds, _))| holds.iter().map(move |&(a, b)| (a, b, t)))
            .collect();
        all.sort_by_key(|h| h.0);
        for pair in all.windows(2) {
            assert!(pair[0].1 <= pair[1].0, "holds overlap: {pair:?}");
        }
    }

    #[test]
    fn the_new_gil_excludes_and_hands_over() {
        let mut config = GilConfig::new(GilKind::New);
        config.switch_interval = Duration::from_millis(1);
        let (threads, lock, _) = contend(config, 3, 2000, Duration::from_micros(10));
        assert_exclusive(&threads);
        assert!(lock.handoffs > 0);
        let requests: u64 = threads.iter().map(|t| t.1.drop_requests).sum();
        let forced: u64 = threads.iter().map(|t| t.1.forced_switches).sum();
        assert!(requests > 0 && forced > 0 && forced <= requests);
    }

    #[test]
    fn the_new_gil_starves_nobody_and_its_counts_add_up() {
        // CPython's 5 ms interval and 2 x 100 ms of work: each thread must get the lock back
        // at least once. How long a thread waits at most and how often the lock changes hands
        // are timings, measured and printed by `cargo bench --bench gil` (fairness).
        let config = GilConfig::new(GilKind::New);
        let (threads, lock, _) = contend(config, 2, 5_000, Duration::from_micros(20));
        assert_exclusive(&threads);
        for (t, (holds, stats)) in threads.iter().enumerate() {
            assert!(stats.acquisitions > 1, "thread {t} never got the lock back");
            // Every acquisition after the first ends a hold interval at a check that gave
            // the lock up (a check may also find the request already met: no acquisition).
            assert!(holds.len() as u64 >= stats.acquisitions, "thread {t}");
            assert!(stats.max_wait <= stats.wait, "thread {t}: {stats:?}");
        }
        // A waiter asks for the lock, the holder is forced off it: at most once per request.
        let requests: u64 = threads.iter().map(|t| t.1.drop_requests).sum();
        let forced: u64 = threads.iter().map(|t| t.1.forced_switches).sum();
        assert!(
            forced <= requests,
            "{forced} forced against {requests} requests"
        );
        let acquisitions: u64 = threads.iter().map(|t| t.1.acquisitions).sum();
        assert!(lock.handoffs > 0);
        // Every hand-off is an acquisition by a thread that did not hold the lock last; the
        // first acquisition of all is none.
        assert!(
            lock.handoffs < acquisitions,
            "{lock:?} against {acquisitions}"
        );
    }

    #[test]
    fn the_old_gil_excludes_and_never_forces() {
        let mut config = GilConfig::new(GilKind::Old);
        config.check_interval = 5;
        let (threads, _, _) = contend(config, 2, 1000, Duration::from_micros(10));
        assert_exclusive(&threads);
        for (_, stats) in &threads {
            assert_eq!(stats.forced_switches, 0);
            assert_eq!(stats.drop_requests, 0);
            assert!(stats.acquisitions >= 1000 / 5);
        }
    }

    #[test]
    fn no_gil_is_free_for_all() {
        let gil = Gil::new(GilConfig::new(GilKind::None));
        let inside = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for id in 0..2 {
                let (gil, inside, most) = (&gil, &inside, &most);
                scope.spawn(move || {
                    let mut me = Holder::new(id);
                    gil.acquire(&mut me);
                    let n = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(n, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(50));
                    inside.fetch_sub(1, Ordering::SeqCst);
                    gil.release_final(&mut me);
                    assert_eq!(me.stats.acquisitions, 0);
                });
            }
        });
        assert_eq!(
            most.load(Ordering::SeqCst),
            2,
            "both threads were inside at once"
        );
        assert_eq!(gil.stats().handoffs, 0);
    }

    #[test]
    fn forced_switches_ping_pong() {
        let gil = Gil::new(GilConfig::new(GilKind::New));
        std::thread::scope(|scope| {
            for id in 0..2 {
                let gil = &gil;
                scope.spawn(move || {
                    let mut me = Holder::new(id);
                    gil.acquire(&mut me);
                    for _ in 0..100 {
                        gil.force_switch(&mut me);
                    }
                    gil.release_final(&mut me);
                });
            }
        });
        let stats = gil.stats();
        assert!(stats.handoffs >= 199, "{stats:?}");
        assert!(stats.handoff_latency.is_some());
    }

    #[test]
    fn stats_serialise_in_ms() {
        let stats = ThreadStats {
            hold: Duration::from_micros(1500),
            ..ThreadStats::default()
        };
        let json = serde_json::to_value(&stats).unwrap();
        assert_eq!(json["hold_ms"], 1.5);
        assert_eq!(json["acquisitions"], 0);
    }
}
