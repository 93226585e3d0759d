from .amp_optim_wrapper import DepthAmpOptimWrapper, resolve_amp_dtype
from .depth_optim_constructor import DepthOptimWrapperConstructor
from .depth_optim_wrapper import DepthOptimWrapper, NonFiniteGuardMixin

__all__ = [
    'DepthOptimWrapperConstructor', 'DepthOptimWrapper',
    'DepthAmpOptimWrapper', 'NonFiniteGuardMixin', 'resolve_amp_dtype'
]
