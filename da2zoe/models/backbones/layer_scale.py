"""LayerScale: a learned per-channel scale on a residual branch."""
import torch
from torch import Tensor, nn


class LayerScale(nn.Module):
    """Multiplies tokens channel-wise by ``gamma``.

    Args:
        embed_dims (int): Token width.
        init_value (float): Initial value of every entry of ``gamma``.
            Defaults to 1.0 (what DINOv2 uses for the DA-V2 encoders).
    """

    def __init__(self, embed_dims: int, init_value: float = 1.0) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.full((embed_dims, ), init_value))

    def forward(self, x: Tensor) -> Tensor:
        """Scales (..., D) tokens by ``gamma``."""
        return x * self.gamma
