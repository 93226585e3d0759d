"""Measurement helpers for ``tools/analysis_tools/benchmark.py``.

- :func:`matmul_peak_flops`: the machine's achievable dense-matmul rate for a
  dtype (the denominator of model FLOPs utilisation).
- :func:`count_flops`: FLOPs of a callable with
  :class:`torch.utils.flop_counter.FlopCounterMode`, which counts one
  multiply-add as 2 FLOPs, extended with the CPU flash-attention kernels that
  torch's table leaves out (they would otherwise count as 0).
- :func:`peak_rss_bytes`, :func:`reset_peak_rss`: process memory from
  ``/proc/self/status`` (no psutil).
- :func:`time_calls`: wall-clock times of repeated calls, synchronising the
  accelerator.
"""
import os
import statistics
import time
from collections.abc import Callable

import torch
from torch.utils.flop_counter import (
    FlopCounterMode,
    sdpa_backward_flop_count,
    sdpa_flop_count,
)

from da2zoe.analysis.malloc import trim_malloc

aten = torch.ops.aten


def _cpu_flash_attention_flop(query, key, value, *args, **kwargs) -> int:
    return sdpa_flop_count(query, key, value)


def _cpu_flash_attention_backward_flop(grad_out, query, key, value, *args,
                                       **kwargs) -> int:
    return sdpa_backward_flop_count(grad_out, query, key, value)


# Kernels torch's flop table leaves out (they would count 0); same math as
# the GPU attention kernels. FlopCounterMode passes shapes, not tensors.
EXTRA_FLOP_FORMULAS = {
    aten._scaled_dot_product_flash_attention_for_cpu:
    _cpu_flash_attention_flop,
    aten._scaled_dot_product_flash_attention_for_cpu_backward:
    _cpu_flash_attention_backward_flop,
}


def synchronize(device: torch.device | str) -> None:
    """Waits for queued kernels on ``device`` (no-op on CPU)."""
    device = torch.device(device)
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_calls(fn: Callable[[], object],
               iters: int,
               warmup: int = 0,
               device: torch.device | str = 'cpu') -> list[float]:
    """Runs ``fn`` ``warmup`` times untimed, then ``iters`` times timed.

    Args:
        fn (Callable): What to time, called without arguments.
        iters (int): Timed calls.
        warmup (int): Untimed calls first. Defaults to 0.
        device (torch.device | str): Synchronised around every call.
            Defaults to 'cpu'.

    Returns:
        list[float]: Seconds per timed call, in call order.
    """
    for _ in range(warmup):
        fn()
    synchronize(device)
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return times


def median(values: list[float]) -> float:
    """Median of a non-empty list."""
    return statistics.median(values)


def matmul_peak_flops(dtype: torch.dtype = torch.float32,
                      device: torch.device | str = 'cpu',
                      size: int = 2048,
                      iters: int = 5,
                      repeats: int = 5) -> float:
    """Achieved FLOP/s of a square ``size`` matmul loop in ``dtype``.

    The median over ``repeats`` timings of ``iters`` back-to-back matmuls,
    after one untimed round; 2 * size^3 FLOPs per matmul. This is what the
    BLAS (oneDNN/MKL on CPU, cuBLAS on GPU) reaches on this machine with the
    current thread count, the honest ceiling for a model made of matmuls and
    convolutions.

    Args:
        dtype (torch.dtype): Operand dtype. Defaults to float32.
        device (torch.device | str): Where to run. Defaults to 'cpu'.
        size (int): Matrix side. Defaults to 2048.
        iters (int): Matmuls per timing. Defaults to 5.
        repeats (int): Timings; the median is returned. Defaults to 5.

    Returns:
        float: FLOP/s.
    """
    gen = torch.Generator(device='cpu').manual_seed(0)
    a = torch.randn(size, size, generator=gen).to(device=device, dtype=dtype)
    b = torch.randn(size, size, generator=gen).to(device=device, dtype=dtype)
    out = torch.empty(size, size, device=device, dtype=dtype)

    def loop():
        for _ in range(iters):
            torch.mm(a, b, out=out)

    times = time_calls(loop, repeats, warmup=1, device=device)
    return 2 * size**3 * iters / median(times)


def count_flops(fn: Callable[[], object]) -> tuple[int, dict[str, int]]:
    """FLOPs of everything ``fn`` runs, forward and backward.

    Uses ``FlopCounterMode`` (1 multiply-add = 2 FLOPs; matmuls,
    convolutions and attention; elementwise ops count 0) plus
    :data:`EXTRA_FLOP_FORMULAS`.

    Args:
        fn (Callable): Called once, inside the counter.

    Returns:
        tuple[int, dict[str, int]]: Total FLOPs and FLOPs per top-level
        submodule name (``'Global'`` excluded), e.g. ``{'backbone': ...}``.
    """
    counter = FlopCounterMode(
        display=False, depth=2, custom_mapping=EXTRA_FLOP_FORMULAS)
    with counter:
        fn()
    per_module = {}
    for name, ops in counter.get_flop_counts().items():
        parts = name.split('.')
        # Names look like 'MetricDepther.backbone'; keep depth-2 entries.
        if len(parts) == 2:
            per_module[parts[1]] = sum(ops.values())
    return counter.get_total_flops(), per_module


def _proc_status_kb(field: str) -> int | None:
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def current_rss_bytes() -> int | None:
    """Resident set size now (``VmRSS``), or None where /proc is missing."""
    kb = _proc_status_kb('VmRSS')
    return None if kb is None else kb * 1024


def peak_rss_bytes() -> int | None:
    """Peak resident set size (``VmHWM``), or None where /proc is missing.

    The peak covers the process's whole life unless :func:`reset_peak_rss`
    succeeded; run one measurement per process, or reset first.
    """
    kb = _proc_status_kb('VmHWM')
    return None if kb is None else kb * 1024


def reset_peak_rss() -> bool:
    """Resets ``VmHWM`` to the current RSS (Linux >= 4.0, ``clear_refs`` 5).

    Freed heap memory is first handed back to the OS (glibc
    ``malloc_trim``), so that what an earlier phase freed but the allocator
    kept does not set the floor of the next peak.

    Returns:
        bool: Whether the reset worked (False without permission or /proc).
    """
    # Without glibc the peak may include memory kept by the allocator.
    trim_malloc()
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        return False
    return True


def load_average() -> float | None:
    """The 1-minute load average, or None where the OS has none."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None
