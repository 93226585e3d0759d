"""Atomic checkpoint writing and allow-listed (weights-only) reading.

Writing: a checkpoint goes to a hidden temporary file in the destination
folder, is flushed and fsynced, then renamed over the destination with
``os.replace`` and the folder is fsynced. A process killed at any moment
leaves either the previous file or the new one, never a truncated one.

Reading: ``torch.load(weights_only=True)`` with an explicit allow list of the
few non-tensor types a training checkpoint holds (:func:`checkpoint_safe_globals`).
:func:`register_checkpoint_safe_globals` adds that list to torch's and makes
MMEngine's local-file loader (used by ``Runner.resume`` and
``Runner.load_checkpoint``) refuse anything else with a
:class:`CheckpointRefusedError` naming the file and the offending globals.
Nothing from a refused file is executed.

MMEngine's ``HistoryBuffer`` pickles its statistics functions through
``builtins.getattr``, which cannot be allow-listed safely. Checkpoints written
here store the buffers without those functions (they are class-level
defaults restored by ``HistoryBuffer.__setstate__``), so they load under the
allow list; a checkpoint written by MMEngine's own ``CheckpointHook`` does
not, and can be converted once with :func:`resave_trusted_checkpoint`.
"""
import copyreg
import os
import os.path as osp
import pickle
import types
import uuid
from typing import Any, Callable, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

__all__ = [
    'CheckpointRefusedError', 'checkpoint_safe_globals',
    'register_checkpoint_safe_globals', 'load_checkpoint_safe',
    'save_checkpoint_atomic', 'write_text_atomic', 'remove_stale_temp_files',
    'resave_trusted_checkpoint'
]

TEMP_SUFFIX = '.tmp'
MapLocation = Union[None, str, torch.device, Callable, dict]


class CheckpointRefusedError(RuntimeError):
    """A checkpoint needs globals outside the allow list; nothing ran."""


# Allow list -----------------------------------------------------------------


def _numpy_core_function(name: str) -> List[Any]:
    """Returns ``numpy.(_)core.multiarray.<name>`` under both module names.

    NumPy 2 pickles as ``numpy._core``, NumPy 1 as ``numpy.core``; a
    checkpoint written under either must load under the other.
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

    - ``mmengine.logging.history_buffer.HistoryBuffer`` (message hub scalars);
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
        list: Entries for ``torch.serialization.add_safe_globals``.
    """
    from mmengine.config import ConfigDict

    dtype_classes = [
        type(np.dtype(t))
        for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
                  np.uint16, np.uint32, np.uint64, np.float16, np.float32,
                  np.float64, np.complex64, np.complex128, np.str_, np.bytes_)
    ]
    return ([HistoryBuffer, ConfigDict, np.ndarray, np.dtype] + dtype_classes +
            _numpy_core_function('_reconstruct') +
            _numpy_core_function('scalar'))


def register_checkpoint_safe_globals(install_loader: bool = True) -> None:
    """Adds the allow list to torch and guards MMEngine's local loader.

    Idempotent. Called when ``da2zoe.engine`` is imported and by the tools
    before building a runner.

    Args:
        install_loader (bool): Also replace MMEngine's loader of local files
            (``CheckpointLoader`` scheme ``''``, used by ``Runner.resume``,
            ``Runner.load_checkpoint`` and ``load_from``) by
            :func:`load_checkpoint_safe`, so a refused file raises
            :class:`CheckpointRefusedError` with its name instead of a bare
            unpickling error. Defaults to True.
    """
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
    if install_loader:
        from mmengine.runner.checkpoint import CheckpointLoader
        CheckpointLoader.register_scheme(
            prefixes='', loader=load_from_local, force=True)


# Reading --------------------------------------------------------------------


def _unsafe_globals(path: str) -> List[str]:
    """Globals of ``path`` outside the allow list, read without executing."""
    try:
        return torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception:  # legacy format or unreadable: the error says more
        return []


def load_checkpoint_safe(path: Union[str, os.PathLike],
                         map_location: MapLocation = 'cpu') -> Any:
    """Reads a checkpoint with ``weights_only=True`` and the allow list.

    Args:
        path (str | os.PathLike): Local checkpoint file.
        map_location: As for ``torch.load``. Defaults to 'cpu'.

    Returns:
        Any: The checkpoint (usually a dict).

    Raises:
        FileNotFoundError: If there is no such file.
        CheckpointRefusedError: If the file needs anything outside the allow
            list. Nothing from it has been executed.
    """
    path = osp.expanduser(os.fspath(path))
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} can not be found.')
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        offending = _unsafe_globals(path)
        detail = (f'it needs {", ".join(offending)}' if offending else
                  f'the weights-only unpickler says: {_first_line(err)}')
        hint = ''
        if 'builtins.getattr' in offending:
            hint = (' (builtins.getattr comes from a checkpoint written by '
                    "MMEngine's own CheckpointHook or from the state of "
                    "MMEngine's OneCycleLR; use DepthCheckpointHook and "
                    'GroupOneCycleLR, or convert a file you trust with '
                    'da2zoe.engine.resave_trusted_checkpoint)')
        raise CheckpointRefusedError(
            f'Refused to load checkpoint {path}: {detail}, outside the '
            f'allow list of da2zoe.engine.checkpoint_safe_globals{hint}. '
            'Nothing from the file was executed.') from err


def _first_line(err: Exception) -> str:
    for line in str(err).splitlines():
        line = line.strip()
        if line.startswith('WeightsUnpickler error:'):
            return line[len('WeightsUnpickler error:'):].strip()
    return str(err).strip().splitlines()[0] if str(err).strip() else ''


