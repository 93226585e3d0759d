"""Precision policy of the bin arithmetic."""
import torch
from torch import Tensor, nn


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


def run_with_float32_tail(net: nn.Sequential, x: Tensor,
                          tail: int = 2) -> Tensor:
    """Runs ``net`` with its last ``tail`` modules outside autocast.

    The head's small MLPs end in the 1x1 convolution and activation that
    produce bin widths, attractor positions or the log-binomial's p and t:
    under bf16 autocast that convolution would round them to 8 bits of
    mantissa (an attractor at 9 m to +-4 cm) before :func:`at_least_float32`
    could help. The layers before it keep the autocast dtype; the tail runs
    in float32 (float64 stays float64) on a few output channels, which
    costs next to nothing.

    Args:
        net (nn.Sequential): The MLP.
        x (Tensor): Its input.
        tail (int): How many trailing modules run in float32. Defaults to 2
            (the convolution and its activation).

    Returns:
        Tensor: ``net(x)``, at least float32.
    """
    device = x.device.type
    if not torch.is_autocast_enabled(device):
        return at_least_float32(net(x))
    hidden = at_least_float32(net[:-tail](x))
    with torch.autocast(device_type=device, enabled=False):
        return net[-tail:](hidden)
