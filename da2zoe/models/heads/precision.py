"""Precision policy of the bin arithmetic."""
import torch
from torch import Tensor


def at_least_float32(x: Tensor) -> Tensor:
    """Return ``x`` in float32 if it is a reduced-precision float, else as is.

    The convolutions of the head may run in bf16/fp16 under autocast, but bin
    centres (metres), attractor pulls and the log-binomial's Stirling term
    (offsets of 1e-7) are meaningless at 8 bits of mantissa, so they are
    computed in float32, or in float64 when the input is float64 (the parity
    tests).

    Args:
        x (Tensor): Any tensor.

    Returns:
        Tensor: ``x`` upcast to float32 when it is float16 or bfloat16.
    """
    if x.dtype in (torch.float16, torch.bfloat16):
        return x.float()
    return x
