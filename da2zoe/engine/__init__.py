"""Training-loop pieces: optimiser wrappers and constructor, schedulers,
hooks, and safe checkpoint I/O.

Importing this package adds the checkpoint allow list to torch's
weights-only unpickler (see :mod:`da2zoe.engine.checkpoint_io`).
"""
from .checkpoint_io import *  # noqa: F401,F403
from .checkpoint_io import register_checkpoint_safe_globals
from .hooks import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
from .schedulers import *  # noqa: F401,F403

register_checkpoint_safe_globals()

# Hooks registered next to what they serve, imported here because HOOKS
# looks for hooks in ``da2zoe.engine`` (the registry's location).
from da2zoe.datasets.skipped_samples_hook import SkippedSamplesHook  # noqa
from da2zoe.visualization.depth_visualization_hook import \
    DepthVisualizationHook  # noqa
