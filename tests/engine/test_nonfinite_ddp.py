"""Under DDP (2 CPU processes, gloo) every rank skips the iteration in which
one rank's loss is NaN, nobody deadlocks, and the warning (shown by rank 0)
names rank 1, whose loss it was, and rank 1's samples. Without clipping, a
NaN gradient on one rank's own parameters (FSDP shards) skips every rank."""
import logging
import math
import multiprocessing as mp

import torch
import torch.distributed as dist
from mmengine.logging import MMLogger
from torch.nn.parallel import DistributedDataParallel as DDP

from da2zoe.engine import DepthOptimWrapper


def _worker(rank, store, queue):
    dist.init_process_group(
        'gloo', init_method='file://' + store, rank=rank, world_size=2)
    try:
        torch.manual_seed(0)
        model = DDP(torch.nn.Linear(4, 1))
        wrapper = DepthOptimWrapper(
            torch.optim.SGD(model.parameters(), lr=0.1),
            clip_grad=dict(max_norm=10.0))
        x = torch.ones(2, 4) * (rank + 1)
        warnings = []
        handler = logging.Handler(logging.WARNING)
        handler.emit = lambda record: warnings.append(record.getMessage())
        MMLogger.get_current_instance().addHandler(handler)
        rows = []
        for step in range(3):
            wrapper.set_batch_sample_names([f'r{rank}_{step}.png'])
            with wrapper.optim_context(model):
                loss = model(x).sum()
            if step == 1 and rank == 1:
                loss = loss * float('nan')
            wrapper.update_params(loss)
            rows.append(
                (wrapper.last_step_skipped, model.module.weight.sum().item()))
        queue.put((rank, (rows, warnings)))
    finally:
        dist.destroy_process_group()


def run_two_ranks(target, tmp_path) -> dict:
    """Runs ``target(rank, store, queue)`` as 2 processes; rank -> result.

    spawn, not fork: a forked child cannot run autograd once this process
    has (an earlier test's backward pass started autograd's threads).
    """
    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    procs = [ctx.Process(target=target,
                         args=(rank, str(tmp_path / 'store'), queue))
             for rank in range(2)]
    for proc in procs:
        proc.start()
    try:
        results = dict(queue.get(timeout=60) for _ in procs)
        for proc in procs:
            proc.join(timeout=30)
            assert proc.exitcode == 0
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.kill()
    return results


def test_all_ranks_skip_together(tmp_path):
    results = run_two_ranks(_worker, tmp_path)
    (rank0, warned), (rank1, _) = results[0], results[1]
    skips = [m for m in warned if 'Non-finite' in m]
    assert len(skips) == 1, warned
    assert 'rank 1 loss (nan) samples r1_1.png' in skips[0], skips[0]
    assert 'rank 0' not in skips[0] and 'r0_1.png' not in skips[0]
    assert [r[0] for r in rank0] == [False, True, False]
    assert [r[0] for r in rank1] == [False, True, False]
    # identical, finite weights on both ranks; unchanged by the skipped step
    assert rank0 == rank1
    assert rank0[1][1] == rank0[0][1]
    assert math.isfinite(rank0[2][1]) and rank0[2][1] != rank0[1][1]


def _sharded_worker(rank, store, queue):
    """Each rank its own parameters (as FSDP shards are), no clipping; only
    rank 1's gradient is NaN (sqrt at 0), its loss finite."""
    dist.init_process_group(
        'gloo', init_method='file://' + store, rank=rank, world_size=2)
    try:
        shard = torch.nn.Parameter(torch.zeros(3) if rank else torch.ones(3))
        wrapper = DepthOptimWrapper(torch.optim.SGD([shard], lr=0.1))
        loss = shard.abs().sqrt().sum()
        wrapper.update_params(loss)
        queue.put((rank, (wrapper.last_step_skipped, shard.tolist())))
    finally:
        dist.destroy_process_group()


def test_a_nan_gradient_on_one_shard_skips_every_rank(tmp_path):
    # Rank 0 alone would have stepped while rank 1 skipped: the ranks'
    # weights would part for good without a word.
    results = run_two_ranks(_sharded_worker, tmp_path)
    assert results[0] == (True, [1.0, 1.0, 1.0])
    assert results[1] == (True, [0.0, 0.0, 0.0])
