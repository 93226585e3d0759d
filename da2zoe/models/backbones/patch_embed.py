"""Patch embedding: non-overlapping patches to tokens with one strided conv."""
import torch
from torch import Tensor, nn


class PatchEmbed(nn.Module):
    """Cuts an image into ``patch_size`` squares, one token per square.

    Args:
        patch_size (int): Side of a square patch in pixels. Defaults to 14.
        in_channels (int): Image channels. Defaults to 3.
        embed_dims (int): Token width. Defaults to 384.
    """

    def __init__(self,
                 patch_size: int = 14,
                 in_channels: int = 3,
                 embed_dims: int = 384) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(
            in_channels, embed_dims, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: Tensor) -> Tensor:
        """Embeds patches.

        Args:
            x (Tensor): Images (B, C, H, W), H and W multiples of the patch
                size (the caller checks).

        Returns:
            Tensor: Tokens (B, H/p * W/p, D) in row-major patch order.
        """
        return torch.flatten(self.proj(x), 2).transpose(1, 2)
