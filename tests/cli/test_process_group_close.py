"""tools/train.py and tools/test.py destroy their process group before the
interpreter exits: a gloo group left alive can abort a rank while Python
shuts down (exit -6 after the work was done; seen in CI)."""
import socket
from pathlib import Path

import pytest
import torch.distributed as dist

from da2zoe.cli import test as test_tool
from da2zoe.cli.runner_setup import closes_process_group

CONFIG = str(Path(__file__).resolve().parents[2] / 'configs' /
             'da2zoe_tiny_synthetic.py')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture
def one_rank(monkeypatch):
    """The environment torchrun gives a world of one process."""
    for key, value in dict(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1',
                           MASTER_ADDR='127.0.0.1',
                           MASTER_PORT=str(free_port())).items():
        monkeypatch.setenv(key, value)
    yield
    if dist.is_initialized():  # the test failed: leave no group behind
        dist.destroy_process_group()


@pytest.mark.parametrize('outcome', ['ok', 'bad flag', 'raises'])
def test_the_group_is_destroyed_on_every_way_out(one_rank, outcome):
    barriers = []

    @closes_process_group
    def main() -> int:
        dist.init_process_group('gloo')
        if outcome == 'raises':
            raise RuntimeError('deep in a run')
        return 0 if outcome == 'ok' else 2

    real_barrier = dist.barrier
    dist.barrier = lambda *a, **k: (barriers.append(1), real_barrier())
    try:
        if outcome == 'raises':
            with pytest.raises(RuntimeError, match='deep in a run'):
                main()
        else:
            assert main() == (0 if outcome == 'ok' else 2)
    finally:
        dist.barrier = real_barrier
    assert not dist.is_initialized()
    # Only a rank that succeeded waits for the others: a failing rank might
    # wait at a barrier that the others never reach.
    assert barriers == ([1] if outcome == 'ok' else [])


def test_distributed_test_tool_leaves_no_group(one_rank, synthetic_root,
                                               tiny_checkpoint, tmp_path):
    nyu = synthetic_root / 'nyu'
    code = test_tool.main([
        CONFIG, str(tiny_checkpoint), '--launcher', 'pytorch',
        '--work-dir', str(tmp_path / 'work'), '--datasets', 'nyu',
        '--nyu-csv', str(nyu / 'data/nyu2_test.csv'), '--nyu-root',
        str(nyu), '--out-json', str(tmp_path / 'metrics.json'),
        '--cfg-options', 'experiment_name=process_group_close',
        'model.backbone.arch.num_layers=4',
        'model.backbone.out_indices=[0,1,2,3]'])
    assert code == 0
    assert (tmp_path / 'metrics.json').is_file()
    assert not dist.is_initialized()
