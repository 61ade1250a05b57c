"""conpar's own CPython workload: the same shape of work as `conpar gil-sim`'s model, run by a
real interpreter. conpar writes this file to a private temporary file, runs it with -I -S
(isolated: no PYTHON* variables, no user site; and no site at all, whose .pth files can take
longer to load than the work takes to run) and removes it afterwards.

    script.py info
        One JSON line: the interpreter's own path, version, implementation, whether it is a free-threaded
        build and whether its GIL is on, multiprocessing's default start method, and the cost
        of one unit of the kernel below, in ns (the best of a few timed runs).
    script.py run MODE TASKS UNITS SEED STEP IO_WAIT_NS START_METHOD
        Runs TASKS tasks of UNITS units each, in steps of STEP units (each step after an I/O
        wait of IO_WAIT_NS, where that is not 0), one after another (sequential), on one
        threading.Thread each (threads), or in one multiprocessing process each (processes,
        started by START_METHOD); prints one JSON line: the wall time of the work in ns (the
        processes' start included, the interpreter's own start not), the combined checksum,
        the hand-offs between threads, and when the last task began, in ns after the start.

The kernel is a 64-bit linear congruential step per unit, in pure-Python integers: conpar
computes the same checksum in Rust, which proves that the interpreter did all the work.
"""

# Only what every run needs is imported here: an interpreter's start is part of what conpar
# measures apart from the work, and each import lengthens it.
import os
import sys
import threading
import time

try:
    # The C module under `signal`, without the enum that `signal` imports (5 ms a start).
    import _signal as signal
except ImportError:
    import signal

MASK = (1 << 64) - 1
MULTIPLIER = 6364136223846793005
INCREMENT = 1442695040888963407
GOLDEN = 0x9E3779B97F4A7C15


def task_seed(seed, task):
    return (seed ^ ((task + 1) * GOLDEN)) & MASK


def run_units(x, units):
    for _ in range(units):
        x = (x * MULTIPLIER + INCREMENT) & MASK
    return x


def task(seed, index, units, step, io_wait_ns, stamps):
    """One task: its checksum, after stamping who ran each step."""
    x = task_seed(seed, index)
    done = 0
    while done < units:
        n = min(step, units - done)
        if io_wait_ns:
            time.sleep(io_wait_ns / 1e9)
        x = run_units(x, n)
        done += n
        if stamps is not None:
            stamps.append(index)
    return x


def die_with_parent(parent):
    """Where Linux allows, the process dies with its parent, as conpar's own workers do; one
    whose parent (`parent`, where known) is already gone stops at once."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)
    except Exception:
        pass
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def process_worker(seed, index, units, step, io_wait_ns, queue):
    die_with_parent(None)
    began = time.monotonic_ns()
    queue.put((index, began, task(seed, index, units, step, io_wait_ns, None)))


def run(mode, tasks, units, seed, step, io_wait_ns, start_method):
    if mode == "processes":
        # Imported before the clock starts: loading the module is the interpreter's start.
        import multiprocessing
    stamps = []
    checksums = [0] * tasks
    began = [0] * tasks
    start = time.monotonic_ns()
    if mode == "sequential":
        for i in range(tasks):
            began[i] = time.monotonic_ns()
            checksums[i] = task(seed, i, units, step, io_wait_ns, stamps)
    elif mode == "threads":

        def body(i):
            began[i] = time.monotonic_ns()
            checksums[i] = task(seed, i, units, step, io_wait_ns, stamps)

        threads = [threading.Thread(target=body, args=(i,)) for i in range(tasks)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    elif mode == "processes":
        context = multiprocessing.get_context(start_method)
        queue = context.Queue()
        workers = [
            context.Process(
                target=process_worker,
                args=(seed, i, units, step, io_wait_ns, queue),
                daemon=True,
            )
            for i in range(tasks)
        ]
        for w in workers:
            w.start()
        received = 0
        while received < tasks:
            try:
                i, at, checksum = queue.get(timeout=0.2)
            except Exception:
                failed = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
                if failed:
                    raise SystemExit("a worker process failed (exit code %d)" % failed[0])
                continue
            began[i] = at
            checksums[i] = checksum
            received += 1
        for w in workers:
            w.join()
    else:
        raise SystemExit("unknown mode " + mode)
    wall = time.monotonic_ns() - start
    combined = 0
    for c in checksums:
        combined ^= c
    handoffs = sum(1 for a, b in zip(stamps, stamps[1:]) if a != b)
    # JSON written by hand: importing json would lengthen every run's start.
    print(
        '{"wall_ns": %d, "checksum": "%016x", "handoffs": %d, "last_began_ns": %d}'
        % (wall, combined, handoffs, max(began) - start)
    )


def gil_enabled():
    check = getattr(sys, "_is_gil_enabled", None)
    return True if check is None else bool(check())


def info():
    import json
    import multiprocessing
    import platform
    import sysconfig

    units = 1000
    while True:
        t = time.perf_counter_ns()
        run_units(1, units)
        if time.perf_counter_ns() - t > 2_000_000 or units > 1 << 30:
            break
        units *= 2
    best = None
    for _ in range(3):
        t = time.perf_counter_ns()
        run_units(7, units)
        cost = (time.perf_counter_ns() - t) / units
        best = cost if best is None else min(best, cost)
    print(
        json.dumps(
            {
                "version": platform.python_version(),
                "implementation": platform.python_implementation(),
                "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
                "gil_enabled": gil_enabled(),
                "start_method": multiprocessing.get_start_method(),
                "ns_per_unit": best,
            }
        )
    )


if __name__ == "__main__":
    # conpar owns Ctrl-C: it kills this process, and its workers die with it.
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    parent = int(os.environ.get("CONPAR_PARENT", "0"))
    if parent:
        die_with_parent(parent)
    if sys.argv[1:2] == ["info"]:
        info()
    elif sys.argv[1:2] == ["run"] and len(sys.argv) == 9:
        mode, tasks, units, seed, step, io_wait_ns, start_method = sys.argv[2:]
        run(mode, int(tasks), int(units), int(seed), int(step), int(io_wait_ns), start_method)
    else:
        raise SystemExit("usage: script.py info | run MODE TASKS UNITS SEED STEP IO_WAIT_NS START_METHOD")
