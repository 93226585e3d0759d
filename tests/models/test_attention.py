"""Attention: the opt-in 16-bit-logits path and where it applies."""
import torch
import torch.nn.functional as F

from da2zoe.models.backbones import DINOv2
from da2zoe.models.backbones import attention as attention_module

TINY = dict(embed_dims=64, num_layers=4, num_heads=2)


def relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    return float((actual.double() - expected).abs().mean() /
                 expected.abs().mean())


def test_low_precision_attention_close_to_exact():
    torch.manual_seed(0)
    # Logits with a standard deviation of 4: peaked rows, where rounding the
    # logits to bf16 matters most.
    q, k, v = (torch.randn(1, 3, 300, 64) * s for s in (2, 2, 1))
    q, k, v = q.bfloat16(), k.bfloat16(), v.bfloat16()
    exact = F.scaled_dot_product_attention(q.double(), k.double(), v.double())
    fast = attention_module.low_precision_attention(q, k, v)
    assert fast.dtype == torch.bfloat16 and fast.shape == exact.shape
    assert relative_error(fast, exact) < 2e-2
    flash = F.scaled_dot_product_attention(q, k, v)
    # About twice the flash kernel's error (float32 logits), not worse.
    assert relative_error(fast, exact) < 10 * relative_error(flash, exact)


def test_low_precision_logits_only_in_16_bit_inference(monkeypatch):
    torch.manual_seed(0)
    plain = DINOv2(arch=TINY).eval()
    fast = DINOv2(arch=TINY, low_precision_logits=True).eval()
    fast.load_state_dict(plain.state_dict())
    calls = []
    original = attention_module.low_precision_attention

    def counting(*args):
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(attention_module, 'low_precision_attention',
                        counting)
    x = torch.randn(2, 3, 42, 56)

    def patch_maps(model):
        return torch.cat([p.flatten() for p, _ in model(x)])

    with torch.no_grad():
        # float32: SDPA as without the option, bit for bit.
        assert torch.equal(patch_maps(plain), patch_maps(fast))
        assert not calls
        with torch.autocast('cpu', dtype=torch.bfloat16):
            reference, approx = patch_maps(plain), patch_maps(fast)
    assert len(calls) == TINY['num_layers']
    assert not torch.equal(reference, approx)
    assert relative_error(approx, reference.double()) < 2e-2
    # Trainable weights (gradients needed): SDPA again.
    calls.clear()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert torch.equal(patch_maps(plain), patch_maps(fast))
    assert not calls


def test_low_precision_attention_blocks_bound_memory(monkeypatch):
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 3, 100, 16).bfloat16() for _ in range(3))
    whole = attention_module.low_precision_attention(q, k, v)
    # Room for 7 query rows of logits (2 x 3 x 7 x 100 bf16 values): 15
    # blocks, the last one shorter.
    monkeypatch.setattr(attention_module, 'LOGITS_BLOCK_BYTES',
                        2 * 3 * 100 * 2 * 7)
    blocked = attention_module.low_precision_attention(q, k, v)
    assert blocked.shape == whole.shape
    # Same values; a GEMM may pick another kernel for fewer rows, hence a
    # bf16 rounding step of slack instead of bit equality.
    torch.testing.assert_close(blocked, whole, rtol=0, atol=1e-2)