def load_from_local(filename: str, map_location: MapLocation) -> Any:
    """MMEngine ``CheckpointLoader`` scheme for local paths (allow-listed)."""
    return load_checkpoint_safe(filename, map_location=map_location)


def resave_trusted_checkpoint(src: str, dst: str) -> None:
    """Rewrites a checkpoint you trust so that it loads under the allow list.

    Loads ``src`` with ``weights_only=False`` (this executes its pickle: only
    for files from a trusted source, e.g. written by MMEngine's
    ``CheckpointHook`` in your own run) and writes it atomically to ``dst``.

    Args:
        src (str): Trusted checkpoint.
        dst (str): Output path.
    """
    checkpoint = torch.load(src, map_location='cpu', weights_only=False)
    save_checkpoint_atomic(checkpoint, dst)


# Writing --------------------------------------------------------------------


def _reduce_history_buffer(buffer: HistoryBuffer):
    # Without 'statistics_methods': functions pickle through getattr.
    state = {
        key: value
        for key, value in vars(buffer).items() if key != 'statistics_methods'
    }
    return copyreg.__newobj__, (type(buffer), ), state


class _CheckpointPickler(pickle.Pickler):
    dispatch_table = copyreg.dispatch_table.copy()
    dispatch_table[HistoryBuffer] = _reduce_history_buffer


# torch.save takes a module-like object with ``Pickler`` (and ``dump`` for
# its legacy format).
_checkpoint_pickle = types.ModuleType('da2zoe_checkpoint_pickle')
_checkpoint_pickle.Pickler = _CheckpointPickler
_checkpoint_pickle.dump = pickle.dump


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _temp_path(path: str) -> str:
    directory, name = osp.split(path)
    return osp.join(
        directory,
        f'.{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{TEMP_SUFFIX}')


def _write_temp(path: str, write: Callable[[Any], None]) -> str:
    """Writes through ``write(file)`` to a fsynced temp file next to path."""
    tmp = _temp_path(path)
    # os.open with mode 0o666 honours the umask, like a plain open().
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        _remove_quietly(tmp)
        raise
    return tmp


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _publish(tmp: str, paths: Sequence[str]) -> None:
    """Gives the fsynced ``tmp`` every name in ``paths``, each atomically.

    Extra names are hard links to the same data (a copy where the file
    system has no hard links); the last name takes ``tmp`` itself.
    """
    try:
        for extra in paths[:-1]:
            link = _temp_path(extra)
            try:
                os.link(tmp, link)
            except OSError:
                with open(tmp, 'rb') as src:
                    link = _write_temp(extra, lambda f: _copy_stream(src, f))
            os.replace(link, extra)
        os.replace(tmp, paths[-1])
    except BaseException:
        _remove_quietly(tmp)
        raise
    for directory in {osp.dirname(p) for p in paths}:
        _fsync_dir(directory)


def _copy_stream(src, dst, chunk: int = 1 << 24) -> None:
    while True:
        data = src.read(chunk)
        if not data:
            return
        dst.write(data)


def save_checkpoint_atomic(obj: Any, path: Union[str, Sequence[str]]) -> None:
    """Serialises ``obj`` once and writes it atomically to one or more paths.

    The bytes go to a hidden temporary file in the destination folder
    (``.<name>.<pid>.<random>.tmp``), are flushed and fsynced, then the file
    is renamed over the destination (``os.replace``) and the folder fsynced.
    Extra paths get hard links to the same bytes. MMEngine
    ``HistoryBuffer`` objects are written without their statistics
    functions so that the file loads under the allow list.

    Args:
        obj: What to save (a checkpoint dict).
        path (str | Sequence[str]): Destination(s); folders are created.
    """
    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    if not paths:
        raise ValueError('save_checkpoint_atomic: no destination path')
    paths = [osp.abspath(os.fspath(p)) for p in paths]
    for directory in {osp.dirname(p) for p in paths}:
        os.makedirs(directory, exist_ok=True)
    tmp = _write_temp(
        paths[-1],
        lambda f: torch.save(obj, f, pickle_module=_checkpoint_pickle))
    _publish(tmp, paths)


def write_text_atomic(text: str, path: str) -> None:
    """Writes a small text file atomically (e.g. ``last_checkpoint``)."""
    path = osp.abspath(path)
    os.makedirs(osp.dirname(path), exist_ok=True)
    tmp = _write_temp(path, lambda f: f.write(text.encode('utf-8')))
    _publish(tmp, [path])


def remove_stale_temp_files(directory: str,
                            names: Optional[Sequence[str]] = None
                            ) -> List[str]:
    """Removes temporary files a killed save left behind in ``directory``.

    Only files of the pattern ``.<name>.<pid>.<hex>.tmp`` are touched, and
    only those of a process that no longer runs.

    Args:
        directory (str): Folder to clean.
        names (Sequence[str], optional): Restrict to these destination
            names. Defaults to any.

    Returns:
        list[str]: The removed paths.
    """
    removed = []
    if not osp.isdir(directory):
        return removed
    for entry in os.listdir(directory):
        if not (entry.startswith('.') and entry.endswith(TEMP_SUFFIX)):
            continue
        parts = entry[1:-len(TEMP_SUFFIX)].rsplit('.', 2)
        if len(parts) != 3 or not parts[1].isdigit():
            continue
        name, pid = parts[0], int(parts[1])
        if names is not None and name not in names:
            continue
        if pid != os.getpid() and _pid_alive(pid):
            continue
        full = osp.join(directory, entry)
        _remove_quietly(full)
        removed.append(full)
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True
