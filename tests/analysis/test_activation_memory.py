"""Saved-for-backward byte counts and the batch-size estimate."""
import torch
from torch import nn

from da2zoe.analysis.activation_memory import (
    GB,
    fsdp_state_bytes,
    largest_batch,
    saved_tensor_bytes,
)


def test_counts_each_saved_storage_once_and_not_the_weights():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 32))
    x = torch.randn(10, 64)

    def step():
        return net(x).square().sum()

    held = list(net.parameters())
    # Linear 1 saves x (10x64) for its weight gradient; ReLU saves its
    # output (10x128), which linear 2 also saves as its input: one storage;
    # square saves its input (10x32). Weights are excluded.
    floats = 10 * 64 + 10 * 128 + 10 * 32
    assert saved_tensor_bytes(step, exclude=held) == floats * 4
    # Not excluded, linear 2's weight (saved for the input gradient) joins.
    assert saved_tensor_bytes(step) == (floats + 32 * 128) * 4


def test_activation_checkpointing_lowers_the_count():
    torch.manual_seed(0)
    blocks = nn.ModuleList(
        nn.Sequential(nn.Linear(32, 256), nn.GELU(), nn.Linear(256, 32))
        for _ in range(4))
    x = torch.randn(16, 32, requires_grad=True)

    def run(cp: bool):
        def step():
            h = x
            for block in blocks:
                if cp:
                    h = torch.utils.checkpoint.checkpoint(
                        block, h, use_reentrant=False)
                else:
                    h = block(h)
            return h.sum()
        return saved_tensor_bytes(step, exclude=list(blocks.parameters()))

    plain, checkpointed = run(False), run(True)
    assert checkpointed < plain / 3


def test_frozen_graph_is_an_error():
    net = nn.Linear(4, 4).requires_grad_(False)
    try:
        saved_tensor_bytes(lambda: net(torch.randn(2, 4)).sum())
    except ValueError as err:
        assert 'unfreeze' in str(err)
    else:
        raise AssertionError('a step without a graph must be refused')


def test_largest_batch_and_state_bytes():
    # vitl-sized: 315 M trained parameters, 16 bytes each.
    ddp = fsdp_state_bytes(315_000_000, 315_000_000, 8, sharded=False)
    fsdp = fsdp_state_bytes(315_000_000, 315_000_000, 8, sharded=True)
    assert ddp == 315_000_000 * 16 and fsdp == ddp / 8
    # A frozen part costs its weight only, not sharded under DDP.
    assert fsdp_state_bytes(100, 300, 1, sharded=False) == 100 * 16 + 800
    assert largest_batch(24 * GB, 5 * GB, 1 * GB, 2 * GB) == 17
    assert largest_batch(24 * GB, 5 * GB, 1 * GB, 2 * GB, 0.5 * GB) == 16
    assert largest_batch(8 * GB, 7 * GB, 1 * GB, 2 * GB) == 0
