"""The base every da2zoe loss shares: a weight and a log name."""
import torch
from torch import nn


class WeightedLoss(nn.Module):
    """A loss module that returns ``loss_weight`` times its value.

    Args:
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
        loss_name (str): Key under which the loss is logged; must start
            with ``'loss_'`` so that MMEngine sums it into the total.
    """

    def __init__(self, loss_weight: float = 1.0, loss_name: str = 'loss'):
        super().__init__()
        if not loss_name.startswith('loss_'):
            raise ValueError(
                f"loss_name must start with 'loss_', got {loss_name!r}")
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        """str: The key of this loss in the loss dict."""
        return self._loss_name


def zero_loss(pred: torch.Tensor) -> torch.Tensor:
    """A zero that stays attached to ``pred``'s graph.

    Summing an empty slice gives exactly 0 even when ``pred`` holds NaN or
    inf (``pred.sum() * 0`` would be NaN then), and backward yields zero
    gradients, so DDP sees every parameter used.

    Args:
        pred (Tensor): Any tensor of the graph.

    Returns:
        Tensor: A 0-d zero with ``pred``'s dtype.
    """
    return pred.reshape(-1)[:0].sum()


def safe_sqrt(x: torch.Tensor) -> torch.Tensor:
    """``sqrt`` with 0 (and a zero, not infinite, gradient) for ``x <= 0``.

    Variances that should be >= 0 can round to 0 or slightly below; the plain
    square root would give NaN there, or an infinite gradient at exactly 0.
    For ``x > 0`` the value and gradient equal ``torch.sqrt``'s bit for bit.

    Args:
        x (Tensor): Input.

    Returns:
        Tensor: ``sqrt(max(x, 0))`` with finite gradients.
    """
    positive = x > 0
    return torch.where(positive, torch.sqrt(torch.where(positive, x, 1)), 0)


def to_compute_dtype(x: torch.Tensor) -> torch.Tensor:
    """Casts half and bfloat16 to float32; float32 and float64 stay.

    Args:
        x (Tensor): Input.

    Returns:
        Tensor: ``x`` in a dtype whose logs and variances are accurate.
    """
    if x.is_floating_point() and x.dtype not in (torch.float32,
                                                 torch.float64):
        return x.float()
    return x
