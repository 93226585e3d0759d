"""Makes the allow list global, for the loads MMEngine does itself.

Called explicitly where a runner is built (``da2zoe.cli.build_runner`` and
the tools that load checkpoints); importing da2zoe changes nothing in torch
or MMEngine.
"""
from typing import Any

import torch
from mmengine.runner.checkpoint import CheckpointLoader

from .allow_list import checkpoint_safe_globals
from .resolver import load_weights_file
from .safe_load import MapLocation


def _load_from_local(filename: str, map_location: MapLocation) -> Any:
    """MMEngine ``CheckpointLoader`` scheme for local paths (allow-listed).

    A ``.safetensors`` file (e.g. from ``convert_checkpoint.py``) is read
    as its state dict, so ``load_from`` takes it like a ``.pth``.

    Args:
        filename (str): Local checkpoint file.
        map_location (MapLocation): As for ``torch.load``.

    Returns:
        Any: The checkpoint.
    """
    return load_weights_file(filename, map_location=map_location)


def register_safe_globals() -> None:
    """Adds the allow list to torch's and guards MMEngine's local loader.

    After this call, ``torch.load(weights_only=True)`` accepts da2zoe's
    training checkpoints anywhere, and MMEngine's loader of local files
    (``CheckpointLoader`` scheme ``''``, used by ``Runner.resume``,
    ``Runner.load_checkpoint`` and ``load_from``) reads through
    :func:`~da2zoe.checkpoint.load_checkpoint_file`, so a refused file
    raises :class:`~da2zoe.checkpoint.UnsafeCheckpointError` with its name
    and the refused globals instead of torch's generic message. Idempotent.
    """
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
    CheckpointLoader.register_scheme(
        prefixes='', loader=_load_from_local, force=True)
