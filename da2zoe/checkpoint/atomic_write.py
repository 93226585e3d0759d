"""Atomic file writing: temp file, fsync, rename, folder fsync.

Bytes go to a hidden temporary file in the destination folder
(``.<name>.<pid>.<random>.tmp``), are flushed and fsynced, then the file is
renamed over the destination with ``os.replace`` and the folder is fsynced.
A process killed at any moment leaves either the previous file or the new
one, never a truncated one; :func:`remove_stale_temp_files` cleans up the
temporary files of killed writers.
"""
import errno
import os
import os.path as osp
import shutil
import uuid
from typing import (
    Any,
    BinaryIO,
    Callable,
    Dict,
    List,
    Optional,
    Sequence,
    Union,
)

import torch
from safetensors.torch import save as safetensors_bytes

from .history_buffers import without_history_functions

TEMP_SUFFIX = '.tmp'
PathOrPaths = Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]]


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


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


class DiskFullError(OSError):
    """No room for a file: nothing was replaced, the temp file is gone."""


def _disk_full(path: str, detail: str) -> DiskFullError:
    return DiskFullError(
        errno.ENOSPC,
        f'no space left for {path} ({detail}). Nothing was replaced: the '
        'files already there, e.g. checkpoint_latest.pth, are intact. '
        'Free space or keep fewer checkpoints (default_hooks.checkpoint.'
        'max_keep_ckpts), then resume (--resume)')


def _size(num_bytes: int) -> str:
    if num_bytes >= 2**30:
        return f'{num_bytes / 2**30:.2f} GiB'
    return f'{num_bytes / 2**20:.1f} MiB'


def _check_room(path: str, size: int) -> None:
    """Refuses before writing when ``size`` bytes cannot fit."""
    free = shutil.disk_usage(osp.dirname(path)).free
    if size > free:
        raise _disk_full(path, f'needs {_size(size)}, {_size(free)} free')


def _write_temp(path: str, write: Callable[[BinaryIO], None]) -> str:
    """Writes through ``write(file)`` to a fsynced temp file next to path.

    Raises:
        DiskFullError: When the device fills up during the write.
    """
    tmp = _temp_path(path)
    # os.open with mode 0o666 honours the umask, like a plain open().
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
    except OSError as err:
        _remove_quietly(tmp)
        if err.errno == errno.ENOSPC and not isinstance(err, DiskFullError):
            raise _disk_full(path, 'the device filled up while writing '
                             'it') from err
        raise
    except BaseException:
        _remove_quietly(tmp)
        raise
    return tmp


def _copy_stream(src: BinaryIO, dst: BinaryIO, chunk: int = 1 << 24) -> None:
    while True:
        data = src.read(chunk)
        if not data:
            return
        dst.write(data)


def _add_name(src: str, dst: str) -> None:
    """Gives the complete file ``src`` the name ``dst`` too, atomically.

    A hard link to the same data, or a copy where the file system has no
    hard links.
    """
    link = _temp_path(dst)
    try:
        os.link(src, link)
    except OSError:
        with open(src, 'rb') as source:
            link = _write_temp(dst, lambda f: _copy_stream(source, f))
    os.replace(link, dst)


def _destinations(path: PathOrPaths) -> List[str]:
    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    if not paths:
        raise ValueError('atomic write: no destination path')
    paths = [osp.abspath(os.fspath(p)) for p in paths]
    for directory in {osp.dirname(p) for p in paths}:
        os.makedirs(directory, exist_ok=True)
    return paths


def _write_atomic(write: Callable[[BinaryIO], None], path: PathOrPaths,
                  size: Optional[int] = None) -> None:
    """Writes once through ``write`` and publishes under every path;
    refuses first when ``size`` bytes, if known, cannot fit."""
    paths = _destinations(path)
    if size is not None:
        _check_room(paths[-1], size)
    tmp = _write_temp(paths[-1], write)
    try:
        for extra in paths[:-1]:
            _add_name(tmp, extra)
        os.replace(tmp, paths[-1])
    except BaseException:
        _remove_quietly(tmp)
        raise
    for directory in {osp.dirname(p) for p in paths}:
        _fsync_dir(directory)


def save_checkpoint_atomic(obj: Any, path: PathOrPaths) -> None:
    """Serialises ``obj`` once and writes it atomically to one or more paths.

    Extra paths get hard links to the same bytes. MMEngine
    ``HistoryBuffer`` objects are written without their statistics
    functions so that the file loads under the allow list.

    Args:
        obj (Any): What to save (a checkpoint dict).
        path (str | os.PathLike | Sequence): Destination(s); folders are
            created.
    """
    portable = without_history_functions(obj)
    _write_atomic(lambda f: torch.save(portable, f), path)


def write_bytes_atomic(data: bytes, path: PathOrPaths) -> None:
    """Writes ``data`` atomically to one or more paths.

    Args:
        data (bytes): File content.
        path (str | os.PathLike | Sequence): Destination(s); folders are
            created.

    Raises:
        DiskFullError: Before writing, when ``data`` cannot fit on the
            device (MMEngine hands the whole checkpoint over as bytes, so a
            4 GB save fails at once, not 3 GB in), or when it fills up.
    """
    _write_atomic(lambda f: f.write(data), path, size=len(data))


def _unshared(tensors: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Contiguous tensors, those sharing storage cloned (safetensors
    refuses shared memory)."""
    seen = set()
    out = {}
    for key, value in tensors.items():
        value = value.contiguous()
        storage = (value.untyped_storage().data_ptr(),
                   value.untyped_storage().nbytes())
        if value.numel() and storage in seen:
            value = value.clone()
        seen.add(storage)
        out[key] = value
    return out


def save_safetensors_atomic(tensors: Dict[str, torch.Tensor],
                            path: PathOrPaths,
                            metadata: Optional[Dict[str, str]] = None
                            ) -> None:
    """Writes ``tensors`` as a safetensors file, atomically.

    Args:
        tensors (dict[str, Tensor]): Name -> tensor; views of one storage
            (split qkv, tied weights) are written as copies.
        path (str | os.PathLike | Sequence): Destination(s).
        metadata (dict[str, str], optional): String metadata; ``format``
            defaults to ``'pt'``.
    """
    metadata = dict(dict(format='pt'), **(metadata or {}))
    data = safetensors_bytes(_unshared(tensors), metadata=metadata)
    write_bytes_atomic(data, path)


def write_text_atomic(text: str, path: Union[str, os.PathLike]) -> None:
    """Writes a small text file atomically (e.g. ``last_checkpoint``).

    Args:
        text (str): Content, written as UTF-8.
        path (str | os.PathLike): Destination; its folder is created.
    """
    write_bytes_atomic(text.encode('utf-8'), path)


def link_atomic(src: Union[str, os.PathLike], path: PathOrPaths) -> None:
    """Gives the existing file ``src`` more names, each atomically.

    Hard links share the bytes (copies where the file system has none), so
    a checkpoint saved under several names is serialised once.

    Args:
        src (str | os.PathLike): A complete file.
        path (str | os.PathLike | Sequence): The new name(s); an existing
            file of that name is replaced.
    """
    src = osp.abspath(os.fspath(src))
    paths = _destinations(path)
    for dst in paths:
        if dst != src:
            _add_name(src, dst)
    for directory in {osp.dirname(p) for p in paths}:
        _fsync_dir(directory)


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
