"""Multi-head self-attention with fused qkv, computed by SDPA."""
import torch
import torch.nn.functional as F
from torch import Tensor, nn

# Largest logits block low_precision_attention materialises at once.
LOGITS_BLOCK_BYTES = 64 << 20


def low_precision_attention(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """Softmax attention as two matmuls in the inputs' 16-bit dtype.

    The logits are rounded to the 16-bit dtype before a softmax that
    accumulates in float32 and returns the 16-bit dtype. On CPUs without AMX
    this is about 25 % faster than the CPU flash-attention kernel (whose
    16-bit path is no faster than its float32 one), at about twice its error
    when the logits are spread. The (B, heads, N, N) logits are formed for
    blocks of queries of at most ``LOGITS_BLOCK_BYTES`` (vits at 392x518:
    13 MB, one block; vitl at 1036x1372: 1.7 GB, 27 blocks), so memory
    stays bounded at any resolution; rows are independent, so blocking
    changes no value.

    Args:
        q (Tensor): Queries (B, heads, N, head_dims).
        k (Tensor): Keys, same shape.
        v (Tensor): Values, same shape.

    Returns:
        Tensor: (B, heads, N, head_dims).
    """
    scale = q.shape[-1]**-0.5
    k_t = k.transpose(-2, -1)
    n = q.shape[-2]
    row_bytes = q.shape[:-2].numel() * n * q.element_size()
    rows = max(1, LOGITS_BLOCK_BYTES // max(row_bytes, 1))
    outs = []
    for start in range(0, n, rows):
        logits = torch.matmul(q[..., start:start + rows, :], k_t).mul_(scale)
        outs.append(torch.matmul(torch.softmax(logits, dim=-1), v))
    return outs[0] if len(outs) == 1 else torch.cat(outs, dim=-2)


class Attention(nn.Module):
    """Plain softmax self-attention with DINOv2's names ``qkv``, ``proj``.

    The rows of ``qkv`` are ``[q; k; v]``, each split into heads of
    ``embed_dims // num_heads`` consecutive rows, as in DINOv2 checkpoints.

    Args:
        embed_dims (int): Token width.
        num_heads (int): Number of heads; must divide ``embed_dims``.
        qkv_bias (bool): Bias on the qkv projection. Defaults to True.
        low_precision_logits (bool): On the CPU, when the queries are
            bfloat16 / float16 (autocast) and need no gradient (inference, a
            frozen encoder), use :func:`low_precision_attention` instead of
            SDPA's flash kernel. Opt-in speed for a little accuracy; every
            other case uses SDPA. Defaults to False.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 qkv_bias: bool = True,
                 low_precision_logits: bool = False) -> None:
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims {embed_dims} is not divisible by '
                             f'num_heads {num_heads}')
        self.num_heads = num_heads
        self.low_precision_logits = low_precision_logits
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
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads,
                                  D // self.num_heads).permute(2, 0, 3, 1, 4)
        if qkv.requires_grad and qkv.device.type == 'cpu':
            # The CPU flash kernel's backward runs 10-25 % faster (bf16) on
            # contiguous q, k, v than on these strided views; for the
            # forward alone the copy does not pay (docs/benchmark.md).
            qkv = qkv.contiguous()
        q, k, v = qkv.unbind(0)
        if self._use_low_precision(q):
            x = low_precision_attention(q, k, v)
        else:
            x = F.scaled_dot_product_attention(q, k, v)
        return self.proj(x.transpose(1, 2).reshape(B, N, D))

    def _use_low_precision(self, q: Tensor) -> bool:
        return (self.low_precision_logits and q.device.type == 'cpu'
                and q.dtype in (torch.bfloat16, torch.float16)
                and not q.requires_grad)
