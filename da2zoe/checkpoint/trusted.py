"""Converting a checkpoint you trust into one that loads weights-only."""
import os
from typing import Union

import torch

from .atomic_write import save_checkpoint_atomic


def resave_trusted_checkpoint(src: Union[str, os.PathLike],
                              dst: Union[str, os.PathLike]) -> None:
    """Rewrites a checkpoint you trust so that it loads under the allow list.

    Loads ``src`` with ``weights_only=False`` (this executes its pickle: only
    for files from a trusted source, e.g. written by MMEngine's
    ``CheckpointHook`` in your own run) and writes it atomically to ``dst``
    without the functions MMEngine's message hub buffers pickle.

    Args:
        src (str | os.PathLike): Trusted checkpoint.
        dst (str | os.PathLike): Output path.
    """
    checkpoint = torch.load(src, map_location='cpu', weights_only=False)
    save_checkpoint_atomic(checkpoint, dst)
