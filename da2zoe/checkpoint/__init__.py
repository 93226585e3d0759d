"""All checkpoint code: layouts, safe loading, the allow list, atomic writing.

Imports nothing of da2zoe above ``registry`` / ``structures``, so models,
engine and tools can all use it.
"""
from .allow_list import checkpoint_safe_globals
from .atomic_backend import ATOMIC_BACKEND, AtomicLocalBackend
from .atomic_write import (
    DiskFullError,
    link_atomic,
    remove_stale_temp_files,
    save_checkpoint_atomic,
    write_bytes_atomic,
    write_text_atomic,
)
from .da3_layout import IncompleteCheckpointError, UnsupportedCheckpointError
from .hf_export import depth_anything_config, write_hf_depth_anything
from .hf_layouts import da2zoe_to_hf, hf_to_da2zoe
from .history_buffers import without_history_functions
from .layouts import (
    ConversionSummary,
    UnknownLayoutError,
    convert_state_dict,
    detect_layout,
)
from .pretrained import LoadResult, load_pretrained
from .registration import register_safe_globals
from .resolver import (
    load_weights,
    load_weights_and_config,
    load_weights_file,
    resolve_weights,
)
from .safe_load import UnsafeCheckpointError, load_checkpoint_file
from .trusted import resave_trusted_checkpoint
from .zoo import ENCODER_WEIGHTS, random_frozen_message

__all__ = [
    'ATOMIC_BACKEND', 'DiskFullError', 'ENCODER_WEIGHTS',
    'random_frozen_message',
    'AtomicLocalBackend', 'ConversionSummary', 'IncompleteCheckpointError',
    'LoadResult', 'UnsupportedCheckpointError', 'load_weights_and_config',
    'UnknownLayoutError', 'UnsafeCheckpointError', 'da2zoe_to_hf',
    'depth_anything_config', 'write_hf_depth_anything',
    'hf_to_da2zoe', 'load_weights', 'load_weights_file', 'resolve_weights',
    'checkpoint_safe_globals', 'convert_state_dict',
    'detect_layout', 'link_atomic', 'load_checkpoint_file', 'load_pretrained',
    'register_safe_globals', 'remove_stale_temp_files',
    'resave_trusted_checkpoint', 'save_checkpoint_atomic',
    'without_history_functions', 'write_bytes_atomic', 'write_text_atomic'
]
