"""Multi-head self-attention with fused qkv, computed by SDPA."""
import torch.nn.functional as F
from torch import Tensor, nn


class Attention(nn.Module):
    """Plain softmax self-attention with DINOv2's names ``qkv``, ``proj``.

    The rows of ``qkv`` are ``[q; k; v]``, each split into heads of
    ``embed_dims // num_heads`` consecutive rows, as in DINOv2 checkpoints.

    Args:
        embed_dims (int): Token width.
        num_heads (int): Number of heads; must divide ``embed_dims``.
        qkv_bias (bool): Bias on the qkv projection. Defaults to True.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 qkv_bias: bool = True) -> None:
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims {embed_dims} is not divisible by '
                             f'num_heads {num_heads}')
        self.num_heads = num_heads
        self.qkv = nn.Linear(embed_dims, embed_dims * 3, bias=qkv_bias)
        self.proj = nn.Linear(embed_dims, embed_dims)

    def forward(self, x: Tensor) -> Tensor:
        """Attends every token to every token.

        Args:
            x (Tensor): Tokens (B, N, D).

        Returns:
            Tensor: Tokens (B, N, D).
        """
        B, N, D = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, D // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        x = F.scaled_dot_product_attention(q, k, v)
        return self.proj(x.transpose(1, 2).reshape(B, N, D))
