"""An MMEngine file backend whose writes are atomic.

``Runner.save_checkpoint`` serialises the checkpoint and hands the bytes to
the file backend named in ``backend_args``; with
``backend_args=dict(backend=ATOMIC_BACKEND)`` that is this one, so a
checkpoint written by MMEngine's own machinery is never seen half-written.
Registering the name adds a backend; it replaces none.
"""
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

from .atomic_write import write_bytes_atomic

ATOMIC_BACKEND = 'da2zoe_atomic_local'


@register_backend(ATOMIC_BACKEND)
class AtomicLocalBackend(LocalBackend):
    """``LocalBackend`` with ``put`` and ``put_text`` through a temp file."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Writes bytes atomically (temp file, fsync, rename).

        Args:
            obj (bytes): Data to be written.
            filepath (str | Path): Destination; its folder is created.
        """
        write_bytes_atomic(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Writes text atomically (temp file, fsync, rename).

        Args:
            obj (str): Text to be written.
            filepath (str | Path): Destination; its folder is created.
            encoding (str): Text encoding. Defaults to 'utf-8'.
        """
        write_bytes_atomic(obj.encode(encoding), filepath)
