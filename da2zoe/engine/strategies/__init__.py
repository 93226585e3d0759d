"""Training strategies for MMEngine's ``FlexibleRunner`` (sharded
training)."""
from .depth_fsdp_strategy import (
    DepthFSDPStrategy,
    FSDPConfigError,
    ShardedLoadError,
)
from .sharded_clip import ShardedGradNormClip
from .sharded_state import ShardedStateError
from .wrap_policy import (
    NoWrappableBlocksError,
    depth_wrap_classes,
    depth_wrap_policy,
)

__all__ = [
    'DepthFSDPStrategy', 'FSDPConfigError', 'NoWrappableBlocksError',
    'ShardedGradNormClip', 'ShardedLoadError', 'ShardedStateError',
    'depth_wrap_classes', 'depth_wrap_policy'
]
