"""glibc malloc settings that keep the CPU allocator from page-faulting.

PyTorch's CPU tensors come from ``malloc``. glibc serves large blocks with
``mmap`` (above a threshold that only grows to the largest block freed so
far) and hands freed heap memory back to the OS once more than a threshold
is free at its top. A network allocates and frees the same tens of MB of
activations on every step, so with the defaults many of those pages are
returned and then faulted in, zeroed, again on the next step: 10-15 % of a
vits bf16 inference on a 2-core machine, and the variance of it.
Raising both thresholds keeps the pages in the process (the RSS stays at its
peak, which a training or inference loop reaches anyway). This is what
jemalloc / tcmalloc give through ``LD_PRELOAD`` in PyTorch's CPU tuning
guides, without a library to install.
"""
import ctypes
import ctypes.util
import functools
import os
import platform
from typing import Optional

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
DISABLE_ENV = 'DA2ZOE_NO_MALLOC_TUNING'


@functools.lru_cache(maxsize=None)
def glibc() -> Optional[ctypes.CDLL]:
    """The C library when it is glibc (Linux), else None."""
    if platform.system() != 'Linux' or platform.libc_ver()[0] != 'glibc':
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
    except OSError:
        return None


def trim_malloc() -> bool:
    """Hands the heap's free memory back to the OS (glibc ``malloc_trim``).

    Returns:
        bool: Whether glibc was there to do it.
    """
    libc = glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


def tune_malloc(mmap_threshold: int = 1 << 30,
                trim_threshold: int = (1 << 31) - 1) -> bool:
    """Raises glibc's mmap and trim thresholds for this process.

    Affects allocations made after the call, and forked dataloader workers.
    A no-op (False) on other C libraries or when the environment variable
    ``DA2ZOE_NO_MALLOC_TUNING`` is set to a non-empty value other than 0.

    Args:
        mmap_threshold (int): Blocks at least this large still get their own
            ``mmap`` (returned to the OS when freed). Defaults to 1 GiB.
        trim_threshold (int): Free memory at the heap top kept before glibc
            returns it. Defaults to 2 GiB - 1 (in effect: kept).

    Returns:
        bool: Whether both settings were applied.
    """
    if os.environ.get(DISABLE_ENV, '0') not in ('', '0'):
        return False
    libc = glibc()
    if libc is None:
        return False
    mallopt = libc.mallopt
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(
        mallopt(M_MMAP_THRESHOLD, mmap_threshold)
        and mallopt(M_TRIM_THRESHOLD, trim_threshold))
