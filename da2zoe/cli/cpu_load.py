"""Fewer, passive OpenMP threads when other jobs keep the CPUs busy.

On a 2-core machine with two other busy processes, a small training step
took 701 ms with torch's default (2 threads, OpenMP's spinning wait), 58 ms
with ``OMP_WAIT_POLICY=PASSIVE`` and 31 ms with one thread: spinning threads
that wait for a descheduled peer burn the time slices the work needs. This
module imports no torch: OpenMP reads the variables when torch is loaded.
"""
import os
import time
from typing import Optional, Tuple

BUSY = 0.5  # other runnable processes per CPU beyond which we adapt


def other_runnable(samples: int = 5, interval: float = 0.02) -> float:
    """Median number of runnable processes other than this one.

    Read from ``/proc/loadavg`` (instantaneous, unlike the load average,
    which still counts the last minute's work of this very tool).

    Args:
        samples (int): Readings to take.
        interval (float): Seconds between readings.

    Returns:
        float: The median count, 0.0 where ``/proc/loadavg`` is missing.
    """
    counts = []
    for i in range(samples):
        try:
            with open('/proc/loadavg') as f:
                running = int(f.read().split()[3].split('/')[0])
        except (OSError, IndexError, ValueError):
            return 0.0
        counts.append(max(0, running - 1))
        if i + 1 < samples:
            time.sleep(interval)
    counts.sort()
    return float(counts[len(counts) // 2])


def threads_for_load(cpus: int, others: float,
                     requested: Optional[int] = None) -> Tuple[int, bool]:
    """Thread count and whether the machine counts as busy.

    Args:
        cpus (int): CPUs this process may run on.
        others (float): Other runnable processes.
        requested (int, optional): Threads asked for; capped, not raised.

    Returns:
        tuple[int, bool]: Threads to use (at least 1) and busy or not.
    """
    wanted = requested or cpus
    if others <= BUSY * cpus:
        return wanted, False
    free = max(1, int(cpus - others + 0.5))
    return max(1, min(wanted, free)), True


def adapt_to_cpu_load(requested: Optional[int] = None,
                      environ: Optional[dict] = None,
                      others: Optional[float] = None) -> Optional[str]:
    """Sets ``OMP_WAIT_POLICY=PASSIVE`` and fewer threads on a busy machine.

    Call it before torch is imported. Variables the user set win.

    Args:
        requested (int, optional): Threads the user asked for.
        environ (dict, optional): Environment to change (``os.environ``).
        others (float, optional): Other runnable processes (measured).

    Returns:
        str | None: The line to log when it changed something, else None.
    """
    environ = os.environ if environ is None else environ
    if environ.get('DA2ZOE_ADAPT_THREADS', '1') == '0':
        return None
    cpus = len(os.sched_getaffinity(0)) if hasattr(
        os, 'sched_getaffinity') else (os.cpu_count() or 1)
    others = other_runnable() if others is None else others
    threads, busy = threads_for_load(cpus, others, requested)
    if not busy:
        return None
    changed = []
    if 'OMP_WAIT_POLICY' not in environ:
        environ['OMP_WAIT_POLICY'] = 'PASSIVE'
        changed.append('OMP_WAIT_POLICY=PASSIVE')
    if 'OMP_NUM_THREADS' not in environ:
        environ['OMP_NUM_THREADS'] = str(threads)
        changed.append(f'OMP_NUM_THREADS={threads}')
    if not changed:
        return None
    return (f'CPU busy ({others:g} other runnable processes on {cpus} '
            f'CPUs): {", ".join(changed)} (DA2ZOE_ADAPT_THREADS=0 keeps '
            'the defaults)')
