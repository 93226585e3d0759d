"""Per-rank optimiser shards written next to a consolidated checkpoint.

Layout, in the checkpoint's folder::

    checkpoint_epoch_2.pth              # full weights, schedulers, meta
    sharded_state/epoch_2_iter_8/rank0-of-2.pth   # rank 0's optimiser
    sharded_state/epoch_2_iter_8/rank1-of-2.pth

The consolidated file names its shard folder in ``meta['sharded_state']``
(relative to its own folder, so a run folder can be moved). Hard links of
the file (``checkpoint_latest.pth``, ``checkpoint_best.pth``) name the same
folder. A shard holds plain tensors (the local optimiser's state dict), so
it loads under the weights-only allow list.
"""
import os
import os.path as osp
import re
import shutil
from typing import List

from da2zoe.checkpoint import load_checkpoint_file, save_checkpoint_atomic

SHARD_ROOT = 'sharded_state'
_STEP_DIR = re.compile(r'^epoch_(\d+)_iter_(\d+)$')


class ShardedStateError(RuntimeError):
    """A sharded resume cannot find or use the per-rank state."""


def shard_dir_name(epoch: int, iteration: int) -> str:
    """Folder of one save's shards, relative to the checkpoint folder.

    Args:
        epoch (int): ``meta['epoch']`` of the save.
        iteration (int): ``meta['iter']`` of the save.
    """
    return f'{SHARD_ROOT}/epoch_{epoch}_iter_{iteration}'


def shard_file(folder: str, rank: int, world_size: int) -> str:
    """Path of one rank's shard.

    Args:
        folder (str): The shard folder (absolute).
        rank (int): The rank.
        world_size (int): Ranks of the run that wrote it.
    """
    return osp.join(folder, f'rank{rank}-of-{world_size}.pth')


def write_shard(state: dict, folder: str, rank: int,
                world_size: int) -> None:
    """Writes this rank's shard atomically.

    Args:
        state (dict): Plain tensors and numbers (optimiser state dict).
        folder (str): The shard folder (absolute).
        rank (int): The rank.
        world_size (int): Ranks of this run.
    """
    os.makedirs(folder, exist_ok=True)
    save_checkpoint_atomic(
        dict(rank=rank, world_size=world_size, **state),
        shard_file(folder, rank, world_size))


def read_shard(checkpoint_path: str, meta: dict, rank: int,
               world_size: int) -> dict:
    """This rank's shard of the checkpoint at ``checkpoint_path``.

    Args:
        checkpoint_path (str): The consolidated checkpoint.
        meta (dict): Its ``meta``.
        rank (int): This rank.
        world_size (int): Ranks of this run.

    Raises:
        ShardedStateError: No shards named, another world size, or a
            missing shard file; each message names the file and the way out.
    """
    info = meta.get('sharded_state')
    if not info:
        raise ShardedStateError(
            f'{checkpoint_path} holds no sharded optimiser state (written by '
            'a run without FSDP, or with save_optimizer=False), so an FSDP '
            'run cannot resume it. To start from its weights, pass it as '
            'load_from without --resume.')
    if int(info['world_size']) != world_size:
        raise ShardedStateError(
            f'{checkpoint_path}: its optimiser state is sharded over '
            f'{info["world_size"]} ranks, this run has {world_size}. Resume '
            f'with {info["world_size"]} processes, or start from its '
            'weights with load_from (no --resume).')
    folder = osp.join(osp.dirname(osp.abspath(checkpoint_path)), info['dir'])
    path = shard_file(folder, rank, world_size)
    if not osp.isfile(path):
        raise ShardedStateError(
            f'{checkpoint_path}: the optimiser shard {path} of rank {rank} '
            'is missing (removed, or older than keep_sharded_states allows). '
            'Start from its weights with load_from (no --resume).')
    return load_checkpoint_file(path)


def prune_shard_dirs(checkpoint_dir: str, keep: int) -> List[str]:
    """Removes all but the newest ``keep`` shard folders.

    Args:
        checkpoint_dir (str): The folder that holds ``sharded_state/``.
        keep (int): Folders to keep (by iteration); <= 0 keeps all.

    Returns:
        list[str]: The folders removed.
    """
    root = osp.join(checkpoint_dir, SHARD_ROOT)
    if keep <= 0 or not osp.isdir(root):
        return []
    steps = []
    for name in os.listdir(root):
        match = _STEP_DIR.match(name)
        if match:
            steps.append((int(match.group(2)), name))
    removed = []
    for _, name in sorted(steps)[:-keep]:
        path = osp.join(root, name)
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed
