"""Training-loop pieces: hooks, optimiser wrappers and constructor,
schedulers (MMEngine subclasses, registered in da2zoe's registries).

Importing this package registers them and changes nothing else: the
checkpoint allow list is registered where a runner is built
(:func:`da2zoe.checkpoint.register_safe_globals`).
"""
from .hooks import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
from .runner import *  # noqa: F401,F403
from .schedulers import *  # noqa: F401,F403
from .strategies import *  # noqa: F401,F403
