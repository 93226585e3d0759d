"""The non-tensor types a da2zoe checkpoint may hold, loaded weights-only."""
from contextlib import contextmanager
from typing import Any, Iterator, List

import numpy as np
import torch
from mmengine.config import ConfigDict
from mmengine.logging.history_buffer import HistoryBuffer


def _numpy_core_function(name: str) -> List[Any]:
    """Returns ``numpy.(_)core.multiarray.<name>`` under both module names.

    NumPy 2 pickles as ``numpy._core``, NumPy 1 as ``numpy.core``; a
    checkpoint written under either must load under the other.

    Args:
        name (str): Function of ``multiarray``.

    Returns:
        list: ``(function, qualified name)`` entries for both spellings.
    """
    try:
        from numpy._core import multiarray
    except ImportError:  # NumPy 1
        from numpy.core import multiarray
    func = getattr(multiarray, name)
    return [(func, f'numpy._core.multiarray.{name}'),
            (func, f'numpy.core.multiarray.{name}')]


def checkpoint_safe_globals() -> List[Any]:
    """The non-tensor types and functions a da2zoe checkpoint may hold.

    Found by listing the globals of checkpoints from CPU runs
    (``torch.serialization.get_unsafe_globals_in_checkpoint``):

    - ``mmengine.logging.history_buffer.HistoryBuffer`` (message hub scalars,
      written without their statistics functions, see
      :mod:`da2zoe.checkpoint.history_buffers`);
    - NumPy arrays and scalars of numeric, bool, str and bytes dtypes
      (``ndarray``, ``dtype``, the per-dtype ``numpy.dtypes.*DType`` classes,
      ``multiarray._reconstruct`` and ``multiarray.scalar``), found in the
      history buffers, ``eta`` and ``dataset_meta``; object arrays are not
      allowed;
    - ``mmengine.config.ConfigDict`` (a dataset ``metainfo`` given in a
      config).

    ``collections.OrderedDict``, ``torch.Size``, tensors and Python builtins
    (dict, list, tuple, set, str, numbers) are allowed by torch itself.

    Returns:
        list: Entries for ``torch.serialization.add_safe_globals`` or
        ``torch.serialization.safe_globals``.
    """
    dtype_classes = [
        type(np.dtype(t))
        for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
                  np.uint16, np.uint32, np.uint64, np.float16, np.float32,
                  np.float64, np.complex64, np.complex128, np.str_, np.bytes_)
    ]
    return ([HistoryBuffer, ConfigDict, np.ndarray, np.dtype] + dtype_classes +
            _numpy_core_function('_reconstruct') +
            _numpy_core_function('scalar'))


@contextmanager
def allow_listed() -> Iterator[None]:
    """Admits :func:`checkpoint_safe_globals` for the loads inside.

    Only entries not registered already are added, and removed again on
    exit: torch's ``safe_globals`` context removes what it was given, which
    would undo a global :func:`~da2zoe.checkpoint.register_safe_globals`.

    Yields:
        None: Inside, ``torch.load(weights_only=True)`` takes the allow list.
    """
    registered = set(torch.serialization.get_safe_globals())
    missing = [g for g in checkpoint_safe_globals() if g not in registered]
    with torch.serialization.safe_globals(missing):
        yield
