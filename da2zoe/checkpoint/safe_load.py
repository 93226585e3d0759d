"""The one weights-only checkpoint reader, and its one refusal error."""
import os
import os.path as osp
import pickle
from typing import Any, Callable, Dict, Union

import torch

from .allow_list import allow_listed

MapLocation = Union[None, str, torch.device, Callable, Dict[str, str]]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint needs globals outside the allow list; nothing of it ran.

    A subclass of ``pickle.UnpicklingError``, the error
    ``torch.load(weights_only=True)`` raises for the same refusal, so code
    written against torch's loader catches it unchanged.
    """


# What a failed download leaves under a checkpoint's name, by its first
# bytes (after leading whitespace).
_NOT_CHECKPOINTS = (
    (b'version https://git-lfs', 'a Git LFS pointer (the repository was '
     'cloned without `git lfs pull`; fetch the real file)'),
    (b'<', 'an HTML / XML page (a login, error or redirect page saved '
     'instead of the file; download it again)'),
    (b'{', 'a JSON document (an error response or a config, not weights)'),
)


def _not_a_checkpoint(path: str) -> str | None:
    """What ``path`` holds when its first bytes show it is text, not a
    torch checkpoint (neither a zip nor a pickle), else None."""
    with open(path, 'rb') as file:
        head = file.read(256).lstrip()
    for prefix, what in _NOT_CHECKPOINTS:
        if head.startswith(prefix):
            return what
    return None


def _refusal(path: str) -> UnsafeCheckpointError:
    """The error for ``path``, naming the globals it needs that we refuse.

    Args:
        path (str): The refused file.

    Returns:
        UnsafeCheckpointError: The error to raise.
    """
    try:
        with allow_listed():
            refused = torch.serialization.get_unsafe_globals_in_checkpoint(
                path)
    except ValueError:  # not a zip checkpoint: nothing to list
        refused = []
    needs = (', '.join(refused) if refused else
             'it (a legacy torch.save file or not a checkpoint: its globals '
             'cannot be listed)')
    hint = ''
    if 'builtins.getattr' in refused:
        hint = (' (builtins.getattr comes from a checkpoint written by '
                "MMEngine's own CheckpointHook or from the state of "
                "MMEngine's OneCycleLR; use DepthCheckpointHook and "
                'GroupOneCycleLR)')
    return UnsafeCheckpointError(
        f'Refused to load checkpoint {path}: the weights-only unpickler '
        f'rejects {needs}, outside the allow list of '
        f'da2zoe.checkpoint.checkpoint_safe_globals{hint}. Nothing from the '
        'file was executed. If it comes from a source you trust, rewrite '
        'it once as a weights-only file: python '
        f'tools/model_converters/convert_checkpoint.py --trusted {path} '
        'NEW.pth')


def load_checkpoint_file(path: Union[str, os.PathLike],
                         map_location: MapLocation = 'cpu') -> Any:
    """Reads a checkpoint with ``torch.load(weights_only=True)``.

    Only tensors, plain containers and the types of
    :func:`~da2zoe.checkpoint.checkpoint_safe_globals` are unpickled: a file
    holding anything else is refused before any of it runs. The allow list
    is applied for this call only; :func:`register_safe_globals` makes it
    global for MMEngine's own loading.

    Args:
        path (str | os.PathLike): Local checkpoint file.
        map_location (MapLocation): As for ``torch.load``. Defaults to
            'cpu'.

    Returns:
        Any: What the file holds (a state dict or a dict wrapping one).

    Raises:
        FileNotFoundError: If there is no such file.
        UnsafeCheckpointError: If the file needs a global outside the allow
            list; the message names the file and the globals.
        ValueError: If the file is not a readable torch checkpoint.
    """
    path = osp.expanduser(os.fspath(path))
    if not osp.isfile(path):
        raise FileNotFoundError(f'No checkpoint file {path!r}')
    try:
        with allow_listed():
            return torch.load(
                path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        not_a_checkpoint = _not_a_checkpoint(path)
        if not_a_checkpoint:
            raise ValueError(f'{path} is not a checkpoint: '
                             f'{not_a_checkpoint}') from err
        raise _refusal(path) from err
    except (RuntimeError, EOFError, OSError) as err:
        raise ValueError(
            f'Could not read checkpoint {path!r}: {type(err).__name__}: '
            f'{err}') from err
