"""Pre-norm transformer block with LayerScale on both residual branches."""
from torch import Tensor, nn

from .attention import Attention
from .layer_scale import LayerScale
from .mlp import Mlp, SwiGLUFFN, swiglu_hidden_dims


class Block(nn.Module):
    """``x + ls1(attn(norm1(x)))``, then ``x + ls2(mlp(norm2(x)))``.

    Args:
        embed_dims (int): Token width.
        num_heads (int): Attention heads.
        mlp_ratio (float): FFN hidden width over ``embed_dims`` (for SwiGLU,
            that of the equivalent MLP). Defaults to 4.
        ffn_type (str): ``'mlp'`` (GELU) or ``'swiglu'``. Defaults to
            ``'mlp'``.
        layer_scale_init_value (float): Initial LayerScale. Defaults to 1.0.
        low_precision_logits (bool): See :class:`Attention`. Defaults to
            False.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 mlp_ratio: float = 4.0,
                 ffn_type: str = 'mlp',
                 layer_scale_init_value: float = 1.0,
                 low_precision_logits: bool = False) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(embed_dims, eps=1e-6)
        self.attn = Attention(
            embed_dims, num_heads, low_precision_logits=low_precision_logits)
        self.ls1 = LayerScale(embed_dims, layer_scale_init_value)
        self.norm2 = nn.LayerNorm(embed_dims, eps=1e-6)
        if ffn_type == 'mlp':
            self.mlp = Mlp(embed_dims, int(embed_dims * mlp_ratio))
        elif ffn_type == 'swiglu':
            self.mlp = SwiGLUFFN(embed_dims,
                                 swiglu_hidden_dims(embed_dims, mlp_ratio))
        else:
            raise ValueError(
                f"ffn_type must be 'mlp' or 'swiglu', got {ffn_type!r}")
        self.ls2 = LayerScale(embed_dims, layer_scale_init_value)

    def forward(self, x: Tensor) -> Tensor:
        """Runs the block on (B, N, D) tokens."""
        x = x + self.ls1(self.attn(self.norm1(x)))
        x = x + self.ls2(self.mlp(self.norm2(x)))
        return x
