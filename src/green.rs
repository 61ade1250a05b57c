//! A tiny cooperative scheduler for green threads (async tasks), small enough to read in one go.
//!
//! # How it works
//!
//! A green thread here is a Rust `Future`: a stackless coroutine that the compiler turns into
//! a state machine. It runs only when the scheduler *polls* it, and it gives the CPU back only
//! where it says so, at an `.await` that returns `Pending`. The scheduler is one OS thread
//! with three parts:
//!
//! - a **run queue** of task ids that are ready to make progress, served first come, first
//!   served (round robin);
//! - **wakers**: a task that cannot go on hands its waker to whatever it waits for; calling
//!   `wake` puts the task's id back on the run queue. [`yield_now`] only steps aside: the task
//!   goes to the back of the queue at once and every other ready task runs first. It takes a
//!   shortcut past its waker (a thread-local flag the scheduler reads after the poll), because
//!   a waker must be callable from any thread and so needs a lock, and a yield is the hot path;
//! - a **timer**: [`Handle::sleep`] files the waker under a deadline in a min-heap. When the run
//!   queue is empty the scheduler's thread sleeps until the earliest deadline, then wakes every
//!   task whose deadline has passed. Sleeping tasks cost nothing while others compute.
//!
//! # How it differs from the OS's scheduler
//!
//! The OS scheduler is *preemptive*: a timer interrupt can stop a thread anywhere, save its
//! registers and its own stack, and run another thread; each switch goes through the kernel.
//! Here a switch happens only at an `.await` the task chose, costs a function return and a
//! queue operation (no kernel, no saved stack: a task's state is its future, often a few
//! hundred bytes against a thread's megabytes of reserved stack), and a task that never yields
//! keeps the CPU for as long as it likes: cooperative scheduling trusts every task.

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

type Task<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Ids woken through their wakers. Wakers must be `Send + Sync`, so this queue sits behind a
/// mutex; the scheduler moves them to its own run queue, checking the flag before the lock. A
/// wake from another thread also unparks the scheduler's thread if it is idle.
#[derive(Default)]
struct Woken {
    any: AtomicBool,
    ids: Mutex<Vec<usize>>,
    scheduler: Mutex<Option<std::thread::Thread>>,
}

struct TaskWaker {
    id: usize,
    woken: Arc<Woken>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.ids.lock().expect("woken ids").push(self.id);
        self.woken.any.store(true, Ordering::Release);
        if let Some(thread) = self
            .woken
            .scheduler
            .lock()
            .expect("scheduler thread")
            .as_ref()
        {
            thread.unpark();
        }
    }
}

thread_local! {
    /// Set by [`yield_now`] for the scheduler of this thread: "requeue me".
    static YIELDED: Cell<bool> = const { Cell::new(false) };
}

/// Sleeping tasks: (deadline, order of filing) -> waker, earliest first.
#[derive(Default)]
struct Timers {
    heap: RefCell<BinaryHeap<Reverse<(Instant, u64, usize)>>>,
    wakers: RefCell<Vec<Option<Waker>>>,
    /// Slots of `wakers` whose timers fired, to reuse.
    free: RefCell<Vec<usize>>,
    filed: Cell<u64>,
}

/// What the scheduler did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct SchedulerStats {
    /// Polls of a task.
    pub(crate) polls: u64,
    /// Polls of a different task than the one polled just before.
    pub(crate) switches: u64,
    /// Times the scheduler's thread slept because every task was waiting on the timer.
    pub(crate) idle_sleeps: u64,
}

/// Lets tasks use the scheduler's timer.
#[derive(Clone)]
pub(crate) struct Handle {
    timers: Rc<Timers>,
}

impl Handle {
    /// A future that completes once `duration` has passed, without blocking the thread.
    pub(crate) fn sleep(&self, duration: Duration) -> Sleep {
        Sleep {
            deadline: Instant::now() + duration,
            timers: self.timers.clone(),
            filed: false,
        }
    }
}

