"""The MMEngine Runner with da2zoe's stricter checkpoint loading."""
from .depth_runner import CheckpointMismatchError, DepthRunner

__all__ = ['CheckpointMismatchError', 'DepthRunner']
