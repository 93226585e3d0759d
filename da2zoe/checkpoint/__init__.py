"""Reading checkpoints of every layout users have, and loading them safely."""
from .layouts import ConversionSummary, convert_state_dict, detect_layout
from .loading import (LoadResult, UnsafeCheckpointError, load_checkpoint_file,
                      load_pretrained)

__all__ = [
    'ConversionSummary', 'convert_state_dict', 'detect_layout', 'LoadResult',
    'UnsafeCheckpointError', 'load_checkpoint_file', 'load_pretrained'
]
