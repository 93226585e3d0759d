"""Feed-forward networks of a transformer block: GELU MLP and SwiGLU."""
import torch.nn.functional as F
from torch import Tensor, nn


class Mlp(nn.Module):
    """Two linears with an exact (erf) GELU between them.

    Args:
        embed_dims (int): Input and output width.
        hidden_dims (int): Hidden width.
    """

    def __init__(self, embed_dims: int, hidden_dims: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(embed_dims, hidden_dims)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_dims, embed_dims)

    def forward(self, x: Tensor) -> Tensor:
        """Applies fc1, GELU, fc2 to (..., D) tokens."""
        return self.fc2(self.act(self.fc1(x)))


def swiglu_hidden_dims(embed_dims: int, mlp_ratio: float) -> int:
    """Hidden width of DINOv2's SwiGLU FFN: 2/3 of the MLP's, rounded up to 8.

    Keeps the parameter count close to a GELU MLP of the same ``mlp_ratio``
    (4096 for ViT-g: 1536 * 4 * 2 / 3).

    Args:
        embed_dims (int): Token width.
        mlp_ratio (float): Hidden width of the equivalent MLP over
            ``embed_dims``.

    Returns:
        int: The SwiGLU hidden width.
    """
    return (int(int(embed_dims * mlp_ratio) * 2 / 3) + 7) // 8 * 8


class SwiGLUFFN(nn.Module):
    """SwiGLU feed-forward with DINOv2's fused gate/value projection ``w12``.

    ``w12`` outputs ``2 * hidden_dims``; the first half goes through SiLU and
    gates the second half; ``w3`` projects back.

    Args:
        embed_dims (int): Input and output width.
        hidden_dims (int): Hidden width (see :func:`swiglu_hidden_dims`).
    """

    def __init__(self, embed_dims: int, hidden_dims: int) -> None:
        super().__init__()
        self.w12 = nn.Linear(embed_dims, 2 * hidden_dims)
        self.w3 = nn.Linear(hidden_dims, embed_dims)

    def forward(self, x: Tensor) -> Tensor:
        """Applies ``w3(silu(gate) * value)`` to (..., D) tokens."""
        gate, value = self.w12(x).chunk(2, dim=-1)
        return self.w3(F.silu(gate) * value)