/// The future of [`Handle::sleep`].
pub(crate) struct Sleep {
    deadline: Instant,
    timers: Rc<Timers>,
    filed: bool,
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        if !self.filed {
            let timers = &self.timers;
            let seq = timers.filed.get();
            timers.filed.set(seq + 1);
            let mut wakers = timers.wakers.borrow_mut();
            let slot = if let Some(slot) = timers.free.borrow_mut().pop() {
                wakers[slot] = Some(cx.waker().clone());
                slot
            } else {
                wakers.push(Some(cx.waker().clone()));
                wakers.len() - 1
            };
            timers
                .heap
                .borrow_mut()
                .push(Reverse((self.deadline, seq, slot)));
            drop(wakers);
            self.filed = true;
        }
        Poll::Pending
    }
}

/// Gives the CPU to every other ready task, then continues.
pub(crate) fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`].
pub(crate) struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        YIELDED.with(|y| y.set(true));
        Poll::Pending
    }
}

/// A single-threaded run queue of tasks producing `T`.
pub(crate) struct Scheduler<'a, T> {
    tasks: Vec<Option<Task<'a, T>>>,
    /// One waker per task, and the handle behind it (to see whether anyone else holds it).
    wakers: Vec<Waker>,
    handles: Vec<Arc<TaskWaker>>,
    results: Vec<Option<T>>,
    /// The run queue: ids of tasks ready to run, in order.
    queue: VecDeque<usize>,
    woken: Arc<Woken>,
    timers: Rc<Timers>,
}

impl<T> Default for Scheduler<'_, T> {
    fn default() -> Self {
        Scheduler {
            tasks: Vec::new(),
            wakers: Vec::new(),
            handles: Vec::new(),
            results: Vec::new(),
            queue: VecDeque::new(),
            woken: Arc::default(),
            timers: Rc::default(),
        }
    }
}

impl<'a, T> Scheduler<'a, T> {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The handle tasks use to sleep.
    pub(crate) fn handle(&self) -> Handle {
        Handle {
            timers: self.timers.clone(),
        }
    }

    /// Adds a task at the back of the run queue and returns its id; returns the bytes its
    /// state machine occupies (the whole "stack" of this green thread) too.
    pub(crate) fn spawn(&mut self, task: impl Future<Output = T> + 'a) -> (usize, usize) {
        let bytes = std::mem::size_of_val(&task);
        let id = self.tasks.len();
        self.tasks.push(Some(Box::pin(task)));
        self.results.push(None);
        let handle = Arc::new(TaskWaker {
            id,
            woken: self.woken.clone(),
        });
        self.wakers.push(Waker::from(handle.clone()));
        self.handles.push(handle);
        self.queue.push_back(id);
        (id, bytes)
    }

    /// Runs every task to completion; returns their results in spawn order.
    pub(crate) fn run(mut self) -> (Vec<T>, SchedulerStats) {
        let mut stats = SchedulerStats::default();
        let mut last = usize::MAX;
        let mut pending = self.tasks.len();
        *self.woken.scheduler.lock().expect("scheduler thread") = Some(std::thread::current());
        while pending > 0 {
            self.fire_timers();
            self.take_woken();
            let Some(id) = self.queue.pop_front() else {
                self.idle(&mut stats);
                continue;
            };
            let Some(task) = self.tasks[id].as_mut() else {
                continue; // woken after it finished
            };
            stats.polls += 1;
            if id != last {
                stats.switches += 1;
                last = id;
            }
            let mut cx = Context::from_waker(&self.wakers[id]);
            match task.as_mut().poll(&mut cx) {
                Poll::Ready(result) => {
                    self.tasks[id] = None;
                    self.results[id] = Some(result);
                    pending -= 1;
                }
                Poll::Pending if YIELDED.with(|y| y.replace(false)) => self.queue.push_back(id),
                Poll::Pending => {} // parked until its waker is called
            }
        }
        // The first task to run is not a switch.
        stats.switches = stats.switches.saturating_sub(1);
        let results = self
            .results
            .into_iter()
            .map(|r| r.expect("finished"))
            .collect();
        (results, stats)
    }

    /// Moves tasks woken through their wakers onto the run queue.
    fn take_woken(&mut self) {
        if self.woken.any.swap(false, Ordering::Acquire) {
            let mut ids = self.woken.ids.lock().expect("woken ids");
            self.queue.extend(ids.drain(..));
        }
    }

    /// Wakes every sleeping task whose deadline has passed (reads the clock only when some
    /// task sleeps).
    fn fire_timers(&self) {
        let mut heap = self.timers.heap.borrow_mut();
        if heap.is_empty() {
            return;
        }
        let now = Instant::now();
        while let Some(Reverse((deadline, _, slot))) = heap.peek().copied() {
            if deadline > now {
                break;
            }
            heap.pop();
            if let Some(waker) = self.timers.wakers.borrow_mut()[slot].take() {
                self.timers.free.borrow_mut().push(slot);
                waker.wake();
            }
        }
    }

    /// Nothing is ready: park the thread until the next timer is due or another thread calls
    /// a waker. Panics only when no timer is filed and nobody else holds a waker of a
    /// pending task, because then nothing can ever wake them.
    fn idle(&self, stats: &mut SchedulerStats) {
        let next = self
            .timers
            .heap
            .borrow()
            .peek()
            .map(|Reverse((d, _, _))| *d);
        stats.idle_sleeps += 1;
        if let Some(deadline) = next {
            std::thread::park_timeout(deadline.saturating_duration_since(Instant::now()));
        } else {
            // The scheduler holds two references to each handle (the handle and its waker).
            let held_elsewhere = self
                .tasks
                .iter()
                .zip(&self.handles)
                .any(|(task, handle)| task.is_some() && Arc::strong_count(handle) > 2);
            if held_elsewhere {
                std::thread::park();
            } else if !self.woken.any.load(Ordering::Acquire) {
                panic!("green scheduler: every task waits, but nothing can wake them");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_order_at_every_yield() {
        let order = RefCell::new(Vec::new());
        let mut scheduler = Scheduler::new();
        for id in 0..3 {
            let order = &order;
            scheduler.spawn(async move {
                for step in 0..4 {
                    order.borrow_mut().push((id, step));
                    yield_now().await;
                }
                id * 10
            });
        }
        let (results, stats) = scheduler.run();
        assert_eq!(results, vec![0, 10, 20]);
        let order = order.into_inner();
        let expected: Vec<_> = (0..4).flat_map(|s| (0..3).map(move |t| (t, s))).collect();
        assert_eq!(order, expected);
        // 3 tasks x 5 polls each, always a different task than the last.
        assert_eq!(stats.polls, 15);
        assert_eq!(stats.switches, 14);
    }

    #[test]
    fn timers_fire_in_deadline_order_without_blocking_others() {
        let woke = RefCell::new(Vec::new());
        let mut scheduler = Scheduler::new();
        let handle = scheduler.handle();
        for (id, ms) in [(0, 30u64), (1, 10), (2, 20)] {
            let (woke, handle) = (&woke, handle.clone());
            scheduler.spawn(async move {
                handle.sleep(Duration::from_millis(ms)).await;
                woke.borrow_mut().push(id);
            });
        }
        let (_, stats) = scheduler.run();
        assert_eq!(woke.into_inner(), vec![1, 2, 0]);
        assert!(stats.idle_sleeps >= 1);
    }

    #[test]
    #[should_panic(expected = "nothing can wake them")]
    fn a_task_nobody_can_wake_is_reported_not_waited_for_forever() {
        struct Never;
        impl Future for Never {
            type Output = ();
            fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
                Poll::Pending // and drops the waker
            }
        }
        let mut scheduler = Scheduler::new();
        scheduler.spawn(Never);
        scheduler.run();
    }

    #[test]
    fn timer_slots_are_reused() {
        let mut scheduler: Scheduler<'_, ()> = Scheduler::new();
        let handle = scheduler.handle();
        let timers = handle.timers.clone();
        scheduler.spawn(async move {
            for _ in 0..50 {
                handle.sleep(Duration::from_micros(10)).await;
            }
        });
        scheduler.run();
        assert_eq!(timers.wakers.borrow().len(), 1);
    }

    #[test]
    fn a_task_that_never_yields_runs_to_the_end_first() {
        let order = RefCell::new(Vec::new());
        let mut scheduler = Scheduler::new();
        let o = &order;
        scheduler.spawn(async move { o.borrow_mut().extend([0, 0, 0]) });
        scheduler.spawn(async move { o.borrow_mut().push(1) });
        scheduler.run();
        assert_eq!(order.into_inner(), vec![0, 0, 0, 1]);
    }

    #[test]
    fn spawn_reports_the_size_of_the_task_state() {
        let mut scheduler: Scheduler<'_, ()> = Scheduler::new();
        let big = [0u8; 1000];
        let (_, bytes) = scheduler.spawn(async move {
            yield_now().await;
            std::hint::black_box(big);
        });
        assert!(bytes >= 1000);
        scheduler.run();
    }

    /// A future that completes once another OS thread has called its waker: the stand-in for
    /// I/O finished by some other thread (an I/O driver, a thread pool).
    struct Remote {
        done: Arc<AtomicBool>,
        waker: Arc<Mutex<Option<Waker>>>,
    }

    impl Future for Remote {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            // File the waker before reading the flag, so a wake between the two is not lost.
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            if self.done.load(Ordering::Acquire) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }
    }

    /// Starts a thread that, after `delay`, sets the flag and wakes whoever waits on `Remote`.
    fn wake_from_another_thread(delay: Duration) -> (Remote, std::thread::JoinHandle<()>) {
        let done = Arc::new(AtomicBool::new(false));
        let waker: Arc<Mutex<Option<Waker>>> = Arc::default();
        let (d, w) = (done.clone(), waker.clone());
        let thread = std::thread::spawn(move || {
            std::thread::sleep(delay);
            d.store(true, Ordering::Release);
            if let Some(waker) = w.lock().unwrap().take() {
                waker.wake();
            }
        });
        (Remote { done, waker }, thread)
    }

    #[test]
    fn a_task_woken_from_another_thread_completes_without_blocking_the_others() {
        let (remote, thread) = wake_from_another_thread(Duration::from_millis(5));
        let finished = RefCell::new(Vec::new());
        let mut scheduler = Scheduler::new();
        let f = &finished;
        scheduler.spawn(async move {
            remote.await;
            f.borrow_mut().push(0);
            0
        });
        for id in 1..3 {
            scheduler.spawn(async move {
                for _ in 0..3 {
                    yield_now().await;
                }
                f.borrow_mut().push(id);
                id
            });
        }
        let start = Instant::now();
        let (results, _) = scheduler.run();
        thread.join().unwrap();
        assert_eq!(results, vec![0, 1, 2]);
        // The parked task did not hold up the others: they finished while it waited.
        assert_eq!(finished.into_inner(), vec![1, 2, 0]);
        assert!(start.elapsed() >= Duration::from_millis(5));
    }

    #[test]
    fn a_wake_from_another_thread_is_taken_while_a_timer_keeps_the_scheduler_going() {
        let (remote, thread) = wake_from_another_thread(Duration::from_millis(5));
        let finished = RefCell::new(Vec::new());
        let mut scheduler = Scheduler::new();
        let handle = scheduler.handle();
        let f = &finished;
        scheduler.spawn(async move {
            remote.await;
            f.borrow_mut().push(0);
            0
        });
        for id in 1..3 {
            scheduler.spawn(async move {
                for _ in 0..3 {
                    yield_now().await;
                }
                f.borrow_mut().push(id);
                id
            });
        }
        // Keeps a timer filed until task 0 is done: the scheduler parks with a timeout and
        // must still take the wake from the other thread.
        scheduler.spawn(async move {
            while !f.borrow().contains(&0) {
                handle.sleep(Duration::from_millis(1)).await;
            }
            f.borrow_mut().push(3);
            3
        });
        let (results, stats) = scheduler.run();
        thread.join().unwrap();
        assert_eq!(results, vec![0, 1, 2, 3]);
        // The yielding tasks ran to the end while task 0 was parked on the other thread.
        assert_eq!(finished.into_inner(), vec![1, 2, 0, 3]);
        assert!(stats.idle_sleeps >= 1);
    }
}
