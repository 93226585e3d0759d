"""What this CPU can do fast, detected once, and the bf16 policy built on it.

bf16 autocast only pays on CPUs with native bf16 arithmetic (AVX512-BF16 or
AMX). On an AVX2-only CPU PyTorch emulates it by converting to float32 and
back around every kernel: a da2zoe training step measured 4x slower under
``--amp`` (2.06 -> 8.23 s/iter) and ``tools/infer.py --bf16`` 6.7x slower
(4.69 -> 31.6 s/image). Every tool asks :func:`choose_bf16` before it turns
bf16 on, so the decision and its message live here only.
"""
import functools
import os
import platform
from dataclasses import dataclass
from typing import Optional, Tuple

import torch

# /proc/cpuinfo flag -> what it means for us.
BF16_FLAGS = ('avx512_bf16', 'amx_bf16')
REPORTED_FLAGS = ('avx2', 'avx512f', 'avx512_bf16', 'amx_bf16', 'amx_tile',
                  'avx512_fp16')


@dataclass(frozen=True)
class CpuInfo:
    """The CPU's name, PyTorch's kernel level and the flags that matter.

    Args:
        model (str): The CPU's model name ('unknown' where unreadable).
        capability (str): ``torch.backends.cpu.get_cpu_capability()``, the
            vector ISA PyTorch's kernels were dispatched to (e.g. 'AVX2').
        flags (frozenset[str]): The CPU flags of :data:`REPORTED_FLAGS`
            that this CPU has.
        onednn_max_isa (str): ``ONEDNN_MAX_CPU_ISA`` where it caps oneDNN's
            kernels (convolutions, some GEMMs) below what the CPU has, e.g.
            'AVX2' when an AVX2-only machine is emulated with
            ``ATEN_CPU_CAPABILITY=avx2``; empty when unset. Defaults to ''.
    """

    model: str
    capability: str
    flags: frozenset
    onednn_max_isa: str = ''

    @property
    def native_bf16(self) -> bool:
        """True when the CPU computes in bf16 natively (AVX512-BF16/AMX)."""
        return any(flag in self.flags for flag in BF16_FLAGS)

    def describe(self) -> str:
        """One line for logs and benchmark tables, e.g. ``'Intel Xeon
        (torch AVX512; avx2 avx512f avx512_bf16; native bf16)'``."""
        flags = ' '.join(f for f in REPORTED_FLAGS if f in self.flags)
        bf16 = 'native bf16' if self.native_bf16 else 'no native bf16'
        onednn = (f'; oneDNN <= {self.onednn_max_isa}'
                  if self.onednn_max_isa else '')
        return (f'{self.model} (torch {self.capability}{onednn}; {flags}; '
                f'{bf16})')


def _proc_cpuinfo() -> Tuple[str, frozenset]:
    """Model name and flags from ``/proc/cpuinfo`` (Linux only)."""
    model, flags = 'unknown', frozenset()
    try:
        with open('/proc/cpuinfo', encoding='utf-8', errors='replace') as f:
            for line in f:
                key, _, value = line.partition(':')
                key = key.strip()
                if key == 'model name' and model == 'unknown':
                    model = value.strip()
                elif key in ('flags', 'Features') and not flags:
                    flags = frozenset(value.split())
    except OSError:
        pass
    return model, flags


def _torch_flags() -> frozenset:
    """The same flags as PyTorch's own cpuinfo sees them (any OS)."""
    probes = {
        'avx2': '_is_avx2_supported',
        'avx512f': '_is_avx512_supported',
        'avx512_bf16': '_is_avx512_bf16_supported',
        'amx_tile': '_is_amx_tile_supported',
        'avx512_fp16': '_is_amx_fp16_supported',
    }
    found = set()
    for flag, name in probes.items():
        probe = getattr(torch.cpu, name, None)
        if probe is not None and probe():
            found.add(flag)
    if 'amx_tile' in found:  # AMX tiles come with AMX-BF16 on every CPU
        found.add('amx_bf16')
    return frozenset(found)


@functools.lru_cache(maxsize=None)
def cpu_info() -> CpuInfo:
    """Detects the CPU once per process (cached).

    /proc/cpuinfo names the flags; where it is missing or silent (macOS,
    Windows, containers that hide it), PyTorch's own probes answer.
    """
    model, flags = _proc_cpuinfo()
    if not flags:
        flags = _torch_flags()
    if model == 'unknown':
        model = platform.processor() or 'unknown'
    return CpuInfo(
        model=model,
        capability=torch.backends.cpu.get_cpu_capability(),
        flags=frozenset(f for f in REPORTED_FLAGS if f in flags),
        onednn_max_isa=(os.environ.get('ONEDNN_MAX_CPU_ISA') or
                        os.environ.get('DNNL_MAX_CPU_ISA', '')).upper())


def choose_bf16(flag: str,
                device: str = 'cpu',
                force: bool = False,
                force_hint: str = '--force',
                info: Optional[CpuInfo] = None) -> Tuple[bool, Optional[str]]:
    """Decides whether a requested bf16 switch is honoured.

    On a GPU, or a CPU with native bf16, it is. On a CPU without native
    bf16 the answer is float32, with a message that says why and how to
    force it, unless ``force`` is set (then bf16 with a warning).

    Args:
        flag (str): The switch as the user typed it (``'--amp'``), used in
            the message.
        device (str): The device the run uses ('cpu', 'cuda', 'cuda:1').
            Defaults to 'cpu'.
        force (bool): Use bf16 even where it is emulated. Defaults to False.
        force_hint (str): How the user forces it, for the message.
            Defaults to '--force'.
        info (CpuInfo, optional): The CPU; :func:`cpu_info` if None.

    Returns:
        tuple[bool, str | None]: Whether to use bf16, and a message for
        the user (None when there is nothing to say).
    """
    if not str(device).startswith('cpu'):
        return True, None
    info = info or cpu_info()
    if info.native_bf16:
        return True, None
    what = (f'this CPU has no native bf16 (no avx512_bf16 or amx_bf16: '
            f'{info.describe()}), where bf16 autocast is emulated and 4-7x '
            f'slower than float32')
    if force:
        return True, f'{flag} forced: {what}'
    return False, (f'{flag} ignored, running in float32: {what}; add '
                   f'{force_hint} to use bf16 anyway')
